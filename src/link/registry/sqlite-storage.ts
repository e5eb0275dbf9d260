import { Worker } from 'node:worker_threads';
import { P20Error } from '../../errors.js';
import { workerUrl } from '../../util/worker-url.js';
import { appendAudit } from '../../store/audit-log.js';
import { writeTransaction, type Db } from '../../store/db.js';
import { Laps } from '../../util/laps.js';
import type { Progress } from '../../io/progress.js';

const prepare = (db: Db, sql: string) => db.prepare(sql);
type Statement = ReturnType<typeof prepare>;
import { parseBlockingSpec } from '../blocking/config.js';
import { KeySpill } from './key-spill.js';
import { BandSorted, MAX_SORTED_ENTRIES, evidenceKeys, readEvidenceIndex, sameEvidenceIndex, storedBandKeys } from './band-keys.js';
import { createdRunLookup, entityResolver, freshIdSource, insertRunEntities, lastRunSeq, registryHistory, type HistoryEvent } from './registry.js';
import type { EncodingUpdate, EntityMember, ForgetResult, RecordEncoding, RegistryConfig, RegistryStorage, RekeyResult, RunWrite, StoredRecord } from './storage.js';

/**
 * The SQLite implementation of RegistryStorage (src/link/registry/storage.ts)
 * on the linker's store (`openLinkerStore`): tables `registry_*` from
 * src/store/migrations.ts (registry-001-tables, registry-002-encodings).
 * Writes go through `writeTransaction` (waits for another writer, then
 * STORE_BUSY). Forgetting turns on SQLite's secure_delete and truncates the
 * WAL afterwards, so a forgotten encoding's bytes do not linger in free pages.
 */

interface RecordRow {
  rid: number;
  party: string;
  record_id: string;
  clk: Buffer;
  evidence: Buffer | null;
  presence: number | null;
  blocks: string | null;
  entity_id: string | null;
}


/** Block values as stored: JSON with sorted keys (so equal values compare equal as text). */
function blocksText(b: Record<string, string> | null): string | null {
  if (b === null) return null;
  const o: Record<string, string> = {};
  for (const k of Object.keys(b).sort()) o[k] = b[k]!;
  return JSON.stringify(o);
}

function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function toStored(r: RecordRow, entity: string): StoredRecord {
  return {
    rid: r.rid,
    party: r.party,
    recordId: r.record_id,
    clk: new Uint8Array(r.clk),
    evidence: r.evidence === null ? null : new Uint8Array(r.evidence),
    presence: r.presence,
    blocks: r.blocks === null ? null : (JSON.parse(r.blocks) as Record<string, string>),
    entity,
  };
}

/** The stored columns a record's index keys come from. */
interface StoredKeySource {
  clk: Uint8Array | Buffer;
  blocks: string | null;
  evidence: Uint8Array | Buffer | null;
  presence: number | null;
}

export class SqliteRegistryStorage implements RegistryStorage {
  readonly location: string;
  private resolve: (id: string) => string;
  private readonly created: (id: string) => number;
  private readonly fresh: () => string;

  /** SQLite page cache of this connection, MiB. */
  private readonly cacheMiB: number;
  /** Key sets at least this large are looked up by two connections at once (lookupBandKeys). */
  private readonly parallelLookupKeys: number;
  /** SQLite page cache during a large writeRun, MiB (0: the connection's own). */
  private readonly commitCacheMiB: number;

  constructor(
    readonly db: Db,
    opts: { ownsDb?: boolean; cacheMiB?: number; parallelLookupKeys?: number; commitCacheMiB?: number } = {},
  ) {
    this.location = db.name;
    this.cacheMiB = opts.cacheMiB ?? 256;
    this.commitCacheMiB = opts.commitCacheMiB ?? 0;
    this.parallelLookupKeys = opts.parallelLookupKeys ?? 200_000;
    const t = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'registry_records'").get();
    if (!t) throw new P20Error('REGISTRY_MISSING', 'this store has no registry of encodings (open it with openLinkerStore, which adds it)', { file: db.name });
    // the blocking index is large: give SQLite a page cache that holds its hot part
    db.pragma(`cache_size = -${Math.round(this.cacheMiB * 1024)}`);
    // deleted or moved encodings are overwritten with zeros, never left in free space (forget must leave no trace)
    db.pragma('secure_delete = ON');
    this.owns = opts.ownsDb ?? false;
    this.resolve = entityResolver(db);
    this.created = createdRunLookup(db);
    this.fresh = freshIdSource(db);
  }

  private readonly owns: boolean;
  private readonly statements = new Map<string, Statement>();

  /** A prepared statement, prepared once per storage. */
  private st(sql: string): Statement {
    let q = this.statements.get(sql);
    if (!q) {
      q = prepare(this.db, sql);
      this.statements.set(sql, q);
    }
    return q;
  }

  config(): RegistryConfig | undefined {
    const r = this.db.prepare('SELECT key_check_value, schema_fingerprint, l, blocking, scoring, index_evidence FROM registry_config WHERE id = 1').get() as
      | { key_check_value: string; schema_fingerprint: string; l: number; blocking: string; scoring: string; index_evidence: string | null }
      | undefined;
    if (!r) return undefined;
    const cfg: RegistryConfig = { keyCheckValue: r.key_check_value, schemaFingerprint: r.schema_fingerprint, l: r.l, blocking: r.blocking, scoring: JSON.parse(r.scoring) as RegistryConfig['scoring'] };
    let ev: ReturnType<typeof readEvidenceIndex> = 'bad';
    try {
      ev = readEvidenceIndex(r.index_evidence === null ? null : JSON.parse(r.index_evidence));
    } catch {}
    if (ev === 'bad') throw new P20Error('REGISTRY_DAMAGED', "the registry's index configuration (index_evidence) cannot be read", { file: this.location });
    if (ev) cfg.indexEvidence = ev;
    return cfg;
  }

  encodingCount(): number {
    return this.db.prepare('SELECT COUNT(*) FROM registry_records').pluck().get() as number;
  }

  encodedRecordCount(party: string): number {
    return this.db.prepare('SELECT COUNT(*) FROM registry_records WHERE party = ?').pluck().get(party) as number;
  }

  lastRunSeq(): number {
    return lastRunSeq(this.db);
  }

  entityOf(party: string, recordId: string): string | undefined {
    const e = this.st('SELECT entity_id FROM registry_members WHERE party = ? AND record_id = ?').pluck().get(party, recordId) as string | undefined;
    return e === undefined ? undefined : this.resolve(e);
  }

  entitiesOf(records: readonly { party: string; recordId: string }[]): (string | undefined)[] {
    const q = this.st(
      `SELECT j.key, m.entity_id FROM json_each(?) j JOIN registry_members m ON m.party = json_extract(j.value, '$[0]') AND m.record_id = json_extract(j.value, '$[1]')`,
    ).raw();
    const out = new Array<string | undefined>(records.length).fill(undefined);
    const CHUNK = 4096;
    for (let from = 0; from < records.length; from += CHUNK) {
      const part = records.slice(from, from + CHUNK).map((r) => [r.party, r.recordId]);
      for (const [k, e] of q.all(JSON.stringify(part)) as [number, string][]) out[from + k] = this.resolve(e);
    }
    return out;
  }

  encodingOf(party: string, recordId: string): StoredRecord | undefined {
    const r = this.db
      .prepare(
        'SELECT r.rid, r.party, r.record_id, r.clk, r.evidence, r.presence, r.blocks, m.entity_id FROM registry_records r LEFT JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id WHERE r.party = ? AND r.record_id = ?',
      )
      .get(party, recordId) as RecordRow | undefined;
    return r ? toStored(r, r.entity_id === null ? '' : this.resolve(r.entity_id)) : undefined;
  }

  /**
   * With many keys (a large increment against a store on disk), a worker
   * thread with its own read-only connection looks up the upper half of the
   * keys while this connection looks up the lower half (the B-tree searches
   * are most of an increment's index cost; two cores halve their wall time).
   * Each key's hits still come together. Should the worker fail, its half is
   * looked up here.
   */
  async lookupBandKeys(keys: Float64Array, onHit: (key: number, rid: number) => void, maxRows?: number): Promise<void> {
    if (keys.length < this.parallelLookupKeys || this.db.memory) return this.lookupBandKeysSync(keys, onHit, maxRows);
    let mid = keys.length >>> 1;
    while (mid < keys.length && keys[mid] === keys[mid - 1]) mid++;
    const upper = keys.slice(mid);
    let worker: Worker | undefined;
    let answer: Promise<Float64Array> | undefined;
    try {
      const w = new Worker(workerUrl(import.meta.url, './lookup-worker.js'), { workerData: { path: this.db.name, cacheMiB: Math.max(16, this.cacheMiB >>> 1) } });
      worker = w;
      answer = new Promise<Float64Array>((ok, fail) => {
        w.once('message', (m: { hits: Float64Array }) => ok(m.hits));
        w.once('error', fail);
        w.once('exit', (code) => fail(new Error(`lookup worker exited (${code})`)));
      });
      answer.catch(() => undefined);
      w.postMessage({ keys: upper, maxRows }, [upper.buffer]);
    } catch {
      answer = undefined;
    }
    this.lookupBandKeysSync(keys.subarray(0, mid), onHit, maxRows);
    let hits: Float64Array | undefined;
    try {
      hits = answer ? await answer : undefined;
    } catch {
      hits = undefined;
    } finally {
      await worker?.terminate();
    }
    if (!hits) {
      this.lookupBandKeysSync(keys.subarray(mid), onHit, maxRows);
      return;
    }
    this.parallelLookups++;
    for (let i = 0; i < hits.length; i += 2) onHit(hits[i]!, hits[i + 1]!);
  }

  /** Lookups answered in part by the worker's connection (for tests and benches). */
  parallelLookups = 0;

  /** lookupBandKeys on this connection alone. */
  lookupBandKeysSync(keys: Float64Array, onHit: (key: number, rid: number) => void, maxRows?: number): void {
    // distinct keys in ascending order, looked up in chunks (one statement per chunk: the per-call cost dominates otherwise);
    // each hit comes back as one number, (position in the chunk) × 2^40 + rid, not as an array per row (millions of rows).
    // With maxRows, a crowded key's rows are counted in SQLite (at most maxRows + 1 index entries) and never handed over:
    // at a million people the few crowded keys carried most of an increment's rows.
    const q =
      maxRows === undefined
        ? this.st('SELECT j.key * 1099511627776 + b.rid FROM json_each(?) j JOIN registry_band_keys b ON b.key = j.value').pluck()
        : this.st(
            `SELECT j.key * 1099511627776 + b.rid FROM json_each(@keys) j JOIN registry_band_keys b ON b.key = j.value
             WHERE (SELECT COUNT(*) FROM (SELECT 1 FROM registry_band_keys c WHERE c.key = j.value LIMIT @max + 1)) <= @max`,
          ).pluck();
    const args = (chunk: number[]): unknown[] => (maxRows === undefined ? [JSON.stringify(chunk)] : [{ keys: JSON.stringify(chunk), max: maxRows }]);
    const CHUNK = 4096;
    const TWO40 = 1099511627776;
    let chunk: number[] = [];
    const flush = (): void => {
      if (chunk.length === 0) return;
      // all() rather than iterate(): one call per chunk, not one per row (about a third faster)
      for (const v of q.all(...args(chunk)) as number[]) {
        const rid = v % TWO40;
        onHit(chunk[(v - rid) / TWO40]!, rid);
      }
      chunk = [];
    };
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (Number.isNaN(k) || (i > 0 && keys[i - 1] === k)) continue;
      chunk.push(k);
      if (chunk.length >= CHUNK) flush();
    }
    flush();
  }

  recordsByRid(rids: readonly number[]): StoredRecord[] {
    const q = this.db.prepare(
      'SELECT r.rid, r.party, r.record_id, r.clk, r.evidence, r.presence, r.blocks, m.entity_id FROM registry_records r LEFT JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id WHERE r.rid = ?',
    );
    const out: StoredRecord[] = [];
    for (const rid of rids) {
      const r = q.get(rid) as RecordRow | undefined;
      if (r) out.push(toStored(r, r.entity_id === null ? '' : this.resolve(r.entity_id)));
    }
    return out;
  }

  entitiesOfRecords(rids: readonly number[]): Map<number, string> {
    const q = this.db
      .prepare('SELECT j.value, m.entity_id FROM json_each(?) j JOIN registry_records r ON r.rid = j.value JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id')
      .raw();
    const out = new Map<number, string>();
    for (let from = 0; from < rids.length; from += 4096) {
      for (const [rid, e] of q.all(JSON.stringify(rids.slice(from, from + 4096))) as [number, string][]) out.set(rid, this.resolve(e));
    }
    return out;
  }

  membersOfEntities(entities: readonly string[], opts: { encodingsPerEntity?: number; encodedOnly?: boolean } = {}): EntityMember[] {
    // 1. memberships with their record numbers, from covering indexes only (no encoding is read), 2,048 entities a statement.
    // No ORDER BY: the plan walks the list given in order and each entity's members in the entity index's order (party,
    // record id), which is the order wanted; sorting in SQL cost a temporary B-tree of every member row. Should a plan
    // ever return the entities out of order, they are put back in order below (stable: members keep the index's order).
    const q = this.st(
      `SELECT j.key, m.party, m.record_id, r.rid FROM json_each(?) j JOIN registry_members m ON m.entity_id = j.value
       LEFT JOIN registry_records r ON r.party = m.party AND r.record_id = m.record_id`,
    ).raw();
    const cap = opts.encodingsPerEntity ?? Number.MAX_SAFE_INTEGER;
    // rows by the entity's position in the list given (its string is not read back once per member)
    const rows: [number, string, string, number | null][] = [];
    let inOrder = true;
    for (let from = 0; from < entities.length; from += 2048) {
      for (const row of q.all(JSON.stringify(entities.slice(from, from + 2048))) as [number, string, string, number | null][]) {
        row[0] += from;
        if (rows.length > 0 && row[0] < rows[rows.length - 1]![0]) inOrder = false;
        rows.push(row);
      }
    }
    if (!inOrder) rows.sort((a, b) => a[0] - b[0]);
    // 2. the representatives: each entity's most recently registered records (highest numbers); their encodings read in record order
    const want: number[] = [];
    for (let i = 0; i < rows.length; ) {
      let j = i;
      const rids: number[] = [];
      for (; j < rows.length && rows[j]![0] === rows[i]![0]; j++) if (rows[j]![3] !== null) rids.push(rows[j]![3]!);
      if (rids.length > cap) rids.sort((x, y) => y - x).length = cap;
      for (const rid of rids) want.push(rid);
      i = j;
    }
    want.sort((x, y) => x - y);
    const enc = new Map<number, [number, Buffer, Buffer | null, number | null, string | null]>();
    const qe = this.st('SELECT r.rid, r.clk, r.evidence, r.presence, r.blocks FROM json_each(?) j JOIN registry_records r ON r.rid = j.value').raw();
    for (let from = 0; from < want.length; from += 4096) {
      for (const r of qe.all(JSON.stringify(want.slice(from, from + 4096))) as [number, Buffer, Buffer | null, number | null, string | null][]) enc.set(r[0], r);
    }
    // one string per entity and party label, not one per row (a candidate set can hold millions of members)
    const interned = new Map<string, string>();
    const intern = (x: string): string => {
      const got = interned.get(x);
      if (got !== undefined) return got;
      interned.set(x, x);
      return x;
    };
    const out: EntityMember[] = [];
    for (const [pos, party0, recordId, rid] of rows) {
      const entity = entities[pos]!;
      const party = intern(party0);
      const r = rid === null ? undefined : enc.get(rid);
      if (!r && opts.encodedOnly) continue;
      out.push({
        entity,
        party,
        recordId,
        rid,
        record: r
          ? {
              rid: r[0],
              party,
              recordId,
              clk: r[1],
              evidence: r[2],
              presence: r[3],
              blocks: r[4] === null ? null : (JSON.parse(r[4]) as Record<string, string>),
              entity,
            }
          : null,
      });
    }
    return out;
  }

  createdRun(entity: string): number {
    return this.created(entity);
  }

  newId(): string {
    return this.fresh();
  }

  parties(): string[] {
    return this.db.prepare('SELECT DISTINCT party FROM registry_members ORDER BY party').pluck().all() as string[];
  }

  isRetired(entity: string): boolean {
    return this.db.prepare('SELECT 1 FROM registry_retired WHERE id = ?').get(entity) !== undefined;
  }

  private setConfig(c: RegistryConfig): void {
    this.db
      .prepare(
        `INSERT INTO registry_config (id, key_check_value, schema_fingerprint, l, blocking, scoring, index_evidence) VALUES (1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET key_check_value = excluded.key_check_value, schema_fingerprint = excluded.schema_fingerprint,
           l = excluded.l, blocking = excluded.blocking, scoring = excluded.scoring, index_evidence = excluded.index_evidence`,
      )
      .run(c.keyCheckValue, c.schemaFingerprint, c.l, c.blocking, JSON.stringify(c.scoring), c.indexEvidence ? JSON.stringify(c.indexEvidence) : null);
  }

  /** Index rows held back by withDeferredIndex (undefined: none are). */
  private deferred: KeySpill | undefined;

  /**
   * Run `fn` with the index's new rows held back (KeySpill: spilled to files
   * beside the store by key range) and written into the index at the end in
   * key order, in one walk of its B-tree. Many calls of insertBandKeys (a
   * full run's store step in parts, a rebuild) otherwise each walk the whole
   * index at random: at 200,000 people it is 17.7 million rows, and its
   * pages were written to the WAL again and again. Rows deleted meanwhile
   * (deleteBandKeys, rebuildCoverage) are written first, so the index's
   * content is what it would be without the deferral. Inside a transaction.
   */
  withDeferredIndex<T>(fn: () => T, progress?: () => Progress): T {
    if (this.deferred) return fn();
    this.deferred = new KeySpill(this.db.memory ? undefined : this.location);
    try {
      const r = fn();
      // the flush's progress starts with the flush
      const shown = progress?.();
      this.flushDeferred(shown);
      shown?.finish();
      return r;
    } finally {
      this.deferred.close();
      this.deferred = undefined;
    }
  }

  /** Write the rows held back by withDeferredIndex into the index, in key order. */
  private flushDeferred(progress?: Progress): void {
    const held = this.deferred;
    if (!held || held.rows === 0) return;
    const total = held.rows;
    let done = 0;
    this.insertRows((row) =>
      held.forEachSorted((keys, rids, n) => {
        for (let i = 0; i < n; i++) row(keys[i]!, rids[i]!);
        done += n;
        progress?.update(done, total);
      }),
    );
  }

  /** Insert band keys sorted by key (each band's keys in order: the index B-tree is walked once, not at random). */
  private insertBandKeys(pairs: { keys: readonly number[]; rid: number }[]): void {
    if (this.deferred) {
      // held back; flushDeferred writes them in key order
      for (const p of pairs) for (const key of p.keys) this.deferred.add(key, p.rid);
      return;
    }
    this.insertRows((row) => {
      for (let from = 0; from < pairs.length; from += MAX_SORTED_ENTRIES) {
        const part = pairs.slice(from, from + MAX_SORTED_ENTRIES);
        new BandSorted(part.map((p) => p.keys)).forEach((key, e) => row(key, part[e]!.rid));
      }
    });
  }

  /** Insert the index rows `feed` gives, in its order, 128 rows a statement (duplicates ignored). */
  private insertRows(feed: (row: (key: number, rid: number) => void) => void): void {
    const ROWS = 128;
    const many = this.st(`INSERT OR IGNORE INTO registry_band_keys (key, rid) VALUES ${Array.from({ length: ROWS }, () => '(?, ?)').join(', ')}`);
    const one = this.st('INSERT OR IGNORE INTO registry_band_keys (key, rid) VALUES (?, ?)');
    const buf: number[] = [];
    feed((key, rid) => {
      buf.push(key, rid);
      if (buf.length === 2 * ROWS) {
        many.run(buf);
        buf.length = 0;
      }
    });
    for (let i = 0; i < buf.length; i += 2) one.run(buf[i], buf[i + 1]);
  }

  /** Every index key of a stored record: its band keys and, with `indexEvidence`, its evidence keys. */
  private keysOfStored(cfg: RegistryConfig, r: StoredKeySource): number[] {
    const keys = storedBandKeys(parseBlockingSpec(cfg.blocking), cfg.l, new Uint8Array(r.clk), r.blocks === null ? null : (JSON.parse(r.blocks) as Record<string, string>));
    if (cfg.indexEvidence) keys.push(...evidenceKeys(cfg.indexEvidence, r.evidence === null ? null : new Uint8Array(r.evidence), r.presence));
    return keys;
  }

  private deleteBandKeys(r: StoredKeySource & { rid: number }, cfg: RegistryConfig): void {
    this.flushDeferred();
    const del = this.st('DELETE FROM registry_band_keys WHERE key = ? AND rid = ?');
    for (const k of this.keysOfStored(cfg, r)) del.run(k, r.rid);
  }

  /**
   * Make the index cover an entity again after one of its records left or
   * changed: every band key of its stored records is indexed under one of
   * them (the first by record number). Cost grows with the entity's records.
   */
  private rebuildCoverage(entity: string, cfg: RegistryConfig): void {
    const rows = this.st(
      'SELECT r.rid, r.clk, r.blocks, r.evidence, r.presence FROM registry_members m JOIN registry_records r ON r.party = m.party AND r.record_id = m.record_id WHERE m.entity_id = ? ORDER BY r.rid',
    ).all(entity) as (StoredKeySource & { rid: number })[];
    this.flushDeferred();
    const del = this.st('DELETE FROM registry_band_keys WHERE key = ? AND rid = ?');
    const seen = new Set<number>();
    const pending: { keys: number[]; rid: number }[] = [];
    for (const r of rows) {
      const keys = this.keysOfStored(cfg, r);
      const keep: number[] = [];
      for (const k of keys) {
        if (seen.has(k)) del.run(k, r.rid);
        else {
          seen.add(k);
          keep.push(k);
        }
      }
      pending.push({ keys: keep, rid: r.rid });
    }
    this.insertBandKeys(pending);
  }

  /**
   * Insert or replace encodings (unchanged ones are left alone). Inside a
   * transaction. Returns the entities that lost an old version's keys (their
   * coverage is rebuilt once memberships are written).
   */
  private upsertEncodings(encodings: readonly EncodingUpdate[], run: number, cfg: RegistryConfig): Set<string> {
    const touched = new Set<string>();
    type Old = Pick<RecordRow, 'rid' | 'clk' | 'evidence' | 'presence' | 'blocks' | 'entity_id'>;
    // the stored versions of every record given, a batch a statement (not one round trip per record)
    const batch = this.st(
      `SELECT j.key AS k, r.rid, r.clk, r.evidence, r.presence, r.blocks, m.entity_id FROM json_each(?) j
       JOIN registry_records r ON r.party = json_extract(j.value, '$[0]') AND r.record_id = json_extract(j.value, '$[1]')
       LEFT JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id`,
    );
    const get = this.st(
      'SELECT r.rid, r.clk, r.evidence, r.presence, r.blocks, m.entity_id FROM registry_records r LEFT JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id WHERE r.party = ? AND r.record_id = ?',
    );
    const upd = this.st('UPDATE registry_records SET clk = ?, evidence = ?, presence = ?, blocks = ?, run = ? WHERE rid = ?');
    const ins = this.st('INSERT INTO registry_records (party, record_id, clk, evidence, presence, blocks, run) VALUES (?, ?, ?, ?, ?, ?, ?)');
    const pending: { keys: readonly number[]; rid: number }[] = [];
    const CHUNK = 4096;
    const given = new Set<string>();
    for (let from = 0; from < encodings.length; from += CHUNK) {
      const part = encodings.slice(from, from + CHUNK);
      const olds = new Array<Old | undefined>(part.length);
      for (const row of batch.all(JSON.stringify(part.map((e) => [e.party, e.recordId]))) as (Old & { k: number })[]) olds[row.k] = row;
      for (const [x, e] of part.entries()) {
        const key = `${e.party}\u0000${e.recordId}`;
        // a record given twice in one call: its second version sees the first
        const old = given.has(key) ? (get.get(e.party, e.recordId) as Old | undefined) : olds[x];
        given.add(key);
        const bk = blocksText(e.blocks);
        if (old) {
          if (sameBytes(old.clk, e.clk) && sameBytes(old.evidence, e.evidence) && old.presence === e.presence && old.blocks === bk) continue;
          this.deleteBandKeys(old, cfg);
          if (old.entity_id !== null) touched.add(old.entity_id);
          upd.run(Buffer.from(e.clk), e.evidence ? Buffer.from(e.evidence) : null, e.presence, bk, run, old.rid);
          pending.push({ keys: e.bandKeys, rid: old.rid });
        } else {
          const rid = Number(ins.run(e.party, e.recordId, Buffer.from(e.clk), e.evidence ? Buffer.from(e.evidence) : null, e.presence, bk, run).lastInsertRowid);
          pending.push({ keys: e.bandKeys, rid });
        }
      }
    }
    this.laps?.lap('records');
    this.insertBandKeys(pending);
    return touched;
  }

  /** Seconds per part of the last writeRun (entities, records, band keys, members, coverage, commit), for benches. */
  commitTimings: Record<string, number> = {};
  private laps: Laps | undefined;

  writeRun(basedOn: number, w: RunWrite): number {
    this.laps = new Laps();
    const bigger = this.commitCacheMiB > this.cacheMiB;
    if (bigger) this.db.pragma(`cache_size = -${Math.round(this.commitCacheMiB * 1024)}`);
    try {
      const seq = this.writeRunInner(basedOn, w);
      this.laps.lap('commit');
      return seq;
    } finally {
      if (bigger) {
        this.db.pragma(`cache_size = -${Math.round(this.cacheMiB * 1024)}`);
        this.db.pragma('shrink_memory');
      }
      this.commitTimings = this.laps.timings;
      this.laps = undefined;
      // merges change where IDs resolve to: forget what was cached
      this.resolve = entityResolver(this.db);
    }
  }

  private writeRunInner(basedOn: number, w: RunWrite): number {
    const db = this.db;
    return writeTransaction(db, () => {
      if (lastRunSeq(db) !== basedOn) {
        throw new P20Error(
          'STORE_CHANGED',
          'another link run was recorded in this linker store while this run was working, so the linkage IDs of this run could conflict with its; nothing was written: run again',
          { file: this.location },
        );
      }
      const { run, assignment } = w;
      const seq = insertRunEntities(db, run, assignment);
      this.laps?.lap('entities');
      if (w.config) this.setConfig(w.config);
      const cfg = w.config ?? this.config();
      let touched = new Set<string>();
      if (w.encodings.length > 0) {
        if (!cfg) throw new P20Error('REGISTRY_DAMAGED', 'encodings to store but no registry configuration', { file: this.location });
        touched = this.upsertEncodings(w.encodings, seq, cfg);
      }
      this.laps?.lap('bandKeys');
      // memberships written in linkage ID order, entities touched in ID order: the entity index and the entities table
      // are then walked once in key order, not at random (a large increment touches most of their pages); 4,096 rows a
      // statement (rows applied in the order given, as one statement per row would)
      const upsert = this.st(
        `INSERT INTO registry_members (party, record_id, entity_id, first_run, last_run)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?, ? FROM json_each(?) WHERE true
         ON CONFLICT (party, record_id) DO UPDATE SET entity_id = excluded.entity_id, last_run = excluded.last_run`,
      );
      const touch = this.st('UPDATE registry_entities SET last_run = ? WHERE id IN (SELECT value FROM json_each(?))');
      const byEntity = [...w.members].sort((a, b) => (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));
      const ROWS = 4096;
      const entities: string[] = [];
      for (let from = 0; from < byEntity.length; from += ROWS) {
        const part = byEntity.slice(from, from + ROWS);
        upsert.run(seq, seq, JSON.stringify(part.map((m) => [m.party, m.recordId, m.entity])));
        for (const m of part) if (entities[entities.length - 1] !== m.entity) entities.push(m.entity);
      }
      for (let from = 0; from < entities.length; from += ROWS) touch.run(seq, JSON.stringify(entities.slice(from, from + ROWS)));
      this.laps?.lap('members');
      const hist = db.prepare('INSERT INTO registry_history (run, event, old_id, new_id, records) VALUES (?, ?, ?, ?, ?)');
      for (const e of assignment.events) hist.run(seq, e.event, e.oldId, e.newId, e.records);
      const cand = db.prepare('INSERT INTO registry_merge_candidates (run, entity_a, entity_b, score) VALUES (?, ?, ?, ?)');
      for (const c of w.mergeCandidates ?? []) cand.run(seq, c.a, c.b, c.score);
      for (const e of touched) this.rebuildCoverage(e, cfg!);
      appendAudit(db, w.audit);
      this.laps?.lap('coverage');
      return seq;
    });
  }

  updateConfig(config: RegistryConfig): void {
    writeTransaction(this.db, () => this.setConfig(config));
  }

  reindex(config: RegistryConfig): void {
    writeTransaction(this.db, () => {
      this.rebuildIndex(config);
      this.setConfig(config);
    });
  }

  /** Rebuild the whole index under a configuration, entity by entity (each key once per entity). Inside a transaction. */
  private rebuildIndex(config: RegistryConfig): void {
    this.flushDeferred();
    this.db.exec('DELETE FROM registry_band_keys');
    this.withDeferredIndex(() => this.rebuildIndexRows(config));
  }

  private rebuildIndexRows(config: RegistryConfig): void {
    const db = this.db;
    const page = db.prepare(
      `SELECT r.rid, r.clk, r.blocks, r.evidence, r.presence, COALESCE(m.entity_id, '') AS entity FROM registry_records r LEFT JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id
       WHERE (COALESCE(m.entity_id, ''), r.rid) > (?, ?) ORDER BY COALESCE(m.entity_id, ''), r.rid LIMIT 50000`,
    );
    let after: [string, number] = ['', 0];
    let entity: string | undefined;
    let seen = new Set<number>();
    for (;;) {
      const rows = page.all(after[0], after[1]) as (StoredKeySource & { rid: number; entity: string })[];
      if (rows.length === 0) break;
      const pending: { keys: number[]; rid: number }[] = [];
      for (const r of rows) {
        if (r.entity !== entity || r.entity === '') {
          entity = r.entity;
          seen = new Set();
        }
        const keep: number[] = [];
        for (const k of this.keysOfStored(config, r)) {
          if (seen.has(k)) continue;
          seen.add(k);
          keep.push(k);
        }
        pending.push({ keys: keep, rid: r.rid });
      }
      this.insertBandKeys(pending);
      const last = rows[rows.length - 1]!;
      after = [last.entity, last.rid];
    }
  }

  storeEncodings(run: number, config: RegistryConfig, encodings: readonly EncodingUpdate[]): void {
    writeTransaction(this.db, () => {
      const stored = this.config();
      let cfg = config;
      if (!stored) this.setConfig(config);
      else {
        // a full run with the match model stores its fitted model (a later full run refits: its model replaces the earlier one)
        cfg = { ...stored, ...(config.scoring.kind === 'model' ? { scoring: config.scoring } : {}) };
        delete cfg.indexEvidence;
        if (config.indexEvidence) cfg.indexEvidence = config.indexEvidence;
        // the index's evidence keys follow the registry's scoring (the encodings given were keyed for `config`)
        if (!sameEvidenceIndex(stored.indexEvidence, cfg.indexEvidence)) this.rebuildIndex(cfg);
        if (config.scoring.kind === 'model' || !sameEvidenceIndex(stored.indexEvidence, cfg.indexEvidence)) this.setConfig(cfg);
      }
      for (const e of this.upsertEncodings(encodings, run, cfg)) this.rebuildCoverage(e, cfg);
    });
  }

  forget(party: string, recordIds: readonly string[], audit: { fileSha256: string }): ForgetResult {
    const db = this.db;
    const result = writeTransaction(db, (): ForgetResult => {
        const cfg = this.config();
        const getRec = db.prepare('SELECT rid, clk, blocks, evidence, presence FROM registry_records WHERE party = ? AND record_id = ?');
        const delRec = db.prepare('DELETE FROM registry_records WHERE rid = ?');
        const getMem = db.prepare('SELECT entity_id FROM registry_members WHERE party = ? AND record_id = ?').pluck();
        const delMem = db.prepare('DELETE FROM registry_members WHERE party = ? AND record_id = ?');
        const left = db.prepare('SELECT 1 FROM registry_members WHERE entity_id = ? LIMIT 1');
        const retire = db.prepare("INSERT OR IGNORE INTO registry_retired (id, retired_at, reason) VALUES (?, ?, 'forgotten')");
        const affected = new Set<string>();
        let removed = 0;
        let unknown = 0;
        for (const id of new Set(recordIds)) {
          const rec = getRec.get(party, id) as (StoredKeySource & { rid: number }) | undefined;
          const ent = getMem.get(party, id) as string | undefined;
          if (!rec && ent === undefined) {
            unknown++;
            continue;
          }
          if (rec) {
            if (cfg) this.deleteBandKeys(rec, cfg);
            delRec.run(rec.rid);
          }
          if (ent !== undefined) {
            delMem.run(party, id);
            affected.add(ent);
          }
          removed++;
        }
        const retired: string[] = [];
        const now = new Date().toISOString();
        for (const e of [...affected].sort()) {
          if (left.get(e)) {
            if (cfg) this.rebuildCoverage(e, cfg);
            continue;
          }
          retire.run(e, now);
          retired.push(e);
        }
        appendAudit(db, { type: 'registry-forget', detail: { party, records: removed, unknown, file: audit.fileSha256, retiredEntities: retired.length } });
        return { removed, unknown, retired };
      });
    // the old page images live on in the WAL until a checkpoint: write them back (zeroed) and truncate it
    db.pragma('wal_checkpoint(TRUNCATE)');
    return result;
  }

  *exportParty(party: string): Iterable<{ recordId: string; entity: string }> {
    for (const r of this.db.prepare('SELECT record_id, entity_id FROM registry_members WHERE party = ? ORDER BY record_id').iterate(party) as IterableIterator<{ record_id: string; entity_id: string }>) {
      yield { recordId: r.record_id, entity: this.resolve(r.entity_id) };
    }
  }

  rekey(config: RegistryConfig, encodings: Iterable<RecordEncoding>, audit: { type: string; detail: Record<string, unknown> }): RekeyResult {
    const db = this.db;
    return writeTransaction(db, () => {
      const member = db.prepare('SELECT 1 FROM registry_members WHERE party = ? AND record_id = ?');
      db.exec('DELETE FROM registry_band_keys');
      const upd = db.prepare('UPDATE registry_records SET clk = ?, evidence = ?, presence = ?, blocks = ? WHERE party = ? AND record_id = ?');
      const ins = db.prepare('INSERT INTO registry_records (party, record_id, clk, evidence, presence, blocks, run) VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) FROM registry_runs))');
      const seen = new Set<string>();
      const parties = new Set<string>();
      let unknown: { n: number; party: string } | undefined;
      // one pass over the encodings given (nothing changed survives a refusal: the transaction is rolled back)
      for (const e of encodings) {
        parties.add(e.party);
        if (!member.get(e.party, e.recordId)) {
          unknown = { n: (unknown?.n ?? 0) + 1, party: unknown?.party ?? e.party };
          continue;
        }
        const k = `${e.party}\u0000${e.recordId}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const bk = blocksText(e.blocks);
        const ev = e.evidence ? Buffer.from(e.evidence) : null;
        const changed = upd.run(Buffer.from(e.clk), ev, e.presence, bk, e.party, e.recordId).changes;
        if (changed === 0) ins.run(e.party, e.recordId, Buffer.from(e.clk), ev, e.presence, bk);
      }
      if (unknown) {
        throw new P20Error(
          'REGISTRY_REKEY_UNKNOWN',
          `${unknown.n} record(s) of party "${unknown.party}" are not registered; a key rotation re-encodes registered records only (link new records after it)`,
          { file: this.location },
        );
      }
      const stored = db.prepare('SELECT COUNT(*) FROM registry_records').pluck().get() as number;
      if (stored !== seen.size) {
        const missing = db.prepare('SELECT party, COUNT(*) AS n FROM registry_records GROUP BY party').all() as { party: string; n: number }[];
        const given = new Map<string, number>();
        for (const k of seen) {
          const p = k.slice(0, k.indexOf('\u0000'));
          given.set(p, (given.get(p) ?? 0) + 1);
        }
        const short = missing.filter((m) => (given.get(m.party) ?? 0) < m.n).map((m) => `${m.party}: ${m.n - (given.get(m.party) ?? 0)} of ${m.n}`);
        throw new P20Error(
          'REGISTRY_REKEY_INCOMPLETE',
          `a key rotation must re-encode every registered record, but some were not given (${short.join('; ')}); nothing was changed (forget withdrawn records first)`,
          { file: this.location },
        );
      }
      this.setConfig(config);
      this.rebuildIndex(config);
      appendAudit(db, audit);
      return { records: seen.size, parties: [...parties].sort() };
    });
  }

  history(entity?: string): HistoryEvent[] {
    return registryHistory(this.db, entity);
  }

  mergeCandidates(): { runId: string; a: string; b: string; score: number }[] {
    return this.db
      .prepare('SELECT r.run_id AS runId, c.entity_a AS a, c.entity_b AS b, c.score AS score FROM registry_merge_candidates c JOIN registry_runs r ON r.seq = c.run ORDER BY c.id')
      .all() as { runId: string; a: string; b: string; score: number }[];
  }

  close(): void {
    if (this.owns) this.db.close();
  }
}
