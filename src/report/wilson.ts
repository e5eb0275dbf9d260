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
