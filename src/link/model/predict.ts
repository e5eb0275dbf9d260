import { CLK_ONE_NAME, NULL_LEVEL, type ComparisonDef, type ComparisonVectors, type FittedModel, type ModelSummary } from './types.js';

/**
 * Match weights and probabilities (docs/match-model.md).
 *
 * The match weight of a pair is its log2 posterior odds of being a match,
 * prior included:
 *
 *   w = log2(λ / (1 − λ)) + Σ_k log2(m[k][l_k] / u[k][l_k])     (null levels add 0)
 *
 * so the match probability is p = 2^w / (1 + 2^w) = λ∏m / (λ∏m + (1−λ)∏u),
 * monotone in w. λ is the pair's group prior when the model has per-group
 * priors and the vectors carry groups, else model.lambda.
 */

/** log2(p / (1 − p)), the weight at match probability p. */
export function weightOfProbability(p: number): number {
  return Math.log2(p / (1 - p));
}

/** 1 / (1 + 2^−w), the match probability at weight w. */
export function probabilityOfWeight(w: number): number {
  return 1 / (1 + 2 ** -w);
}

/**
 * Edge scores of the match model's resolution: the match weight plus this
 * offset, so that the resolution order (score descending) is the weight
 * order without the saturation of probabilities near 1, and scores stay
 * non-negative.
 */
export const WEIGHT_OFFSET = 256;

/** The resolution's edge score of a match weight (WEIGHT_OFFSET). */
export function edgeScoreOfWeight(weight: number): number {
  return Math.min(2 * WEIGHT_OFFSET, Math.max(0, weight + WEIGHT_OFFSET));
}

/** The match probability of an edge score (NaN stays NaN: no link). */
export function probabilityOfEdgeScore(score: number): number {
  return Number.isNaN(score) ? score : probabilityOfWeight(score - WEIGHT_OFFSET);
}

/** Per comparison and level, log2(m/u). */
export function levelWeights(model: FittedModel): number[][] {
  return model.m.map((row, k) => row.map((m, l) => Math.log2(m / model.u[k]![l]!)));
}

/**
 * Comparisons of which at most one is non-null for any pair (compare.ts:
 * `place` needs both birth dates, `place_nodob` exactly one; `clk_one_name`
 * is the CLK where `clk` is null).
 */
const EXCLUSIVE: readonly (readonly string[])[] = [
  ['place', 'place_nodob', 'place_partdate'],
  ['clk', CLK_ONE_NAME],
];

/**
 * The weight of a pair agreeing fully on everything: the prior plus each
 * comparison's top-level weight, counting only the larger of comparisons
 * that are never non-null together (EXCLUSIVE).
 */
export function fullAgreementWeight(model: FittedModel): number {
  const top = levelWeights(model).map((row) => row[0]!);
  const names = model.defs.map((d) => d.name);
  const counted = new Set<number>();
  let w = weightOfProbability(model.lambda);
  top.forEach((_, k) => {
    if (counted.has(k)) return;
    const group = EXCLUSIVE.find((g) => g.includes(names[k]!));
    const members = group ? names.flatMap((n, j) => (group.includes(n) ? [j] : [])) : [k];
    for (const j of members) counted.add(j);
    w += Math.max(...members.map((j) => top[j]!));
  });
  return w;
}

/** The prior of one party pair (a within-file pair: partyA = partyB), as the run report and the registry keep it. */
export interface PairPrior {
  partyA: string;
  partyB: string;
  lambda: number;
}

/**
 * The weight an edge between records of parties a and b needs to add a
 * second record of one party to an entity (a duplicate inside one file).
 * `crossBar` is the bar of an edge between two parties (the caller's share
 * of the full-agreement weight, never below the decision): such a weight
 * carries the prior of a party pair whose records are mostly one-to-one,
 * so it says nothing of how rare a second record of the same person is.
 * A within-file pair's weight already carries its file's own prior, far
 * lower because few records are duplicates; its bar is lower by the
 * difference of the two priors' log-odds (the file's cross-party priors
 * averaged), never below the decision. Without a within-file prior or a
 * cross-party prior for the party, the bar is `crossBar`.
 */
export function duplicateBar(priors: readonly PairPrior[], a: string, b: string, crossBar: number, decisionW: number): number {
  if (a !== b) return crossBar;
  const within = priors.find((p) => p.partyA === a && p.partyB === a);
  const cross = priors.filter((p) => (p.partyA === a) !== (p.partyB === a));
  if (!within || cross.length === 0) return crossBar;
  const shift = cross.reduce((t, p) => t + weightOfProbability(p.lambda), 0) / cross.length - weightOfProbability(within.lambda);
  return Number.isFinite(shift) ? Math.max(decisionW, crossBar - Math.max(0, shift)) : crossBar;
}

/**
 * What a duplicate's bar forgives a pair: per comparison and level, the
 * weight that level's pair lacks of its comparison's top level only because
 * a field is recorded on one side (`ComparisonDef.reach`; 0 elsewhere).
 * `defs` are the plan's (they carry `reach`), in the model's order.
 */
export function barRelief(model: FittedModel, defs: readonly ComparisonDef[]): Float64Array[] {
  const lw = levelWeights(model);
  return lw.map((row, k) => {
    const reach = defs[k]?.reach;
    const out = new Float64Array(row.length);
    if (reach) for (let l = 0; l < row.length; l++) out[l] = Math.max(0, row[0]! - row[reach[l] ?? 0]!);
    return out;
  });
}

/**
 * The duplicate bar of one pair (its `K` levels at `levels[at..]`): `bar`
 * lowered by `share` of the pair's relief (`barRelief`, plus `extra`: a
 * CLK's relief, clkReliefOf), never below `floor` (the decision). A duplicate whose middle initial is recorded on
 * one side only needs the same share of what it could show as one with
 * both initials (docs/match-model.md, "Decision and resolution").
 */
export function pairBar(bar: number, share: number, relief: readonly Float64Array[], levels: Uint8Array, at: number, floor: number, extra = 0): number {
  let r = extra;
  for (let k = 0; k < relief.length; k++) {
    const l = levels[at + k]!;
    if (l !== NULL_LEVEL) r += relief[k]![l]!;
  }
  return r > 0 ? Math.min(bar, Math.max(floor, bar - share * r)) : bar;
}

/** Match weight of each pair (log2 posterior odds, prior included). */
export function matchWeights(model: FittedModel, v: ComparisonVectors): Float64Array {
  const K = model.defs.length;
  const lw = levelWeights(model);
  const prior = (model.lambdas ?? [model.lambda]).map(weightOfProbability);
  const out = new Float64Array(v.count);
  for (let p = 0; p < v.count; p++) {
    let w = v.group && model.lambdas ? prior[v.group[p]!]! : weightOfProbability(model.lambda);
    for (let k = 0; k < K; k++) {
      const l = v.levels[p * K + k]!;
      if (l !== NULL_LEVEL) w += lw[k]![l]!;
    }
    out[p] = w;
  }
  return out;
}

/** Match probability of each pair, in [0, 1]. */
export function matchProbabilities(model: FittedModel, v: ComparisonVectors): Float64Array {
  const w = matchWeights(model, v);
  for (let p = 0; p < w.length; p++) w[p] = probabilityOfWeight(w[p]!);
  return w;
}

/** Match-probability bands of the summary. */
export const PROBABILITY_BANDS: readonly number[] = [0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1];

/** The PROBABILITY_BANDS band [from, to) of a match probability (1 in the last). */
export function probabilityBand(p: number): number {
  const nb = PROBABILITY_BANDS.length - 1;
  let b = 0;
  while (b < nb - 1 && p >= PROBABILITY_BANDS[b + 1]!) b++;
  return b;
}

/**
 * The run report's view of a model and the weights of the pairs it scored
 * (matchWeights). Expected figures use the model's own probabilities, no
 * truth: expected correct links = Σ p over the links (pairs with p ≥ the
 * decision probability), expected matches = Σ p over all scored pairs, so
 * precision = Σ_links p / links and recall = Σ_links p / Σ_all p (recall
 * among the candidate pairs: matches the blocking never proposed are not
 * counted). A linker run replaces `expected` with that of its resolved links
 * and adds each band's one-to-one expected matches (expected.ts).
 */
export function modelSummary(model: FittedModel, weights: Float64Array, decisionProbability: number): ModelSummary {
  const lw = levelWeights(model);
  const decisionWeight = weightOfProbability(decisionProbability);
  let links = 0;
  let sumLinks = 0;
  let sumAll = 0;
  const nb = PROBABILITY_BANDS.length - 1;
  const bandPairs = new Float64Array(nb);
  const bandSum = new Float64Array(nb);
  const HMIN = -64;
  const HMAX = 64;
  const hist = new Float64Array(HMAX - HMIN);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const w of weights) {
    const p = probabilityOfWeight(w);
    sumAll += p;
    if (w >= decisionWeight) {
      links++;
      sumLinks += p;
    }
    const b = probabilityBand(p);
    bandPairs[b]!++;
    bandSum[b]! += p;
    const h = Math.min(HMAX - 1, Math.max(HMIN, Math.floor(w))) - HMIN;
    hist[h]!++;
    if (h < lo) lo = h;
    if (h > hi) hi = h;
  }
  const histogram: ModelSummary['histogram'] = [];
  for (let h = lo; h <= hi; h++) histogram.push({ lo: h + HMIN, hi: h + HMIN + 1, pairs: hist[h]! });
  return {
    comparisons: model.defs.map((d, k) => ({
      name: d.name,
      ...(d.ordered === false ? { ordered: false as const } : {}),
      levels: d.levels.map((label, l) => ({ label, m: model.m[k]![l]!, u: model.u[k]![l]!, weight: lw[k]![l]! })),
    })),
    lambda: model.lambda,
    decision: { probability: decisionProbability, weight: decisionWeight },
    expected: { precision: links > 0 ? sumLinks / links : 1, recall: sumAll > 0 ? sumLinks / sumAll : 1, links },
    bands: Array.from({ length: nb }, (_, b) => ({
      from: PROBABILITY_BANDS[b]!,
      to: PROBABILITY_BANDS[b + 1]!,
      pairs: bandPairs[b]!,
      expectedPrecision: bandPairs[b]! > 0 ? bandSum[b]! / bandPairs[b]! : 0,
    })),
    histogram,
    em: {
      iterations: model.iterations,
      converged: model.converged,
      ...(model.refinement
        ? {
            refinement: {
              accepted: model.refinement.accepted,
              iterations: model.refinement.iterations,
              converged: model.refinement.converged,
              atBound: model.refinement.atBound,
              expectedMatches: model.refinement.expectedMatches,
              maxMatches: model.refinement.maxMatches.map((x) => (Number.isFinite(x) ? x : null)),
              ...(model.refinement.start ? { start: model.refinement.start } : {}),
              ...(model.refinement.minMatches ? { minMatches: model.refinement.minMatches, atFloor: model.refinement.atFloor ?? false, belowFloor: model.refinement.belowFloor ?? false } : {}),
            },
          }
        : {}),
    },
  };
}
