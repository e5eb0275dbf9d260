/**
 * Properties of the one publication rule: the audit flags exactly what an
 * independent attacker finds, on arbitrary hidden patterns; suppress on
 * random tables with a rate column never publishes a rate that gives a
 * hidden or small count back, and its output passes the audit.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditTable, suppressTable, type TableSpec } from '../../src/release/table/index.js';
import { impliedNumerator, parseRateBand } from '../../src/release/table/rates.js';
import { additiveTable, attackerBounds } from './table-helpers.js';

const N = 10;

describe('the rule: audit-table agrees with an independent attacker on any hidden pattern', () => {
  it('a hidden cell is flagged pinned / known below n exactly when the independent LP bounds say so (2-way tables: LP = integer)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 10, max: 60 })), { minLength: 9, maxLength: 9 }),
        fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }),
        async (sizes, leaves, mask) => {
          const t = additiveTable(sizes, leaves);
          const ci = t.header.length - 1;
          const rows = t.rows.map((x, i) => (mask[i] ? [...x.slice(0, ci), '*'] : x));
          const a = await auditTable({ header: t.header, rows, minN: N, exactBounds: true });
          const published = rows.map((x) => (x[ci] === '*' ? null : Number(x[ci])));
          for (const c of a.cells) {
            const [lo, hi] = await attackerBounds(published, t.cons, c.row);
            expect([c.lower, c.upper]).toEqual([lo, hi]);
            const cellFails = hi - lo < 1 || hi < N;
            if (cellFails) expect(c.recoverable).toBe(true);
            if (c.why === 'exact' || c.why === 'upper') expect(cellFails).toBe(true);
          }
          // published cells: a small published count always fails the audit
          if (published.some((v) => v !== null && v > 0 && v < N)) expect(a.ok).toBe(false);
        },
      ),
      { numRuns: 25, seed: 1812 },
    );
  });
});

describe('rates on random tables', () => {
  it('no published rate has a hidden numerator or an implied numerator (or complement) below n; the output passes the audit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 100 })), { minLength: 4, maxLength: 9 }),
        fc.boolean(),
        async (sizes, leaves, coded) => {
          const base = additiveTable(sizes, leaves.map(([tested]) => tested));
          const prof = additiveTable(sizes, leaves.map(([tested, pct]) => Math.round((tested * pct) / 100)));
          const ci = base.header.length - 1;
          const header = [...base.header.slice(0, ci), 'tested', 'proficient', 'pct'];
          const rows = base.rows.map((x, i) => {
            const d = base.values[i]!;
            const p = prof.values[i]!;
            return [...x.slice(0, ci), String(d), String(p), d === 0 ? '' : ((100 * p) / d).toFixed(1)];
          });
          const spec: TableSpec = {
            version: 1,
            count: 'proficient',
            dimensions: base.header.slice(0, ci).map((column) => ({ column, total: 'All' })),
            rates: [{ column: 'pct', denominator: 'tested' }],
          };
          const r = await suppressTable({ header, rows, spec, minN: N, ...(coded ? { topCode: 95, bottomCode: 5 } : {}) });
          for (const [i, x] of r.table.rows.entries()) {
            const rate = x[ci + 2]!;
            if (rate === '' || rate === '*') continue;
            expect(x[ci + 1]).not.toBe('*'); // numerator published
            const d = base.values[i]!;
            expect(d).toBeGreaterThanOrEqual(N);
            const [lo, hi] = impliedNumerator(parseRateBand(rate, 100, '*')!, d, 100);
            expect(hi <= N - 1).toBe(false); // implied numerator not known small (0 % included)
            expect(d - lo <= N - 1).toBe(false); // complement not known small (100 % included)
          }
          const a = await auditTable({ header, rows: r.table.rows, spec, minN: N });
          expect(a.published).toEqual([]);
          expect(a.ok).toBe(true);
        },
      ),
      { numRuns: 25, seed: 4711 },
    );
  });
});
