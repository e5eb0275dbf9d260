import { createHmac, hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyCheckValue } from '../../src/encode/key-check.js';

/** Independent implementation of the documented definition (node:crypto, not @noble/hashes). */
function referenceKcv(secret: Uint8Array): string {
  const k = Buffer.from(hkdfSync('sha256', secret, 'p20link/key-check/v1', 'key check value', 32));
  return createHmac('sha256', k).update('p20link key check value v1').digest().subarray(0, 16).toString('hex');
}

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('keyCheckValue', () => {
  it('matches the documented definition (known answer, computed with node:crypto)', () => {
    expect(keyCheckValue(utf8('secret'))).toBe(referenceKcv(utf8('secret')));
    expect(keyCheckValue(utf8('secret'))).toBe('3d5e118fbb396dc544494a311c9e7c22');
    expect(keyCheckValue(utf8('correct horse battery staple'))).toBe('c1d86f0157bd12615c4a4401f7aac6ca');
  });

  it('agrees with the reference for any secret, and never contains the secret', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), (s) => {
        const kcv = keyCheckValue(s);
        expect(kcv).toBe(referenceKcv(s));
        expect(kcv).toMatch(/^[0-9a-f]{32}$/);
        if (s.length >= 4) expect(kcv).not.toContain(Buffer.from(s).toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('different secrets give different KCVs; the same secret the same KCV', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(keyCheckValue(utf8(a))).toBe(keyCheckValue(utf8(a)));
        expect(keyCheckValue(utf8(a))).not.toBe(keyCheckValue(utf8(b)));
      }),
      { numRuns: 200 },
    );
  });
});
