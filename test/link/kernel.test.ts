import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diceReference } from '../../src/link/dice.js';
import { scorePairs } from '../../src/link/score.js';
import type { PartyData, ScoredPairs } from '../../src/link/types.js';
import { LSH_HEAD, fillLshKeys, lshPermutations } from '../../src/link/blocking/keys.js';
import { fmix32, murmurStep } from '../../src/util/murmur.js';
import { splitmix32Stream } from '../../src/util/prng.js';
import { createSharedMemory, wasmKernel } from '../../src/link/kernel/wasm.js';
import { party, randomClk, corrupt, rng } from './score-fixtures.js';

/** Brute force with the plain reference: all pairs with Dice >= t, sorted by (a, b). */
function brute(a: PartyData, b: PartyData | null, t: number): Array<[number, number, number]> {
  const B = b ?? a;
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < a.count; i++) {
    for (let j = b ? 0 : i + 1; j < B.count; j++) {
      const d = diceReference(a.clks.subarray(i * a.stride, (i + 1) * a.stride), B.clks.subarray(j * B.stride, (j + 1) * B.stride));
      if (d >= t) out.push([i, j, d]);
    }
  }
  return out;
}

function triples(r: ScoredPairs): Array<[number, number, number]> {
  return Array.from(r.a, (x, k) => [x, r.b[k]!, r.score[k]!]);
}

function expectSame(got: ScoredPairs, want: Array<[number, number, number]>): void {
  const g = triples(got);
  expect(g.map(([x, y]) => [x, y])).toEqual(want.map(([x, y]) => [x, y]));
  for (let k = 0; k < g.length; k++) expect(g[k]![2]).toBe(Math.fround(want[k]![2]));
}

/** Random parties with some near-duplicates so that pairs cross the threshold. */
const partiesArb = fc.record({
  l: fc.integer({ min: 8, max: 300 }),
  nA: fc.integer({ min: 0, max: 25 }),
  nB: fc.integer({ min: 0, max: 25 }),
  seed: fc.integer(),
  t: fc.double({ min: 0.05, max: 1, noNaN: true }),
});

function build(l: number, nA: number, nB: number, seed: number): { a: PartyData; b: PartyData } {
  const r = rng(seed);
  const ca = Array.from({ length: nA }, () => randomClk(l, r() * 0.7, r));
  const cb = Array.from({ length: nB }, (_, j) => (nA > 0 && j % 2 === 0 ? corrupt(ca[j % nA]!, l, r() * 0.2, r) : randomClk(l, r() * 0.7, r)));
  return { a: party('a', l, ca), b: party('b', l, cb) };
}

describe('Dice kernels agree with the reference', () => {
  for (const kernel of ['wasm', 'js'] as const) {
    it(`${kernel} kernel, all pairs, two parties and within one party, random thresholds`, async () => {
      await fc.assert(
        fc.asyncProperty(partiesArb, async ({ l, nA, nB, seed, t }) => {
          const { a, b } = build(l, nA, nB, seed);
          const r = await scorePairs(a, b, { threshold: t, blocking: { kind: 'none' }, workers: 1, kernel });
          expectSame(r, brute(a, b, t));
          expect(r.candidates).toBe(nA * nB);
          expect(r.compared).toBeLessThanOrEqual(r.candidates);
          const w = await scorePairs(a, null, { threshold: t, blocking: { kind: 'none' }, workers: 1, kernel });
          expectSame(w, brute(a, null, t));
          expect(w.candidates).toBe(nA < 2 ? 0 : (nA * (nA - 1)) / 2);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('thresholds exactly at a Dice value keep the pair (>=)', async () => {
    // pa = 4, pb = 2, inter = 2: Dice = 4/6
    const a = party('a', 8, [Uint8Array.of(0b1111)]);
    const b = party('b', 8, [Uint8Array.of(0b0011)]);
    for (const kernel of ['wasm', 'js'] as const) {
      const r = await scorePairs(a, b, { threshold: 4 / 6, blocking: { kind: 'none' }, workers: 1, kernel });
      expect(r.a.length).toBe(1);
      const r2 = await scorePairs(a, b, { threshold: 4 / 6 + 1e-12, blocking: { kind: 'none' }, workers: 1, kernel });
      expect(r2.a.length).toBe(0);
    }
  });

  it('extreme thresholds: 1 keeps only identical vectors, a tiny one every overlapping pair', async () => {
    const r = rng(3);
    const l = 200;
    const base = Array.from({ length: 30 }, () => randomClk(l, 0.3, r));
    const a = party('a', l, base);
    const b = party('b', l, [...base.slice(0, 10).map((c) => Uint8Array.from(c)), ...base.slice(10).map((c) => corrupt(c, l, 0.02, r)), new Uint8Array(25)]);
    for (const kernel of ['wasm', 'js'] as const) {
      for (const t of [1, 1e-6, Number.MIN_VALUE]) {
        const got = await scorePairs(a, b, { threshold: t, blocking: { kind: 'none' }, workers: 1, kernel });
        expectSame(got, brute(a, b, t));
      }
    }
  });

  it('MinHash reads a partial last byte where the format keeps its bits (big-endian), in both kernels', () => {
    // l = 9: the ninth bit is the high bit of the second byte; a CLK with only that bit set hung the scan before
    const l = 9;
    const p = party('p', l, [Uint8Array.of(0, 0x80), Uint8Array.of(0x01, 0), Uint8Array.of(0, 0x80)]);
    const bands = 4;
    const rows = 2;
    const perms = lshPermutations(bands, rows, l, 7);
    const nb = bands;
    const js = new Uint32Array(3 * nb);
    fillLshKeys(p.clks, p.stride, 0, 3, perms, l, bands, rows, js, nb, 0, 1000);
    // records 0 and 2 are the same one-bit set: same keys; record 1 another bit: other keys, none of them the empty key
    expect(Array.from(js.subarray(0, nb))).toEqual(Array.from(js.subarray(2 * nb, 3 * nb)));
    expect(Array.from(js.subarray(0, nb))).not.toEqual(Array.from(js.subarray(nb, 2 * nb)));
    expect(Array.from(js).some((k) => k >= 1000 && k < 1003)).toBe(false);
    const clkAt = 64;
    const permAt = Math.ceil((clkAt + p.clks.length + 64) / 16) * 16;
    const keyAt = Math.ceil((permAt + perms.byteLength + 64) / 16) * 16;
    const mem = createSharedMemory(keyAt + js.byteLength + 64);
    new Uint8Array(mem.buffer).set(p.clks, clkAt);
    new Uint16Array(mem.buffer, permAt, perms.length).set(perms);
    wasmKernel(mem).minhash(clkAt, p.stride, 0, 3, permAt, l, bands, rows, keyAt, nb, 0, 1000);
    expect(Array.from(new Uint32Array(mem.buffer, keyAt, 3 * nb))).toEqual(Array.from(js));
  });

  it('the wasm MinHash keys equal the JavaScript ones bit for bit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 700 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), fc.integer(), (l, n, bands, rows, seed) => {
        const r = rng(seed);
        const p = party('p', l, Array.from({ length: n }, (_, i) => (i % 7 === 3 ? new Uint8Array(Math.ceil(l / 8)) : randomClk(l, 0.05 + r() * 0.6, r))));
        const perms = lshPermutations(bands, rows, l, seed >>> 0);
        const nb = bands + 2;
        const js = new Uint32Array(n * nb);
        fillLshKeys(p.clks, p.stride, 0, n, perms, l, bands, rows, js, nb, 1, 1000);
        const clkAt = 64;
        const up = (x: number) => Math.ceil(x / 16) * 16;
        const permAt = up(clkAt + p.clks.length + 64);
        const keyAt = up(permAt + perms.byteLength + 64);
        const mem = createSharedMemory(keyAt + js.byteLength + 64);
        new Uint8Array(mem.buffer).set(p.clks, clkAt);
        new Uint16Array(mem.buffer, permAt, perms.length).set(perms);
        wasmKernel(mem).minhash(clkAt, p.stride, 0, n, permAt, l, bands, rows, keyAt, nb, 1, 1000);
        expect(Array.from(new Uint32Array(mem.buffer, keyAt, n * nb))).toEqual(Array.from(js));
      }),
      { numRuns: 60 },
    );
  });

  it('MinHash keys are the MinHash as defined: the rank of the first set bit in each whole seeded permutation (head-major storage changes no key)', () => {
    // an independent reference: each permutation built and walked whole, in one piece, as before the
    // head-major layout; sparse filters (fill 1-10%) reach past the LSH_HEAD positions of the head
    const murmurBand = (k: number, qs: number[]): number => fmix32(qs.reduce(murmurStep, 0x9747b28c ^ k));
    let pastHead = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), fc.integer(), (l, n, bands, rows, seed) => {
        const r = rng(seed);
        const p = party('p', l, Array.from({ length: n }, (_, i) => randomClk(l, i % 2 ? 0.01 + r() * 0.09 : 0.3 + r() * 0.4, r)));
        const rnd = splitmix32Stream(seed >>> 0);
        const whole = Array.from({ length: bands * rows }, () => {
          const q = Array.from({ length: l }, (_, i) => i);
          for (let i = l - 1; i > 0; i--) {
            const x = rnd() % (i + 1);
            [q[i], q[x]] = [q[x]!, q[i]!];
          }
          return q;
        });
        const bitSet = (clk: Uint8Array, bit: number) => ((clk[bit >>> 3]! >>> (bit < (l & ~7) ? bit & 7 : 7 - (bit & 7))) & 1) === 1;
        const nb = bands;
        const got = new Uint32Array(n * nb);
        fillLshKeys(p.clks, p.stride, 0, n, lshPermutations(bands, rows, l, seed >>> 0), l, bands, rows, got, nb, 0, 1000);
        for (let i = 0; i < n; i++) {
          const clk = p.clks.subarray(i * p.stride, i * p.stride + Math.ceil(l / 8));
          if (clk.every((x) => x === 0)) continue;
          for (let k = 0; k < bands; k++) {
            const qs = whole.slice(k * rows, (k + 1) * rows).map((perm) => {
              const q = perm.findIndex((bit) => bitSet(clk, bit));
              if (q >= LSH_HEAD) pastHead++;
              return q;
            });
            expect(got[i * nb + k]).toBe(murmurBand(k, qs));
          }
        }
      }),
      { numRuns: 60 },
    );
    expect(pastHead).toBeGreaterThan(0);
  });

  it('worker threads give the same pairs and counts as one thread (needs the tsc build)', async () => {
    const r = rng(7);
    const l = 1024;
    const ca = Array.from({ length: 700 }, () => randomClk(l, 0.4, r));
    const cb = Array.from({ length: 900 }, (_, j) => (j % 3 === 0 ? corrupt(ca[j % 700]!, l, 0.04, r) : randomClk(l, 0.4, r)));
    const a = party('a', l, ca);
    const b = party('b', l, cb);
    for (const blocking of [{ kind: 'none' } as const, { kind: 'lsh', bands: 12, rows: 6 } as const]) {
      const one = await scorePairs(a, b, { threshold: 0.75, blocking, workers: 1 });
      const two = await scorePairs(a, b, { threshold: 0.75, blocking, workers: 2 });
      expect(triples(two)).toEqual(triples(one));
      expect(two.candidates).toBe(one.candidates);
      expect(two.compared).toBe(one.compared);
      expect(one.a.length).toBeGreaterThanOrEqual(290);
      const w1 = await scorePairs(a, null, { threshold: 0.5, blocking, workers: 1 });
      const w2 = await scorePairs(a, null, { threshold: 0.5, blocking, workers: 2 });
      expect(triples(w2)).toEqual(triples(w1));
      expect(w2.candidates).toBe(w1.candidates);
    }
  });
});
