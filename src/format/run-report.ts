/**
 * The run report contract (`run-report.json`): what the linker did, for the
 * linker's records and for the agencies' data stewards, and the manifest of
 * a run's output directory. JSON Schema: protocols/link-report.schema.json.
 * It holds counts, fingerprints and parameters only: no CLKs, no record ids.
 * Written by `p20link link` (`runReportText`), read strictly (`readRunReport`:
 * validated against the JSON Schema) by the out-dir check and `p20link report`.
 */
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type ErrorCode, P20Error, fsError } from '../errors.js';
import { findProtocolFile } from '../schema/linkage-schema.js';
import type { Ajv, ValidateFunction } from 'ajv';
import { newAjv } from '../util/lazy-deps.js';
import { firstAjvError } from '../util/json-spec.js';

export const REPORT_FILE = 'run-report.json';
export const LINK_REPORT_SCHEMA_FILE = 'protocols/link-report.schema.json';

/** Pairwise quality of a clustering against the truth (see src/link/truth.ts pairQuality). */
export interface PairQuality {
  /** Record pairs the truth says are the same person (among this run's records). */
  truePairs: number;
  /** Record pairs the linkage put into one cluster. */
  linkedPairs: number;
  /** Linked pairs that are true pairs. */
  correctPairs: number;
  precision: number;
  recall: number;
  f1: number;
}

export const LINK_REPORT_FORMAT = 'p20link/link-report';
export const LINK_REPORT_VERSION = 1;

export interface ReportInput {
  party: string;
  file: string;
  sha256: string;
  schemaFingerprint: string;
  keyCheckValue: string;
  l: number;
  records: number;
  encodedBy: string;
  encodedAt: string;
}

export interface ReportParameters {
  threshold: number;
  reviewThreshold: number | null;
  /** Blocking spec in canonical text form (see --blocking). */
  blocking: string;
  maxPerParty: number;
  workers: number | null;
  store: string | null;
  truth: string | null;
  /** How pairs were scored: 'dice' (CLK Dice against threshold) or 'fs' (match model; docs/match-model.md). Absent in reports of earlier versions (= 'dice'). */
  model?: 'fs' | 'dice';
  /** 'fs': the decision point (match probability). */
  matchProbability?: number;
  /** 'fs': parties declared deduplicated (kept 1:1). */
  deduplicated?: string[];
  /** 'fs': whether resolution ran the residual pass (absent in earlier reports = true). */
  residualPass?: boolean;
}

export interface ReportParty {
  party: string;
  records: number;
  /** Records linked to at least one record of another party (or, with max-per-party > 1, any other record). */
  linked: number;
  singletons: number;
  output: string;
  outputSha256: string;
  /**
   * Per presence feature of the party's encoded file (header.presence), the
   * records without it; absent when the file carries no presence.
   */
  missing?: Record<string, number>;
}

export interface ReportPartyPair {
  partyA: string;
  partyB: string;
  /** Pairs the blocking proposed. */
  candidates: number;
  /** Pairs the kernel compared (after the popcount bound). */
  compared: number;
  /** Scored pairs at or above the match threshold. */
  aboveThreshold: number;
  /** Scored pairs in [reviewThreshold, threshold). */
  reviewBand: number;
  /** Pairs that ended in one cluster after resolution. */
  linked: number;
  /** Only with --truth: true pairs between the two parties and how many the blocking kept. */
  blocking?: { truePairs: number; kept: number; recall: number };
}

export interface ScoreHistogram {
  binWidth: 0.01;
  /** counts[k] = pairs with k/100 <= score < (k+1)/100 (k = 100: score 1). */
  counts: number[];
}

export interface ModelSummaryLevel {
  label: string;
  m: number;
  u: number;
  /** log2(m/u): the level's contribution to the match weight. */
  weight: number;
}

/** What the run report shows of a fitted model (protocols/link-report.schema.json, `model`). */
export interface ModelSummary {
  /** ordered false: the levels are categories (the joint name_dob; place: which of ZIP and middle initial agree), their weights need not fall level by level. */
  comparisons: { name: string; ordered?: false; levels: ModelSummaryLevel[] }[];
  /**
   * 'registry': an increment's report (docs/registry.md): m, u, the priors
   * and `em` are the registry's stored model, fitted by the full run that
   * built it (an increment does not refit; `em` then counts nothing); the
   * bands, histogram and expected quality are the increment's own pairs.
   * Absent: the run fitted the model itself.
   */
  source?: 'registry';
  lambda: number;
  /** The decision point: links are pairs with one-to-one probability >= probability (weight = log2 odds of it; docs/match-model.md, "Decision and resolution"). */
  decision: { probability: number; weight: number };
  /**
   * From the model's own probabilities, no truth (docs/match-model.md, "What
   * the run report shows"). After a run's resolution: precision and recall of
   * the candidate pairs it weighed and put in one entity (`links`), against
   * the expected matches among the candidates with one partner per record
   * and party (`matches`). Without `matches` (the model alone, before any
   * resolution): over the pairs at or above the decision, recall against
   * Σ p of every candidate. `missingDate` (a run's report): the part of
   * `matches` that the records without a birth date are expected to have
   * beyond their candidates (as many partners per record as the records
   * with one; `missingFieldMatches` in src/link/model/expected.ts).
   */
  expected: { precision: number; recall: number; links: number; matches?: number; missingDate?: number };
  /**
   * Per band [from, to) of the one-to-one probability (the decision's):
   * pairs and their mean probability (the band's expected precision), and (a
   * run's report) the band's share of `expected.matches`: its pairs'
   * one-to-one probabilities summed.
   */
  bands: { from: number; to: number; pairs: number; expectedPrecision: number; matches?: number }[];
  /** Histogram of the one-to-one weights (1-bit bins [lo, hi)). */
  histogram: { lo: number; hi: number; pairs: number }[];
  em: {
    iterations: number;
    converged: boolean;
    /** Free EM from the anchored fit (docs/match-model.md, "Refined m"): kept or not, its iterations, whether it stopped at the one-to-one bound, per party pair (the priors' order) the kept fit's expected matches against that bound (null: within one file, no bound), where EM started (`start`: the random pairs' u or the anchored fit's), and the fewest matches a fit should hold (`minMatches`, anchors.ts matchFloor; `atFloor` when EM stopped there, `belowFloor` when the kept fit holds fewer in some party pair). */
    refinement?: { accepted: boolean; iterations: number; converged: boolean; atBound?: boolean; expectedMatches: number[]; maxMatches: (number | null)[]; start?: 'random-u' | 'anchored'; minMatches?: number[]; atFloor?: boolean; belowFloor?: boolean };
    /** Per party pair (the priors' order), the anchors of `name_dob`'s m among its candidates: ZIP5 and birth date agree, and the initial where both hold one (anchors.ts nameDateCounts). A file's pairs with itself count toward m only when the party pairs of two files hold fewer than 50 (anchors.ts anchoredM). A full run only. */
    anchors?: number[];
    /** Per party pair (the priors' order), where it had no anchors of its own (a file without ZIPs) and its married names were counted by chance coincidences: its candidates sharing the first name and birth date under another surname (`pairs`) and the namesakes among them expected by chance (`chance`); null elsewhere (anchors.ts nameChangesByChance). Absent when no party pair was counted so. */
    marriedByChance?: ({ pairs: number; chance: number } | null)[];
    /** Per party pair (the priors' order), whether its candidates taught m and u: not those of a file with a birth date in fewer than 5 % of its records, whose candidates its names alone proposed (link-files.ts teachingJobs); their priors are fitted all the same. Absent when every party pair's did. */
    taught?: boolean[];
  };
  /** The prior (share of matches among the candidate pairs) of each party pair, when the linker fitted one per pair. */
  priors?: { partyA: string; partyB: string; lambda: number }[];
  /**
   * The residual pass (docs/match-model.md, "Decision and resolution"): per
   * party pair the shares of each party's records left free of the other's
   * party by the first phases, the bits a pair of two free records gains,
   * the pairs it proposed; and how many of them joined two clusters.
   */
  residual?: { pairs: { partyA: string; partyB: string; freeA: number; freeB: number; shift: number; proposed: number }[]; accepted: number };
  /**
   * The corroborated duplicates (docs/match-model.md, "Decision and
   * resolution"): records left alone by the one-to-one and duplicate phases
   * whose links into one cluster, summed, reach the duplicate bar (proposed),
   * the links summed for them, and how many joined (accepted).
   */
  corroborated?: { proposed: number; links: number; accepted: number };
}

export interface LinkRunReport {
  format: typeof LINK_REPORT_FORMAT;
  version: typeof LINK_REPORT_VERSION;
  runId: string;
  tool: string;
  startedAt: string;
  finishedAt: string;
  inputs: ReportInput[];
  parameters: ReportParameters;
  counts: {
    records: number;
    clusters: number;
    linkedRecords: number;
    singletons: number;
    /** Edges accepted by resolution. */
    acceptedLinks: number;
    /** Edges at or above the threshold refused by the max-per-party rule. */
    refusedLinks: number;
    candidates: number;
    compared: number;
    reviewPairs: number;
  };
  parties: ReportParty[];
  partyPairs: ReportPartyPair[];
  /** Number of clusters of each size ("1": singletons, "2": pairs, ...). */
  clusterSizes: Record<string, number>;
  /** All scored pairs (score >= the lower of the two thresholds). */
  scoreHistogram: ScoreHistogram;
  /** Scores of the links resolution accepted. */
  linkScoreHistogram: ScoreHistogram;
  registry: {
    store: string | null;
    /** Clusters by how their ID came about. */
    kept: number;
    new: number;
    merged: number;
    split: number;
    mergeEvents: number;
    splitEvents: number;
  };
  truth?: PairQuality & {
    file: string;
    blockingTruePairs: number;
    blockingKept: number;
    blockingRecall: number;
  };
  outputs: { dir: string; files: string[]; review: string | null; report: string };
  /**
   * Plain-language warnings about the run's settings (see linkWarnings): too
   * many pairs at or above the threshold for the files' sizes, a review band
   * too large to review; a party more than a tenth of whose records lack
   * the birth date (missingDateWarnings); with the match model
   * (modelWarnings), a party pair whose fit expects fewer matches than its
   * floor or with almost no anchors, or a fit EM was stopped at that floor.
   * Absent in reports of earlier versions.
   */
  warnings?: string[];
  /**
   * Wall-clock seconds per stage (load, score:AxB, truth:AxB, resolve, ids,
   * outputs, registry). The registry commit happens after run-report.json is
   * written, so the file lacks "registry"; the returned object has it.
   */
  timings?: Record<string, number>;
  /**
   * Only with the match model ('fs'): the fitted model (one for the run: m
   * and u shared by all party pairs, a prior per party pair in `priors`),
   * the decision point, expected precision and recall from the model's own
   * probabilities, per-band expected precision, the match-weight histogram.
   * With 'fs', scores in the histograms, links and review files are match
   * probabilities.
   */
  model?: ModelSummary;
}

/** The text of run-report.json (the writer: 2-space JSON and a final newline). */
export function runReportText(report: LinkRunReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

let ajv: Ajv | undefined;
let schemaId = '';
const compiled = new Map<string, ValidateFunction>();
/** A validator for the run report's JSON Schema, or for the part of it at `pointer` (e.g. "/definitions/histogram"). */
function validator(pointer = ''): ValidateFunction {
  let v = compiled.get(pointer);
  if (v === undefined) {
    if (ajv === undefined) {
      const schema = JSON.parse(readFileSync(findProtocolFile(LINK_REPORT_SCHEMA_FILE), 'utf8')) as { $id: string };
      ajv = newAjv({ allErrors: false, strict: false });
      ajv.addSchema(schema);
      schemaId = schema.$id;
    }
    v = ajv.compile({ $ref: `${schemaId}#${pointer}` });
    compiled.set(pointer, v);
  }
  return v;
}

/**
 * Check a parsed document against protocols/link-report.schema.json (or
 * against the part of it at the JSON pointer `pointer`); returns the first
 * problem (dotted field, message) or undefined.
 */
export function runReportProblem(doc: unknown, pointer = ''): { field: string; message: string } | undefined {
  const v = validator(pointer);
  return v(doc) ? undefined : firstAjvError(v.errors);
}

/**
 * Read a run report (strict): it must be JSON, have format
 * "p20link/link-report" and validate against the JSON Schema. Returns
 * undefined when the file does not exist and `allowMissing` is set.
 * Refusals are `code` (exit 2) with file and field.
 */
export async function readRunReport(path: string, code: ErrorCode): Promise<LinkRunReport>;
export async function readRunReport(path: string, code: ErrorCode, allowMissing: true): Promise<LinkRunReport | undefined>;
export async function readRunReport(path: string, code: ErrorCode, allowMissing = false): Promise<LinkRunReport | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (allowMissing && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(e, path, 'cannot read the run report', code);
  }
  return parseRunReport(text, path, code);
}

/** Parse and check run-report.json text (see readRunReport). */
export function parseRunReport(text: string, path: string, code: ErrorCode): LinkRunReport {
  const bad = (why: string, field?: string): never => {
    throw new P20Error(code, `is not a p20link link run report (${why})`, field === undefined ? { file: path } : { file: path, field });
  };
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  if (typeof j !== 'object' || j === null || (j as { format?: unknown }).format !== LINK_REPORT_FORMAT) return bad(`format is not "${LINK_REPORT_FORMAT}"`, 'format');
  const p = runReportProblem(j);
  if (p) return bad(`${p.field} ${p.message}`, p.field);
  const r = j as LinkRunReport;
  // output names must be plain file names in the run's directory
  const plain = (n: string): boolean => n.length > 0 && basename(n) === n && n !== '.' && n !== '..';
  for (const [k, q] of r.parties.entries()) if (!plain(q.output)) bad('a party\'s output is not a plain file name', `parties.${k}.output`);
  if (r.outputs.review !== null && !plain(r.outputs.review)) bad('outputs.review is not a plain file name', 'outputs.review');
  if (!plain(r.outputs.report)) bad('outputs.report is not a plain file name', 'outputs.report');
  return r;
}
