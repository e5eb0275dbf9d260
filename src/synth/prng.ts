import { splitmix32 } from '../util/prng.js';

/**
 * Small, seeded, deterministic pseudo-random numbers for the example-data
 * generator. Never Math.random: the same seed must give the same bytes on
 * every machine. Not for cryptography.
 *
 * splitmix32 derives well-mixed 32-bit seeds (so every synthetic person gets
 * an independent stream from (seed, index) and the population can be
 * generated in any order, streaming); xoshiro128** draws the numbers.
 */


/** Mix several integers into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x6a09e667;
  for (const p of parts) {
    h = splitmix32((h ^ (p >>> 0)) >>> 0);
    // fold in the high part of numbers above 2^32 (person indexes can be large)
    h = splitmix32((h ^ Math.floor(p / 0x1_0000_0000)) >>> 0);
  }
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    s = splitmix32(s);
    this.a = s;
    s = splitmix32(s);
    this.b = s;
    s = splitmix32(s);
    this.c = s;
    s = splitmix32(s);
    this.d = s;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Uniform 32-bit unsigned integer (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Uniform element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.next() * items.length)];
    if (v === undefined) throw new RangeError('pick from an empty list');
    return v;
  }

  /** Approximately normal (Irwin–Hall sum of 4 uniforms), mean 0, sd 1. */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * Math.sqrt(3);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A frequency table to draw from: values with relative weights, sampled by
 * binary search over the cumulative weights.
 */
export class Weighted<T> {
  readonly values: readonly T[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(entries: readonly (readonly [T, number])[]) {
    if (entries.length === 0) throw new RangeError('empty frequency table');
    this.values = entries.map((e) => e[0]);
    this.cumulative = new Float64Array(entries.length);
    let t = 0;
    entries.forEach(([, w], i) => {
      if (!(w > 0)) throw new RangeError('frequency weights must be positive');
      t += w;
      this.cumulative[i] = t;
    });
    this.total = t;
  }

  draw(rng: Rng): T {
    return this.at(rng.next());
  }

  /** The value at the uniform draw x in [0, 1) (draw(rng) is at(rng.next())). */
  at(u: number): T {
    const x = u * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo]!;
  }
}

/**
 * A keyed bijection on [0, m): turns a running index into a scrambled but
 * unique record number without remembering the ones already used
 * (affine map i -> (a*i + b) mod m with gcd(a, m) = 1), so record ids do not
 * reveal the order people were generated in or line up across files.
 */
export function affinePermutation(m: number, seed: number): (i: number) => number {
  const rng = new Rng(seed);
  let a = 0;
  for (;;) {
    a = 1 + Math.floor(rng.next() * (m - 1));
    if (gcd(a, m) === 1) break;
  }
  const b = Math.floor(rng.next() * m);
  const A = BigInt(a);
  const B = BigInt(b);
  const M = BigInt(m);
  return (i: number) => Number((A * BigInt(i) + B) % M);
}

function gcd(x: number, y: number): number {
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * mulberry32: a small, seeded, deterministic PRNG (uniform floats in [0, 1))
 * for synthetic test and bench data. Tests rely on its exact sequence (fixed
 * seeds give fixed data), so do not swap the algorithm. Not for cryptography;
 * the example-data generator uses src/synth/prng.ts instead.
 */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
