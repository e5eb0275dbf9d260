/**
 * Sørensen–Dice coefficient on bit vectors: 2·|A∧B| / (|A|+|B|).
 * By convention two empty vectors (no bit set) score 0: an empty CLK
 * carries no evidence, so it must never count as a match.
 */

import { popcount32, popcountBytes } from '../util/popcount.js';

export { popcount32, popcountBytes };

/**
 * Plain reference Dice on two byte arrays (the shorter is treated as
 * zero-padded). Returns a value in [0, 1]; 0 when both are empty.
 */
export function diceReference(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) inter += popcount32(a[i]! & b[i]!);
  const pa = popcountBytes(a);
  const pb = popcountBytes(b);
  return pa + pb === 0 ? 0 : (2 * inter) / (pa + pb);
}

/** Dice from the popcount formula: 2·inter/(pa+pb), 0 when pa+pb = 0. */
export function diceFromCounts(inter: number, pa: number, pb: number): number {
  return pa + pb === 0 ? 0 : (2 * inter) / (pa + pb);
}

/**
 * The popcount filter: true when popcounts alone prove Dice < threshold,
 * i.e. 2·min(pa,pb)/(pa+pb) < threshold (since |A∧B| ≤ min(pa,pb)).
 * Both empty: Dice is 0, so skipped whenever threshold > 0.
 */
export function popcountRulesOut(pa: number, pb: number, threshold: number): boolean {
  const s = pa + pb;
  if (s === 0) return threshold > 0;
  return 2 * Math.min(pa, pb) < threshold * s;
}

/** A packed filter matrix (CLKs or one evidence filter of a party) read as 32-bit words. */
export interface FilterWords {
  w: Uint32Array;
  /** Words per record. */
  n: number;
  pop: Uint32Array;
}

/** A packed filter matrix of `stride` bytes per record (a multiple of 4) as words; copied only when not 4-byte aligned. */
export function filterWords(bytes: Uint8Array, stride: number, pop: Uint32Array): FilterWords {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return { w: new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2), n: stride >>> 2, pop };
}

/** Dice of record i of A and record j of B, rounded to float32 like the kernels, so a level or a rank never depends on which path computed it. */
export function wordsDice(A: FilterWords, i: number, B: FilterWords, j: number): number {
  const s = A.pop[i]! + B.pop[j]!;
  if (s === 0) return 0;
  let inter = 0;
  const n = A.n;
  let a = i * n;
  let b = j * n;
  for (let x = 0; x < n; x++) inter += popcount32(A.w[a++]! & B.w[b++]!);
  return Math.fround((2 * inter) / s);
}
