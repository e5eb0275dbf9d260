import { DEFAULT_LSH_SEED, leafParts, type BlockingConfig } from '../blocking/config.js';
import { fillLshKeys, lshPermutations } from '../blocking/keys.js';
import { presenceMask, swapFilters } from '../model/compare.js';
import { strideFor } from '../pack.js';
import type { PartyData } from '../types.js';
import type { EncodedHeader } from '../../format/encoded-file.js';

/**
 * Band keys of the persistent blocking index (docs/registry.md "Blocking
 * index"): the same banding as a full run (src/link/blocking/keys.ts), but
 * each key made global so it can be stored and looked up later:
 *
 *   key = band number × 2^32 + the band's 32-bit key
 *
 * - lsh parts: the MinHash band keys of the CLK, exactly as a full run
 *   computes them (same seeded permutations); an empty CLK gets no key.
 * - keys parts: a full run numbers the compound block values of its inputs
 *   densely; a registry cannot, so the key is a 32-bit FNV-1a hash of the
 *   compound value (already a keyed HMAC value: nothing to reverse). A
 *   record with any of the named values missing (or a stored record whose
 *   file lacked the column) gets no key. A hash collision only adds
 *   candidates, which scoring then rejects. The registry stores each
 *   record's keyed block values, so the index can be rebuilt under another
 *   blocking.
 * An "all pairs" part (none) cannot be indexed: the registry refuses it.
 */

const TWO32 = 2 ** 32;

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fnvFinish(h);
}

/** The final mix of fnv1a32 and bytesHash32. */
function fnvFinish(h: number): number {
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

interface Plan {
  nb: number;
  lsh: { perms: Uint16Array; bands: number; rows: number; bandOffset: number }[];
  keys: { names: string[]; band: number }[];
}

const plans = new Map<string, Plan>();

function planOf(cfg: BlockingConfig, l: number): Plan {
  const id = `${JSON.stringify(cfg)}|${l}`;
  let p = plans.get(id);
  if (p) return p;
  p = { nb: 0, lsh: [], keys: [] };
  for (const part of leafParts(cfg)) {
    if (part.kind === 'lsh') {
      p.lsh.push({ perms: lshPermutations(part.bands, part.rows, l, part.seed ?? DEFAULT_LSH_SEED), bands: part.bands, rows: part.rows, bandOffset: p.nb });
      p.nb += part.bands;
    } else if (part.kind === 'keys') {
      p.keys.push({ names: part.names, band: p.nb });
      p.nb += 1;
    }
  }
  plans.set(id, p);
  return p;
}

/** Number of bands of a blocking config (0 for all-pairs only). */
export function persistentBandCount(cfg: BlockingConfig, l: number): number {
  return planOf(cfg, l).nb;
}

/** Per band of a blocking config: 1 for an LSH band, 0 for a keys part's band. */
export function lshBandMask(cfg: BlockingConfig, l: number): Uint8Array {
  const plan = planOf(cfg, l);
  const mask = new Uint8Array(plan.nb);
  for (const part of plan.lsh) mask.fill(1, part.bandOffset, part.bandOffset + part.bands);
  return mask;
}

/** Hash of one keys part's compound value (0 = a named value is missing). */
function keysPartHash(names: readonly string[], get: (name: string) => string): number {
  const vals: string[] = [];
  for (const n of names) {
    const v = get(n);
    if (v === '') return 0;
    vals.push(v);
  }
  return fnv1a32(vals.join('\u0000')) || 1;
}

/** The keyed block values of record i (all block columns of its file), or null when the file has none. */
export function blockValuesOf(p: PartyData, i: number): Record<string, string> | null {
  const names = Object.keys(p.blocks);
  if (names.length === 0) return null;
  const out: Record<string, string> = {};
  for (const n of names) out[n] = p.blocks[n]![i] ?? '';
  return out;
}

/**
 * Band keys of records [from, to) of a packed party, record-major into
 * `out` (nb numbers per record; NaN = no key in that band).
 */
export function partyBandKeys(cfg: BlockingConfig, p: PartyData, from: number, to: number, out: Float64Array): void {
  fillBandKeys(cfg, p, p.clks.subarray(from * p.stride, to * p.stride), (i) => from + i, to - from, out);
}

/** Band keys of the records of a packed party at the given positions (any order), record-major into `out` as partyBandKeys. */
export function partyBandKeysAt(cfg: BlockingConfig, p: PartyData, at: ArrayLike<number>, out: Float64Array): void {
  const n = at.length;
  // their CLKs gathered into one packed run, so MinHash runs once over them
  const clks = new Uint8Array(n * p.stride);
  for (let i = 0; i < n; i++) clks.set(p.clks.subarray(at[i]! * p.stride, (at[i]! + 1) * p.stride), i * p.stride);
  fillBandKeys(cfg, p, clks, (i) => at[i]!, n, out);
}

/** Band keys of n records whose packed CLKs are `clks` (the party's stride), record i being the party's record `record(i)`. */
function fillBandKeys(cfg: BlockingConfig, p: PartyData, clks: Uint8Array, record: (i: number) => number, n: number, out: Float64Array): void {
  const l = p.header.l;
  const plan = planOf(cfg, l);
  const nb = plan.nb;
  const u32 = new Uint32Array(n * nb);
  for (const part of plan.lsh) {
    fillLshKeys(clks, p.stride, 0, n, part.perms, l, part.bands, part.rows, u32, nb, part.bandOffset, 0);
  }
  for (let i = 0; i < n; i++) {
    const r = record(i);
    const empty = p.popcounts[r] === 0;
    for (const part of plan.lsh) {
      for (let k = 0; k < part.bands; k++) {
        const b = part.bandOffset + k;
        out[i * nb + b] = empty ? NaN : b * TWO32 + u32[i * nb + b]!;
      }
    }
    for (const k of plan.keys) {
      const v = keysPartHash(k.names, (name) => p.blocks[name]?.[r] ?? '');
      out[i * nb + k.band] = v === 0 ? NaN : k.band * TWO32 + v;
    }
  }
}

/** Whether no bit is set (an empty filter has no MinHash and no key). */
function allZero(b: Uint8Array): boolean {
  let any = 0;
  for (const v of b) any |= v;
  return any === 0;
}

/** One stored filter of l bits (unpadded) packed as a party's are (strideFor(l) bytes, zero padded), for fillLshKeys. */
function packedOne(bytes: Uint8Array, l: number): Uint8Array {
  const stride = strideFor(l);
  const packed = new Uint8Array(stride);
  packed.set(bytes.subarray(0, Math.min(bytes.length, stride)));
  return packed;
}

/** Band keys of one stored record (unpadded CLK + keyed block values), e.g. to remove it from the index or to re-index. */
export function storedBandKeys(cfg: BlockingConfig, l: number, clk: Uint8Array, blocks: Record<string, string> | null): number[] {
  const plan = planOf(cfg, l);
  const nb = plan.nb;
  const packed = packedOne(clk, l);
  const u32 = new Uint32Array(nb);
  const out: number[] = [];
  if (!allZero(packed)) {
    for (const part of plan.lsh) {
      fillLshKeys(packed, packed.length, 0, 1, part.perms, l, part.bands, part.rows, u32, nb, part.bandOffset, 0);
      for (let k = 0; k < part.bands; k++) out.push((part.bandOffset + k) * TWO32 + u32[part.bandOffset + k]!);
    }
  }
  for (const k of plan.keys) {
    const v = keysPartHash(k.names, (name) => blocks?.[name] ?? '');
    if (v !== 0) out.push(k.band * TWO32 + v);
  }
  return out;
}

/**
 * Evidence keys (docs/registry.md "Evidence keys"): a registry built with the
 * match model also indexes, per record, a 32-bit hash of its `first_dob` and
 * of its `last_dob` evidence filter (name + birth date), both in one band,
 * EVIDENCE_BAND, after every blocking band. The two filters share their keys
 * (compare.ts swapFilters), so one band holds both: a new record's key meets
 * a registered record whose same filter is identical (a married name keeps
 * `first_dob`, a nickname keeps `last_dob`, a move keeps both) and one whose
 * other filter is (a first/last swap), which the CLK's bands miss when the
 * rest of the record changed. These are the full run's evidence and
 * crosswise candidates an increment can find without reading the registry.
 * A filter gets a key only when its name and the birth date are both
 * recorded (a filter of the date alone would join everyone born that day).
 * The key is of an HMAC-keyed Bloom filter the linker already holds: it
 * adds no material, only an index row.
 */
export const EVIDENCE_BAND = 0xffff;

/** The evidence filters indexed (EVIDENCE_BAND) and the presence features each needs. */
export const EVIDENCE_KEY_FILTERS: readonly { name: string; fields: readonly string[] }[] = [
  { name: 'first_dob', fields: ['first_name', 'birth_date'] },
  { name: 'last_dob', fields: ['last_name', 'birth_date'] },
];

/**
 * Where each indexed filter lies in a stored record's evidence (the filters
 * back to back in header order, ceil(l/8) bytes each) and the presence bits
 * it needs. Kept in the registry configuration (`indexEvidence`): the index
 * is rebuilt when it changes.
 */
export interface EvidenceIndex {
  filters: { name: string; offset: number; bytes: number; need: number }[];
  /**
   * The `names` filter (NAMES_BANDS MinHash bands): where it lies, its bits, the presence bits of both names and of the
   * birth date; `identical`: its hash is indexed too (NAMES_IDENTICAL_BAND), when both names and the date are there.
   */
  names?: { offset: number; bytes: number; l: number; need: number; dob: number; identical?: true };
}

/**
 * The names bands (docs/registry.md "Evidence keys"): a record whose birth
 * date is missing has no `first_dob` / `last_dob` key (both hold the date),
 * and its `names` filter (names, sex, one light date token) differs from its
 * partner's by that token only. So the index also holds NAMES_BANDS MinHash
 * bands of NAMES_ROWS rows over `names`, in two groups: a record with its
 * birth date in bands NAMES_BAND0.., one without it in the next
 * NAMES_BANDS. A new record looks its names keys up in the other group only
 * (the full run's missing-side rule, src/link/model MISSING_SIDE_CAP): a pair
 * with the date missing on exactly one side, competing only with the few
 * records missing a date, or with the namesakes of a record missing one —
 * a crowd beyond EVIDENCE_CROWD proposes none. 16 rows make a chance
 * collision of unrelated names rare (Jaccard ≈ 0.33: 2·10⁻⁸ a band).
 */
export const NAMES_BANDS = 8;
export const NAMES_ROWS = 16;
const NAMES_LSH_SEED = 0x6e616d65;
export const NAMES_BAND0 = EVIDENCE_BAND - 2 * NAMES_BANDS;

/**
 * The identical-`names` key (docs/registry.md "Evidence keys"): a 32-bit hash
 * of a record's `names` filter when both names and the birth date are
 * recorded. The default `names` filter holds the date with day and month
 * unordered (protocols/linkage-schema.md, `unordered-date`), so two records
 * of one person whose day and month are swapped have identical `names`
 * filters while their `first_dob` and `last_dob` filters and their CLKs
 * differ: no other key of the index finds that pair. The full run finds it
 * by its `names` pass and reads it as `both,day/month swapped`.
 */
export const NAMES_IDENTICAL_BAND = NAMES_BAND0 - 1;
/** Bands at or above this hold evidence keys: enough alone, crowd-bounded, never dropped as covered by the entity's band. */
export const EVIDENCE_BAND_MIN = NAMES_IDENTICAL_BAND;

/** The evidence index for files with this header, or undefined when they lack a filter or presence feature it needs. */
export function evidenceIndexFor(header: Pick<EncodedHeader, 'evidence' | 'presence'>): EvidenceIndex | undefined {
  const ev = header.evidence ?? [];
  const features = header.presence ?? [];
  if (!swapFilters(ev)) return undefined;
  const filters: EvidenceIndex['filters'] = [];
  for (const f of EVIDENCE_KEY_FILTERS) {
    const x = ev.findIndex((e) => e.name === f.name);
    if (x < 0 || !f.fields.every((n) => features.includes(n))) return undefined;
    let offset = 0;
    for (const e of ev.slice(0, x)) offset += Math.ceil(e.l / 8);
    filters.push({ name: f.name, offset, bytes: Math.ceil(ev[x]!.l / 8), need: presenceMask(features, f.fields) });
  }
  const nx = ev.findIndex((e) => e.name === 'names');
  if (nx < 0) return { filters };
  let offset = 0;
  for (const e of ev.slice(0, nx)) offset += Math.ceil(e.l / 8);
  const l = ev[nx]!.l;
  return { filters, names: { offset, bytes: Math.ceil(l / 8), l, need: presenceMask(features, ['first_name', 'last_name']), dob: presenceMask(features, ['birth_date']), identical: true } };
}

/** Whether two evidence indexes (either absent) are the same. */
export function sameEvidenceIndex(a: EvidenceIndex | undefined, b: EvidenceIndex | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Check an evidence index read from a store (fail closed on anything else); returns it, or undefined for none. */
export function readEvidenceIndex(raw: unknown): EvidenceIndex | undefined | 'bad' {
  if (raw === null || raw === undefined) return undefined;
  if (typeof raw !== 'object' || !Array.isArray((raw as EvidenceIndex).filters)) return 'bad';
  const fs = (raw as EvidenceIndex).filters;
  const int = (v: unknown, min: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (fs.length === 0 || !fs.every((f) => typeof f?.name === 'string' && int(f.offset, 0) && int(f.bytes, 1) && int(f.need, 1))) return 'bad';
  const out: EvidenceIndex = { filters: fs.map((f) => ({ name: f.name, offset: f.offset, bytes: f.bytes, need: f.need })) };
  const nm = (raw as EvidenceIndex).names;
  if (nm !== undefined) {
    if (typeof nm !== 'object' || nm === null || !int(nm.offset, 0) || !int(nm.l, 8) || nm.l > 65536 || nm.bytes !== Math.ceil(nm.l / 8) || !int(nm.need, 1) || !int(nm.dob, 1)) return 'bad';
    if (nm.identical !== undefined && nm.identical !== true) return 'bad';
    out.names = { offset: nm.offset, bytes: nm.bytes, l: nm.l, need: nm.need, dob: nm.dob, ...(nm.identical ? { identical: true as const } : {}) };
  }
  return out;
}

/** 32-bit FNV-1a of bytes, mixed as fnv1a32. */
function bytesHash32(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) {
    h ^= b[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return fnvFinish(h);
}

const namesPerms = new Map<number, Uint16Array>();

/**
 * The names bands' keys of one record: NAMES_BANDS MinHash band keys of its
 * `names` filter, in the group of its own birth-date presence (`probe`
 * false: the keys it is stored under) or of the other (`probe` true: the
 * keys a new record looks up). None without both names or the filter.
 */
function namesKeys(spec: EvidenceIndex, evidence: Uint8Array, presence: number, probe: boolean): number[] {
  const nm = spec.names;
  if (!nm || (presence & nm.need) !== nm.need || nm.offset + nm.bytes > evidence.length) return [];
  const packed = packedOne(evidence.subarray(nm.offset, nm.offset + nm.bytes), nm.l);
  if (allZero(packed)) return [];
  let perms = namesPerms.get(nm.l);
  if (!perms) {
    perms = lshPermutations(NAMES_BANDS, NAMES_ROWS, nm.l, NAMES_LSH_SEED);
    namesPerms.set(nm.l, perms);
  }
  const u32 = new Uint32Array(NAMES_BANDS);
  fillLshKeys(packed, packed.length, 0, 1, perms, nm.l, NAMES_BANDS, NAMES_ROWS, u32, NAMES_BANDS, 0, 0);
  const withDob = (presence & nm.dob) === nm.dob;
  const group = NAMES_BAND0 + (withDob !== probe ? 0 : NAMES_BANDS);
  return Array.from(u32, (k, b) => (group + b) * TWO32 + k);
}

/** The keys a new record looks up beyond the ones it is stored under: its names keys in the other birth-date group (namesKeys). */
export function evidenceProbeKeys(spec: EvidenceIndex | undefined, evidence: Uint8Array | null, presence: number | null): number[] {
  if (!spec || !evidence || presence === null) return [];
  return namesKeys(spec, evidence, presence, true);
}

/** Whether band b is one of the names bands (both birth-date groups). */
export function isNamesBand(b: number): boolean {
  return b >= NAMES_BAND0 && b < EVIDENCE_BAND;
}

/** Whether a key is of the names bands (stored, not looked up: a new record looks up its probe keys there instead). */
export function isNamesKey(k: number): boolean {
  return isNamesBand(Math.floor(k / TWO32));
}

/** The identical-`names` key of a record (NAMES_IDENTICAL_BAND × 2^32 + the filter's hash), or undefined: not indexed, a name or the date missing. */
function namesIdenticalKey(spec: EvidenceIndex, evidence: Uint8Array, presence: number): number | undefined {
  const nm = spec.names;
  if (!nm?.identical || (presence & (nm.need | nm.dob)) !== (nm.need | nm.dob) || nm.offset + nm.bytes > evidence.length) return undefined;
  const bytes = evidence.subarray(nm.offset, nm.offset + nm.bytes);
  return allZero(bytes) ? undefined : NAMES_IDENTICAL_BAND * TWO32 + bytesHash32(bytes);
}

/**
 * Evidence keys of one record (its stored evidence and presence): EVIDENCE_BAND × 2^32 + the hash of its `first_dob`
 * and of its `last_dob` filter, each distinct key once, then its identical-`names` key (namesIdenticalKey) and its
 * names keys (namesKeys).
 */
export function evidenceKeys(spec: EvidenceIndex | undefined, evidence: Uint8Array | null, presence: number | null): number[] {
  if (!spec || !evidence || presence === null) return [];
  const out: number[] = [];
  for (const f of spec.filters) {
    const k = filterKey(f, evidence, presence);
    if (k !== undefined && !out.includes(k)) out.push(k);
  }
  const same = namesIdenticalKey(spec, evidence, presence);
  if (same !== undefined) out.push(same);
  out.push(...namesKeys(spec, evidence, presence, false));
  return out;
}

/** The evidence key of one indexed filter of a record (EVIDENCE_BAND × 2^32 + the filter's hash), or undefined when it has none. */
function filterKey(f: EvidenceIndex['filters'][number], evidence: Uint8Array, presence: number): number | undefined {
  if ((presence & f.need) !== f.need || f.offset + f.bytes > evidence.length) return undefined;
  const bytes = evidence.subarray(f.offset, f.offset + f.bytes);
  return allZero(bytes) ? undefined : EVIDENCE_BAND * TWO32 + bytesHash32(bytes);
}

/** The evidence key of a record's filter `name` (`first_dob`, `last_dob`), or undefined when the index or the record has none. */
function evidenceFilterKey(spec: EvidenceIndex | undefined, evidence: Uint8Array | null, presence: number | null, name: string): number | undefined {
  const f = spec?.filters.find((x) => x.name === name);
  return f && evidence && presence !== null ? filterKey(f, evidence, presence) : undefined;
}

/** evidenceFilterKey of filter `name` of each of `n` records (NaN: none); record i's stored evidence and presence from `record(i)`. */
export function evidenceFilterKeys(spec: EvidenceIndex, name: string, n: number, record: (i: number) => { evidence: Uint8Array | null; presence: number | null }): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = record(i);
    out[i] = evidenceFilterKey(spec, r.evidence, r.presence, name) ?? Number.NaN;
  }
  return out;
}

/** Most entries (records) one BandSorted can number: key32 × 2^21 + entry must stay exact in a double. */
export const MAX_SORTED_ENTRIES = 2 ** 21;

/**
 * Band keys of many records, sorted per band: for band b, `bands.get(b)` is
 * a sorted Float64Array of key32 × 2^21 + entry (entry = the record's index
 * in the list given), so every band's keys can be walked in order (index
 * B-tree friendly) and the entries holding a key found by binary search.
 * Native typed-array sorts, no BigInt: cheap for millions of keys.
 */
export class BandSorted {
  readonly bands = new Map<number, Float64Array>();

  constructor(keysOf: readonly (readonly number[])[]) {
    if (keysOf.length > MAX_SORTED_ENTRIES) throw new RangeError(`at most ${MAX_SORTED_ENTRIES} records per sort`);
    const counts = new Map<number, number>();
    for (const keys of keysOf) for (const k of keys) {
      const b = Math.floor(k / TWO32);
      counts.set(b, (counts.get(b) ?? 0) + 1);
    }
    const fill = new Map<number, number>();
    for (const [b, n] of counts) {
      this.bands.set(b, new Float64Array(n));
      fill.set(b, 0);
    }
    keysOf.forEach((keys, e) => {
      for (const k of keys) {
        const b = Math.floor(k / TWO32);
        const at = fill.get(b)!;
        this.bands.get(b)![at] = (k - b * TWO32) * MAX_SORTED_ENTRIES + e;
        fill.set(b, at + 1);
      }
    });
    for (const arr of this.bands.values()) arr.sort();
  }

  /** Calls fn(global key, entry) for every entry, band by band, keys ascending. */
  forEach(fn: (key: number, entry: number) => void): void {
    for (const b of [...this.bands.keys()].sort((x, y) => x - y)) {
      const arr = this.bands.get(b)!;
      const base = b * TWO32;
      for (let i = 0; i < arr.length; i++) {
        const v = arr[i]!;
        const e = v % MAX_SORTED_ENTRIES;
        fn(base + (v - e) / MAX_SORTED_ENTRIES, e);
      }
    }
  }

  /** Distinct global keys, ascending. */
  distinctKeys(): Float64Array {
    let n = 0;
    for (const arr of this.bands.values()) n += arr.length;
    const out = new Float64Array(n);
    let at = 0;
    for (const b of [...this.bands.keys()].sort((x, y) => x - y)) {
      const arr = this.bands.get(b)!;
      const base = b * TWO32;
      let prev = -1;
      for (let i = 0; i < arr.length; i++) {
        const low = Math.floor(arr[i]! / MAX_SORTED_ENTRIES);
        if (low !== prev) out[at++] = base + low;
        prev = low;
      }
    }
    return out.subarray(0, at);
  }

  /** Entries holding a global key. */
  holders(key: number, out: number[]): void {
    const b = Math.floor(key / TWO32);
    const arr = this.bands.get(b);
    if (!arr) return;
    const lo0 = (key - b * TWO32) * MAX_SORTED_ENTRIES;
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (arr[mid]! < lo0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < arr.length && arr[i]! < lo0 + MAX_SORTED_ENTRIES; i++) out.push(arr[i]! - lo0);
  }
}
