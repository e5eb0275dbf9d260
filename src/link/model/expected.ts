import type { EdgeList } from '../resolve/edges.js';
import { PROBABILITY_BANDS, probabilityBand, probabilityOfEdgeScore, probabilityOfWeight } from './predict.js';

/**
 * One-to-one odds (docs/match-model.md, "The decision on the one-to-one
 * probability"): the fs decision's weights and the run report's expected
 * quality of the links ("What the run report shows"), from the model's own
 * probabilities, no truth.
 *
 * A candidate's match probability is its odds among all candidates. Summed
 * over a crowd of namesakes those probabilities promise a record several
 * partners in one other file, so Σ p over the candidates counts far more
 * matches than there can be (tuning seed, 200,000 people: 288,000 against
 * 261,000 true candidate pairs, and an expected recall of 0.90 where the
 * truth measured 0.96). A record has at most one partner in another party,
 * and rarely more than one duplicate in its own file: weighed so, a pair's
 * odds o are set against "no partner, or another candidate of either
 * record" (the residual pass's reading), o / (1 + o + the others' odds).
 */

/** Odds above 2^this are counted as 2^this (a sum of many would overflow to Infinity). */
const MAX_ODDS_BITS = 500;

const oddsOf = (w: number): number => 2 ** Math.min(w, MAX_ODDS_BITS);

/** Per record and party, the summed odds of its candidates in that party (its own party: its within-file candidates). */
export class CandidateOdds {
  private readonly odds: Float64Array;

  constructor(
    readonly nodeParty: Uint32Array,
    private readonly partyCount: number,
  ) {
    this.odds = new Float64Array(nodeParty.length * partyCount);
  }

  /** Count the candidate pair of nodes u and v at match weight w. */
  add(u: number, v: number, w: number): void {
    const o = oddsOf(w);
    this.odds[u * this.partyCount + this.nodeParty[v]!]! += o;
    this.odds[v * this.partyCount + this.nodeParty[u]!]! += o;
  }

  /** The summed odds of every other candidate of u in v's party, less `exceptU`, and of v in u's, less `exceptV` (each side never below 0). */
  rivals(u: number, v: number, w: number, exceptU = 0, exceptV = 0): number {
    const o = oddsOf(w);
    return Math.max(0, this.odds[u * this.partyCount + this.nodeParty[v]!]! - o - exceptU) + Math.max(0, this.odds[v * this.partyCount + this.nodeParty[u]!]! - o - exceptV);
  }

  /** The pair's match probability with one partner per record and party: o / (1 + o + the odds of every other candidate of u in v's party and of v in u's). */
  probability(u: number, v: number, w: number): number {
    const o = oddsOf(w);
    return o / (1 + o + this.rivals(u, v, w));
  }
}

/**
 * The one-to-one weights the fs decision reads (docs/match-model.md, "The
 * decision on the one-to-one probability"), one per candidate in visit
 * order. A pair of two files at weight w, odds o = 2^w, is set against "no
 * partner, or another candidate of either record in the other's file":
 * w − log2(1 + Σ the rivals' odds), its one-to-one probability's weight
 * (`probability`). A rival that is a within-file candidate of the pair's
 * other record at or above `duplicateW`, or one of `known` with it, is left
 * out: likely that record's duplicate, which the record may join too. A pair
 * within one file keeps its weight. No weight rises; a pair without rivals
 * keeps its own.
 */
export function oneToOneWeights(odds: CandidateOdds, each: CandidateVisit, duplicateW: number, known?: KnownDuplicates): Float64Array {
  const nodeParty = odds.nodeParty;
  const n = nodeParty.length;
  // the likely duplicates: within-file candidates at or above duplicateW, per node (CSR)
  let count = 0;
  const dupStart = new Uint32Array(n + 1);
  const likely = (f: (u: number, v: number) => void): void => {
    each((u, v, w) => {
      if (nodeParty[u] === nodeParty[v] && w >= duplicateW) f(u, v);
    });
    known?.(f);
  };
  each(() => count++);
  likely((u, v) => {
    dupStart[u + 1]!++;
    dupStart[v + 1]!++;
  });
  for (let x = 0; x < n; x++) dupStart[x + 1]! += dupStart[x]!;
  const dups = new Uint32Array(dupStart[n]!);
  const fill = dupStart.slice(0, n);
  const pairOdds = new Map<number, number>();
  if (dups.length > 0) {
    likely((u, v) => {
      dups[fill[u]!++] = v;
      dups[fill[v]!++] = u;
    });
    // the odds of the cross-file pairs a duplicate's exclusion needs: those with a record that has a likely duplicate
    each((u, v, w) => {
      if (nodeParty[u] === nodeParty[v] || (dupStart[u] === dupStart[u + 1] && dupStart[v] === dupStart[v + 1])) return;
      pairOdds.set(u < v ? u * n + v : v * n + u, oddsOf(w));
    });
  }
  // the odds of u's candidates among the likely duplicates of v
  const ofDuplicates = (u: number, v: number): number => {
    let sum = 0;
    for (let x = dupStart[v]!; x < dupStart[v + 1]!; x++) {
      const r = dups[x]!;
      sum += pairOdds.get(u < r ? u * n + r : r * n + u) ?? 0;
    }
    return sum;
  };
  const out = new Float64Array(count);
  let x = 0;
  each((u, v, w) => {
    out[x++] = nodeParty[u] === nodeParty[v] ? w : w - Math.log2(1 + odds.rivals(u, v, w, ofDuplicates(u, v), ofDuplicates(v, u)));
  });
  return out;
}

/** Visits every candidate pair once: nodes u and v, match weight w. */
export type CandidateVisit = (f: (u: number, v: number, w: number) => void) => void;

/** Visits pairs of records of one party known to be one person's (a registry's records of one entity), each once. */
export type KnownDuplicates = (f: (u: number, v: number) => void) => void;

/** The candidates' odds per record and party, their one-to-one weights, and the expected matches among them (Σ of the one-to-one probabilities), in all and per band. */
export interface OneToOneMatches {
  odds: CandidateOdds;
  /** The candidates with their match weights (the visit these were computed from). */
  each: CandidateVisit;
  /** Each candidate's one-to-one weight (oneToOneWeights), in visit order. */
  weights: Float64Array;
  /** The expected matches: Σ of every candidate's one-to-one probability, plus `missingField`. */
  matches: number;
  bandMatches: Float64Array;
  /** The matches expected of the records without the field beyond what their candidates hold (`missingFieldMatches`); 0 without `missing`. */
  missingField: number;
}

/**
 * Every candidate's odds per record and party (`nodeParty`: each node's
 * party) and one-to-one weight (`duplicateW`, `known`: oneToOneWeights), then
 * the expected matches among the candidates (Σ `probability`: every rival
 * counted, likely duplicates too, as the model's own belief), in all and per
 * band of the one-to-one weight's probability (the decision's,
 * `probabilityBand`). With `missing` (per node: 1
 * the record lacks the field, 0 it holds it, 2 unknown), the matches the
 * candidates of the records without it miss are added (`missingFieldMatches`).
 */
export function oneToOneMatches(nodeParty: Uint32Array, partyCount: number, each: CandidateVisit, duplicateW: number, missing?: Uint8Array, known?: KnownDuplicates): OneToOneMatches {
  const odds = new CandidateOdds(nodeParty, partyCount);
  each((u, v, w) => odds.add(u, v, w));
  const weights = oneToOneWeights(odds, each, duplicateW, known);
  let matches = 0;
  const bandMatches = new Float64Array(PROBABILITY_BANDS.length - 1);
  // Σ of one-to-one probabilities per (record's party, other party, record lacks the field)
  const partners = new Float64Array(partyCount * partyCount * 2);
  let x = 0;
  each((u, v, w) => {
    const q = odds.probability(u, v, w);
    matches += q;
    bandMatches[probabilityBand(probabilityOfWeight(weights[x++]!))]! += q;
    if (missing) {
      const a = nodeParty[u]!;
      const b = nodeParty[v]!;
      if (a !== b && missing[u]! < 2) partners[(a * partyCount + b) * 2 + missing[u]!]! += q;
      if (a !== b && missing[v]! < 2) partners[(b * partyCount + a) * 2 + missing[v]!]! += q;
    }
  });
  const missingField = missing ? missingFieldMatches(nodeParty, partyCount, partners, missing) : 0;
  return { odds, each, weights, matches: matches + missingField, bandMatches, missingField };
}

/**
 * The matches the candidates miss because a record lacks a field the
 * candidate passes need (docs/match-model.md, "What the run report shows").
 * Every pass but `names` holds the birth date, so a record without one is
 * proposed by one pass only, and its partner often by none (about half the
 * true pairs no pass proposes): the model cannot count what it never
 * weighed. Whether a record's date was recorded is taken to say nothing of
 * whether its person is in another agency's file, so per ordered party pair (A, B),
 * A ≠ B, the records of A without the field are expected to have as many
 * partners in B per record as those with it: n₀ · S₁ / n₁, where S₁ is the
 * one-to-one probabilities of the candidates of A's n₁ records with the
 * field summed; what their own candidates hold less (S₀) is added, never
 * less than 0. Within one file nothing is added (a duplicate is rare either
 * way). `partners`: S per (party A, party B, 0 with / 1 without), index
 * (A · partyCount + B) · 2 + class; `missing` per node as in oneToOneMatches.
 */
export function missingFieldMatches(nodeParty: Uint32Array, partyCount: number, partners: Float64Array, missing: Uint8Array): number {
  const n = new Float64Array(partyCount * 2);
  for (let x = 0; x < nodeParty.length; x++) if (missing[x]! < 2) n[nodeParty[x]! * 2 + missing[x]!]!++;
  let add = 0;
  for (let a = 0; a < partyCount; a++) {
    const n1 = n[a * 2]!;
    const n0 = n[a * 2 + 1]!;
    if (n1 === 0 || n0 === 0) continue;
    for (let b = 0; b < partyCount; b++) {
      if (b === a) continue;
      const at = (a * partyCount + b) * 2;
      add += Math.max(0, (n0 * partners[at]!) / n1 - partners[at + 1]!);
    }
  }
  return add;
}

/** The expected quality of the links (the run report's `model.expected`). */
export interface ExpectedQuality {
  /** Σ of the linked pairs' match probabilities / linked pairs. */
  precision: number;
  /** Σ of the linked pairs' one-to-one probabilities / expected matches. */
  recall: number;
  /** Candidate pairs the resolution weighed and put in one entity. */
  links: number;
  /** Expected matches among the candidates: Σ of every candidate's one-to-one probability. */
  matches: number;
}

/**
 * The expected quality of a resolution (no truth), from the model's own
 * probabilities: the candidates of `one` the resolution weighed (a
 * one-to-one weight at or above `decisionW`, or, across files, at or above
 * `nearW`: the residual pass's pairs) and put in one entity (`label`). A
 * linked pair counts towards precision with its match probability, or the
 * pass's when the pass proposed it (`residual`: score = edge score of the
 * pass's weight) and that is higher; towards recall with its one-to-one
 * probability (`one.odds`, every rival counted), against `one.matches`. The
 * decision reads the one-to-one weights; these figures read the model's
 * probabilities as they are, which keeps them nearer the truth
 * (docs/match-model.md, "What the run report shows").
 */
export function expectedQuality(label: Uint32Array, one: OneToOneMatches, decisionW: number, nearW: number, residual: EdgeList | null): ExpectedQuality {
  const n = label.length;
  const party = one.odds.nodeParty;
  const pass = new Map<number, number>();
  if (residual) for (let e = 0; e < residual.length; e++) pass.set(residual.u[e]! * n + residual.v[e]!, probabilityOfEdgeScore(residual.score[e]!));
  let links = 0;
  let sumP = 0;
  let sumOne = 0;
  let x = 0;
  one.each((u, v, w) => {
    const wd = one.weights[x++]!;
    if (label[u] !== label[v] || !(wd >= decisionW || (party[u] !== party[v] && wd >= nearW))) return;
    links++;
    sumP += wd >= decisionW ? probabilityOfWeight(w) : Math.max(probabilityOfWeight(w), pass.get(Math.min(u, v) * n + Math.max(u, v)) ?? 0);
    sumOne += one.odds.probability(u, v, w);
  });
  const matches = one.matches;
  return { precision: links > 0 ? sumP / links : 1, recall: matches > 0 ? Math.min(1, sumOne / matches) : 1, links, matches };
}
