import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bestPerRecord, randomPairs } from '../../../src/link/model/candidates.js';

describe('candidate bounds', () => {
  it('bestPerRecord keeps exactly the pairs among the best k of their A record or of their B record', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.nat(9), b: fc.nat(9), s: fc.integer({ min: 0, max: 20 }) }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 4 }),
        (raw, k) => {
          // one score per (a, b), sorted by a then b, as a pass produces them
          const m = new Map<string, { a: number; b: number; s: number }>();
          for (const p of raw) m.set(`${p.a},${p.b}`, p);
          const ps = [...m.values()].sort((x, y) => x.a - y.a || x.b - y.b);
          const a = Uint32Array.from(ps.map((p) => p.a));
          const b = Uint32Array.from(ps.map((p) => p.b));
          const s = Float32Array.from(ps.map((p) => p.s));
          const kept = new Set(bestPerRecord(a, b, s, 10, k));
          const rank = (x: number, side: 'a' | 'b') => {
            const same = ps.map((_, y) => y).filter((y) => ps[y]![side] === ps[x]![side]);
            same.sort((y, z) => ps[z]!.s - ps[y]!.s || y - z);
            return same.indexOf(x);
          };
          ps.forEach((_, x) => expect(kept.has(x)).toBe(rank(x, 'a') < k || rank(x, 'b') < k));
        },
      ),
    );
  });

  it('randomPairs is seeded and never pairs a record with itself within one party', () => {
    const r1 = randomPairs(5, 5, true, 1000, 7);
    const r2 = randomPairs(5, 5, true, 1000, 7);
    expect(r1).toEqual(r2);
    for (let x = 0; x < 1000; x++) expect(r1.a[x]).not.toBe(r1.b[x]);
    expect(randomPairs(1, 1, true, 10, 1).a.length).toBe(0);
  });
});
