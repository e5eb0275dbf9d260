import { existsSync, linkSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P20Error } from '../../src/errors.js';
import { parseCsvText } from '../../src/io/csv.js';
import { compileHierarchy, kcheckFile, kcheckRows, repairFile, repairRows, type KCheckSpec } from '../../src/release/index.js';

const FIX = resolve(process.cwd(), 'test/fixtures/release/kanon');

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'p20-krepair-'));
}

describe('repair: hand-worked cases', () => {
  it('ages to bands of 5 reach k = 2 with no suppression (precision 1 − (1/3)/2)', () => {
    const rows = [['21', 'F'], ['22', 'F'], ['23', 'M'], ['24', 'M'], ['26', 'F'], ['27', 'F']];
    const r = repairRows(['age', 'sex'], rows, {
      spec: { version: 1, hierarchies: { age: { type: 'interval', widths: [5, 10] } } },
      qi: ['age', 'sex'],
      k: 2,
      maxSuppressedFraction: 0,
    });
    expect(r.written).toBe(true);
    expect(r.rows).toEqual([['20-24', 'F'], ['20-24', 'F'], ['20-24', 'M'], ['20-24', 'M'], ['25-29', 'F'], ['25-29', 'F']]);
    expect(r.loss.perQi.map((q) => [q.qi, q.level, q.height, q.description, q.distinctBefore, q.distinctAfter])).toEqual([
      ['age', 1, 3, 'bands of 5', 6, 2],
      ['sex', 0, 1, 'original', 2, 2],
    ]);
    expect(r.loss).toMatchObject({ suppressedRecords: 0, precision: 0.833333, discernibility: 12, averageClassSizeRatio: 1 });
    expect(r.before.k).toBe(1);
    expect(r.after).toMatchObject({ k: 2, passed: true });
  });

  it('local suppression: a lone record is suppressed, and one more so the "*" class reaches k', () => {
    const rows = [['F'], ['F'], ['F'], ['F'], ['F'], ['M']];
    const spec: KCheckSpec = { version: 1, hierarchies: { sex: { type: 'suppress', maxLevel: 0 } } };
    const r = repairRows(['sex'], rows, { spec, qi: ['sex'], k: 2, maxSuppressedFraction: 0.5 });
    expect(r.rows).toEqual([['*'], ['F'], ['F'], ['F'], ['F'], ['*']]);
    expect(r.loss).toMatchObject({ suppressedRecords: 2, suppressedValues: 2, precision: 0.666667, discernibility: 4 * 4 + 2 * 6 });
    expect(r.after?.k).toBe(2);
    // record suppression drops the lone record instead
    const d = repairRows(['sex'], rows, { spec, qi: ['sex'], k: 2, maxSuppressedFraction: 0.5, suppression: 'records' });
    expect(d.rows).toEqual([['F'], ['F'], ['F'], ['F'], ['F']]);
    expect(d.loss.suppressedRecords).toBe(1);
  });

  it('the suppression limit is respected: nothing is produced when it cannot be met', () => {
    const rows = [['F'], ['F'], ['F'], ['F'], ['F'], ['M']];
    const spec: KCheckSpec = { version: 1, hierarchies: { sex: { type: 'suppress', maxLevel: 0 } } };
    const r = repairRows(['sex'], rows, { spec, qi: ['sex'], k: 2, maxSuppressedFraction: 0.2 });
    expect(r.written).toBe(false);
    expect(r.rows).toEqual([]);
    expect(r.reason).toMatch(/above the limit of 1/);
    // allowed to generalize sex to "*": one class of 6
    const g = repairRows(['sex'], rows, { qi: ['sex'], k: 2, maxSuppressedFraction: 0 });
    expect(g.rows).toEqual(rows.map(() => ['*']));
  });

  it('l-diversity: a class with one sensitive value is generalized away', () => {
    const h = ['school', 'frl'];
    const rows = [['A', 'Y'], ['A', 'Y'], ['B', 'Y'], ['B', 'N'], ['C', 'N'], ['C', 'Y']];
    const spec: KCheckSpec = { version: 1, hierarchies: { school: { type: 'map', levels: [{ map: { A: 'AB', B: 'AB', C: 'C' } }] } } };
    const r = repairRows(h, rows, { spec, qi: ['school'], sensitive: ['frl'], k: 2, l: 2, maxSuppressedFraction: 0 });
    expect(r.before.diversity[0]!.classesBelowL).toBe(1);
    expect(r.rows.map((x) => x[0])).toEqual(['AB', 'AB', 'AB', 'AB', 'C', 'C']);
    expect(r.after?.passed).toBe(true);
  });

  it('the fixture file: spec-driven repair (every strategy finds the same levels here)', async () => {
    const dir = tmp();
    for (const strategy of ['optimal', 'greedy', 'datafly'] as const) {
      const out = join(dir, `${strategy}.csv`);
      const r = await repairFile({ input: join(FIX, 'students.csv'), output: out, spec: join(FIX, 'spec.json'), strategy });
      expect(r.written).toBe(true);
      expect(r.after).toMatchObject({ passed: true, k: 6, input: out });
      expect(Object.fromEntries(r.loss.perQi.map((q) => [q.qi, q.description]))).toEqual({
        school: 'original',
        grade: 'original',
        sex: '*',
        birth_date: 'year',
        zip: 'prefix 3',
      });
      const lines = readFileSync(out, 'utf8').trim().split('\n');
      expect(lines[0]).toBe('student_ref,school,grade,sex,birth_date,zip,frl,score');
      expect(lines[1]).toBe('r01,Adams,3,*,2015,021*,Y,310');
      expect(lines).toHaveLength(14);
      expect(statSync(out).mode & 0o777).toBe(0o600);
    }
    expect(readdirSync(dir).filter((f) => f.includes('p20link-tmp'))).toEqual([]);
  });
});

describe('repair: refusals', () => {
  it('refuses to write over its input (same path, a symlink, a hard link)', async () => {
    const dir = tmp();
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'a\n1\n1\n');
    symlinkSync(input, join(dir, 'sym.csv'));
    linkSync(input, join(dir, 'hard.csv'));
    for (const out of [input, join(dir, '.', 'in.csv'), join(dir, 'sym.csv'), join(dir, 'hard.csv')]) {
      await expect(repairFile({ input, output: out, qi: ['a'], k: 2 })).rejects.toMatchObject({ code: 'KCHECK_OVERWRITE', kind: 'input' });
    }
    expect(readFileSync(input, 'utf8')).toBe('a\n1\n1\n');
  });

  it('a value the hierarchy cannot place is refused with file, line and column; nothing is written', async () => {
    const dir = tmp();
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'age,sex\n21,F\n22,F\ntwenty,M\n');
    const out = join(dir, 'out.csv');
    const e = await repairFile({ input, output: out, qi: ['age'], k: 2, spec: { version: 1, hierarchies: { age: { type: 'interval', widths: [5] } } } }).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(P20Error);
    expect((e as P20Error).location).toEqual({ file: input, line: 4, field: 'age' });
    expect((e as P20Error).message).toMatch(/"twenty" is not a number/);
    expect(existsSync(out)).toBe(false);
  });

  it('an existing output is left untouched when no repair meets the requirements', async () => {
    const dir = tmp();
    const input = join(dir, 'in.csv');
    writeFileSync(input, 'sex\nF\nM\n');
    const out = join(dir, 'out.csv');
    writeFileSync(out, 'previous\n');
    const r = await repairFile({ input, output: out, qi: ['sex'], k: 3, maxSuppressedFraction: 1 });
    expect(r.written).toBe(false);
    expect(r.after).toBeNull();
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(readdirSync(dir).sort()).toEqual(['in.csv', 'out.csv']);
  });
});

describe('repair: properties', () => {
  const H = ['id', 'age', 'zip', 'sex', 'frl'];
  const spec: KCheckSpec = {
    version: 1,
    hierarchies: { age: { type: 'interval', widths: [2, 4, 8] }, zip: { type: 'prefix', keep: [4, 2] } },
  };
  const gens = {
    age: compileHierarchy('age', spec.hierarchies!.age, ['']),
    zip: compileHierarchy('zip', spec.hierarchies!.zip, ['']),
    sex: compileHierarchy('sex', undefined, ['']),
  };
  const row = fc.tuple(
    fc.integer({ min: 10, max: 25 }).map(String),
    fc.constantFrom('02139', '02141', '02451', '01002', '02139'),
    fc.constantFrom('F', 'M', 'X', ''),
    fc.constantFrom('Y', 'N', 'U'),
  );
  const data = fc.array(row, { minLength: 1, maxLength: 50 }).map((rs) => rs.map((r, i) => [`r${i}`, ...r])); // an empty file is bad input
  const distinctTuples = (rows: string[][]) => new Set(rows.map((r) => [r[1], r[2], r[3]].join('|'))).size;

  it('repaired rows satisfy k (and l), agree with a fresh check, and never add distinct QI tuples', () => {
    fc.assert(
      fc.property(
        data,
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(1, 2),
        fc.constantFrom('local', 'records'),
        fc.constantFrom('auto', 'optimal', 'greedy', 'datafly'),
        fc.constantFrom(0, 0.1, 1),
        (rows, k, l, suppression, strategy, frac) => {
          const settings = {
            spec,
            qi: ['age', 'zip', 'sex'],
            sensitive: l > 1 ? ['frl'] : [],
            k,
            l,
            suppression: suppression as 'local' | 'records',
            strategy: strategy as 'auto' | 'optimal' | 'greedy' | 'datafly',
            maxSuppressedFraction: frac,
          };
          const r = repairRows(H, rows, settings);
          // With no l requirement and a full suppression budget, a repair always exists when N ≥ k.
          if (l === 1 && frac === 1 && rows.length >= k) expect(r.written).toBe(true);
          // the planner never proposes a repair that its own re-check then rejects
          expect(r.reason ?? '').not.toMatch(/re-check/);
          if (!r.written) return;
          const check = kcheckRows(H, r.rows, settings, '<rows>', { allowEmpty: true }); // every record may have been dropped
          expect(check.passed).toBe(true);
          expect({ ...check, seconds: 0, input: '' }).toEqual({ ...r.after!, seconds: 0, input: '' });
          if (r.rows.length > 0) expect(check.k).toBeGreaterThanOrEqual(k);
          expect(distinctTuples(r.rows)).toBeLessThanOrEqual(distinctTuples(rows));
          expect(r.loss.suppressedRecords).toBeLessThanOrEqual(Math.floor(frac * rows.length + 1e-9));
          // rows keep their order and non-QI columns; each QI value is its generalization at the chosen level, or "*"
          const levels = Object.fromEntries(r.loss.perQi.map((q) => [q.qi, q.level]));
          const byId = new Map(rows.map((x) => [x[0], x]));
          if (suppression === 'local') expect(r.rows.map((x) => x[0])).toEqual(rows.map((x) => x[0]));
          else expect(r.rows.length).toBe(rows.length - r.loss.suppressedRecords);
          for (const out of r.rows) {
            const src = byId.get(out[0]!)!;
            expect(out[4]).toBe(src[4]);
            const suppressed = out[1] === '*' && out[2] === '*' && out[3] === '*';
            if (suppressed) continue;
            expect(out[1]).toBe(gens.age.apply(src[1]!, levels.age!));
            expect(out[2]).toBe(gens.zip.apply(src[2]!, levels.zip!));
            expect(out[3]).toBe(gens.sex.apply(src[3]!, levels.sex!));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a file that already passes is written unchanged', () => {
    fc.assert(
      fc.property(data, fc.integer({ min: 1, max: 4 }), (rows, k) => {
        const settings = { spec, qi: ['age', 'zip', 'sex'], k, maxSuppressedFraction: 0.5 };
        if (!kcheckRows(H, rows, settings).passed) return;
        const r = repairRows(H, rows, settings);
        expect(r.written).toBe(true);
        expect(r.rows).toEqual(rows);
        expect(r.loss).toMatchObject({ suppressedRecords: 0, precision: 1 });
      }),
      { numRuns: 60 },
    );
  });

  it('the optimal search loses no more precision than the greedy and Datafly walks', () => {
    fc.assert(
      fc.property(data, fc.integer({ min: 2, max: 5 }), fc.constantFrom(0, 0.1, 0.5), (rows, k, frac) => {
        const base = { spec, qi: ['age', 'zip', 'sex'], k, maxSuppressedFraction: frac };
        const opt = repairRows(H, rows, { ...base, strategy: 'optimal' });
        expect(opt.strategyUsed).toBe('optimal');
        expect(opt.latticeSize).toBe(5 * 4 * 2);
        for (const strategy of ['greedy', 'datafly'] as const) {
          const w = repairRows(H, rows, { ...base, strategy });
          if (w.written) {
            expect(opt.written).toBe(true);
            expect(opt.loss.precision).toBeGreaterThanOrEqual(w.loss.precision);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('repairFile writes what repairRows computes, and the file re-checks the same', async () => {
    const dir = tmp();
    const rows = fc.sample(data, { numRuns: 1, seed: 42 })[0]!.concat(fc.sample(data, { numRuns: 1, seed: 7 })[0]!);
    const input = join(dir, 'in.csv');
    writeFileSync(input, [H.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
    const settings = { spec, qi: ['age', 'zip', 'sex'], sensitive: ['frl'], k: 2, l: 2, maxSuppressedFraction: 0.3 };
    const mem = repairRows(H, rows, settings);
    const out = join(dir, 'out.csv');
    const file = await repairFile({ input, output: out, ...settings });
    expect(file.written).toBe(mem.written);
    expect(file.loss).toEqual(mem.loss);
    if (file.written) {
      const text = readFileSync(out, 'utf8');
      const parsed = (await parseCsvText(text, { file: out })).map((x) => x.fields);
      expect(parsed.slice(1)).toEqual(mem.rows);
      const again = await kcheckFile({ input: out, ...settings });
      expect({ ...again, seconds: 0 }).toEqual({ ...file.after!, seconds: 0 });
    }
  });
});
