import type { ScoredPairs } from '../types.js';

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
 * score is at least as high.
 */
export function greedyOneToOne(pairs: Pick<ScoredPairs, 'a' | 'b' | 'score'>, threshold: number): Matching {
  const n = pairs.a.length;
  // scores are float32: compare with the float32 threshold so a pair exactly at the threshold counts
  const t = Math.fround(threshold);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (pairs.score[i]! >= t) keep.push(i);
  keep.sort((x, y) => {
    const d = pairs.score[y]! - pairs.score[x]!;
    if (d !== 0) return d;
    const da = pairs.a[x]! - pairs.a[y]!;
    if (da !== 0) return da;
    return pairs.b[x]! - pairs.b[y]!;
  });
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  const outA: number[] = [];
  const outB: number[] = [];
  const outS: number[] = [];
  for (const i of keep) {
    const a = pairs.a[i]!;
    const b = pairs.b[i]!;
    if (usedA.has(a) || usedB.has(b)) continue;
    usedA.add(a);
    usedB.add(b);
    outA.push(a);
    outB.push(b);
    outS.push(pairs.score[i]!);
  }
  return { a: Uint32Array.from(outA), b: Uint32Array.from(outB), score: Float32Array.from(outS) };
}
