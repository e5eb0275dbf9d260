/**
 * clkhash 0.18.3's tokenizers and token byte encodings.
 *
 *  - ngram: by code point; n > 1 pads n-1 spaces on both sides; positional
 *    tokens are prefixed "<1-based index> ".
 *  - exact: the whole value is one token.
 *  - numeric: comparators.NumericComparison: the value (float text) is scaled
 *    by 10^fractional_precision (int() truncation when the precision is 0,
 *    Python round() otherwise), multiplied by 2 x resolution, snapped to the
 *    nearest multiple of thresholdDistance x 10^precision (ties upwards), and
 *    the 2 x resolution + 1 multiples around it are the tokens.
 *  - An empty value has no tokens.
 *
 * Token bytes use the string format's encoding: utf-8 (default), ascii,
 * utf-16 / utf-32 as Python encodes them: a little-endian BOM before every token.
 */
import type { Comparison, StringEncoding } from '../schema/types.js';
import { pythonFloat, roundHalfEven } from './pynum.js';

export type Tokenizer = (value: string) => string[];

export function makeTokenizer(c: Comparison): Tokenizer {
  switch (c.type) {
    case 'ngram':
      return ngramTokenizer(c.n, c.positional);
    case 'exact':
      return (value) => (value.length === 0 ? [] : [value]);
    case 'numeric':
      return numericTokenizer(c.thresholdDistance, c.resolution, c.fractionalPrecision);
  }
}

function ngramTokenizer(n: number, positional: boolean): Tokenizer {
  const pad = n > 1 ? ' '.repeat(n - 1) : '';
  return (value) => {
    if (value.length === 0) return [];
    // Code points, not UTF-16 units (Python str indexing).
    const cps = Array.from(pad + value + pad);
    const count = cps.length - n + 1;
    const out: string[] = new Array(Math.max(0, count));
    for (let i = 0; i < count; i++) {
      let tok = cps[i]!;
      for (let j = 1; j < n; j++) tok += cps[i + j]!;
      out[i] = positional ? `${i + 1} ${tok}` : tok;
    }
    return out;
  };
}

/** Thrown when a numeric comparison meets a value that is not a finite number. */
export class NumericValueError extends Error {}

function numericTokenizer(thresholdDistance: number, resolution: number, precision: number): Tokenizer {
  const scale = 10 ** precision;
  const interval = BigInt(Math.round(thresholdDistance * scale));
  const res = BigInt(resolution);
  return (value) => {
    if (value.length === 0) return [];
    const x = pythonFloat(value);
    if (x === null || !Number.isFinite(x)) throw new NumericValueError('expected a finite decimal number');
    let v = BigInt(precision > 0 ? roundHalfEven(x * scale) : Math.trunc(x));
    v = v * 2n * res;
    let r = v % interval;
    if (r < 0n) r += interval;
    if (r !== 0n) v = 2n * r < interval ? v - r : v + (interval - r);
    const out: string[] = [];
    for (let i = -res; i <= res; i++) out.push((v + i * interval).toString());
    return out;
  };
}

/** Bytes of a token in the feature's encoding; throws TokenEncodingError when Python could not encode it. */
export class TokenEncodingError extends Error {}

const utf8 = new TextEncoder();
const LONE_SURROGATE = /\p{Cs}/u;

/** A token's bytes. The result may be a view of a scratch buffer that the next call overwrites: hash it before encoding the next token. */
export type TokenEncoder = (token: string) => Uint8Array;

export function makeTokenEncoder(encoding: StringEncoding): TokenEncoder {
  switch (encoding) {
    case 'utf-8': {
      let scratch = new Uint8Array(64);
      return (t) => {
        // ASCII fast path: no regex, no allocation (the common case for n-grams of names).
        const n = t.length;
        if (n > scratch.length) scratch = new Uint8Array(2 * n);
        let i = 0;
        for (; i < n; i++) {
          const c = t.charCodeAt(i);
          if (c > 0x7f) break;
          scratch[i] = c;
        }
        if (i === n) return scratch.subarray(0, n);
        if (LONE_SURROGATE.test(t)) throw new TokenEncodingError('value holds an unpaired surrogate (not encodable as utf-8)');
        return utf8.encode(t);
      };
    }
    case 'ascii':
      return (t) => {
        const out = new Uint8Array(t.length);
        for (let i = 0; i < t.length; i++) {
          const c = t.charCodeAt(i);
          if (c > 0x7f) throw new TokenEncodingError('value holds a non-ASCII character (format encoding is ascii)');
          out[i] = c;
        }
        return out;
      };
    case 'utf-16':
      return (t) => {
        if (LONE_SURROGATE.test(t)) throw new TokenEncodingError('value holds an unpaired surrogate (not encodable as utf-16)');
        const out = new Uint8Array(2 + 2 * t.length);
        out[0] = 0xff;
        out[1] = 0xfe;
        for (let i = 0; i < t.length; i++) {
          const c = t.charCodeAt(i);
          out[2 + 2 * i] = c & 0xff;
          out[3 + 2 * i] = c >>> 8;
        }
        return out;
      };
    case 'utf-32':
      return (t) => {
        if (LONE_SURROGATE.test(t)) throw new TokenEncodingError('value holds an unpaired surrogate (not encodable as utf-32)');
        const cps = Array.from(t, (ch) => ch.codePointAt(0)!);
        const out = new Uint8Array(4 + 4 * cps.length);
        out[0] = 0xff;
        out[1] = 0xfe;
        cps.forEach((cp, i) => {
          const o = 4 + 4 * i;
          out[o] = cp & 0xff;
          out[o + 1] = (cp >>> 8) & 0xff;
          out[o + 2] = (cp >>> 16) & 0xff;
        });
        return out;
      };
  }
}

/** Error text when a whole value cannot be encoded (for check()); null when it can. */
export function encodingProblem(value: string, encoding: StringEncoding): string | null {
  if (encoding === 'ascii') {
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0x7f) return 'expected ASCII text (format encoding is ascii); found a non-ASCII character';
    }
    return null;
  }
  // A surrogate-free value (the usual case) needs no regular expression.
  let i = 0;
  while (i < value.length && (value.charCodeAt(i) & 0xf800) !== 0xd800) i++;
  if (i === value.length) return null;
  return LONE_SURROGATE.test(value) ? `expected text encodable as ${encoding}; found an unpaired surrogate` : null;
}

/** bitsPerToken k for every token; bitsPerFeature b over t tokens: the first b mod t get floor(b/t)+1. */
export function bitsForTokens(strategy: { type: 'bitsPerToken'; bitsPerToken: number } | { type: 'bitsPerFeature'; bitsPerFeature: number }, t: number, i: number): number {
  if (strategy.type === 'bitsPerToken') return strategy.bitsPerToken;
  const b = strategy.bitsPerFeature;
  const k = Math.floor(b / t);
  return i < b % t ? k + 1 : k;
}
