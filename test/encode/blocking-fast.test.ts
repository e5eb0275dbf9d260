import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createBlocker, deriveBlockingKey, keyedBlockValue, plainBlockValue, soundex } from '../../src/encode/blocking-keys.js';
import { foldDiacritics } from '../../src/normalize/text.js';

/** Soundex as specified (the letters string first), to check the ASCII fast path against. */
function soundexReference(value: string): string {
  const codes: Record<string, string> = { B: '1', F: '1', P: '1', V: '1', C: '2', G: '2', J: '2', K: '2', Q: '2', S: '2', X: '2', Z: '2', D: '3', T: '3', L: '4', M: '5', N: '5', R: '6' };
  const letters = foldDiacritics(value).toUpperCase().replace(/[^A-Z]/g, '');
  if (letters.length === 0) return '';
  let out = letters[0]!;
  let prev = codes[out] ?? '';
  for (let i = 1; i < letters.length && out.length < 4; i++) {
    const c = letters[i]!;
    const code = codes[c];
    if (code === undefined) {
      if (c !== 'H' && c !== 'W') prev = '';
      continue;
    }
    if (code !== prev) out += code;
    prev = code;
  }
  return out.padEnd(4, '0');
}

const nameLike = fc.string({ unit: fc.constantFrom(...'abhwyeiouAHWYBFPVCGJKQSXZDTLMNR -\'.1é'.split('')), maxLength: 14 });

describe('blocking values: fast paths', () => {
  it('Soundex of ASCII and other values equals the letters-string definition', () => {
    fc.assert(
      fc.property(fc.oneof(nameLike, fc.string(), fc.string({ unit: 'grapheme' })), (v) => {
        expect(soundex(v)).toBe(soundexReference(v));
      }),
      { numRuns: 2000 },
    );
    for (const v of ['Ashcraft', 'HHW', 'Wh', 'a-b-c', 'Pfister', 'bbbbbbbb', 'Honeyman', 'Tymczak', 'x', 'Ee']) expect(soundex(v), v).toBe(soundexReference(v));
  });
  it('prefix counts code points (astral characters too)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('a', 'é', '😀', 'Z'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 8 }), fc.integer({ min: 1, max: 6 }), (v, n) => {
        const want = v.trim() === '' ? '' : [...v.trim()].slice(0, n).join('');
        expect(plainBlockValue({ name: 'p', feature: 'f', transform: 'prefix', length: n }, v)).toBe(want);
      }),
      { numRuns: 60 },
    );
  });
  it('the blocker (caches on plain values) gives keyedBlockValue(plainBlockValue(value)) for every key, repeated values included', () => {
    const secret = new TextEncoder().encode('blocking fast path secret');
    const kb = deriveBlockingKey(secret);
    const defs = [
      { name: 'sx', feature: 'a', transform: 'soundex' as const },
      { name: 'ex', feature: 'a', transform: 'exact' as const },
      { name: 'p2', feature: 'a', transform: 'prefix' as const, length: 2 },
      { name: 'yr', feature: 'b', transform: 'year' as const },
    ];
    const blocker = createBlocker(secret, defs);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(nameLike, fc.constantFrom('Smith', ' Smith', 'Smyth', '', 'Featherstonehaugh-Smith', '漢字', 'Zoë')), fc.constantFrom('2001-02-03', '1999-12-31', 'x', '')), { maxLength: 30 }), (rows) => {
        for (const [a, b] of rows) {
          const got = blocker((f) => (f === 'a' ? a : b));
          expect(got).toEqual(defs.map((d) => keyedBlockValue(kb, d.name, plainBlockValue(d, d.feature === 'a' ? a : b))));
        }
      }),
      { numRuns: 100 },
    );
  });
});
