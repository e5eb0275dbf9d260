import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bestPerRecord, passKeep, randomPairs } from '../../../src/link/model/candidates.js';

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

  it('passKeep with a field missing on one side keeps the best k of each record twice: among all pairs and among the one-side-missing pairs', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.nat(9), b: fc.nat(9), s: fc.integer({ min: 0, max: 20 }) }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
        (raw, k, hasA, hasB) => {
          const m = new Map<string, { a: number; b: number; s: number }>();
          for (const p of raw) m.set(`${p.a},${p.b}`, p);
          const ps = [...m.values()].sort((x, y) => x.a - y.a || x.b - y.b);
          const a = Uint32Array.from(ps.map((p) => p.a));
          const b = Uint32Array.from(ps.map((p) => p.b));
          const s = Float32Array.from(ps.map((p) => p.s));
          const side = { pa: Uint8Array.from(hasA, (h) => (h ? 4 : 0)), pb: Uint8Array.from(hasB, (h) => (h ? 4 : 0)), bit: 4 };
          const kept = passKeep(a, b, s, 10, k, side);
          // ascending, no repeats, and a superset of the plain bound
          for (let y = 1; y < kept.length; y++) expect(kept[y]!).toBeGreaterThan(kept[y - 1]!);
          const set = new Set(kept);
          for (const x of bestPerRecord(a, b, s, 10, k)) expect(set.has(x)).toBe(true);
          const oneSide = (x: number) => hasA[ps[x]!.a] !== hasB[ps[x]!.b];
          const rank = (x: number, sd: 'a' | 'b') => {
            const same = ps.map((_, y) => y).filter((y) => oneSide(y) && ps[y]![sd] === ps[x]![sd]);
            same.sort((y, z) => ps[z]!.s - ps[y]!.s || y - z);
            return same.indexOf(x);
          };
          const plain = new Set(bestPerRecord(a, b, s, 10, k));
          ps.forEach((_, x) => expect(set.has(x)).toBe(plain.has(x) || (oneSide(x) && (rank(x, 'a') < k || rank(x, 'b') < k))));
          expect(passKeep(a, b, s, 10, k)).toEqual(bestPerRecord(a, b, s, 10, k));
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
