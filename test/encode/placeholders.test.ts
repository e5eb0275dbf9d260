/**
 * Placeholders of a missing value in an agency's file (NULL middle names,
 * SAS's "." for a missing date): hashed as a value or refused by default,
 * and then named in the summary (a placeholder from the fixed list, never a
 * data value) or in the error; declared with the missing-values option they
 * encode exactly as blanks, on the main thread and on workers, under the
 * same schema fingerprint.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMessage } from '../../cli/hints.js';
import { placeholderWarning, type EncodeOptions } from '../../src/encode/pipeline.js';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_SCHEMA as SCHEMA, SECRET_TEXT, encodeRows } from '../helpers/encode-rows.js';
import { p20Rejection as refusal } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const FIRST = ['Ann', 'Bo', 'Cy', 'Dee', 'Eli', 'Fay', 'Gus', 'Hal'];
const LAST = ['Lee', 'Kim', 'Park', 'Ortiz', 'Smith', 'Brown', 'Nguyen', 'Diaz'];

const dir = fileTempDir('p20link-placeholders-');
let n = 0;

/** 400 people: a third without a middle name, a tenth without a birth date (`none` and `noDate` write those), one surnamed Na. */
async function extract(none: string, noDate: string): Promise<string> {
  let text = 'id,first_name,middle_name,last_name,birth_date,sex,zip\n';
  for (let i = 0; i < 400; i++) {
    const dob = i % 10 === 3 ? noDate : `${1980 + (i % 30)}-0${1 + (i % 9)}-1${i % 10}`;
    text += `${i},${FIRST[i % 8]},${i % 3 === 0 ? none : 'Quinn'},${i === 7 ? 'Na' : LAST[(i >> 3) % 8]},${dob},${i % 2 ? 'F' : 'M'},${97000 + (i % 40)}\n`;
  }
  const p = join(dir, `in-${++n}.csv`);
  await writeFile(p, text);
  return p;
}

async function encode(input: string, extra: Partial<EncodeOptions> = {}) {
  const { rows, summary, header } = await encodeRows(input, join(dir, `out-${++n}.enc`), extra);
  return { rows, summary, fingerprint: header.schemaFingerprint };
}

describe('placeholders of a missing value', () => {
  it('by default NULL is hashed as a middle name and "." refused as a date: the error and the summary say so', async () => {
    const input = await extract('NULL', '.');
    const e = await refusal(encode(input));
    expect(e.code).toBe('ENCODE_BAD_ROW');
    expect(e.location).toMatchObject({ line: 5, field: 'birth_date' });
    expect(cliMessage(e)).toMatch(/not a valid date .*\("\." is what many files write for a missing value: if it is here, declare it with --missing-values\)/);
    const blanks = await encode(await extract('', ''));
    const { rows, summary } = await encode(input, { onBadField: 'missing' });
    expect(rows).not.toEqual(blanks.rows); // the NULL middle names were hashed
    expect(summary.missingFields).toEqual({ birth_date: 40 });
    expect(summary.warnings).toEqual([
      expect.stringMatching(/^middle_name: 134 values \(33\.5 % of the rows\) are "NULL", which files write for a missing value; .*missing-values option$/),
      expect.stringMatching(/^birth_date: 40 values \(10\.0 % of the rows\) are "\.", /),
    ]);
  });

  it('declared with the missing-values option they encode as blanks (main thread, workers), same fingerprint, no warning', async () => {
    const blanks = await encode(await extract('', ''));
    for (const [none, noDate] of [['NULL', '.'], [' null ', 'NULL']]) {
      const input = await extract(none!, noDate!);
      const main = await encode(input, { missingValues: ['NULL', '.'] });
      expect(main.rows).toEqual(blanks.rows);
      expect(main.fingerprint).toBe(blanks.fingerprint);
      expect(main.summary.warnings).toEqual([]);
      expect((await encode(input, { missingValues: ['null', '.'], workers: 2, rangeBytes: 4096 })).rows).toEqual(blanks.rows);
    }
    // a placeholder date of the agency's own (the frequent-date warning's advice), in a file that writes US dates
    const placeholderDate = await extract('', '01/01/1900');
    expect((await encode(placeholderDate, { missingValues: ['01/01/1900'] })).rows).toEqual(blanks.rows);
    expect((await encode(placeholderDate)).rows).not.toEqual(blanks.rows);
  });

  it('a placeholder that is also a name (the surname Na) is not declared missing, nor named below the bounds', async () => {
    const { summary } = await encode(await extract('', ''));
    expect(summary.warnings).toEqual([]); // one person surnamed Na: hashed as a name, no warning
    expect(placeholderWarning('last_name', new Map([['NA', 50]]), 400)).toMatch(/^last_name: 50 values \(12\.5 %/); // an eighth of the rows would be a placeholder
    expect(placeholderWarning('last_name', new Map([['NA', 19]]), 400)).toBeUndefined(); // under 20
    expect(placeholderWarning('last_name', new Map([['NA', 40]]), 10_000)).toBeUndefined(); // under 0.5 %
  });

  it('refused: none, an empty value, a value over 64 characters', async () => {
    const input = await extract('', '');
    for (const values of [[], [' '], ['x'.repeat(65)]]) {
      const e = await refusal(encode(input, { missingValues: values }));
      expect(e.code).toBe('ENCODE_OPTIONS');
      expect(cliMessage(e)).toMatch(/^--missing-values/);
    }
  });

  it('p20link encode --missing-values', async () => {
    const sf = join(dir, 'secret');
    await writeFile(sf, SECRET_TEXT);
    await chmod(sf, 0o600);
    const input = await extract('NMN', '.');
    const r = await runCli(['encode', input, '-o', join(dir, 'cli.enc'), '--schema', SCHEMA, '--party', 'k12', '--secret-file', sf, '--workers', '0', '--missing-values', 'NMN,.']);
    expect(r.err).toMatch(/read 400, encoded 400, rejected 0/);
    expect(r.err).not.toMatch(/warning/);
    expect(r.code).toBe(0);
  });
});
