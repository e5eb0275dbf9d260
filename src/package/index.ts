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
export { newSecret, newSecretText, SECRET_BYTES } from './secret.js';
export {
  generateKeyPair,
  loadPublicKeys,
  loadPrivateKeys,
  keyFileFingerprints,
  readPassphrase,
  fingerprintSpkiDer,
  encryptPkcs8Der,
  oaepWrap,
  oaepUnwrap,
  pssSign,
  pssVerify,
  DEFAULT_MODULUS_BITS,
  DEFAULT_KDF_ITERATIONS,
  type GenerateKeyPairOptions,
  type GeneratedKeys,
  type PublicKeys,
  type PrivateKeys,
  type PublicKeyInfo,
  type PrivateKeyInfo,
  type PassphraseSource,
} from './keys.js';
export { loadAllowList, loadAllowDir, senderForParty, type AllowList, type AllowedSender } from './allow-list.js';
export { openResultLedger, ledgerAuditHeads, ledgerMigrations, type ResultLedger } from './ledger.js';
export { packageMigrations, acceptedBefore } from './replay.js';
export { packageFile, type PackageFileOptions, type PackageFileResult } from './package-file.js';
export { unpackFile, REFUSAL_CODES, MAX_REFUSAL_MESSAGE, type UnpackFileOptions, type UnpackFileResult } from './unpack-file.js';
export {
  MAGIC,
  PACKAGE_FORMAT,
  PACKAGE_VERSION,
  DEFAULT_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  parseHeader,
  parseCanonical,
  type PackageHeader,
  type PackageManifest,
  type PackageKind,
} from './envelope.js';
export { auditSignerFromKeys, auditVerifierFromKeys } from './audit-keys.js';
export { openPackageStore } from './store.js';
export { openLinkerStore, type OpenLinkerStoreOptions } from '../store/linker-store.js';
