import { P20Error } from '../../errors.js';
import { NULL_LEVEL, type ComparisonDef, type ComparisonVectors, type FittedModel, type Refinement } from './types.js';

/**
 * Fitting the Fellegi–Sunter model (docs/match-model.md):
 *
 * - u (level frequencies among non-matches) from random pairs: almost every
 *   random pair is a non-match, so u[k][l] is the share of level l among the
 *   random pairs where comparison k is not null (plus a half-count pseudo
 *   count, so a level never seen among random pairs has a small u, not 0).
 * - m (level frequencies among matches) and the prior λ (share of matches
 *   among the candidate pairs, per group when the candidates carry groups)
 *   by expectation–maximization on the candidate pairs, u held fixed.
 *   Null levels are left out of both m and u: they carry no evidence.
 * - EM runs on the distinct comparison patterns with their counts (a few
 *   thousand at most), so its cost does not grow with the number of pairs.
 * - m of some comparisons may be held fixed (FitOptions.fixedM): the linker
 *   passes m counted on anchor pairs (anchors.ts), so EM fits only u and
 *   the priors there.
 * - Afterwards the weights log2(m/u) are made monotone (more agreement never
 *   weighs less) by pooling adjacent violating levels (see enforceMonotone).
 *
 * Selection (FitOptions.selection): candidates are not random pairs, they
 * are the pairs whose comparisons reached a blocking floor. A non-match
 * among them follows u restricted to the selected patterns, u(γ)/u(S); a
 * mixture λ·m + (1 − λ)·u fitted to the candidates without that correction
 * would call every candidate a match (u puts almost all its mass on
 * patterns that were never selected). With it, EM estimates the share of
 * matches among the candidates λ_c, and the prior of the weight formula is
 * the effective λ with odds λ_c/(1 − λ_c)·u(S): the same posterior, written
 * with the untruncated u. (Matches are nearly all selected: m(S) ≈ 1.)
 */
export interface FitOptions {
  maxIterations?: number;
  /** Stop when no m, u or λ moves by more than this (default 1e-7). */
  tolerance?: number;
  /**
   * 'random' (default): u from random pairs, fixed. 'em': u re-estimated
   * by EM among the candidates too (starting from the random pairs' u).
   */
  u?: 'random' | 'em';
  /** Starting prior (default 0.1). */
  initialLambda?: number;
  /**
   * How the candidates were selected, per comparison: the pair is a
   * candidate when for some comparison k its level is ≤ selection[k] (−1:
   * comparison k selects nothing). Non-matches among the candidates are then
   * modelled as random pairs conditioned on being selected, u(γ)/u(S), with
   * u(S) = 1 − ∏_k (1 − P_u(level_k ≤ selection[k])); see the note below.
   */
  selection?: readonly number[];
  /**
   * m of some comparisons held fixed (by comparison index; undefined = fit
   * by EM): m estimated outside EM, on pairs that other evidence makes near
   * certain matches (anchors, docs/match-model.md). A comparison nearly
   * independent of the others given the match status and with known m pins
   * EM's match class to "same person". A NaN entry leaves that level to EM
   * (a level the anchors cannot reach); the fixed levels then share the rest
   * of the mass in their fixed proportions.
   */
  fixedM?: readonly (readonly number[] | undefined)[];
  /**
   * Per group: whether its pairs teach m and u (default: every group's).
   * The priors of every group are fitted. A comparison that the teaching
   * groups hold in fewer than MIN_TEACHING pairs is taught by every group
   * (`teachingComparisons`). The linker leaves out the party pairs whose
   * candidates were selected by the names alone (a file without birth
   * dates, link-files.ts `teachingJobs`).
   */
  teaching?: readonly boolean[];
}

/** Fewest candidate pairs holding a comparison (not null) in the teaching groups for those groups alone to teach its m and u. */
export const MIN_TEACHING = 50;

/** Pseudo counts: u from random pairs (half a count per level), m in EM (a thousandth of a pair per level). */
const U_PSEUDO = 0.5;
const M_PSEUDO = 1e-3;

function checkVectors(v: ComparisonVectors, defs: ComparisonDef[], what: string): void {
  const K = defs.length;
  if (v.levels.length !== v.count * K) throw new P20Error('MODEL_INPUT', `${what}: ${v.levels.length} levels for ${v.count} pairs of ${K} comparisons`);
  if (v.defs.length !== K || v.defs.some((d, k) => d.name !== defs[k]!.name || d.levels.length !== defs[k]!.levels.length)) {
    throw new P20Error('MODEL_INPUT', `${what}: comparisons differ from the candidates'`);
  }
  for (const d of defs) if (d.levels.length < 1 || d.levels.length > 254) throw new P20Error('MODEL_INPUT', `comparison ${d.name}: 1 to 254 levels allowed`);
  for (let x = 0; x < v.levels.length; x++) {
    const l = v.levels[x]!;
    if (l !== NULL_LEVEL && l >= defs[x % K]!.levels.length) throw new P20Error('MODEL_INPUT', `${what}: pair ${Math.floor(x / K)} has level ${l} for comparison ${defs[x % K]!.name}, which has ${defs[x % K]!.levels.length} levels`);
  }
}

/** The random pairs' u: what fitModel starts u from (fixed with u 'random'), and RefineOptions.randomU. */
export function randomPairsU(random: ComparisonVectors): number[][] {
  return levelFrequencies(random, U_PSEUDO);
}

/** Level frequencies per comparison among the given vectors (non-null only), with a pseudo count per level. */
export function levelFrequencies(v: ComparisonVectors, pseudo: number): number[][] {
  const K = v.defs.length;
  const counts = v.defs.map((d) => new Float64Array(d.levels.length));
  for (let p = 0; p < v.count; p++) {
    for (let k = 0; k < K; k++) {
      const l = v.levels[p * K + k]!;
      if (l !== NULL_LEVEL) counts[k]![l]!++;
    }
  }
  return counts.map((c) => {
    let t = 0;
    for (const x of c) t += x + pseudo;
    return Array.from(c, (x) => (t > 0 ? (x + pseudo) / t : 1 / c.length));
  });
}

/** Share of null levels per comparison. */
function nullRates(v: ComparisonVectors): number[] {
  const K = v.defs.length;
  const n = new Float64Array(K);
  for (let p = 0; p < v.count; p++) for (let k = 0; k < K; k++) if (v.levels[p * K + k] === NULL_LEVEL) n[k]!++;
  return Array.from(n, (x) => (v.count > 0 ? x / v.count : 0));
}

/** Distinct (pattern, group) combinations with counts. */
interface Patterns {
  /** n * K levels. */
  levels: Uint8Array;
  group: Uint16Array;
  count: Float64Array;
  n: number;
}

function compress(v: ComparisonVectors): Patterns {
  // a pattern as one number (mixed radix: group, then each comparison's level or null), when it fits a double exactly
  let span = 1;
  for (let p = 0; v.group && p < v.count; p++) span = Math.max(span, v.group[p]! + 1);
  for (const d of v.defs) span *= d.levels.length + 1;
  return span <= Number.MAX_SAFE_INTEGER ? compressNumeric(v) : compressByText(v);
}

/** compress with a pattern's number as its key (the same patterns in the same first-seen order as compressByText). */
export function compressNumeric(v: ComparisonVectors): Patterns {
  const K = v.defs.length;
  const radix = v.defs.map((d) => d.levels.length + 1);
  // level digits: a level as itself, null as the comparison's level count (levels are checked before: checkVectors)
  const nullDigit = v.defs.map((d) => d.levels.length);
  return compressBy(v, (g, o) => {
    let key = g;
    for (let k = 0; k < K; k++) {
      const l = v.levels[o + k]!;
      key = key * radix[k]! + (l === NULL_LEVEL ? nullDigit[k]! : l);
    }
    return key;
  });
}

/** compress with a pattern's text as its key (any number of comparisons and levels). */
export function compressByText(v: ComparisonVectors): Patterns {
  const K = v.defs.length;
  const key = new Array<number>(K + 1);
  return compressBy(v, (g, o) => {
    key[0] = g;
    for (let k = 0; k < K; k++) key[k + 1] = v.levels[o + k]!;
    return key.join(',');
  });
}

/** The distinct (group, levels) patterns in first-seen order with their counts; `keyOf(group, offset of the pair's levels)` names a pattern. */
function compressBy(v: ComparisonVectors, keyOf: (g: number, o: number) => number | string): Patterns {
  const K = v.defs.length;
  const map = new Map<number | string, number>();
  const lv: number[] = [];
  const gr: number[] = [];
  const ct: number[] = [];
  for (let p = 0; p < v.count; p++) {
    const g = v.group ? v.group[p]! : 0;
    const o = p * K;
    const key = keyOf(g, o);
    const at = map.get(key);
    if (at !== undefined) ct[at]!++;
    else {
      map.set(key, ct.length);
      ct.push(1);
      gr.push(g);
      for (let k = 0; k < K; k++) lv.push(v.levels[o + k]!);
    }
  }
  return { levels: Uint8Array.from(lv), group: Uint16Array.from(gr), count: Float64Array.from(ct), n: ct.length };
}

/** Number of groups (priors) of the candidates, checked. */
function groupCountOf(cand: ComparisonVectors): number {
  const G = cand.group ? Math.max(1, cand.groupCount ?? 1) : 1;
  if (cand.group) {
    if (cand.group.length !== cand.count) throw new P20Error('MODEL_INPUT', `candidate pairs: ${cand.group.length} groups for ${cand.count} pairs`);
    for (const g of cand.group) if (g >= G) throw new P20Error('MODEL_INPUT', `candidate pairs: group ${g} out of range (groupCount ${G})`);
  }
  return G;
}

function totals(pat: Patterns, G: number): Float64Array {
  const t = new Float64Array(G);
  for (let p = 0; p < pat.n; p++) t[pat.group[p]!]! += pat.count[p]!;
  return t;
}

/** EM's parameters, updated in place. */
interface EmState {
  m: number[][];
  u: number[][];
  lam: number[];
}

/**
 * Expectation–maximization on the distinct patterns, from the state given
 * (updated in place) until no m, u or λ moves by more than `tol` or `maxIt`
 * iterations: m (but the fixed levels), u when `emU`, one λ per group.
 * With `bound` (per group), EM stops at the last state whose expected
 * matches (Σ of the posteriors, its E step) stay within it in every group;
 * with `floor`, the same from below.
 */
function runEm(pat: Patterns, defs: readonly ComparisonDef[], s: EmState, groupTotal: Float64Array, o: { maxIt: number; tol: number; relative?: boolean; emU: boolean; uS: number; fixedM?: FitOptions['fixedM']; heldM?: RefineOptions['heldM']; bound?: readonly number[]; floor?: readonly number[]; teaching?: Teaching }): EmRun {
  const K = defs.length;
  const G = s.lam.length;
  const { m, u, lam } = s;
  const { maxIt, tol, emU, uS } = o;
  // relative: a change counts against the old value (the weights are log ratios, so a u of 1e-6 that doubles matters as much as one of 0.1)
  const moved = o.relative ? (nv: number, old: number): number => Math.abs(nv - old) / Math.max(old, 1e-300) : (nv: number, old: number): number => Math.abs(nv - old);
  let iterations = 0;
  let converged = false;
  const mNum = defs.map((d) => new Float64Array(d.levels.length));
  const uNum = defs.map((d) => new Float64Array(d.levels.length));
  const lamNum = new Float64Array(G);
  // with a bound or a floor: the state before the last M step and its expected matches, to step back to
  let prev: { state: EmState; expected: Float64Array } | undefined;
  for (;;) {
    for (const a of mNum) a.fill(0);
    for (const a of uNum) a.fill(0);
    lamNum.fill(0);
    // E step: posterior match probability of each pattern; M step sums
    for (let p = 0; p < pat.n; p++) {
      const g = pat.group[p]!;
      let pm = lam[g]!;
      let pu = (1 - lam[g]!) / uS;
      for (let k = 0; k < K; k++) {
        const l = pat.levels[p * K + k]!;
        if (l === NULL_LEVEL) continue;
        pm *= m[k]![l]!;
        pu *= u[k]![l]!;
      }
      const post = pm + pu > 0 ? pm / (pm + pu) : 0;
      const c = pat.count[p]!;
      lamNum[g]! += c * post;
      const taught = o.teaching?.only;
      const learns = !taught || o.teaching!.groups[g]!;
      for (let k = 0; k < K; k++) {
        const l = pat.levels[p * K + k]!;
        if (l === NULL_LEVEL || (!learns && taught![k]!)) continue;
        mNum[k]![l]! += c * post;
        uNum[k]![l]! += c * (1 - post);
      }
    }
    // lamNum[g]: group g's expected matches under the current state
    const over = o.bound !== undefined && lamNum.some((e, g) => e > o.bound![g]!);
    const under = !over && o.floor !== undefined && lamNum.some((e, g) => e < o.floor![g]!);
    if (over || under) {
      if (!prev) return { iterations: 0, converged: false, atBound: over, atFloor: under, expected: lamNum.slice() };
      for (let k = 0; k < K; k++) {
        m[k] = prev.state.m[k]!;
        u[k] = prev.state.u[k]!;
      }
      for (let g = 0; g < G; g++) lam[g] = prev.state.lam[g]!;
      return { iterations: iterations - 1, converged: false, atBound: over, atFloor: under, expected: prev.expected };
    }
    if (converged || iterations >= maxIt) break;
    if (o.bound || o.floor) prev = { state: { m: m.map((r) => r.slice()), u: u.map((r) => r.slice()), lam: lam.slice() }, expected: lamNum.slice() };
    iterations++;
    let delta = 0;
    for (let k = 0; k < K; k++) {
      const L = defs[k]!.levels.length;
      let t = 0;
      for (let l = 0; l < L; l++) t += mNum[k]![l]! + M_PSEUDO;
      const fixed = o.fixedM?.[k];
      // fixed levels: their share of EM's mass, split in the fixed proportions
      let fixedMass = 0;
      let fixedSum = 0;
      if (fixed) {
        for (let l = 0; l < L; l++) {
          if (Number.isNaN(fixed[l]!)) continue;
          fixedMass += (mNum[k]![l]! + M_PSEUDO) / t;
          fixedSum += fixed[l]!;
        }
      }
      const next = Array.from({ length: L }, (_, l) => (!fixed || Number.isNaN(fixed[l]!) ? (mNum[k]![l]! + M_PSEUDO) / t : fixedSum > 0 ? (fixedMass * fixed[l]!) / fixedSum : 0));
      const held = holdLevels(next, o.heldM?.[k]);
      for (let l = 0; l < L; l++) {
        delta = Math.max(delta, moved(held[l]!, m[k]![l]!));
        m[k]![l] = held[l]!;
      }
      if (emU) {
        let tu = 0;
        for (let l = 0; l < L; l++) tu += uNum[k]![l]! + U_PSEUDO;
        for (let l = 0; l < L; l++) {
          const nv = (uNum[k]![l]! + U_PSEUDO) / tu;
          delta = Math.max(delta, moved(nv, u[k]![l]!));
          u[k]![l] = nv;
        }
      }
    }
    for (let g = 0; g < G; g++) {
      const nv = groupTotal[g]! > 0 ? Math.min(1 - 1e-12, Math.max(1e-12, lamNum[g]! / groupTotal[g]!)) : lam[g]!;
      delta = Math.max(delta, moved(nv, lam[g]!));
      lam[g] = nv;
    }
    if (delta < tol) converged = true;
  }
  return { iterations, converged, atBound: false, atFloor: false, expected: lamNum.slice() };
}

/** FitOptions.teaching resolved over the candidates' patterns: the teaching groups, and per comparison whether they alone teach it. */
interface Teaching {
  groups: readonly boolean[];
  only: readonly boolean[];
}

/**
 * Per comparison: whether the teaching groups alone teach its m and u
 * (they hold it, not null, in at least MIN_TEACHING pairs); undefined when
 * every group teaches.
 */
export function teachingComparisons(cand: ComparisonVectors, teaching: readonly boolean[] | undefined): boolean[] | undefined {
  if (!teaching || !cand.group || teaching.every(Boolean)) return undefined;
  const K = cand.defs.length;
  const held = new Float64Array(K);
  for (let p = 0; p < cand.count; p++) {
    if (!teaching[cand.group[p]!]) continue;
    for (let k = 0; k < K; k++) if (cand.levels[p * K + k] !== NULL_LEVEL) held[k]!++;
  }
  return Array.from(held, (n) => n >= MIN_TEACHING);
}

function teachingOf(cand: ComparisonVectors, teaching: readonly boolean[] | undefined, G: number): Teaching | undefined {
  if (teaching && teaching.length !== G) throw new P20Error('MODEL_INPUT', `candidate pairs: ${teaching.length} teaching flags for ${G} groups`);
  const only = teachingComparisons(cand, teaching);
  return only && teaching ? { groups: teaching, only } : undefined;
}

/** m with the held levels at their values and the free ones scaled to share the rest (RefineOptions.heldM); a copy. */
function holdLevels(m: readonly number[], held: readonly number[] | undefined): number[] {
  if (!held) return m.slice();
  let heldSum = 0;
  let freeSum = 0;
  m.forEach((x, l) => {
    if (Number.isNaN(held[l]!)) freeSum += x;
    else heldSum += held[l]!;
  });
  return m.map((x, l) => (Number.isNaN(held[l]!) ? (freeSum > 0 ? (x * (1 - heldSum)) / freeSum : 0) : held[l]!));
}

interface EmRun {
  /** M steps taken (and kept). */
  iterations: number;
  converged: boolean;
  /** Stopped at the bound: the state is the last one within it (none within: the start, 0 iterations). */
  atBound: boolean;
  /** Stopped at the floor: the same from below. */
  atFloor: boolean;
  /** Each group's expected matches under the final state. */
  expected: Float64Array;
}

export function fitModel(cand: ComparisonVectors, random: ComparisonVectors, opts: FitOptions = {}): FittedModel {
  const defs = cand.defs;
  checkVectors(cand, defs, 'candidate pairs');
  checkVectors(random, defs, 'random pairs');
  const G = groupCountOf(cand);
  const maxIt = opts.maxIterations ?? 200;
  const tol = opts.tolerance ?? 1e-7;
  const emU = opts.u === 'em';
  const u = randomPairsU(random);
  // start: m falls off with each level (quarter per step); λ small
  const m = defs.map((d, k) => {
    const fixed = opts.fixedM?.[k];
    if (fixed) {
      if (fixed.length !== d.levels.length) throw new P20Error('MODEL_INPUT', `fixed m of comparison ${d.name}: ${fixed.length} levels for ${d.levels.length}`);
      // free levels start small; fixed ones keep their proportions
      const free = fixed.filter((x) => Number.isNaN(x)).length;
      const start = fixed.map((x) => (Number.isNaN(x) ? 0.01 : x));
      const t = start.reduce((a, b) => a + b, 0);
      return free === fixed.length ? start.map(() => 1 / free) : start.map((x) => x / t);
    }
    const w = d.levels.map((_, l) => 4 ** -l);
    const t = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / t);
  });
  const lam = new Array<number>(G).fill(opts.initialLambda ?? 0.1);
  // u(S): probability that a random pair is selected (1 without selection)
  let uS = 1;
  if (opts.selection) {
    const nullRate = nullRates(random);
    let none = 1;
    opts.selection.forEach((deep, k) => {
      if (deep < 0) return;
      let t = 0;
      for (let l = 0; l <= deep && l < u[k]!.length; l++) t += u[k]![l]!;
      none *= 1 - t * (1 - nullRate[k]!);
    });
    uS = Math.min(1, Math.max(1e-300, 1 - none));
  }
  const pat = compress(cand);
  const groupTotal = totals(pat, G);
  const teaching = teachingOf(cand, opts.teaching, G);
  const run = cand.count === 0 ? { iterations: 0, converged: true } : runEm(pat, defs, { m, u, lam }, groupTotal, { maxIt, tol, emU, uS, ...(opts.fixedM ? { fixedM: opts.fixedM } : {}), ...(teaching ? { teaching } : {}) });
  const { iterations, converged } = run;
  let all = 0;
  let matches = 0;
  for (let g = 0; g < G; g++) {
    all += groupTotal[g]!;
    matches += lam[g]! * groupTotal[g]!;
  }
  // the weight formula's prior: odds of a match among candidates times u(S)
  const effective = (lc: number): number => {
    const odds = (lc / (1 - lc)) * uS;
    return odds / (1 + odds);
  };
  const model: FittedModel = { defs, lambda: effective(all > 0 ? matches / all : lam[0]!), m, u, iterations, converged };
  if (cand.group) model.lambdas = lam.map(effective);
  if (opts.selection) {
    model.candidateShare = all > 0 ? matches / all : lam[0]!;
    model.selected = uS;
  }
  return enforceMonotone(model);
}

/**
 * Make every comparison's weights log2(m/u) non-increasing from the level of
 * most agreement to the least (pool-adjacent-violators on the ratio m/u):
 * a run of levels whose weights rise where they should fall is pooled into
 * one ratio M/U (sums over the run), keeping each level's u and setting
 * m_l = u_l·M/U, so the sum of m over the run is unchanged. EM on data that
 * fit the model gives monotone weights already; this guards small samples and
 * correlated comparisons. The pooled runs are recorded in `pooled`.
 * Comparisons whose levels are categories (ComparisonDef.ordered false) are
 * left as fitted: pooling a joint comparison's categories along an order
 * they do not have erased what told them apart (name_dob's "first name and
 * date agree, the value unique in both files" pooled with "both names and
 * the date partly agree": m 0.042 → 0.024 on generated data).
 */
export function enforceMonotone(model: FittedModel): FittedModel {
  const pooled: NonNullable<FittedModel['pooled']> = [];
  const m = model.m.map((row, k) => {
    if (model.defs[k]!.ordered === false) return row.slice();
    const u = model.u[k]!;
    // blocks of [from, to] with summed m and u; merge while a block's ratio exceeds the previous block's
    const blocks: { from: number; to: number; M: number; U: number }[] = [];
    for (let l = 0; l < row.length; l++) {
      blocks.push({ from: l, to: l, M: row[l]!, U: u[l]! });
      while (blocks.length > 1) {
        const b = blocks[blocks.length - 1]!;
        const a = blocks[blocks.length - 2]!;
        if (b.M * a.U <= a.M * b.U) break;
        blocks.pop();
        a.to = b.to;
        a.M += b.M;
        a.U += b.U;
      }
    }
    const out = row.slice();
    for (const b of blocks) {
      if (b.from === b.to) continue;
      pooled.push({ comparison: model.defs[k]!.name, from: b.from, to: b.to });
      for (let l = b.from; l <= b.to; l++) out[l] = (u[l]! * b.M) / b.U;
    }
    return out;
  });
  const res: FittedModel = { ...model, m };
  if (pooled.length > 0) res.pooled = pooled;
  else delete res.pooled;
  return res;
}

export interface RefineOptions {
  /**
   * Per group (party pair): the most matches its candidates can hold. Two
   * files whose records are each one person hold at most as many cross-file
   * matches as the smaller file has records; Infinity: no bound (within one
   * file).
   */
  maxMatches: readonly number[];
  /** Default 1000. */
  maxIterations?: number;
  /** Stop when no m, u or λ moves by more than this share of its value (default 1e-5). */
  tolerance?: number;
  /**
   * Levels whose m stays at the given value while EM refines (NaN, or a
   * comparison left undefined, is free; the free levels of a comparison
   * share what the held ones leave); anchors.ts `refineHold`.
   */
  heldM?: readonly (readonly number[] | undefined)[];
  /**
   * The random pairs' u (`randomPairsU`): the refinement first starts
   * from the start's m and priors with these u, and keeps that run when no
   * step of it reached a bound; otherwise it starts from the start's u
   * (`refinement.start`; docs/match-model.md, "Refined m").
   */
  randomU?: readonly (readonly number[])[];
  /**
   * Per group: the fewest matches a fit should hold (anchors.ts
   * `matchFloor`; 0: no floor). EM stops at its last step whose expected
   * matches stay at or above it in every group, as it does below
   * `maxMatches` (`refinement.atFloor`; a start already below is refused).
   * `refinement.belowFloor` says whether the kept fit falls short in some
   * group (then it has likely put true pairs in its non-match class; the
   * run report warns).
   */
  minMatches?: readonly number[];
  /** Per group: whether its pairs teach m and u (FitOptions.teaching). */
  teaching?: readonly boolean[];
}

/**
 * Refine a fit made with anchored m (FitOptions.fixedM): EM from that fit's
 * m, u and priors with every m free, u re-estimated among the candidates
 * (docs/match-model.md, "Refined m"). Anchors pin EM's match class to
 * "same person" but count m only on pairs whose other evidence agrees,
 * so levels that come with a change elsewhere (a moved ZIP lowers the CLK
 * too, a typo in a name lowers both the name + date filter and the CLK)
 * get too little m. Free EM started there finds those levels' m, but where
 * the files hold many namesakes its match class grows to take them in (the
 * candidates then hold more "matches" than one-to-one files can). So EM
 * stops at its last step whose expected matches stay within `maxMatches` in
 * every group (`refinement.atBound`), and with `minMatches` at or above
 * that floor (`refinement.atFloor`: too few matches, the non-match class
 * has taken in true pairs); when not one step does, the start is returned
 * unchanged (`refinement.accepted` false). Either way the result carries
 * `refinement`.
 *
 * With `opts.randomU`, EM first starts from the random pairs' u instead of
 * the start's: where the candidates are mostly true pairs (small files),
 * the start's u was fitted against the anchors' m, which hold the CLK at
 * its cleanest, and its non-match class has taken in the true pairs that m
 * cannot explain; EM from there stays there. That run is kept unless one
 * of its steps reaches the one-to-one bound (`refinement.start`
 * 'random-u'; converged, stopped at `maxIterations` or at the floor); where
 * one does
 * (many non-matches among the candidates, whose u the random pairs do not
 * describe), EM starts from the start's u (`start` 'anchored').
 */
export function refineModel(cand: ComparisonVectors, start: FittedModel, opts: RefineOptions): FittedModel {
  const defs = cand.defs;
  checkVectors(cand, defs, 'candidate pairs');
  if (defs.length !== start.defs.length || defs.some((d, k) => d.name !== start.defs[k]!.name || d.levels.length !== start.defs[k]!.levels.length)) {
    throw new P20Error('MODEL_INPUT', 'refining a model: its comparisons differ from the candidates\'');
  }
  if (start.selected !== undefined) throw new P20Error('MODEL_INPUT', 'refining a model fitted with a selection is not supported');
  const G = groupCountOf(cand);
  if (opts.maxMatches.length !== G) throw new P20Error('MODEL_INPUT', `refining a model: ${opts.maxMatches.length} bounds for ${G} groups`);
  opts.heldM?.forEach((h, k) => {
    if (!h) return;
    if (h.length !== defs[k]!.levels.length) throw new P20Error('MODEL_INPUT', `refining a model: held m of comparison ${defs[k]!.name}: ${h.length} levels for ${defs[k]!.levels.length}`);
    const held = h.filter((x) => !Number.isNaN(x));
    if (held.some((x) => !(x > 0)) || held.reduce((a, b) => a + b, 0) >= 1 || held.length === h.length) throw new P20Error('MODEL_INPUT', `refining a model: held m of comparison ${defs[k]!.name} must be positive, sum below 1 and leave a level free`);
  });
  const { randomU, minMatches } = opts;
  if (minMatches && (minMatches.length !== G || minMatches.some((x) => !(x >= 0 && Number.isFinite(x))))) throw new P20Error('MODEL_INPUT', `refining a model: ${minMatches.length} floors for ${G} groups, each finite and not negative`);
  if (randomU && (randomU.length !== start.u.length || randomU.some((r, k) => r.length !== start.u[k]!.length))) throw new P20Error('MODEL_INPUT', 'refining a model: the random pairs\' u differ from the start\'s levels');
  if (cand.count === 0) return { ...start, refinement: { accepted: false, iterations: 0, converged: true, atBound: false, expectedMatches: Array.from({ length: G }, () => 0), maxMatches: [...opts.maxMatches], ...(minMatches ? { minMatches: [...minMatches], atFloor: false, belowFloor: false } : {}) } };
  // the candidates' patterns once, for one or both starts
  const pat = compress(cand);
  const groupTotal = totals(pat, G);
  const teaching = teachingOf(cand, opts.teaching, G);
  if (randomU) {
    const fresh = refineFrom(pat, groupTotal, defs, { ...start, u: randomU.map((r) => r.slice()) }, opts, Boolean(cand.group), teaching);
    if (fresh.refinement!.accepted && !fresh.refinement!.atBound) return { ...fresh, refinement: { ...fresh.refinement!, start: 'random-u' } };
  }
  const r = refineFrom(pat, groupTotal, defs, start, opts, Boolean(cand.group), teaching);
  return randomU ? { ...r, refinement: { ...r.refinement!, start: 'anchored' } } : r;
}

/** refineModel's EM from one start, over the candidates' patterns (`grouped`: one prior per group). */
function refineFrom(pat: Patterns, groupTotal: Float64Array, defs: readonly ComparisonDef[], start: FittedModel, opts: RefineOptions, grouped: boolean, teaching: Teaching | undefined): FittedModel {
  const G = groupTotal.length;
  // the start's m of the held levels set to the held values (the free ones scaled to the rest)
  const m0 = start.m.map((r, k) => holdLevels(r, opts.heldM?.[k]));
  const state: EmState = { m: m0, u: start.u.map((r) => r.slice()), lam: Array.from({ length: G }, (_, g) => start.lambdas?.[g] ?? start.lambda) };
  const run = runEm(pat, defs, state, groupTotal, { maxIt: opts.maxIterations ?? 1000, tol: opts.tolerance ?? 1e-5, relative: true, emU: true, uS: 1, bound: opts.maxMatches, ...(opts.minMatches ? { floor: opts.minMatches } : {}), ...(opts.heldM ? { heldM: opts.heldM } : {}), ...(teaching ? { teaching } : {}) });
  // refused when not one step stays within the bounds (the start itself, or its first step, holds more matches, or fewer than the floor)
  const accepted = run.iterations > 0 || !(run.atBound || run.atFloor);
  const expectedMatches = Array.from(run.expected);
  const refinement: Refinement = { accepted, iterations: run.iterations, converged: run.converged, atBound: run.atBound, expectedMatches, maxMatches: [...opts.maxMatches] };
  if (opts.minMatches) {
    refinement.minMatches = [...opts.minMatches];
    refinement.atFloor = run.atFloor;
    refinement.belowFloor = expectedMatches.some((e, g) => e < opts.minMatches![g]!);
  }
  if (!accepted) return { ...start, refinement };
  // without groups the one prior is refined; with groups each party pair's is, and the overall prior stays the
  // start's: it only sets the scale of the full-agreement weight and so the duplicate bars (link-files.ts jobBars),
  // which were chosen on anchored fits
  const model: FittedModel = { ...start, m: state.m, u: state.u, lambda: grouped ? start.lambda : state.lam[0]!, refinement };
  if (grouped) model.lambdas = state.lam;
  return enforceMonotone(model);
}
