/**
 * Python's int(s, 10) and float(s) on strings, as clkhash applies them to
 * integer features and numeric comparisons: surrounding Unicode whitespace is
 * dropped, any Unicode decimal digit counts ("٤٢" is 42), single underscores
 * may separate digits ("1_000"), a leading "+" or "-" is allowed.
 */
import { digitValue } from '../schema/strptime.js';

// Characters CPython treats as whitespace (Py_UNICODE_ISSPACE).
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const STRIP_RE = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');
const INT_RE = /^[+-]?\p{Nd}(?:_?\p{Nd})*$/u;
const ASCII_INT_RE = /^[+-]?[0-9]+$/;
const FLOAT_RE =
  /^[+-]?(?:(?:\p{Nd}(?:_?\p{Nd})*)?\.\p{Nd}(?:_?\p{Nd})*|\p{Nd}(?:_?\p{Nd})*\.?)(?:[eE][+-]?\p{Nd}(?:_?\p{Nd})*)?$/u;
const SPECIAL_FLOAT_RE = /^[+-]?(?:inf|infinity|nan)$/i;

function pyStrip(s: string): string {
  return s.replace(STRIP_RE, '');
}

function toAsciiDigits(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x30 && cp <= 0x39) out += ch;
    else if (/\p{Nd}/u.test(ch)) out += String.fromCharCode(0x30 + digitValue(cp));
    else if (ch !== '_') out += ch;
  }
  return out;
}

/**
 * str(int(s, 10)) as Python computes it: the canonical decimal text, or null
 * if Python would raise ValueError. Works on integers of any size.
 */
export function pythonIntString(s: string): string | null {
  // Fast path: plain ASCII digits with an optional sign.
  let t = s;
  if (!ASCII_INT_RE.test(t)) {
    t = pyStrip(s);
    if (!INT_RE.test(t)) return null;
    t = toAsciiDigits(t);
  }
  let neg = false;
  let i = 0;
  if (t[0] === '-' || t[0] === '+') {
    neg = t[0] === '-';
    i = 1;
  }
  while (i < t.length - 1 && t[i] === '0') i++;
  const digits = t.slice(i);
  if (digits === '0') return '0';
  return neg ? '-' + digits : digits;
}

/** int(s, 10) as a BigInt, or null where Python raises ValueError. */
export function pythonInt(s: string): bigint | null {
  const t = pythonIntString(s);
  return t === null ? null : BigInt(t);
}

/**
 * float(s) as Python computes it, or null where Python raises ValueError.
 * Infinities and NaN are returned as such.
 */
export function pythonFloat(s: string): number | null {
  const t = pyStrip(s);
  if (SPECIAL_FLOAT_RE.test(t)) {
    const neg = t[0] === '-';
    if (/nan/i.test(t)) return NaN;
    return neg ? -Infinity : Infinity;
  }
  if (!FLOAT_RE.test(t)) return null;
  // Number() parses decimal text with correct rounding, as CPython's dtoa does.
  return Number(toAsciiDigits(t));
}

/** Python's round(x) for a float: nearest integer, ties to even; exact on the double. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f; // exact for |x| < 2^52; beyond that x is an integer already
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
