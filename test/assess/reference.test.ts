import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { birthYear, readPlainCsv } from '../../src/assess/index.js';
import { frequencyBaseline, boundViolations, scoreAttack } from '../../src/assess/score.js';
import { prepareEncode } from '../../src/encode/pipeline.js';
import { P20Error } from '../../src/errors.js';
import { exitStatusOf } from '../../cli/exit-status.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20link-assess-ref-');
const SCHEMA = 'protocols/compat/p20w-person-clkhash.json';
const T = { first: 'first_name', last: 'last_name', birth: 'birth_date' };

describe('reference populations', () => {
  it('normalizes with the schema and expands a frequency list by its count column', async () => {
    const { schema, ext } = await prepareEncode(SCHEMA);
    const p = join(dir, 'names.csv');
    writeFileSync(p, 'given,count\nJosé,3\nann-marie,1\n');
    const { records } = await readPlainCsv(p, schema, ext, { map: { first_name: 'given' } });
    expect(records.map((r) => r.first_name)).toEqual(['JOSE', 'JOSE', 'JOSE', 'ANN MARIE']);
  });
  it('a value that does not normalize is missing, not an error; dates give the birth year', async () => {
    const { schema, ext } = await prepareEncode(SCHEMA);
    const p = join(dir, 'people.csv');
    writeFileSync(p, 'first_name,last_name,birth_date\nAna,Diaz,02/30/2001\nBo,Li,03/04/1999\n');
    const { records } = await readPlainCsv(p, schema, ext);
    expect(records[0]!.birth_date).toBe('');
    expect(birthYear(records[1]!.birth_date)).toBe('1999');
  });
  it('refuses a file with no schema column (exit 2)', async () => {
    const { schema, ext } = await prepareEncode(SCHEMA);
    const p = join(dir, 'none.csv');
    writeFileSync(p, 'a,b\n1,2\n');
    await expect(readPlainCsv(p, schema, ext)).rejects.toSatisfy((e: unknown) => e instanceof P20Error && exitStatusOf(e) === 2);
  });
});

describe('scoring', () => {
  const truth = [
    { first_name: 'ANA', last_name: 'DIAZ', birth_date: '2001-01-02' },
    { first_name: 'BO', last_name: 'LI', birth_date: '1999-03-04' },
    { first_name: 'ANA', last_name: 'LI', birth_date: '1999-05-06' },
    { first_name: 'CY', last_name: 'NG', birth_date: '2000-01-01' },
  ];
  it('counts correct guesses over all victims and precision over guesses', () => {
    const s = scoreAttack({ attack: 'x', guesses: [{ first: 'ANA', last: 'DIAZ', year: '2001' }, { first: 'ANA' }, undefined, { last: 'NG', year: '1990' }], notes: {} }, truth, T);
    expect(s.first).toMatchObject({ correct: 1, guessed: 2, share: 0.25, precision: 0.5 });
    expect(s.last).toMatchObject({ correct: 2, guessed: 2 });
    expect(s.both).toMatchObject({ correct: 1, guessed: 1, share: 0.25 });
    expect(s.year).toMatchObject({ correct: 1, guessed: 2 });
    expect(s.precision).toBe(3 / 4);
  });
  it('the baseline is the most frequent reference value; the bound flags shares and precision above it', () => {
    const base = frequencyBaseline(truth, truth, T);
    expect(base.first).toBe(0.5);
    expect(base.last).toBe(0.5);
    const s = scoreAttack({ attack: 'x', guesses: truth.map((t) => ({ first: t.first_name, last: t.last_name })), notes: {} }, truth, T);
    const v = boundViolations(s, base);
    expect(v.some((x) => x.startsWith('first + last'))).toBe(true);
    expect(v.some((x) => x.startsWith('first name'))).toBe(true);
    const none = scoreAttack({ attack: 'x', guesses: [], notes: {} }, truth, T);
    expect(boundViolations(none, base)).toEqual([]);
  });
});
