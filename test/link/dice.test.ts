import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { diceFromCounts, diceReference, popcount32, popcountBytes, popcountRulesOut } from '../../src/link/dice.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const pair = fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(bytes(n), bytes(n)));

function bitCount(a: Uint8Array): number {
  let n = 0;
  for (const x of a) for (let k = 0; k < 8; k++) n += (x >> k) & 1;
  return n;
}

describe('Dice coefficient', () => {
  it('known answers', () => {
    expect(diceReference(Uint8Array.of(0b1111), Uint8Array.of(0b0011))).toBeCloseTo((2 * 2) / (4 + 2), 12);
    expect(diceReference(Uint8Array.of(0xff, 0), Uint8Array.of(0xff, 0))).toBe(1);
    expect(diceReference(Uint8Array.of(0xf0), Uint8Array.of(0x0f))).toBe(0);
    // both empty: 0 by convention (no evidence is not a match)
    expect(diceReference(new Uint8Array(16), new Uint8Array(16))).toBe(0);
    expect(diceReference(new Uint8Array(16), Uint8Array.of(1))).toBe(0);
  });

  it('is symmetric, in [0, 1], 1 on identical non-empty vectors', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const d = diceReference(a, b);
        expect(d).toBe(diceReference(b, a));
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1);
        if (bitCount(a) > 0) expect(diceReference(a, a)).toBe(1);
      }),
    );
  });

  it('equals the popcount formula 2|A∧B|/(|A|+|B|)', () => {
    fc.assert(
      fc.property(pair, ([a, b]) => {
        const inter = bitCount(a.map((x, i) => x & b[i]!));
        const pa = bitCount(a);
        const pb = bitCount(b);
        expect(popcountBytes(a)).toBe(pa);
        const want = pa + pb === 0 ? 0 : (2 * inter) / (pa + pb);
        expect(diceReference(a, b)).toBe(want);
        expect(diceFromCounts(inter, pa, pb)).toBe(want);
      }),
    );
  });

  it('popcount32 counts bits', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => {
      let n = 0;
      for (let k = 0; k < 32; k++) n += Math.floor(x / 2 ** k) % 2;
      expect(popcount32(x)).toBe(n);
    }));
  });

  it('the popcount filter never rules out a pair that reaches the threshold', () => {
    fc.assert(
      fc.property(pair, fc.double({ min: 0.01, max: 1, noNaN: true }), ([a, b], t) => {
        if (popcountRulesOut(popcountBytes(a), popcountBytes(b), t)) expect(diceReference(a, b)).toBeLessThan(t);
      }),
    );
    expect(popcountRulesOut(10, 30, 0.8)).toBe(true); // 20/40 = 0.5
    expect(popcountRulesOut(30, 30, 0.8)).toBe(false);
  });
});
