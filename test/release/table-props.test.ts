import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditTable, suppressTable } from '../../src/release/table/index.js';
import { additiveTable, attackerBounds } from './table-helpers.js';

const N = 10;

/** Random additive tables: 1–3 dimensions of 1–4 values each, with "All" totals; leaves skewed small. */
const tableArb = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.array(fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 10, max: 80 })), { minLength: 1, maxLength: 64 }))
  .filter(([sizes]) => sizes.reduce((a, b) => a * (b + 1), 1) <= 80);

describe('suppress: properties on random additive tables', () => {
  it('no published cell is in (0, n) or has a complement in (0, n); hidden cells resist an independent attacker; idempotent; audit passes', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb, fc.constantFrom('threshold' as const, 'range' as const), async ([sizes, leaves], protection) => {
        const t = additiveTable(sizes, leaves);
        const r = await suppressTable({ header: t.header, rows: t.rows, minN: N, protection });
        const ci = t.header.length - 1;
        const published = r.table.rows.map((x) => (x[ci] === '*' ? null : Number(x[ci])));
        // 1. published values are the true ones, never small, never a small complement
        published.forEach((v, i) => {
          if (v === null) return;
          expect(v).toBe(t.values[i]);
          expect(v > 0 && v < N).toBe(false);
        });
        for (const c of t.cons) {
          const T = published[c.total];
          if (T === null || T === undefined) continue;
          for (const p of c.parts) {
            const x = published[p];
            if (x === null || x === undefined) continue;
            expect(T - x > 0 && T - x < N).toBe(false);
          }
        }
        // 2. independent LP bounds for every hidden cell
        for (const h of r.report.hidden) {
          const [lo, hi] = await attackerBounds(published, t.cons, h.row);
          expect(hi - lo).toBeGreaterThanOrEqual(1); // never exactly recoverable
          // one rule for every hidden cell (the audit cannot tell primaries): known to be below n is disclosed
          expect(hi).toBeGreaterThanOrEqual(N);
          if (protection === 'range') expect(lo).toBeLessThanOrEqual(0);
        }
        // 3. suppress on its own output changes nothing
        const again = await suppressTable({ header: r.table.header, rows: r.table.rows, minN: N, protection });
        expect(again.table.rows).toEqual(r.table.rows);
        expect(again.report.counts.secondary).toBe(0);
        // 4. the attacker's audit finds nothing
        const a = await auditTable({ header: r.table.header, rows: r.table.rows, minN: N, protection });
        expect(a.ok).toBe(true);
      }),
      { numRuns: 60, seed: 20261124 },
    );
  });

  it('primary-only suppression of a table with an isolated small cell is caught by the audit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 10, max: 90 }), { minLength: 3, maxLength: 3 }), fc.integer({ min: 1, max: 9 }), async (big, small) => {
        const t = additiveTable([2, 2], [small, ...big]);
        const ci = t.header.length - 1;
        const rows = t.rows.map((x, i) => (i === 0 ? [...x.slice(0, ci), '*'] : x));
        const a = await auditTable({ header: t.header, rows, minN: N });
        expect(a.ok).toBe(false);
        expect(a.cells[0]).toMatchObject({ row: 0, lower: small, upper: small, recoverable: true });
      }),
      { numRuns: 20, seed: 7 },
    );
  });
});
