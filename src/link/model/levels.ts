/**
 * Comparison levels from Dice coefficients: bands of agreement, most
 * agreement first. A Dice coefficient d falls in level l, the first band
 * whose lower bound it reaches (the last level takes everything below the
 * last bound).
 */

/** Default Dice bands (lower bounds) of an evidence comparison: levels ≥0.95, ≥0.88, ≥0.75, ≥0.6, <0.6. */
export const DICE_BANDS: readonly number[] = [0.95, 0.88, 0.75, 0.6];

/** Level of a Dice coefficient in the given bands (lower bounds, descending). */
export function diceLevel(d: number, bands: readonly number[] = DICE_BANDS): number {
  for (let l = 0; l < bands.length; l++) if (d >= bands[l]!) return l;
  return bands.length;
}

/** Level labels of the bands: "≥0.95", …, "<0.6". */
export function bandLabels(bands: readonly number[] = DICE_BANDS): string[] {
  return [...bands.map((b) => `>=${b}`), `<${bands[bands.length - 1]}`];
}
