/**
 * Building the run report's figures: the score histograms and the
 * plain-language warnings. The report's types, writer and strict reader are
 * the run-report contract in src/format/run-report.ts.
 */
import type { LinkRunReport, ModelSummary, ReportParty, ReportPartyPair, ScoreHistogram } from '../format/run-report.js';
import { formatCount } from '../util/format-count.js';
import { ANCHOR_WARN_SHARE, MIN_ANCHORS } from './model/anchors.js';
import type { PartyData } from './types.js';
import { DATE_FEATURE, fewWithDate, manyWithoutDate } from '../schema/evidence.js';

/** The run report's counts, from what a full run and an incremental run both know. */
export function reportCounts(c: {
  records: number;
  clusters: number;
  linkedRecords: number;
  clustering: { accepted: number; refused: number };
  pairStats: readonly Pick<ReportPartyPair, 'candidates' | 'compared'>[];
  reviewPairs: number;
}): LinkRunReport['counts'] {
  return {
    records: c.records,
    clusters: c.clusters,
    linkedRecords: c.linkedRecords,
    singletons: c.records - c.linkedRecords,
    acceptedLinks: c.clustering.accepted,
    refusedLinks: c.clustering.refused,
    candidates: c.pairStats.reduce((t, p) => t + p.candidates, 0),
    compared: c.pairStats.reduce((t, p) => t + p.compared, 0),
    reviewPairs: c.reviewPairs,
  };
}

/** A party's line of the run report (`parties`), with the records that lack each presence feature of its file. */
export function reportParty(p: Pick<PartyData, 'name' | 'count' | 'header' | 'presence'>, linked: number, output: string, outputSha256: string): ReportParty {
  const missing = missingFeatures(p);
  return { party: p.name, records: p.count, linked, singletons: p.count - linked, output, outputSha256, ...(missing ? { missing } : {}) };
}

/** Per presence feature of a party's file, its records without it; undefined when the file carries no presence. */
export function missingFeatures(p: Pick<PartyData, 'count' | 'header' | 'presence'>): Record<string, number> | undefined {
  const features = p.header.presence;
  if (!features || !p.presence) return undefined;
  const held = new Float64Array(features.length);
  for (let r = 0; r < p.count; r++) {
    const bits = p.presence[r]!;
    for (let f = 0; f < features.length; f++) if (bits & (1 << f)) held[f]!++;
  }
  return Object.fromEntries(features.map((f, k) => [f, p.count - held[k]!]));
}

/** Warnings for the parties with many records without a birth date (manyWithoutDate; `parties[].missing`). */
export function missingDateWarnings(parties: readonly Pick<ReportParty, 'party' | 'records' | 'missing'>[]): string[] {
  const n = formatCount;
  const out: string[] = [];
  for (const p of parties) {
    const missing = p.missing?.[DATE_FEATURE];
    if (missing === undefined || !manyWithoutDate(missing, p.records)) continue;
    const blind =
      fewWithDate(missing, p.records)
        ? ", and the report's recall estimate cannot count the pairs no candidate pass proposed (it estimates them from the file's records with a birth date, which are too few), nor is its precision estimate to be relied on for them"
        : '';
    out.push(
      `${p.party}: ${n(missing)} of its ${n(p.records)} records (${Math.round((100 * missing) / p.records)} %) hold no birth date; their links rest on the names, sex, ZIP and middle initial alone, so those whose name changed or was misspelt are seldom linked and namesakes are told apart by ZIP and initial only${blind}: include the birth date if the agency holds it, or check the links against a truth sample or a clerical review`,
    );
  }
  return out;
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
  const n = formatCount;
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

/**
 * Plain-language warnings about a match model's fit: a party pair whose
 * fit expects fewer matches than its floor (`em.refinement.minMatches`,
 * model/anchors.ts matchFloor: nearly every pair whose names and birth date
 * all agree, each the only such candidate of its two records, is one
 * person). Such a fit has counted true pairs as non-matches: its links are
 * few and its own recall estimate is too high. And a fit EM was stopped at
 * on its way below the floor (`atFloor`): better than where EM was going,
 * but its estimates are not to be trusted either. And a cross-file party
 * pair with hardly any anchors of `name_dob`'s m (`em.anchors` below
 * ANCHOR_WARN_SHARE of its sure pairs: a file without ZIPs): its married
 * names are counted by chance coincidences (model/anchors.ts
 * nameChangesByChance), its other name changes weighed by the other party
 * pairs' anchors (docs/match-model.md, sessions 40 and 41).
 */
export function modelWarnings(model: ModelSummary): string[] {
  const r = model.em.refinement;
  if (!r?.minMatches || !model.priors) return [];
  const n = formatCount;
  const out: string[] = [];
  model.priors.forEach((p, g) => {
    const floor = r.minMatches![g] ?? 0;
    const expected = r.expectedMatches[g] ?? 0;
    if (expected >= floor) return;
    out.push(
      `${p.partyA} x ${p.partyB}: the match model expects ${n(Math.floor(expected))} matches among the candidates, fewer than the ${n(floor)} pairs whose names and birth date all agree, each the only such candidate of its two records (nearly all one person); the fit has likely counted true pairs as non-matches, so links are missing and the report's recall estimate is too high: check the links against a truth sample or a clerical review`,
    );
  });
  const anchors = model.em.anchors;
  model.priors.forEach((p, g) => {
    const floor = r.minMatches![g] ?? 0;
    const a = anchors?.[g];
    if (p.partyA === p.partyB || a === undefined || floor < MIN_ANCHORS || a >= ANCHOR_WARN_SHARE * floor) return;
    const chance = model.em.marriedByChance?.[g];
    const married = chance
      ? `the match model counted its married names by chance coincidences instead (${n(chance.pairs)} of its candidate pairs share the first name and birth date under another surname, ${n(chance.chance)} of them expected to be namesakes by chance) and learns what another given name looks like from the other party pairs, so its links and the report's estimates rest on that count`
      : 'the match model then learns what a changed surname or given name looks like from the other party pairs alone, so such people may be left unlinked here without the report\'s recall estimate showing it';
    out.push(`${p.partyA} x ${p.partyB}: only ${n(a)} of its candidate pairs show the ZIP and birth date agreeing, against ${n(floor)} whose names and birth date all agree (a file without ZIPs, or with few that agree); ${married}: check the links against a truth sample or a clerical review`);
  });
  if (r.accepted && r.atFloor) {
    out.push(
      "the match model's fit was stopped at its floor (EM was moving to fewer matches than the pairs whose names and birth date all agree, each the only such candidate of its two records): it may still count true pairs as non-matches, so links may be missing and the report's estimates are unreliable: check the links against a truth sample or a clerical review",
    );
  }
  return out;
}
