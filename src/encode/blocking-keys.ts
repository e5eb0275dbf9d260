/**
 * Keyed blocking values. A blocking value (birth year, Soundex of the
 * surname, …) would leak if written in clear, so the encoded file carries
 * only a keyed hash of it:
 *
 *   K_b   = HKDF-SHA256(IKM = secret, salt = "p20link/blocking/v1", info = "blocking key", 32 bytes)
 *   value = hex(first 16 bytes of HMAC-SHA256(K_b, UTF-8(name + "\0" + plain)))
 *
 * `name` is the blocking key's name from the schema, so equal plain values
 * under different keys (e.g. a year of birth and a year of enrolment) do not
 * collide. A missing plain value (empty after normalization) is written as ""
 * and the linker never blocks on it. Documented in protocols/encoded-file.md.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { foldDiacritics } from '../normalize/text.js';
import { parseDate, DATE_LAYOUTS } from '../normalize/dates.js';
import type { BlockingDef } from '../schema/extension.js';
import { createBlockMac } from './bloom-hash.js';

export const BLOCKING_SALT = 'p20link/blocking/v1';
export const BLOCKING_INFO = 'blocking key';

// blocking-key definitions (p20link.blocking) are parsed by the schema
export type { BlockingDef } from '../schema/extension.js';

const te = new TextEncoder();

/** K_b from the linkage secret. */
export function deriveBlockingKey(secret: Uint8Array): Uint8Array {
  return hkdf(sha256, secret, te.encode(BLOCKING_SALT), te.encode(BLOCKING_INFO), 32);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The keyed value of `plain` under blocking key `name`; "" for an empty plain value. */
export function keyedBlockValue(kb: Uint8Array, name: string, plain: string): string {
  if (plain === '') return '';
  const mac = hmac(sha256, kb, te.encode(`${name}\0${plain}`));
  let s = '';
  for (let i = 0; i < 16; i++) s += HEX[mac[i]!];
  return s;
}

const SOUNDEX_CODES: Record<string, string> = {
  B: '1', F: '1', P: '1', V: '1',
  C: '2', G: '2', J: '2', K: '2', Q: '2', S: '2', X: '2', Z: '2',
  D: '3', T: '3', L: '4', M: '5', N: '5', R: '6',
};

/**
 * American Soundex (as in the US census): first letter + three digits.
 * Letters only (diacritics folded, case ignored, spaces/hyphens skipped so a
 * compound surname is coded as one word); H and W do not separate equal
 * codes, vowels do. "" when the value has no letter.
 */
export function soundex(value: string): string {
  const fast = soundexAscii(value);
  if (fast !== null) return fast;
  const letters = foldDiacritics(value).toUpperCase().replace(/[^A-Z]/g, '');
  if (letters.length === 0) return '';
  const first = letters[0]!;
  let out = first;
  let prev = SOUNDEX_CODES[first] ?? '';
  for (let i = 1; i < letters.length && out.length < 4; i++) {
    const c = letters[i]!;
    const code = SOUNDEX_CODES[c];
    if (code === undefined) {
      if (c !== 'H' && c !== 'W') prev = ''; // vowels (and Y) separate
      continue;
    }
    if (code !== prev) out += code;
    prev = code;
  }
  return out.padEnd(4, '0');
}

/** Per letter A..Z: its Soundex digit 1..6, 0 for vowels and Y (they separate equal codes), 7 for H and W (they do not). */
const SOUNDEX_ASCII = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ', (c) => (c === 'H' || c === 'W' ? 7 : Number(SOUNDEX_CODES[c] ?? 0)));

/** soundex() of an all-ASCII value without building the letters string (null when the value is not ASCII). */
function soundexAscii(value: string): string | null {
  let out = '';
  let n = 0;
  let prev = 0;
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c > 0x7f) return null;
    if (c >= 97 && c <= 122) c -= 32;
    if (c < 65 || c > 90 || n >= 4) continue;
    const code = SOUNDEX_ASCII[c - 65]!;
    if (n === 0) {
      out = String.fromCharCode(c);
      n = 1;
      prev = code === 7 ? 0 : code;
    } else if (code === 0) prev = 0;
    else if (code !== 7) {
      if (code !== prev) {
        out += String.fromCharCode(48 + code);
        n++;
      }
      prev = code;
    }
  }
  if (n === 0) return '';
  return n === 4 ? out : out.padEnd(4, '0');
}

/** The first `n` code points of `v` (a plain slice when they hold no surrogate pair). */
function prefix(v: string, n: number): string {
  const end = Math.min(n, v.length);
  for (let i = 0; i < end; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return [...v].slice(0, n).join('');
  }
  return v.slice(0, end);
}

/** The plain blocking value of a normalized feature value ("" = missing). */
export function plainBlockValue(def: BlockingDef, value: string): string {
  const v = value.trim();
  if (v === '') return '';
  switch (def.transform) {
    case 'exact':
      return v;
    case 'soundex':
      return soundex(v);
    case 'prefix':
      return prefix(v, def.length ?? 1);
    case 'year': {
      const d = parseDate(v, DATE_LAYOUTS.filter((l) => l !== 'DD/MM/YYYY'));
      return d === null ? '' : String(d.year).padStart(4, '0');
    }
  }
}

/**
 * Computes the keyed blocking values of one record. The keyed values are
 * memoized per key on the plain value (a year, a Soundex code, a postcode
 * recur far more often than the feature values they come from); the "year"
 * transform, which parses a date, on the feature value.
 */
export function createBlocker(secret: Uint8Array, defs: readonly BlockingDef[]): (valueFor: (feature: string) => string) => string[] {
  const kb = deriveBlockingKey(secret);
  const mac = createBlockMac(kb); // keyedBlockValue with the key state computed once
  const caches = defs.map(() => new Map<string, string>());
  const byRaw = defs.map((d) => d.transform === 'year');
  return (valueFor) => {
    const res = new Array<string>(defs.length);
    for (let i = 0; i < defs.length; i++) {
      const def = defs[i]!;
      const value = valueFor(def.feature);
      const raw = byRaw[i]!;
      const plain = raw ? value : plainBlockValue(def, value);
      const cache = caches[i]!;
      let out = cache.get(plain);
      if (out === undefined) {
        out = mac(def.name, raw ? plainBlockValue(def, value) : plain);
        if (cache.size >= 1 << 12) cache.clear();
        cache.set(plain, out);
      }
      res[i] = out;
    }
    return res;
  };
}
