/** The neutral linker's public library surface (what `p20link link` calls). */
export { linkFiles, type LinkFilesOptions, type ModelFit } from './link-files.js';
export { checkCompatible, readInputHeaders, loadParty, fileSha256, type InputSpec, type InputHeader } from './load.js';
export { greedyOneToOne, type Matching } from './resolve/one-to-one.js';
export { clusterRecords, indexClusters, membersOf, clusterSizes, type ClusterProblem, type Clustering, type ClusterIndex } from './resolve/cluster.js';
export { EdgeList } from './resolve/edges.js';
export { assignIds, type Assignment, type ClusterStatus, type IdEvent } from './registry/assign.js';
export { newLinkageId, newRunId, LINKAGE_ID } from './registry/ids.js';
export {
  lookupRecord,
  registryHistory,
  listRuns,
  priorEntities,
  registerRun,
  type HistoryEvent,
  type RunSummary,
} from './registry/registry.js';
export { pairQuality, truthEntities, truePairsBetween, type PairQuality } from './truth.js';
export { readTruth, TRUTH_COLUMNS, type TruthRecord } from '../format/truth.js';
export { linkWarnings } from './report.js';
export { LINK_REPORT_FORMAT, LINK_REPORT_VERSION, REPORT_FILE, readRunReport, type LinkRunReport } from '../format/run-report.js';
export { readRunManifest, claimOutDir, type RunManifest } from './out-dir.js';
export { linksFileName, LINKS_HEADER, readLinksFile } from '../format/links.js';
export { REVIEW_FILE, REVIEW_HEADER, readReviewFile } from '../format/review.js';
export { resolveLinkSettings, type LinkSettings } from '../schema/link-settings.js';
