/** Helpers for simulated comparison vectors (model tests). */

/** A level drawn from the distribution p with a uint32 random number source. */
export function draw(rnd: () => number, p: readonly number[]): number {
  let x = rnd() / 2 ** 32;
  for (let l = 0; l < p.length; l++) {
    x -= p[l]!;
    if (x < 0) return l;
  }
  return p.length - 1;
}
