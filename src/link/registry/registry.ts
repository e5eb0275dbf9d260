import type { Db } from '../../store/db.js';
import { P20Error } from '../../errors.js';
import { membersOf, type ClusterIndex } from '../resolve/cluster.js';
import type { Assignment } from './assign.js';
import { LINKAGE_ID, newLinkageId } from './ids.js';

/**
 * The linkage-ID registry: tables `registry_*` in the linker's SQLite store
 * (the same file as the audit log). It holds no PII and no CLKs: only party
 * labels, the record ids the agencies chose, random linkage IDs, and run
 * metadata. Stability across runs comes from (party, record id) membership;
 * see docs/link.md "Stable linkage IDs" for the rules and their limits.
 * The tables themselves are created by the store's migrations
 * (`registryMigrations` in src/store/migrations.ts).
 */

function ensureRegistry(db: Db): void {
  const t = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'registry_members'").get();
  if (!t) throw new P20Error('REGISTRY_MISSING', 'this store has no linkage-ID registry (open it with registryMigrations)', { file: db.name });
}

/** The entity each (party, record id) belonged to before this run (undefined = never registered), merges followed. */
export function priorEntities(db: Db, nodeParty: readonly string[] | ((node: number) => string), nodeId: (node: number) => string, count: number): (string | undefined)[] {
  ensureRegistry(db);
  const q = db.prepare('SELECT entity_id FROM registry_members WHERE party = ? AND record_id = ?').pluck();
  const resolve = entityResolver(db);
  const partyOf = typeof nodeParty === 'function' ? nodeParty : (i: number) => nodeParty[i]!;
  const out: (string | undefined)[] = new Array<string | undefined>(count);
  for (let i = 0; i < count; i++) {
    const e = q.get(partyOf(i), nodeId(i)) as string | undefined;
    out[i] = e === undefined ? undefined : resolve(e);
  }
  return out;
}

/** A function following merged_into links to the surviving entity (statement prepared once, results cached). */
export function entityResolver(db: Db): (id: string) => string {
  const q = db.prepare('SELECT merged_into FROM registry_entities WHERE id = ?').pluck();
  const cache = new Map<string, string>();
  return (id) => {
    const hit = cache.get(id);
    if (hit !== undefined) return hit;
    let cur = id;
    for (let hops = 0; hops < 10_000; hops++) {
      const next = q.get(cur) as string | null | undefined;
      if (next === undefined) throw new P20Error('REGISTRY_DAMAGED', `registry names entity ${cur} but has no row for it`, { file: db.name });
      if (next === null) {
        cache.set(id, cur);
        return cur;
      }
      cur = next;
    }
    throw new P20Error('REGISTRY_DAMAGED', `merge chain of entity ${id} does not end`, { file: db.name });
  };
}

/** Follow merged_into links to the surviving entity. */
export function resolveEntity(db: Db, id: string): string {
  return entityResolver(db)(id);
}

/** Run sequence number in which each entity was created (older entities survive merges). */
export function createdRunLookup(db: Db): (id: string) => number {
  const q = db.prepare('SELECT created_run FROM registry_entities WHERE id = ?').pluck();
  return (id) => {
    const r = q.get(id) as number | undefined;
    return r ?? Number.MAX_SAFE_INTEGER;
  };
}

/** Fresh random linkage IDs, checked against the registry (80 random bits: a clash is practically impossible, but fail safe). */
export function freshIdSource(db: Db | undefined): () => string {
  const used = new Set<string>();
  const q = db?.prepare('SELECT 1 FROM registry_entities WHERE id = ?');
  return () => {
    for (;;) {
      const id = newLinkageId();
      if (used.has(id)) continue;
      if (q?.get(id)) continue;
      used.add(id);
      return id;
    }
  };
}

export interface RunRecord {
  runId: string;
  startedAt: string;
  finishedAt: string;
  tool: string;
  inputs: unknown;
  parameters: unknown;
  counts: unknown;
}

export interface RegisterInput {
  run: RunRecord;
  clusters: ClusterIndex;
  assignment: Assignment;
  nodeParty: (node: number) => string;
  nodeId: (node: number) => string;
}

/**
 * The run row, the run's new entities, and its merges (old entity marked
 * merged into the survivor, its members moved). Returns the run's sequence
 * number. Shared by the full run (registerRun) and the registry storage.
 */
export function insertRunEntities(db: Db, run: RunRecord, assignment: Pick<Assignment, 'created' | 'mergedInto'>): number {
  const seq = Number(
    db
      .prepare('INSERT INTO registry_runs (run_id, started_at, finished_at, tool, inputs, parameters, counts) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(run.runId, run.startedAt, run.finishedAt, run.tool, JSON.stringify(run.inputs), JSON.stringify(run.parameters), JSON.stringify(run.counts))
      .lastInsertRowid,
  );
  const insEntity = db.prepare('INSERT INTO registry_entities (id, created_run, last_run) VALUES (?, ?, ?)');
  for (const id of assignment.created) {
    if (!LINKAGE_ID.test(id)) throw new Error(`not a linkage ID: ${id}`);
    insEntity.run(id, seq, seq);
  }
  const markMerged = db.prepare('UPDATE registry_entities SET merged_into = ?, merged_run = ? WHERE id = ?');
  const moveMembers = db.prepare('UPDATE registry_members SET entity_id = ? WHERE entity_id = ?');
  for (const [old, survivor] of assignment.mergedInto) {
    markMerged.run(survivor, seq, old);
    moveMembers.run(survivor, old);
  }
  return seq;
}

/**
 * Persist one run: the run row, new entities, merges (old entity marked
 * merged into the survivor, its members moved), every record's membership,
 * and the merge/split history. Call inside a transaction (linkFiles does,
 * together with the audit entry). Returns the run's sequence number.
 */
export function registerRun(db: Db, inp: RegisterInput): number {
  ensureRegistry(db);
  const { run, clusters, assignment } = inp;
  const seq = insertRunEntities(db, run, assignment);
  const upsert = db.prepare(
    `INSERT INTO registry_members (party, record_id, entity_id, first_run, last_run) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (party, record_id) DO UPDATE SET entity_id = excluded.entity_id, last_run = excluded.last_run`,
  );
  for (let c = 0; c < clusters.count; c++) {
    const id = assignment.clusterId[c]!;
    for (const node of membersOf(clusters, c)) upsert.run(inp.nodeParty(node), inp.nodeId(node), id, seq, seq);
  }
  db.prepare('UPDATE registry_entities SET last_run = ? WHERE id IN (SELECT entity_id FROM registry_members WHERE last_run = ?)').run(seq, seq);
  const hist = db.prepare('INSERT INTO registry_history (run, event, old_id, new_id, records) VALUES (?, ?, ?, ?, ?)');
  for (const e of assignment.events) hist.run(seq, e.event, e.oldId, e.newId, e.records);
  return seq;
}

/** The current linkage ID of one record (following merges), or undefined. */
export function lookupRecord(db: Db, party: string, recordId: string): string | undefined {
  ensureRegistry(db);
  const e = db.prepare('SELECT entity_id FROM registry_members WHERE party = ? AND record_id = ?').pluck().get(party, recordId) as string | undefined;
  return e === undefined ? undefined : resolveEntity(db, e);
}

export interface HistoryEvent {
  runId: string;
  event: 'merge' | 'split';
  oldId: string;
  newId: string;
  records: number;
}

/** Merge/split history, oldest first (optionally only events touching one ID). */
export function registryHistory(db: Db, id?: string): HistoryEvent[] {
  ensureRegistry(db);
  const sql =
    'SELECT r.run_id AS runId, h.event AS event, h.old_id AS oldId, h.new_id AS newId, h.records AS records FROM registry_history h JOIN registry_runs r ON r.seq = h.run' +
    (id ? ' WHERE h.old_id = ? OR h.new_id = ?' : '') +
    ' ORDER BY h.id';
  const st = db.prepare(sql);
  return (id ? st.all(id, id) : st.all()) as HistoryEvent[];
}

export interface RunSummary {
  seq: number;
  runId: string;
  startedAt: string;
  inputs: unknown;
  parameters: unknown;
  counts: unknown;
}

/**
 * Sequence number of the latest run this store recorded (0: none). A link run
 * reads the registry without holding a lock and records itself only if this
 * number has not changed meanwhile (src/link/link-files.ts).
 */
export function lastRunSeq(db: Db): number {
  ensureRegistry(db);
  return db.prepare('SELECT COALESCE(MAX(seq), 0) FROM registry_runs').pluck().get() as number;
}

/** True when this store recorded a run with this id (used to recognise the store's own earlier output directories). */
export function hasRun(db: Db, runId: string): boolean {
  ensureRegistry(db);
  return db.prepare('SELECT 1 FROM registry_runs WHERE run_id = ?').get(runId) !== undefined;
}

export function listRuns(db: Db): RunSummary[] {
  ensureRegistry(db);
  const rows = db.prepare('SELECT seq, run_id, started_at, inputs, parameters, counts FROM registry_runs ORDER BY seq').all() as {
    seq: number;
    run_id: string;
    started_at: string;
    inputs: string;
    parameters: string;
    counts: string;
  }[];
  return rows.map((r) => ({
    seq: r.seq,
    runId: r.run_id,
    startedAt: r.started_at,
    inputs: JSON.parse(r.inputs) as unknown,
    parameters: JSON.parse(r.parameters) as unknown,
    counts: JSON.parse(r.counts) as unknown,
  }));
}
