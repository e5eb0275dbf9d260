import type { Db } from './db.js';
import { auditHasAccepted } from './audit-log.js';

/**
 * Replay protection at the linker: the (signing key, content id) of every
 * accepted package, in the same SQLite store as the audit log. A package
 * whose signer already had that content id accepted is refused. The key is
 * the pair, not the content id alone: the content id is chosen by the
 * sender, so one agency could otherwise "use up" another agency's id first
 * and get the genuine package refused.
 *
 * Every acceptance is also in the audit log; the replay check consults both,
 * so deleting a row here does not let the package in again (and `audit
 * verify` reports the missing row).
 */

/** The earlier acceptance of (signer, content id), from the replay table or, failing that, the audit log. */
export function acceptedBefore(db: Db, signer: string, contentId: string): { sender: string; accepted_at: string } | undefined {
  const row = db.prepare('SELECT sender, accepted_at FROM package_accepted WHERE signer = ? AND content_id = ?').get(signer, contentId) as
    | { sender: string; accepted_at: string }
    | undefined;
  if (row) return row;
  const seq = auditHasAccepted(db, signer, contentId);
  return seq !== undefined ? { sender: 'the same signer', accepted_at: `audit entry ${seq}` } : undefined;
}

export function recordAccepted(db: Db, r: { contentId: string; kind: string; sender: string; signer: string; contentSha256: string; time: Date }): void {
  db.prepare('INSERT INTO package_accepted (signer, content_id, kind, sender, content_sha256, accepted_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    r.signer,
    r.contentId,
    r.kind,
    r.sender,
    r.contentSha256,
    r.time.toISOString(),
  );
}
