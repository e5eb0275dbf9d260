import type { EncodedHeader } from '../../format/encoded-file.js';
import type { ModelSummary, ReportPartyPair } from '../../format/run-report.js';
import { P20Error } from '../../errors.js';
import { isAllPairs, parseBlockingSpec, formatBlockingSpec, type BlockingConfig } from '../blocking/config.js';
import { popcount32 } from '../dice.js';
import { EdgeList } from '../resolve/edges.js';
import { RESIDUAL_MAX_SHIFT, residualEdges, type ResidualPass } from '../resolve/residual.js';
import { BarredEdges, corroboratedEdges, type CorroboratedPass } from '../resolve/corroborated.js';
import { sureLevel } from '../model/compare.js';
import type { ComparisonVectors } from '../model/types.js';
import { clusterRecords, indexClusters, membersOf, type ClusterIndex, type Clustering, type ClusterView } from '../resolve/cluster.js';
import { scorePairs } from '../score.js';
import { strideFor } from '../pack.js';
import type { PartyData } from '../types.js';
import { Laps } from '../../util/laps.js';
import { concatTyped } from '../../util/typed-arrays.js';
import { assignIds, type Assignment } from './assign.js';
import { BandSorted, EVIDENCE_BAND, EVIDENCE_BAND_MIN, blockValuesOf, evidenceFilterKeys, evidenceIndexFor, evidenceKeys, evidenceProbeKeys, isNamesBand, isNamesKey, lshBandMask, partyBandKeys, partyBandKeysAt, persistentBandCount, type EvidenceIndex } from './band-keys.js';
import type { EncodingUpdate, RecordEncoding, RegistryConfig, RegistryScoring, RegistryStorage, StoredRecord } from './storage.js';
import { duplicatePairBar, duplicateWeight, modelForPair, residualShare, setUniqueLevels, StoredParty, storedPrior, type LoadedMatchModel, type StoredMatchModel } from './match-model.js';
import { compareCandidates, countOf, pairPresence } from '../model/compare.js';
import { candidateFloors, candidatePairs, MODEL_LSH, PER_RECORD } from '../model/candidates.js';
import { edgeScoreOfWeight as edgeScore, matchWeights, modelSummary, probabilityOfEdgeScore as scoreProbability, probabilityOfWeight, weightOfProbability } from '../model/predict.js';
import { expectedQuality, oneToOneMatches, type OneToOneMatches } from '../model/expected.js';

/**
 * Incremental linking against the longitudinal registry (docs/registry.md):
 * new records (one or more files) are linked against every registered
 * entity and among themselves, without any earlier file.
 *
 * 1. Candidates: the new records' band keys (same banding as a full run,
 *    src/link/registry/band-keys.ts) are looked up in the persistent
 *    blocking index; a registered record hit in at least two bands
 *    (DEFAULT_MIN_BAND_HITS; or by a keys part's value) names a candidate
 *    entity. A record already registered (same party and record id) also
 *    has its own entity as a candidate. Cost: the new records and their
 *    hits, never a scan.
 * 2. Entity-level comparison: each new record is compared with the stored
 *    records of each of its candidate entities (the most recent
 *    DEFAULT_REPRESENTATIVES of them), with the run's scoring (Dice of the
 *    CLKs at the registry's threshold);
 *    new records of two new files are scored with the full run's
 *    `scorePairs` (same blocking).
 * 3. Decision: the full run's constrained greedy clustering
 *    (src/link/resolve/cluster.ts) with each candidate entity's records
 *    united beforehand (registered links are not re-decided), at most
 *    maxPerParty records of one party per cluster. A registered record given
 *    again replaces its old version (updated, not duplicated).
 * 4. IDs: the same assignment rules as a full run (src/link/registry/assign.ts):
 *    kept, new, merged (a new record joining two entities merges them, the
 *    older survives, history recorded), split (an updated record that left
 *    its entity). A record that matched two entities which could not be
 *    merged (both hold a record of one party) is recorded as a merge
 *    candidate for review.
 */

/**
 * A new record is compared with the encodings of the most recently
 * registered records of each candidate entity, at most this many (the
 * representative set: a long history does not make every later increment
 * slower; older versions are usually represented by newer ones). Every
 * member still counts for the limit of records per party.
 */
export const DEFAULT_REPRESENTATIVES = 4;

/**
 * A registered record makes its entity a candidate for a new record when
 * it shares at least this many LSH band keys with it (docs/registry.md
 * "Blocking index"), or the value of a keys part. One shared band is what
 * most spurious hits have, and their number grows with the registry; two
 * keep them few, at a small cost in recall near the threshold. (1: a full
 * run's rule.)
 */
export const DEFAULT_MIN_BAND_HITS = 2;

/**
 * Most index rows an evidence key (band-keys.ts EVIDENCE_BAND) may have to
 * propose its holders (about one row per entity): the full run's crosswise
 * bound (PER_RECORD of the model's candidate passes). A larger crowd is a common name shared by
 * several people born the same day, which the CLK's bands sort out.
 */
export const EVIDENCE_CROWD = PER_RECORD;
/**
 * Most index rows a names band key (band-keys.ts NAMES_BAND0..) may have to propose its holders. A record without its
 * birth date finds its partner only there, and its `names` filter differs from every namesake's of its sex by their date
 * token alone: the namesakes tie. A full run keeps PER_RECORD of them per record, ranked by `names` + `place` (the
 * missing-side bound, MISSING_SIDE_CAP and MISSING_SIDE_RANK); an increment proposes a crowd of namesakes up to this size
 * and lets `place_nodob` choose. Records without a birth date are few, so the candidates it adds are few
 * (docs/registry.md "Evidence keys").
 */
export const NAMES_CROWD = 256;
/**
 * Most index rows an LSH band key may have and still propose its holders (default of IncrementSettings.bandCrowd): a key
 * held by more registered records is a pattern many people share (common names), not evidence of one; a true partner
 * shares other, rarer bands too. Bounds an increment's index hits per record as the registry grows (docs/registry.md
 * "Crowded band keys"). Keys parts of a blocking (keys:NAME) are not bounded: their values are blocks by design.
 */
export const BAND_CROWD = 256;
/**
 * New records looked up in the index at a time: their hits are counted into candidate pairs and let go before the next
 * part's lookup, so an increment's memory grows with its candidates, not with its index hits (hundreds of millions for a
 * large increment on realistic names).
 */
export const LOOKUP_RECORDS = 16_384;

export interface IncrementSettings {
  /** Representative set per entity (default DEFAULT_REPRESENTATIVES). */
  representatives?: number;
  blocking: BlockingConfig;
  threshold: number;
  reviewThreshold: number | undefined;
  maxPerParty: number;
  /** LSH bands a registered record must share with a new record to make its entity a candidate (default DEFAULT_MIN_BAND_HITS). */
  minBandHits?: number;
  /** Most index rows an LSH band key may have and still propose its holders (default BAND_CROWD). */
  bandCrowd?: number;
  /** New records looked up at a time (default LOOKUP_RECORDS; tests set a small one to cross parts). */
  lookupRecords?: number;
  workers?: number;
  maxPairs?: number;
  /**
   * The registry's stored match model (a registry built by a full --model fs run): pairs are then scored with it and
   * decided on match probability like the full run (src/link/registry/match-model.ts); threshold and reviewThreshold
   * (Dice) are not used.
   */
  model?: LoadedMatchModel;
  /**
   * With the model: run the residual pass (the last phase, as a full run's) on the stored free shares
   * (match-model.ts residualShare). Default: on when the stored model has them.
   */
  residualPass?: boolean;
}


/**
 * Free shares (the residual pass's f_ij: the share of party i's records whose entity holds no record of party j after the
 * first phases) of the pairs with a party new to the registry, measured on this increment's clustering: every record of a
 * new party is a node, and a registered party's record can hold one of the new party's only through a node of its entity
 * (an entity no new record links to holds none), so f of the registered party j towards the new party i is 1 − (its
 * member nodes holding a record of i) / (its registered records). Undefined for a pair without a new party.
 */
function newPartyShares(storage: RegistryStorage, parties: readonly PartyData[], partyNames: readonly string[], nodeParty: Uint32Array, newCount: number, view: ClusterView): (i: number, j: number) => number | undefined {
  const P = partyNames.length;
  const isNew = partyNames.map((name, k) => k < parties.length && storage.encodedRecordCount(name) === 0);
  if (!isNew.some(Boolean)) return () => undefined;
  const registered = partyNames.map((name, k) => (k < parties.length ? 0 : storage.encodedRecordCount(name)));
  // records of party i holding a record of party j: new records of a new party i, member nodes of a registered party i
  const holding = new Float64Array(P * P);
  for (let n = 0; n < nodeParty.length; n++) {
    const i = nodeParty[n]!;
    if (n < newCount ? !isNew[i] : i < parties.length) continue;
    for (let j = 0; j < P; j++) if (j !== i && (isNew[i] || isNew[j]) && view.holds(n, j)) holding[i * P + j]!++;
  }
  return (i, j) => {
    if (!isNew[i] && !isNew[j]) return undefined;
    const count = isNew[i] ? parties[i]!.count : registered[i]!;
    return count === 0 ? undefined : 1 - holding[i * P + j]! / count;
  };
}

/** Whether an increment runs the residual pass: with the stored model, unless turned off, when that model kept the full run's free shares. */
export function incrementResidual(s: Pick<IncrementSettings, 'model' | 'residualPass'>): boolean {
  return s.model !== undefined && s.residualPass !== false && (s.model.stored.freeShares?.length ?? 0) > 0;
}

/** One new record's outcome. */
export interface IncrementRecord {
  party: number;
  index: number;
  linkageId: string;
  /** Score of its strongest accepted link (NaN: not linked). */
  score: number;
}

/** Per party pair counts of an increment: the run report's, without the truth-only blocking recall. */
export type IncrementPairStat = Omit<ReportPartyPair, 'blocking'>;

export interface IncrementPlan {
  config: RegistryConfig;
  /** True when this increment sets the registry configuration (first encodings stored, or other scoring settings). */
  newConfig: boolean;
  basedOn: number;
  parties: PartyData[];
  /** Node numbering: new records first (party by party), then registered records of candidate entities. */
  nodeCount: number;
  newCount: number;
  offset: number[];
  clusters: ClusterIndex;
  clustering: Clustering;
  assignment: Assignment;
  /** Linkage ID and best score of every new record, node order. */
  ids: string[];
  best: Float32Array;
  members: { party: string; recordId: string; entity: string }[];
  encodings: EncodingUpdate[];
  mergeCandidates: { a: string; b: string; score: number }[];
  reviewPairs: { partyA: string; idA: string; partyB: string; idB: string; score: number }[];
  pairStats: IncrementPairStat[];
  status: { kept: number; new: number; merged: number; split: number };
  clusterSizes: Record<string, number>;
  /** Dice of every scored pair (for the report's histograms); with the match model its match probability. */
  scores: number[];
  /** With the match model: the run report's model section (`incrementModel`). */
  model?: ModelSummary;
  /** With the match model: party pairs this increment scored that the full run which fitted the model did not have ("a x b"). */
  unfittedPairs?: string[];
  linkedRecords: number;
  linkedPerParty: number[];
  /** Registered records compared against (for the report). */
  registeredCompared: number;
  /** Distinct candidate entities (whose representatives were read and scored). */
  candidateEntities: number;
  /** (New record, candidate entity) pairs: each scored against the entity's representatives. */
  candidates: number;
  /** (New record, registered record) pairs returned by the blocking index lookups (one per shared band key). */
  indexHits: number;
  /** Seconds per step of the plan (candidates, members, score, pairs, decide), for reports and benches. */
  timings: Record<string, number>;
}

/** The configuration a first increment (or full run) stores. */
export function registryConfigFor(header: { keyCheckValue: string; schemaFingerprint: string; l: number }, s: IncrementSettings): RegistryConfig {
  const scoring: RegistryScoring = { kind: 'dice', threshold: s.threshold, reviewThreshold: s.reviewThreshold ?? null, maxPerParty: s.maxPerParty };
  return { keyCheckValue: header.keyCheckValue, schemaFingerprint: header.schemaFingerprint, l: header.l, blocking: formatBlockingSpec(s.blocking), scoring };
}

/** The configuration with the evidence index its scoring calls for: a registry scored by the match model indexes evidence keys (band-keys.ts EVIDENCE_BAND) when the files carry the filters; Dice, none. */
export function withEvidenceIndex(cfg: RegistryConfig, header: Pick<EncodedHeader, 'evidence' | 'presence'>): RegistryConfig {
  const out = { ...cfg };
  delete out.indexEvidence;
  const ev = cfg.scoring.kind === 'model' ? evidenceIndexFor(header) : undefined;
  if (ev) out.indexEvidence = ev;
  return out;
}

/**
 * Refuse files that cannot join this registry: another secret (key check
 * value: rotate with `registry rekey`), another schema or CLK length, a
 * blocking that cannot be indexed or differs from the registry's.
 */
export function checkAgainstRegistry(cfg: RegistryConfig | undefined, files: readonly { file: string; header: { keyCheckValue: string; schemaFingerprint: string; l: number } }[], blocking?: BlockingConfig): void {
  for (const f of files) {
    if (cfg && f.header.keyCheckValue !== cfg.keyCheckValue) {
      throw new P20Error(
        'REGISTRY_KEY_MISMATCH',
        'was encoded with a different secret than the encodings this registry holds (key check values differ); refusing to mix them. After a key rotation, re-encode every registered record under the new secret and map them in with a registry rekey first',
        { file: f.file },
      );
    }
    if (cfg && (f.header.schemaFingerprint !== cfg.schemaFingerprint || f.header.l !== cfg.l)) {
      throw new P20Error(
        'REGISTRY_SCHEMA_MISMATCH',
        `was encoded with another linkage schema or CLK length (${f.header.schemaFingerprint}, ${f.header.l} bits) than the registry's encodings (${cfg.schemaFingerprint}, ${cfg.l} bits); refusing to link`,
        { file: f.file },
      );
    }
  }
  if (blocking && isAllPairs(blocking)) {
    throw new P20Error('REGISTRY_BLOCKING', 'a registry keeps a persistent blocking index, which all-pairs blocking ("none") cannot give; use lsh and/or keyed blocks', { field: 'blocking' });
  }
  if (cfg && blocking && formatBlockingSpec(blocking) !== formatBlockingSpec(parseBlockingSpec(cfg.blocking))) {
    throw new P20Error('REGISTRY_BLOCKING', `blocking ${formatBlockingSpec(blocking)} differs from ${cfg.blocking}, the blocking this registry's index was built with`, { field: 'blocking' });
  }
}

/** Refuse a registry's stored match model (src/link/registry/match-model.ts): damaged, or fitted on another evidence layout than the file's. */
export function refuseStoredModel(why: 'damaged' | 'layout', message: string, file: string): never {
  if (why === 'damaged') throw new P20Error('REGISTRY_DAMAGED', message, { file });
  throw new P20Error('REGISTRY_SCHEMA_MISMATCH', message, { file });
}

/** Unpadded CLK bytes of record i. */
function clkOf(p: PartyData, i: number): Uint8Array {
  return p.clks.slice(i * p.stride, i * p.stride + Math.ceil(p.header.l / 8));
}

/** Evidence filters of record i back to back, or null. */
function evidenceOf(p: PartyData, i: number): Uint8Array | null {
  const ev = (p as PartyData & { evidence?: { l: number; stride: number; bytes: Uint8Array }[] }).evidence;
  if (!ev || ev.length === 0) return null;
  const parts = ev.map((f) => f.bytes.subarray(i * f.stride, i * f.stride + Math.ceil(f.l / 8)));
  const out = new Uint8Array(parts.reduce((t, x) => t + x.length, 0));
  let at = 0;
  for (const x of parts) {
    out.set(x, at);
    at += x.length;
  }
  return out;
}

function presenceOf(p: PartyData, i: number): number | null {
  const pr = (p as PartyData & { presence?: Uint8Array }).presence;
  return pr ? pr[i]! : null;
}

/** Record i of a party as stored (no index keys). */
export function recordEncoding(p: PartyData, i: number): RecordEncoding {
  return { party: p.name, recordId: p.ids[i]!, clk: clkOf(p, i), evidence: evidenceOf(p, i), presence: presenceOf(p, i), blocks: blockValuesOf(p, i) };
}

/**
 * The stored encodings (with band keys, and evidence keys under an evidence index) of every record of one party, or of
 * its records at the positions `at`, in that order.
 */
export function encodingUpdates(p: PartyData, blocking: BlockingConfig, evidenceIndex?: EvidenceIndex, at?: ArrayLike<number>): EncodingUpdate[] {
  const nb = persistentBandCount(blocking, p.header.l);
  const n = at ? at.length : p.count;
  const keys = new Float64Array(n * nb);
  if (at) partyBandKeysAt(blocking, p, at, keys);
  else partyBandKeys(blocking, p, 0, p.count, keys);
  const out: EncodingUpdate[] = [];
  for (let x = 0; x < n; x++) {
    const i = at ? at[x]! : x;
    const bandKeys: number[] = [];
    for (let b = 0; b < nb; b++) {
      const k = keys[x * nb + b]!;
      if (!Number.isNaN(k)) bandKeys.push(k);
    }
    const r = recordEncoding(p, i);
    bandKeys.push(...evidenceKeys(evidenceIndex, r.evidence, r.presence));
    out.push({ ...r, bandKeys });
  }
  return out;
}

/** Dice of a packed CLK (word view) against another packed CLK (word view at bOff). */
function dice(a32: Uint32Array, aOff: number, popA: number, b: Uint32Array, bOff: number, popB: number, words: number): number {
  let inter = 0;
  for (let w = 0; w < words; w++) inter += popcount32(a32[aOff + w]! & b[bOff + w]!);
  const s = popA + popB;
  return s === 0 ? 0 : (2 * inter) / s;
}

/**
 * The representatives' CLKs, packed back to back (stride bytes each, read
 * as words like a party's packed CLKs), with their popcounts: one buffer
 * instead of an object per stored record.
 */
class PackedClks {
  words: Uint32Array;
  readonly pop = new GrowList(Int32Array);
  count = 0;
  constructor(private readonly stride: number) {
    this.words = new Uint32Array((1024 * stride) >>> 2);
  }
  /** Packs an unpadded CLK; returns its slot. */
  add(clk: Uint8Array): number {
    const need = ((this.count + 1) * this.stride) >>> 2;
    if (need > this.words.length) {
      const grown = new Uint32Array(Math.max(need, this.words.length * 2));
      grown.set(this.words);
      this.words = grown;
    }
    const bytes = new Uint8Array(this.words.buffer, this.count * this.stride, this.stride);
    bytes.set(clk.subarray(0, this.stride));
    let pop = 0;
    const at = (this.count * this.stride) >>> 2;
    for (let w = 0; w < this.stride >>> 2; w++) pop += popcount32(this.words[at + w]!);
    this.pop.push(pop);
    return this.count++;
  }
}

/** Whether candidate x of `v` has both names agreeing with the birth date (`name_dob` at SURE_LEVEL: the corroborated phase's `exact`). */
function isSure(v: ComparisonVectors, x: number): boolean {
  const { k, top } = sureLevel(v.defs);
  return top >= 0 && v.levels[x * v.defs.length + k] === top;
}

type TypedCtor = Int32ArrayConstructor | Uint32ArrayConstructor | Uint16ArrayConstructor | Float32ArrayConstructor | Float64ArrayConstructor;

/** An append-only list of numbers in a typed array that doubles when full (no object or boxed number per item). */
class GrowList<C extends TypedCtor> {
  array: InstanceType<C>;
  length = 0;
  constructor(
    private readonly ctor: C,
    capacity = 1024,
  ) {
    this.array = new ctor(capacity) as InstanceType<C>;
  }
  push(x: number): void {
    if (this.length === this.array.length) {
      const grown = new this.ctor(Math.ceil(this.array.length * 1.5)) as InstanceType<C>;
      grown.set(this.array as never);
      this.array = grown;
    }
    this.array[this.length++] = x;
  }
  /** Room for n more items (then write array[length++] directly: no call per item in hot loops). */
  reserve(n: number): InstanceType<C> {
    if (this.length + n > this.array.length) {
      const grown = new this.ctor(Math.max(this.length + n, Math.ceil(this.array.length * 1.5))) as InstanceType<C>;
      grown.set(this.array as never);
      this.array = grown;
    }
    return this.array;
  }
  /** Let go of the buffer (the list is empty afterwards). */
  release(): void {
    this.array = new this.ctor(0) as InstanceType<C>;
    this.length = 0;
  }
}

/**
 * Items 0..n-1 grouped by their key (0..k-1), in item order within a group
 * (a counting sort): group g is items[start[g]..start[g+1]).
 */
export function groupBy(keys: ArrayLike<number>, n: number, k: number): { start: Int32Array; items: Int32Array } {
  const start = new Int32Array(k + 1);
  for (let x = 0; x < n; x++) start[keys[x]! + 1]!++;
  for (let g = 0; g < k; g++) start[g + 1]! += start[g]!;
  const at = start.slice(0, k);
  const items = new Int32Array(n);
  for (let x = 0; x < n; x++) items[at[keys[x]!]!++] = x;
  return { start, items };
}

const TWO32 = 2 ** 32;

/** Candidate entities read per storage call (bounds the stored records held as objects at once). */
const ENTITY_BATCH = 16_384;

/**
 * Whether a new record's name + date filter with evidence key `key` holds a value as unique as a full run's unique
 * levels need, or more so: no other of the increment's records has the key (`newKeys`: every new record's evidence
 * keys, sorted; the record's own once) and exactly one registered entity does, `entity` (`single`: keys the index
 * returned one row for, and that row's record; `entityOf`: a record's entity). Undefined key: the record has no such
 * filter.
 */
export function uniqueInRegistry(key: number | undefined, newKeys: Float64Array, single: ReadonlyMap<number, number>, entityOf: (rid: number) => number, entity: number): boolean {
  if (key === undefined || countOf(newKeys, key) !== 1) return false;
  const rid = single.get(key);
  return rid !== undefined && entityOf(rid) === entity;
}

/**
 * Plan one increment: candidates, scores, clusters and IDs; nothing is
 * written (commit with `commitIncrement`). The registry state it builds on
 * is pinned by `basedOn` (the latest run's number).
 */
export async function planIncrement(storage: RegistryStorage, parties: PartyData[], s: IncrementSettings): Promise<IncrementPlan> {
  if (parties.length === 0) throw new P20Error('LINK_TOO_FEW_INPUTS', 'an increment needs at least one encoded file');
  const seenParty = new Map<string, string>();
  for (const p of parties) {
    const prev = seenParty.get(p.name);
    if (prev !== undefined) throw new P20Error('REGISTRY_DUPLICATE_PARTY', `party name "${p.name}" is also used by ${prev}; give each party's records in one file per run`, { file: p.file });
    seenParty.set(p.name, p.file);
  }
  const laps = new Laps();
  const lap = (k: string): void => laps.lap(k);
  const basedOn = storage.lastRunSeq();
  const stored = storage.config();
  checkAgainstRegistry(stored, parties.map((p) => ({ file: p.file, header: p.header })), s.blocking);
  const first = parties[0]!;
  for (const p of parties.slice(1)) checkAgainstRegistry(registryConfigFor(first.header, s), [{ file: p.file, header: p.header }]);
  const config = stored ? (stored.scoring.kind === 'model' ? stored : { ...stored, scoring: registryConfigFor(stored, s).scoring }) : registryConfigFor(first.header, s);
  const blocking = parseBlockingSpec(config.blocking);
  const l = config.l;
  const stride = strideFor(l);
  const words = stride >>> 2;
  const tHigh = Math.fround(s.threshold);
  const tLow = Math.fround(s.reviewThreshold ?? s.threshold);

  // new records: nodes 0..newCount-1
  const offset: number[] = [];
  let newCount = 0;
  for (const p of parties) {
    offset.push(newCount);
    newCount += p.count;
  }
  const encodings = parties.flatMap((p) => encodingUpdates(p, blocking, config.indexEvidence));
  lap('bandKeys');
  /** Bands of the index that are LSH bands (bounded by the band crowd; the others are keys parts and evidence). */
  const lshBand = lshBandMask(blocking, l);
  const bandCrowd = s.bandCrowd ?? BAND_CROWD;

  // 1. candidates from the persistent index, LOOKUP_RECORDS new records at a time (memory bounded by a part's hits, not the
  // increment's): every distinct band key of the part once, ascending; hits mapped back to the records holding the key, kept
  // in typed arrays (new record, registered record, band), not an array per record: with spurious LSH candidates a part has
  // millions of hits.
  //
  // Candidates: a registered record is a candidate of a new record when it shares at least `need` LSH bands with it (or a
  // keys part's value or an evidence key, enough alone; docs/registry.md "Blocking index"); its entity is then a candidate
  // entity. Most hits are registered records sharing one band by chance, and their number grows with the registry: they
  // are dropped with their part, before their entities are looked up. A record has one key per band and a key's rows come
  // together, so a new record's hits in one band are contiguous: a registered record's distinct bands are counted by
  // remembering the last band it was hit in (tables addressed by record number, 4 bytes each; a Map of doubles costs
  // seconds here). What a part keeps: its candidate pairs, and for the index's per-entity coverage (step 4) the blocking
  // bands in which each candidate pair met.
  let lshBands = 0;
  for (const x of lshBand) lshBands += x;
  const need = Math.max(1, Math.min(s.minBandHits ?? DEFAULT_MIN_BAND_HITS, lshBands));
  const persistentBands = persistentBandCount(blocking, l);
  /** (new record, registered record) candidates, new-record order. */
  const strongNode = new GrowList(Int32Array);
  const strongRid = new GrowList(Uint32Array);
  /** Blocking bands (not evidence) each new record shares with its candidate records: covStart[n]..covStart[n+1] (CSR). */
  const covStart = new Int32Array(newCount + 1);
  const covRid = new GrowList(Uint32Array);
  const covBand = new GrowList(Uint16Array);
  const hitNode = new GrowList(Int32Array);
  const hitRid = new GrowList(Uint32Array);
  const hitBand = new GrowList(Uint16Array);
  let stamp = new Int32Array(0);
  let lastBand = new Int32Array(0);
  let shared = new Int32Array(0);
  let H = 0;
  let maxRid = 0;
  const holders: number[] = [];
  const partSize = s.lookupRecords ?? LOOKUP_RECORDS;
  /** Evidence keys (first_dob, last_dob) the index holds for exactly one registered entity: the record its one row names. */
  const evidenceSingle = new Map<number, number>();
  for (let from = 0; from < newCount; from += partSize) {
    const to = Math.min(newCount, from + partSize);
    // what a record looks up: its band and evidence keys, its names keys in the other birth-date group (band-keys.ts namesKeys)
    const sorted = new BandSorted(encodings.slice(from, to).map((e) => (config.indexEvidence ? [...e.bandKeys.filter((k) => !isNamesKey(k)), ...evidenceProbeKeys(config.indexEvidence, e.evidence, e.presence)] : e.bandKeys)));
    let holdersOf = Number.NaN;
    let band = 0;
    let partMaxRid = 0;
    const hit = (rid: number): void => {
      if (rid > 0xffffffff) throw new P20Error('REGISTRY_DAMAGED', `record number ${rid} is beyond what an increment can address (2^32)`, { file: storage.location });
      if (rid > partMaxRid) partMaxRid = rid;
      // the three lists grow together: room made once per hit, written directly (nodes relative to the part)
      const nh = holders.length;
      const nodes = hitNode.reserve(nh);
      const rs = hitRid.reserve(nh);
      const bs = hitBand.reserve(nh);
      let at = hitNode.length;
      for (let x = 0; x < nh; x++, at++) {
        nodes[at] = holders[x]!;
        rs[at] = rid;
        bs[at] = band;
      }
      hitNode.length = hitRid.length = hitBand.length = at;
    };
    // an evidence key's or LSH band key's rows are held back until the key's last: an evidence key held by more than
    // EVIDENCE_CROWD records (a common name born the same day), a names band key by more than NAMES_CROWD (more namesakes of
    // a record without a birth date than a full run would weigh), a band key by more than the band crowd (a pattern common
    // names share), is a crowd, not evidence, and proposes none of them
    const crowdBound = (b: number): number | undefined => (b >= EVIDENCE_BAND_MIN ? (isNamesBand(b) ? NAMES_CROWD : EVIDENCE_CROWD) : b < lshBand.length && lshBand[b] ? bandCrowd : undefined);
    const crowd: number[] = [];
    const flushCrowd = (): void => {
      if (crowd.length <= crowdBound(band)!) {
        // a name + date filter's key held by one registered person (registryUnique)
        if (band === EVIDENCE_BAND && crowd.length === 1) evidenceSingle.set(holdersOf, crowd[0]!);
        for (const rid of crowd) hit(rid);
      }
      crowd.length = 0;
    };
    const onHit = (key: number, rid: number): void => {
      // a key's rows come together: its holders are searched once
      if (key !== holdersOf) {
        flushCrowd();
        holders.length = 0;
        sorted.holders(key, holders);
        holdersOf = key;
        band = Math.floor(key / TWO32);
      }
      if (crowdBound(band) === undefined) hit(rid);
      else crowd.push(rid);
    };
    // looked up run by run of bands with one bound, in ascending key order, so the index leaves a crowd's rows unread
    const distinct = sorted.distinctKeys();
    const boundOf = (key: number): number | undefined => crowdBound(Math.floor(key / TWO32));
    for (let a = 0; a < distinct.length; ) {
      const bound = boundOf(distinct[a]!);
      let z = a + 1;
      while (z < distinct.length && boundOf(distinct[z]!) === bound) z++;
      await storage.lookupBandKeys(distinct.subarray(a, z), onHit, bound);
      a = z;
    }
    flushCrowd();
    const P = hitNode.length;
    H += P;
    if (partMaxRid > maxRid) maxRid = partMaxRid;
    // the part's hits in new-record order (a stable counting sort: each record's hits keep their lookup order)
    const start = new Int32Array(to - from + 1);
    const byRid = new Uint32Array(P);
    const byBand = new Uint16Array(P);
    {
      const nodes = hitNode.array;
      for (let h = 0; h < P; h++) start[nodes[h]! + 1]!++;
      for (let i = 0; i < to - from; i++) start[i + 1]! += start[i]!;
      const at = start.slice(0, to - from);
      const rids = hitRid.array;
      const bands = hitBand.array;
      for (let h = 0; h < P; h++) {
        const x = at[nodes[h]!]!++;
        byRid[x] = rids[h]!;
        byBand[x] = bands[h]!;
      }
    }
    hitNode.length = hitRid.length = hitBand.length = 0;
    if (partMaxRid >= stamp.length) {
      // record-number tables: grown, never shrunk (a stamp is a new record's number, so earlier parts' entries are stale)
      const size = Math.max(partMaxRid + 1, Math.ceil(stamp.length * 1.5));
      stamp = new Int32Array(size).fill(-1);
      lastBand = new Int32Array(size);
      shared = new Int32Array(size);
    }
    for (let n = from; n < to; n++) {
      const x0 = start[n - from]!;
      const x1 = start[n - from + 1]!;
      for (let x = x0; x < x1; x++) {
        const rid = byRid[x]!;
        const b = byBand[x]!;
        if (stamp[rid] !== n) {
          stamp[rid] = n;
          shared[rid] = 0;
          lastBand[rid] = -1;
        }
        if (lastBand[rid] === b) continue;
        lastBand[rid] = b;
        const was = shared[rid]!;
        // an LSH band counts one; a keys part's value or an evidence key (EVIDENCE_BAND_MIN.., beyond the blocking's bands) is enough alone
        const now = was + (b < lshBand.length && lshBand[b] ? 1 : need);
        shared[rid] = now;
        if (was < need && now >= need) {
          strongNode.push(n);
          strongRid.push(rid);
        }
      }
      // the blocking bands of its candidate pairs (every hit of a candidate record, also those before it reached `need`)
      for (let x = x0; x < x1; x++) {
        const b = byBand[x]!;
        if (b < persistentBands && shared[byRid[x]!]! >= need) {
          covRid.push(byRid[x]!);
          covBand.push(b);
        }
      }
      covStart[n + 1] = covRid.length;
    }
  }
  hitNode.release();
  hitRid.release();
  hitBand.release();
  stamp = lastBand = shared = new Int32Array(0);
  lap('lookup');
  // entities numbered densely (entity index), so the per-pair work below does no string lookups
  const entIdx = new Map<string, number>();
  const entName: string[] = [];
  const internEntity = (e: string): number => {
    let x = entIdx.get(e);
    if (x === undefined) {
      x = entName.length;
      entIdx.set(e, x);
      entName.push(e);
    }
    return x;
  };
  /** The entity of each registered record: -2 unknown, -1 to be looked up (a candidate), else its entity index. */
  const ridEnt = new Int32Array(maxRid + 1).fill(-2);
  for (let y = 0; y < strongRid.length; y++) ridEnt[strongRid.array[y]!] = -1;
  {
    const distinct: number[] = [];
    for (let rid = 0; rid <= maxRid; rid++) if (ridEnt[rid] === -1) distinct.push(rid);
    for (const [rid, e] of storage.entitiesOfRecords(distinct)) ridEnt[rid] = internEntity(e);
  }
  // prior entity of every new record (an update keeps its membership unless it leaves)
  const priorNew: (string | undefined)[] = storage.entitiesOf(encodings);
  const priorEnt = Int32Array.from(priorNew, (e) => (e === undefined ? -1 : internEntity(e)));
  const E = entName.length;
  // candidate entities of every new record, each once (in order of its candidate records, then the prior entity)
  const candStart = new Int32Array(newCount + 1);
  const candEnt = new GrowList(Int32Array);
  const isCand = new Uint8Array(E);
  {
    const stamp = new Int32Array(E).fill(-1);
    let y = 0;
    for (let n = 0; n < newCount; n++) {
      for (; y < strongNode.length && strongNode.array[y] === n; y++) {
        const ei = ridEnt[strongRid.array[y]!]!;
        if (ei < 0 || stamp[ei] === n) continue;
        stamp[ei] = n;
        candEnt.push(ei);
        isCand[ei] = 1;
      }
      const pe = priorEnt[n]!;
      if (pe >= 0 && stamp[pe] !== n) {
        stamp[pe] = n;
        candEnt.push(pe);
        isCand[pe] = 1;
      }
      candStart[n + 1] = candEnt.length;
    }
  }
  strongNode.release();
  strongRid.release();
  // only the candidates' registered records are read (an entity hit in fewer bands than needed is not)
  const entityList = entName.filter((_e, ei) => isCand[ei] === 1).sort();
  lap('candidates');

  // registered records of the candidate entities, in one look (old versions of updated records left out): every
  // member of every candidate entity (party and record id: from covering indexes, no encoding read), with the encodings
  // of its representatives, which are scored. Only the entities that matter to the decision (a link above the threshold,
  // or the prior entity of a record given again) become nodes newCount.. of the clustering: a candidate entity nothing
  // links to takes no part in it (with many spurious candidates, most are such).
  // (only records registered before can be among the members: the others are not looked for)
  const replaced = new Set(encodings.filter((_e, n) => priorNew[n] !== undefined).map((e) => `${e.party}\u0000${e.recordId}`));
  const isReplaced = (m: { party: string; recordId: string }): boolean => replaced.size > 0 && replaced.has(`${m.party}\u0000${m.recordId}`);
  const partyIndex = new Map<string, number>();
  parties.forEach((p, k) => partyIndex.set(p.name, k));
  const partyOf = (name: string): number => {
    let k = partyIndex.get(name);
    if (k === undefined) {
      k = partyIndex.size;
      partyIndex.set(name, k);
    }
    return k;
  };
  // member u: entity allEnt[u], party allParty[u], record id allRecordId[u] (in entity order, then party and record id)
  const allEnt = new GrowList(Int32Array);
  const allParty = new GrowList(Int32Array);
  const allRecordId: string[] = [];
  // representative r: member repMember[r], CLK in packed slot r
  const repMember = new GrowList(Int32Array);
  const repEntL = new GrowList(Int32Array);
  const packed = new PackedClks(stride);
  const M = s.model;
  const storedReps = M ? new StoredParty(first.header) : undefined;
  const reps = s.representatives ?? DEFAULT_REPRESENTATIVES;
  for (let from = 0; from < entityList.length; from += ENTITY_BATCH) {
    for (const m of storage.membersOfEntities(entityList.slice(from, from + ENTITY_BATCH), { encodingsPerEntity: reps })) {
      if (isReplaced(m)) {
        if (m.rid !== null && m.rid <= maxRid) ridEnt[m.rid] = -1;
        continue;
      }
      const ei = entIdx.get(m.entity);
      if (ei === undefined) continue;
      if (m.rid !== null && m.rid <= maxRid) ridEnt[m.rid] = ei;
      if (m.record) {
        repMember.push(allRecordId.length);
        repEntL.push(ei);
        packed.add(m.record.clk);
        storedReps?.add(m.record.clk, m.record.evidence, m.record.presence);
      }
      allEnt.push(ei);
      allParty.push(partyOf(m.party));
      allRecordId.push(m.recordId);
    }
  }
  const repEnt = repEntL.array;
  const repCount = repEntL.length;
  const repParty = Int32Array.from(repMember.array.subarray(0, repCount), (u) => allParty.array[u]!);
  const repRecordId = (r: number): string => allRecordId[repMember.array[r]!]!;
  // representatives by entity (CSR)
  const { start: entRepStart, items: repByEnt } = groupBy(repEnt, repCount, E);
  // the entity of each candidate pair's registered record, where it is known (an old version of a record given again has
  // none: its band keys go, so it covers nothing), for the index's per-entity coverage below; in place of the record
  // numbers, which are not needed any more
  const covEnt = new Int32Array(covRid.array.buffer, covRid.array.byteOffset, covRid.length);
  for (let x = 0; x < covEnt.length; x++) {
    const ei = ridEnt[covRid.array[x]!]!;
    covEnt[x] = ei < 0 ? -1 : ei;
  }
  lap('members');

  // 2. scores: new x registered (entity level: the representatives), new x new (the full run's scorer)
  const edges = new EdgeList();
  const scores: number[] = [];
  const reviewPairs: IncrementPlan['reviewPairs'] = [];
  /** Party pair counts, by party numbers (partyIndex). */
  const partyNames: string[] = [];
  for (const [name, x] of partyIndex) partyNames[x] = name;
  const pairStats = new Map<number, IncrementPairStat>();
  const statOf = (a: number, b: number): IncrementPairStat => {
    const key = a * 2 ** 21 + b;
    let st = pairStats.get(key);
    if (!st) {
      st = { partyA: partyNames[a]!, partyB: partyNames[b]!, candidates: 0, compared: 0, aboveThreshold: 0, reviewBand: 0, linked: 0 };
      pairStats.set(key, st);
    }
    return st;
  };
  const statFor = (a: number, b: number): IncrementPairStat | undefined => pairStats.get(a * 2 ** 21 + b);
  /** Links to representatives (new record, representative, score), node-major; made edges once the members are numbered. */
  const repEdgeNode = new GrowList(Int32Array);
  const repEdgeRep = new GrowList(Int32Array);
  const repEdgeScore = new GrowList(Float32Array);
  /** With the match model: the link's weight and its duplicate bar (a second record of one party: DUPLICATE_SHARE). */
  const repEdgeW = new GrowList(Float64Array);
  const repEdgeBar = new GrowList(Float64Array);
  const repEdgeExact = new GrowList(Uint16Array);
  const dupEdges = new EdgeList();
  /** With the match model: the links at or above the decision with their bars (the corroborated duplicates' phase). */
  const links = new BarredEdges();
  /** Entities that matter to the decision: linked to, or the prior entity of a record given again. */
  const active = new Uint8Array(E);
  for (const pe of priorEnt) if (pe >= 0) active[pe] = 1;
  let registeredCompared = 0;
  // compared pairs per (new party, registered party), counted in a grid and put into the stats afterwards
  const partiesSoFar = partyIndex.size;
  const comparedGrid = new Float64Array(parties.length * partiesSoFar);
  const cand = candEnt.array;
  const pop = packed.pop.array;
  const repData = storedReps?.party();
  // each representative's first_dob and last_dob keys (NaN: none) for the unique levels (registryUnique); computed here so
  // that nothing holds the stored records themselves past this point (at a million people they are about a GiB)
  const spec = config.indexEvidence;
  const repFirstKey = M && spec && storedReps ? storedReps.evidenceKeys(spec, 'first_dob') : new Float64Array(0);
  const repLastKey = M && spec && storedReps ? storedReps.evidenceKeys(spec, 'last_dob') : new Float64Array(0);
  /**
   * With the residual pass: the pairs it weighs (within RESIDUAL_MAX_SHIFT of the decision or above, score = weight);
   * new x registered as (new record, representative) until the members are numbered, new x new as nodes.
   */
  const residualOn = incrementResidual(s);
  const nearW = residualOn ? M!.decisionW - RESIDUAL_MAX_SHIFT : Number.POSITIVE_INFINITY;
  const nearRep = { u: new GrowList(Uint32Array), r: new GrowList(Uint32Array), w: new GrowList(Float64Array) };
  const near = new EdgeList();
  /**
   * With the match model: every scored pair, new records as nodes 0.., representative r as node newCount + r
   * (incrementModel), with its duplicate bar and whether it is nearly sure where its weight reaches the decision (NaN
   * and 0 below it). Decided once all are scored, on their one-to-one weights (`decideScored`).
   */
  const scored = M ? { u: new GrowList(Uint32Array), v: new GrowList(Uint32Array), w: new GrowList(Float64Array), bar: new GrowList(Float64Array), exact: new GrowList(Uint16Array) } : undefined;
  /** With the match model: party pairs scored that the stored model was not fitted on (no prior of theirs stored). */
  const unfitted = new Set<string>();
  const noteUnfitted = (m: LoadedMatchModel, a: string, b: string): void => {
    if (storedPrior(m, a, b) === undefined) unfitted.add(`${a} x ${b}`);
  };
  // each new record's first_dob and last_dob keys (NaN: none), computed once: the check runs for millions of pairs; and
  // all of them sorted, each record's distinct keys once (as evidenceKeys gives them), to count a key's new holders
  const newFirstKey = M && spec ? evidenceFilterKeys(spec, 'first_dob', encodings.length, (i) => encodings[i]!) : new Float64Array(0);
  const newLastKey = M && spec ? evidenceFilterKeys(spec, 'last_dob', encodings.length, (i) => encodings[i]!) : new Float64Array(0);
  const newEvidence = new GrowList(Float64Array);
  newFirstKey.forEach((f, i) => {
    const l = newLastKey[i]!;
    if (!Number.isNaN(f)) newEvidence.push(f);
    if (!Number.isNaN(l) && l !== f) newEvidence.push(l);
  });
  const newEvidenceSorted = newEvidence.array.slice(0, newEvidence.length).sort();
  newEvidence.release();
  const entityOfRid = (rid: number): number => (rid <= maxRid ? ridEnt[rid]! : -2);
  /**
   * Whether a (new record, representative r) pair at a one-name level of name_dob (setUniqueLevels) takes the unique
   * level: the agreeing name + date filter (the first name's when `firstAgrees`) is identical on both sides, and its
   * value is as unique as a full run's unique levels need, or more so (uniqueInRegistry: no other new record holds its
   * evidence key, one registered person does, r's entity).
   */
  const registryUnique = (node: number, firstAgrees: boolean, r: number): boolean => {
    const key = (firstAgrees ? newFirstKey : newLastKey)[node];
    if (key === undefined || Number.isNaN(key)) return false;
    // the representative's filter is identical (either of its name + date filters: a first/last swap compares them crosswise)
    if (key !== repFirstKey[r] && key !== repLastKey[r]) return false;
    return uniqueInRegistry(key, newEvidenceSorted, evidenceSingle, entityOfRid, repEnt[r]!);
  };
  /** Every pair (new record i of party k, representative r of its candidate entity ei), counted as compared. */
  const forEachRepPair = (k: number, count: number, visit: (i: number, node: number, ei: number, r: number) => void): void => {
    const gridRow = k * partiesSoFar;
    for (let i = 0; i < count; i++) {
      const node = offset[k]! + i;
      for (let c = candStart[node]!; c < candStart[node + 1]!; c++) {
        const ei = cand[c]!;
        const r0 = entRepStart[ei]!;
        const r1 = entRepStart[ei + 1]!;
        registeredCompared += r1 - r0;
        for (let x = r0; x < r1; x++) {
          const r = repByEnt[x]!;
          comparedGrid[gridRow + repParty[r]!]!++;
          visit(i, node, ei, r);
        }
      }
    }
  };
  for (const [k, p] of parties.entries()) {
    if (M && repData) {
      // the match model: every (new record, representative) pair of a candidate entity is compared and weighed
      const pa = new GrowList(Uint32Array);
      const pr = new GrowList(Uint32Array);
      forEachRepPair(k, p.count, (i, _node, _ei, r) => {
        pa.push(i);
        pr.push(r);
      });
      const a = pa.array.subarray(0, pa.length);
      const b = pr.array.subarray(0, pr.length);
      const v = compareCandidates(M.plan, p, repData, a, b);
      setUniqueLevels(v, (x, firstAgrees) => registryUnique(offset[k]! + a[x]!, firstAgrees, b[x]!));
      const w = matchWeights(M.model, v);
      // each party pair's prior (the full run's for that pair, else the overall prior)
      const priorShift = partyNames.map((name) => {
        const pm = modelForPair(M, p.name, name);
        return weightOfProbability(pm.lambda) - weightOfProbability(M.model.lambda);
      });
      // the duplicate bar of an edge to a representative of the new record's own party is the full run's within-file bar
      // (duplicateWeight: lower by that file's prior, which the edge's weight already carries), else the cross-party bar
      const dupBar = partyNames.map((name) => duplicateWeight(M, p.name, name));
      const pairSeen = new Uint8Array(partyNames.length);
      for (let x = 0; x < a.length; x++) {
        const i = a[x]!;
        const r = b[x]!;
        const rp = repParty[r]!;
        if (!pairSeen[rp]) {
          pairSeen[rp] = 1;
          noteUnfitted(M, p.name, partyNames[rp]!);
        }
        const wx = w[x]! + priorShift[rp]!;
        const linkable = wx >= M.decisionW;
        scored!.u.push(offset[k]! + i);
        scored!.v.push(newCount + r);
        scored!.w.push(wx);
        scored!.bar.push(linkable ? duplicatePairBar(M, dupBar[rp]!, v, x, pairPresence(p.presence, i, repData.presence, r)) : Number.NaN);
        scored!.exact.push(linkable && isSure(v, x) ? 1 : 0);
      }
      continue;
    }
    const a32 = new Uint32Array(p.clks.buffer, p.clks.byteOffset, p.clks.byteLength >>> 2);
    forEachRepPair(k, p.count, (i, node, ei, r) => {
      const pa = p.popcounts[i]!;
      // the Dice coefficient is at most 2·min/(sum) of the popcounts: skip pairs that cannot reach the review band
      const pb = pop[r]!;
      if (Math.fround((2 * Math.min(pa, pb)) / (pa + pb)) < tLow) return;
      const sc = Math.fround(dice(a32, (i * p.stride) >>> 2, pa, packed.words, r * words, pb, words));
      if (sc < tLow) return;
      const st = statOf(k, repParty[r]!);
      scores.push(sc);
      if (sc >= tHigh) {
        repEdgeNode.push(node);
        repEdgeRep.push(r);
        repEdgeScore.push(sc);
        active[ei] = 1;
        st.aboveThreshold++;
      } else {
        st.reviewBand++;
        reviewPairs.push({ partyA: p.name, idA: p.ids[i]!, partyB: partyNames[repParty[r]!]!, idB: repRecordId(r), score: sc });
      }
    });
  }
  // the match model: the new x new pairs too, then every scored pair decided on its one-to-one weight
  const newParty = new Uint32Array(newCount);
  parties.forEach((p, k) => newParty.fill(k, offset[k]!, offset[k]! + p.count));
  let oneToOne: OneToOneMatches | undefined;
  if (M && scored) {
    for (let i = 0; i < parties.length; i++) {
      for (let j = i; j < parties.length; j++) if (i !== j || s.maxPerParty > 1) await modelPairs(M, parties[i]!, i === j ? null : parties[j]!, i, j);
    }
    oneToOne = decideScored(M, scored, newParty);
  }
  for (let k = 0; k < parties.length; k++) {
    for (let b = 0; b < partiesSoFar; b++) {
      const c = comparedGrid[k * partiesSoFar + b]!;
      if (c === 0) continue;
      const st = statOf(k, b);
      st.candidates += c;
      st.compared += c;
    }
  }
  // the members of the entities that matter are nodes newCount.. (each counts for the limit of records per party)
  const memberNode = new Int32Array(allRecordId.length).fill(-1);
  const memEnt = new GrowList(Int32Array);
  const memParty = new GrowList(Int32Array);
  const memRecordId: string[] = [];
  for (let u = 0; u < allRecordId.length; u++) {
    const ei = allEnt.array[u]!;
    if (!active[ei]) continue;
    memberNode[u] = newCount + memRecordId.length;
    memEnt.push(ei);
    memParty.push(allParty.array[u]!);
    memRecordId.push(allRecordId[u]!);
  }
  const memberCount = memRecordId.length;
  const nodeCount = newCount + memberCount;
  const nodeParty = new Uint32Array(nodeCount);
  nodeParty.set(newParty);
  nodeParty.set(memParty.array.subarray(0, memberCount), newCount);
  // members by entity (CSR, member numbers; node = newCount + member)
  const { start: entMemStart, items: memByEnt } = groupBy(memEnt.array, memberCount, E);
  for (let x = 0; x < repEdgeNode.length; x++) {
    const m = memberNode[repMember.array[repEdgeRep.array[x]!]!]!;
    if (m < 0) continue;
    edges.push(repEdgeNode.array[x]!, m, repEdgeScore.array[x]!);
    if (!M) continue;
    const wx = repEdgeW.array[x]!;
    const bar = repEdgeBar.array[x]!;
    if (wx >= bar) dupEdges.push(repEdgeNode.array[x]!, m, repEdgeScore.array[x]!);
    links.push(repEdgeNode.array[x]!, m, wx, bar, repEdgeExact.array[x] === 1);
  }
  for (let x = 0; x < nearRep.u.length; x++) near.push(nearRep.u.array[x]!, memberNode[repMember.array[nearRep.r.array[x]!]!]!, nearRep.w.array[x]!);
  const nodeName = (node: number): { party: string; id: string } => {
    if (node < newCount) {
      const k = parties.findIndex((_, j) => node < offset[j]! + parties[j]!.count);
      return { party: parties[k]!.name, id: parties[k]!.ids[node - offset[k]!]! };
    }
    const u = node - newCount;
    return { party: partyNames[memParty.array[u]!]!, id: memRecordId[u]! };
  };
  lap('score');
  // Dice: the new x new pairs (the match model scored and decided them above)
  for (let i = 0; i < parties.length && !M; i++) {
    for (let j = i; j < parties.length; j++) {
      if (i === j && s.maxPerParty <= 1) continue;
      const A = parties[i]!;
      const B = i === j ? null : parties[j]!;
      const sp = await scorePairs(A, B, { threshold: s.reviewThreshold ?? s.threshold, blocking, ...(s.workers ? { workers: s.workers } : {}), ...(s.maxPairs ? { maxPairs: s.maxPairs } : {}) });
      const st = statOf(i, j);
      st.candidates += sp.candidates;
      st.compared += sp.compared;
      for (let x = 0; x < sp.a.length; x++) {
        const u = offset[i]! + sp.a[x]!;
        const v = offset[j]! + sp.b[x]!;
        if (u === v) continue;
        const sc = sp.score[x]!;
        scores.push(sc);
        if (sc >= tHigh) {
          edges.push(u, v, sc);
          st.aboveThreshold++;
        } else {
          st.reviewBand++;
          reviewPairs.push({ partyA: A.name, idA: A.ids[sp.a[x]!]!, partyB: (B ?? A).name, idB: (B ?? A).ids[sp.b[x]!]!, score: sc });
        }
      }
    }
  }

  /** New x new pairs with the match model: the full run's candidate passes (CLK and evidence, floors from the stored baselines). */
  async function modelPairs(m: LoadedMatchModel, A: PartyData, B: PartyData | null, i: number, j: number): Promise<void> {
    const floors = candidateFloors(m.plan, (A.evidence ?? []).length);
    const c = await candidatePairs(A, B, { blocking: MODEL_LSH, floors, ...(s.workers ? { workers: s.workers } : {}), ...(s.maxPairs ? { maxPairs: s.maxPairs } : {}) });
    const v = compareCandidates(m.plan, A, B ?? A, c.a, c.b);
    setUniqueLevels(v);
    const w = matchWeights(modelForPair(m, A.name, (B ?? A).name), v);
    if (c.a.length > 0) noteUnfitted(m, A.name, (B ?? A).name);
    const st = statOf(i, j);
    // within the new file (B null) its own within-file prior is in the weight (duplicateBar)
    const barW = duplicateWeight(m, A.name, (B ?? A).name);
    st.candidates += c.a.length;
    st.compared += c.a.length;
    for (let x = 0; x < c.a.length; x++) {
      const u = offset[i]! + c.a[x]!;
      const vv = offset[j]! + c.b[x]!;
      if (u === vv) continue;
      const wx = w[x]!;
      const linkable = wx >= m.decisionW;
      scored!.u.push(u);
      scored!.v.push(vv);
      scored!.w.push(wx);
      scored!.bar.push(linkable ? duplicatePairBar(m, barW, v, x, pairPresence(A.presence, c.a[x]!, (B ?? A).presence, c.b[x]!)) : Number.NaN);
      scored!.exact.push(linkable && isSure(v, x) ? 1 : 0);
    }
  }

  /**
   * The match model's decision on every scored pair (docs/registry.md, "One-to-one weights in increments"): its
   * one-to-one weight (expected.ts, oneToOneWeights) among the increment's scored pairs, a registered entity's
   * representatives of one party counting as one person's records; then the links to representatives (made edges once
   * the members are numbered), the new x new edges, the residual pass's pairs, the counts and the review band.
   */
  function decideScored(m: LoadedMatchModel, sc: NonNullable<typeof scored>, newParty: Uint32Array): OneToOneMatches {
    const u = sc.u.array;
    const v = sc.v.array;
    const w = sc.w.array;
    const n = sc.w.length;
    const one = oneToOneMatches(
      concatTyped([newParty, Uint32Array.from(repParty)], (x) => new Uint32Array(x)),
      partyIndex.size,
      (f) => {
        for (let x = 0; x < n; x++) f(u[x]!, v[x]!, w[x]!);
      },
      m.decisionW,
      undefined,
      (f) => {
        for (let ei = 0; ei < E; ei++) {
          for (let x = entRepStart[ei]!; x < entRepStart[ei + 1]!; x++) {
            for (let y = x + 1; y < entRepStart[ei + 1]!; y++) if (repParty[repByEnt[x]!] === repParty[repByEnt[y]!]) f(newCount + repByEnt[x]!, newCount + repByEnt[y]!);
          }
        }
      },
    );
    for (let x = 0; x < n; x++) {
      const wd = one.weights[x]!;
      const prob = probabilityOfWeight(wd);
      scores.push(prob);
      const node = u[x]!;
      const k = newParty[node]!;
      if (v[x]! >= newCount) {
        // new x representative
        const r = v[x]! - newCount;
        const rp = repParty[r]!;
        if (wd >= nearW) {
          // the residual pass may join it: its entity takes part in the clustering
          nearRep.u.push(node);
          nearRep.r.push(r);
          nearRep.w.push(wd);
          active[repEnt[r]!] = 1;
        }
        if (wd < m.reviewW && wd < m.decisionW) continue;
        const st = statOf(k, rp);
        if (wd >= m.decisionW) {
          repEdgeNode.push(node);
          repEdgeRep.push(r);
          repEdgeScore.push(edgeScore(wd));
          repEdgeW.push(wd);
          repEdgeBar.push(sc.bar.array[x]!);
          repEdgeExact.push(sc.exact.array[x]!);
          active[repEnt[r]!] = 1;
          st.aboveThreshold++;
        } else {
          st.reviewBand++;
          reviewPairs.push({ partyA: parties[k]!.name, idA: parties[k]!.ids[node - offset[k]!]!, partyB: partyNames[rp]!, idB: repRecordId(r), score: prob });
        }
        continue;
      }
      // new x new
      const vv = v[x]!;
      const j = newParty[vv]!;
      if (k !== j && wd >= nearW) near.push(node, vv, wd);
      const st = statOf(k, j);
      if (wd >= m.decisionW) {
        const bar = sc.bar.array[x]!;
        edges.push(node, vv, edgeScore(wd));
        if (wd >= bar) dupEdges.push(node, vv, edgeScore(wd));
        links.push(node, vv, wd, bar, sc.exact.array[x] === 1);
        st.aboveThreshold++;
      } else if (wd >= m.reviewW) {
        st.reviewBand++;
        reviewPairs.push({ partyA: parties[k]!.name, idA: parties[k]!.ids[node - offset[k]!]!, partyB: parties[j]!.name, idB: parties[j]!.ids[vv - offset[j]!]!, score: prob });
      }
    }
    return one;
  }

  lap('newPairs');
  // 3. decide: registered entities united first, then the new links strongest first
  const groups: number[][] = [];
  for (let ei = 0; ei < E; ei++) {
    const a = entMemStart[ei]!;
    const b = entMemStart[ei + 1]!;
    if (b - a < 2) continue;
    const g: number[] = [];
    for (let y = a; y < b; y++) g.push(newCount + memByEnt[y]!);
    groups.push(g);
  }
  // the match model: one record of a party per entity first, then a second one only through a strong link or links that
  // together reach its bar (corroborated duplicates, as a full run), then the residual pass between records left free of each other's party, on the full run's free shares (one to one)
  const residualReport: ResidualPass | undefined = residualOn ? { pairs: [], accepted: 0 } : undefined;
  let proposed: EdgeList | null = null;
  const partyList = partyNames.map((name) => ({ name, count: 0 }));
  /** Free shares measured for the pairs with a party new to the registry: stored with the model, for later increments. */
  let learnedShares: NonNullable<StoredMatchModel['freeShares']> = [];
  const residual = (view: ClusterView): EdgeList => {
    // a party new to the registry (every record of it in this increment) has no stored shares: its pairs' shares are
    // measured here, as a full run measures them (newPartyShares), and kept for the increments after it
    const live = newPartyShares(storage, parties, partyNames, nodeParty, newCount, view);
    learnedShares = [];
    for (let i = 0; i < partyNames.length; i++) {
      for (let j = i + 1; j < partyNames.length; j++) {
        if (residualShare(M!, partyNames[i]!, partyNames[j]!) !== undefined) continue;
        const freeA = live(i, j);
        const freeB = live(j, i);
        if (freeA === undefined || freeB === undefined) continue;
        // named in order (the parties' order here follows the candidates)
        const [a, b] = [partyNames[i]!, partyNames[j]!];
        learnedShares.push(a < b ? { partyA: a, partyB: b, freeA, freeB } : { partyA: b, partyB: a, freeA: freeB, freeB: freeA });
      }
    }
    learnedShares.sort((x, y) => (x.partyA < y.partyA ? -1 : x.partyA > y.partyA ? 1 : x.partyB < y.partyB ? -1 : x.partyB > y.partyB ? 1 : 0));
    const share = (i: number, j: number): number | undefined => residualShare(M!, partyNames[i]!, partyNames[j]!) ?? live(i, j);
    return (proposed = residualEdges(partyList, nodeParty, near, M!.decisionW, view, residualReport, share));
  };
  const corroboratedReport: CorroboratedPass = { proposed: 0, links: 0, accepted: 0 };
  const corroborated = (view: ClusterView): EdgeList => corroboratedEdges(links, view, edgeScore, corroboratedReport);
  const clustering = clusterRecords({
    nodeCount,
    nodeParty,
    partyCount: partyIndex.size,
    maxPerParty: s.maxPerParty,
    groups,
    ...(M ? { phases: residualOn ? [edges, dupEdges, corroborated, residual] : [edges, dupEdges, corroborated], phaseCaps: [1, s.maxPerParty, s.maxPerParty, 1] } : { phases: [edges] }),
  });
  if (residualReport) residualReport.accepted = clustering.acceptedPerPhase[3] ?? 0;
  corroboratedReport.accepted = clustering.acceptedPerPhase[2] ?? 0;
  if (M) {
    // edge scores were weights: report match probabilities
    for (let n = 0; n < nodeCount; n++) {
      clustering.best[n] = scoreProbability(clustering.best[n]!);
      clustering.clusterScore[n] = scoreProbability(clustering.clusterScore[n]!);
    }
  }
  const clusters = indexClusters(clustering.label);
  /** The residual pass's proposals with representative r as node newCount + r (incrementModel's nodes). */
  const repSpace = (pass: ResidualPass): { proposed: EdgeList | null; pass: ResidualPass } => {
    const repOf = new Int32Array(memberCount).fill(-1);
    for (let r = 0; r < repCount; r++) {
      const m = memberNode[repMember.array[r]!]!;
      if (m >= 0) repOf[m - newCount] = r;
    }
    const to = (node: number): number => (node < newCount ? node : newCount + repOf[node - newCount]!);
    const map = (e: EdgeList): EdgeList => {
      const out = new EdgeList();
      for (let x = 0; x < e.length; x++) out.push(to(e.u[x]!), to(e.v[x]!), e.score[x]!);
      return out;
    };
    const got = proposed as EdgeList | null;
    return { proposed: got ? map(got) : null, pass };
  };
  let model: ModelSummary | undefined;
  if (M && oneToOne) {
    // representative r as node newCount + r: its party, and the entity label of its record (a record outside the clustering: a label of its own)
    const repLabel = Uint32Array.from({ length: repCount }, (_, r) => {
      const m = memberNode[repMember.array[r]!]!;
      return m >= 0 ? clustering.label[m]! : nodeCount + r;
    });
    model = incrementModel(M, {
      label: concatTyped([clustering.label.subarray(0, newCount), repLabel], (x) => new Uint32Array(x)),
      one: oneToOne,
    }, residualReport && repSpace(residualReport));
    model.corroborated = corroboratedReport;
  }

  // 4. IDs
  const prior: (string | undefined)[] = new Array<string | undefined>(nodeCount);
  for (let n = 0; n < newCount; n++) prior[n] = priorNew[n];
  for (let u = 0; u < memberCount; u++) prior[newCount + u] = entName[memEnt.array[u]!];
  const assignment = assignIds({
    clusters,
    prior,
    createdRun: (id) => storage.createdRun(id),
    nodeKey: (n) => {
      const x = nodeName(n);
      return `${x.party}\u0000${x.id}`;
    },
    newId: () => storage.newId(),
  });

  const ids: string[] = new Array<string>(newCount);
  const best = new Float32Array(newCount);
  const outMembers: IncrementPlan['members'] = [];
  for (let n = 0; n < newCount; n++) {
    ids[n] = assignment.clusterId[clusters.of[n]!]!;
    best[n] = clustering.best[n]!;
    outMembers.push({ party: encodings[n]!.party, recordId: encodings[n]!.recordId, entity: ids[n]! });
  }
  /** Final linkage ID of each entity index (its first member's cluster; an entity without member nodes: where it was merged, or itself). */
  const finalIds = new Array<string | undefined | null>(entName.length).fill(null);
  const finalId = (ei: number): string | undefined => {
    const got = finalIds[ei];
    if (got !== null) return got;
    const a = entMemStart[ei]!;
    const ent = entName[ei]!;
    const id = a < entMemStart[ei + 1]! ? assignment.clusterId[clusters.of[newCount + memByEnt[a]!]!] : (assignment.mergedInto.get(ent) ?? ent);
    finalIds[ei] = id;
    return id;
  };
  // the index is kept per entity: a new record's band key already carried by another record of its entity is not stored again
  // (lookups then return about one row per entity and key, however long a person's history; src/link/registry/storage.ts).
  // A record has one key per band, so its keys covered by a hit are marked by band.
  const newPerEntity = new Map<string, number>();
  for (const id of ids) newPerEntity.set(id, (newPerEntity.get(id) ?? 0) + 1);
  const takenInRun = new Map<string, Set<number>>();
  const coveredBand = new Int32Array(persistentBands).fill(-1);
  for (let n = 0; n < newCount; n++) {
    const F = ids[n]!;
    let anyCovered = false;
    for (let x = covStart[n]!; x < covStart[n + 1]!; x++) {
      const ei = covEnt[x]!;
      if (ei < 0) continue;
      // (an evidence key is never covered by band: a record has two in EVIDENCE_BAND, and a names hit is on a probe key)
      if (finalId(ei) === F) {
        coveredBand[covBand.array[x]!] = n;
        anyCovered = true;
      }
    }
    let taken: Set<number> | undefined;
    if (newPerEntity.get(F)! > 1) {
      taken = takenInRun.get(F);
      if (!taken) {
        taken = new Set();
        takenInRun.set(F, taken);
      }
    }
    const e = encodings[n]!;
    if (!anyCovered && !taken) continue;
    const keep: number[] = [];
    for (const k of e.bandKeys) {
      const kb = Math.floor(k / TWO32);
      if ((kb < coveredBand.length && coveredBand[kb] === n) || taken?.has(k)) continue;
      keep.push(k);
      taken?.add(k);
    }
    e.bandKeys = keep;
  }

  // merge candidates: a new record matched two entities that stayed apart (its links are node-major, entity by entity)
  const mc = new Map<string, { a: string; b: string; score: number }>();
  for (let x0 = 0; x0 < repEdgeNode.length; ) {
    const node = repEdgeNode.array[x0]!;
    let x1 = x0;
    const eb: [number, number][] = [];
    for (; x1 < repEdgeNode.length && repEdgeNode.array[x1] === node; x1++) {
      const ei = repEnt[repEdgeRep.array[x1]!]!;
      const sc = M ? scoreProbability(repEdgeScore.array[x1]!) : repEdgeScore.array[x1]!;
      const last = eb.find((t) => t[0] === ei);
      if (!last) eb.push([ei, sc]);
      else if (sc > last[1]) last[1] = sc;
    }
    x0 = x1;
    if (eb.length < 2) continue;
    for (let x = 0; x < eb.length; x++) {
      for (let y = x + 1; y < eb.length; y++) {
        const fa = finalId(eb[x]![0]);
        const fb = finalId(eb[y]![0]);
        if (!fa || !fb || fa === fb) continue;
        const [a, b] = fa < fb ? [fa, fb] : [fb, fa];
        const score = Math.min(eb[x]![1], eb[y]![1]);
        const key = `${a} ${b}`;
        const prev = mc.get(key);
        if (!prev || score > prev.score) mc.set(key, { a, b, score });
      }
    }
  }

  // report figures: clusters holding a new record
  const status = { kept: 0, new: 0, merged: 0, split: 0 };
  const clusterSizes: Record<string, number> = {};
  const linkedPerParty = new Array<number>(parties.length).fill(0);
  let linkedRecords = 0;
  const seenCluster = new Set<number>();
  for (let n = 0; n < newCount; n++) {
    const c = clusters.of[n]!;
    if (seenCluster.has(c)) continue;
    seenCluster.add(c);
    status[assignment.status[c]!]++;
    const size = membersOf(clusters, c).length;
    clusterSizes[String(size)] = (clusterSizes[String(size)] ?? 0) + 1;
  }
  for (const [k, p] of parties.entries()) {
    for (let i = 0; i < p.count; i++) {
      if (!Number.isNaN(best[offset[k]! + i]!)) {
        linkedPerParty[k]!++;
        linkedRecords++;
      }
    }
  }
  for (const c of seenCluster) {
    const m = membersOf(clusters, c);
    for (const u of m) {
      if (u >= newCount) continue;
      for (const v of m) {
        if (v === u || (v < newCount && v < u)) continue;
        const pu = nodeParty[u]!;
        const pv = nodeParty[v]!;
        const st = statFor(pu, pv) ?? statFor(pv, pu);
        if (st) st.linked++;
      }
    }
  }

  lap('decide');
  // a new party's measured free shares join the stored model's (its pairs then take part in later increments' residual passes)
  const planned: RegistryConfig =
    learnedShares.length > 0 && M && config.scoring.kind === 'model'
      ? { ...config, scoring: { ...config.scoring, model: { ...M.stored, freeShares: [...(M.stored.freeShares ?? []), ...learnedShares] } satisfies StoredMatchModel } }
      : config;
  return {
    timings: laps.timings,
    config: planned,
    newConfig: stored === undefined || JSON.stringify(stored.scoring) !== JSON.stringify(planned.scoring),
    basedOn,
    parties,
    nodeCount,
    newCount,
    offset,
    clusters,
    clustering,
    assignment,
    ids,
    best,
    members: outMembers,
    encodings,
    mergeCandidates: [...mc.values()],
    reviewPairs,
    pairStats: [...pairStats.values()],
    status,
    clusterSizes,
    scores,
    ...(model ? { model, unfittedPairs: [...unfitted] } : {}),
    linkedRecords,
    linkedPerParty,
    registeredCompared,
    candidateEntities: entityList.length,
    candidates: candEnt.length,
    indexHits: H,
  };
}

/**
 * The run report's model section of an increment (docs/registry.md): the
 * stored model's m, u and priors (an increment does not refit), the weights
 * of the pairs it scored (new x representative, new x new) at their one-to-one
 * weights, and the expected quality of the links it made, as a full run
 * reports its own (expected.ts): a pair counts as linked when the increment
 * put its two records in one entity; the one-to-one odds (`one`) are those
 * among the increment's scored pairs (a registered record's candidates from
 * earlier runs are not weighed again).
 */
export function incrementModel(
  M: LoadedMatchModel,
  pairs: { label: Uint32Array; one: OneToOneMatches },
  residual?: { proposed: EdgeList | null; pass: ResidualPass },
): ModelSummary {
  const { one } = pairs;
  const summary = modelSummary(M.model, one.weights, M.matchProbability);
  summary.source = 'registry';
  summary.priors = M.stored.priors.map((p) => ({ ...p }));
  one.bandMatches.forEach((x, b) => {
    summary.bands[b]!.matches = x;
  });
  summary.expected = expectedQuality(pairs.label, one, M.decisionW, residual ? M.decisionW - RESIDUAL_MAX_SHIFT : Number.POSITIVE_INFINITY, residual?.proposed ?? null);
  if (residual) summary.residual = residual.pass;
  return summary;
}

/** Write a planned increment (registry + audit entry, one transaction). Returns the run's number. */
export function commitIncrement(
  storage: RegistryStorage,
  plan: IncrementPlan,
  run: { runId: string; startedAt: string; finishedAt: string; tool: string; inputs: unknown; parameters: unknown; counts: unknown },
  auditDetail: Record<string, unknown>,
): number {
  return storage.writeRun(plan.basedOn, {
    run,
    assignment: plan.assignment,
    members: plan.members,
    encodings: plan.encodings,
    mergeCandidates: plan.mergeCandidates,
    ...(plan.newConfig ? { config: plan.config } : {}),
    audit: { type: 'link-run', detail: auditDetail },
  });
}

export type { StoredRecord };
