/**
 * Hardening of CLKs against cryptanalysis (pattern mining, frequency and
 * graph-matching attacks; see docs/attacks.md). Pure functions over CLK bytes
 * (bit i = byte i>>3, mask 0x80 >> (i & 7), as in clk.ts) applying the
 * schema's `p20link.hardening` section (validated by src/schema/hardening.ts).
 * The wire-level definition of every method is protocols/hardening.md; the
 * schema fingerprint covers the section.
 *
 * Order of application (fixed, whatever the order of keys in the JSON):
 *   salt (token level, inside the CLK encoder) → rule90 → eld → xorFold → balance → blip
 *
 * Keys: K_m = HKDF-SHA256(IKM = secret, salt = "p20link/hardening/v1",
 * info = m, 32 bytes) for m in "eld", "balance", "blip". A method's keyed
 * choices (ELD taps, the balancing permutation, BLIP's per-record flips) are
 * therefore unknown to anyone without the secret, and identical for every
 * agency holding it: encodings stay reproducible and comparable.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { EldConfig, HardeningConfig, SaltConfig } from '../schema/hardening.js';
import { plainBlockValue } from './blocking-keys.js';

export const HARDENING_SALT = 'p20link/hardening/v1';

const te = new TextEncoder();

export function deriveHardeningKey(secret: Uint8Array, method: 'eld' | 'balance' | 'blip'): Uint8Array {
  return hkdf(sha256, secret, te.encode(HARDENING_SALT), te.encode(method), 32);
}

const getBit = (b: Uint8Array, i: number): number => (b[i >>> 3]! >>> (7 - (i & 7))) & 1;
const setBit = (b: Uint8Array, i: number): void => {
  b[i >>> 3]! |= 0x80 >>> (i & 7);
};
const u32be = (n: number): Uint8Array => new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const readU32 = (b: Uint8Array, o: number): number => ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;

function checkLength(bytes: Uint8Array, l: number, what: string): void {
  if (bytes.length !== Math.ceil(l / 8)) throw new RangeError(`${what}: ${bytes.length} bytes, expected ${Math.ceil(l / 8)} for ${l} bits`);
}

/** XOR-fold once: out[i] = in[i] XOR in[i + l/2]; l must be even. Returns l/2 bits. */
export function xorFold(bytes: Uint8Array, l: number): Uint8Array {
  checkLength(bytes, l, 'xorFold');
  if (l % 2 !== 0) throw new RangeError('xorFold: odd length');
  const h = l / 2;
  const out = new Uint8Array(Math.ceil(h / 8));
  for (let i = 0; i < h; i++) if (getBit(bytes, i) ^ getBit(bytes, i + h)) setBit(out, i);
  return out;
}

/** One round of rule 90 on a ring of l cells: out[i] = in[i-1] XOR in[i+1]. */
export function rule90(bytes: Uint8Array, l: number): Uint8Array {
  checkLength(bytes, l, 'rule90');
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < l; i++) if (getBit(bytes, (i + l - 1) % l) ^ getBit(bytes, (i + 1) % l)) setBit(out, i);
  return out;
}

/**
 * ELD tap table (after Armknecht et al. 2023): output bit j XORs `taps`
 * distinct input positions. Positions come from the stream
 * HMAC-SHA256(K_eld, u32be(j) || u32be(c)), c = 0, 1, …, read as big-endian
 * uint32 words w; position = w mod l; repeats are skipped.
 */
export function eldTaps(key: Uint8Array, l: number, cfg: EldConfig): Uint32Array {
  const t = cfg.taps;
  const out = new Uint32Array(cfg.bits * t);
  const base = hmac.create(sha256, key);
  for (let j = 0; j < cfg.bits; j++) {
    const got: number[] = [];
    for (let c = 0; got.length < t; c++) {
      const mac = base.clone().update(u32be(j)).update(u32be(c)).digest();
      for (let w = 0; w < 8 && got.length < t; w++) {
        const p = readU32(mac, 4 * w) % l;
        if (!got.includes(p)) got.push(p);
      }
    }
    for (let k = 0; k < t; k++) out[j * t + k] = got[k]!;
  }
  return out;
}

/**
 * Every byte value's 8 bits as 8 bytes of 0 or 1, most significant bit first,
 * read as two 32-bit words (built through a byte view, so the table is right
 * whatever the platform's byte order).
 */
const BIT_BYTES: Uint32Array = (() => {
  const t = new Uint32Array(512);
  const t8 = new Uint8Array(t.buffer);
  for (let v = 0; v < 256; v++) for (let k = 0; k < 8; k++) t8[8 * v + k] = (v >>> (7 - k)) & 1;
  return t;
})();
/** eldDiffuse's scratch: the input's bits, one byte each (bitWords and bitBytes share one buffer). */
let bitWords = new Uint32Array(2 * 128);
let bitBytes = new Uint8Array(bitWords.buffer);

/**
 * Apply an ELD tap table: out[j] = XOR of in[taps[j*t .. j*t+t-1]]. The
 * input is first spread to one byte per bit, so each tap is one load; with
 * 2 taps and whole output bytes (the shipped schemas) eight output bits are
 * built per step. About 6 times faster than reading each tap's bit from its
 * byte (1,024 bits, 2 taps: 10 -> 1.6 µs); the output is the same bit for bit
 * (the known-answer vectors and a property test against the bitwise
 * definition check it).
 */
export function eldDiffuse(bytes: Uint8Array, l: number, taps: Uint32Array, t: number): Uint8Array {
  checkLength(bytes, l, 'eld');
  const m = taps.length / t;
  const out = new Uint8Array(Math.ceil(m / 8));
  if (bitWords.length < 2 * bytes.length) {
    bitWords = new Uint32Array(2 * bytes.length);
    bitBytes = new Uint8Array(bitWords.buffer);
  }
  const w = bitWords;
  const bit = bitBytes;
  for (let i = 0; i < bytes.length; i++) {
    const v = bytes[i]! << 1;
    w[2 * i] = BIT_BYTES[v]!;
    w[2 * i + 1] = BIT_BYTES[v + 1]!;
  }
  const tp = tapTable(taps, l);
  if (t === 2 && m % 8 === 0) {
    for (let j = 0, p = 0; j < out.length; j++, p += 16) {
      out[j] =
        ((bit[tp[p]!]! ^ bit[tp[p + 1]!]!) << 7) |
        ((bit[tp[p + 2]!]! ^ bit[tp[p + 3]!]!) << 6) |
        ((bit[tp[p + 4]!]! ^ bit[tp[p + 5]!]!) << 5) |
        ((bit[tp[p + 6]!]! ^ bit[tp[p + 7]!]!) << 4) |
        ((bit[tp[p + 8]!]! ^ bit[tp[p + 9]!]!) << 3) |
        ((bit[tp[p + 10]!]! ^ bit[tp[p + 11]!]!) << 2) |
        ((bit[tp[p + 12]!]! ^ bit[tp[p + 13]!]!) << 1) |
        (bit[tp[p + 14]!]! ^ bit[tp[p + 15]!]!);
    }
    return out;
  }
  for (let j = 0, p = 0; j < m; j++) {
    let x = 0;
    for (let k = 0; k < t; k++, p++) x ^= bit[tp[p]!]!;
    if (x !== 0) out[j >> 3]! |= 0x80 >> (j & 7);
  }
  return out;
}

/** A tap table as 16-bit positions when l allows (half the cache lines), computed once per table. */
const tapTables = new WeakMap<Uint32Array, Uint16Array | Uint32Array>();
function tapTable(taps: Uint32Array, l: number): Uint16Array | Uint32Array {
  if (l > 0x10000) return taps;
  let t = tapTables.get(taps);
  if (!t) {
    t = Uint16Array.from(taps);
    tapTables.set(taps, t);
  }
  return t;
}

/**
 * Balancing permutation of 2l positions (Fisher–Yates, i from 2l-1 down to 1,
 * j = first-4-bytes-big-endian(HMAC-SHA256(K_balance, u32be(i))) mod (i+1)).
 * perm[k] = the position of the concatenation that lands at output k.
 */
export function balancePermutation(key: Uint8Array, l: number): Uint32Array {
  const n = 2 * l;
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const base = hmac.create(sha256, key);
  for (let i = n - 1; i > 0; i--) {
    const j = readU32(base.clone().update(u32be(i)).digest(), 0) % (i + 1);
    const tmp = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = tmp;
  }
  return perm;
}

/** Balanced Bloom filter: the l bits, then their complements, permuted. 2l bits, popcount exactly l. */
export function balance(bytes: Uint8Array, l: number, perm: Uint32Array): Uint8Array {
  checkLength(bytes, l, 'balance');
  if (perm.length !== 2 * l) throw new RangeError('balance: permutation length must be 2l');
  const out = new Uint8Array(Math.ceil((2 * l) / 8));
  for (let k = 0; k < 2 * l; k++) {
    const src = perm[k]!;
    const v = src < l ? getBit(bytes, src) : 1 - getBit(bytes, src - l);
    if (v) setBit(out, k);
  }
  return out;
}

/**
 * BLIP (randomized response, Schnell & Borgs 2016), keyed and deterministic:
 * seed = HMAC-SHA256(K_blip, input bytes); stream = SHA-256(seed || u32be(c))
 * for c = 0, 1, …; bit i reads the big-endian uint16 u_i at stream bytes
 * [2i, 2i+2) and is flipped iff u_i < round(f × 65536). The same record
 * content under the same secret always gives the same flips.
 */
export function blip(bytes: Uint8Array, l: number, f: number, key: Uint8Array): Uint8Array {
  checkLength(bytes, l, 'blip');
  const cut = Math.round(f * 65536);
  const seed = hmac(sha256, key, bytes);
  const out = bytes.slice();
  const buf = new Uint8Array(36);
  buf.set(seed, 0);
  let block = new Uint8Array(0);
  for (let i = 0; i < l; i++) {
    const off = (2 * i) % 32;
    if (off === 0) {
      buf.set(u32be((2 * i) / 32), 32);
      block = sha256(buf);
    }
    const u = (block[off]! << 8) | block[off + 1]!;
    if (u < cut) out[i >>> 3]! ^= 0x80 >>> (i & 7);
  }
  return out;
}

/** The salt string of one record for a salt config ("" when the source value is missing). */
export function saltValue(cfg: SaltConfig, sourceValue: string): string {
  return plainBlockValue({ name: 'salt', feature: cfg.from, transform: cfg.transform, ...(cfg.length !== undefined ? { length: cfg.length } : {}) }, sourceValue);
}

/** The token actually hashed for a salted feature. */
export function saltedToken(salt: string, token: string): string {
  return salt === '' ? token : `${salt}\u0000${token}`;
}

/** Final length in bits after the post-CLK steps. */
export function hardenedLength(cfg: HardeningConfig | undefined, l: number): number {
  if (!cfg) return l;
  let n = l;
  if (cfg.eld) n = cfg.eld.bits;
  for (let i = 0; i < (cfg.xorFold ?? 0); i++) n /= 2;
  if (cfg.balance) n *= 2;
  return n;
}

/** The post-CLK part of a hardening config, keyed once: CLK bytes (l bits) → hardened bytes. */
export function createHardener(cfg: HardeningConfig | undefined, l: number, secret: Uint8Array): ((clk: Uint8Array) => Uint8Array) | null {
  if (!cfg || (!cfg.rule90 && !cfg.eld && !cfg.xorFold && !cfg.balance && !cfg.blip)) return null;
  const taps = cfg.eld ? eldTaps(deriveHardeningKey(secret, 'eld'), l, cfg.eld) : null;
  const afterEld = cfg.eld ? cfg.eld.bits : l;
  let folded = afterEld;
  for (let i = 0; i < (cfg.xorFold ?? 0); i++) folded /= 2;
  const perm = cfg.balance ? balancePermutation(deriveHardeningKey(secret, 'balance'), folded) : null;
  const blipKey = cfg.blip ? deriveHardeningKey(secret, 'blip') : null;
  return (clk) => {
    let b = clk;
    let n = l;
    for (let r = 0; r < (cfg.rule90 ?? 0); r++) b = rule90(b, n);
    if (taps) {
      b = eldDiffuse(b, n, taps, cfg.eld!.taps);
      n = cfg.eld!.bits;
    }
    for (let i = 0; i < (cfg.xorFold ?? 0); i++) {
      b = xorFold(b, n);
      n /= 2;
    }
    if (perm) {
      b = balance(b, n, perm);
      n *= 2;
    }
    if (blipKey) b = blip(b, n, cfg.blip!.f, blipKey);
    return b;
  };
}
