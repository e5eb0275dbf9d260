import { createHash } from 'node:crypto';
import { writeTransaction, type Db } from './db.js';
import { P20Error } from '../errors.js';
import { canonicalJson } from '../format/canonical-json.js';

/**
 * The linker's tamper-evident audit log (tables prefixed `audit_` in the
 * linker's SQLite store).
 *
 * Every entry carries the SHA-256 of the previous entry (a hash chain):
 *
 *   hash_n = SHA-256( "p20link-audit-v1\n" || canonicalJson([seq, time, type, detail, prevHash]) )
 *
 * with prevHash of entry 1 = 64 zeros, `detail` stored as canonical JSON text
 * (sorted keys, no whitespace) so the hash can be recomputed byte for byte.
 * A separate `audit_head` row holds the latest seq and hash, so deleting the
 * last entries is detected too. Triggers refuse UPDATE and DELETE of entries
 * (defence in depth against mistakes; the chain is the real check).
 *
 * Seals: `sealAudit` signs (seq, hash, previous seal) with the linker's
 * private key into `audit_seal`; each seal names the SHA-256 of the previous
 * seal's statement, so seals form their own chain. Without the key nobody can
 * rewrite anything at or before the latest seal. What seals and chains can
 * NOT show on their own: that the log was cut back to an earlier, consistent
 * state (an older copy of the store, or the tail and the latest seals
 * removed). Only a head recorded elsewhere catches that: `verifyAuditLog(db,
 * {expectHeads})` requires every given (seq, hash) to be in the log; agencies
 * receive the head in every result manifest and `audit verify` prints it. And
 * nothing here protects against the operator who holds the signing key: they
 * can re-sign a rewritten log (see docs/security-model.md).
 */

export const AUDIT_GENESIS_HASH = '0'.repeat(64);
const DOMAIN = 'p20link-audit-v1\n';
const SEAL_DOMAIN = 'p20link-audit-seal-v1\n';
const SEAL_DOMAIN_V2 = 'p20link-audit-seal-v2\n';


export type AuditEventType = 'package-accepted' | 'package-refused' | 'link-run' | 'result-issued' | (string & {});

export interface AuditEvent {
  type: AuditEventType;
  /** Fingerprints, signer, parameters, counts — never secrets or PII. */
  detail: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  time: string;
  type: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Keys that must never appear in an audit detail (at any depth). */
const FORBIDDEN_KEY = /secret|passphrase|password|private.?key|plaintext/i;

function checkDetail(v: unknown, path: string): void {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => checkDetail(x, `${path}[${i}]`));
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (FORBIDDEN_KEY.test(k)) {
      throw new P20Error('AUDIT_DETAIL', `audit detail may not carry a field named "${k}" (at ${path}): the audit log never holds secrets`, {});
    }
    checkDetail(x, `${path}.${k}`);
  }
}

/** The hash of one entry, exactly as documented in protocols/package-format.md. */
export function auditEntryHash(seq: number, time: string, type: string, detailJson: string, prevHash: string): string {
  // detailJson is already canonical; embed it as raw JSON, not as a string.
  const body = `[${seq},${JSON.stringify(time)},${JSON.stringify(type)},${detailJson},${JSON.stringify(prevHash)}]`;
  return createHash('sha256').update(DOMAIN, 'utf8').update(body, 'utf8').digest('hex');
}

interface Row {
  seq: number;
  time: string;
  type: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

function ensureTables(db: Db): void {
  const t = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'").get();
  if (!t) {
    throw new P20Error('AUDIT_NO_LOG', 'this store has no audit log (open it with auditMigrations)', { file: db.name });
  }
}

/**
 * Append one event; returns its sequence number and hash. Runs in one
 * transaction (nests as a savepoint inside a caller's transaction).
 */
export function appendAudit(db: Db, event: AuditEvent, now: Date = new Date()): { seq: number; hash: string } {
  ensureTables(db);
  if (typeof event.type !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(event.type)) {
    throw new P20Error('AUDIT_TYPE', `audit event type must be lower-case words joined by "-" (got ${JSON.stringify(event.type)})`, {});
  }
  if (event.detail === null || typeof event.detail !== 'object' || Array.isArray(event.detail)) {
    throw new P20Error('AUDIT_DETAIL', 'audit event detail must be a JSON object', {});
  }
  checkDetail(event.detail, 'detail');
  const detailJson = canonicalJson(event.detail, 'detail');
  const time = now.toISOString();
  return writeTransaction(db, () => {
    const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
    const seq = (head?.seq ?? 0) + 1;
    const prevHash = head?.hash ?? AUDIT_GENESIS_HASH;
    const hash = auditEntryHash(seq, time, event.type, detailJson, prevHash);
    db.prepare('INSERT INTO audit_log (seq, time, type, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)').run(
      seq,
      time,
      event.type,
      detailJson,
      prevHash,
      hash,
    );
    if (head) db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(seq, hash);
    else db.prepare('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)').run(seq, hash);
    return { seq, hash };
  });
}

/** Signs a seal statement with the linker's private key. */
export interface AuditSigner {
  /** "sha256:<hex>" of the signer's public key (SPKI DER). */
  fingerprint: string;
  sign(message: Uint8Array): Uint8Array;
}

/** Verifies a seal statement against the linker's public key. */
export interface AuditVerifier {
  fingerprint: string;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** Seal statement v1 (seals made before seals were chained; still verifiable). */
export function sealStatement(seq: number, hash: string, time: string, signer: string): Uint8Array {
  return Buffer.from(`${SEAL_DOMAIN}${canonicalJson({ hash, seq, signer, time })}`, 'utf8');
}

/** Seal statement v2: also names the previous seal (SHA-256 hex of its statement; 64 zeros for the first). */
export function sealStatementV2(seq: number, hash: string, time: string, signer: string, prev: string): Uint8Array {
  return Buffer.from(`${SEAL_DOMAIN_V2}${canonicalJson({ hash, prev, seq, signer, time })}`, 'utf8');
}

interface SealRow {
  seq: number;
  hash: string;
  time: string;
  signer: string;
  signature: string;
  prev: string | null;
}

function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);
}

function sealRows(db: Db): SealRow[] {
  const prev = hasColumn(db, 'audit_seal', 'prev') ? 'prev' : 'NULL AS prev';
  return db.prepare(`SELECT seq, hash, time, signer, signature, ${prev} FROM audit_seal ORDER BY seq`).all() as SealRow[];
}

function statementOf(s: SealRow): Uint8Array {
  return s.prev === null ? sealStatement(s.seq, s.hash, s.time, s.signer) : sealStatementV2(s.seq, s.hash, s.time, s.signer, s.prev);
}

function sealId(statement: Uint8Array): string {
  return createHash('sha256').update(statement).digest('hex');
}

/**
 * Sign the current head (seq, hash) with the linker's key, chained to the
 * previous seal. Returns undefined when the log is empty or the head is
 * already sealed.
 */
export function sealAudit(db: Db, signer: AuditSigner, now: Date = new Date()): { seq: number; hash: string } | undefined {
  ensureTables(db);
  return writeTransaction(db, () => {
    const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
    if (!head) return undefined;
    if (db.prepare('SELECT 1 FROM audit_seal WHERE seq = ?').get(head.seq)) return undefined;
    const seals = sealRows(db);
    const last = seals[seals.length - 1];
    const prev = last ? sealId(statementOf(last)) : AUDIT_GENESIS_HASH;
    const time = now.toISOString();
    const sig = signer.sign(sealStatementV2(head.seq, head.hash, time, signer.fingerprint, prev));
    db.prepare('INSERT INTO audit_seal (seq, hash, time, signer, signature, prev) VALUES (?, ?, ?, ?, ?, ?)').run(
      head.seq,
      head.hash,
      time,
      signer.fingerprint,
      Buffer.from(sig).toString('base64'),
      prev,
    );
    return { seq: head.seq, hash: head.hash };
  });
}

export interface AuditVerifyResult {
  ok: boolean;
  entries: number;
  firstBad?: { seq: number; reason: string };
  /** Latest seq and hash (from the head record) when the log is intact. */
  head?: { seq: number; hash: string };
  /** Number of seals checked against the verifier's key, and the latest sealed seq. */
  seals?: { checked: number; latestSeq: number };
  /** Accepted packages cross-checked against the log. */
  accepted?: number;
}

export interface AuditVerifyOptions {
  /** Check every seal's signature with this key (the linker's public key). */
  sealVerifier?: AuditVerifier;
  /** Fail when no seal exists (or none covers the head) — use when the linker always seals. */
  requireSealedHead?: boolean;
  /** Heads recorded earlier (e.g. from result manifests): each must still be in the log, unchanged. */
  expectHeads?: readonly { seq: number; hash: string }[];
  /** Pass an empty log (a store that has not accepted anything yet). Default: an empty log fails. */
  allowEmpty?: boolean;
}

const REQUIRED_TABLES = ['audit_log', 'audit_head', 'audit_seal'];

/**
 * Recompute the chain from entry 1, compare with the head record, the seals
 * (and their chain), the expected heads and the replay table. Only reads:
 * safe on a read-only connection.
 */
export function verifyAuditLog(db: Db, opts: AuditVerifyOptions = {}): AuditVerifyResult {
  let entries = 0;
  const bad = (seq: number, reason: string): AuditVerifyResult => ({ ok: false, entries, firstBad: { seq, reason } });
  const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
  const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
  if (missing.length > 0) {
    return bad(0, `the store has no audit log (table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing: never created here, or dropped)`);
  }
  const rows = db.prepare('SELECT seq, time, type, detail, prev_hash, hash FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>;
  let expectSeq = 1;
  let prev = AUDIT_GENESIS_HASH;
  const hashes = new Map<number, string>();
  const acceptedInLog = new Map<string, number>();
  for (const r of rows) {
    if (r.seq !== expectSeq) {
      return bad(expectSeq, r.seq > expectSeq ? `entry ${expectSeq} is missing (deleted)` : `entry ${r.seq} is out of sequence`);
    }
    let parsed: unknown;
    let detailOk = false;
    try {
      parsed = JSON.parse(r.detail);
      detailOk = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && canonicalJson(parsed) === r.detail;
    } catch {
      detailOk = false;
    }
    if (!detailOk) {
      return bad(r.seq, 'detail is not canonical JSON (edited)');
    }
    if (r.prev_hash !== prev) {
      return bad(r.seq, 'previous-hash link does not match the entry before it (entry edited, removed or inserted)');
    }
    const h = auditEntryHash(r.seq, r.time, r.type, r.detail, r.prev_hash);
    if (h !== r.hash) {
      return bad(r.seq, 'hash does not match the entry contents (entry edited)');
    }
    const d = parsed as Record<string, unknown>;
    if (r.type === 'package-accepted' && typeof d.contentId === 'string' && typeof d.signer === 'string') {
      const k = `${String(d.signer)} ${String(d.contentId)}`;
      const before = acceptedInLog.get(k);
      if (before !== undefined) return bad(r.seq, `content id ${String(d.contentId)} from the same signer was already accepted at entry ${before} (a replay got in)`);
      acceptedInLog.set(k, r.seq);
    }
    hashes.set(r.seq, r.hash);
    prev = r.hash;
    expectSeq++;
    entries++;
  }
  const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  if (entries === 0) {
    if (head) return bad(head.seq, `head record says ${head.seq} entries but the log is empty (entries deleted)`);
    if (!opts.allowEmpty) return bad(0, 'the audit log is empty (a new store, or one replaced by an empty one); pass allowEmpty only for a store that has not accepted anything yet');
  } else {
    if (!head) return bad(entries, 'head record is missing (deleted)');
    if (head.seq !== entries) {
      return bad(
        Math.min(head.seq, entries + 1),
        head.seq > entries ? `head record says ${head.seq} entries but the log ends at ${entries} (last entries deleted)` : `log has ${entries} entries but head record says ${head.seq}`,
      );
    }
    if (head.hash !== prev) return bad(entries, 'head record hash does not match the last entry (edited)');
  }
  const result: AuditVerifyResult = { ok: true, entries };
  if (head) result.head = { seq: head.seq, hash: head.hash };

  for (const x of opts.expectHeads ?? []) {
    const h = hashes.get(x.seq);
    if (h === undefined) return bad(x.seq, `the log ends at entry ${entries}, but entry ${x.seq} (${x.hash}) was recorded earlier: the log was cut back or replaced by an older copy`);
    if (h !== x.hash) return bad(x.seq, `entry ${x.seq} is not the one recorded earlier (${x.hash}): the log was rewritten`);
  }

  // the replay table and the log must tell the same story
  if (tables.has('package_accepted')) {
    let accepted = 0;
    for (const r of db.prepare('SELECT signer, content_id FROM package_accepted').iterate() as IterableIterator<{ signer: string; content_id: string }>) {
      accepted++;
      const k = `${r.signer} ${r.content_id}`;
      if (!acceptedInLog.delete(k)) return bad(0, `the replay table lists content id ${r.content_id} but the log has no package-accepted entry for it (entries removed, or the table edited)`);
    }
    const [orphan] = acceptedInLog.values();
    if (orphan !== undefined) {
      return bad(orphan, `entry ${orphan} accepted a package that the replay table no longer lists (row deleted: the package could be replayed)`);
    }
    result.accepted = accepted;
  }

  if (opts.sealVerifier || opts.requireSealedHead) {
    const seals = sealRows(db);
    let checked = 0;
    let latest = 0;
    let prevSeal = AUDIT_GENESIS_HASH;
    for (const s of seals) {
      const statement = statementOf(s);
      if (s.prev !== null && s.prev !== prevSeal) {
        return bad(s.seq, `seal at entry ${s.seq} does not follow the seal before it (a seal was removed, inserted or reordered)`);
      }
      if (opts.sealVerifier) {
        if (s.signer !== opts.sealVerifier.fingerprint) {
          return bad(s.seq, `seal at entry ${s.seq} was made by key ${s.signer}, not the given linker key ${opts.sealVerifier.fingerprint}`);
        }
        const okSig = opts.sealVerifier.verify(statement, Buffer.from(s.signature, 'base64'));
        if (!okSig) return bad(s.seq, `seal signature at entry ${s.seq} does not verify (seal edited or forged)`);
      }
      const h = hashes.get(s.seq);
      if (h === undefined) return bad(s.seq, `a signed seal covers entry ${s.seq} but the log has only ${entries} entries (entries deleted)`);
      if (h !== s.hash) return bad(s.seq, `entry ${s.seq} differs from the hash the linker signed (log rewritten)`);
      prevSeal = sealId(statement);
      checked++;
      latest = s.seq;
    }
    if (opts.requireSealedHead && entries > 0 && latest !== entries) {
      return { ok: false, entries, firstBad: { seq: latest + 1, reason: `entries ${latest + 1}..${entries} are not covered by a signed seal` }, seals: { checked, latestSeq: latest } };
    }
    result.seals = { checked, latestSeq: latest };
  }
  return result;
}

/** Whether the log records an accepted package with this (signer, content id). */
export function auditHasAccepted(db: Db, signer: string, contentId: string): number | undefined {
  const r = db
    .prepare("SELECT seq FROM audit_log WHERE type = 'package-accepted' AND json_extract(detail, '$.contentId') = ? AND json_extract(detail, '$.signer') = ? LIMIT 1")
    .get(contentId, signer) as { seq: number } | undefined;
  return r?.seq;
}

/** Entries in order (for `audit list`), optionally from a given seq. */
export function* listAudit(db: Db, fromSeq = 1): Generator<AuditEntry> {
  ensureTables(db);
  const it = db.prepare('SELECT seq, time, type, detail, prev_hash, hash FROM audit_log WHERE seq >= ? ORDER BY seq').iterate(fromSeq) as IterableIterator<Row>;
  for (const r of it) {
    yield { seq: r.seq, time: r.time, type: r.type, detail: JSON.parse(r.detail) as Record<string, unknown>, prevHash: r.prev_hash, hash: r.hash };
  }
}
