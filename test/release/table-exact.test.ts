import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactSuppress } from '../../src/release/table/exact.js';
import { parseLinkedSpec, suppressLinked, type LinkedCellRef } from '../../src/release/table/linked.js';
import { suppressTable } from '../../src/release/table/index.js';
import { verdict, type Requirement } from '../../src/release/table/protect.js';
import { prepareTable } from '../../src/release/table/suppress.js';
import { attack, hierarchy, nWay, rateTable } from '../../bench/release-correctness.js';
import { mulberry32 } from '../../src/synth/prng.js';
import { additiveTable, type TestConstraint } from './table-helpers.js';
import { integerAttack } from './table-integer-helpers.js';

const N = 10;

/** Every hidden cell and hidden part's complement of a published table against the independent integer attacker. */
async function exposures(values: (number | null)[], cons: TestConstraint[], params: { minN: number; protection: 'threshold' | 'range' }): Promise<string[]> {
  const bad: string[] = [];
  const p = { ...params, protectZero: false };
  for (let c = 0; c < values.length; c++) {
    if (values[c] !== null) continue;
    const [lo, hi] = await integerAttack(values, cons, [c], [1]);
    const req: Requirement = { kind: 'cell', cell: c, cells: [c], coefs: [1] };
    const why = verdict(req, lo, hi, p, true);
    if (why) bad.push(`cell ${c}: [${lo}, ${hi}] ${why}`);
    for (const k of cons) {
      if (!k.parts.includes(c) || k.parts.length === 1) continue;
      const [a, b] = await integerAttack(values, cons, [k.total, c], [1, -1]);
      const w = verdict({ kind: 'complement', cell: c, cells: [k.total, c], coefs: [1, -1] }, a, b, p, true);
      if (w) bad.push(`complement of ${c} in total ${k.total}: [${a}, ${b}] ${w}`);
    }
  }
  // Published cells: never small, never a small complement.
  for (let c = 0; c < values.length; c++) {
    const v = values[c];
    if (v !== null && v !== undefined && v > 0 && v < params.minN) bad.push(`published small ${c}`);
  }
  for (const k of cons) {
    const t = values[k.total];
    if (t === null || t === undefined) continue;
    for (const x of k.parts) {
      const v = values[x];
      if (v !== null && v !== undefined && t - v > 0 && t - v < params.minN) bad.push(`published complement ${x}`);
    }
  }
  return bad;
}

describe('exact mode (exact.ts)', () => {
  it('protects the 3×3 table the greedy step refused (a0: 0,1,1 / a1: 1,10,11 / All: 1,11,12) with a minimum pattern', async () => {
    const header = ['a', 'b', 'count'];
    const rows = [
      ['a0', 'b0', '0'],
      ['a0', 'b1', '1'],
      ['a0', 'All', '1'],
      ['a1', 'b0', '1'],
      ['a1', 'b1', '10'],
      ['a1', 'All', '11'],
      ['All', 'b0', '1'],
      ['All', 'b1', '11'],
      ['All', 'All', '12'],
    ];
    const { table, settings } = prepareTable({ header, rows, minN: N });
    const r = await exactSuppress(table, settings);
    expect(r.optimal).toBe(true);
    const values = rows.map((x, i) => (r.hidden[i] ? null : Number(x[2])));
    // the two 1s are primary; every protecting pattern hides the whole table but the zero
    // or an equivalent; the exact search returns one the independent attacker cannot break
    expect(r.hidden[1]).toBe(1);
    expect(r.hidden[3]).toBe(1);
    const cons: TestConstraint[] = [
      { total: 2, parts: [0, 1] },
      { total: 5, parts: [3, 4] },
      { total: 8, parts: [6, 7] },
      { total: 6, parts: [0, 3] },
      { total: 7, parts: [1, 4] },
      { total: 8, parts: [2, 5] },
    ];
    expect(await exposures(values, cons, { minN: N, protection: 'threshold' })).toEqual([]);
    // and through suppress --method exact
    const s = await suppressTable({ header, rows, minN: N, method: 'exact' });
    expect(s.table.rows.map((x) => x[2] === '*')).toEqual(Array.from(r.hidden, (h) => h === 1));
    expect(s.report.method).toBe('exact');
    expect(s.report.optimal).toBe(true);
  });

  it('a table the greedy rounds give up on goes to the exact search before TABLE_UNPROTECTABLE (fallback), and is refused without it', async () => {
    const header = ['a', 'b', 'count'];
    const rows = [
      ['a0', 'b0', '0'],
      ['a0', 'b1', '1'],
      ['a0', 'All', '1'],
      ['a1', 'b0', '1'],
      ['a1', 'b1', '10'],
      ['a1', 'All', '11'],
      ['All', 'b0', '1'],
      ['All', 'b1', '11'],
      ['All', 'All', '12'],
    ];
    const cons: TestConstraint[] = [
      { total: 2, parts: [0, 1] },
      { total: 5, parts: [3, 4] },
      { total: 8, parts: [6, 7] },
      { total: 6, parts: [0, 3] },
      { total: 7, parts: [1, 4] },
      { total: 8, parts: [2, 5] },
    ];
    // maxRounds: 1 forces the heuristic's refusal path after its first audit (the first audit fails here).
    const s = await suppressTable({ header, rows, minN: N, method: 'heuristic', maxRounds: 1 });
    expect(s.report.exactFallback).toBe(true);
    expect(s.report.method).toBe('exact');
    const values = s.table.rows.map((x) => (x[2] === '*' ? null : Number(x[2])));
    expect(await exposures(values, cons, { minN: N, protection: 'threshold' })).toEqual([]);
    // Without the fallback (table above the exact size limit) the same path refuses, exit 1.
    await expect(suppressTable({ header, rows, minN: N, method: 'heuristic', maxRounds: 1, exactMaxCells: 4 })).rejects.toMatchObject({
      code: 'TABLE_UNPROTECTABLE',
    });
    // With unlimited rounds the heuristic protects it on its own (no fallback).
    const h = await suppressTable({ header, rows, minN: N, method: 'heuristic' });
    expect(h.report.exactFallback).toBeUndefined();
  });

  it('the exact pattern is never costlier than the heuristic and resists the independent integer attacker (random 2- and 3-way tables)', async () => {
    const arb = fc.record({
      sizes: fc.oneof(fc.constant([2, 3]), fc.constant([3, 3]), fc.constant([2, 2, 2])),
      leaves: fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 40 })), { minLength: 16, maxLength: 16 }),
      protection: fc.constant('threshold' as const),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ sizes, leaves, protection }) => {
        const t = additiveTable(sizes, leaves);
        const { table, settings } = prepareTable({ header: t.header, rows: t.rows, minN: N, protection });
        const ex = await exactSuppress(table, { ...settings, timeLimit: 30 });
        expect(ex.optimal).toBe(true);
        const values = t.values.map((v, i) => (ex.hidden[i] ? null : v));
        expect(await exposures(values, t.cons, { minN: N, protection })).toEqual([]);
        const h = await suppressTable({ header: t.header, rows: t.rows, minN: N, protection, method: 'heuristic' });
        expect(ex.hiddenCells).toBeLessThanOrEqual(h.report.cost.hiddenCells);
        // auto (the default): the cheaper of the two, never costlier than the heuristic; optimal when it took the exact one
        const a = await suppressTable({ header: t.header, rows: t.rows, minN: N, protection, exactTimeLimit: 30 });
        expect(a.report.cost.hiddenCells).toBeLessThanOrEqual(h.report.cost.hiddenCells);
        if (a.report.method === 'exact') expect(a.report.cost.hiddenCells).toBe(ex.hiddenCells);
        const av = t.values.map((v, i) => (a.table.rows[i]![t.header.length - 1] === '*' ? null : v));
        expect(await exposures(av, t.cons, { minN: N, protection })).toEqual([]);
      }),
      { numRuns: 3, seed: 20261203 },
    );
  });

  it('suppress output resists the bench attacker on random rate tables, hierarchies and 4-way tables (exact integer bounds, rate bands)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.constantFrom('rates', 'hierarchy', '4-way'), async (seed, kind) => {
        const rand = mulberry32(seed);
        const c = kind === 'rates' ? rateTable(rand) : kind === '4-way' ? nWay(rand, [2, 2, 2, 2], false, '4-way') : hierarchy(rand);
        const r = await suppressTable({ header: c.header, rows: c.rows, spec: c.spec, minN: N });
        expect(await attack(c, r.table.rows, r.report.marker)).toEqual([]);
      }),
      { numRuns: 3, seed: 20261204 },
    );
  });
});

describe('linked tables (linked.ts): one attacker over all of them', () => {
  // The same 98 students by school (A) and by school × program (B); the school totals are the same cells.
  const A = { name: 'by-school', header: ['school', 'count'], rows: [['S0', '5'], ['S1', '63'], ['S2', '30'], ['All', '98']] };
  const B = {
    name: 'by-program',
    header: ['school', 'program', 'count'],
    rows: [
      ['S0', 'P', '3'], ['S0', 'Q', '2'], ['S0', 'All', '5'],
      ['S1', 'P', '24'], ['S1', 'Q', '39'], ['S1', 'All', '63'],
      ['S2', 'P', '29'], ['S2', 'Q', '1'], ['S2', 'All', '30'],
      ['All', 'P', '56'], ['All', 'Q', '42'], ['All', 'All', '98'],
    ],
  };
  const links = ['S0', 'S1', 'S2', 'All'].map((s): { cells: LinkedCellRef[] } => ({
    cells: [
      { table: 'by-school', where: { school: s } },
      { table: 'by-program', where: { school: s, program: 'All' } },
    ],
  }));
  // The attacker's view of both tables: A = cells 0–3, B = cells 4–15, links as equalities.
  const cons: TestConstraint[] = [
    { total: 3, parts: [0, 1, 2] },
    { total: 6, parts: [4, 5] },
    { total: 9, parts: [7, 8] },
    { total: 12, parts: [10, 11] },
    { total: 15, parts: [13, 14] },
    { total: 13, parts: [4, 7, 10] },
    { total: 14, parts: [5, 8, 11] },
    { total: 15, parts: [6, 9, 12] },
    { total: 0, parts: [6] },
    { total: 1, parts: [9] },
    { total: 2, parts: [12] },
    { total: 3, parts: [15] },
  ];
  const both = (a: string[][], b: string[][]): (number | null)[] => [...a.map((x) => x[1]!), ...b.map((x) => x[2]!)].map((v) => (v === '*' ? null : Number(v)));

  it('each table protected on its own leaks through the other (98 − 63 − 30 = 5); suppressed jointly nothing leaks', async () => {
    const sa = await suppressTable({ header: A.header, rows: A.rows, minN: N, method: 'exact' });
    const sb = await suppressTable({ header: B.header, rows: B.rows, minN: N, method: 'exact' });
    expect(sa.table.rows.map((x) => x[1])).toEqual(['*', '63', '*', '98']);
    expect(sb.table.rows[8]![2]).toBe('30'); // S2's total, hidden in A, is published in B
    const separately = await exposures(both(sa.table.rows, sb.table.rows), cons, { minN: N, protection: 'threshold' });
    expect(separately.some((x) => x.startsWith('cell 0:'))).toBe(true);

    const r = await suppressLinked([A, B], links, { minN: N });
    expect(r.optimal).toBe(true);
    const [ta, tb] = r.tables;
    // A linked cell is hidden in both tables or in neither.
    ['S0', 'S1', 'S2', 'All'].forEach((_, i) => expect(ta!.rows[i]![1] === '*').toBe(tb!.rows[3 * i + 2]![2] === '*'));
    expect(await exposures(both(ta!.rows, tb!.rows), cons, { minN: N, protection: 'threshold' })).toEqual([]);
  });

  it('refuses links that select no row or cells that differ, and malformed specs (exit 2)', async () => {
    await expect(suppressLinked([A, B], [{ cells: [{ table: 'by-school', where: { school: 'S9' } }, links[0]!.cells[1]!] }], { minN: N })).rejects.toMatchObject({
      code: 'TABLE_SPEC',
      kind: 'input',
    });
    await expect(suppressLinked([A, B], [{ cells: [{ table: 'by-school', where: { school: 'S1' } }, links[0]!.cells[1]!] }], { minN: N })).rejects.toMatchObject({
      code: 'TABLE_TOTALS',
      kind: 'input',
    });
    expect(() => parseLinkedSpec({ version: 1, tables: [{ name: 'a' }], links: [] })).toThrow(/at least two tables/);
    expect(() => parseLinkedSpec({ version: 1, tables: [{ name: 'a' }, { name: 'b' }], links: [{ cells: [{ table: 'c', where: { x: '1' } }, { table: 'a', where: { x: '1' } }] }] })).toThrow(/unknown table/);
  });
});
