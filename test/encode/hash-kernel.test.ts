import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { blake2b } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { hashKernel } from '../../src/encode/hash-kernel.js';

function beMod(bytes: Uint8Array, L: number): number {
  let r = 0;
  for (let i = 0; i < bytes.length; i++) r = (r * 256 + bytes[i]!) % L;
  return r;
}

describe('WebAssembly keyed hashing kernel', () => {
  const k = hashKernel();

  it('loads and passes its self-check', () => {
    expect(k).not.toBeNull();
  });

  it('keyed, salted BLAKE2b-512 equals @noble/hashes for any key and message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 12 }), (key, msg, j) => {
        const ref = k!.blakeSlots(key, j + 1);
        const got = new Uint8Array(64);
        k!.blakeDigest(ref.slot + j, msg, got);
        const salt = new Uint8Array(16);
        const s = String(j);
        for (let i = 0; i < s.length; i++) salt[i] = s.charCodeAt(i);
        expect(Buffer.from(got).toString('hex')).toBe(Buffer.from(blake2b(msg, { key, salt, dkLen: 64 })).toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('HMAC-SHA1 / HMAC-MD5 indices equal @noble/hashes mod L (powers of two and not, keys longer than a block)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 130 }),
        fc.uint8Array({ minLength: 1, maxLength: 130 }),
        fc.uint8Array({ minLength: 0, maxLength: 200 }),
        fc.constantFrom(1024, 2048, 1000, 997, 2 ** 32, 2 ** 40 + 7, 65536 * 3),
        (k0, k1, msg, L) => {
          const ref = k!.hmacSlot(k0, k1);
          const [h1, h2] = k!.doubleIndices(ref.slot, msg, L);
          expect(h1).toBe(beMod(hmac(sha1, k0, msg), L));
          expect(h2).toBe(beMod(hmac(md5, k1, msg), L));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('recycles its slots with a new generation when they run out', () => {
    const g = k!.gen;
    for (let i = 0; i < 1100; i++) k!.hmacSlot(new Uint8Array([i & 0xff]), new Uint8Array([1]));
    expect(k!.gen).toBeGreaterThan(g);
  });
});
