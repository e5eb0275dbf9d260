/**
 * Synthetic linkage data for bench:link: two parties of n records each,
 * CLK-like 1024-bit Bloom filters built from fake people, with known true
 * pairs. Not keyed and not secure (a fast FNV hash stands in for the HMAC
 * construction): it only has to look like real CLKs to the linker.
 *
 * People: first name (3,000-name vocabulary, Zipf), last name (30,000,
 * Zipf), date of birth (1950-2012), sex, 5-digit zip (1,000 values). Each
 * field is tokenised (names: padded bigrams; dates/zip: whole values and
 * parts) and each token sets k bits (double hashing), as in a CLK. Party B
 * holds noisy copies of `overlap` of A's people (typos, swapped day/month,
 * moved zip, occasionally a new last name) plus new people, shuffled.
 */
import type { EncodedHeader } from '../src/format/encoded-file.js';
import { makePackedPartyData } from '../src/link/pack.js';
import type { PartyData } from '../src/link/types.js';
import { mulberry32 } from '../src/synth/prng.js';

export const L = 1024;
export const STRIDE = 128;

export function fnv1a(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/** Bit positions a token sets (k of them, double hashing mod L). */
function tokenBits(token: string, k: number): number[] {
  const h1 = fnv1a(token, 1);
  const h2 = fnv1a(token, 2) | 1;
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push((h1 + Math.imul(i, h2)) >>> 0 & (L - 1));
  return out;
}

const SYL = ['ka', 'ma', 'ri', 'an', 'el', 'jo', 'li', 'sa', 'to', 'ne', 'ro', 'be', 'da', 'mi', 'ch', 'ar', 'en', 'is', 'ha', 'le', 'na', 'ta', 'vi', 'ol', 'us', 'ty', 'er', 'wi', 'ph', 'st', 'gr', 'br', 'co', 'nd', 'ly', 'ce', 'th', 'mo', 'ia', 'ck'];

export function makeVocab(n: number, r: () => number, minSyl: number, maxSyl: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  while (out.length < n) {
    const k = minSyl + Math.floor(r() * (maxSyl - minSyl + 1));
    let s = '';
    for (let i = 0; i < k; i++) s += SYL[Math.floor(r() * SYL.length)]!;
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/** Zipf-like sampler over [0, n): P(i) ~ 1/(i+10)^s. */
export function zipf(n: number, s: number, r: () => number): () => number {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += 1 / Math.pow(i + 10, s);
    cdf[i] = acc;
  }
  return () => {
    const x = r() * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface Person {
  first: string;
  last: string;
  y: number;
  m: number;
  d: number;
  sex: number;
  zip: number;
}

const cache = new Map<string, Uint16Array>();
function bitsOf(key: string, make: () => number[]): Uint16Array {
  let v = cache.get(key);
  if (!v) {
    v = Uint16Array.from(make());
    if (cache.size < 500_000) cache.set(key, v);
  }
  return v;
}
function nameBits(field: string, name: string, k: number): Uint16Array {
  return bitsOf(`${field}${k}:${name}`, () => {
    const p = `_${name}_`;
    const out: number[] = [];
    for (let i = 0; i + 2 <= p.length; i++) out.push(...tokenBits(`${field}|${p.slice(i, i + 2)}`, k));
    return out;
  });
}

function writeClk(p: Person, clks: Uint8Array, at: number, m: number): void {
  const set = (bits: Uint16Array) => {
    for (let x = 0; x < bits.length; x++) clks[at + (bits[x]! >>> 3)]! |= 1 << (bits[x]! & 7);
  };
  set(nameBits('f', p.first, Math.round(15 * m)));
  set(nameBits('l', p.last, Math.round(15 * m)));
  set(bitsOf(`y:${p.y}`, () => tokenBits(`y|${p.y}`, Math.round(30 * m))));
  set(bitsOf(`m:${p.m}`, () => tokenBits(`m|${p.m}`, Math.round(20 * m))));
  set(bitsOf(`d:${p.d}`, () => tokenBits(`d|${p.d}`, Math.round(20 * m))));
  set(bitsOf(`s:${p.sex}`, () => tokenBits(`s|${p.sex}`, Math.round(10 * m))));
  set(bitsOf(`z:${p.zip}`, () => tokenBits(`z|${p.zip}`, Math.round(25 * m))));
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
function typo(s: string, r: () => number): string {
  const i = Math.floor(r() * s.length);
  const c = LETTERS[Math.floor(r() * 26)]!;
  const kind = r();
  if (kind < 0.4) return s.slice(0, i) + c + s.slice(i + 1);
  if (kind < 0.7 && s.length > 3) return s.slice(0, i) + s.slice(i + 1);
  if (kind < 0.85) return s.slice(0, i) + c + s.slice(i);
  if (i + 1 < s.length) return s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  return s + c;
}

export interface LinkData {
  a: PartyData;
  b: PartyData;
  /** True pairs (index in A, index in B). */
  truth: Array<[number, number]>;
}

function header(party: string): EncodedHeader {
  return { format: 'p20link/encoded', version: 1, tool: 'bench', createdAt: new Date().toISOString(), party, schemaFingerprint: 'sha256:bench', keyCheckValue: 'bench', l: L, columns: ['id', 'clk', 'block:yob'], rowCount: 0 } as EncodedHeader;
}

/**
 * density multiplies every field's bits per token: 1 gives ~27 % of bits set
 * (the default), 2.5 about 55 % (like the p20w-person schema), 3.5 about 68 %.
 */
export function generateLinkData(n: number, opts: { seed?: number; overlap?: number; density?: number } = {}): LinkData {
  const r = mulberry32(opts.seed ?? 42);
  const m = opts.density ?? 1;
  cache.clear();
  const overlap = opts.overlap ?? 0.5;
  const firsts = makeVocab(3000, r, 2, 3);
  const lasts = makeVocab(30000, r, 2, 4);
  const pickFirst = zipf(firsts.length, 1.1, r);
  const pickLast = zipf(lasts.length, 0.9, r);
  const person = (): Person => ({
    first: firsts[pickFirst()]!,
    last: lasts[pickLast()]!,
    y: 1950 + Math.floor(r() * 63),
    m: 1 + Math.floor(r() * 12),
    d: 1 + Math.floor(r() * 28),
    sex: r() < 0.5 ? 0 : 1,
    zip: Math.floor(r() * 1000),
  });
  const noisy = (p: Person): Person => {
    const q = { ...p };
    if (r() < 0.25) q.first = typo(q.first, r);
    if (r() < 0.25) q.last = typo(q.last, r);
    if (r() < 0.03) q.last = lasts[pickLast()]!;
    if (r() < 0.05) [q.d, q.m] = q.d <= 12 ? [q.m, q.d] : [q.d, q.m];
    if (r() < 0.05) q.y += r() < 0.5 ? 1 : -1;
    if (r() < 0.15) q.zip = Math.floor(r() * 1000);
    return q;
  };
  const clksA = new Uint8Array(n * STRIDE);
  const yobA: string[] = new Array(n);
  const peopleA: Person[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = person();
    peopleA[i] = p;
    writeClk(p, clksA, i * STRIDE, m);
    yobA[i] = String(p.y);
  }
  // B: shuffled mix of noisy copies and new people
  const nTrue = Math.round(n * overlap);
  const src = new Int32Array(n).fill(-1);
  for (let j = 0; j < nTrue; j++) src[j] = Math.floor(r() * n);
  // A-side uniqueness: sample without replacement
  const used = new Uint8Array(n);
  for (let j = 0; j < nTrue; j++) {
    let i = src[j]!;
    while (used[i]) i = (i + 1) % n;
    used[i] = 1;
    src[j] = i;
  }
  for (let j = n - 1; j > 0; j--) {
    const x = Math.floor(r() * (j + 1));
    const t = src[j]!;
    src[j] = src[x]!;
    src[x] = t;
  }
  const clksB = new Uint8Array(n * STRIDE);
  const yobB: string[] = new Array(n);
  const truth: Array<[number, number]> = [];
  for (let j = 0; j < n; j++) {
    const i = src[j]!;
    const p = i >= 0 ? noisy(peopleA[i]!) : person();
    if (i >= 0) truth.push([i, j]);
    writeClk(p, clksB, j * STRIDE, m);
    yobB[j] = String(p.y);
  }
  truth.sort((x, y) => x[0] - y[0]);
  const ids = (pre: string) => Array.from({ length: n }, (_, i) => `${pre}${i}`);
  const a = makePackedPartyData({ name: 'a', file: 'synthetic-a', header: header('a'), ids: ids('a'), clks: clksA, blocks: { yob: yobA } });
  const b = makePackedPartyData({ name: 'b', file: 'synthetic-b', header: header('b'), ids: ids('b'), clks: clksB, blocks: { yob: yobB } });
  return { a, b, truth };
}
