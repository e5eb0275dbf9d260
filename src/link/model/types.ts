/**
 * Types of the Fellegi–Sunter match model (docs/match-model.md).
 *
 * A comparison (e.g. `names`) has agreement levels, most agreement first;
 * every candidate pair gets one level per comparison, or NULL_LEVEL when the
 * comparison has no evidence for that pair (a field missing on either side),
 * which contributes nothing to the match weight.
 */

/** Level index meaning "no evidence" (a field missing on either side). */
export const NULL_LEVEL = 255;

export interface ComparisonDef {
  name: string;
  /** Level labels, most agreement first (last = lowest agreement); the null level is handled separately. */
  levels: string[];
  /**
   * false: the levels are categories, not one scale of agreement (name_dob:
   * which name agrees, whether its value is unique; place: which of ZIP5,
   * ZIP3 and the middle initial agree),
   * so their weights are not made monotone (em.ts enforceMonotone). Default:
   * ordered.
   */
  ordered?: false;
  /**
   * Per level, the best level a pair at that level could reach with the
   * fields both records hold: the top (0), unless the level says a field is
   * recorded on one side only (`place`'s `… mi ?` levels reach at most
   * `zip5,mi ?`). Absent: every level can reach the top. Used by the
   * duplicate bar (predict.ts `barRelief`): a field missing on one side is no
   * evidence, for or against.
   */
  reach?: number[];
}

export interface ComparisonVectors {
  defs: ComparisonDef[];
  /** Number of pairs. */
  count: number;
  /** count * defs.length level indices, pair-major (pair p, comparison k at p*defs.length + k); NULL_LEVEL = no evidence. */
  levels: Uint8Array;
  /**
   * Optional group of each pair (e.g. the party pair it comes from): the model
   * then fits one prior λ per group (m and u are shared). Values < groupCount.
   */
  group?: Uint16Array;
  groupCount?: number;
}

export interface FittedModel {
  defs: ComparisonDef[];
  /**
   * The prior of the weight formula (probability = λ∏m / (λ∏m + (1−λ)∏u)):
   * the share of matches among the candidates, or with a selection
   * (FitOptions.selection) the effective prior that gives the same posterior
   * with the untruncated u (see em.ts).
   */
  lambda: number;
  /** Per-group prior when the candidates carried groups (same order as the group numbers). */
  lambdas?: number[];
  /** With a selection: the share of matches among the candidates (all groups). */
  candidateShare?: number;
  /** With a selection: u(S), the probability that a random pair would have been selected. */
  selected?: number;
  /** m[k][l] = P(level l of comparison k | match, comparison not null). */
  m: number[][];
  /** u[k][l] = P(level l of comparison k | non-match, comparison not null), from random pairs (or EM, see FitOptions.u). */
  u: number[][];
  iterations: number;
  converged: boolean;
  /** When the fit was refined by free EM (em.ts refineModel): what it did, kept or not. */
  refinement?: Refinement;
  /** Levels pooled to make the weights monotone (comparison name → pooled level ranges), when EM did not give it. */
  pooled?: { comparison: string; from: number; to: number }[];
}

/** What refineModel did (FittedModel.refinement, the run report's `em.refinement`). */
export interface Refinement {
  /** Whether the refined fit was kept: false when not one EM step stayed within the bounds (the start is kept). */
  accepted: boolean;
  /** EM steps kept. */
  iterations: number;
  converged: boolean;
  /** EM stopped at its last step within the bounds (the next one would have held more matches than a bound). */
  atBound: boolean;
  /** The kept fit's expected matches per group (Σ of its match probabilities; refused: the start's), and the bounds. */
  expectedMatches: number[];
  maxMatches: number[];
  /** Where EM started (RefineOptions.randomU): from the random pairs' u, or the start's (anchored) u; absent without randomU. */
  start?: 'random-u' | 'anchored';
  /**
   * RefineOptions.minMatches per group (anchors.ts matchFloor), whether EM
   * stopped at its last step at or above it (`atFloor`), and whether the
   * kept fit's expected matches fall below it in some group (`belowFloor`:
   * the refinement was refused and the start is below); absent without a
   * floor.
   */
  minMatches?: number[];
  atFloor?: boolean;
  belowFloor?: boolean;
}

/** The run report's view of a fitted model: defined with the run-report contract (src/format/run-report.ts). */
export type { ModelSummary, ModelSummaryLevel } from '../../format/run-report.js';

/** The CLK given that exactly one name changed (compare.ts, STRATA): never non-null together with `clk`. */
export const CLK_ONE_NAME = 'clk_one_name';
