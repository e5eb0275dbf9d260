import { openSqliteStore, writeTransaction, type Db } from './db.js';
import { RESULT_LEDGER_MIGRATIONS } from './migrations.js';
import { type ErrorCode, P20Error } from '../errors.js';
import { checkPartyName } from '../format/party.js';

/**
 * The agency's result ledger: a small SQLite file an agency keeps to accept
 * result packages from the linker safely (`unpack --kind result --ledger
 * FILE`). It is bound to one agency name when created and records every
 * result accepted, so that
 *
 * - a result addressed to another party is refused (PKG_WRONG_PARTY),
 * - the same result (signer, content id) is refused a second time (PKG_REPLAY),
 * - a result older than the newest one accepted is refused (PKG_RESULT_STALE):
 *   its creation time must be later, and its linker audit head must not be
 *   behind the last one seen; the same head seq with a different hash means
 *   the linker's log forked (PKG_RESULT_FORK).
 *
 * The ledger keeps the linker audit heads it saw: they are the expected
 * heads to give `audit verify --expect-head SEQ:HASH`.
 */

/**
 * What the ledger needs of a result package's manifest (a subset of
 * `PackageManifest`, src/transfer/envelope.ts; the store does not depend on
 * the transfer code).
 */
export interface LedgerManifest {
  party: string | null;
  createdAt: string;
  contentSha256: string;
  auditHead: { seq: number; hash: string } | null;
}

export interface ResultLedger {
  db: Db;
  /** The agency this ledger belongs to. */
  party: string;
  file: string;
}

/**
 * Open (or create, bound to `party`) an agency's result ledger. A ledger made
 * for another agency is refused; `party` may be omitted for an existing one.
 */
export function openResultLedger(path: string, opts: { party?: string; waitMs?: number } = {}): ResultLedger {
  const party = opts.party !== undefined ? checkPartyName(opts.party, 'party') : undefined;
  const db = openSqliteStore(path, { what: 'result ledger', migrations: RESULT_LEDGER_MIGRATIONS, ...(opts.waitMs !== undefined ? { waitMs: opts.waitMs } : {}) });
  try {
    const row = db.prepare('SELECT party FROM ledger_meta WHERE id = 1').get() as { party: string } | undefined;
    if (row) {
      if (party !== undefined && party !== row.party) {
        throw new P20Error('LEDGER_PARTY', `this result ledger belongs to "${row.party}", not "${party}"`, { file: path });
      }
      return { db, party: row.party, file: path };
    }
    if (party === undefined) throw new P20Error('LEDGER_PARTY', 'a new result ledger needs the agency\'s name', { file: path }, { hint: { id: 'paren-option', option: 'party', value: 'NAME' } });
    writeTransaction(db, () => db.prepare('INSERT INTO ledger_meta (id, party, created_at) VALUES (1, ?, ?)').run(party, new Date().toISOString()));
    return { db, party, file: path };
  } catch (e) {
    db.close();
    throw e;
  }
}

interface LastRow {
  created_at: string;
  audit_seq: number | null;
  audit_hash: string | null;
}

/**
 * Refuse a result this ledger must not accept (throws P20Error, exit 2).
 * `refuse(code, message)` formats and throws the package refusal.
 */
export function checkResult(ledger: ResultLedger, signer: string, contentId: string, m: LedgerManifest, refuse: (code: ErrorCode, msg: string) => never): void {
  const db = ledger.db;
  if (m.party !== ledger.party) {
    refuse('PKG_WRONG_PARTY', `the result is addressed to ${m.party === null ? 'no party' : `"${m.party}"`}, this ledger belongs to "${ledger.party}"`);
  }
  const seen = db.prepare('SELECT received_at FROM result_received WHERE signer = ? AND content_id = ?').get(signer, contentId) as { received_at: string } | undefined;
  if (seen) refuse('PKG_REPLAY', `replay: this result (content id ${contentId}) was already accepted at ${seen.received_at}`);
  const last = db.prepare('SELECT created_at, audit_seq, audit_hash FROM result_received ORDER BY created_at DESC LIMIT 1').get() as LastRow | undefined;
  if (!last) return;
  if (m.createdAt <= last.created_at) {
    refuse('PKG_RESULT_STALE', `stale result: created ${m.createdAt}, but a result created ${last.created_at} was already accepted (an older result sent again?)`);
  }
  const maxSeq = db.prepare('SELECT audit_seq, audit_hash FROM result_received WHERE audit_seq IS NOT NULL ORDER BY audit_seq DESC LIMIT 1').get() as
    | { audit_seq: number; audit_hash: string }
    | undefined;
  if (maxSeq && m.auditHead) {
    if (m.auditHead.seq < maxSeq.audit_seq) {
      refuse('PKG_RESULT_STALE', `stale result: the linker's audit log was at entry ${m.auditHead.seq} when it was issued, but a result issued at entry ${maxSeq.audit_seq} was already accepted (the linker's store was rolled back?)`);
    }
    const same = db.prepare('SELECT audit_hash FROM result_received WHERE audit_seq = ? LIMIT 1').get(m.auditHead.seq) as { audit_hash: string } | undefined;
    if (same && same.audit_hash !== m.auditHead.hash) {
      refuse('PKG_RESULT_FORK', `the linker's audit log entry ${m.auditHead.seq} differs from the one an earlier result named: the linker's log was rewritten`);
    }
  }
}

export function recordResult(ledger: ResultLedger, signer: string, contentId: string, m: LedgerManifest, now: Date): void {
  ledger.db
    .prepare('INSERT INTO result_received (signer, content_id, created_at, audit_seq, audit_hash, content_sha256, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(signer, contentId, m.createdAt, m.auditHead?.seq ?? null, m.auditHead?.hash ?? null, m.contentSha256, now.toISOString());
}

/** The linker audit heads named by accepted results, oldest first (for `audit verify --expect-head`). */
export function ledgerAuditHeads(ledger: ResultLedger): { seq: number; hash: string }[] {
  return (ledger.db.prepare('SELECT DISTINCT audit_seq AS seq, audit_hash AS hash FROM result_received WHERE audit_seq IS NOT NULL ORDER BY audit_seq').all() as { seq: number; hash: string }[]);
}
