import type { Db, Migration } from '../store/db.js';

/**
 * Replay protection: the content ids of accepted packages, in the same
 * SQLite store as the audit log. A package whose content id is here is
 * refused. (Every acceptance is also in the audit log, so a row deleted from
 * this table is still visible there.)
 */
export const packageMigrations: Migration[] = [
  {
    name: 'package-001-accepted',
    sql: `
CREATE TABLE package_accepted (
  content_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  sender TEXT NOT NULL,
  signer TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  accepted_at TEXT NOT NULL
);
CREATE TRIGGER package_accepted_no_delete BEFORE DELETE ON package_accepted
BEGIN SELECT RAISE(ABORT, 'package_accepted is append-only'); END;
CREATE TRIGGER package_accepted_no_update BEFORE UPDATE ON package_accepted
BEGIN SELECT RAISE(ABORT, 'package_accepted is append-only'); END;
`,
  },
];

export function acceptedBefore(db: Db, contentId: string): { sender: string; accepted_at: string } | undefined {
  return db.prepare('SELECT sender, accepted_at FROM package_accepted WHERE content_id = ?').get(contentId) as { sender: string; accepted_at: string } | undefined;
}

export function recordAccepted(db: Db, r: { contentId: string; kind: string; sender: string; signer: string; contentSha256: string; time: Date }): void {
  db.prepare('INSERT INTO package_accepted (content_id, kind, sender, signer, content_sha256, accepted_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    r.contentId,
    r.kind,
    r.sender,
    r.signer,
    r.contentSha256,
    r.time.toISOString(),
  );
}
