/**
 * The project's SQLite stores: the linker's store (linkage-ID registry,
 * tamper-evident audit log, replay table), opened only by `openLinkerStore`,
 * and an agency's result ledger. One migration list per store
 * (src/store/migrations.ts).
 */
export { openLinkerStore, type OpenLinkerStoreOptions } from './linker-store.js';
export { openSqliteStore, writeTransaction, storeError, DEFAULT_STORE_WAIT_MS, type Db, type Migration, type OpenStoreOptions } from './db.js';
export { LINKER_STORE_MIGRATIONS, RESULT_LEDGER_MIGRATIONS, registryMigrations, auditMigrations, packageMigrations, ledgerMigrations } from './migrations.js';
export {
  appendAudit,
  verifyAuditLog,
  sealAudit,
  listAudit,
  sealStatement,
  sealStatementV2,
  auditEntryHash,
  AUDIT_GENESIS_HASH,
  type AuditEvent,
  type AuditEventType,
  type AuditEntry,
  type AuditSigner,
  type AuditVerifier,
  type AuditVerifyResult,
  type AuditVerifyOptions,
} from './audit-log.js';
export { acceptedBefore } from './replay.js';
export { openResultLedger, ledgerAuditHeads, type ResultLedger, type LedgerManifest } from './result-ledger.js';
