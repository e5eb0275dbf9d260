import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { P20Error } from '../../src/errors.js';
import { cliMessage } from '../../cli/hints.js';
import { parseBlockingSpec, type BlockingConfig } from '../../src/link/blocking/config.js';
import { diceReference } from '../../src/link/dice.js';
import { makePartyData, strideFor } from '../../src/link/pack.js';
import { scorePairs } from '../../src/link/score.js';
import { passKeep } from '../../src/link/model/candidates.js';
import type { PartyData, ScoredPairs } from '../../src/link/types.js';
import { corrupt, fakeHeader, party, randomClk, rng } from './score-fixtures.js';

const key = (r: ScoredPairs, k: number) => `${r.a[k]}:${r.b[k]}`;
function allPairsAbove(a: PartyData, b: PartyData | null, t: number): Map<string, number> {
  const B = b ?? a;
  const m = new Map<string, number>();
  for (let i = 0; i < a.count; i++)
    for (let j = b ? 0 : i + 1; j < B.count; j++) {
      const d = diceReference(a.clks.subarray(i * a.stride, (i + 1) * a.stride), B.clks.subarray(j * B.stride, (j + 1) * B.stride));
      if (d >= t) m.set(`${i}:${j}`, d);
    }
  return m;
}
function expectSortedUnique(r: ScoredPairs): void {
  for (let k = 1; k < r.a.length; k++) {
    expect(r.a[k - 1]! < r.a[k]! || (r.a[k - 1] === r.a[k] && r.b[k - 1]! < r.b[k]!)).toBe(true);
  }
}

/** Parties with block values and exact duplicates planted. */
function blockedParties(seed: number, n: number): { a: PartyData; b: PartyData; dupes: Array<[number, number]> } {
  const r = rng(seed);
  const l = 256;
  const yob = (): string => (r() < 0.1 ? '' : String(1990 + Math.floor(r() * 4)));
  const ca = Array.from({ length: n }, () => randomClk(l, 0.35, r));
  const cb: Uint8Array[] = [];
  const dupes: Array<[number, number]> = [];
  for (let j = 0; j < n; j++) {
    if (j % 3 === 0) {
      const i = Math.floor(r() * n);
      cb.push(Uint8Array.from(ca[i]!));
      dupes.push([i, j]);
    } else if (j % 3 === 1) cb.push(corrupt(ca[Math.floor(r() * n)]!, l, 0.05, r));
    else cb.push(randomClk(l, 0.35, r));
  }
  const ya = ca.map(yob);
  const yb = cb.map(yob);
  // duplicates share their year so keys blocking must find them (unless missing)
  for (const [i, j] of dupes) yb[j] = ya[i]!;
  return { a: party('a', l, ca, { yob: ya, sx: ca.map(() => (r() < 0.5 ? 'f' : 'm')) }), b: party('b', l, cb, { yob: yb, sx: cb.map(() => 'f') }), dupes };
}

describe('scorePairs', () => {
  it('with blocking none equals brute force, sorted, each pair once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.double({ min: 0.3, max: 1, noNaN: true }), async (seed, t) => {
        const { a, b } = blockedParties(seed, 30);
        const r = await scorePairs(a, b, { threshold: t, blocking: { kind: 'none' }, workers: 1 });
        const want = allPairsAbove(a, b, t);
        expect(r.a.length).toBe(want.size);
        for (let k = 0; k < r.a.length; k++) expect(r.score[k]).toBe(Math.fround(want.get(key(r, k))!));
        expectSortedUnique(r);
        expect(r.candidates).toBe(900);
      }),
      { numRuns: 25 },
    );
  });

  it('LSH, keys and unions propose a subset of all pairs, contain identical vectors, and score like brute force', async () => {
    const specs = ['lsh', 'lsh:bands=4,rows=20,seed=3', 'keys:yob', 'keys:yob,sx', 'keys:yob+lsh:bands=8,rows=12', 'lsh:bands=3,rows=10+lsh:bands=3,rows=10'];
    await fc.assert(
      fc.asyncProperty(fc.integer(), fc.constantFrom(...specs), async (seed, spec) => {
        const { a, b, dupes } = blockedParties(seed, 60);
        const cfg: BlockingConfig = parseBlockingSpec(spec);
        const t = 0.6;
        const r = await scorePairs(a, b, { threshold: t, blocking: cfg, workers: 1 });
        const want = allPairsAbove(a, b, t);
        expectSortedUnique(r);
        expect(r.candidates).toBeLessThanOrEqual(a.count * b.count);
        expect(r.compared).toBeLessThanOrEqual(r.candidates);
        for (let k = 0; k < r.a.length; k++) expect(r.score[k]).toBe(Math.fround(want.get(key(r, k))!));
        const got = new Set(Array.from(r.a, (_, k) => key(r, k)));
        for (const [i, j] of dupes) {
          const missing = a.blocks.yob![i] === '';
          const sxDiff = a.blocks.sx![i] !== b.blocks.sx![j];
          const keysOnly = !spec.includes('lsh');
          if (keysOnly && (missing || (spec.includes('sx') && sxDiff))) expect(got.has(`${i}:${j}`)).toBe(false);
          else expect(got.has(`${i}:${j}`)).toBe(true);
        }
        // the JS kernel agrees
        const js = await scorePairs(a, b, { threshold: t, blocking: cfg, workers: 1, kernel: 'js' });
        expect(Array.from(js.a)).toEqual(Array.from(r.a));
        expect(Array.from(js.b)).toEqual(Array.from(r.b));
        expect(js.candidates).toBe(r.candidates);
        expect(js.compared).toBe(r.compared);
      }),
      { numRuns: 30 },
    );
  });

  it('counts candidates exactly: distinct pairs sharing a key (keys blocking)', async () => {
    const { a, b } = blockedParties(11, 50);
    const r = await scorePairs(a, b, { threshold: 0.99, blocking: parseBlockingSpec('keys:yob+keys:yob'), workers: 1 });
    let want = 0;
    for (let i = 0; i < a.count; i++) for (let j = 0; j < b.count; j++) if (a.blocks.yob![i] !== '' && a.blocks.yob![i] === b.blocks.yob![j]) want++;
    expect(r.candidates).toBe(want);
  });

  it('within one party: only i < j, identical records found with LSH', async () => {
    const r0 = rng(3);
    const l = 512;
    const base = Array.from({ length: 80 }, () => randomClk(l, 0.4, r0));
    const clks = [...base, ...base.slice(0, 20).map((c) => Uint8Array.from(c))];
    const p = party('x', l, clks);
    const r = await scorePairs(p, null, { threshold: 0.9, blocking: parseBlockingSpec('lsh'), workers: 1 });
    for (let k = 0; k < r.a.length; k++) expect(r.a[k]!).toBeLessThan(r.b[k]!);
    const got = new Set(Array.from(r.a, (_, k) => key(r, k)));
    for (let i = 0; i < 20; i++) expect(got.has(`${i}:${80 + i}`)).toBe(true);
    const all = await scorePairs(p, null, { threshold: 0.9, blocking: { kind: 'none' }, workers: 1 });
    expect(all.candidates).toBe((100 * 99) / 2);
    expect(Array.from(all.a)).toEqual(Array.from(r.a));
  });

  it('large groups of pairs per record come out sorted (many identical records, LSH and JS kernel)', async () => {
    const r0 = rng(9);
    const l = 256;
    const same = randomClk(l, 0.4, r0);
    const clks = Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? randomClk(l, 0.4, r0) : corrupt(same, l, 0.01, r0)));
    const p = party('x', l, clks);
    const want = allPairsAbove(p, null, 0.9);
    for (const kernel of ['wasm', 'js'] as const) {
      const r = await scorePairs(p, null, { threshold: 0.9, blocking: parseBlockingSpec('lsh:bands=6,rows=3'), workers: 1, kernel });
      expectSortedUnique(r);
      expect(Array.from(r.a, (_, k) => key(r, k))).toEqual([...want.keys()]);
    }
  });

  it("a running bound per record (ScoreOptions.bound) drops pairs where they are found, never one the caller's best k could take: crowds of namesakes, cross and within, 1 and 2 workers, with a field missing on one side ranked by a second filter", async () => {
    const r0 = rng(21);
    const l = 256;
    // 120 and 90 records: two crowds of identical or nearly identical vectors (a common name), the rest random
    const same = [randomClk(l, 0.4, r0), randomClk(l, 0.4, r0)];
    const make = (n: number) => Array.from({ length: n }, (_, i) => (i % 4 === 3 ? randomClk(l, 0.4, r0) : i % 5 === 0 ? corrupt(same[i % 2]!, l, 0.01, r0) : same[i % 2]!.slice()));
    const a = party('a', l, make(120));
    const b = party('b', l, make(90));
    // the pairs missing the field on one side are ranked by score plus the Dice of a second filter (sideRank): the workers must hold it too
    const ra = party('ra', l, Array.from({ length: 120 }, () => randomClk(l, 0.4, r0)));
    const rb = party('rb', l, Array.from({ length: 90 }, () => randomClk(l, 0.4, r0)));
    const rank = { a: ra.clks, b: rb.clks, popA: ra.popcounts, popB: rb.popcounts, stride: ra.stride };
    const side = { pa: Uint8Array.from({ length: 120 }, (_, i) => (i % 7 === 0 ? 0 : 2)), pb: Uint8Array.from({ length: 90 }, (_, i) => (i % 6 === 0 ? 0 : 2)), bit: 2, rank };
    const blocking = parseBlockingSpec('lsh:bands=6,rows=3');
    for (const [A, B] of [[a, b], [a, null]] as const) {
      const nB = (B ?? A).count;
      const all = await scorePairs(A, B, { threshold: 0.9, blocking, workers: 1 });
      for (const k of [1, 3]) {
        const want = Array.from(passKeep(all.a, all.b, all.score, nB, k, B ? side : undefined), (x) => key(all, x));
        for (const workers of [1, 2]) {
          const bounded = await scorePairs(A, B, { threshold: 0.9, blocking, workers, bound: { nA: A.count, nB, k, ...(B ? { side } : {}) } });
          expectSortedUnique(bounded);
          expect(bounded.a.length).toBeLessThan(all.a.length / 2);
          expect(Array.from(passKeep(bounded.a, bounded.b, bounded.score, nB, k, B ? side : undefined), (x) => key(bounded, x))).toEqual(want);
        }
      }
    }
  });

  it('refuses a run where too many pairs reach the threshold (maxPairs), instead of running out of memory', async () => {
    const r0 = rng(11);
    const l = 256;
    const same = randomClk(l, 0.4, r0);
    const clks = Array.from({ length: 60 }, () => corrupt(same, l, 0.01, r0));
    const p = party('x', l, clks);
    const want = allPairsAbove(p, null, 0.9).size;
    expect(want).toBeGreaterThan(100);
    for (const workers of [1, 2]) {
      const err = await scorePairs(p, null, { threshold: 0.9, blocking: { kind: 'none' }, workers, maxPairs: want - 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(P20Error);
      expect((err as P20Error).code).toBe('LINK_TOO_MANY_PAIRS');
      expect(cliMessage(err as P20Error)).toMatch(/more than .* pairs score at or above 0\.9.*--max-pairs/);
      const ok = await scorePairs(p, null, { threshold: 0.9, blocking: { kind: 'none' }, workers, maxPairs: want });
      expect(ok.a.length).toBe(want);
    }
  });

  it('refuses bad thresholds, worker counts and mismatched CLK lengths', async () => {
    const p = party('a', 64, [new Uint8Array(8)]);
    const q = party('b', 128, [new Uint8Array(16)]);
    for (const t of [0, -1, 1.5, Number.NaN]) {
      await expect(scorePairs(p, null, { threshold: t, blocking: { kind: 'none' } })).rejects.toThrow(/threshold must be a number in \(0, 1\]/);
    }
    await expect(scorePairs(p, null, { threshold: 0.8, blocking: { kind: 'none' }, workers: 0 })).rejects.toThrow(P20Error);
    await expect(scorePairs(p, q, { threshold: 0.8, blocking: { kind: 'none' } })).rejects.toThrow(/b\.enc.*128-bit CLKs/);
  });
});

describe('makePartyData', () => {
  const h = fakeHeader(20);
  it('pads each CLK to a multiple of 8 bytes and counts bits', () => {
    expect(strideFor(20)).toBe(8);
    expect(strideFor(64)).toBe(8);
    expect(strideFor(65)).toBe(16);
    expect(strideFor(1024)).toBe(128);
    const p = makePartyData({ name: 'a', file: 'a.enc', header: h, ids: ['x', 'y'], clks: [Uint8Array.of(0xff, 1, 0xf0), Uint8Array.of(0, 0, 0)], blocks: {} });
    expect(p.stride).toBe(8);
    expect(p.count).toBe(2);
    expect(Array.from(p.clks)).toEqual([0xff, 1, 0xf0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(p.popcounts)).toEqual([13, 0]);
  });
  it('refuses misaligned inputs', () => {
    const mk = (o: Partial<Parameters<typeof makePartyData>[0]>) => () =>
      makePartyData({ name: 'a', file: 'a.enc', header: h, ids: ['x'], clks: [Uint8Array.of(1, 2, 0x30)], blocks: {}, ...o });
    expect(mk({ ids: ['x', 'y'] })).toThrow(/2 ids but 1 CLKs/);
    expect(mk({ clks: [Uint8Array.of(1, 2)] })).toThrow(/record "x": CLK has 2 bytes, expected 3/);
    // l = 20: bits 16..19 are the high nibble of the last byte (big-endian bit order); its low nibble is padding
    expect(mk({ clks: [Uint8Array.of(1, 2, 0x01)] })).toThrow(/bits set beyond bit 20/);
    expect(mk({ clks: [Uint8Array.of(1, 2, 0x08)] })).toThrow(/bits set beyond bit 20/);
    expect(mk({ clks: [Uint8Array.of(1, 2, 0xf0)] })).not.toThrow();
    expect(mk({ blocks: { yob: [] } })).toThrow(/block "yob" has 0 values for 1 records/);
  });
});
