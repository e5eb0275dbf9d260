import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P20Error } from '../../src/errors.js';
import { kcheckFile, kcheckRows } from '../../src/release/index.js';

const H = ['school', 'grade', 'sex', 'score', 'frl'];
// Classes over (school, grade, sex):
//   A|3|F: 3 records, score {pass, fail, pass}, frl {Y, Y, Y}
//   A|3|M: 2 records, score {pass, pass},       frl {Y, N}
//   B|4|F: 1 record,  score {fail},             frl {N}
const ROWS = [
  ['A', '3', 'F', 'pass', 'Y'],
  ['A', '3', 'F', 'fail', 'Y'],
  ['A', '3', 'F', 'pass', 'Y'],
  ['A', '3', 'M', 'pass', 'Y'],
  ['A', '3', 'M', 'pass', 'N'],
  ['B', '4', 'F', 'fail', 'N'],
];
const QI = ['school', 'grade', 'sex'];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'p20-kanon-'));
}

describe('kcheck: hand-worked cases', () => {
  it('k, classes and records below k, size histogram', () => {
    const r = kcheckRows(H, ROWS, { qi: QI, k: 2 });
    expect(r.rows).toBe(6);
    expect(r.k).toBe(1);
    expect(r.classes).toBe(3);
    expect(r.classesBelowK).toBe(1);
    expect(r.recordsBelowK).toBe(1);
    expect(r.smallSizes).toEqual([{ size: 1, classes: 1, records: 1 }]);
    // below k one by one; then [2,3] holds the classes of size 2 and 3
    expect(r.histogram).toEqual([
      { from: 1, to: 1, classes: 1, records: 1 },
      { from: 2, to: 3, classes: 2, records: 5 },
    ]);
    expect(r.passed).toBe(false);
    expect(r.failures).toHaveLength(1);
  });

  it('k = 1 passes with required k = 1; dropping a QI merges classes', () => {
    expect(kcheckRows(H, ROWS, { qi: QI, k: 1 }).passed).toBe(true);
    const r = kcheckRows(H, ROWS, { qi: ['school'], k: 2 });
    expect(r.classes).toBe(2);
    expect(r.k).toBe(1);
    const g = kcheckRows(H, ROWS, { qi: ['grade', 'school'], k: 1 });
    expect(g.classes).toBe(2);
  });

  it('distinct l-diversity per sensitive attribute', () => {
    const r = kcheckRows(H, ROWS, { qi: QI, sensitive: ['score', 'frl'], k: 1, l: 2 });
    const [score, frl] = r.diversity;
    // score: A|3|F has 2 values, A|3|M has 1, B|4|F has 1
    expect(score).toMatchObject({ attribute: 'score', distinctL: 1, classesBelowL: 2, recordsBelowL: 3, entropyL: null });
    // frl: A|3|F has 1 value (all Y), A|3|M 2, B|4|F 1
    expect(frl).toMatchObject({ attribute: 'frl', distinctL: 1, classesBelowL: 2, recordsBelowL: 4 });
    expect(r.passed).toBe(false);
    expect(r.failures).toHaveLength(2);
    // with l = 1 every class is trivially 1-diverse
    expect(kcheckRows(H, ROWS, { qi: QI, sensitive: ['score'], k: 1, l: 1 }).passed).toBe(true);
  });

  it('entropy l-diversity: exp(H) of {pass, pass, fail} is 1.889882', () => {
    const rows = ROWS.filter((r) => r[2] === 'F' && r[0] === 'A');
    const r = kcheckRows(H, rows, { qi: QI, sensitive: ['score'], k: 1, l: 2, entropyL: true });
    const expected = Math.exp(-((2 / 3) * Math.log(2 / 3) + (1 / 3) * Math.log(1 / 3)));
    expect(r.diversity[0]!.entropyL).toBeCloseTo(expected, 5);
    expect(r.diversity[0]!.distinctL).toBe(2);
    // distinct l = 2 is met, entropy l = 1.89 is not
    expect(r.passed).toBe(false);
    expect(r.diversity[0]!.classesBelowL).toBe(1);
    expect(kcheckRows(H, rows, { qi: QI, sensitive: ['score'], k: 1, l: 2 }).passed).toBe(true);
  });

  it('distinct values are counted up to a cap and reported as a lower bound', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ['A', '3', 'F', String(i), 'Y']);
    const r = kcheckRows(H, rows, { qi: QI, sensitive: ['score'], k: 5, l: 2 });
    expect(r.diversity[0]).toMatchObject({ distinctL: 10, distinctLCapped: true, classesBelowL: 0 });
    expect(r.passed).toBe(true);
  });

  it('an empty file is bad input (exit 2), never a pass with k = 0', () => {
    expect(() => kcheckRows(H, [], { qi: QI, k: 5 })).toThrow(expect.objectContaining({ code: 'KCHECK_EMPTY', kind: 'input' }));
  });

  it('file and in-memory checks agree; quoted fields are values like any other', async () => {
    const dir = tmp();
    const f = join(dir, 'a.csv');
    writeFileSync(f, [H.join(','), ...ROWS.map((r) => r.join(',')), '"A","3","F","pass","N"'].join('\n') + '\n');
    const file = await kcheckFile({ input: f, qi: QI, sensitive: ['frl'], k: 2, l: 2 });
    const mem = kcheckRows(H, [...ROWS, ['A', '3', 'F', 'pass', 'N']], { qi: QI, sensitive: ['frl'], k: 2, l: 2 });
    expect({ ...file, input: '', seconds: 0 }).toEqual({ ...mem, input: '', seconds: 0 });
    expect(file.diversity[0]!.classesBelowL).toBe(1); // only B|4|F now
  });
});

describe('kcheck: listing small classes', () => {
  it('lists QI values of too-small classes only when asked', async () => {
    const dir = tmp();
    const f = join(dir, 'a.csv');
    writeFileSync(f, [H.join(','), ...ROWS.map((r) => r.join(','))].join('\n') + '\n');
    const quiet = await kcheckFile({ input: f, qi: QI, k: 3 });
    expect(quiet.smallClasses).toBeUndefined();
    expect(JSON.stringify(quiet)).not.toContain('"B"');
    const r = await kcheckFile({ input: f, qi: QI, k: 3, listSmall: 5 });
    expect(r.smallClasses).toEqual([
      { size: 2, values: { school: 'A', grade: '3', sex: 'M' } },
      { size: 1, values: { school: 'B', grade: '4', sex: 'F' } },
    ]);
  });
});

describe('kcheck: refusals', () => {
  it('a missing QI column names the file and the column', async () => {
    const dir = tmp();
    const f = join(dir, 'a.csv');
    writeFileSync(f, 'school,grade\nA,3\n');
    const e = await kcheckFile({ input: f, qi: ['school', 'race'], k: 2 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(P20Error);
    expect((e as P20Error).code).toBe('KCHECK_COLUMN');
    expect((e as P20Error).location).toMatchObject({ file: f, field: 'race' });
    expect((e as P20Error).message).toContain('"race"');
    expect((e as P20Error).kind).toBe('input');
  });

  it('a missing sensitive column, a column both QI and sensitive, no QIs, bad k', () => {
    expect(() => kcheckRows(H, ROWS, { qi: QI, sensitive: ['gpa'] })).toThrow(/sensitive column "gpa"/);
    expect(() => kcheckRows(H, ROWS, { qi: QI, sensitive: ['sex'] })).toThrow(/both quasi-identifier and sensitive/);
    expect(() => kcheckRows(H, ROWS, { qi: [] })).toThrow(/no quasi-identifiers/);
    expect(() => kcheckRows(H, ROWS, { qi: QI, k: 0 })).toThrow(/whole number/);
    expect(() => kcheckRows(H, ROWS, { qi: QI, k: 2.5 })).toThrow(/whole number/);
    expect(() => kcheckRows(H, ROWS, { qi: QI, l: 3 })).toThrow(/needs at least one sensitive/);
  });

  it('a ragged row is refused with its line', async () => {
    const dir = tmp();
    const f = join(dir, 'a.csv');
    writeFileSync(f, 'school,grade\nA,3\nB\n');
    await expect(kcheckFile({ input: f, qi: ['school'], k: 1 })).rejects.toMatchObject({ code: 'CSV_ROW_WIDTH', location: { line: 3 } });
    expect(() => kcheckRows(['a', 'b'], [['1']], { qi: ['a'] })).toThrow(P20Error);
  });
});

describe('kcheck: properties', () => {
  const row = fc.tuple(fc.constantFrom('A', 'B', 'C'), fc.constantFrom('3', '4'), fc.constantFrom('F', 'M'), fc.constantFrom('x', 'y', 'z'), fc.constantFrom('Y', 'N'));
  const settings = { qi: QI, sensitive: ['score', 'frl'], k: 3, l: 2, entropyL: true };
  const strip = (r: ReturnType<typeof kcheckRows>) => ({ ...r, seconds: 0, input: '' });

  it('is invariant under row order', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 60 }), fc.integer(), (rows, seed) => {
        const shuffled = [...rows];
        let s = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const a = strip(kcheckRows(H, rows, settings));
        const b = strip(kcheckRows(H, shuffled, settings));
        // entropies are sums in a different order: compare rounded (they are rounded to 1e-6 already)
        expect(b).toEqual(a);
      }),
      { numRuns: 100 },
    );
  });

  it('matches a brute-force count of classes', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (rows, k) => {
        const sizes = new Map<string, number>();
        for (const r of rows) sizes.set(r.slice(0, 3).join('|'), (sizes.get(r.slice(0, 3).join('|')) ?? 0) + 1);
        const r = kcheckRows(H, rows, { qi: QI, k });
        expect(r.classes).toBe(sizes.size);
        expect(r.k).toBe(Math.min(...sizes.values()));
        expect(r.recordsBelowK).toBe([...sizes.values()].filter((n) => n < k).reduce((a, b) => a + b, 0));
        expect(r.histogram.reduce((a, b) => a + b.records, 0)).toBe(rows.length);
        expect(r.passed).toBe(r.k >= k);
      }),
      { numRuns: 100 },
    );
  });
});
