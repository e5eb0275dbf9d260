import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitmix32, splitmix32Stream } from '../../src/util/prng.js';
import { LSH_HEAD, lshPermutations } from '../../src/link/blocking/keys.js';
import { Rng, mixSeed } from '../../src/synth/prng.js';

/** The linker's former private copy (src/link/blocking/keys.ts), kept here as the reference. */
function formerLinkStream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The generator's former copy (src/synth/prng.ts). */
function formerSynthMix(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

describe('splitmix32, one copy for the generator and the LSH permutations', () => {
  it('the stream is bit-identical to the linker\'s former copy', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const a = splitmix32Stream(seed);
        const b = formerLinkStream(seed);
        for (let i = 0; i < 50; i++) expect(a()).toBe(b());
      }),
      { numRuns: 200 },
    );
  });

  it('the mixer is bit-identical to the generator\'s former copy', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0xffffffff }), (x) => {
        expect(splitmix32(x)).toBe(formerSynthMix(x));
      }),
      { numRuns: 1000 },
    );
  });

  it('known answers', () => {
    const s = splitmix32Stream(0);
    expect([s(), s(), s()]).toEqual([splitmix32(0), splitmix32(0x9e3779b9), splitmix32((2 * 0x9e3779b9) >>> 0)]);
    expect(splitmix32(0)).toBe(formerSynthMix(0));
    expect(mixSeed(1, 2)).toBe(mixSeed(1, 2));
    expect(new Rng(7).nextU32()).toBe(new Rng(7).nextU32());
  });

  it('the LSH permutations still come from the same stream (Fisher-Yates over the former copy)', () => {
    const bands = 3;
    const rows = 2;
    const l = 40;
    const seed = 12345;
    const rnd = formerLinkStream(seed);
    const n = bands * rows;
    const H = LSH_HEAD;
    const want = new Uint16Array(n * l);
    for (let h = 0; h < n; h++) {
      const one = Array.from({ length: l }, (_, i) => i);
      for (let i = l - 1; i > 0; i--) {
        const x = rnd() % (i + 1);
        const t = one[i]!;
        one[i] = one[x]!;
        one[x] = t;
      }
      // stored head-major (lshPermutations): the first H positions of every permutation, then the rest
      want.set(one.slice(0, H), h * H);
      want.set(one.slice(H), n * H + h * (l - H));
    }
    expect(Array.from(lshPermutations(bands, rows, l, seed))).toEqual(Array.from(want));
  });
});
