/**
 * splitmix32, the one copy: small, fast, seeded, deterministic; not for
 * secrets. Used by the synthetic-population generator (src/synth/prng.ts,
 * seed mixing and xoshiro128** seeding) and by the LSH blocking
 * permutations (src/link/blocking/keys.ts), which every party must derive
 * identically from the same seed.
 */

const GOLDEN = 0x9e3779b9;

/** One step of splitmix32: a bijective mixer of a 32-bit state, (x + golden) then the finalizer. */
export function splitmix32(x: number): number {
  let z = (x + GOLDEN) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A splitmix32 stream: the n-th call (n = 1, 2, …) returns
 * `splitmix32(seed + (n - 1) * golden)`, i.e. the state advances by the golden
 * ratio constant and each output is the finalizer of the new state.
 */
export function splitmix32Stream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    const r = splitmix32(s);
    s = (s + GOLDEN) >>> 0;
    return r;
  };
}
