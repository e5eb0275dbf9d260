/** Set-bit counts, one of each for the whole project (encoder, Dice, kernels, match model). */

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1]!;

/** Number of set bits in a byte array. */
export function popcountBytes(a: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += POP8[a[i]!]!;
  return n;
}

/** Number of set bits in a 32-bit integer. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Number of set bits in words[start, end). */
export function popcountWords(words: Uint32Array, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n += popcount32(words[i]!);
  return n;
}
