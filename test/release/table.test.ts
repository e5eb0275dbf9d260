import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auditTable,
  loadTableSpec,
  parseTableSpec,
  readTableCsv,
  suppressTable,
  TABLE_SPEC_SCHEMA,
  type SuppressResult,
} from '../../src/release/table/index.js';
import { isP20Error } from '../../src/errors.js';
import { attackerBounds, type TestConstraint } from './table-helpers.js';

const FIX = resolve(process.cwd(), 'test/fixtures/release/table');
const fx = (f: string): string => resolve(FIX, f);

async function suppressFixture(csv: string, spec?: string, extra: Record<string, unknown> = {}): Promise<SuppressResult> {
  const t = await readTableCsv(fx(csv));
  return suppressTable({ file: csv, ...t, ...(spec ? { spec: await loadTableSpec(fx(spec)) } : {}), reportHiddenValues: true, ...extra });
}
const hiddenRows = (r: SuppressResult): number[] => r.report.hidden.filter((h) => h.column === r.report.hidden[0]?.column).map((h) => h.row);

describe('suppress: hand-worked cases', () => {
  it('2×2 with totals: one small cell (3) forces exactly 3 interior complements', async () => {
    const r = await suppressFixture('two-by-two.csv');
    const out = r.table.rows.map((x) => x.join(','));
    expect(out).toEqual(['r1,c1,*', 'r1,c2,*', 'r1,All,23', 'r2,c1,*', 'r2,c2,*', 'r2,All,55', 'All,c1,18', 'All,c2,60', 'All,All,78']);
    expect(r.report.hidden.map((h) => [h.row, h.reason])).toEqual([
      [0, 'primary-small'],
      [1, 'secondary'],
      [3, 'secondary'],
      [4, 'secondary'],
    ]);
    expect(r.report.cost).toEqual({ secondaryCells: 3, secondaryTotal: 75, hiddenCells: 4, hiddenTotal: 78 });
    // a = 3 can be anything in [0, min(row total, column total)] = [0, 18]: both sides of n = 10.
    const cons: TestConstraint[] = [
      { total: 2, parts: [0, 1] },
      { total: 5, parts: [3, 4] },
      { total: 8, parts: [6, 7] },
      { total: 6, parts: [0, 3] },
      { total: 7, parts: [1, 4] },
      { total: 8, parts: [2, 5] },
    ];
    const published = r.table.rows.map((x) => (x[2] === '*' ? null : Number(x[2])));
    expect(await attackerBounds(published, cons, 0)).toEqual([0, 18]);
  });

  it('98 of 100 proficient (proficient ⊂ tested, remainder unpublished): the 98 is primary-complement', async () => {
    const r = await suppressFixture('proficient.csv', 'proficient.spec.json');
    expect(r.table.rows.map((x) => x.join(','))).toEqual(['A,tested,100', 'A,proficient,*', 'B,tested,50', 'B,proficient,20']);
    expect(r.report.hidden).toHaveLength(1);
    expect(r.report.hidden[0]).toMatchObject({ row: 1, reason: 'primary-complement', value: 98, lower: 0, upper: 100 });
  });

  it('98 + 2 = 100 as a complete partition: the 2 is primary-small, one complement hides the 98', async () => {
    const r = await suppressTable({ header: ['level', 'n'], rows: [['proficient', '98'], ['not proficient', '2'], ['All', '100']] });
    expect(r.table.rows.map((x) => x[1])).toEqual(['*', '*', '100']);
    expect(r.report.hidden.map((h) => h.reason)).toEqual(['secondary', 'primary-small']);
  });

  it('hierarchy school → district → state in one column: complements stay inside the district', async () => {
    // The greedy rounds close the rectangle with S2 (30 + 25 + 22 = 77 hidden) ...
    const h = await suppressFixture('hierarchy.csv', 'hierarchy.spec.json', { method: 'heuristic' });
    const hiddenH = h.table.rows.filter((x) => x[2] === '*').map((x) => `${x[0]}/${x[1]}`);
    expect(hiddenH.sort()).toEqual(['S1/3', 'S1/4', 'S2/3', 'S2/4']);
    expect(h.report.cost.secondaryTotal).toBe(30 + 25 + 22);
    expect(h.report.method).toBeUndefined();
    // ... the default (auto) runs the exact search on this small table and keeps its cheaper pattern: S3 (30 + 18 + 26 = 74).
    const r = await suppressFixture('hierarchy.csv', 'hierarchy.spec.json');
    const hidden = r.table.rows.filter((x) => x[2] === '*').map((x) => `${x[0]}/${x[1]}`);
    // S1/3 pins S1's grade total and D1's grade-3 total; the cheapest closing rectangle stays in D1.
    expect(hidden.sort()).toEqual(['S1/3', 'S1/4', 'S3/3', 'S3/4']);
    expect(r.report.counts).toMatchObject({ 'primary-small': 1, secondary: 3 });
    expect(r.report.cost.secondaryTotal).toBe(30 + 18 + 26);
    expect(r.report).toMatchObject({ method: 'exact', optimal: true });
    // A time-out of the exact search keeps the greedy pattern (it passed the same rule).
    const t = await suppressFixture('hierarchy.csv', 'hierarchy.spec.json', { exactTimeLimit: 0 });
    expect(t.table.rows).toEqual(h.table.rows);
    expect(t.report.method).toBeUndefined();
    const a = await auditTable({ header: r.table.header, rows: r.table.rows, spec: await loadTableSpec(fx('hierarchy.spec.json')) });
    expect(a.ok).toBe(true);
    const s1g3 = a.cells.find((c) => c.row === 0)!;
    expect(s1g3.lower).toBe(0);
    expect(s1g3.upper).toBeGreaterThanOrEqual(10);
  });

  it('rates: hidden with a small denominator, top/bottom coded otherwise', async () => {
    const r = await suppressFixture('rates.csv', 'rates.spec.json', { topCode: 95, bottomCode: 5 });
    const byKey = new Map(r.table.rows.map((x) => [`${x[0]}/${x[1]}`, x]));
    expect(byKey.get('A/4')).toEqual(['A', '4', '*', '*']);
    expect(byKey.get('A/3')![3]).toMatch(/^(>95|\*)$/);
    expect(byKey.get('B/3')![3]).toMatch(/^(<5|\*)$/);
    const rateA4 = r.report.hidden.find((h) => h.column === 'pct_proficient' && h.row === 1);
    expect(rateA4?.reason).toBe('primary-denominator');
    // every rate whose count is hidden is hidden too
    for (const x of r.table.rows) if (x[2] === '*') expect(x[3]).toBe('*');
    expect(hiddenRows(r).length).toBeGreaterThanOrEqual(4);
  });

  it('--protect-zero hides zero counts too; by default zeros are published', async () => {
    const rows = [
      ['a', '0'],
      ['b', '30'],
      ['c', '25'],
      ['All', '55'],
    ];
    const def = await suppressTable({ header: ['g', 'n'], rows });
    expect(def.report.hidden).toHaveLength(0);
    const pz = await suppressTable({ header: ['g', 'n'], rows, protectZero: true });
    expect(pz.table.rows[0]![1]).toBe('*');
    expect(pz.report.hidden.map((h) => h.reason)).toEqual(['primary-small', 'secondary']);
  });

  it('range protection is at least as strict as threshold', async () => {
    const t = await readTableCsv(fx('hierarchy.csv'));
    const spec = await loadTableSpec(fx('hierarchy.spec.json'));
    const a = await suppressTable({ ...t, spec, protection: 'threshold' });
    const b = await suppressTable({ ...t, spec, protection: 'range' });
    expect(b.report.cost.hiddenCells).toBeGreaterThanOrEqual(a.report.cost.hiddenCells);
  });
});

describe('audit-table', () => {
  it('a naive table with only primary suppression is recoverable (exact)', async () => {
    const t = await readTableCsv(fx('two-by-two.csv'));
    const rows = t.rows.map((x) => (x[2] === '3' ? [x[0]!, x[1]!, '*'] : x));
    const a = await auditTable({ header: t.header, rows });
    expect(a.ok).toBe(false);
    expect(a.cells).toEqual([{ row: 0, line: 2, col: 'n', lower: 3, upper: 3, exact: true, recoverable: true, why: 'exact' }]);
  });

  it('default bounds are proven inner ranges; --exact-bounds gives the LP optima, which contain them', async () => {
    const t = await readTableCsv(fx('hierarchy.csv'));
    const spec = await loadTableSpec(fx('hierarchy.spec.json'));
    const r = await suppressTable({ ...t, spec, method: 'heuristic' });
    const quick = await auditTable({ header: r.table.header, rows: r.table.rows, spec });
    const exact = await auditTable({ header: r.table.header, rows: r.table.rows, spec, exactBounds: true });
    expect(exact.ok).toBe(true);
    expect(exact.cells.every((c) => c.exact)).toBe(true);
    expect(exact.cells.map((c) => [c.line, c.lower, c.upper])).toEqual([
      // a + b = 34, c + d = 47, a + c = 47 − 18, b + d = 78 − 26  ⇒  a ∈ [0, 29]
      [2, 0, 29],
      [3, 5, 34],
      [5, 0, 29],
      [6, 18, 47],
    ]);
    quick.cells.forEach((c, i) => {
      expect(c.lower).toBeGreaterThanOrEqual(exact.cells[i]!.lower);
      expect(c.upper).toBeLessThanOrEqual(exact.cells[i]!.upper);
    });
  });

  it('flags a hidden cell whose bounds show it is small', async () => {
    // a + b = 12 with both hidden, but b ≤ 8 via another published total → a ∈ [4, 12]: fine; pin a to [2, 5]:
    const header = ['r', 'c', 'n'];
    const rows = [
      ['r1', 'c1', '*'], // 3
      ['r1', 'c2', '*'], // 2
      ['r1', 'All', '5'],
      ['r2', 'c1', '20'],
      ['r2', 'c2', '30'],
      ['r2', 'All', '50'],
      ['All', 'c1', '23'],
      ['All', 'c2', '32'],
      ['All', 'All', '55'],
    ];
    const a = await auditTable({ header, rows });
    expect(a.ok).toBe(false);
    expect(a.cells.map((c) => [c.lower, c.upper, c.recoverable])).toEqual([
      [3, 3, true],
      [2, 2, true],
    ]);
  });
});

describe('bad input', () => {
  it('non-numeric count: error names file, line and column', async () => {
    const t = await readTableCsv(fx('bad-count.csv'));
    const e = await suppressTable({ file: 'bad-count.csv', ...t }).catch((x: unknown) => x);
    expect(isP20Error(e)).toBe(true);
    expect((e as Error).message).toBe('bad-count.csv, line 3, field "n": count "twenty" is not a number');
  });

  it('negative and fractional counts are refused', async () => {
    for (const [v, msg] of [
      ['-4', /negative/],
      ['4.5', /whole number/],
      ['', /empty/],
    ] as const) {
      const e = await suppressTable({ header: ['g', 'n'], rows: [['a', v], ['All', '4']] }).catch((x: unknown) => x);
      expect((e as { code?: string }).code).toBe('TABLE_COUNT');
      expect((e as Error).message).toMatch(msg);
    }
  });

  it('totals that do not add up: every violation reported with expected vs found, nothing guessed', async () => {
    const t = await readTableCsv(fx('bad-totals.csv'));
    const e = await suppressTable({ file: 'bad-totals.csv', ...t }).catch((x: unknown) => x);
    expect((e as { code?: string }).code).toBe('TABLE_TOTALS');
    const m = (e as Error).message;
    expect(m).toMatch(/^bad-totals\.csv, line 10: 2 total\(s\) do not match/);
    expect(m).toContain('bad-totals.csv:4: total 33 along "col" but its 2 part(s) (lines 2, 3) add up to 32');
    expect(m).toContain('bad-totals.csv:10: total 87 along "row" but its 2 part(s) (lines 4, 7) add up to 88');
  });

  it('duplicate dimension combinations and unknown spec properties are refused', async () => {
    const e = await suppressTable({ header: ['g', 'n'], rows: [['a', '4'], ['a', '5']] }).catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/line 3: same dimension values as line 2/);
    expect(() => parseTableSpec({ version: 1, count: 'n', dimensions: [{ column: 'g', totl: 'All' }] }, 's.json')).toThrow(/unknown property "totl"/);
    expect(() => parseTableSpec({ version: 1, count: 'n', dimensions: [{ column: 'g', parents: { a: 'b', b: 'a' } }] }, 's.json')).toThrow(/loops/);
  });

  it('a published table contradicting its totals is refused by the audit', async () => {
    const e = await auditTable({ header: ['g', 'n'], rows: [['a', '*'], ['b', '30'], ['All', '20']] }).catch((x: unknown) => x);
    expect((e as { code?: string }).code).toBe('TABLE_TOTALS');
  });
});

describe('spec schema', () => {
  it('protocols/table-spec.schema.json equals the schema the code validates with', () => {
    const published = JSON.parse(readFileSync(resolve(process.cwd(), 'protocols/table-spec.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(TABLE_SPEC_SCHEMA)));
  });
});
