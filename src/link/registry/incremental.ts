import type { ReportPartyPair } from '../../format/run-report.js';
import { P20Error } from '../../errors.js';
import { isAllPairs, parseBlockingSpec, formatBlockingSpec, type BlockingConfig } from '../blocking/config.js';
import { popcount32 } from '../dice.js';
import { EdgeList } from '../resolve/edges.js';
import { clusterRecords, indexClusters, membersOf, type ClusterIndex, type Clustering } from '../resolve/cluster.js';
import { scorePairs } from '../score.js';
import { strideFor } from '../pack.js';
import type { PartyData } from '../types.js';
import { Laps } from '../../util/laps.js';
import { assignIds, type Assignment } from './assign.js';
import { BandSorted, MAX_SORTED_ENTRIES, blockValuesOf, partyBandKeys, persistentBandCount } from './band-keys.js';
import type { EncodingUpdate, RegistryConfig, RegistryScoring, RegistryStorage, StoredRecord } from './storage.js';

/**
 * Incremental linking against the longitudinal registry (docs/registry.md):
 * new records (one or more files) are linked against every registered
 * entity and among themselves, without any earlier file.
 *
 * 1. Candidates: the new records' band keys (same banding as a full run,
 *    src/link/registry/band-keys.ts) are looked up in the persistent
 *    blocking index; every record hit names a candidate entity. A record
 *    already registered (same party and record id) also has its own entity
 *    as a candidate. Cost: the new records and their hits, never a scan.
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

export interface IncrementSettings {
  /** Representative set per entity (default DEFAULT_REPRESENTATIVES). */
  representatives?: number;
  blocking: BlockingConfig;
  threshold: number;
  reviewThreshold: number | undefined;
  maxPerParty: number;
  workers?: number;
  maxPairs?: number;
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
  /** Dice of every scored pair (for the report's histograms). */
  scores: number[];
  linkedRecords: number;
  linkedPerParty: number[];
  /** Registered records compared against (for the report). */
  registeredCompared: number;
  candidateEntities: number;
  /** Seconds per step of the plan (candidates, members, score, pairs, decide), for reports and benches. */
  timings: Record<string, number>;
}

/** The configuration a first increment (or full run) stores. */
export function registryConfigFor(header: { keyCheckValue: string; schemaFingerprint: string; l: number }, s: IncrementSettings): RegistryConfig {
  const scoring: RegistryScoring = { kind: 'dice', threshold: s.threshold, reviewThreshold: s.reviewThreshold ?? null, maxPerParty: s.maxPerParty };
  return { keyCheckValue: header.keyCheckValue, schemaFingerprint: header.schemaFingerprint, l: header.l, blocking: formatBlockingSpec(s.blocking), scoring };
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

/** The stored encodings (with band keys) of every record of one party. */
export function encodingUpdates(p: PartyData, blocking: BlockingConfig): EncodingUpdate[] {
  const nb = persistentBandCount(blocking, p.header.l);
  const keys = new Float64Array(p.count * nb);
  partyBandKeys(blocking, p, 0, p.count, keys);
  const out: EncodingUpdate[] = [];
  for (let i = 0; i < p.count; i++) {
    const bandKeys: number[] = [];
    for (let b = 0; b < nb; b++) {
      const k = keys[i * nb + b]!;
      if (!Number.isNaN(k)) bandKeys.push(k);
    }
    out.push({ party: p.name, recordId: p.ids[i]!, clk: clkOf(p, i), evidence: evidenceOf(p, i), presence: presenceOf(p, i), blocks: blockValuesOf(p, i), bandKeys });
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
  readonly pop: number[] = [];
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

/** Candidate entities read per storage call (bounds the stored records held as objects at once). */
const ENTITY_BATCH = 16_384;

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
  const encodings = parties.flatMap((p) => encodingUpdates(p, blocking));
  lap('bandKeys');

  // 1. candidates from the persistent index: every distinct band key once, ascending; hits mapped back to the records holding the key
  const nodeRids: number[][] = encodings.map(() => []);
  /** Per new record: the key of each hit, parallel to nodeRids (to leave out keys its entity already carries). */
  const nodeHitKeys: number[][] = encodings.map(() => []);
  const candRids = new Set<number>();
  const holders: number[] = [];
  for (let from = 0; from < encodings.length; from += MAX_SORTED_ENTRIES) {
    const part = encodings.slice(from, from + MAX_SORTED_ENTRIES);
    const sorted = new BandSorted(part.map((e) => e.bandKeys));
    let holdersOf = Number.NaN;
    storage.lookupBandKeys(sorted.distinctKeys(), (key, rid) => {
      // a key's rows come together: its holders are searched once
      if (key !== holdersOf) {
        holders.length = 0;
        sorted.holders(key, holders);
        holdersOf = key;
      }
      for (const e of holders) {
        nodeRids[from + e]!.push(rid);
        nodeHitKeys[from + e]!.push(key);
      }
      candRids.add(rid);
    });
  }
  lap('lookup');
  const ridEntity = storage.entitiesOfRecords([...candRids].sort((a, b) => a - b));
  const nodeEntities: Set<string>[] = encodings.map((_e, node) => {
    const set = new Set<string>();
    for (const rid of nodeRids[node]!) {
      const ent = ridEntity.get(rid);
      if (ent) set.add(ent);
    }
    return set;
  });
  // prior entity of every new record (an update keeps its membership unless it leaves)
  const priorNew: (string | undefined)[] = storage.entitiesOf(encodings);
  priorNew.forEach((e, node) => {
    if (e !== undefined) nodeEntities[node]!.add(e);
  });
  const entities = new Set<string>();
  for (const set of nodeEntities) for (const e of set) entities.add(e);
  const entityList = [...entities].sort();
  lap('candidates');

  // registered records of the candidate entities, in two looks (old versions of updated records left out):
  // (a) the representatives of every candidate entity, scored; (b) the whole membership of the entities that
  // matter to the decision (a link above the threshold, or the prior entity of a record given again): their
  // members are the registered nodes newCount.. of the clustering. A candidate entity nothing links to takes
  // no part in the decision, so its membership is never read (with many spurious candidates, most are such).
  // (only records registered before can be among the members: the others are not looked for)
  const replaced = new Set(encodings.filter((_e, n) => priorNew[n] !== undefined).map((e) => `${e.party}\u0000${e.recordId}`));
  const isReplaced = (m: { party: string; recordId: string }): boolean => replaced.size > 0 && replaced.has(`${m.party}\u0000${m.recordId}`);
  /** Old versions of records given again: their band keys go, so they cover nothing. */
  const replacedRids = new Set<number>();
  const repList: { entity: string; party: string; recordId: string; slot: number }[] = [];
  const entityReps = new Map<string, number[]>();
  const packed = new PackedClks(stride);
  const reps = s.representatives ?? DEFAULT_REPRESENTATIVES;
  for (let from = 0; from < entityList.length; from += ENTITY_BATCH) {
    for (const m of storage.membersOfEntities(entityList.slice(from, from + ENTITY_BATCH), { encodingsPerEntity: reps, encodedOnly: true })) {
      if (isReplaced(m)) {
        if (m.rid !== null) replacedRids.add(m.rid);
        continue;
      }
      let list = entityReps.get(m.entity);
      if (!list) {
        list = [];
        entityReps.set(m.entity, list);
      }
      list.push(repList.length);
      repList.push({ entity: m.entity, party: m.party, recordId: m.recordId, slot: packed.add(m.record!.clk) });
    }
  }
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
  const repParty = Uint32Array.from(repList, (r) => partyOf(r.party));
  lap('members');

  // 2. scores: new x registered (entity level: the representatives), new x new (the full run's scorer)
  const edges = new EdgeList();
  const scores: number[] = [];
  const reviewPairs: IncrementPlan['reviewPairs'] = [];
  /** Party pair counts, by party numbers (partyIndex). */
  const partyNames: string[] = [];
  const pairStats = new Map<number, IncrementPairStat>();
  const statOf = (a: number, b: number): IncrementPairStat => {
    const key = a * 2 ** 21 + b;
    let st = pairStats.get(key);
    if (!st) {
      for (const [name, x] of partyIndex) partyNames[x] = name;
      st = { partyA: partyNames[a]!, partyB: partyNames[b]!, candidates: 0, compared: 0, aboveThreshold: 0, reviewBand: 0, linked: 0 };
      pairStats.set(key, st);
    }
    return st;
  };
  const statFor = (a: number, b: number): IncrementPairStat | undefined => pairStats.get(a * 2 ** 21 + b);
  /** Per new record: entity -> best score (to spot records matching two entities). */
  const entityBest: Map<string, number>[] = encodings.map(() => new Map());
  /** Links to representatives (new record, representative, score), made nodes once the memberships are read. */
  const repEdges: { node: number; rep: number; score: number }[] = [];
  const active = new Set<string>();
  for (const e of priorNew) if (e !== undefined) active.add(e);
  let registeredCompared = 0;
  // compared pairs per (new party, registered party), counted in a grid and put into the stats afterwards
  const partiesSoFar = partyIndex.size;
  const comparedGrid = new Float64Array(parties.length * partiesSoFar);
  for (const [k, p] of parties.entries()) {
    const a32 = new Uint32Array(p.clks.buffer, p.clks.byteOffset, p.clks.byteLength >>> 2);
    for (let i = 0; i < p.count; i++) {
      const node = offset[k]! + i;
      const pa = p.popcounts[i]!;
      for (const ent of nodeEntities[node]!) {
        const list = entityReps.get(ent);
        if (!list) continue;
        registeredCompared += list.length;
        for (const r of list) {
          comparedGrid[k * partiesSoFar + repParty[r]!]!++;
          const rep = repList[r]!;
          // the Dice coefficient is at most 2·min/(sum) of the popcounts: skip pairs that cannot reach the review band
          const pb = packed.pop[rep.slot]!;
          if (Math.fround((2 * Math.min(pa, pb)) / (pa + pb)) < tLow) continue;
          const sc = Math.fround(dice(a32, (i * p.stride) >>> 2, pa, packed.words, rep.slot * words, pb, words));
          if (sc < tLow) continue;
          const st = statOf(k, repParty[r]!);
          scores.push(sc);
          if (sc >= tHigh) {
            repEdges.push({ node, rep: r, score: sc });
            active.add(ent);
            st.aboveThreshold++;
            const prev = entityBest[node]!.get(ent);
            if (prev === undefined || sc > prev) entityBest[node]!.set(ent, sc);
          } else {
            st.reviewBand++;
            reviewPairs.push({ partyA: p.name, idA: p.ids[i]!, partyB: rep.party, idB: rep.recordId, score: sc });
          }
        }
      }
    }
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
  // (b) every member of the entities that matter: nodes newCount.. (each counts for the limit of records per party)
  const activeList = [...active].sort();
  const members: { entity: string; party: string; recordId: string }[] = [];
  for (let from = 0; from < activeList.length; from += ENTITY_BATCH) {
    for (const m of storage.membersOfEntities(activeList.slice(from, from + ENTITY_BATCH), { encodingsPerEntity: 0 })) {
      if (isReplaced(m)) {
        if (m.rid !== null) replacedRids.add(m.rid);
        continue;
      }
      members.push({ entity: m.entity, party: m.party, recordId: m.recordId });
    }
  }
  const nodeCount = newCount + members.length;
  const nodeParty = new Uint32Array(nodeCount);
  parties.forEach((p, k) => nodeParty.fill(k, offset[k]!, offset[k]! + p.count));
  members.forEach((m, x) => (nodeParty[newCount + x] = partyOf(m.party)));
  const entityNodes = new Map<string, number[]>();
  members.forEach((m, x) => {
    let list = entityNodes.get(m.entity);
    if (!list) {
      list = [];
      entityNodes.set(m.entity, list);
    }
    list.push(newCount + x);
  });
  /** Node of a representative: found among its own entity's members (no key per member). */
  const repNode = new Map<number, number>();
  for (const e of repEdges) {
    let m = repNode.get(e.rep);
    if (m === undefined) {
      const rep = repList[e.rep]!;
      m = (entityNodes.get(rep.entity) ?? []).find((u) => members[u - newCount]!.party === rep.party && members[u - newCount]!.recordId === rep.recordId) ?? -1;
      repNode.set(e.rep, m);
    }
    if (m >= 0) edges.push(e.node, m, e.score);
  }
  const nodeName = (node: number): { party: string; id: string } => {
    if (node < newCount) {
      const k = parties.findIndex((_, j) => node < offset[j]! + parties[j]!.count);
      return { party: parties[k]!.name, id: parties[k]!.ids[node - offset[k]!]! };
    }
    const m = members[node - newCount]!;
    return { party: m.party, id: m.recordId };
  };
  lap('score');
  for (let i = 0; i < parties.length; i++) {
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

  lap('newPairs');
  // 3. decide: registered entities united first, then the new links strongest first
  const groups = [...entityNodes.values()].filter((g) => g.length > 1);
  const clustering = clusterRecords({ nodeCount, nodeParty, partyCount: partyIndex.size, maxPerParty: s.maxPerParty, groups, phases: [edges] });
  const clusters = indexClusters(clustering.label);

  // 4. IDs
  const prior: (string | undefined)[] = new Array<string | undefined>(nodeCount);
  for (let n = 0; n < newCount; n++) prior[n] = priorNew[n];
  members.forEach((m, x) => (prior[newCount + x] = m.entity));
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
  const finalIds = new Map<string, string | undefined>();
  const finalId = (ent: string): string | undefined => {
    if (finalIds.has(ent)) return finalIds.get(ent);
    const nodes = entityNodes.get(ent);
    const id = nodes && nodes.length > 0 ? assignment.clusterId[clusters.of[nodes[0]!]!] : (assignment.mergedInto.get(ent) ?? ent);
    finalIds.set(ent, id);
    return id;
  };
  // the index is kept per entity: a new record's band key already carried by another record of its entity is not stored again
  // (lookups then return about one row per entity and key, however long a person's history; src/link/registry/storage.ts)
  const newPerEntity = new Map<string, number>();
  for (const id of ids) newPerEntity.set(id, (newPerEntity.get(id) ?? 0) + 1);
  const takenInRun = new Map<string, Set<number>>();
  for (let n = 0; n < newCount; n++) {
    const F = ids[n]!;
    const covered = new Set<number>();
    const rids = nodeRids[n]!;
    const keys = nodeHitKeys[n]!;
    for (let x = 0; x < rids.length; x++) {
      const rid = rids[x]!;
      if (replacedRids.has(rid)) continue;
      const ent = ridEntity.get(rid);
      if (ent !== undefined && finalId(ent) === F) covered.add(keys[x]!);
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
    if (covered.size === 0 && !taken) continue;
    const keep: number[] = [];
    for (const k of e.bandKeys) {
      if (covered.has(k) || taken?.has(k)) continue;
      keep.push(k);
      taken?.add(k);
    }
    e.bandKeys = keep;
  }

  // merge candidates: a new record matched two entities that stayed apart
  const mc = new Map<string, { a: string; b: string; score: number }>();
  for (let n = 0; n < newCount; n++) {
    const eb = [...entityBest[n]!.entries()];
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
  return {
    timings: laps.timings,
    config,
    newConfig: stored === undefined || JSON.stringify(stored.scoring) !== JSON.stringify(config.scoring),
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
    linkedRecords,
    linkedPerParty,
    registeredCompared,
    candidateEntities: entityList.length,
  };
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
