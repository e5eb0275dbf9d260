import type { ScoredPairs } from '../types.js';
import { EdgeList } from './edges.js';

/** A resolved two-party match: record a of party A with record b of party B. */
export interface Matching {
  a: Uint32Array;
  b: Uint32Array;
  score: Float32Array;
}

/**
 * Greedy one-to-one matching between two parties: take the pairs with
 * score >= threshold, highest score first (ties: lower A index first, then
 * lower B index), and accept a pair when neither record is matched yet.
 * The result is a matching (no record twice) and is maximal: every pair
 * above the threshold that was not accepted touches an accepted pair whose
 * score is at least as high. Linear-time radix ordering (EdgeList.sorted),
 * so millions of pairs resolve in about a second.
 */
export function greedyOneToOne(pairs: Pick<ScoredPairs, 'a' | 'b' | 'score'>, threshold: number): Matching {
  const n = pairs.a.length;
  // scores are float32: compare with the float32 threshold so a pair exactly at the threshold counts
  const t = Math.fround(threshold);
  let maxA = 0;
  let maxB = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!(pairs.score[i]! >= t)) continue;
    m++;
    if (pairs.a[i]! > maxA) maxA = pairs.a[i]!;
    if (pairs.b[i]! > maxB) maxB = pairs.b[i]!;
  }
  // B indices are shifted past every A index, so (u, v) order is (a, b) order
  const shift = maxA + 1;
  const edges = new EdgeList(Math.max(1, m));
  for (let i = 0; i < n; i++) if (pairs.score[i]! >= t) edges.push(pairs.a[i]!, shift + pairs.b[i]!, pairs.score[i]!);
  const sorted = edges.sorted();
  const usedA = new Uint8Array(maxA + 1);
  const usedB = new Uint8Array(maxB + 1);
  const outA: number[] = [];
  const outB: number[] = [];
  const outS: number[] = [];
  for (let k = 0; k < sorted.u.length; k++) {
    const a = sorted.u[k]!;
    const b = sorted.v[k]! - shift;
    if (usedA[a] || usedB[b]) continue;
    usedA[a] = 1;
    usedB[b] = 1;
    outA.push(a);
    outB.push(b);
    outS.push(sorted.score[k]!);
  }
  return { a: Uint32Array.from(outA), b: Uint32Array.from(outB), score: Float32Array.from(outS) };
}
