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
      return [...v].slice(0, def.length ?? 1).join('');
    case 'year': {
      const d = parseDate(v, DATE_LAYOUTS.filter((l) => l !== 'DD/MM/YYYY'));
      return d === null ? '' : String(d.year).padStart(4, '0');
    }
  }
}

/** Computes the keyed blocking values of one record (memoized per key on the feature value). */
export function createBlocker(secret: Uint8Array, defs: readonly BlockingDef[]): (valueFor: (feature: string) => string) => string[] {
  const kb = deriveBlockingKey(secret);
  const mac = createBlockMac(kb); // keyedBlockValue with the key state computed once
  const caches = defs.map(() => new Map<string, string>());
  return (valueFor) =>
    defs.map((def, i) => {
      const value = valueFor(def.feature);
      const cache = caches[i]!;
      let out = cache.get(value);
      if (out === undefined) {
        out = mac(def.name, plainBlockValue(def, value));
        if (cache.size >= 1 << 16) cache.clear();
        cache.set(value, out);
      }
      return out;
    });
}
