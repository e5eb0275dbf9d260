import { refuseStoredModel } from './incremental.js';
import { evidenceFilterKeys, type EvidenceIndex } from './band-keys.js';
import type { EncodedHeader } from '../../format/encoded-file.js';
import { comparisonPlan, clkRelief, clkReliefOf, type ComparisonPlan, type ClkRelief } from '../model/compare.js';
import { barRelief, duplicateBar, fullAgreementWeight, pairBar, weightOfProbability } from '../model/predict.js';
import type { ComparisonVectors, FittedModel } from '../model/types.js';
import { strideFor } from '../pack.js';
import type { PartyData } from '../types.js';
import { popcount32 } from '../dice.js';

/**
 * The match model a registry built by a full `--model fs` run keeps, so its
 * increments score pairs the same way (docs/registry.md "Increments with the
 * match model"): the calibrated comparison plan (defs, per-part baselines and
 * bands), the fitted model (m, u per level, prior and per-party-pair priors),
 * the decision and review match probabilities and the duplicate rule. Stored
 * as versioned JSON in the registry configuration (`registry_config.scoring`,
 * `model` of a `kind: "model"` scoring). Increments never refit it: a later
 * full run does.
 */
export const REGISTRY_MODEL_FORMAT = 'p20link-registry-model';
/**
 * 4: name_dob has the level "names agree,date partly" and the plan reads it
 * from `names` (`namesAgree`); 3: name_dob has the level "both,day/month swapped" and the plan may read
 * day/month swaps from `names` (`daySwap`); 2: the plan's comparisons split
 * by the name_dob state (`strata`: clk_one_name) and place_partdate. Models
 * of other versions are refused; a full run rebuilds.
 */
export const REGISTRY_MODEL_VERSION = 4;

export interface StoredMatchModel {
  format: typeof REGISTRY_MODEL_FORMAT;
  version: typeof REGISTRY_MODEL_VERSION;
  /** The evidence layout (name, bits) and presence features the plan was built for. */
  evidence: { name: string; l: number }[];
  presence: string[];
  plan: ComparisonPlan;
  model: Pick<FittedModel, 'defs' | 'lambda' | 'm' | 'u'> & { lambdas?: number[] };
  /** Prior per party pair of the full run (the job order of `model.lambdas`). */
  priors: { partyA: string; partyB: string; lambda: number }[];
  matchProbability: number;
  reviewProbability: number | null;
  /** A second record of one party joins an entity only through an edge reaching this share of the full-agreement weight. */
  duplicateShare: number;
  /**
   * The full run's residual-pass free shares per party pair (freeA: the share of partyA's records whose entity held no
   * record of partyB), which an increment's residual pass uses (`residualShare`); absent when that run had no residual
   * pass (or predates them): its increments run none.
   */
  freeShares?: { partyA: string; partyB: string; freeA: number; freeB: number }[];
}

/** The stored model made ready to score: weights of the decision, review and duplicate points. */
export interface LoadedMatchModel {
  stored: StoredMatchModel;
  plan: ComparisonPlan;
  model: FittedModel;
  decisionW: number;
  reviewW: number;
  dupW: number;
  /** What lowers one pair's duplicate bar (`pairBar`, `duplicatePairBar`): per comparison and level. */
  relief: Float64Array[];
  /** What the CLK's shortfall lowers a pair's duplicate bar by (clkRelief), as a full run lowers it. */
  clk: ClkRelief | undefined;
  matchProbability: number;
  reviewProbability: number | undefined;
}

/** What a full run persists (called inside its registry transaction). */
export function storedMatchModel(x: {
  header: Pick<EncodedHeader, 'evidence' | 'presence'>;
  plan: ComparisonPlan;
  model: FittedModel;
  priors: { partyA: string; partyB: string; lambda: number }[];
  matchProbability: number;
  reviewProbability: number | undefined;
  duplicateShare: number;
}): StoredMatchModel {
  const m = x.model;
  return {
    format: REGISTRY_MODEL_FORMAT,
    version: REGISTRY_MODEL_VERSION,
    evidence: (x.header.evidence ?? []).map((e) => ({ name: e.name, l: e.l })),
    presence: [...(x.header.presence ?? [])],
    plan: JSON.parse(JSON.stringify(x.plan)) as ComparisonPlan,
    model: { defs: m.defs, lambda: m.lambda, m: m.m, u: m.u, ...(m.lambdas ? { lambdas: m.lambdas } : {}) },
    priors: x.priors,
    matchProbability: x.matchProbability,
    reviewProbability: x.reviewProbability ?? null,
    duplicateShare: x.duplicateShare,
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNumArr = (v: unknown): v is number[] => Array.isArray(v) && v.every(isNum);

/**
 * Read and check a registry's stored model (fail closed): REGISTRY_DAMAGED
 * when it is not a stored model of this version or its parts do not fit
 * together, REGISTRY_SCHEMA_MISMATCH when the new file's evidence layout is
 * not the one the model was fitted on. `location` is the store's path (for
 * the error), never a record. The errors are raised by refuseStoredModel
 * (incremental.ts).
 */
export function loadMatchModel(
  raw: unknown,
  header: Pick<EncodedHeader, 'evidence' | 'presence'>,
  file: string,
  location: string,
  opts: { matchProbability?: number; reviewProbability?: number } = {},
): LoadedMatchModel {
  const bad = (what: string): never => {
    return refuseStoredModel('damaged', `the match model stored in the registry cannot be used (${what}); link all files again in a full run with the match model (fs) to rebuild it`, location);
  };
  if (typeof raw !== 'object' || raw === null) return bad('missing');
  const s = raw as Partial<StoredMatchModel>;
  if (s.format !== REGISTRY_MODEL_FORMAT) bad('not a stored match model');
  if (s.version !== REGISTRY_MODEL_VERSION) bad(`version ${String(s.version)}, this tool reads version ${REGISTRY_MODEL_VERSION}`);
  const plan = s.plan;
  const model = s.model;
  if (!plan || !Array.isArray(plan.defs) || !Array.isArray(plan.parts) || !model || !Array.isArray(model.defs)) return bad('plan or model missing');
  if (!Array.isArray(s.evidence) || !Array.isArray(s.presence) || !Array.isArray(s.priors)) bad('layout missing');
  if (!isNum(s.matchProbability) || !(s.matchProbability > 0 && s.matchProbability < 1)) bad('decision probability');
  if (s.reviewProbability !== null && !(isNum(s.reviewProbability) && s.reviewProbability > 0 && s.reviewProbability < s.matchProbability!)) bad('review probability');
  if (!isNum(s.duplicateShare)) bad('duplicate share');
  const share = (v: unknown): boolean => isNum(v) && v >= 0 && v <= 1;
  if (s.freeShares !== undefined && !(Array.isArray(s.freeShares) && s.freeShares.every((f) => typeof f?.partyA === 'string' && typeof f.partyB === 'string' && share(f.freeA) && share(f.freeB)))) bad('free shares');
  if (!isNum(model.lambda) || !(model.lambda > 0 && model.lambda < 1)) bad('prior');
  if (model.lambdas !== undefined && !isNumArr(model.lambdas)) bad('priors');
  const K = plan.defs.length;
  if (model.defs.length !== K || !Array.isArray(model.m) || !Array.isArray(model.u) || model.m.length !== K || model.u.length !== K) bad('comparisons do not match the plan');
  for (let k = 0; k < K; k++) {
    const d = plan.defs[k]!;
    const md = model.defs[k]!;
    if (!d || typeof d.name !== 'string' || !Array.isArray(d.levels) || md.name !== d.name || md.levels.length !== d.levels.length) bad(`comparison ${k} does not match the plan`);
    const L = d.levels.length;
    if (!isNumArr(model.m[k]) || !isNumArr(model.u[k]) || model.m[k]!.length !== L || model.u[k]!.length !== L) bad(`m or u of comparison ${d.name}`);
  }
  for (const p of plan.parts) {
    if (!p || !(p.source === 'clk' || (Number.isInteger(p.source) && p.source >= 0)) || !isNumArr(p.rel) || !isNumArr(p.bands) || !isNum(p.baseline) || !Number.isInteger(p.needs)) bad('plan part');
  }
  // the new file's layout must give the same comparisons (same evidence, same presence features)
  const ev = (header.evidence ?? []).map((e) => ({ name: e.name, l: e.l }));
  const fresh = comparisonPlan({ evidence: (header.evidence ?? []).map((e) => ({ ...e, stride: 0, bytes: new Uint8Array(0), popcounts: new Uint32Array(0) })), header: header as EncodedHeader });
  const sameLayout =
    JSON.stringify(ev) === JSON.stringify(s.evidence) &&
    JSON.stringify(header.presence ?? []) === JSON.stringify(s.presence) &&
    JSON.stringify(fresh.defs.map((d) => [d.name, d.levels.length])) === JSON.stringify(plan.defs.map((d) => [d.name, d.levels.length])) &&
    JSON.stringify(fresh.parts.map((p) => [p.source, p.needs, p.onlyWithout ?? null, p.place ?? null])) === JSON.stringify(plan.parts.map((p) => [p.source, p.needs, p.onlyWithout ?? null, p.place ?? null])) &&
    JSON.stringify(fresh.swap ?? null) === JSON.stringify(plan.swap ?? null) &&
    JSON.stringify(fresh.daySwap ?? null) === JSON.stringify(plan.daySwap ?? null) &&
    JSON.stringify(fresh.namesAgree ?? null) === JSON.stringify(plan.namesAgree ?? null) &&
    (fresh.joint ?? false) === (plan.joint ?? false);
  if (!sameLayout) {
    refuseStoredModel('layout', "carries other evidence filters than the ones the registry's match model was fitted on; refusing to score it with that model", file);
  }
  const fitted: FittedModel = { defs: model.defs, lambda: model.lambda, m: model.m, u: model.u, iterations: 0, converged: true, ...(model.lambdas ? { lambdas: model.lambdas } : {}) };
  const matchProbability = opts.matchProbability ?? s.matchProbability!;
  const reviewProbability = opts.reviewProbability ?? (opts.matchProbability === undefined ? (s.reviewProbability ?? undefined) : undefined);
  // (a review probability not below the decision probability is refused by the caller: incremental-run.ts)
  const decisionW = weightOfProbability(matchProbability);
  return {
    stored: s as StoredMatchModel,
    plan,
    model: fitted,
    decisionW,
    reviewW: reviewProbability !== undefined ? weightOfProbability(reviewProbability) : Number.POSITIVE_INFINITY,
    dupW: Math.max(decisionW, s.duplicateShare! * fullAgreementWeight(fitted)),
    relief: barRelief(fitted, plan.defs),
    clk: clkRelief(fitted, plan),
    matchProbability,
    reviewProbability,
  };
}

/** The weight an edge between records of parties a and b needs to add a second record of one party (`duplicateBar` on the full run's priors). */
export function duplicateWeight(m: LoadedMatchModel, a: string, b: string): number {
  return duplicateBar(m.stored.priors, a, b, m.dupW, m.decisionW);
}

/** The duplicate bar of one compared pair (levels `v.levels[x·K..]`, its records' presence bytes ANDed `have`, 0xff without them): `bar` (`duplicateWeight`, or `dupW`) lowered as a full run lowers it (`pairBar`, clkReliefOf). */
export function duplicatePairBar(m: LoadedMatchModel, bar: number, v: ComparisonVectors, x: number, have: number): number {
  const at = x * v.defs.length;
  return pairBar(bar, m.stored.duplicateShare, m.relief, v.levels, at, m.decisionW, clkReliefOf(m.clk, v.levels, at, have));
}

/** The full run's prior of one party pair, when that run had the pair (else undefined: the model never saw its pairs). */
export function storedPrior(m: LoadedMatchModel, a: string, b: string): number | undefined {
  return m.stored.priors.find((p) => (p.partyA === a && p.partyB === b) || (p.partyA === b && p.partyB === a))?.lambda;
}

/** The model with the prior of one party pair (the full run's prior of that pair, else the overall prior). */
export function modelForPair(m: LoadedMatchModel, a: string, b: string): FittedModel {
  const lambda = storedPrior(m, a, b) ?? m.model.lambda;
  const { lambdas: _l, ...rest } = m.model;
  return { ...rest, lambda };
}

/**
 * The one-name levels of `name_dob` in an increment. Whether the agreeing
 * filter is "unique" ("first+dob unique, last low", "last+dob unique, first
 * low") needs how often it occurs in each whole file, and compareCandidates
 * counts it among the representatives it is given, not the registry; so every
 * pair at a one-name level (4–7) is set here: to its unique level when
 * `unique(pair, firstAgrees)` says so (the registry's count of the filter's
 * evidence key: `uniqueInRegistry`, incremental.ts), else to the non-unique one
 * ("first+dob, last low", "last+dob, first low"). Without `unique`, all of them
 * non-unique.
 */
export function setUniqueLevels(v: ComparisonVectors, unique?: (pair: number, firstAgrees: boolean) => boolean): void {
  const k = v.defs.findIndex((d) => d.name === 'name_dob');
  if (k < 0) return;
  const K = v.defs.length;
  for (let p = 0; p < v.count; p++) {
    const l = v.levels[p * K + k]!;
    if (l < 4 || l > 7) continue;
    const first = l === 4 || l === 6;
    v.levels[p * K + k] = (unique?.(p, first) ? 4 : 6) + (first ? 0 : 1);
  }
}

/**
 * Stored records (the representatives of candidate entities) as one
 * PartyData, so compareCandidates scores them like any file: CLKs,
 * evidence filters (unpacked from the stored back-to-back bytes by the
 * layout) and presence bytes.
 */
export class StoredParty {
  private readonly clks: Uint8Array[] = [];
  private readonly ev: (Uint8Array | null)[] = [];
  private readonly pres: (number | null)[] = [];
  constructor(private readonly header: EncodedHeader) {}
  add(clk: Uint8Array, evidence: Uint8Array | null, presence: number | null): number {
    this.clks.push(clk);
    this.ev.push(evidence);
    this.pres.push(presence);
    return this.clks.length - 1;
  }
  get count(): number {
    return this.clks.length;
  }
  /** The evidence key of filter `name` of every stored record (evidenceFilterKey; NaN: none). */
  evidenceKeys(spec: EvidenceIndex, name: string): Float64Array {
    return evidenceFilterKeys(spec, name, this.ev.length, (r) => ({ evidence: this.ev[r] ?? null, presence: this.pres[r] ?? null }));
  }
  party(): PartyData {
    const n = this.clks.length;
    const l = this.header.l;
    const stride = strideFor(l);
    const clks = new Uint8Array(n * stride);
    this.clks.forEach((c, i) => clks.set(c.subarray(0, Math.min(c.length, stride)), i * stride));
    const popOf = (bytes: Uint8Array, st: number): Uint32Array => {
      const w = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2);
      const pop = new Uint32Array(n);
      const per = st >>> 2;
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (let x = i * per, e = x + per; x < e; x++) t += popcount32(w[x]!);
        pop[i] = t;
      }
      return pop;
    };
    const layout = this.header.evidence ?? [];
    let at = 0;
    const evidence = layout.map((e) => {
      const st = strideFor(e.l);
      const len = Math.ceil(e.l / 8);
      const bytes = new Uint8Array(n * st);
      const from = at;
      this.ev.forEach((b, i) => {
        if (b) bytes.set(b.subarray(from, from + len), i * st);
      });
      at += len;
      return { name: e.name, l: e.l, stride: st, bytes, popcounts: popOf(bytes, st) };
    });
    const presence = this.header.presence ? Uint8Array.from(this.pres, (p) => p ?? 0) : undefined;
    return {
      name: 'registry',
      file: 'registry',
      header: this.header,
      ids: [],
      count: n,
      stride,
      clks,
      popcounts: popOf(clks, stride),
      blocks: {},
      ...(layout.length > 0 ? { evidence } : {}),
      ...(presence ? { presence } : {}),
    };
  }
}

/** The full run's free share of party a towards party b (its residual pass), or undefined when it had none for that pair. */
export function residualShare(m: LoadedMatchModel, a: string, b: string): number | undefined {
  for (const f of m.stored.freeShares ?? []) {
    if (f.partyA === a && f.partyB === b) return f.freeA;
    if (f.partyA === b && f.partyB === a) return f.freeB;
  }
  return undefined;
}
