/**
 * p20link's public library: what `import … from 'p20link'` gives, stage by
 * stage along the pipeline (normalize → encode → transfer → link → release →
 * report), with the schema, file formats and the linker's store beneath.
 * The command line (cli/) uses only this surface; anything not exported here
 * is internal and may change between releases.
 */

// ── errors and version ──────────────────────────────────────────────────────
export {
  P20Error,
  isP20Error,
  ERROR_CODES,
  errnoCode,
  formatLocated,
  fsError,
  hintedText,
  type ErrorCode,
  type ErrorHint,
  type ErrorKind,
  type ErrorLocation,
  type HintId,
} from './errors.js';
export { TOOL_NAME, TOOL_VERSION } from './version.js';
export { formatCount } from './util/format-count.js';

// ── io: streaming files ──────────────────────────────────────────────────────
export { writeFileAtomic } from './io/atomic-file.js';
export type { CsvDialect } from './io/csv.js';
export { terminalProgress } from './io/progress.js';

// ── schema: the linkage schema (clkhash v3 + the p20link extension) ─────────
export { loadLinkageSchema, parseLinkageSchema, schemaFingerprint, type LinkageSchema } from './schema/linkage-schema.js';
export { parseExtension, parseMapArgs, parseDateRangeArg, type P20linkExtension, type LinkHints } from './schema/extension.js';
export { resolveLinkSettings, type LinkSettings, type LinkSettingsRequest } from './schema/link-settings.js';

// ── normalize: how an agency's values are read ──────────────────────────────
export { DATE_LAYOUTS, type DateLayout } from './normalize/dates.js';

// ── encode (agency, on premises) ────────────────────────────────────────────
export { encodeFile, prepareEncode, formatSummary, type EncodeOptions, type EncodeSummary, type BadRowPolicy, type BadFieldPolicy } from './encode/pipeline.js';

// ── transfer: keys, the shared secret, signed + encrypted packages ──────────
export { newSecret, newSecretText, loadSecret, isStrongSecretText, type SecretSource } from './transfer/secret.js';
export {
  generateKeyPair,
  loadPublicKeys,
  loadPrivateKeys,
  keyFileFingerprints,
  readPassphrase,
  DEFAULT_MODULUS_BITS,
  type GenerateKeyPairOptions,
  type GeneratedKeys,
  type PublicKeys,
  type PrivateKeys,
  type PassphraseSource,
} from './transfer/keys.js';
export { loadAllowList, loadAllowDir, type AllowList, type AllowedSender } from './transfer/allow-list.js';
export { packageFile, type PackageFileOptions, type PackageFileResult } from './transfer/package-file.js';
export { unpackFile, REFUSAL_CODES, type UnpackFileOptions, type UnpackFileResult } from './transfer/unpack-file.js';
export type { PackageKind } from './transfer/envelope.js';
export { auditSignerFromKeys, auditVerifierFromKeys } from './transfer/audit-keys.js';

// ── the linker's store: registry, audit log, replay; an agency's result ledger
export { openLinkerStore, type OpenLinkerStoreOptions } from './store/linker-store.js';
export { storeError, type Db } from './store/db.js';
export {
  verifyAuditLog,
  sealAudit,
  listAudit,
  type AuditEntry,
  type AuditVerifyOptions,
  type AuditVerifyResult,
} from './store/audit-log.js';
export { openResultLedger, type ResultLedger } from './store/result-ledger.js';

// ── link (neutral linker) ───────────────────────────────────────────────────
export { linkFiles, type LinkFilesOptions, type ModelFit } from './link/link-files.js';
export type { InputSpec } from './link/load.js';
export { parseBlockingSpec, formatBlockingSpec, type BlockingConfig } from './link/blocking/config.js';
export { registryHistory, listRuns, lookupRecord, type HistoryEvent, type RunSummary } from './link/registry/registry.js';
export { forgetRecords, exportRegistry, rekeyRegistry, type ForgetOptions, type ExportOptions, type RekeyOptions } from './link/registry/maintenance.js';
export { SqliteRegistryStorage } from './link/registry/sqlite-storage.js';
export { planIncrement, commitIncrement, type IncrementPlan, type IncrementSettings } from './link/registry/incremental.js';
export type { RegistryStorage, RegistryConfig, RegistryScoring, StoredRecord, EntityMember, EncodingUpdate, RunWrite, ForgetResult, RekeyResult } from './link/registry/storage.js';

// ── assess: attacks on encodings, run by an agency or the bench ─────────────
export { assessEncodings, formatAssessReport, loadEncodings, readPlainCsv, type AssessOptions, type AssessReport } from './assess/index.js';

// ── file formats: the contract between agencies and linker ──────────────────
export { openEncoded, readEncodedHeader, type EncodedHeader, type EncodedRow } from './format/encoded-file.js';
export { readLinksFile, linksFileName, type LinksFile, type LinkEntry } from './format/links.js';
export { readReviewFile, type ReviewPair } from './format/review.js';
export { readRunReport, type LinkRunReport } from './format/run-report.js';
export { readTruth, type TruthRecord } from './format/truth.js';

// ── release (analysts): tables and record-level files ───────────────────────
export {
  suppressFile,
  auditFile,
  suppressTable,
  auditTable,
  loadTableSpec,
  parseTableSpec,
  formatSuppressSummary,
  formatAuditSummary,
  type SuppressFileOptions,
  type AuditFileOptions,
  type TableSpec,
  type ProtectionMode,
} from './release/table/index.js';
export { suppressLinkedFile } from './release/table/linked.js';
export {
  kcheckFile,
  kcheckRows,
  repairFile,
  repairRows,
  loadSpec as loadKCheckSpec,
  parseSpec as parseKCheckSpec,
  formatKCheckReport,
  formatRepairReport,
  resolveSettings as resolveKCheckSettings,
  type KCheckFileOptions,
  type RepairStrategy,
  type SuppressionMode,
  type RepairFileOptions,
} from './release/kanon/index.js';

// ── report: quality against truth, link rates by group ──────────────────────
export { runQualityReport, runBiasReport, computeQuality, computeBias, type QualityReportOptions, type BiasReportOptions, type QualityResult, type BiasResult } from './report/index.js';
