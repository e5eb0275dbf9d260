import type { Migration } from './db.js';

/**
 * Every table of the project's SQLite stores, as migrations: one list per
 * store file, in the order they are applied. Each migration has a unique,
 * stable name; never edit or reuse one that shipped: add a new one.
 *
 * The linker's store (`linker.db`, opened only by `openLinkerStore`,
 * src/store/linker-store.ts) holds the linkage-ID registry (`registry_*`,
 * queries in src/link/registry/registry.ts), the tamper-evident audit log
 * (`audit_*`, src/store/audit-log.ts) and the replay table
 * (`package_accepted`, src/store/replay.ts). An agency's result ledger (its
 * own file, `openResultLedger`, src/store/result-ledger.ts) holds
 * `ledger_meta` and `result_received`.
 */

/** The linkage-ID registry: party labels, the agencies' record ids, random linkage IDs, run metadata; no PII, no CLKs. */
export const registryMigrations: Migration[] = [
  {
    name: 'registry-001-tables',
    sql: `
CREATE TABLE registry_runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL UNIQUE,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  tool TEXT NOT NULL,
  inputs TEXT NOT NULL,
  parameters TEXT NOT NULL,
  counts TEXT NOT NULL
);
CREATE TABLE registry_entities (
  id TEXT PRIMARY KEY,
  created_run INTEGER NOT NULL REFERENCES registry_runs(seq),
  last_run INTEGER NOT NULL REFERENCES registry_runs(seq),
  merged_into TEXT REFERENCES registry_entities(id),
  merged_run INTEGER REFERENCES registry_runs(seq)
) WITHOUT ROWID;
CREATE TABLE registry_members (
  party TEXT NOT NULL,
  record_id TEXT NOT NULL,
  entity_id TEXT NOT NULL REFERENCES registry_entities(id),
  first_run INTEGER NOT NULL,
  last_run INTEGER NOT NULL,
  PRIMARY KEY (party, record_id)
) WITHOUT ROWID;
CREATE INDEX registry_members_entity ON registry_members(entity_id);
CREATE TABLE registry_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run INTEGER NOT NULL REFERENCES registry_runs(seq),
  event TEXT NOT NULL CHECK (event IN ('merge', 'split')),
  old_id TEXT NOT NULL REFERENCES registry_entities(id),
  new_id TEXT NOT NULL REFERENCES registry_entities(id),
  records INTEGER NOT NULL
);
CREATE INDEX registry_history_old ON registry_history(old_id);
CREATE INDEX registry_history_new ON registry_history(new_id);
`,
  },
  {
    // The longitudinal registry (src/link/registry/storage.ts, docs/registry.md):
    // encodings and persistent blocking keys of every registered record, the
    // linkage configuration they were made under, retired entities and merge
    // candidates. rid is AUTOINCREMENT so a forgotten record's number is never reused.
    name: 'registry-002-encodings',
    sql: `
CREATE TABLE registry_config (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_check_value TEXT NOT NULL,
  schema_fingerprint TEXT NOT NULL,
  l INTEGER NOT NULL,
  blocking TEXT NOT NULL,
  scoring TEXT NOT NULL
);
CREATE TABLE registry_records (
  rid INTEGER PRIMARY KEY AUTOINCREMENT,
  party TEXT NOT NULL,
  record_id TEXT NOT NULL,
  clk BLOB NOT NULL,
  evidence BLOB,
  presence INTEGER,
  blocks TEXT,
  run INTEGER NOT NULL REFERENCES registry_runs(seq),
  UNIQUE (party, record_id)
);
CREATE TABLE registry_band_keys (
  key INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (key, rid)
) WITHOUT ROWID;
CREATE TABLE registry_retired (
  id TEXT PRIMARY KEY REFERENCES registry_entities(id),
  retired_at TEXT NOT NULL,
  reason TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE registry_merge_candidates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run INTEGER NOT NULL REFERENCES registry_runs(seq),
  entity_a TEXT NOT NULL REFERENCES registry_entities(id),
  entity_b TEXT NOT NULL REFERENCES registry_entities(id),
  score REAL NOT NULL
);
`,
  },
  {
    // the evidence keys the blocking index also holds (src/link/registry/band-keys.ts EvidenceIndex, JSON; NULL: none)
    name: 'registry-003-index-evidence',
    sql: 'ALTER TABLE registry_config ADD COLUMN index_evidence TEXT;',
  },
];

/** The audit log: a hash chain of entries, a head row, and signed seals (src/store/audit-log.ts). */
export const auditMigrations: Migration[] = [
  {
    name: 'audit-001-log',
    sql: `
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  type TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE audit_seal (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  time TEXT NOT NULL,
  signer TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_in_order BEFORE INSERT ON audit_log
WHEN NEW.seq <> COALESCE((SELECT MAX(seq) FROM audit_log), 0) + 1
BEGIN SELECT RAISE(ABORT, 'audit_log entries must be appended in sequence'); END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.seq <> OLD.seq + 1
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward one entry at a time'); END;
CREATE TRIGGER audit_seal_no_update BEFORE UPDATE ON audit_seal
BEGIN SELECT RAISE(ABORT, 'audit_seal is append-only'); END;
CREATE TRIGGER audit_seal_no_delete BEFORE DELETE ON audit_seal
BEGIN SELECT RAISE(ABORT, 'audit_seal is append-only'); END;
`,
  },
  {
    // Seals chain to the previous seal: removing or reordering a seal breaks the chain.
    name: 'audit-002-seal-chain',
    sql: `ALTER TABLE audit_seal ADD COLUMN prev TEXT;`,
  },
];

/** Replay protection: (signer, content id) of every accepted package (src/store/replay.ts). */
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
  {
    name: 'package-002-keyed-by-signer',
    sql: `
CREATE TABLE package_accepted_2 (
  signer TEXT NOT NULL,
  content_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  sender TEXT NOT NULL,
  content_sha256 TEXT NOT NULL,
  accepted_at TEXT NOT NULL,
  PRIMARY KEY (signer, content_id)
);
INSERT INTO package_accepted_2 (signer, content_id, kind, sender, content_sha256, accepted_at)
  SELECT signer, content_id, kind, sender, content_sha256, accepted_at FROM package_accepted;
DROP TABLE package_accepted;
ALTER TABLE package_accepted_2 RENAME TO package_accepted;
CREATE TRIGGER package_accepted_no_delete BEFORE DELETE ON package_accepted
BEGIN SELECT RAISE(ABORT, 'package_accepted is append-only'); END;
CREATE TRIGGER package_accepted_no_update BEFORE UPDATE ON package_accepted
BEGIN SELECT RAISE(ABORT, 'package_accepted is append-only'); END;
`,
  },
];

/** The linker store, every migration in order: what `openLinkerStore` applies. */
export const LINKER_STORE_MIGRATIONS: readonly Migration[] = [...registryMigrations, ...auditMigrations, ...packageMigrations];

/** An agency's result ledger (src/store/result-ledger.ts). */
export const ledgerMigrations: Migration[] = [
  {
    name: 'ledger-001',
    sql: `
CREATE TABLE ledger_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  party TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE result_received (
  signer TEXT NOT NULL,
  content_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  audit_seq INTEGER,
  audit_hash TEXT,
  content_sha256 TEXT NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (signer, content_id)
);
`,
  },
];

/** The result ledger, every migration in order: what `openResultLedger` applies. */
export const RESULT_LEDGER_MIGRATIONS: readonly Migration[] = [...ledgerMigrations];
