/**
 * The match model's own account of a link run, for the quality report: the
 * run report's optional `model` section (what `p20link link` writes when it
 * links with the Fellegi–Sunter model: m and u per comparison level, the
 * prior, the decision point, the expected precision and recall computed
 * from the model's own match probabilities, the match-weight histogram and
 * EM's convergence). No ground truth goes into any of it, so it is there for
 * every real run; with a truth sample the report sets the measured figures
 * beside it (`expectedVsMeasured`).
 *
 * The section is read structurally (every number checked) so that a
 * hand-kept partial run report is held to the same shape as the linker's.
 * The linker writes one model for the whole run (m and u shared, a prior per
 * party pair in `priors`); a list of per-party-pair models is read too.
 * Either way the result is a list of `ModelSection`s.
 */
import { P20Error } from '../errors.js';
import type { PairCounts, QualityResult } from './quality.js';
import type { ModelSummary } from '../format/run-report.js';
import { weightOfProbability } from '../link/model/predict.js';
import { missingDateWarnings, modelWarnings } from '../link/report.js';

export type { ModelSummary };
export type ModelComparison = ModelSummary['comparisons'][number];
export type ModelLevel = ModelComparison['levels'][number];

/** One fitted model of a run: global, or for one party pair. */
export interface ModelSection {
  /** "all parties" or "k12 ~ wages". */
  label: string;
  /** Set for a per-party-pair model. */
  parties?: [string, string];
  summary: ModelSummary;
  /** The run's warnings about its parties' files that concern this section's parties (`parties[].missing`: missingDateWarnings). */
  fileWarnings?: string[];
}

/** Everything the report warns of beside a model section's estimates: its parties' files, then the fit (modelWarnings). */
export function sectionWarnings(s: ModelSection): string[] {
  return [...(s.fileWarnings ?? []), ...modelWarnings(s.summary)];
}

/** Prior match weight log2(λ / (1 − λ)): the weight a pair starts from before any comparison (the model's own weightOfProbability). */
export const priorWeight = weightOfProbability;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class Reader {
  constructor(readonly file: string) {}
  fail(field: string, what: string): never {
    throw new P20Error('REPORT_RUN', `${field} ${what}`, { file: this.file, field });
  }
  obj(v: unknown, field: string): Obj {
    return isObj(v) ? v : this.fail(field, 'must be an object');
  }
  arr(v: unknown, field: string): unknown[] {
    return Array.isArray(v) ? v : this.fail(field, 'must be an array');
  }
  num(v: unknown, field: string, lo = -Infinity, hi = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(field, 'must be a finite number');
    if (v < lo || v > hi) return this.fail(field, `must be between ${lo} and ${hi}`);
    return v;
  }
  count(v: unknown, field: string): number {
    const n = this.num(v, field, 0);
    return Number.isInteger(n) ? n : this.fail(field, 'must be a whole number');
  }
  str(v: unknown, field: string): string {
    return typeof v === 'string' ? v : this.fail(field, 'must be a string');
  }
  bool(v: unknown, field: string): boolean {
    return typeof v === 'boolean' ? v : this.fail(field, 'must be true or false');
  }
}

function readSummary(r: Reader, v: unknown, at: string): ModelSummary {
  const o = r.obj(v, at);
  const comparisons = r.arr(o.comparisons, `${at}.comparisons`).map((c, i) => {
    const co = r.obj(c, `${at}.comparisons.${i}`);
    const name = r.str(co.name, `${at}.comparisons.${i}.name`);
    const levels = r.arr(co.levels, `${at}.comparisons.${i}.levels`).map((l, j) => {
      const f = `${at}.comparisons.${i}.levels.${j}`;
      const lo = r.obj(l, f);
      const m = r.num(lo.m, `${f}.m`, 0, 1);
      const u = r.num(lo.u, `${f}.u`, 0, 1);
      const weight = lo.weight === undefined && m > 0 && u > 0 ? Math.log2(m / u) : r.num(lo.weight, `${f}.weight`);
      return { label: r.str(lo.label, `${f}.label`), m, u, weight };
    });
    return { name, levels };
  });
  const dec = r.obj(o.decision, `${at}.decision`);
  const exp = r.obj(o.expected, `${at}.expected`);
  const em = r.obj(o.em, `${at}.em`);
  if (o.source !== undefined && o.source !== 'registry') r.fail(`${at}.source`, 'must be "registry"');
  return {
    comparisons,
    ...(o.source === 'registry' ? { source: 'registry' as const } : {}),
    lambda: r.num(o.lambda, `${at}.lambda`, 0, 1),
    decision: { probability: r.num(dec.probability, `${at}.decision.probability`, 0, 1), weight: r.num(dec.weight, `${at}.decision.weight`) },
    expected: {
      precision: r.num(exp.precision, `${at}.expected.precision`, 0, 1),
      recall: r.num(exp.recall, `${at}.expected.recall`, 0, 1),
      links: r.num(exp.links, `${at}.expected.links`, 0),
      ...(exp.matches !== undefined ? { matches: r.num(exp.matches, `${at}.expected.matches`, 0) } : {}),
      ...(exp.missingDate !== undefined ? { missingDate: r.num(exp.missingDate, `${at}.expected.missingDate`, 0) } : {}),
    },
    bands: r.arr(o.bands, `${at}.bands`).map((b, i) => {
      const f = `${at}.bands.${i}`;
      const bo = r.obj(b, f);
      return {
        from: r.num(bo.from, `${f}.from`, 0, 1),
        to: r.num(bo.to, `${f}.to`, 0, 1),
        pairs: r.count(bo.pairs, `${f}.pairs`),
        expectedPrecision: r.num(bo.expectedPrecision, `${f}.expectedPrecision`, 0, 1),
        ...(bo.matches !== undefined ? { matches: r.num(bo.matches, `${f}.matches`, 0) } : {}),
      };
    }),
    histogram: r.arr(o.histogram, `${at}.histogram`).map((b, i) => {
      const f = `${at}.histogram.${i}`;
      const bo = r.obj(b, f);
      return { lo: r.num(bo.lo, `${f}.lo`), hi: r.num(bo.hi, `${f}.hi`), pairs: r.count(bo.pairs, `${f}.pairs`) };
    }),
    em: {
      iterations: r.count(em.iterations, `${at}.em.iterations`),
      converged: r.bool(em.converged, `${at}.em.converged`),
      ...(em.refinement === undefined ? {} : { refinement: readRefinement(r, em.refinement, `${at}.em.refinement`) }),
      ...(em.anchors === undefined ? {} : { anchors: r.arr(em.anchors, `${at}.em.anchors`).map((y, i) => r.count(y, `${at}.em.anchors.${i}`)) }),
      ...(em.marriedByChance === undefined
        ? {}
        : {
            marriedByChance: r.arr(em.marriedByChance, `${at}.em.marriedByChance`).map((y, i) => {
              const f = `${at}.em.marriedByChance.${i}`;
              if (y === null) return null;
              const yo = r.obj(y, f);
              return { pairs: r.count(yo.pairs, `${f}.pairs`), chance: r.num(yo.chance, `${f}.chance`, 0) };
            }),
          }),
      ...(em.taught === undefined ? {} : { taught: r.arr(em.taught, `${at}.em.taught`).map((y, i) => r.bool(y, `${at}.em.taught.${i}`)) }),
    },
    ...(o.priors === undefined
      ? {}
      : {
          priors: r.arr(o.priors, `${at}.priors`).map((p, i) => {
            const f = `${at}.priors.${i}`;
            const po = r.obj(p, f);
            return { partyA: r.str(po.partyA, `${f}.partyA`), partyB: r.str(po.partyB, `${f}.partyB`), lambda: r.num(po.lambda, `${f}.lambda`, 0, 1) };
          }),
        }),
  };
}

type ReportRefinement = NonNullable<ModelSummary['em']['refinement']>;

function readRefinement(r: Reader, v: unknown, at: string): ReportRefinement {
  const o = r.obj(v, at);
  const nums = (x: unknown, f: string): number[] => r.arr(x, f).map((y, i) => r.num(y, `${f}.${i}`, 0));
  if (o.start !== undefined && o.start !== 'random-u' && o.start !== 'anchored') r.fail(`${at}.start`, 'must be "random-u" or "anchored"');
  return {
    accepted: r.bool(o.accepted, `${at}.accepted`),
    iterations: r.count(o.iterations, `${at}.iterations`),
    converged: r.bool(o.converged, `${at}.converged`),
    ...(o.atBound === undefined ? {} : { atBound: r.bool(o.atBound, `${at}.atBound`) }),
    expectedMatches: nums(o.expectedMatches, `${at}.expectedMatches`),
    maxMatches: r.arr(o.maxMatches, `${at}.maxMatches`).map((y, i) => (y === null ? null : r.num(y, `${at}.maxMatches.${i}`, 0))),
    ...(o.start === undefined ? {} : { start: o.start as ReportRefinement['start'] }),
    ...(o.minMatches === undefined ? {} : { minMatches: nums(o.minMatches, `${at}.minMatches`) }),
    ...(o.atFloor === undefined ? {} : { atFloor: r.bool(o.atFloor, `${at}.atFloor`) }),
    ...(o.belowFloor === undefined ? {} : { belowFloor: r.bool(o.belowFloor, `${at}.belowFloor`) }),
  };
}

/** The two parties of a per-pair model entry, under any of the names a run report may use. */
function partiesOf(o: Obj): [string, string] | undefined {
  if (typeof o.partyA === 'string' && typeof o.partyB === 'string') return [o.partyA, o.partyB];
  if (Array.isArray(o.parties) && o.parties.length === 2 && o.parties.every((p) => typeof p === 'string')) return o.parties as [string, string];
  return undefined;
}

function section(r: Reader, v: unknown, at: string): ModelSection {
  const o = r.obj(v, at);
  // a per-pair entry may hold the summary itself or under "model"/"summary"
  const inner = isObj(o.model) ? o.model : isObj(o.summary) ? o.summary : o;
  const innerAt = inner === o ? at : `${at}.${isObj(o.model) ? 'model' : 'summary'}`;
  const parties = partiesOf(o);
  const summary = readSummary(r, inner, innerAt);
  return parties ? { label: `${parties[0]} ~ ${parties[1]}`, parties, summary } : { label: 'all parties', summary };
}

/**
 * The model sections of a parsed run report (or hand-kept partial report):
 * none when it has no `model` key. One model for the run (`model` is a
 * ModelSummary), one per party pair (`model` is a list of entries naming
 * their parties as partyA/partyB), or both (`model.global` / `model.overall`
 * beside `model.partyPairs` / `model.byPartyPair` / `model.pairs`).
 * Refused with REPORT_RUN, file and field when a number is missing or out of range.
 */
export function modelSectionsOf(report: unknown, file: string): ModelSection[] {
  if (!isObj(report) || report.model === undefined || report.model === null) return [];
  const r = new Reader(file);
  return withFileWarnings(r, report, sectionsOf(r, report.model));
}

/** The sections with the warnings about the files of their parties (a run report's `parties[].missing`). */
function withFileWarnings(r: Reader, report: Obj, sections: ModelSection[]): ModelSection[] {
  if (report.parties === undefined) return sections;
  const parties = r.arr(report.parties, 'parties').map((v, k) => {
    const o = r.obj(v, `parties.${k}`);
    if (typeof o.party !== 'string') return r.fail(`parties.${k}.party`, 'must be a string');
    const missing = o.missing === undefined ? undefined : Object.fromEntries(Object.entries(r.obj(o.missing, `parties.${k}.missing`)).map(([f, n]) => [f, r.count(n, `parties.${k}.missing.${f}`)]));
    return { party: o.party, records: r.count(o.records, `parties.${k}.records`), ...(missing ? { missing } : {}) };
  });
  return sections.map((s) => {
    const w = missingDateWarnings(parties.filter((p) => !s.parties || s.parties.includes(p.party)));
    return w.length > 0 ? { ...s, fileWarnings: w } : s;
  });
}

function sectionsOf(r: Reader, m: unknown): ModelSection[] {
  if (Array.isArray(m)) return m.map((e, i) => section(r, e, `model.${i}`));
  const o = r.obj(m, 'model');
  if (o.comparisons !== undefined) return [section(r, o, 'model')];
  const out: ModelSection[] = [];
  for (const k of ['global', 'overall', 'all']) if (o[k] !== undefined) out.push({ ...section(r, o[k], `model.${k}`), label: 'all parties' });
  for (const k of ['partyPairs', 'byPartyPair', 'pairs']) {
    if (o[k] !== undefined) out.push(...r.arr(o[k], `model.${k}`).map((e, i) => section(r, e, `model.${k}.${i}`)));
  }
  if (out.length === 0) r.fail('model', 'holds no model (expected comparisons, or a list of per-party-pair models)');
  return out;
}

/** The model's expectation beside what the truth sample measured, for one model section. */
export interface ExpectedVsMeasured {
  label: string;
  expected: { precision: number; recall: number; links: number };
  /** Measured against the truth sample over the same party pair(s). */
  measured: { precision: number; recall: number; links: number; truePairs: number };
  /**
   * Per match-probability band with linked pairs: the model's expected
   * precision beside the measured precision of the linked pairs whose lower
   * link score falls in the band (a calibration check; only when the links
   * files' scores are the model's probabilities).
   */
  bands?: { from: number; to: number; expectedPrecision: number; linked: number; correct: number; precision: number }[];
}

/** Match each model section with the measured quality of its party pair (a global model: all pairs). */
export function expectedVsMeasured(sections: readonly ModelSection[], q: QualityResult): ExpectedVsMeasured[] {
  const out: ExpectedVsMeasured[] = [];
  const m = (c: PairCounts) => ({ precision: c.precision, recall: c.recall, links: c.linkedPairs, truePairs: c.truePairs });
  for (const s of sections) {
    let c: PairCounts | undefined = q;
    if (s.parties) {
      const [a, b] = [...s.parties].sort() as [string, string];
      c = q.byPartyPair.find((p) => p.parties[0] === a && p.parties[1] === b);
    }
    if (!c) continue;
    const bands =
      q.byScoreBand && !s.parties
        ? s.summary.bands.flatMap((b) => {
            const r = q.byScoreBand!.find((x) => x.from === b.from && x.to === b.to);
            return r && r.linked > 0 ? [{ from: b.from, to: b.to, expectedPrecision: b.expectedPrecision, linked: r.linked, correct: r.correct, precision: r.precision }] : [];
          })
        : undefined;
    out.push({ label: s.label, expected: s.summary.expected, measured: m(c), ...(bands && bands.length > 0 ? { bands } : {}) });
  }
  return out;
}

/** One match-probability band with what follows from it: its expected matches, and linking from it upwards. */
export interface BandRow {
  from: number;
  to: number;
  pairs: number;
  expectedPrecision: number;
  /** The band's expected matches: with one partner per record and party (`matches`, a run's report), else pairs × expectedPrecision (Σ p). */
  expectedMatches: number;
  /** The band's share of all expected matches among the candidate pairs. */
  shareOfMatches: number;
  /** Linking every pair of this band and the bands above: expected precision and recall (against every expected match, `expected.missingDate` included). */
  fromHere: { links: number; precision: number; recall: number };
}

/**
 * The bands with their expected matches (a run's report: one partner per
 * record and party, `bands[].matches`; earlier reports: Σ p = pairs × mean p) and, for
 * each, what linking from its lower edge upwards would give by the model's
 * own account: a threshold trade-off without ground truth.
 */
export function bandRows(m: ModelSummary): BandRow[] {
  const sumP = m.bands.map((b) => b.pairs * b.expectedPrecision);
  // a run's report: the bands' one-to-one expected matches (docs/match-model.md, "What the run report shows"); earlier reports: Σ p
  const oneToOne = m.bands.every((b) => b.matches !== undefined);
  const matches = oneToOne ? m.bands.map((b) => b.matches!) : sumP;
  const total = matches.reduce((s, x) => s + x, 0);
  // recall counts the matches no candidate holds too (expected.missingDate): linking every band does not find them
  const all = total + (m.expected.missingDate ?? 0);
  return m.bands.map((b, i) => {
    let links = 0;
    let hits = 0;
    let found = 0;
    for (let j = 0; j < m.bands.length; j++) {
      if (m.bands[j]!.from >= b.from) {
        links += m.bands[j]!.pairs;
        hits += sumP[j]!;
        found += matches[j]!;
      }
    }
    return {
      ...b,
      expectedMatches: matches[i]!,
      shareOfMatches: total > 0 ? matches[i]! / total : 0,
      fromHere: { links, precision: links > 0 ? hits / links : 1, recall: all > 0 ? found / all : 1 },
    };
  });
}
