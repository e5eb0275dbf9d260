/**
 * The storage seam of the longitudinal linkage registry: everything the
 * registry needs from a database, as one TypeScript interface. The embedded
 * default is SQLite (`SqliteRegistryStorage`, src/link/registry/sqlite-storage.ts,
 * tables `registry_*` in the linker's store); a server database can implement
 * the same interface later for a linker that outgrows one machine. Every
 * implementation must pass the contract suite in
 * test/store/registry-storage-contract.ts (docs/registry.md "Storage").
 *
 * What the registry keeps per record: party, record id, its encoding (the
 * unpadded CLK bytes, the evidence filters and presence byte when the file
 * had them), the keyed blocking values reduced to 32-bit band keys, and its
 * linkage ID (membership). Beside that: the configuration the encodings were
 * made under (key check value, schema fingerprint, CLK length, blocking,
 * scoring), entities with their creation run, merges, splits, retired IDs,
 * merge candidates and the runs. No plaintext, ever.
 *
 * The persistent blocking index maps a band key (band number × 2^32 + the
 * band's 32-bit key, the same banding as a full run; with the match model
 * also the evidence keys, `indexEvidence`) to the records carrying it, so an
 * increment looks up only the keys of its new records.
 */
import type { Assignment } from './assign.js';
import type { EvidenceIndex } from './band-keys.js';
import type { HistoryEvent, RunRecord } from './registry.js';

/** How pairs were scored when the registry was built (increments score the same way). */
export type RegistryScoring =
  | { kind: 'dice'; threshold: number; reviewThreshold: number | null; maxPerParty: number }
  | { kind: 'model'; threshold: number; reviewThreshold: number | null; maxPerParty: number; model: unknown };

/** The linkage configuration every stored encoding was made and indexed under. */
export interface RegistryConfig {
  /** Key check value of the secret the stored encodings were made with (never the secret). */
  keyCheckValue: string;
  schemaFingerprint: string;
  /** CLK length in bits. */
  l: number;
  /** Blocking spec (formatBlockingSpec) the band keys were computed with. */
  blocking: string;
  scoring: RegistryScoring;
  /** The evidence keys the index also holds (band-keys.ts EVIDENCE_BAND; a registry with the match model); absent: none. */
  indexEvidence?: EvidenceIndex;
}

/** One record's encoding as stored. */
export interface RecordEncoding {
  party: string;
  recordId: string;
  /** Unpadded CLK, ceil(l/8) bytes. */
  clk: Uint8Array;
  /** Evidence filters back to back in header order (null when the file had none). */
  evidence: Uint8Array | null;
  /** Presence bitmask (null when the file had none). */
  presence: number | null;
  /** The record's keyed blocking values by block name (HMAC values, never plaintext; null when the file had none). */
  blocks: Record<string, string> | null;
}

/** A registered record with its internal number and its (surviving) entity. */
export interface StoredRecord extends RecordEncoding {
  /** Internal record number, never reused. */
  rid: number;
  entity: string;
}

/** A member of an entity: (party, record id), with its encoding when the registry holds one. */
export interface EntityMember {
  entity: string;
  party: string;
  recordId: string;
  /** Internal number of its stored encoding (null: the registry holds none), whether or not the encoding is returned. */
  rid: number | null;
  record: StoredRecord | null;
}

/**
 * An encoding to store, with the band keys it is indexed under. The index is
 * kept per entity: a key that another stored record of the same entity
 * already carries may be left out (the index then returns about one row per
 * entity and key, however many records the entity holds). Storage keeps that
 * true when records leave: after a record's keys are removed (update,
 * forget, split), the keys the entity's other records carry are put back.
 */
export interface EncodingUpdate extends RecordEncoding {
  /** Band keys (band × 2^32 + key) to index the record under. */
  bandKeys: readonly number[];
}

/** What a run writes (one atomic unit with its audit entry). */
export interface RunWrite {
  run: RunRecord;
  assignment: Assignment;
  /** Memberships to set: (party, record id) -> linkage ID. */
  members: readonly { party: string; recordId: string; entity: string }[];
  /** Encodings to insert or replace, with their band keys. */
  encodings: readonly EncodingUpdate[];
  /** Entities a record matched but that could not be merged (per-party limit). */
  mergeCandidates?: readonly { a: string; b: string; score: number }[];
  /** Set the configuration (first run that stores encodings, or a key rotation). */
  config?: RegistryConfig;
  audit: { type: string; detail: Record<string, unknown> };
}

export interface ForgetResult {
  /** Records whose membership (and encoding, when held) was removed. */
  removed: number;
  /** Record ids given that the registry did not know. */
  unknown: number;
  /** Entities left without records, now retired. */
  retired: string[];
}

export interface RekeyResult {
  records: number;
  parties: string[];
}

export interface RegistryStorage {
  /** Where the registry lives (for messages). */
  readonly location: string;
  /** The configuration, or undefined while no encoding is stored. */
  config(): RegistryConfig | undefined;
  /** Number of stored encodings. */
  encodingCount(): number;
  /** Sequence number of the latest run (0: none); a writer checks it did not change. */
  lastRunSeq(): number;
  /** Current entity of (party, record id), following merges; undefined when not registered. */
  entityOf(party: string, recordId: string): string | undefined;
  /** Current entity of many (party, record id) at once, in the order given (undefined: not registered); one round trip per batch, not per record. */
  entitiesOf(records: readonly { party: string; recordId: string }[]): (string | undefined)[];
  /** Stored encoding of (party, record id), or undefined. */
  encodingOf(party: string, recordId: string): StoredRecord | undefined;
  /**
   * Records carrying each band key (keys sorted ascending for locality): callback per (key, rid), a key's rows one after
   * the other. May answer asynchronously (await it); keys may be looked up in parallel. With `maxRows`, a key held by
   * more records than that is a crowd: none of its rows is given (nor read past maxRows + 1).
   */
  lookupBandKeys(keys: Float64Array, onHit: (key: number, rid: number) => void, maxRows?: number): void | Promise<void>;
  /** Stored records by internal number (with their entity). */
  recordsByRid(rids: readonly number[]): StoredRecord[];
  /** Current entity of each stored record (by internal number; records without membership left out). */
  entitiesOfRecords(rids: readonly number[]): Map<number, string>;
  /**
   * Every member of the given entities (records without a stored encoding
   * have record null). With encodingsPerEntity, only the encodings of each
   * entity's most recently registered records (highest internal numbers)
   * are returned; the other members come with record null. With
   * encodedOnly, only the members whose encoding is returned (an
   * increment's first look at its candidate entities: their
   * representatives, not their whole membership).
   */
  membersOfEntities(entities: readonly string[], opts?: { encodingsPerEntity?: number; encodedOnly?: boolean }): EntityMember[];
  /** Run number an entity was created in (older entities survive merges). */
  createdRun(entity: string): number;
  /** A fresh linkage ID never used in this registry (retired IDs included). */
  newId(): string;
  /** Write one run atomically, refusing (STORE_CHANGED) when the latest run is no longer `basedOn`. Returns the run's number. */
  writeRun(basedOn: number, w: RunWrite): number;
  /**
   * Inside a run's transaction (a full run): set the configuration when absent (else keep it, taking a model
   * scoring and the evidence index given: the index is rebuilt when the latter changes), insert or replace encodings
   * (their band keys made for `config`).
   */
  storeEncodings(run: number, config: RegistryConfig, encodings: readonly EncodingUpdate[]): void;
  /** Remove these records of one party: encodings, band keys, memberships; retire emptied entities; audit entry (count, party, digest). */
  forget(party: string, recordIds: readonly string[], audit: { fileSha256: string }): ForgetResult;
  /** Entity of every record of one party, sorted by record id. */
  exportParty(party: string): Iterable<{ recordId: string; entity: string }>;
  /** Parties with registered records. */
  parties(): string[];
  /**
   * Replace every stored encoding (key rotation): all-or-nothing, sets the new configuration, rebuilds the index from
   * the stored encodings, audit entry. `encodings` is read once, in order (a generator: memory holds one at a time).
   */
  rekey(config: RegistryConfig, encodings: Iterable<RecordEncoding>, audit: { type: string; detail: Record<string, unknown> }): RekeyResult;
  /**
   * Rebuild the blocking index under another blocking (every stored record's
   * band keys recomputed from its CLK and keyed block values; cost grows with
   * the registry, once) and store the new configuration.
   */
  reindex(config: RegistryConfig): void;
  /** Store a new configuration (same secret, schema and blocking; e.g. another threshold). */
  updateConfig(config: RegistryConfig): void;
  /** (party, record id) of every record that has a stored encoding, per party (for a rotation's completeness check). */
  encodedRecordCount(party: string): number;
  /** Merge/split history, oldest first. */
  history(entity?: string): HistoryEvent[];
  /** Merge candidates recorded, oldest first. */
  mergeCandidates(): { runId: string; a: string; b: string; score: number }[];
  /** Whether an entity was retired. */
  isRetired(entity: string): boolean;
  close(): void;
}
