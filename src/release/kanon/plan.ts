/**
 * Choosing a repair: a generalization level per quasi-identifier (every
 * vector of the lattice of levels, or a greedy / Datafly walk through it)
 * plus suppression of the records still in classes that fail k or l, within
 * the suppression limit.
 */
import type { Aggregate } from './aggregate.js';
import { SUPPRESSED } from './hierarchy.js';
import { P20Error } from '../../errors.js';
import type { InformationLoss, KSettings, QiLoss, RepairStrategy } from './types.js';

const EPS = 1e-9;

export interface Evaluation {
  levels: number[];
  /** Per QI: generalized id of each original value id. */
  gid: Int32Array[];
  /** Per QI: generalized value names by generalized id. */
  gnames: string[][];
  /** Per tuple: its class. */
  classOf: Int32Array;
  classSize: Int32Array;
  /** Tuples of class c: classTuples[classStart[c] .. classStart[c + 1]). */
  classStart: Int32Array;
  classTuples: Int32Array;
  /** Per sensitive attribute: distinct values per class. */
  classDistinct: Int32Array[];
  classOk: Uint8Array;
  /** Class whose generalized values are all "*", or −1. */
  allStarClass: number;
  failingRecords: number;
}

/**
 * Reusable scratch space for l-diversity over a set of tuples: distinct
 * values counted with a stamp per value id, counts kept for entropy.
 */
class SensScratch {
  private stamp: Int32Array[];
  private count: Float64Array[];
  private touched: number[][];
  private gen = 0;
  constructor(private readonly agg: Aggregate) {
    const nj = agg.sensIdx.length;
    this.stamp = Array.from({ length: nj }, (_, j) => new Int32Array(agg.sensValues(j)).fill(-1));
    this.count = Array.from({ length: nj }, (_, j) => new Float64Array(agg.sensValues(j)));
    this.touched = Array.from({ length: nj }, () => []);
  }

  /** Start a new group. */
  reset(): void {
    this.gen++;
    for (const t of this.touched) t.length = 0;
  }

  /** Add a tuple's sensitive values to the group. */
  addTuple(t: number): void {
    const a = this.agg;
    for (let j = 0; j < this.stamp.length; j++) {
      const st = this.stamp[j]!;
      const ct = this.count[j]!;
      const vals = a.tsVal[j]!;
      const cnts = a.tsCnt[j]!;
      const off = a.tsOff[j]!;
      for (let p = off[t]!; p < off[t + 1]!; p++) {
        const v = vals[p]!;
        if (st[v] !== this.gen) {
          st[v] = this.gen;
          ct[v] = 0;
          this.touched[j]!.push(v);
        }
        ct[v]! += cnts[p]!;
      }
    }
  }

  distinct(j: number): number {
    return this.touched[j]!.length;
  }

  /** exp(entropy) of attribute j over the group of `size` records. */
  entropyL(j: number, size: number): number {
    let h = 0;
    const ct = this.count[j]!;
    for (const v of this.touched[j]!) {
      const p = ct[v]! / size;
      h -= p * Math.log(p);
    }
    return Math.exp(h);
  }

  /** Does the group meet l on every sensitive attribute? */
  ok(s: KSettings, size: number): boolean {
    for (let j = 0; j < this.stamp.length; j++) {
      if (this.distinct(j) < s.l) return false;
      if (s.entropyL && this.entropyL(j, size) < s.l - EPS) return false;
    }
    return true;
  }
}

/** Classes of the data at the given levels. */
export function evaluate(agg: Aggregate, levels: readonly number[]): Evaluation {
  agg.freeze();
  const s = agg.settings;
  const nq = agg.nq;
  const gid: Int32Array[] = [];
  const gnames: string[][] = [];
  const radix: number[] = [];
  const starId: number[] = [];
  for (let q = 0; q < nq; q++) {
    const names = agg.gen[q]![levels[q]!]!;
    const m = new Map<string, number>();
    const arr = new Int32Array(names.length);
    for (let v = 0; v < names.length; v++) {
      const g = names[v]!;
      let id = m.get(g);
      if (id === undefined) {
        id = m.size;
        m.set(g, id);
      }
      arr[v] = id;
    }
    gid.push(arr);
    gnames.push([...m.keys()]);
    radix.push(Math.max(1, m.size));
    starId.push(m.get(SUPPRESSED) ?? -1);
  }
  let product = 1;
  for (const r of radix) product *= r;
  const numeric = product <= 2 ** 52;
  const classIndex = new Map<number | string, number>();
  const nt = agg.tuples;
  const classOf = new Int32Array(nt);
  const sizes: number[] = [];
  const parts = new Array<number>(nq);
  const ids = agg.tupleIds;
  for (let t = 0; t < nt; t++) {
    let key: number | string;
    const base = t * nq;
    if (numeric) {
      let x = 0;
      for (let q = 0; q < nq; q++) x = x * radix[q]! + gid[q]![ids[base + q]!]!;
      key = x;
    } else {
      for (let q = 0; q < nq; q++) parts[q] = gid[q]![ids[base + q]!]!;
      key = parts.join(',');
    }
    let c = classIndex.get(key);
    if (c === undefined) {
      c = sizes.length;
      classIndex.set(key, c);
      sizes.push(0);
    }
    classOf[t] = c;
    sizes[c]! += agg.tupleCount[t]!;
  }
  const nc = sizes.length;
  const classSize = Int32Array.from(sizes);
  const classStart = new Int32Array(nc + 1);
  for (let t = 0; t < nt; t++) classStart[classOf[t]! + 1]!++;
  for (let c = 0; c < nc; c++) classStart[c + 1]! += classStart[c]!;
  const fill = classStart.slice(0, nc);
  const classTuples = new Int32Array(nt);
  for (let t = 0; t < nt; t++) classTuples[fill[classOf[t]!]!++] = t;

  const nj = s.sensitive.length;
  const classDistinct = Array.from({ length: nj }, () => new Int32Array(nc));
  const classOk = new Uint8Array(nc);
  const scratch = nj > 0 ? new SensScratch(agg) : undefined;
  let failingRecords = 0;
  let allStarClass = -1;
  for (let c = 0; c < nc; c++) {
    const size = classSize[c]!;
    let ok = size >= s.k;
    if (scratch) {
      scratch.reset();
      for (let p = classStart[c]!; p < classStart[c + 1]!; p++) scratch.addTuple(classTuples[p]!);
      for (let j = 0; j < nj; j++) classDistinct[j]![c] = scratch.distinct(j);
      if (ok) ok = scratch.ok(s, size);
    }
    classOk[c] = ok ? 1 : 0;
    if (!ok) failingRecords += size;
    const t0 = classTuples[classStart[c]!]!;
    let allStar = true;
    for (let q = 0; q < nq && allStar; q++) if (gid[q]![ids[t0 * nq + q]!] !== starId[q]) allStar = false;
    if (allStar) allStarClass = c;
  }
  return { levels: [...levels], gid, gnames, classOf, classSize, classStart, classTuples, classDistinct, classOk, allStarClass, failingRecords };
}

export interface Plan {
  evaluation: Evaluation;
  /** Classes whose records are all suppressed. */
  suppressClass: Uint8Array;
  /** Class → number of its records (first in file order) also suppressed, so the suppressed group reaches k. */
  topUp: Map<number, number>;
  suppressedRecords: number;
  valid: boolean;
  reason?: string;
  /** Cached informationLoss(...).precision. */
  precision?: number;
}

/** Suppression needed at an evaluation, and whether the result meets k and l within the limit. */
export function planSuppression(agg: Aggregate, ev: Evaluation): Plan {
  const s = agg.settings;
  const nc = ev.classSize.length;
  const nj = s.sensitive.length;
  const suppressClass = new Uint8Array(nc);
  const topUp = new Map<number, number>();
  let sup = 0;
  for (let c = 0; c < nc; c++) {
    if (!ev.classOk[c]) {
      suppressClass[c] = 1;
      sup += ev.classSize[c]!;
    }
  }
  const limit = Math.floor(s.maxSuppressedFraction * agg.rows + EPS);
  const plan: Plan = { evaluation: ev, suppressClass, topUp, suppressedRecords: sup, valid: false };
  if (sup > limit) {
    plan.reason = `${sup} record(s) would need suppression, above the limit of ${limit} (${s.maxSuppressedFraction} of ${agg.rows})`;
    return plan;
  }
  if (s.suppression === 'local' && sup > 0) {
    const mergeTarget = ev.allStarClass >= 0 && ev.classOk[ev.allStarClass] ? ev.allStarClass : -1;
    if (mergeTarget < 0) {
      // The suppressed records form one class ("*" in every quasi-identifier): it must reach k ...
      while (sup < s.k) {
        const need = s.k - sup;
        let best = -1;
        for (let c = 0; c < nc; c++) {
          if (suppressClass[c] || topUp.has(c)) continue;
          const size = ev.classSize[c]!;
          if (size - need < s.k) continue;
          let diverse = true;
          for (let j = 0; j < nj && diverse; j++) if (ev.classDistinct[j]![c]! < s.l + need) diverse = false;
          if (!diverse) continue;
          if (best < 0 || size > ev.classSize[best]!) best = c;
        }
        if (best >= 0) {
          topUp.set(best, need);
          sup += need;
          break;
        }
        let smallest = -1;
        for (let c = 0; c < nc; c++) {
          if (suppressClass[c] || topUp.has(c)) continue;
          if (smallest < 0 || ev.classSize[c]! < ev.classSize[smallest]!) smallest = c;
        }
        if (smallest < 0) break;
        suppressClass[smallest] = 1;
        sup += ev.classSize[smallest]!;
      }
      plan.suppressedRecords = sup;
      if (sup < s.k) {
        plan.reason = `the ${sup} suppressed record(s) would form a class smaller than k = ${s.k}`;
        return plan;
      }
      // ... and be l-diverse (counted on the wholly suppressed classes; the final re-check covers the rest).
      if (nj > 0) {
        const scratch = new SensScratch(agg);
        scratch.reset();
        let n = 0;
        for (let c = 0; c < nc; c++) {
          if (!suppressClass[c]) continue;
          n += ev.classSize[c]!;
          for (let p = ev.classStart[c]!; p < ev.classStart[c + 1]!; p++) scratch.addTuple(ev.classTuples[p]!);
        }
        if (!scratch.ok(s, n)) {
          plan.reason = `the suppressed records would not be ${s.l}-diverse in every sensitive attribute`;
          return plan;
        }
      }
    }
  }
  plan.suppressedRecords = sup;
  if (sup > limit) {
    plan.reason = `${sup} record(s) would need suppression, above the limit of ${limit} (${s.maxSuppressedFraction} of ${agg.rows})`;
    return plan;
  }
  plan.valid = true;
  return plan;
}

export interface SearchStep {
  levels: Record<string, number>;
  recordsInFailingClasses: number;
  suppressNeeded: number;
}

export interface SearchResult {
  plan: Plan;
  /** Walk strategies: every level vector evaluated, in order. Optimal: each new best valid vector. */
  steps: SearchStep[];
  strategyUsed: Exclude<RepairStrategy, 'auto'>;
  latticeSize: number;
  /** Level vectors evaluated. */
  evaluated: number;
}

/** "auto" searches the whole lattice up to this many level vectors. */
export const OPTIMAL_LATTICE_LIMIT = 4096;
/** "optimal" is refused above this many level vectors. */
export const OPTIMAL_LATTICE_MAX = 1_000_000;

function namedLevels(agg: Aggregate, levels: readonly number[]): Record<string, number> {
  return Object.fromEntries(agg.settings.qi.map((q, i) => [q, levels[i]!]));
}

/** Number of level vectors: product over the QIs of (max level + 1). */
export function latticeSize(agg: Aggregate): number {
  return agg.generalizers.reduce((p, g) => p * (g.maxLevel + 1), 1);
}

/** Is plan a better than plan b (more precision, then less suppression, then lower levels)? */
function better(agg: Aggregate, a: Plan, b: Plan | undefined): boolean {
  if (b === undefined) return true;
  const pa = (a.precision ??= informationLoss(agg, a).precision);
  const pb = (b.precision ??= informationLoss(agg, b).precision);
  if (pa !== pb) return pa > pb;
  if (a.suppressedRecords !== b.suppressedRecords) return a.suppressedRecords < b.suppressedRecords;
  const sum = (p: Plan) => p.evaluation.levels.reduce((x, y) => x + y, 0);
  return sum(a) < sum(b);
}

/**
 * Choose generalization levels and suppression meeting k and l within the
 * suppression limit, with as little information lost (Sweeney's precision,
 * suppressed records counting as fully lost) as the strategy finds.
 */
export function searchRepair(agg: Aggregate): SearchResult {
  const s = agg.settings;
  const size = latticeSize(agg);
  const used: Exclude<RepairStrategy, 'auto'> = s.strategy === 'auto' ? (size <= OPTIMAL_LATTICE_LIMIT ? 'optimal' : 'greedy') : s.strategy;
  if (used === 'optimal') {
    if (size > OPTIMAL_LATTICE_MAX) {
      throw new P20Error(
        'KCHECK_SETTINGS',
        `the hierarchies give ${size} level combinations, too many to search them all; use the strategy option greedy or datafly`,
        { field: 'strategy' },
        { hint: { id: 'use-option', option: 'strategy' } },
      );
    }
    return searchOptimal(agg, size);
  }
  return searchWalk(agg, used, size);
}

function searchOptimal(agg: Aggregate, size: number): SearchResult {
  const gens = agg.generalizers;
  const levels = gens.map(() => 0);
  const steps: SearchStep[] = [];
  let best: Plan | undefined;
  let last: Plan | undefined;
  let evaluated = 0;
  // Vectors valid with no suppression: any vector at or above one of them
  // (componentwise) loses more precision and cannot be better, so it is skipped.
  const clean: number[][] = [];
  const dominates = (v: readonly number[]): boolean => clean.some((c) => c.every((x, i) => v[i]! >= x));
  while (true) {
    if (!dominates(levels)) {
      const ev = evaluate(agg, levels);
      const plan = planSuppression(agg, ev);
      evaluated++;
      last = plan;
      if (plan.valid && plan.suppressedRecords === 0) clean.push([...levels]);
      if (plan.valid && better(agg, plan, best)) {
        best = plan;
        steps.push({ levels: namedLevels(agg, levels), recordsInFailingClasses: ev.failingRecords, suppressNeeded: plan.suppressedRecords });
      }
    }
    // next vector (mixed-radix counter, last QI fastest)
    let q = gens.length - 1;
    while (q >= 0 && levels[q] === gens[q]!.maxLevel) {
      levels[q] = 0;
      q--;
    }
    if (q < 0) break;
    levels[q]!++;
  }
  if (best) return { plan: best, steps, strategyUsed: 'optimal', latticeSize: size, evaluated };
  last!.reason = `no generalization within the hierarchies' limits meets the requirements: ${last!.reason ?? ''}`;
  return { plan: last!, steps, strategyUsed: 'optimal', latticeSize: size, evaluated };
}

/**
 * Walk up the lattice one level at a time. Greedy: take the step that removes
 * the most failing records per unit of precision lost. Datafly: generalize
 * the quasi-identifier with the most distinct values. The walk goes on past
 * the first valid vector until no record fails (suppression is counted as
 * loss, so a higher level can be better), then steps back down while that
 * keeps the result valid and improves precision.
 */
function searchWalk(agg: Aggregate, strategy: 'greedy' | 'datafly', size: number): SearchResult {
  const gens = agg.generalizers;
  const levels = gens.map(() => 0);
  const steps: SearchStep[] = [];
  let best: Plan | undefined;
  let plan: Plan;
  const counter = { evaluated: 0 };
  while (true) {
    const ev = evaluate(agg, levels);
    counter.evaluated++;
    plan = planSuppression(agg, ev);
    steps.push({ levels: namedLevels(agg, levels), recordsInFailingClasses: ev.failingRecords, suppressNeeded: plan.suppressedRecords });
    if (plan.valid && better(agg, plan, best)) best = plan;
    const candidates = gens.map((_, q) => q).filter((q) => levels[q]! < gens[q]!.maxLevel);
    if (ev.failingRecords === 0 || candidates.length === 0) break;
    let pick = candidates[0]!;
    if (strategy === 'datafly') {
      let most = -1;
      for (const q of candidates) {
        const d = ev.gnames[q]!.length;
        if (d > most) {
          most = d;
          pick = q;
        }
      }
    } else {
      let bestGain = -1;
      let bestCost = Number.POSITIVE_INFINITY;
      for (const q of candidates) {
        const next = [...levels];
        next[q]!++;
        const e2 = evaluate(agg, next);
        counter.evaluated++;
        const cost = 1 / gens[q]!.height;
        const gain = (ev.failingRecords - e2.failingRecords) / cost;
        if (gain > bestGain + EPS || (Math.abs(gain - bestGain) <= EPS && cost < bestCost)) {
          bestGain = gain;
          bestCost = cost;
          pick = q;
        }
      }
    }
    levels[pick]!++;
  }
  if (best === undefined) {
    plan.reason = `no generalization within the hierarchies' limits meets the requirements: ${plan.reason ?? ''}`;
    return { plan, steps, strategyUsed: strategy, latticeSize: size, evaluated: counter.evaluated };
  }
  return { plan: descend(agg, best, steps, counter), steps, strategyUsed: strategy, latticeSize: size, evaluated: counter.evaluated };
}

/** Step back down one level at a time while the result stays valid and precision improves. */
function descend(agg: Aggregate, start: Plan, steps: SearchStep[], counter: { evaluated: number }): Plan {
  let best = start;
  while (true) {
    let next: Plan | undefined;
    const levels = best.evaluation.levels;
    for (let q = 0; q < levels.length; q++) {
      if (levels[q]! === 0) continue;
      const lower = [...levels];
      lower[q]!--;
      const ev = evaluate(agg, lower);
      counter.evaluated++;
      const p = planSuppression(agg, ev);
      steps.push({ levels: namedLevels(agg, lower), recordsInFailingClasses: ev.failingRecords, suppressNeeded: p.suppressedRecords });
      if (p.valid && better(agg, p, next ?? best)) next = p;
    }
    if (next === undefined) return best;
    best = next;
  }
}

/** What the chosen plan costs. */
export function informationLoss(agg: Aggregate, plan: Plan): InformationLoss {
  const s = agg.settings;
  const ev = plan.evaluation;
  const nq = agg.nq;
  const N = agg.rows;
  const local = s.suppression === 'local';
  const sup = plan.suppressedRecords;
  // distinct generalized values among records kept (not wholly suppressed)
  const seen = ev.gnames.map(() => new Set<number>());
  for (let t = 0; t < agg.tuples; t++) {
    const c = ev.classOf[t]!;
    if (plan.suppressClass[c]) continue;
    for (let q = 0; q < nq; q++) seen[q]!.add(ev.gid[q]![agg.tupleIds[t * nq + q]!]!);
  }
  const perQi: QiLoss[] = agg.generalizers.map((g, q) => {
    const names = new Set([...seen[q]!].map((id) => ev.gnames[q]![id]!));
    if (local && sup > 0) names.add(SUPPRESSED);
    return {
      qi: g.qi,
      level: ev.levels[q]!,
      height: g.height,
      description: g.describe(ev.levels[q]!),
      distinctBefore: agg.values[q]!.length,
      distinctAfter: names.size,
    };
  });
  const kept = N - sup;
  let levelLoss = 0;
  for (const p of perQi) levelLoss += p.level / p.height;
  const precision = N === 0 || nq === 0 ? 1 : 1 - (kept * levelLoss + sup * nq) / (N * nq);
  let discernibility = 0;
  let keptClasses = 0;
  for (let c = 0; c < ev.classSize.length; c++) {
    if (plan.suppressClass[c]) continue;
    const size = ev.classSize[c]! - (plan.topUp.get(c) ?? 0);
    discernibility += size * size;
    keptClasses++;
  }
  discernibility += sup * N;
  const outClasses = keptClasses + (local && sup > 0 && !(ev.allStarClass >= 0 && !plan.suppressClass[ev.allStarClass]) ? 1 : 0);
  const outRecords = local ? N : kept;
  return {
    perQi,
    suppressedRecords: sup,
    suppressedValues: sup * nq,
    suppressedFraction: N === 0 ? 0 : sup / N,
    precision: Math.round(precision * 1e6) / 1e6,
    discernibility,
    averageClassSizeRatio: outClasses === 0 ? 0 : Math.round((outRecords / outClasses / s.k) * 1e6) / 1e6,
  };
}

/** Row rewriter for a plan: returns the output row, or null when the record is dropped. */
export function rowRewriter(agg: Aggregate, plan: Plan): (fields: readonly string[], line: number) => string[] | null {
  const s = agg.settings;
  const ev = plan.evaluation;
  const remaining = new Map(plan.topUp);
  const local = s.suppression === 'local';
  return (fields, line) => {
    const t = agg.tupleOf(fields, line, false);
    const c = ev.classOf[t]!;
    let suppress = plan.suppressClass[c] === 1;
    if (!suppress) {
      const r = remaining.get(c);
      if (r !== undefined && r > 0) {
        remaining.set(c, r - 1);
        suppress = true;
      }
    }
    if (suppress && !local) return null;
    const out = [...fields];
    for (let q = 0; q < agg.nq; q++) {
      const i = agg.qiIdx[q]!;
      out[i] = suppress ? SUPPRESSED : agg.gen[q]![ev.levels[q]!]![agg.tupleIds[t * agg.nq + q]!]!;
    }
    return out;
  };
}
