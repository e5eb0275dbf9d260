import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packClks } from '../../src/link/pack.js';
import { popcount32, popcountBytes, popcountWords } from '../../src/util/popcount.js';

/** Bit by bit: the definition the fast counts must agree with. */
const slow = (a: Uint8Array) => [...a].reduce((n, b) => n + [...b.toString(2)].filter((c) => c === '1').length, 0);

describe('popcounts (one of each for the project)', () => {
  it('bytes, 32-bit words and single words agree with counting bit by bit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }).map((a) => a.slice(0, a.length & ~3)), (a) => {
        expect(popcountBytes(a)).toBe(slow(a));
        const w = new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2);
        expect(popcountWords(w, 0, w.length)).toBe(slow(a));
        if (w.length > 0) expect(popcount32(w[0]!)).toBe(slow(a.subarray(0, 4)));
      }),
    );
  });

  it('packClks counts each record over its own words only (stride padding included, and zero)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.array(fc.uint8Array({ minLength: 38, maxLength: 38 }), { minLength: 1, maxLength: 12 }), (l0, raw) => {
        const l = Math.min(l0, 300);
        const bytes = Math.ceil(l / 8);
        const tail = l % 8 === 0 ? 0xff : (0xff << (8 - (l % 8))) & 0xff;
        const clks = raw.map((r) => {
          const c = r.slice(0, bytes);
          c[bytes - 1]! &= tail;
          return c;
        });
        const packed = packClks(clks, l);
        expect([...packed.popcounts]).toEqual(clks.map(slow));
      }),
    );
  });
});
