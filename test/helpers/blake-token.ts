import { blake2b } from '@noble/hashes/blake2.js';

/**
 * Set a token's bits in a Bloom filter as clkhash's blakeHash does, written
 * out independently of src/ for known-answer checks: k bits from BLAKE2b-512
 * of the token under the feature key, salt byte "0" + block number, each bit
 * a little-endian 16-bit word of the digest mod l, big-endian bit order.
 */
export function setBlakeToken(bits: Uint8Array, l: number, key: Uint8Array, token: string, k: number): void {
  const te = new TextEncoder();
  for (let j = 0; j < Math.ceil(k / 32); j++) {
    const salt = new Uint8Array(16);
    salt[0] = 0x30 + j;
    const d = blake2b(te.encode(token), { key, salt, dkLen: 64 });
    for (let i = 0; i < 32 && 32 * j + i < k; i++) {
      const b = (d[2 * i]! | (d[2 * i + 1]! << 8)) % l;
      bits[b >>> 3]! |= 0x80 >>> (b & 7);
    }
  }
}
