import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { splitmix32Stream } from '../../../src/util/prng.js';
import { draw } from './sim.js';
import { compressByText, compressNumeric, randomPairsU, teachingComparisons } from '../../../src/link/model/em.js';
import {
  NULL_LEVEL,
  enforceMonotone,
  fitModel,
  refineModel,
  matchProbabilities,
  matchWeights,
  modelSummary,
  diceLevel,
  type ComparisonDef,
  type ComparisonVectors,
  type FittedModel,
} from '../../../src/link/model/index.js';

const defs: ComparisonDef[] = [
  { name: 'a', levels: ['hi', 'mid', 'lo'] },
  { name: 'b', levels: ['hi', 'mid', 'lo'] },
  { name: 'c', levels: ['hi', 'mid', 'mid2', 'lo'] },
  { name: 'd', levels: ['hi', 'lo'] },
];
const M = [
  [0.85, 0.1, 0.05],
  [0.7, 0.2, 0.1],
  [0.6, 0.25, 0.1, 0.05],
  [0.9, 0.1],
];
const U = [
  [0.02, 0.08, 0.9],
  [0.05, 0.15, 0.8],
  [0.01, 0.04, 0.15, 0.8],
  [0.2, 0.8],
];


/** n pairs, a share lambda of matches, levels drawn independently from M (matches) or U; nulls with probability pNull. */
function simulate(seed: number, n: number, lambda: number, pNull = 0): { v: ComparisonVectors; truth: Uint8Array } {
  const rnd = splitmix32Stream(seed);
  const K = defs.length;
  const levels = new Uint8Array(n * K);
  const truth = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const match = rnd() / 2 ** 32 < lambda;
    truth[p] = match ? 1 : 0;
    for (let k = 0; k < K; k++) {
      levels[p * K + k] = pNull > 0 && rnd() / 2 ** 32 < pNull ? NULL_LEVEL : draw(rnd, (match ? M : U)[k]!);
    }
  }
  return { v: { defs, count: n, levels }, truth };
}

/**
 * A start whose m of comparison a is held at a biased value (as anchors that see only pairs agreeing elsewhere
 * give), and the expected matches after a number of free EM steps from it: 5,712 at the start, then 5,834, 5,884,
 * 5,906, … 5,925.
 */
function driftingStart(): { cand: ComparisonVectors; start: FittedModel; eAfter: (steps: number) => number } {
  const cand = simulate(23, 20_000, 0.3).v;
  const start = fitModel(cand, simulate(24, 100_000, 0).v, { u: 'em', fixedM: [[0.97, 0.02, 0.01], undefined, undefined, undefined] });
  const eAfter = (steps: number): number => refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], maxIterations: steps }).refinement!.expectedMatches[0]!;
  return { cand, start, eAfter };
}

/**
 * Candidates whose non-matches are far closer than random pairs (as candidates
 * are; 20,000 pairs, 30 % matches), the anchored start, the random pairs' u,
 * and the expected matches after EM's first step from the start with that u.
 */
function closeCandidates(): { cand: ComparisonVectors; start: FittedModel; randomU: number[][]; firstStep: number } {
  const UC = [[0.1, 0.3, 0.6], [0.15, 0.35, 0.5], [0.05, 0.2, 0.35, 0.4], [0.4, 0.6]];
  const UR = [[0.001, 0.02, 0.979], [0.005, 0.05, 0.945], [0.001, 0.01, 0.1, 0.889], [0.2, 0.8]];
  const sim = (seed: number, n: number, lambda: number, u: number[][]): ComparisonVectors => {
    const rnd = splitmix32Stream(seed);
    const levels = new Uint8Array(n * defs.length);
    for (let p = 0; p < n; p++) {
      const match = rnd() / 2 ** 32 < lambda;
      for (let k = 0; k < defs.length; k++) levels[p * defs.length + k] = draw(rnd, (match ? M : u)[k]!);
    }
    return { defs, count: n, levels };
  };
  const cand = sim(25, 20_000, 0.3, UC);
  const random = sim(26, 100_000, 0, UR);
  const start = fitModel(cand, random, { u: 'em', fixedM: [[0.97, 0.02, 0.01], undefined, undefined, undefined] });
  const randomU = randomPairsU(random);
  const firstStep = refineModel(cand, { ...start, u: randomU }, { maxMatches: [Number.POSITIVE_INFINITY], maxIterations: 1 }).refinement!.expectedMatches[0]!;
  return { cand, start, randomU, firstStep };
}

describe('fitModel (EM with u from random pairs)', () => {
  it('recovers known m, u and λ from simulated comparison vectors', () => {
    const cand = simulate(1, 60_000, 0.3, 0.1).v;
    const random = simulate(2, 200_000, 0).v;
    const model = fitModel(cand, random);
    expect(model.converged).toBe(true);
    expect(model.lambda).toBeGreaterThan(0.28);
    expect(model.lambda).toBeLessThan(0.32);
    for (let k = 0; k < defs.length; k++) {
      for (let l = 0; l < defs[k]!.levels.length; l++) {
        expect(Math.abs(model.m[k]![l]! - M[k]![l]!)).toBeLessThan(0.02);
        expect(Math.abs(model.u[k]![l]! - U[k]![l]!)).toBeLessThan(0.01);
      }
    }
    expect(model.pooled).toBeUndefined();
  });

  it('fits one prior per group when the pairs carry groups (m and u shared)', () => {
    const a = simulate(3, 30_000, 0.5).v;
    const b = simulate(4, 30_000, 0.05).v;
    const cand: ComparisonVectors = {
      defs,
      count: a.count + b.count,
      levels: new Uint8Array([...a.levels, ...b.levels]),
      group: Uint16Array.from({ length: a.count + b.count }, (_, p) => (p < a.count ? 0 : 1)),
      groupCount: 2,
    };
    const model = fitModel(cand, simulate(5, 200_000, 0).v);
    expect(model.lambdas![0]!).toBeGreaterThan(0.47);
    expect(model.lambdas![0]!).toBeLessThan(0.53);
    expect(model.lambdas![1]!).toBeGreaterThan(0.04);
    expect(model.lambdas![1]!).toBeLessThan(0.065);
    expect(model.lambda).toBeCloseTo((model.lambdas![0]! + model.lambdas![1]!) / 2, 6);
  });

  it('classifies the simulated pairs well (the model separates matches)', () => {
    const { v, truth } = simulate(6, 20_000, 0.2);
    const model = fitModel(v, simulate(7, 100_000, 0).v);
    const p = matchProbabilities(model, v);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < v.count; i++) {
      if (p[i]! >= 0.5 && truth[i]) tp++;
      else if (p[i]! >= 0.5) fp++;
      else if (truth[i]) fn++;
    }
    expect(tp / (tp + fp)).toBeGreaterThan(0.9);
    expect(tp / (tp + fn)).toBeGreaterThan(0.9);
  });

  it('refineModel: free EM from a fit with wrongly fixed m recovers the true m, kept while within the bound', () => {
    const cand = simulate(21, 60_000, 0.3, 0.1).v;
    const random = simulate(22, 200_000, 0).v;
    // m of comparison a held at a biased value, as anchors that see only pairs agreeing elsewhere give
    const biased = [0.97, 0.02, 0.01];
    const start = fitModel(cand, random, { u: 'em', fixedM: [biased, undefined, undefined, undefined] });
    expect(Math.abs(start.m[0]![0]! - M[0]![0]!)).toBeGreaterThan(0.1);
    const refined = refineModel(cand, start, { maxMatches: [cand.count * 0.35] });
    expect(refined.refinement).toMatchObject({ accepted: true, converged: true, atBound: false });
    for (let k = 0; k < defs.length; k++) {
      for (let l = 0; l < defs[k]!.levels.length; l++) expect(Math.abs(refined.m[k]![l]! - M[k]![l]!)).toBeLessThan(0.03);
    }
    expect(refined.lambda).toBeGreaterThan(0.28);
    expect(refined.lambda).toBeLessThan(0.32);
    expect(refined.refinement!.expectedMatches[0]!).toBeCloseTo(refined.lambda * cand.count, 0);
  });

  it('refineModel keeps held levels at their m; the free levels share the rest and every other m is EM\'s', () => {
    const cand = simulate(21, 60_000, 0.3, 0.1).v;
    const random = simulate(22, 200_000, 0).v;
    const start = fitModel(cand, random, { u: 'em', fixedM: [[0.97, 0.02, 0.01], undefined, undefined, undefined] });
    // c's two middle levels held at the truth
    const heldM = [undefined, undefined, [Number.NaN, M[2]![1]!, M[2]![2]!, Number.NaN], undefined];
    const held = refineModel(cand, start, { maxMatches: [cand.count * 0.35], heldM });
    expect(held.refinement).toMatchObject({ accepted: true, converged: true });
    expect(held.m[2]![1]).toBe(M[2]![1]);
    expect(held.m[2]![2]).toBe(M[2]![2]);
    expect(held.m[2]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let k = 0; k < defs.length; k++) for (let l = 0; l < defs[k]!.levels.length; l++) expect(Math.abs(held.m[k]![l]! - M[k]![l]!)).toBeLessThan(0.03);
    // held wrongly (1 : 1 in place of 0.25 : 0.1), they stay so, and EM does not move them
    const wrong = refineModel(cand, start, { maxMatches: [cand.count * 0.35], heldM: [undefined, undefined, [Number.NaN, 0.175, 0.175, Number.NaN], undefined] });
    expect([wrong.m[2]![1], wrong.m[2]![2]]).toEqual([0.175, 0.175]);
    expect(() => refineModel(cand, start, { maxMatches: [cand.count], heldM: [[0.5, 0.5]] })).toThrow(/held m of comparison a: 2 levels for 3/);
    expect(() => refineModel(cand, start, { maxMatches: [cand.count], heldM: [[0.5, 0.6, Number.NaN]] })).toThrow(/must be positive, sum below 1/);
    expect(() => refineModel(cand, start, { maxMatches: [cand.count], heldM: [[0.5, 0.2, 0.1]] })).toThrow(/leave a level free/);
  });

  it("refineModel with the random pairs' u: that start kept when no step reaches the bound; else the start's u, as without it", () => {
    // started from the random pairs' u, EM's first step takes most candidates for matches (8,674 of 20,000), then
    // settles where the anchored start settles (6,079)
    const { cand, start, randomU, firstStep } = closeCandidates();
    const plain = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY] });
    expect(plain.refinement!.start).toBeUndefined();
    const fresh = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], randomU });
    expect(fresh.refinement).toMatchObject({ accepted: true, converged: true, atBound: false, start: 'random-u' });
    expect(fresh.refinement!.expectedMatches[0]!).toBeCloseTo(plain.refinement!.expectedMatches[0]!, 0);
    // the first step from the random pairs' u crosses a bound of 7,000: EM starts from the start's u instead
    expect(firstStep).toBeGreaterThan(7000);
    const bounded = refineModel(cand, start, { maxMatches: [7000], randomU });
    const without = refineModel(cand, start, { maxMatches: [7000] });
    expect(bounded.refinement).toMatchObject({ accepted: true, converged: true, atBound: false, start: 'anchored' });
    expect([bounded.m, bounded.u, bounded.lambda]).toEqual([without.m, without.u, without.lambda]);
    expect(() => refineModel(cand, start, { maxMatches: [7000], randomU: randomU.slice(1) })).toThrow(/random pairs' u differ/);
  });

  it("refineModel's floor: EM stops at its last step at or above it, and a start below it is refused", () => {
    const { cand, start, randomU, firstStep } = closeCandidates();
    const free = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], randomU });
    const e = free.refinement!.expectedMatches[0]!;
    // a floor the run stays above: the same fit
    const low = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], randomU, minMatches: [e - 50] });
    expect(low.refinement).toMatchObject({ start: 'random-u', minMatches: [e - 50], atFloor: false, belowFloor: false });
    expect([low.m, low.u, low.lambdas]).toEqual([free.m, free.u, free.lambdas]);
    expect(free.refinement!.belowFloor).toBeUndefined();
    // a floor above where EM settles but below where the random pairs' u starts it: EM stops at its last step at or
    // above the floor, and that run is kept
    const mid = (e + firstStep) / 2;
    const stopped = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], randomU, minMatches: [mid] });
    expect(stopped.refinement).toMatchObject({ accepted: true, start: 'random-u', converged: false, atBound: false, atFloor: true, belowFloor: false });
    expect(stopped.refinement!.expectedMatches[0]!).toBeGreaterThanOrEqual(mid);
    expect(stopped.refinement!.iterations).toBeGreaterThan(0);
    // one more step would fall below the floor
    const next = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], randomU, maxIterations: stopped.refinement!.iterations + 1 });
    expect(next.refinement!.expectedMatches[0]!).toBeLessThan(mid);
    // a floor no start reaches: both runs refused, the start kept as it is and flagged below its floor
    const high = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], randomU, minMatches: [cand.count + 1] });
    expect(high.refinement).toMatchObject({ accepted: false, iterations: 0, start: 'anchored', atFloor: true, belowFloor: true });
    expect([high.m, high.u, high.lambda]).toEqual([start.m, start.u, start.lambda]);
    expect(() => refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], minMatches: [1, 2] })).toThrow(/2 floors for 1 groups/);
    expect(() => refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], minMatches: [-1] })).toThrow(/not negative/);
    expect(() => refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], minMatches: [Number.NaN] })).toThrow(/finite/);
  });

  it('refineModel stops at the last EM step within the bound', () => {
    const { cand, start, eAfter } = driftingStart();
    const e2 = eAfter(2);
    const e3 = eAfter(3);
    expect(e3).toBeGreaterThan(e2 + 5);
    expect(eAfter(1000)).toBeGreaterThan(e3);
    const bound = (e2 + e3) / 2;
    const stopped = refineModel(cand, start, { maxMatches: [bound] });
    const r = stopped.refinement!;
    expect(r.accepted).toBe(true);
    expect(r.atBound).toBe(true);
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(2);
    expect(r.expectedMatches[0]!).toBeCloseTo(e2, 6);
    expect(r.maxMatches).toEqual([bound]);
    // the state kept is EM's after that many steps, and one step more would have left the bound
    const same = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], maxIterations: r.iterations });
    expect(stopped.m).toEqual(same.m);
    expect(stopped.u).toEqual(same.u);
    expect(same.refinement!.expectedMatches[0]!).toBeCloseTo(r.expectedMatches[0]!, 6);
    const next = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], maxIterations: r.iterations + 1 });
    expect(next.refinement!.expectedMatches[0]!).toBeGreaterThan(bound);
  });

  it('refineModel keeps the start when not one EM step stays within the bound', () => {
    const { cand, start, eAfter } = driftingStart();
    const e0 = eAfter(0);
    const e1 = eAfter(1);
    expect(e1).toBeGreaterThan(e0 + 5);
    // the start over the bound, or its first step
    for (const bound of [e0 - 1, (e0 + e1) / 2]) {
      const kept = refineModel(cand, start, { maxMatches: [bound] });
      expect(kept.refinement).toMatchObject({ accepted: false, iterations: 0, atBound: true });
      expect(kept.refinement!.expectedMatches[0]!).toBeCloseTo(e0, 6);
      expect(kept.m).toEqual(start.m);
      expect(kept.u).toEqual(start.u);
      expect(kept.lambda).toBe(start.lambda);
    }
    // an unbounded group (within one file) never stops EM
    expect(refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY] }).refinement).toMatchObject({ accepted: true, atBound: false, converged: true });
    expect(() => refineModel(cand, start, { maxMatches: [1, 2] })).toThrow(/bounds/);
    expect(() => refineModel({ ...cand, defs: defs.slice(1) , levels: new Uint8Array(0), count: 0 }, start, { maxMatches: [1] })).toThrow(/comparisons differ/);
  });

  it('a group that does not teach: m from the teaching groups alone (a comparison they hold too seldom from every group), its prior fitted all the same', () => {
    // group 1's matches were selected by comparison a (as a file without birth dates has its candidates proposed by
    // the names alone): all agree on it. Taught by group 1 too, m of a rises toward 'hi'.
    const a = simulate(40, 30_000, 0.3).v;
    const rnd = splitmix32Stream(41);
    const n = 30_000;
    const K = defs.length;
    const levels = new Uint8Array(n * K);
    let matches = 0;
    for (let p = 0; p < n; p++) {
      const match = rnd() / 2 ** 32 < 0.6;
      if (match) matches++;
      for (let k = 0; k < K; k++) levels[p * K + k] = draw(rnd, (match ? M : U)[k]!);
      if (match) levels[p * K] = 0;
    }
    // comparison d: null in group 0 (fewer than MIN_TEACHING pairs hold it there), so every group teaches it
    for (let p = 0; p < a.count; p++) a.levels[p * K + 3] = NULL_LEVEL;
    const cand: ComparisonVectors = { defs, count: a.count + n, levels: new Uint8Array([...a.levels, ...levels]), group: Uint16Array.from({ length: a.count + n }, (_, p) => (p < a.count ? 0 : 1)), groupCount: 2 };
    expect(teachingComparisons(cand, [true, false])).toEqual([true, true, true, false]);
    expect(teachingComparisons(cand, [true, true])).toBeUndefined();
    expect(teachingComparisons({ ...cand, group: undefined }, [true, false])).toBeUndefined();
    const random = simulate(42, 200_000, 0).v;
    const pooled = fitModel(cand, random, { u: 'em' });
    const taught = fitModel(cand, random, { u: 'em', teaching: [true, false] });
    expect(pooled.m[0]![0]!).toBeGreaterThan(M[0]![0]! + 0.04);
    for (const model of [taught, refineModel(cand, taught, { maxMatches: [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY], teaching: [true, false] })]) {
      for (let k = 0; k < 3; k++) model.m[k]!.forEach((m, l) => expect(Math.abs(m - M[k]![l]!)).toBeLessThan(0.02));
      model.m[3]!.forEach((m, l) => expect(Math.abs(m - M[3]![l]!)).toBeLessThan(0.02));
      // group 1's prior: its share of matches, found with the m group 0 taught
      expect(Math.abs(model.lambdas![1]! - matches / n)).toBeLessThan(0.02);
    }
    expect(() => fitModel(cand, random, { teaching: [true] })).toThrow(/1 teaching flags for 2 groups/);
  });

  it('refuses inconsistent vectors', () => {
    const v = simulate(8, 10, 0.5).v;
    expect(() => fitModel({ ...v, count: 11 }, v)).toThrow(/levels for 11 pairs/);
    const bad = { ...v, levels: v.levels.slice() };
    bad.levels[3] = 7;
    expect(() => fitModel(bad, v)).toThrow(/level 7/);
  });
});

const modelArb = fc
  .array(fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 2, maxLength: 6 }), { minLength: 1, maxLength: 4 })
  .chain((rows) =>
    fc.record({
      rows: fc.constant(rows),
      urows: fc.tuple(...rows.map((r) => fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: r.length, maxLength: r.length }))),
      lambda: fc.double({ min: 0.001, max: 0.999, noNaN: true }),
    }),
  )
  .map(({ rows, urows, lambda }): FittedModel => {
    const norm = (r: number[]) => {
      const t = r.reduce((a, b) => a + b, 0);
      return r.map((x) => x / t);
    };
    return {
      defs: rows.map((r, k) => ({ name: `c${k}`, levels: r.map((_, l) => `l${l}`) })),
      lambda,
      m: rows.map(norm),
      u: (urows as number[][]).map(norm),
      iterations: 1,
      converged: true,
    };
  });

describe('weights', () => {
  it('enforceMonotone: weights never rise as agreement falls; sums of m unchanged', () => {
    fc.assert(
      fc.property(modelArb, (raw) => {
        const model = enforceMonotone(raw);
        for (let k = 0; k < model.m.length; k++) {
          const w = model.m[k]!.map((m, l) => Math.log2(m / model.u[k]![l]!));
          for (let l = 1; l < w.length; l++) expect(w[l]!).toBeLessThanOrEqual(w[l - 1]! + 1e-9);
          expect(model.m[k]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        }
      }),
    );
  });

  it('enforceMonotone leaves a comparison of categories (ordered: false) as fitted', () => {
    fc.assert(
      fc.property(modelArb, fc.nat(), (raw, pick) => {
        const k0 = pick % raw.defs.length;
        const cat = { ...raw, defs: raw.defs.map((d, k) => (k === k0 ? { ...d, ordered: false as const } : d)) };
        const model = enforceMonotone(cat);
        expect(model.m[k0]).toEqual(raw.m[k0]);
        expect(model.pooled?.some((p) => p.comparison === raw.defs[k0]!.name) ?? false).toBe(false);
      }),
    );
  });

  it('EM weights are monotone in the agreement level', () => {
    const model = fitModel(simulate(9, 5_000, 0.1, 0.2).v, simulate(10, 20_000, 0).v);
    for (let k = 0; k < defs.length; k++) {
      for (let l = 1; l < defs[k]!.levels.length; l++) {
        expect(Math.log2(model.m[k]![l]! / model.u[k]![l]!)).toBeLessThanOrEqual(Math.log2(model.m[k]![l - 1]! / model.u[k]![l - 1]!));
      }
    }
  });

  it('a null level contributes zero weight', () => {
    fc.assert(
      fc.property(modelArb, fc.nat(), (raw, pick) => {
        const model = enforceMonotone(raw);
        const K = model.defs.length;
        const levels = new Uint8Array(2 * K);
        for (let k = 0; k < K; k++) levels[k] = levels[K + k] = (pick + k) % model.defs[k]!.levels.length;
        const k0 = pick % K;
        levels[K + k0] = NULL_LEVEL;
        const w = matchWeights(model, { defs: model.defs, count: 2, levels });
        const l0 = levels[k0]!;
        expect(w[0]! - w[1]!).toBeCloseTo(Math.log2(model.m[k0]![l0]! / model.u[k0]![l0]!), 9);
        // all null: the prior alone
        const none = matchWeights(model, { defs: model.defs, count: 1, levels: new Uint8Array(K).fill(NULL_LEVEL) });
        expect(none[0]!).toBeCloseTo(Math.log2(model.lambda / (1 - model.lambda)), 9);
      }),
    );
  });

  it('probabilities are in [0, 1] and monotone in the weight', () => {
    fc.assert(
      fc.property(modelArb, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (raw, seeds) => {
        const model = enforceMonotone(raw);
        const K = model.defs.length;
        const levels = new Uint8Array(seeds.length * K);
        seeds.forEach((s, p) => {
          for (let k = 0; k < K; k++) levels[p * K + k] = (s >> (k * 3)) % (model.defs[k]!.levels.length + 1) === model.defs[k]!.levels.length ? NULL_LEVEL : (s >> (k * 3)) % model.defs[k]!.levels.length;
        });
        const v = { defs: model.defs, count: seeds.length, levels };
        const w = matchWeights(model, v);
        const p = matchProbabilities(model, v);
        const order = [...w.keys()].sort((a, b) => w[a]! - w[b]!);
        for (let x = 0; x < order.length; x++) {
          expect(p[order[x]!]!).toBeGreaterThanOrEqual(0);
          expect(p[order[x]!]!).toBeLessThanOrEqual(1);
          if (x > 0) expect(p[order[x]!]!).toBeGreaterThanOrEqual(p[order[x - 1]!]!);
        }
      }),
    );
  });
});

describe('modelSummary', () => {
  it('expected precision, recall and links from the probabilities; bands and histogram count every pair', () => {
    const model: FittedModel = { defs: [{ name: 'x', levels: ['hi', 'lo'] }], lambda: 0.5, m: [[0.9, 0.1]], u: [[0.1, 0.9]], iterations: 3, converged: true };
    // weights: 3 pairs at +3 (p = 8/9), 1 at -3 (p = 1/9)
    const weights = Float64Array.from([3, 3, 3, -3]);
    const s = modelSummary(model, weights, 0.5);
    expect(s.expected.links).toBe(3);
    expect(s.expected.precision).toBeCloseTo(8 / 9, 9);
    expect(s.expected.recall).toBeCloseTo((3 * 8) / 9 / ((3 * 8) / 9 + 1 / 9), 9);
    expect(s.decision.weight).toBe(0);
    expect(s.bands.reduce((t, b) => t + b.pairs, 0)).toBe(4);
    expect(s.histogram.reduce((t, b) => t + b.pairs, 0)).toBe(4);
    expect(s.histogram[0]).toEqual({ lo: -3, hi: -2, pairs: 1 });
    expect(s.histogram[s.histogram.length - 1]).toEqual({ lo: 3, hi: 4, pairs: 3 });
    expect(s.comparisons[0]!.levels[0]!.weight).toBeCloseTo(Math.log2(9), 9);
    expect(s.em).toEqual({ iterations: 3, converged: true });
  });

  it('diceLevel bands', () => {
    expect([1, 0.95, 0.9, 0.88, 0.8, 0.6, 0.59, 0].map((d) => diceLevel(d))).toEqual([0, 0, 1, 1, 2, 3, 4, 4]);
  });
});

describe('comparison patterns (EM runs on distinct patterns with their counts)', () => {
  it('the numeric pattern key gives the text key\'s patterns, counts and order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 7 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 300 }),
        (sizes, G, seeds) => {
          const K = sizes.length;
          const defs = sizes.map((n, k) => ({ name: `c${k}`, levels: Array.from({ length: n }, (_, l) => `l${l}`) }));
          const levels = new Uint8Array(seeds.length * K);
          const group = new Uint16Array(seeds.length);
          seeds.forEach((s, p) => {
            group[p] = s % G;
            // few distinct values so that patterns repeat; null among them
            for (let k = 0; k < K; k++) levels[p * K + k] = (s >>> k) % 3 === 0 ? NULL_LEVEL : (s >>> (2 * k)) % sizes[k]!;
          });
          const v = { defs, count: seeds.length, levels, group, groupCount: G };
          expect(compressNumeric(v)).toEqual(compressByText(v));
        },
      ),
    );
  });
});
