import { basename } from 'node:path';
import { P20Error } from '../errors.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { writeTransaction, type Db } from '../store/db.js';
import { openLinkerStore } from '../store/linker-store.js';
import { appendAudit } from '../store/audit-log.js';
import { TOOL_VERSION } from '../version.js';
import { LINKS_HEADER, linksFileName, linksRow } from '../format/links.js';
import { REVIEW_FILE, REVIEW_HEADER, reviewRow } from '../format/review.js';
import { LINK_REPORT_FORMAT, LINK_REPORT_VERSION, REPORT_FILE, runReportText, type LinkRunReport, type ReportInput, type ReportPartyPair } from '../format/run-report.js';
import { readTruth, type TruthRecord } from '../format/truth.js';
import { DEFAULT_FS_MAX_PER_PARTY, DEFAULT_MATCH_PROBABILITY, resolveLinkSettings } from '../schema/link-settings.js';
import { formatBlockingSpec, leafParts, parseBlockingSpec, validateBlockingConfig, type BlockingConfig } from './blocking/config.js';
import { countKeptPairs } from './blocking/index.js';
import { scorePairs } from './score.js';
import { carryEvidence, checkCompatible, fileSha256, loadParty, readInputHeaders, scoringOf, type InputHeader, type InputSpec } from './load.js';
import { claimOutDir, removeStaleOutputs } from './out-dir.js';
import { abortAll, commitAll, StagedFile } from './output.js';
import { csvLine } from '../io/csv.js';
import { addToHistogram, emptyHistogram, linkWarnings, missingDateWarnings, missingFeatures, modelWarnings, reportCounts, reportParty } from './report.js';
import { EdgeList } from './resolve/edges.js';
import { clusterRecords, clusterSizes, indexClusters, type ClusterIndex, type Clustering, type ClusterView } from './resolve/cluster.js';
import { RESIDUAL_MAX_SHIFT, residualEdges, type ResidualPass } from './resolve/residual.js';
import { BarredEdges, corroboratedEdges, type CorroboratedPass } from './resolve/corroborated.js';
import { assignIds, type Assignment } from './registry/assign.js';
import { newRunId } from './registry/ids.js';
import { createdRunLookup, freshIdSource, lastRunSeq, priorEntities, registerRun } from './registry/registry.js';
import { isIncrementalRun, linkIncremental, storeFullRunEncodings } from './registry/incremental-run.js';
import { storedMatchModel, type StoredMatchModel } from './registry/match-model.js';
import { pairQuality, truePairsBetween, truthEntities } from './truth.js';
import type { PartyData } from './types.js';
import { DATE_FEATURE, fewWithDate } from '../schema/evidence.js';
import { candidateFloors, candidatePairs, MISSING_SIDE_CAP, MODEL_LSH, randomPairs } from './model/candidates.js';
import { calibratePlan, compareCandidates, comparisonPlan, pairPresence, presenceMask, sureLevel, clkRelief, clkReliefOf, type ComparisonPlan, type ClkRelief } from './model/compare.js';
import { ComparePool } from './model/compare-pool.js';
import { fitModel, randomPairsU, refineModel } from './model/em.js';
import { LshKeyCache } from './lsh-key-cache.js';
import { anchoredM, matchFloor, nameDateCounts, refineHold } from './model/anchors.js';
import { expectedQuality, oneToOneMatches, type OneToOneMatches } from './model/expected.js';
import { barRelief, duplicateBar, edgeScoreOfWeight as edgeScore, fullAgreementWeight, matchWeights, modelSummary, pairBar, probabilityOfEdgeScore, probabilityOfWeight, weightOfProbability, type PairPrior } from './model/predict.js';
import type { ComparisonVectors, FittedModel, ModelSummary } from './model/types.js';
import { Laps } from '../util/laps.js';
import { concatTyped } from '../util/typed-arrays.js';

/**
 * `p20link link` as a library call: load N >= 2 encoded files (refusing
 * incompatible ones), score candidate pairs between every two parties,
 * resolve them into clusters (at most maxPerParty records of one party per
 * cluster), give every cluster a linkage ID from the registry, and write one
 * `<party>.links.csv` per party, `review.csv` and `run-report.json` into
 * outDir. Outputs are renamed into place only after the registry and audit
 * log have recorded the run in one transaction.
 */
export interface LinkFilesOptions {
  inputs: InputSpec[];
  outDir: string;
  /** Linker store (SQLite: registry + audit log). Without it every run hands out fresh IDs. */
  store?: string;
  /**
   * Linkage schema the inputs were encoded with: its `p20link.link` hints are
   * the defaults of threshold, review threshold and blocking (fingerprint
   * must match; src/schema/link-settings.ts).
   */
  schema?: string;
  /** Match threshold on the Dice score, in (0, 1] (default: the schema's hint, else 0.8). */
  threshold?: number;
  /** Lower bound of the clerical-review band, in (0, threshold). */
  reviewThreshold?: number;
  /** Blocking, as a config or as spec text (`lsh`, `keys:birth_year+lsh`, `none`; default: the schema's keys plus LSH, else LSH). */
  blocking?: BlockingConfig | string;
  /**
   * Most records of one party in one cluster. 'dice': default 1 (raise when a
   * party's file holds duplicates). 'fs': default DEFAULT_FS_MAX_PER_PARTY
   * for parties not declared deduplicated (1 makes every party 1:1).
   */
  maxPerParty?: number;
  /**
   * 'fs': the Fellegi–Sunter match model over the CLK and the evidence
   * filters, links decided on match probability (docs/match-model.md;
   * needs inputs with evidence filters). 'dice': the CLK's Dice score
   * against a threshold. Default: 'fs' when every input carries evidence
   * filters (the default schema's do), else 'dice'; a threshold given
   * without a model is refused when that default is 'fs'.
   */
  model?: 'fs' | 'dice';
  /** 'fs': link pairs whose match probability reaches this, in (0, 1) (default DEFAULT_MATCH_PROBABILITY, 0.5). */
  matchProbability?: number;
  /** 'fs': parties whose files hold each person at most once: kept 1:1, never linked within their own file. */
  deduplicated?: string[];
  /**
   * 'fs': run the residual pass, resolution's last phase (docs/match-model.md,
   * "Decision and resolution"; default true). false: only the one-to-one and
   * duplicate phases, for a state that puts precision before recall (the
   * pass's links are the model's least certain).
   */
  residualPass?: boolean;
  /** Truth CSV (entity_id,party,record_id): adds quality and blocking recall to the report. */
  truth?: string;
  workers?: number;
  /** Refuse the run when more pairs than this reach the (review) threshold in one party pair (default DEFAULT_MAX_PAIRS, 100 million). */
  maxPairs?: number;
  /** Increments only: LSH bands a registered record must share with a new record to be a candidate (default 2; docs/registry.md). */
  minBandHits?: number;
  /** Increments only: most index rows an LSH band key may have and still propose its holders (default 256; docs/registry.md). */
  bandCrowd?: number;
  /**
   * 'fs', for measurement tools (bench/model-ceiling.ts): called once the
   * model is fitted, before resolution, with the candidates, their comparison
   * vectors and weights, and the run's own resolution to replay with other
   * weights. Record ids and comparison levels only, no PII.
   */
  onModelFit?: (fit: ModelFit) => void;
  /** Progress display per stage (default: none). */
  progress?: (label: string) => Progress;
}

/** The settings of one run, after resolution and checks. */
interface RunSettings {
  threshold: number;
  reviewThreshold: number | undefined;
  blocking: BlockingConfig;
  maxPerParty: number;
  model: 'fs' | 'dice';
  /** 'fs' only: the decision probability. */
  matchProbability: number;
  /** Cap of records per cluster of each party (input order). */
  capOf: number[];
  deduplicated: string[];
  /** 'fs' only: resolution runs the residual pass. */
  residualPass: boolean;
}

function checkOptions(o: LinkFilesOptions): void {
  const bad = (msg: string, field: string): never => {
    throw new P20Error('LINK_OPTION', msg, { field });
  };
  const m = o.maxPerParty ?? 1;
  if (!Number.isInteger(m) || m < 1 || m > 1000) bad(`max-per-party must be a whole number from 1 to 1000, got ${m}`, 'max-per-party');
  if (o.workers !== undefined && (!Number.isInteger(o.workers) || o.workers < 1 || o.workers > 256)) bad(`workers must be a whole number from 1 to 256, got ${o.workers}`, 'workers');
  if (o.maxPairs !== undefined && (!Number.isInteger(o.maxPairs) || o.maxPairs < 1)) bad(`max-pairs must be a positive whole number, got ${o.maxPairs}`, 'max-pairs');
  if (typeof o.outDir !== 'string' || o.outDir.length === 0) bad('an output directory is required', 'out');
  if (o.minBandHits !== undefined && (!Number.isInteger(o.minBandHits) || o.minBandHits < 1)) bad(`min-band-hits must be a whole number of at least 1, got ${o.minBandHits}`, 'min-band-hits');
  if (o.bandCrowd !== undefined && (!Number.isInteger(o.bandCrowd) || o.bandCrowd < 1)) bad(`band-crowd must be a whole number of at least 1, got ${o.bandCrowd}`, 'band-crowd');
  if (o.blocking !== undefined) validateBlockingConfig(typeof o.blocking === 'string' ? parseBlockingSpec(o.blocking) : o.blocking);
  // thresholds given outright are checked before any file is read (those from a schema once it is read)
  if (o.threshold !== undefined && o.model !== 'fs') checkThresholds(o.threshold, o.reviewThreshold);
  if (o.model !== undefined && o.model !== 'fs' && o.model !== 'dice') bad(`model must be fs or dice, got ${String(o.model)}`, 'model');
  const p = o.matchProbability;
  if (p !== undefined && !(typeof p === 'number' && p > 0 && p < 1)) bad(`match probability must be a number in (0, 1), got ${p}`, 'match-probability');
  if (o.deduplicated !== undefined && (!Array.isArray(o.deduplicated) || o.deduplicated.some((d) => typeof d !== 'string' || d === ''))) bad('deduplicated must list party names', 'deduplicated');
  if (o.residualPass !== undefined && typeof o.residualPass !== 'boolean') bad(`residual-pass must be true or false, got ${String(o.residualPass)}`, 'residual-pass');
}

function checkThresholds(threshold: number, review: number | undefined): void {
  const bad = (msg: string, field: string): never => {
    throw new P20Error('LINK_OPTION', msg, { field });
  };
  if (!(typeof threshold === 'number' && threshold > 0 && threshold <= 1)) bad(`threshold must be a number in (0, 1], got ${threshold}`, 'threshold');
  if (review !== undefined && !(typeof review === 'number' && review > 0 && review < threshold)) {
    bad(`review threshold must be a number in (0, threshold=${threshold}), got ${review}`, 'review-threshold');
  }
}

/** Options as given, else the schema's hints, else the defaults (checked). Throws before any body is read. */
async function settingsOf(opts: LinkFilesOptions, headers: readonly InputHeader[]): Promise<RunSettings> {
  const s = await resolveLinkSettings({
    inputs: headers.map((h) => ({ file: h.file, schemaFingerprint: h.header.schemaFingerprint })),
    ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
    ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
    ...(opts.reviewThreshold !== undefined ? { reviewThreshold: opts.reviewThreshold } : {}),
  });
  const given = opts.blocking;
  const blocking = given === undefined ? parseBlockingSpec(s.blocking) : typeof given === 'string' ? parseBlockingSpec(given) : given;
  validateBlockingConfig(blocking);
  const evidence = carryEvidence(headers);
  const model = scoringOf(opts.model, headers);
  if (opts.model === undefined && model === 'fs' && opts.threshold !== undefined) {
    throw new P20Error(
      'LINK_OPTION',
      'a threshold is a Dice score, but these inputs carry evidence filters, so the match model (fs) decides links on match probability by default; choose dice with the model option to link on a Dice threshold',
      { field: 'threshold' },
      { hint: { id: 'use-option', option: 'model' } },
    );
  }
  if (model === 'fs' && !evidence) {
    throw new P20Error('LINK_OPTION', 'the match model needs evidence filters in every input (encode with a schema that has p20link.evidence)', { field: 'model' });
  }
  const matchProbability = opts.matchProbability ?? DEFAULT_MATCH_PROBABILITY;
  const deduplicated = [...new Set(opts.deduplicated ?? [])];
  for (const d of deduplicated) {
    if (!headers.some((h) => h.party === d)) {
      throw new P20Error('LINK_OPTION', `the deduplicated option names party "${d}", which is not one of the inputs (${headers.map((h) => h.party).join(', ')})`, { field: 'deduplicated' }, { hint: { id: 'use-option', option: 'deduplicated' } });
    }
  }
  let maxPerParty: number;
  if (model === 'fs') {
    // the review band is in match probability, below the decision point
    const r = opts.reviewThreshold;
    if (r !== undefined && !(r > 0 && r < matchProbability)) {
      throw new P20Error('LINK_OPTION', `with the match model the review threshold is a match probability in (0, ${matchProbability}), got ${r}`, { field: 'review-threshold' });
    }
    maxPerParty = opts.maxPerParty ?? DEFAULT_FS_MAX_PER_PARTY;
  } else {
    checkThresholds(s.threshold, s.reviewThreshold);
    if (deduplicated.length > 0) {
      throw new P20Error('LINK_OPTION', 'the deduplicated option needs the match model (fs); Dice scoring keeps every party 1:1 unless max-per-party is raised', { field: 'deduplicated' }, { hint: { id: 'use-option', option: 'deduplicated' } });
    }
    maxPerParty = opts.maxPerParty ?? 1;
    if (opts.residualPass !== undefined) {
      throw new P20Error('LINK_OPTION', 'the residual pass is a phase of the match model (fs); Dice scoring has one phase', { field: 'residual-pass' }, { hint: { id: 'use-option', option: 'model' } });
    }
  }
  const capOf = headers.map((h) => (deduplicated.includes(h.party) ? 1 : maxPerParty));
  const reviewThreshold = model === 'fs' ? opts.reviewThreshold : s.reviewThreshold;
  return { threshold: s.threshold, reviewThreshold, blocking, maxPerParty, model, matchProbability, capOf, deduplicated, residualPass: model === 'fs' && opts.residualPass !== false };
}

/** Every blocking-key column the blocking names must be in every input. */
function checkBlockColumns(blocking: BlockingConfig, headers: readonly InputHeader[]): void {
  for (const part of leafParts(blocking)) {
    if (part.kind !== 'keys') continue;
    for (const h of headers) {
      const have = h.header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
      for (const name of part.names) {
        if (!have.includes(name)) {
          throw new P20Error(
            'LINK_BLOCK_MISSING',
            `blocking needs block column "${name}", which this file does not have (it has: ${have.join(', ') || 'none'}); encode with that block or choose other blocking`,
            { file: h.file, field: `block:${name}` },
          );
        }
      }
    }
  }
}

/** The loaded parties, numbered as one graph: node = offset[party] + record index. */
interface Loaded {
  parties: PartyData[];
  inputs: ReportInput[];
  offset: number[];
  nodeCount: number;
  nodeParty: Uint32Array;
}

const partyOfNode = (L: Loaded, node: number): PartyData => L.parties[L.nodeParty[node]!]!;
const idOfNode = (L: Loaded, node: number): string => partyOfNode(L, node).ids[node - L.offset[L.nodeParty[node]!]!]!;

/** Stage 1 (load inputs): refuse the same file given twice, then read and validate every body. */
async function loadInputs(headers: readonly InputHeader[], prog: (label: string) => Progress): Promise<Loaded> {
  // the same file twice is a mistake (it would link a party with itself)
  const hashes: string[] = [];
  const seenHash = new Map<string, string>();
  for (const h of headers) {
    const sha256 = await fileSha256(h.file);
    const prev = seenHash.get(sha256);
    if (prev !== undefined) {
      throw new P20Error('LINK_DUPLICATE_INPUT', `has the same content as ${prev}; each party's file must be given once`, { file: h.file });
    }
    seenHash.set(sha256, h.file);
    hashes.push(sha256);
  }
  const parties: PartyData[] = [];
  const inputs: ReportInput[] = [];
  for (const [k, h] of headers.entries()) {
    const p = prog(`load ${h.party}`);
    const party = await loadParty(h.file, h.party, p);
    p.finish();
    parties.push(party);
    inputs.push({
      party: h.party,
      file: h.file,
      sha256: hashes[k]!,
      schemaFingerprint: h.header.schemaFingerprint,
      keyCheckValue: h.header.keyCheckValue,
      l: h.header.l,
      records: party.count,
      encodedBy: h.header.tool,
      encodedAt: h.header.createdAt,
    });
  }
  const offset: number[] = [];
  let nodeCount = 0;
  for (const p of parties) {
    offset.push(nodeCount);
    nodeCount += p.count;
  }
  const nodeParty = new Uint32Array(nodeCount);
  parties.forEach((p, k) => nodeParty.fill(k, offset[k]!, offset[k]! + p.count));
  return { parties, inputs, offset, nodeCount, nodeParty };
}

interface Scored {
  /** Pairs at or above the threshold (resolution's input). */
  edges: EdgeList;
  /** Pairs in the review band. */
  reviewEdges: EdgeList;
  hist: LinkRunReport['scoreHistogram'];
  pairStats: ReportPartyPair[];
  /** i * (number of parties) + j -> the statistics of party pair (i, j), i <= j. */
  pairIndex: Map<number, ReportPartyPair>;
  blockingTrue: number;
  blockingKept: number;
  /** 'fs' only: the fitted model, as the run report shows it. */
  model?: ModelSummary;
  /** 'fs' only: edges strong enough to join a second record of one party (a duplicate) to an entity. */
  dupEdges?: EdgeList;
  /** 'fs' only: cross-party pairs within RESIDUAL_MAX_SHIFT of the decision or above, score = match weight (the residual pass's input). */
  nearEdges?: EdgeList;
  /** 'fs' only: the pairs at or above the decision with their duplicate bars (the corroborated duplicates' phase). */
  links?: BarredEdges;
  /** 'fs' only: what the residual pass did (the run report's `model.residual`). */
  residual?: ResidualPass;
  /** 'fs' only: what the corroborated duplicates' phase did (the run report's `model.corroborated`). */
  corroborated?: CorroboratedPass;
  /** 'fs' only: what a registry keeps so its increments apply the same model (src/link/registry/match-model.ts). */
  registryModel?: StoredMatchModel;
  /** 'fs' only: every candidate's odds per record and party, and the expected matches among the candidates (the report's expected quality). */
  odds?: OneToOneMatches;
}

/** Stage 2 (score): every party pair (and within parties when duplicates are allowed); blocking recall when a truth is given. */
async function scoreAll(L: Loaded, s: RunSettings, opts: LinkFilesOptions, entities: (string | undefined)[][] | undefined, prog: (label: string) => Progress, laps: Laps): Promise<Scored> {
  const P = L.parties.length;
  const tHigh = Math.fround(s.threshold);
  const out: Scored = { edges: new EdgeList(), reviewEdges: new EdgeList(), hist: emptyHistogram(), pairStats: [], pairIndex: new Map(), blockingTrue: 0, blockingKept: 0 };
  const jobs: [number, number][] = [];
  for (let i = 0; i < P; i++) {
    if (s.maxPerParty > 1) jobs.push([i, i]);
    for (let j = i + 1; j < P; j++) jobs.push([i, j]);
  }
  for (const [i, j] of jobs) {
    const A = L.parties[i]!;
    const B = i === j ? null : L.parties[j]!;
    const p = prog(`score ${A.name} x ${B ? B.name : A.name}`);
    const sp = await scorePairs(A, B, {
      threshold: s.reviewThreshold ?? s.threshold,
      blocking: s.blocking,
      ...(opts.workers ? { workers: opts.workers } : {}),
      ...(opts.maxPairs ? { maxPairs: opts.maxPairs } : {}),
      progress: p,
    });
    p.finish();
    const stat: ReportPartyPair = { partyA: A.name, partyB: (B ?? A).name, candidates: sp.candidates, compared: sp.compared, aboveThreshold: 0, reviewBand: 0, linked: 0 };
    const oa = L.offset[i]!;
    const ob = L.offset[j]!;
    let nHigh = 0;
    for (let k = 0; k < sp.score.length; k++) if (sp.score[k]! >= tHigh) nHigh++;
    out.edges.reserve(nHigh);
    out.reviewEdges.reserve(sp.score.length - nHigh);
    for (let k = 0; k < sp.a.length; k++) {
      const sc = sp.score[k]!;
      const u = oa + sp.a[k]!;
      const v = ob + sp.b[k]!;
      if (u === v) continue;
      addToHistogram(out.hist, sc);
      if (sc >= tHigh) {
        out.edges.push(u, v, sc);
        stat.aboveThreshold++;
      } else {
        out.reviewEdges.push(u, v, sc);
        stat.reviewBand++;
      }
    }
    laps.lap(`score:${stat.partyA}x${stat.partyB}`);
    if (entities && B) {
      const kept = countKeptPairs(A, B, s.blocking, truePairsBetween(entities[i]!, entities[j]!));
      stat.blocking = { truePairs: kept.total, kept: kept.kept, recall: kept.total === 0 ? 1 : kept.kept / kept.total };
      out.blockingTrue += kept.total;
      out.blockingKept += kept.kept;
    }
    out.pairStats.push(stat);
    out.pairIndex.set(i * L.parties.length + j, stat);
    if (entities && B) laps.lap(`truth:${stat.partyA}x${stat.partyB}`);
  }
  return out;
}

/** What a `model: 'fs'` run shows a measurement tool (LinkFilesOptions.onModelFit). */
export interface ModelFit {
  plan: ComparisonPlan;
  /** The party pair [i, j] of each job, in the order of the vectors' groups (i = j: pairs within one file). */
  jobs: readonly (readonly [number, number])[];
  /** Each party's name, record ids, and the offset of its records among all (the labels' index). */
  parties: readonly { name: string; ids: readonly string[]; offset: number }[];
  /** Candidate pairs of each job: record a[x] of party i with record b[x] of party j. */
  candidates: readonly { a: Uint32Array; b: Uint32Array }[];
  /** The candidates' comparison vectors (all jobs, job order; group = job). */
  vectors: ComparisonVectors;
  /** The random pairs' comparison vectors u starts from. */
  random: ComparisonVectors;
  model: FittedModel;
  weights: Float64Array;
  /** The weight of the decision point. */
  decisionW: number;
  /** Each job's duplicate bar (jobBars). */
  bars: readonly number[];
  /**
   * The run's resolution with other weights (one per candidate, in the
   * vectors' order; turned into one-to-one weights as the run's are) and,
   * optionally, other duplicate bars: the cluster label of every record
   * (index = party offset + record).
   */
  resolve: (weights: Float64Array, bars?: readonly number[]) => Uint32Array;
}

/**
 * Per job (party pair): whether its candidate pairs teach the model its m
 * and u (FitOptions.teaching). A job one of whose files holds a birth date
 * in fewer than 5 % of its records (fewWithDate) does not, when a pair of
 * two other files can: its candidates were proposed mostly by their names, so
 * among its matches the names agree by selection, not by how often a
 * person's names are recorded alike. Taught by it, the shared m put a
 * changed or misspelt name far below a match in every party pair (on
 * generated data, 200,000 people, with a wage file without birth dates: the
 * K-12 × college pairs' recall 0.9835, against 0.9894 linked without the
 * wage file and 0.9900 with it not teaching; docs/match-model.md, session
 * 43). When no pair of two files is left to teach, every job does.
 */
export function teachingJobs(jobs: readonly (readonly [number, number])[], parties: readonly Pick<PartyData, 'count' | 'header' | 'presence'>[]): boolean[] {
  const without = parties.map((p) => {
    const missing = missingFeatures(p)?.[DATE_FEATURE];
    return missing !== undefined && fewWithDate(missing, p.count);
  });
  const teaching = jobs.map(([i, j]) => !without[i] && !without[j]);
  return jobs.some(([i, j], k) => i !== j && teaching[k]) ? teaching : jobs.map(() => true);
}

/**
 * Each job's duplicate bar: the weight an edge needs to add a second record
 * of one party (DUPLICATE_SHARE of the full-agreement weight, never below
 * the decision; a within-file job's bar lower by its file's prior,
 * `duplicateBar`).
 */
export function jobBars(model: FittedModel, jobs: readonly (readonly [number, number])[], names: readonly string[], decisionW: number): number[] {
  const dupW = Math.max(decisionW, DUPLICATE_SHARE * fullAgreementWeight(model));
  const priors = jobPriors(model, jobs, names);
  return jobs.map(([i, j]) => duplicateBar(priors, names[i]!, names[j]!, dupW, decisionW));
}

function jobPriors(model: FittedModel, jobs: readonly (readonly [number, number])[], names: readonly string[]): PairPrior[] {
  return jobs.map(([i, j], k) => ({ partyA: names[i]!, partyB: names[j]!, lambda: model.lambdas?.[k] ?? model.lambda }));
}

/** What lowers one pair's duplicate bar (`pairBar`): the relief per comparison and level, and the candidates' levels. */
interface BarRelief {
  relief: readonly Float64Array[];
  /** The CLK's relief: a swapped pair's, or the shortfall of a pair whose fields agree (clkRelief; undefined without a CLK or name_dob). */
  clk: ClkRelief | undefined;
  vectors: ComparisonVectors;
}

/** The fs model's edge lists, one per resolution phase (modelEdges). */
interface ModelEdges {
  edges: EdgeList;
  dupEdges: EdgeList;
  /** Cross-party pairs within RESIDUAL_MAX_SHIFT of the decision or above (empty when the residual pass is off). */
  nearEdges: EdgeList;
  /** The pairs at or above the decision with their weights and duplicate bars (the corroborated duplicates' phase). */
  links: BarredEdges;
}

/**
 * The model's edges: candidates at or above the decision, and (dupEdges) at
 * or above their duplicate bar: their job's, lowered by DUPLICATE_SHARE of
 * what a field recorded on one side keeps them from showing (`pairBar`);
 * with the residual pass, the cross-party pairs it weighs (nearEdges).
 */
function modelEdges(L: Loaded, jobs: readonly (readonly [number, number])[], cands: readonly { a: Uint32Array; b: Uint32Array }[], weights: Float64Array, decisionW: number, bars: readonly number[], relief: BarRelief, residualPass: boolean): ModelEdges {
  const edges = new EdgeList();
  const dupEdges = new EdgeList();
  const nearEdges = new EdgeList();
  const links = new BarredEdges();
  const nearW = residualPass ? decisionW - RESIDUAL_MAX_SHIFT : Number.POSITIVE_INFINITY;
  const K = relief.vectors.defs.length;
  const sure = sureLevel(relief.vectors.defs);
  let at = 0;
  for (const [k, [i, j]] of jobs.entries()) {
    const c = cands[k]!;
    const oa = L.offset[i]!;
    const ob = L.offset[j]!;
    const pa = L.parties[i]!.presence;
    const pb = L.parties[j]!.presence;
    for (let x = 0; x < c.a.length; x++, at++) {
      const w = weights[at]!;
      if (i !== j && w >= nearW) nearEdges.push(oa + c.a[x]!, ob + c.b[x]!, w);
      if (w < decisionW) continue;
      edges.push(oa + c.a[x]!, ob + c.b[x]!, edgeScore(w));
      const bar = pairBar(bars[k]!, DUPLICATE_SHARE, relief.relief, relief.vectors.levels, at * K, decisionW, clkReliefOf(relief.clk, relief.vectors.levels, at * K, pairPresence(pa, c.a[x]!, pb, c.b[x]!)));
      if (w >= bar) dupEdges.push(oa + c.a[x]!, ob + c.b[x]!, edgeScore(w));
      links.push(oa + c.a[x]!, ob + c.b[x]!, w, bar, sure.top >= 0 && relief.vectors.levels[at * K + sure.k] === sure.top);
    }
  }
  return { edges, dupEdges, nearEdges, links };
}

/**
 * fs resolution (docs/match-model.md, "Decision and resolution"): one-to-one
 * links first, then a second record of a party (a duplicate) only through a
 * strong edge, then a record still alone through edges into one cluster that
 * together reach the bar (corroborated duplicates), then (unless the run
 * turned it off) the residual pass between records still free of each
 * other's party (one to one).
 */
function modelClusters(L: Loaded, e: ModelEdges, s: RunSettings, report?: ResidualPass, corroboratedReport?: CorroboratedPass): Clustering & { residual: EdgeList | null } {
  const decisionW = weightOfProbability(s.matchProbability);
  let proposed: EdgeList | null = null;
  const residual = (view: ClusterView): EdgeList => (proposed = residualEdges(L.parties, L.nodeParty, e.nearEdges, decisionW, view, report));
  const corroborated = (view: ClusterView): EdgeList => corroboratedEdges(e.links, view, edgeScore, corroboratedReport);
  const c = clusterRecords({
    nodeCount: L.nodeCount,
    nodeParty: L.nodeParty,
    partyCount: L.parties.length,
    maxPerParty: s.capOf,
    phases: s.residualPass ? [e.edges, e.dupEdges, corroborated, residual] : [e.edges, e.dupEdges, corroborated],
    phaseCaps: [1, s.capOf, s.capOf, 1],
  });
  if (report) report.accepted = c.acceptedPerPhase[3] ?? 0;
  if (corroboratedReport) corroboratedReport.accepted = c.acceptedPerPhase[2] ?? 0;
  return { ...c, residual: proposed };
}

/** Random pairs per party pair (and within a party) the model's u is estimated from. */
export const RANDOM_PAIRS_PER_JOB = 250_000;
/** Seed of the random-pair sample (job k uses RANDOM_PAIRS_SEED + k). */
const RANDOM_PAIRS_SEED = 1515;

/**
 * A second record of one party joins an entity only through an edge whose
 * weight reaches this share of the full-agreement weight (prior plus every
 * comparison's top level): duplicates inside one file are near copies, and
 * a one-to-one first pass keeps weaker links from chaining records together.
 * A within-file pair's bar is lower by its file's prior (`duplicateBar`).
 */
export const DUPLICATE_SHARE = 0.7;


/** Stage 2, match model: candidates per party pair (and within parties that may hold duplicates), one model fitted over all of them. */
async function scoreModel(L: Loaded, s: RunSettings, opts: LinkFilesOptions, entities: (string | undefined)[][] | undefined, prog: (label: string) => Progress, laps: Laps): Promise<Scored> {
  const P = L.parties.length;
  // levels and candidate floors relative to what unrelated records share (the first two parties' random pairs)
  const rp0 = randomPairs(L.parties[0]!.count, L.parties[1]!.count, false, RANDOM_PAIRS_PER_JOB, RANDOM_PAIRS_SEED - 1);
  const plan: ComparisonPlan = calibratePlan(comparisonPlan(L.parties[0]!), L.parties[0]!, L.parties[1]!, rp0.a, rp0.b);
  const K = plan.defs.length;
  const floors = candidateFloors(plan, (L.parties[0]!.evidence ?? []).length);
  // the CLK pass uses the blocking asked for; without one, the model's LSH (the schema's hint is tuned for Dice scoring)
  const clkBlocking = opts.blocking !== undefined ? s.blocking : MODEL_LSH;
  const out: Scored = { edges: new EdgeList(), reviewEdges: new EdgeList(), hist: emptyHistogram(), pairStats: [], pairIndex: new Map(), blockingTrue: 0, blockingKept: 0 };
  const jobs: [number, number][] = [];
  for (let i = 0; i < P; i++) {
    if (s.capOf[i]! > 1) jobs.push([i, i]);
    for (let j = i + 1; j < P; j++) jobs.push([i, j]);
  }
  const cands: { a: Uint32Array; b: Uint32Array }[] = [];
  const vecs: Uint8Array[] = [];
  // each party's LSH keys serve every job it takes part in, and are let go after its last
  const keyCache = new LshKeyCache();
  const lastJob = L.parties.map((_, p) => jobs.reduce((last, [i, j], k) => (i === p || j === p ? k : last), -1));
  const rvecs: Uint8Array[] = [];
  // the comparisons of large jobs on worker threads (the same levels: compare-pool.ts)
  const comparePool = ComparePool.open(plan, L.parties, opts.workers);
  try {
    for (const [k, [i, j]] of jobs.entries()) {
      const A = L.parties[i]!;
      const B = i === j ? null : L.parties[j]!;
      const p = prog(`candidates ${A.name} x ${(B ?? A).name}`);
      const c = await candidatePairs(A, B, {
        blocking: clkBlocking,
        floors,
        ...(opts.workers ? { workers: opts.workers } : {}),
        ...(opts.maxPairs ? { maxPairs: opts.maxPairs } : {}),
        keyCache,
        progress: p,
      });
      p.finish();
      L.parties.forEach((q, x) => {
        if (lastJob[x] !== k) return;
        keyCache.release(q.clks);
        for (const e of q.evidence ?? []) keyCache.release(e.bytes);
      });
      const rp = randomPairs(A.count, (B ?? A).count, B === null, RANDOM_PAIRS_PER_JOB, RANDOM_PAIRS_SEED + k);
      const compare = (a: Uint32Array, b: Uint32Array): Promise<Uint8Array> | Uint8Array => (comparePool ? comparePool.compare(i, j, a, b) : compareCandidates(plan, A, B ?? A, a, b).levels);
      cands.push({ a: c.a, b: c.b });
      vecs.push(await compare(c.a, c.b));
      rvecs.push(await compare(rp.a, rp.b));
      const stat: ReportPartyPair = { partyA: A.name, partyB: (B ?? A).name, candidates: c.a.length, compared: c.a.length, aboveThreshold: 0, reviewBand: 0, linked: 0 };
      laps.lap(`candidates:${stat.partyA}x${stat.partyB}`);
      if (entities) {
        const truePairs = truePairsBetween(entities[i]!, entities[j]!).filter(([x, y]) => B !== null || x < y);
        const kept = countCandidates(c.a, c.b, (B ?? A).count, truePairs);
        stat.blocking = { truePairs: truePairs.length, kept, recall: truePairs.length === 0 ? 1 : kept / truePairs.length };
        if (B) {
          out.blockingTrue += truePairs.length;
          out.blockingKept += kept;
        }
      }
      out.pairStats.push(stat);
      out.pairIndex.set(i * L.parties.length + j, stat);
    }
  } finally {
    await comparePool?.close();
  }
  // one model: m and u shared, one prior per job (party pair)
  const concat = (parts: Uint8Array[]): Uint8Array => concatTyped(parts, (n) => new Uint8Array(n));
  const count = vecs.reduce((t, x) => t + x.length / K, 0);
  const group = new Uint16Array(count);
  let at = 0;
  vecs.forEach((x, k) => {
    group.fill(k, at, at + x.length / K);
    at += x.length / K;
  });
  const cand: ComparisonVectors = { defs: plan.defs, count, levels: concat(vecs), group, groupCount: jobs.length };
  vecs.length = 0;
  const randomLevels = concat(rvecs);
  const random: ComparisonVectors = { defs: plan.defs, count: randomLevels.length / K, levels: randomLevels };
  // u re-estimated among the candidates, starting from the random pairs' u (docs/match-model.md, "Why u is re-estimated")
  // the party pairs of a file without birth dates fit their priors only: m and u are taught by the others (teachingJobs)
  const teaching = teachingJobs(jobs, L.parties);
  const anchorJobs = { pairs: jobs, records: L.parties.map((p) => p.count), teaching };
  const fixedM = anchoredM(cand, anchorJobs);
  const anchored = fitModel(cand, random, { u: 'em', teaching, ...(fixedM ? { fixedM } : {}) });
  // then every m free from there (first with the random pairs' u), kept only while one-to-one files can hold its matches (docs/match-model.md, "Refined m")
  // and never below the pairs nearly sure to be one person (a fit under that floor is flagged in the report)
  const model = fixedM
    ? refineModel(cand, anchored, {
        maxMatches: jobs.map(([i, j]) => (i === j ? Number.POSITIVE_INFINITY : Math.min(L.parties[i]!.count, L.parties[j]!.count))),
        minMatches: matchFloor(cand, cands, jobs.map(([i, j]) => i !== j)),
        heldM: refineHold(cand, fixedM),
        randomU: randomPairsU(random),
        teaching,
      })
    : anchored;
  const weights = matchWeights(model, cand);
  laps.lap('model');
  const decisionW = weightOfProbability(s.matchProbability);
  const partyNames = L.parties.map((p) => p.name);
  const priors = jobPriors(model, jobs, partyNames);
  // a duplicate (second record of one party in an entity) needs DUPLICATE_SHARE of the full-agreement weight
  const bars = jobBars(model, jobs, partyNames, decisionW);
  const relief: BarRelief = { relief: barRelief(model, plan.defs), clk: clkRelief(model, plan), vectors: cand };
  // the decision reads each pair's one-to-one weight (a record has one partner per other file)
  out.odds = candidateOdds(L, jobs, cands, weights, decisionW);
  const decided = out.odds.weights;
  const { edges, dupEdges, nearEdges, links } = modelEdges(L, jobs, cands, decided, decisionW, bars, relief, s.residualPass);
  out.edges = edges;
  out.dupEdges = dupEdges;
  out.nearEdges = nearEdges;
  out.links = links;
  opts.onModelFit?.({
    plan,
    jobs,
    parties: L.parties.map((p, x) => ({ name: p.name, ids: p.ids, offset: L.offset[x]! })),
    candidates: cands,
    vectors: cand,
    random,
    model,
    weights,
    decisionW,
    bars,
    resolve: (w, b = bars) => {
      return modelClusters(L, modelEdges(L, jobs, cands, candidateOdds(L, jobs, cands, w, decisionW).weights, decisionW, b, relief, s.residualPass), s).label;
    },
  });
  const reviewW = s.reviewThreshold !== undefined ? weightOfProbability(s.reviewThreshold) : Number.POSITIVE_INFINITY;
  at = 0;
  for (const [k, [i, j]] of jobs.entries()) {
    const c = cands[k]!;
    const stat = out.pairStats[k]!;
    const oa = L.offset[i]!;
    const ob = L.offset[j]!;
    for (let x = 0; x < c.a.length; x++, at++) {
      const w = decided[at]!;
      addToHistogram(out.hist, probabilityOfWeight(w));
      if (w >= decisionW) stat.aboveThreshold++;
      else if (w >= reviewW) {
        out.reviewEdges.push(oa + c.a[x]!, ob + c.b[x]!, probabilityOfWeight(w));
        stat.reviewBand++;
      }
    }
  }
  const summary: ModelSummary = modelSummary(model, decided, s.matchProbability);
  summary.priors = priors;
  if (!teaching.every(Boolean)) summary.em.taught = teaching;
  const counts = nameDateCounts(cand, anchorJobs);
  if (counts) {
    summary.em.anchors = counts.map((c) => c.anchors);
    if (fixedM?.[sureLevel(plan.defs).k] && counts.some((c) => c.chance !== undefined)) summary.em.marriedByChance = counts.map((c) => (c.chance === undefined ? null : { pairs: c.unique + c.shared, chance: Math.round(c.chance) }));
  }
  out.odds.bandMatches.forEach((x, b) => {
    summary.bands[b]!.matches = x;
  });
  out.model = summary;
  out.registryModel = storedMatchModel({ header: L.parties[0]!.header, plan, model, priors: summary.priors ?? [], matchProbability: s.matchProbability, reviewProbability: s.reviewThreshold, duplicateShare: DUPLICATE_SHARE });
  return out;
}

/**
 * Every candidate's odds per record and party and its one-to-one weight (a
 * within-file candidate at or above `decisionW` is a likely duplicate, not a
 * rival: expected.ts, oneToOneWeights), then the expected matches among the
 * candidates, in all and per band, with the matches the records without a
 * birth date miss beyond their candidates (missingFieldMatches; the field
 * MISSING_SIDE_CAP names).
 */
function candidateOdds(L: Loaded, jobs: readonly (readonly [number, number])[], cands: readonly { a: Uint32Array; b: Uint32Array }[], weights: Float64Array, decisionW: number): OneToOneMatches {
  return oneToOneMatches(
    L.nodeParty,
    L.parties.length,
    (f) => {
      let at = 0;
      for (const [k, [i, j]] of jobs.entries()) {
        const c = cands[k]!;
        for (let x = 0; x < c.a.length; x++, at++) f(L.offset[i]! + c.a[x]!, L.offset[j]! + c.b[x]!, weights[at]!);
      }
    },
    decisionW,
    missingOf(L, MISSING_SIDE_CAP.names!),
  );
}

/** Per node: 1 when its record lacks `field`, 0 when it holds it, 2 when its file carries no presence of it. */
function missingOf(L: Loaded, field: string): Uint8Array {
  const out = new Uint8Array(L.nodeCount).fill(2);
  for (const [i, p] of L.parties.entries()) {
    const mask = presenceMask(p.header.presence ?? [], [field]);
    if (mask === 0 || !p.presence) continue;
    for (let r = 0; r < p.count; r++) out[L.offset[i]! + r] = p.presence[r]! & mask ? 0 : 1;
  }
  return out;
}

/** How many of the true pairs (a, b) are among the candidates (sorted by a, then b). */
function countCandidates(ca: Uint32Array, cb: Uint32Array, nB: number, truePairs: readonly [number, number][]): number {
  let kept = 0;
  for (const [x, y] of truePairs) {
    const key = x * nB + y;
    let lo = 0;
    let hi = ca.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ca[mid]! * nB + cb[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    if (lo < ca.length && ca[lo] === x && cb[lo] === y) kept++;
  }
  return kept;
}

interface Resolved {
  clustering: Clustering;
  ci: ClusterIndex;
  linkHist: LinkRunReport['linkScoreHistogram'];
}

/** Stage 3 (resolve): clusters from the edges at or above the threshold, at most maxPerParty records of a party each. */
function resolveClusters(L: Loaded, sc: Scored, s: RunSettings): Resolved {
  // fs: one-to-one links first, then a second record of a party (a duplicate) only through a strong edge or corroborating edges, then the residual pass (modelClusters)
  if (s.model === 'fs' && sc.dupEdges && s.residualPass) sc.residual = { pairs: [], accepted: 0 };
  let clustering: Clustering;
  if (s.model === 'fs' && sc.dupEdges && sc.nearEdges && sc.links) {
    sc.corroborated = { proposed: 0, links: 0, accepted: 0 };
    const c = modelClusters(L, { edges: sc.edges, dupEdges: sc.dupEdges, nearEdges: sc.nearEdges, links: sc.links }, s, sc.residual, sc.corroborated);
    // the report's expected quality is that of the links the resolution made
    const decisionW = weightOfProbability(s.matchProbability);
    if (sc.model && sc.odds) sc.model.expected = { ...expectedQuality(c.label, sc.odds, decisionW, s.residualPass ? decisionW - RESIDUAL_MAX_SHIFT : Number.POSITIVE_INFINITY, c.residual), missingDate: sc.odds.missingField };
    // a registry keeps the free shares its increments' residual pass weighs with (match-model.ts residualShare)
    if (sc.registryModel && sc.residual) sc.registryModel.freeShares = sc.residual.pairs.map(({ partyA, partyB, freeA, freeB }) => ({ partyA, partyB, freeA, freeB }));
    sc.odds = undefined;
    clustering = c;
  } else clustering = clusterRecords({ nodeCount: L.nodeCount, nodeParty: L.nodeParty, partyCount: L.parties.length, maxPerParty: s.capOf, phases: [sc.edges] });
  if (s.model === 'fs') {
    // edge scores were weights (edgeScore): report match probabilities
    const toP = probabilityOfEdgeScore;
    for (let n = 0; n < L.nodeCount; n++) {
      clustering.best[n] = toP(clustering.best[n]!);
      clustering.clusterScore[n] = toP(clustering.clusterScore[n]!);
    }
  }
  const ci = indexClusters(clustering.label);
  const linkHist = emptyHistogram();
  for (let n = 0; n < L.nodeCount; n++) if (!Number.isNaN(clustering.best[n]!)) addToHistogram(linkHist, clustering.best[n]!);
  return { clustering, ci, linkHist };
}

/** Stage 4 (assign IDs): every cluster's linkage ID, kept from the registry where it can be. */
function assignLinkageIds(L: Loaded, r: Resolved, db: Db | undefined): Assignment {
  const prior = db ? priorEntities(db, (n) => partyOfNode(L, n).name, (n) => idOfNode(L, n), L.nodeCount) : new Array<string | undefined>(L.nodeCount).fill(undefined);
  return assignIds({
    clusters: r.ci,
    prior,
    createdRun: db ? createdRunLookup(db) : () => 0,
    nodeKey: (n) => `${partyOfNode(L, n).name}\u0000${idOfNode(L, n)}`,
    newId: freshIdSource(db),
  });
}

interface Summary {
  linkedRecords: number;
  linkedPerParty: number[];
}

/** Stage 5 (summarize): linked records per party, and linked pairs per party pair (added to sc.pairStats). */
function summarize(L: Loaded, r: Resolved, sc: Scored): Summary {
  const P = L.parties.length;
  const perParty = new Uint32Array(P);
  const linkedPerParty = new Array<number>(P).fill(0);
  let linkedRecords = 0;
  // members by index (no view per cluster)
  const { start, nodes } = r.ci;
  for (let c = 0; c < r.ci.count; c++) {
    const size = start[c + 1]! - start[c]!;
    if (size < 2) continue;
    linkedRecords += size;
    perParty.fill(0);
    for (let k = start[c]!; k < start[c + 1]!; k++) perParty[L.nodeParty[nodes[k]!]!]!++;
    for (let i = 0; i < P; i++) {
      linkedPerParty[i]! += perParty[i]!;
      for (let j = i; j < P; j++) {
        const st = sc.pairIndex.get(i * P + j);
        if (!st) continue;
        st.linked += i === j ? (perParty[i]! * (perParty[i]! - 1)) / 2 : perParty[i]! * perParty[j]!;
      }
    }
  }
  return { linkedRecords, linkedPerParty };
}

/** Links-file rows written at a time. */
const OUTPUT_PIECE = 8192;

/** Stage 6a (stage outputs): the links files and review.csv, as hidden temp files (pushed onto `staged`). */
async function stageResultFiles(
  L: Loaded,
  r: Resolved,
  sc: Scored,
  sum: Summary,
  assignment: Assignment,
  s: RunSettings,
  outDir: string,
  staged: StagedFile[],
): Promise<{ parties: LinkRunReport['parties']; review: string | null }> {
  const parties: LinkRunReport['parties'] = [];
  for (const [k, party] of L.parties.entries()) {
    const f = new StagedFile(outDir, linksFileName(party.name));
    staged.push(f);
    // rows in pieces of OUTPUT_PIECE lines, one write each (not one awaited call per row): the same bytes
    let piece: string[] = [csvLine([...LINKS_HEADER])];
    for (let i = 0; i < party.count; i++) {
      const node = L.offset[k]! + i;
      piece.push(csvLine(linksRow(party.ids[i]!, assignment.clusterId[r.ci.of[node]!]!, r.clustering.best[node]!)));
      if (piece.length >= OUTPUT_PIECE) {
        await f.text(piece.join(''));
        piece = [];
      }
    }
    if (piece.length > 0) await f.text(piece.join(''));
    const sha = await f.finish();
    const linked = sum.linkedPerParty[k]!;
    parties.push(reportParty(party, linked, f.name, sha));
  }
  if (s.reviewThreshold === undefined) return { parties, review: null };
  const f = new StagedFile(outDir, REVIEW_FILE);
  staged.push(f);
  await f.line([...REVIEW_HEADER]);
  const rs = sc.reviewEdges.sorted();
  for (let k = 0; k < rs.u.length; k++) {
    const u = rs.u[k]!;
    const v = rs.v[k]!;
    await f.row(reviewRow({ partyA: partyOfNode(L, u).name, idA: idOfNode(L, u), partyB: partyOfNode(L, v).name, idB: idOfNode(L, v), score: rs.score[k]! }));
  }
  await f.finish();
  return { parties, review: f.name };
}

/** Stage 6b: the run report (run-report.json's content). */
function buildReport(
  x: { runId: string; startedAt: Date; opts: LinkFilesOptions; s: RunSettings; L: Loaded; sc: Scored; r: Resolved; sum: Summary; assignment: Assignment; files: { parties: LinkRunReport['parties']; review: string | null }; entities: (string | undefined)[][] | undefined },
): LinkRunReport {
  const { opts, s, L, sc, r, sum, assignment, files } = x;
  const status = { kept: 0, new: 0, merged: 0, split: 0 };
  for (const st of assignment.status) status[st]++;
  const report: LinkRunReport = {
    format: LINK_REPORT_FORMAT,
    version: LINK_REPORT_VERSION,
    runId: x.runId,
    tool: `p20link ${TOOL_VERSION}`,
    startedAt: x.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    inputs: L.inputs,
    parameters: {
      threshold: s.threshold,
      reviewThreshold: s.reviewThreshold ?? null,
      blocking: formatBlockingSpec(s.blocking),
      maxPerParty: s.maxPerParty,
      workers: opts.workers ?? null,
      store: opts.store ?? null,
      truth: opts.truth ?? null,
      model: s.model,
      ...(s.model === 'fs' ? { matchProbability: s.matchProbability, deduplicated: s.deduplicated, residualPass: s.residualPass } : {}),
    },
    counts: reportCounts({ records: L.nodeCount, clusters: r.ci.count, linkedRecords: sum.linkedRecords, clustering: r.clustering, pairStats: sc.pairStats, reviewPairs: sc.reviewEdges.length }),
    parties: files.parties,
    partyPairs: sc.pairStats,
    clusterSizes: clusterSizes(r.ci),
    scoreHistogram: sc.hist,
    linkScoreHistogram: r.linkHist,
    registry: {
      store: opts.store ?? null,
      ...status,
      mergeEvents: assignment.events.filter((e) => e.event === 'merge').length,
      splitEvents: assignment.events.filter((e) => e.event === 'split').length,
    },
    outputs: { dir: opts.outDir, files: files.parties.map((p) => p.output), review: files.review, report: REPORT_FILE },
    // the threshold warnings concern the Dice threshold; the model's fit is checked against its floor of sure pairs
    warnings: [
      ...missingDateWarnings(files.parties),
      ...(s.model === 'fs' ? (sc.model ? modelWarnings(sc.model) : []) : linkWarnings(sc.pairStats, new Map(L.parties.map((p) => [p.name, p.count])), s.maxPerParty, s.threshold, s.reviewThreshold)),
    ],
  };
  if (sc.model) report.model = { ...sc.model, ...(sc.residual ? { residual: sc.residual } : {}), ...(sc.corroborated ? { corroborated: sc.corroborated } : {}) };
  if (x.entities && opts.truth) {
    const flat: (string | undefined)[] = [];
    for (const e of x.entities) for (const v of e) flat.push(v);
    report.truth = {
      file: opts.truth,
      ...pairQuality(r.ci.of, flat),
      blockingTruePairs: sc.blockingTrue,
      blockingKept: sc.blockingKept,
      blockingRecall: sc.blockingTrue === 0 ? 1 : sc.blockingKept / sc.blockingTrue,
    };
  }
  return report;
}

/**
 * Stage 7 (record the run): registry and audit log in one short write
 * transaction. No lock is held while the run works; the registry state it
 * built on is pinned by the latest run's number `registrySeq`, and if another
 * run was recorded meanwhile this one is refused (STORE_CHANGED) with nothing
 * written.
 */
function recordRun(
  db: Db,
  storePath: string,
  registrySeq: number,
  report: LinkRunReport,
  L: Loaded,
  r: Resolved,
  assignment: Assignment,
  registryModel: StoredMatchModel | undefined,
  progress: (label: string) => Progress,
): void {
  writeTransaction(db, () => {
    if (lastRunSeq(db) !== registrySeq) {
      throw new P20Error(
        'STORE_CHANGED',
        'another link run was recorded in this linker store while this run was working, so the linkage IDs of this run could conflict with its; nothing was written: run again',
        { file: storePath },
      );
    }
    const inputs = report.inputs;
    registerRun(db, {
      run: {
        runId: report.runId,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        tool: report.tool,
        inputs: inputs.map((x) => ({ party: x.party, file: basename(x.file), sha256: x.sha256, schemaFingerprint: x.schemaFingerprint, keyCheckValue: x.keyCheckValue, l: x.l, records: x.records })),
        parameters: report.parameters,
        counts: report.counts,
      },
      clusters: r.ci,
      assignment,
      nodeParty: (n) => partyOfNode(L, n).name,
      nodeId: (n) => idOfNode(L, n),
    });
    // keep the encodings and band keys so later runs can be incremental (src/link/registry/incremental-run.ts)
    storeFullRunEncodings(db, L.parties, report.parameters, { registryModel, progress });
    const p = report.parameters;
    const { kept, new: fresh, merged, split } = report.registry;
    appendAudit(db, {
      type: 'link-run',
      detail: {
        runId: report.runId,
        inputs: inputs.map((x) => ({ party: x.party, sha256: x.sha256, schemaFingerprint: x.schemaFingerprint, records: x.records })),
        parameters: { threshold: p.threshold, reviewThreshold: p.reviewThreshold, maxPerParty: p.maxPerParty, blocking: p.blocking },
        counts: { ...report.counts },
        registry: { kept, new: fresh, merged, split },
        outputs: report.parties.map((x) => ({ party: x.party, file: x.output, sha256: x.outputSha256 })),
      },
    });
  });
}

/** Checks that need no body: settings resolved, inputs compatible, block columns present; the truth read. */
async function prepareRun(opts: LinkFilesOptions): Promise<{ headers: InputHeader[]; s: RunSettings; truth: TruthRecord[] | undefined }> {
  // headers first: refuse incompatible inputs before reading any body
  const headers = await readInputHeaders(opts.inputs);
  const s = await settingsOf(opts, headers);
  checkCompatible(headers);
  checkBlockColumns(s.blocking, headers);
  const truth = opts.truth ? await readTruth(opts.truth) : undefined;
  return { headers, s, truth };
}

export async function linkFiles(opts: LinkFilesOptions): Promise<LinkRunReport> {
  checkOptions(opts);
  // the store's registry holds encodings (or one file is given): link the files incrementally against it (docs/registry.md)
  if (isIncrementalRun(opts, openLinkerStore)) return linkIncremental(opts, openLinkerStore);
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const prog = opts.progress ?? (() => silentProgress);
  const { headers, s, truth } = await prepareRun(opts);

  let db: Db | undefined;
  const staged: StagedFile[] = [];
  try {
    // the registry state this run builds on is pinned by the latest run's number (checked again in recordRun)
    db = opts.store ? openLinkerStore(opts.store) : undefined;
    const registrySeq = db ? lastRunSeq(db) : 0;
    // the output directory must be new, empty or an earlier output of this store (src/link/out-dir.ts)
    const prevOutput = await claimOutDir(opts.outDir, db, opts.store);
    const laps = new Laps();

    const L = await loadInputs(headers, prog);
    laps.lap('load');
    const entities = truth ? truthEntities(truth, L.parties) : undefined;
    const sc = s.model === 'fs' ? await scoreModel(L, s, opts, entities, prog, laps) : await scoreAll(L, s, opts, entities, prog, laps);
    const r = resolveClusters(L, sc, s);
    laps.lap('resolve');
    const assignment = assignLinkageIds(L, r, db);
    laps.lap('ids');
    const sum = summarize(L, r, sc);
    const files = await stageResultFiles(L, r, sc, sum, assignment, s, opts.outDir, staged);
    laps.lap('outputs');
    const report = buildReport({ runId, startedAt, opts, s, L, sc, r, sum, assignment, files, entities });
    report.timings = laps.timings;
    const rf = new StagedFile(opts.outDir, REPORT_FILE);
    staged.push(rf);
    await rf.text(runReportText(report));
    await rf.finish();

    if (db) {
      recordRun(db, opts.store!, registrySeq, report, L, r, assignment, sc.registryModel, prog);
      laps.lap('registry');
    }
    // publish the files only after the run is recorded
    await commitAll(staged);
    await removeStaleOutputs(opts.outDir, prevOutput, staged.map((f) => f.name));
    return report;
  } catch (e) {
    await abortAll(staged);
    if (db?.inTransaction) db.exec('ROLLBACK');
    throw e;
  } finally {
    db?.close();
  }
}
