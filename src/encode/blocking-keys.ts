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
import { parseDate, type DateLayout } from '../normalize/dates.js';
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

/** soundex() of an all-ASCII value without building the letters string (null when the value is not ASCII); one flat string. */
function soundexAscii(value: string): string | null {
  let c0 = 0;
  let c1 = 48;
  let c2 = 48;
  let c3 = 48;
  let n = 0;
  let prev = 0;
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c > 0x7f) return null;
    if (c >= 97 && c <= 122) c -= 32;
    if (c < 65 || c > 90 || n >= 4) continue;
    const code = SOUNDEX_ASCII[c - 65]!;
    if (n === 0) {
      c0 = c;
      n = 1;
      prev = code === 7 ? 0 : code;
    } else if (code === 0) prev = 0;
    else if (code !== 7) {
      if (code !== prev) {
        if (n === 1) c1 = 48 + code;
        else if (n === 2) c2 = 48 + code;
        else c3 = 48 + code;
        n++;
      }
      prev = code;
    }
  }
  return n === 0 ? '' : String.fromCharCode(c0, c1, c2, c3);
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

/**
 * The layouts a `year` transform reads (blocking values and the hardening
 * salt: they must not change when layouts are added; never DD/MM). Only ISO
 * dates may carry a time of day here, as before the slash layouts took one.
 */
const YEAR_LAYOUTS: readonly DateLayout[] = ['YYYY-MM-DD', 'MM/DD/YYYY', 'YYYYMMDD', 'YYYY/MM/DD'];
const yearOf = (v: string) => (/^\d{4}-/.test(v) || !/[ T:]/.test(v) ? parseDate(v, YEAR_LAYOUTS) : null);

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
      const d = yearOf(v);
      return d === null ? '' : String(d.year).padStart(4, '0');
    }
  }
}

/**
 * A direct-mapped cache of string → keyed value: 2^bits slots, the slot from
 * a hash of the string (FNV-1a), one entry per slot (a colliding string
 * replaces it). The keys are kept inline, 16 bytes a slot (length, then up
 * to 15 characters below U+0100), so a lookup reads one small piece of
 * memory: cheaper than a Map for fresh key strings. Longer keys, or keys
 * with other characters, are not cached (slot -1).
 */
class DirectCache {
  private readonly keys: Uint8Array;
  private readonly vals: string[];
  private readonly shift: number;
  constructor(bits: number) {
    this.keys = new Uint8Array(16 << bits);
    this.vals = new Array<string>(1 << bits).fill('');
    this.shift = 32 - bits;
  }
  /** The slot of `s`, or -1 when it cannot be cached. */
  slot(s: string): number {
    const n = s.length;
    if (n > 15) return -1;
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) return -1;
      h = Math.imul(h ^ c, 0x01000193);
    }
    return h >>> this.shift;
  }
  /** The value cached for `s` at its slot, or undefined. */
  get(slot: number, s: string): string | undefined {
    const k = this.keys;
    const at = slot << 4;
    const n = s.length;
    if (k[at] !== n + 1) return undefined;
    for (let i = 0; i < n; i++) if (k[at + 1 + i] !== s.charCodeAt(i)) return undefined;
    return this.vals[slot];
  }
  set(slot: number, s: string, v: string): void {
    const k = this.keys;
    const at = slot << 4;
    k[at] = s.length + 1;
    for (let i = 0; i < s.length; i++) k[at + 1 + i] = s.charCodeAt(i);
    this.vals[slot] = v;
  }
}

/**
 * Computes the keyed blocking values of one record. The keyed values are
 * memoized per key on the plain value (a year, a Soundex code, a postcode
 * recur far more often than the feature values they come from); the "year"
 * transform, which parses a date, on the feature value.
 */
export function createBlocker(secret: Uint8Array, defs: readonly BlockingDef[]): (valueFor: (feature: string) => string) => string[] {
  const names = [...new Set(defs.map((d) => d.feature))];
  const values = new Array<string>(names.length).fill('');
  const blocks = createIndexedBlocker(
    secret,
    defs,
    defs.map((d) => names.indexOf(d.feature)),
  );
  return (valueFor) => {
    for (let i = 0; i < names.length; i++) values[i] = valueFor(names[i]!);
    return blocks(values);
  };
}

/** createBlocker with each key's feature given as an index into the values array the returned function takes (the row encoder's hot path). */
export function createIndexedBlocker(secret: Uint8Array, defs: readonly BlockingDef[], featureIndex: readonly number[]): (values: readonly string[]) => string[] {
  const kb = deriveBlockingKey(secret);
  const mac = createBlockMac(kb); // keyedBlockValue with the key state computed once
  const caches = defs.map(() => new DirectCache(15));
  const byRaw = defs.map((d) => d.transform === 'year');
  return (values) => {
    const res = new Array<string>(defs.length);
    for (let i = 0; i < defs.length; i++) {
      const def = defs[i]!;
      const value = values[featureIndex[i]!]!;
      const raw = byRaw[i]!;
      const plain = raw ? value : plainBlockValue(def, value);
      if (plain === '') {
        res[i] = '';
        continue;
      }
      const cache = caches[i]!;
      const slot = cache.slot(plain);
      let out = slot < 0 ? undefined : cache.get(slot, plain);
      if (out === undefined) {
        out = mac(def.name, raw ? plainBlockValue(def, value) : plain);
        if (slot >= 0) cache.set(slot, plain, out);
      }
      res[i] = out;
    }
    return res;
  };
}
