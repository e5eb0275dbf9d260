import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attack, nWay } from '../../bench/release-correctness.js';
import { auditTable, buildCountTable, inferTableSpec, suppressTable } from '../../src/release/table/index.js';
import { mulberry32 } from '../../src/synth/prng.js';
import { ComponentMip, integerBounds, verifyRequirementsInteger, type ModelRow } from '../../src/release/table/integer.js';
import { ComponentLp, getHighs } from '../../src/release/table/lp.js';
import { auditComponent, hiddenComponents, verdict, type ProtectParams } from '../../src/release/table/protect.js';
import { componentRequirements } from '../../src/release/table/requirements.js';
import type { CountTable } from '../../src/release/table/types.js';
import { additiveTable, type TestConstraint } from './table-helpers.js';
import { integerAttack } from './table-integer-helpers.js';

const N = 10;

/** Cells of a published table (marker = hidden) as a CountTable. */
function published(header: string[], rows: string[][]): CountTable {
  return buildCountTable({ file: 't', header, rows }, inferTableSpec(header, rows, 't'), '*');
}

const row = (vars: number[], coefs: number[], rhs: number, exact = true): ModelRow => ({ vars, coefs, rhs, exact });

describe('integer attacker bounds (integer.ts)', () => {
  it('integerBounds: the integer optimum is below the LP optimum when the LP vertex is fractional', async () => {
    const highs = await getHighs();
    // 2x0 + 2x1 ≤ 19 (as −2x0 − 2x1 ≥ −19): LP max of x0 + x1 is 9.5, integer max 9.
    const rows = [row([0, 1], [-2, -2], -19, false)];
    const lp = new ComponentLp(highs, 2, rows);
    expect(lp.optimize({ constant: 0, vars: [0, 1], coefs: [1, 1] }, -1).value).toBeCloseTo(9.5);
    lp.dispose();
    const r = await integerBounds(highs, 2, rows, { constant: 0, vars: [0, 1], coefs: [1, 1] }, -1);
    expect(r.status).toBe('optimal');
    expect(r.value).toBe(9);
    expect(r.bound).toBe(9);
    expect(Math.round(r.point![0]! + r.point![1]!)).toBe(9);
    const m = await integerBounds(highs, 2, rows, { constant: 3, vars: [0], coefs: [1] }, 1);
    expect(m.value).toBe(3);
  });

  it('unbounded and inconsistent models', async () => {
    const highs = await getHighs();
    // x0 − x1 = 0 (free to grow together)
    const mip = new ComponentMip(highs, 2, [row([0, 1], [1, -1], 0)]);
    mip.knowFeasible([0, 0]);
    expect(mip.optimize({ constant: 0, vars: [0], coefs: [1] }, -1)).toMatchObject({ status: 'unbounded', value: Infinity });
    expect(mip.optimize({ constant: 0, vars: [0], coefs: [1] }, 1)).toMatchObject({ status: 'optimal', value: 0 });
    mip.dispose();
    // 2x0 = 3 has no whole-number solution (the LP has one): inconsistent for the integer attacker.
    await expect(integerBounds(highs, 1, [row([0], [2], 3)], { constant: 0, vars: [0], coefs: [1] }, 1)).rejects.toMatchObject({ code: 'TABLE_INCONSISTENT', kind: 'input' });
  });

  it('caps give witnesses, not bounds; an infeasible capped model yields no point', async () => {
    const highs = await getHighs();
    const mip = new ComponentMip(highs, 2, [row([0, 1], [1, 1], 20)]);
    const capped = mip.optimize({ constant: 0, vars: [0], coefs: [1] }, -1, { vars: [0], upper: [12] });
    expect(capped.status).toBe('limit');
    expect(capped.value).toBe(12);
    const none = mip.optimize({ constant: 0, vars: [0], coefs: [1] }, -1, { vars: [0, 1], upper: [5, 5] });
    expect(none.point).toBeUndefined();
    expect(mip.optimize({ constant: 0, vars: [0], coefs: [1] }, -1)).toMatchObject({ status: 'optimal', value: 20 });
    mip.dispose();
  });
});

/**
 * Two 4-way tables (all margins) as an LP-only suppress published them: the
 * count column in row order of `additiveTable(sizes, …)`, "*" = hidden.
 */
const FOUR_WAY_A = {
  sizes: [3, 3, 2, 2],
  counts:
    '*,*,*,*,*,*,*,*,*,*,*,27,*,*,*,*,25,*,*,*,*,*,*,*,*,*,65,*,*,70,24,*,*,*,74,*,*,*,*,*,*,*,*,*,34,*,*,*,*,*,*,*,*,50,*,*,*,*,0,*,31,*,*,*,*,75,*,*,*,100,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,19,18,*,*,*,*,*,0,*,*,*,*,*,*,*,*,*,*,*,*,*,51,29,*,*,*,*,*,*,*,60,*,*,*,58,*,*,*,*,114,*,40,*,20,*,*,*,*,113,*,79,*,*,33,*,175,112,287',
};
const FOUR_WAY_B = {
  sizes: [2, 2, 2, 3],
  counts:
    '*,*,*,29,*,*,*,*,38,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,30,*,*,*,*,*,*,94,*,*,*,*,*,*,0,55,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,*,31,*,92,*,*,*,*,51,*,*,*,*,34,*,120,*,*,*,*,*,*,*,*,*,*,30,66,*,*,24,65,*,37,*,121,88,*,*,186',
};

function fourWay(fx: { sizes: number[]; counts: string }): { header: string[]; rows: string[][]; cons: TestConstraint[]; values: (number | null)[] } {
  const t = additiveTable(fx.sizes, [0]);
  const counts = fx.counts.split(',');
  expect(counts.length).toBe(t.rows.length);
  const rows = t.rows.map((r, i) => [...r.slice(0, -1), counts[i]!]);
  return { header: t.header, rows, cons: t.cons, values: counts.map((v) => (v === '*' ? null : Number(v))) };
}

/** LP outcome and integer outcome of the `cell` requirement of `cell` in an audit of the published table. */
async function lpAndInteger(fx: { sizes: number[]; counts: string }, cell: number, params: ProtectParams) {
  const highs = await getHighs();
  const f = fourWay(fx);
  const t = published(f.header, f.rows);
  const hidden = new Uint8Array(t.rows.length).map((_, i) => (Number.isNaN(t.counts[i]!) ? 1 : 0));
  const comp = hiddenComponents(t, hidden).find((c) => c.includes(cell))!;
  const reqs = componentRequirements(t, hidden, comp, params);
  const stats = { solves: 0 };
  const lpOut = auditComponent(highs, t, hidden, comp, reqs, params, stats, { truth: false, full: false });
  const intOut = verifyRequirementsInteger(highs, t, comp, lpOut, params, stats, { truth: false });
  const i = reqs.findIndex((r) => r.kind === 'cell' && r.cell === cell);
  const indep = await integerAttack(f.values, f.cons, [cell], [1]);
  return { lp: lpOut[i]!, int: intOut[i]!, indep, stats };
}

describe('4-way tables: the LP proof is not enough, the integer check catches it', () => {
  it('a hidden cell whose LP maximum is 31 has integer maximum 30 (n = 31: LP passes, integers fail)', async () => {
    const params: ProtectParams = { minN: 31, protectZero: false, protection: 'threshold' };
    const { lp, int, indep, stats } = await lpAndInteger(FOUR_WAY_A, 99, params);
    expect(indep).toEqual([0, 30]);
    expect(lp.ok).toBe(true);
    expect(lp.upper).toBe(31);
    expect(int.ok).toBe(false);
    expect(int.why).toBe('upper');
    expect(int.upper).toBe(30);
    expect(int.upperExact).toBe(true);
    expect(stats.solves).toBeGreaterThan(0);
  });

  it('range mode: a hidden cell with LP minimum 0 has integer minimum 1 (the attacker knows it is not empty)', async () => {
    const params: ProtectParams = { minN: 10, protectZero: false, protection: 'range' };
    const { lp, int, indep } = await lpAndInteger(FOUR_WAY_B, 84, params);
    expect(indep).toEqual([1, 23]);
    expect(lp.ok).toBe(true);
    expect(lp.lower).toBe(0);
    expect(int.ok).toBe(false);
    expect(int.why).toBe('lower');
    expect(int.lower).toBe(1);
    // threshold mode does not ask for lower ≤ 0: the same cell passes
    const t = await lpAndInteger(FOUR_WAY_B, 84, { ...params, protection: 'threshold' });
    expect(t.int.ok).toBe(true);
  });

  // A 2×2×2×2 table with all margins from the bench's seeded generator (seed 31, found by a
  // seeded search over LP-only suppressions) and the pattern the greedy rounds chose with the
  // LP proof only (frozen here so that later changes to the heuristic do not move the case).
  const SEARCH_HIDDEN = [
    0, 1, 2, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 26, 27, 29, 30, 31, 32, 33, 34, 36, 37, 38, 39, 40, 41, 42, 43,
    44, 45, 46, 49, 50, 51, 53, 54, 55, 56, 57, 58, 60, 62, 63, 64, 66, 67, 68, 70, 71, 73, 74, 75, 76, 77, 78, 79,
  ];
  it('a hidden 1 the LP places in [0, 12] is in [1, 9] over the integers: the LP-only audit passes, the integer audit fails it, default suppress protects it', async () => {
    const c = nWay(mulberry32(31), [2, 2, 2, 2], false, '4-way');
    expect(c.values[39]).toBe(1);
    const hide = new Set(SEARCH_HIDDEN);
    const ci = c.header.indexOf('count');
    const pub = c.rows.map((r, i) => (hide.has(i) ? [...r.slice(0, ci), '*', ...r.slice(ci + 1)] : r));
    // The independent integer attacker: row 39 is known small, and four complements are in [1, 9].
    const bad = await attack(c, pub, '*');
    expect(bad).toContain('row 39: known to be in [1, 9]');
    expect(bad).toHaveLength(5);
    // LP bounds only: [0, 12] passes (upper ≥ n).
    const lp = await auditTable({ header: c.header, rows: pub, spec: c.spec, minN: N, integerCheck: false, exactBounds: true });
    expect(lp.ok).toBe(true);
    expect(lp.cells.find((x) => x.row === 39)).toMatchObject({ lower: 0, upper: 12, recoverable: false });
    // With the integer check (the default): [1, 9], recoverable (known below n), as the attacker found.
    const int = await auditTable({ header: c.header, rows: pub, spec: c.spec, minN: N, exactBounds: true });
    expect(int.ok).toBe(false);
    expect(int.cells.find((x) => x.row === 39)).toMatchObject({ lower: 1, upper: 9, recoverable: true });
    expect(int.cells.filter((x) => x.recoverable).map((x) => x.row).sort((a, b) => a - b)).toEqual([12, 30, 36, 39, 40]);
    // suppress with its defaults publishes nothing the attacker can use.
    const r = await suppressTable({ header: c.header, rows: c.rows, spec: c.spec, minN: N });
    expect(await attack(c, r.table.rows, r.report.marker)).toEqual([]);
  });
});

describe('verifyRequirementsInteger agrees with an independent integer attacker', () => {
  // Random 4-way tables with all margins (2 values per dimension, 81 cells) and 3-way tables.
  const arb = fc.record({
    sizes: fc.oneof(fc.constant([2, 2, 2, 2]), fc.constant([2, 2, 3])),
    leaves: fc.array(fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 8, max: 40 })), { minLength: 16, maxLength: 16 }),
    hideP: fc.double({ min: 0.1, max: 0.4, noNaN: true }),
    pattern: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 81, maxLength: 81 }),
    protection: fc.constantFrom('threshold' as const, 'range' as const),
  });

  it('a requirement passes the integer check iff the exact integer bounds satisfy the rule', async () => {
    const highs = await getHighs();
    await fc.assert(
      fc.asyncProperty(arb, async ({ sizes, leaves, hideP, pattern, protection }) => {
        const t = additiveTable(sizes, leaves);
        const params: ProtectParams = { minN: N, protectZero: false, protection };
        // A random hidden pattern (the grand total stays published).
        const ci = t.header.length - 1;
        const rows = t.rows.map((r, i) => (i < t.rows.length - 1 && pattern[i]! < hideP ? [...r.slice(0, ci), '*'] : r));
        const pub = published(t.header, rows);
        const values = pub.rows.map((_, i) => (Number.isNaN(pub.counts[i]!) ? null : pub.counts[i]!));
        const truthTable: CountTable = { ...pub, counts: Float64Array.from(t.values) };
        const hidden = new Uint8Array(values.length).map((_, i) => (values[i] === null ? 1 : 0));
        for (const comp of hiddenComponents(truthTable, hidden)) {
          const reqs = componentRequirements(truthTable, hidden, comp, params);
          const stats = { solves: 0 };
          const lpOut = auditComponent(highs, truthTable, hidden, comp, reqs, params, stats, { truth: true, full: false });
          const intOut = verifyRequirementsInteger(highs, truthTable, comp, lpOut, params, stats, { truth: true });
          for (const o of intOut) {
            const [lo, hi] = await integerAttack(values, t.cons, o.req.cells, o.req.coefs);
            const want = verdict(o.req, lo + (o.req.constant ?? 0), hi + (o.req.constant ?? 0), params, true) === undefined;
            expect(o.ok, `${o.req.kind} of cell ${o.req.cell}: integer [${lo}, ${hi}], reported [${o.lower}, ${o.upper}] ${o.why ?? ''}`).toBe(want);
            // The reported range is attained: inside the exact integer bounds.
            expect(o.lower).toBeGreaterThanOrEqual(lo);
            expect(o.upper).toBeLessThanOrEqual(hi);
          }
        }
      }),
      { numRuns: 6, seed: 20261202 },
    );
  });
});
