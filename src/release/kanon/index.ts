/** Record-level disclosure check (k-anonymity, l-diversity) and repair. */
export { kcheckFile, kcheckRows, settingsOf, type KCheckFileOptions, type KSettingsLike } from './kcheck.js';
export { repairFile, repairRows, assertNotInput, type RepairFileOptions, type RepairRowsResult } from './repair.js';
export { parseSpec, loadSpec, resolveSettings, settingsFrom, hierarchyHeight, hierarchyMaxLevel, DEFAULT_K } from './spec.js';
export { compileHierarchy, SUPPRESSED, type Generalizer } from './hierarchy.js';
export { KCHECK_SPEC_SCHEMA } from './spec-schema.js';
export { formatKCheckReport, formatRepairReport } from './report.js';
export * from './types.js';
