/** MurmurHash3 (32-bit) pieces, one of each for the project (LSH band keys, record-id sets, the encoder's value counts). */

/** One 32-bit block k mixed into the running hash h (MurmurHash3's body step). */
export function murmurStep(h: number, k: number): number {
  let v = Math.imul(k, 0xcc9e2d51);
  v = (v << 15) | (v >>> 17);
  h ^= Math.imul(v, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finalizer: every input bit moves every output bit. Unsigned. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
