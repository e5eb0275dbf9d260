/**
 * The run report (`run-report.json`): what the linker did, for the linker's
 * records and for the agencies' data stewards. JSON Schema:
 * protocols/link-report.schema.json. It holds counts, fingerprints and
 * parameters only: no CLKs, no record ids.
 */
import type { PairQuality } from './truth.js';

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
}

export interface ReportParty {
  party: string;
  records: number;
  /** Records linked to at least one record of another party (or, with max-per-party > 1, any other record). */
  linked: number;
  singletons: number;
  output: string;
  outputSha256: string;
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
   * too large to review. Absent in reports of earlier versions.
   */
  warnings?: string[];
  /**
   * Wall-clock seconds per stage (load, score:AxB, truth:AxB, resolve, ids,
   * outputs, registry). The registry commit happens after run-report.json is
   * written, so the file lacks "registry"; the returned object has it.
   */
  timings?: Record<string, number>;
}

export function emptyHistogram(): ScoreHistogram {
  return { binWidth: 0.01, counts: new Array<number>(101).fill(0) };
}

/** Bin of a score: floor(score * 100) with a tiny tolerance for float32 rounding (0.7f is 0.69999999). */
export function scoreBin(s: number): number {
  const k = Math.floor(s * 100 + 1e-4);
  return k < 0 ? 0 : k > 100 ? 100 : k;
}

export function addToHistogram(h: ScoreHistogram, s: number): void {
  h.counts[scoreBin(s)]!++;
}

/** The review band is called huge when it lists more than this many pairs per record of the smaller file. */
export const REVIEW_BAND_WARN_FACTOR = 10;

/**
 * Warnings a data steward should see before trusting a run (printed by
 * `p20link link`, kept in run-report.json):
 *
 * - more pairs of two parties score at or above the threshold than
 *   `maxPerParty` times the smaller file has records: at most that many links
 *   between the two files can be right, so the threshold is too low for
 *   these files (typical when the files overlap only partly: records without
 *   a true partner find a false one);
 * - the review band lists more than REVIEW_BAND_WARN_FACTOR pairs per record
 *   of the smaller file: too many to review by hand.
 */
export function linkWarnings(pairs: readonly ReportPartyPair[], records: ReadonlyMap<string, number>, maxPerParty: number, threshold: number, reviewThreshold: number | undefined): string[] {
  const out: string[] = [];
  const n = (x: number) => x.toLocaleString('en-US');
  for (const p of pairs) {
    if (p.partyA === p.partyB) continue;
    const a = records.get(p.partyA) ?? 0;
    const b = records.get(p.partyB) ?? 0;
    const small = Math.min(a, b);
    const smaller = a <= b ? p.partyA : p.partyB;
    const cap = small * maxPerParty;
    if (p.aboveThreshold > cap) {
      out.push(
        `${p.partyA} x ${p.partyB}: ${n(p.aboveThreshold)} pairs score at or above the threshold ${threshold}, more than the ${n(small)} records of the smaller file (${smaller})` +
          (maxPerParty > 1 ? ` times max-per-party ${maxPerParty}` : '') +
          `; at most ${n(cap)} of them can be true links, so many links are likely false: raise --threshold (files that overlap only partly need a higher one)`,
      );
    }
    if (reviewThreshold !== undefined && p.reviewBand > REVIEW_BAND_WARN_FACTOR * small) {
      out.push(
        `${p.partyA} x ${p.partyB}: the review band [${reviewThreshold}, ${threshold}) lists ${n(p.reviewBand)} pairs, more than ${REVIEW_BAND_WARN_FACTOR} per record of the smaller file (${smaller}, ${n(small)} records); raise --review-threshold`,
      );
    }
  }
  return out;
}
