/**
 * Secure hand-off between agencies and the linker: keys, the shared linkage
 * secret, signed + encrypted packages (encoded extracts in, link results
 * out), the allow-list of agency keys, replay protection and the
 * tamper-evident audit log. See protocols/package-format.md.
 */
export {
  auditMigrations,
  appendAudit,
  verifyAuditLog,
  sealAudit,
  listAudit,
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
