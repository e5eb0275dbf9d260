import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bestPerRecord, passKeep, randomPairs, taskKeep } from '../../../src/link/model/candidates.js';
import { diceReference, popcount32 } from '../../../src/link/dice.js';
import type { RankFilter } from '../../../src/link/kernel/record-bound.js';

/** A rank filter of one 32-bit word per record on each side (10 records each), from the words given. */
function rankFilter(wa: readonly number[], wb: readonly number[]): RankFilter {
  const a = new Uint8Array(Uint32Array.from(wa).buffer);
  const b = new Uint8Array(Uint32Array.from(wb).buffer);
  return { a, b, popA: Uint32Array.from(wa, popcount32), popB: Uint32Array.from(wb, popcount32), stride: 4 };
}
const rankWords = fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 10, maxLength: 10 });

/** Which of 10 records on a side hold the field, and the MissingSide of two such draws (bit 4). */
const presence = fc.array(fc.boolean(), { minLength: 10, maxLength: 10 });
const sideOf = (hasA: readonly boolean[], hasB: readonly boolean[]) => ({ pa: Uint8Array.from(hasA, (h) => (h ? 4 : 0)), pb: Uint8Array.from(hasB, (h) => (h ? 4 : 0)), bit: 4 });

type Pair = { a: number; b: number; s: number };
/** One score per (a, b), sorted by a then b, as a pass produces them, with the pass's arrays. */
function passPairs(raw: readonly Pair[]): { ps: Pair[]; a: Uint32Array; b: Uint32Array; s: Float32Array } {
  const m = new Map<string, Pair>();
  for (const p of raw) m.set(`${p.a},${p.b}`, p);
  const ps = [...m.values()].sort((x, y) => x.a - y.a || x.b - y.b);
  return { ps, a: Uint32Array.from(ps.map((p) => p.a)), b: Uint32Array.from(ps.map((p) => p.b)), s: Float32Array.from(ps.map((p) => p.s)) };
}
/** The reference order: pair x's place among the pairs `among` admits that share its record on side `sd`, by value descending, then index. */
function placeOf(ps: readonly Pair[], among: (y: number) => boolean, value: (y: number) => number) {
  return (x: number, sd: 'a' | 'b'): number => {
    const same = ps.map((_, y) => y).filter((y) => among(y) && ps[y]![sd] === ps[x]![sd]);
    same.sort((y, z) => value(z) - value(y) || y - z);
    return same.indexOf(x);
  };
}

describe('candidate bounds', () => {
  it('bestPerRecord keeps exactly the pairs among the best k of their A record or of their B record', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.nat(9), b: fc.nat(9), s: fc.integer({ min: 0, max: 20 }) }), { maxLength: 80 }),
        fc.integer({ min: 1, max: 4 }),
        (raw, k) => {
          const { ps, a, b, s } = passPairs(raw);
          const kept = new Set(bestPerRecord(a, b, s, 10, k));
          const rank = placeOf(ps, () => true, (y) => ps[y]!.s);
          ps.forEach((_, x) => expect(kept.has(x)).toBe(rank(x, 'a') < k || rank(x, 'b') < k));
        },
      ),
    );
  });

  it('passKeep with a field missing on one side keeps the best k of each record twice: among all pairs by score, and among the one-side-missing pairs by score plus the rank filter\'s Dice when there is one (sideRank)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.nat(5), b: fc.nat(5), s: fc.integer({ min: 0, max: 1 }) }), { maxLength: 36 }),
        fc.integer({ min: 1, max: 2 }),
        presence,
        presence,
        fc.option(fc.tuple(rankWords, rankWords), { nil: undefined }),
        (raw, k, hasA, hasB, words) => {
          const { ps, a, b, s } = passPairs(raw);
          const rank = words ? rankFilter(...words) : undefined;
          const kept = passKeep(a, b, s, 10, k, { ...sideOf(hasA, hasB), ...(rank ? { rank } : {}) });
          // ascending, no repeats, and a superset of the plain bound
          for (let y = 1; y < kept.length; y++) expect(kept[y]!).toBeGreaterThan(kept[y - 1]!);
          const set = new Set(kept);
          const plain = new Set(bestPerRecord(a, b, s, 10, k));
          for (const x of plain) expect(set.has(x)).toBe(true);
          const oneSide = (x: number) => hasA[ps[x]!.a] !== hasB[ps[x]!.b];
          // the reference: score, plus the Dice of the two records' words, held as float32
          const w = ps.map((p) => (rank ? Math.fround(p.s + diceReference(rank.a.subarray(4 * p.a, 4 * p.a + 4), rank.b.subarray(4 * p.b, 4 * p.b + 4))) : p.s));
          const place = placeOf(ps, oneSide, (y) => w[y]!);
          ps.forEach((_, x) => expect(set.has(x)).toBe(plain.has(x) || (oneSide(x) && (place(x, 'a') < k || place(x, 'b') < k))));
          expect(passKeep(a, b, s, 10, k)).toEqual(bestPerRecord(a, b, s, 10, k));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('passKeep keeps, of a crowd of tied namesakes missing the date on one side, the ones the rank filter puts first, not the first by record order', () => {
    // 8 records of A without the field, 8 of B with it, all 64 pairs tied; on the rank filter A's i agrees only with B's 7 - i
    const a = Uint32Array.from({ length: 64 }, (_, x) => x >> 3);
    const b = Uint32Array.from({ length: 64 }, (_, x) => x & 7);
    const s = new Float32Array(64).fill(0.9);
    const side = { pa: new Uint8Array(10), pb: new Uint8Array(10).fill(4), bit: 4 };
    const rank = rankFilter(Array.from({ length: 10 }, (_, i) => 1 << i), Array.from({ length: 10 }, (_, j) => 1 << (7 - j)));
    const partners = (keep: Uint32Array) => Array.from(keep).filter((x) => a[x]! + b[x]! === 7).length;
    // by record order each record keeps its first 2 partners: 4 of the 8 pairs that agree on the rank filter are lost
    expect(partners(passKeep(a, b, s, 10, 2, side))).toBe(4);
    const ranked = passKeep(a, b, s, 10, 2, { ...side, rank });
    expect(partners(ranked)).toBe(8);
    // and the same once more through the running bound of the passes' tasks
    expect(partners(Uint32Array.from(taskKeep(10, 10, 2, { ...side, rank })(a, b, s)!, (x) => x))).toBe(8);
  });

  it('taskKeep (the per-task prefilter) changes nothing passKeep keeps, and drops pairs when records have more than k', () => {
    let dropped = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ a: fc.nat(9), b: fc.nat(9), s: fc.integer({ min: 0, max: 6 }), task: fc.nat(3) }), { minLength: 30, maxLength: 120 }),
        fc.integer({ min: 1, max: 3 }),
        presence,
        presence,
        fc.boolean(),
        fc.option(fc.tuple(rankWords, rankWords), { nil: undefined }),
        (raw, k, hasA, hasB, withSide, words) => {
          // each pair in one task (as LSH bands report a pair once), tasks in any order within
          const m = new Map<string, { a: number; b: number; s: number; task: number }>();
          for (const p of raw) m.set(`${p.a},${p.b}`, p);
          const all = [...m.values()];
          const side = withSide
            ? { ...sideOf(hasA, hasB), ...(words ? { rank: rankFilter(...words) } : {}) }
            : undefined;
          const filter = taskKeep(10, 10, k, side);
          const kept: typeof all = [];
          for (let t = 0; t < 4; t++) {
            const ps = all.filter((p) => p.task === t).reverse();
            const keep = filter(Uint32Array.from(ps.map((p) => p.a)), Uint32Array.from(ps.map((p) => p.b)), Float32Array.from(ps.map((p) => p.s)));
            const idx = keep ? Array.from(keep) : ps.map((_, x) => x);
            for (let y = 1; y < idx.length; y++) expect(idx[y]!).toBeGreaterThan(idx[y - 1]!);
            for (const x of idx) kept.push(ps[x]!);
          }
          dropped += all.length - kept.length;
          const select = (ps: typeof all) => {
            const sorted = [...ps].sort((x, y) => x.a - y.a || x.b - y.b);
            const keep = passKeep(Uint32Array.from(sorted.map((p) => p.a)), Uint32Array.from(sorted.map((p) => p.b)), Float32Array.from(sorted.map((p) => p.s)), 10, k, side);
            return Array.from(keep, (x) => `${sorted[x]!.a},${sorted[x]!.b}`);
          };
          expect(select(kept)).toEqual(select(all));
        },
      ),
      { numRuns: 300 },
    );
    expect(dropped).toBeGreaterThan(0);
  });

  it('taskKeep keeps k pairs of each record of a crowd of namesakes that all tie (not every tied pair), the ones passKeep keeps, and counts the pairs of earlier tasks', () => {
    // 60 x 40 records with one score (a common name without a birth date): 2,400 pairs in one task
    const a = Uint32Array.from({ length: 2400 }, (_, x) => Math.floor(x / 40));
    const b = Uint32Array.from({ length: 2400 }, (_, x) => x % 40);
    const s = new Float32Array(2400).fill(1);
    for (const k of [1, 5]) {
      const keep = taskKeep(60, 40, k)(a, b, s)!;
      expect(keep.length).toBeLessThanOrEqual(k * (60 + 40));
      expect(Array.from(keep)).toEqual(Array.from(passKeep(a, b, s, 40, k)));
    }
    // across tasks: once a record holds k better pairs, a later task's worse pairs of it are dropped
    const filter = taskKeep(10, 10, 2);
    const ten = (f: (x: number) => number) => Uint32Array.from({ length: 10 }, (_, x) => f(x));
    expect(filter(ten((x) => x), ten((x) => x), new Float32Array(10).fill(0.9))).toBeUndefined();
    expect(filter(ten((x) => x), ten((x) => (x + 1) % 10), new Float32Array(10).fill(0.9))).toBeUndefined();
    expect(Array.from(filter(ten((x) => x), ten((x) => (x + 2) % 10), new Float32Array(10).fill(0.8))!)).toEqual([]);
  });

  it('randomPairs is seeded and never pairs a record with itself within one party', () => {
    const r1 = randomPairs(5, 5, true, 1000, 7);
    const r2 = randomPairs(5, 5, true, 1000, 7);
    expect(r1).toEqual(r2);
    for (let x = 0; x < 1000; x++) expect(r1.a[x]).not.toBe(r1.b[x]);
    expect(randomPairs(1, 1, true, 10, 1).a.length).toBe(0);
  });
});
