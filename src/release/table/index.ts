export * from './types.js';
export { parseTableSpec, loadTableSpec, inferTableSpec, INFERRED_TOTAL_LABELS } from './spec.js';
export { TABLE_SPEC_SCHEMA } from './spec-schema.js';
export { buildCountTable } from './model.js';
export { suppressTable, DEFAULT_MIN_N, DEFAULT_MARKER, type SuppressTableOptions } from './suppress.js';
export { auditTable, type AuditTableOptions } from './audit.js';
export { suppressFile, auditFile, readTableCsv, tableCsvText, type SuppressFileOptions, type AuditFileOptions } from './files.js';
export { formatSuppressSummary, formatAuditSummary } from './summary.js';
export { getHighs } from './lp.js';
