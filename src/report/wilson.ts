/**
 * Wilson score interval for a binomial proportion: better behaved than the
 * normal ("Wald") interval for small groups and rates near 0 or 1, which is
 * exactly where link-rate comparisons across small demographic groups live.
 */
export interface Interval {
  lo: number;
  hi: number;
}

/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

export function wilson(successes: number, n: number, z = Z95): Interval {
  if (!Number.isInteger(successes) || !Number.isInteger(n) || successes < 0 || n < 0 || successes > n) {
    throw new RangeError(`wilson: need integers 0 <= successes <= n (got ${successes}, ${n})`);
  }
  if (n === 0) return { lo: 0, hi: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // exact ends at 0 and n (rounding would otherwise leave 1e-17 residues)
  return { lo: successes === 0 ? 0 : Math.max(0, center - half), hi: successes === n ? 1 : Math.min(1, center + half) };
}

/**
 * 95% interval for the difference of two proportions p1 − p2 (x1 of n1
 * against x2 of n2): Newcombe's hybrid score interval (method 10 of
 * Newcombe 1998), built from the two Wilson intervals. Keeps its coverage
 * for small groups and rates near 0 or 1, where the Wald interval fails.
 */
export function newcombe(x1: number, n1: number, x2: number, n2: number, z = Z95): Interval {
  const a = wilson(x1, n1, z);
  const b = wilson(x2, n2, z);
  const p1 = n1 === 0 ? 0 : x1 / n1;
  const p2 = n2 === 0 ? 0 : x2 / n2;
  const d = p1 - p2;
  return {
    lo: Math.max(-1, d - Math.sqrt((p1 - a.lo) ** 2 + (b.hi - p2) ** 2)),
    hi: Math.min(1, d + Math.sqrt((a.hi - p1) ** 2 + (p2 - b.lo) ** 2)),
  };
}
