/**
 * The model-ceiling bench's counting (bench/model-ceiling.ts): m, u and the
 * priors of the level oracle are the truth's own shares, and the pattern
 * ceiling's log odds of a comparison vector come from the other half of the
 * candidates only (a vector seen once cannot learn its own answer).
 */
import { describe, expect, it } from 'vitest';
import { crowdClass, crowdCounts, CROWD_LABELS, falseLinkFields, levelOracle, lossStages, missWeightedLevels, nameCrowdClasses, oracleSwaps, patternWeights, sexSplitWeights } from '../../../bench/model-ceiling.js';
import type { ModelFit } from '../../../src/link/link-files.js';
import { NULL_LEVEL, type ComparisonVectors } from '../../../src/link/model/index.js';

/** A fit of one comparison (levels 0, 1, 2) over the given levels, one job across two parties (or, `within`, inside one). */
function fitOf(levels: number[], within = false): ModelFit {
  const vectors: ComparisonVectors = { defs: [{ name: 'c', levels: ['top', 'mid', 'low'] }], count: levels.length, levels: Uint8Array.from(levels), group: new Uint16Array(levels.length), groupCount: 1 };
  return { jobs: [within ? [0, 0] : [0, 1]], vectors } as unknown as ModelFit;
}

describe('level oracle', () => {
  it('counts m on the true pairs and u on the others (half a pseudo count per level), the prior as the true share', () => {
    // 4 true pairs: 3 top, 1 mid; 6 false: 1 mid, 4 low, 1 null
    const f = fitOf([0, 0, 0, 1, 1, 2, 2, 2, 2, NULL_LEVEL]);
    const truth = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const m = levelOracle(f, truth);
    expect(m.m[0]![0]).toBeCloseTo(3.5 / 5.5, 12);
    expect(m.m[0]![1]).toBeCloseTo(1.5 / 5.5, 12);
    expect(m.m[0]![2]).toBeCloseTo(0.5 / 5.5, 12);
    expect(m.u[0]![0]).toBeCloseTo(0.5 / 6.5, 12);
    expect(m.u[0]![2]).toBeCloseTo(4.5 / 6.5, 12);
    expect(m.lambdas).toEqual([0.4]);
  });
});

describe("the model with the oracle's m and u, one comparison at a time", () => {
  it('swaps m and u of exactly one comparison per row, then every m with the model\'s u; priors stay the model\'s', () => {
    const defs = [{ name: 'a', levels: ['top', 'low'] }, { name: 'b', levels: ['top', 'low'] }];
    const model = { defs, m: [[0.9, 0.1], [0.8, 0.2]], u: [[0.1, 0.9], [0.2, 0.8]], lambda: 0.3, lambdas: [0.3], iterations: 5, converged: true };
    const oracle = { defs, m: [[0.7, 0.3], [0.6, 0.4]], u: [[0.01, 0.99], [0.02, 0.98]], lambda: 0.5, lambdas: [0.5], iterations: 0, converged: true };
    const rows = oracleSwaps(model, oracle);
    expect(rows.map((r) => r.swap)).toEqual(['a', 'b', 'every m']);
    expect(rows[0]!.model.m).toEqual([[0.7, 0.3], [0.8, 0.2]]);
    expect(rows[0]!.model.u).toEqual([[0.01, 0.99], [0.2, 0.8]]);
    expect(rows[1]!.model.m).toEqual([[0.9, 0.1], [0.6, 0.4]]);
    expect(rows[1]!.model.u).toEqual([[0.1, 0.9], [0.02, 0.98]]);
    expect(rows[2]!.model.m).toEqual(oracle.m);
    expect(rows[2]!.model.u).toEqual(model.u);
    for (const r of rows) expect(r.model.lambdas).toEqual([0.3]);
    expect(model.m).toEqual([[0.9, 0.1], [0.8, 0.2]]);
  });
});

describe('pattern ceiling', () => {
  it('gives a vector the log odds counted on the other half; unseen there, it is a non-match', () => {
    // 400 pairs at "top", all true; 400 at "low", all false; one at "mid" (true)
    const levels = [...new Array<number>(400).fill(0), ...new Array<number>(400).fill(2), 1];
    const truth = Uint8Array.from([...new Array<number>(400).fill(1), ...new Array<number>(400).fill(0), 1]);
    const w = patternWeights(fitOf(levels), truth);
    for (let p = 0; p < 400; p++) expect(w[p]).toBeGreaterThan(5);
    for (let p = 400; p < 800; p++) expect(w[p]).toBeLessThan(-5);
    // the single "mid" pair is on one half only: the other half never saw it
    expect(w[800]).toBeCloseTo(Math.log2(0.1 / 1), 12);
    // both halves are used: each half's counts are about half of the pairs
    const top = w.slice(0, 400);
    expect(Math.min(...top)).toBeGreaterThan(Math.log2(150));
    expect(Math.max(...top)).toBeLessThan(Math.log2(251));
  });

  it('keeps within-file and cross-file vectors apart', () => {
    // the same vector in both jobs: true across files, false within one
    const vectors: ComparisonVectors = { defs: [{ name: 'c', levels: ['top', 'mid', 'low'] }], count: 400, levels: new Uint8Array(400), group: Uint16Array.from({ length: 400 }, (_, p) => (p < 200 ? 0 : 1)), groupCount: 2 };
    const f = { jobs: [[0, 1], [0, 0]], vectors } as unknown as ModelFit;
    const w = patternWeights(f, Uint8Array.from({ length: 400 }, (_, p) => (p < 200 ? 1 : 0)));
    for (let p = 0; p < 200; p++) expect(w[p]).toBeGreaterThan(5);
    for (let p = 200; p < 400; p++) expect(w[p]).toBeLessThan(-5);
  });
});

describe('the name crowd (term frequency of the name + date)', () => {
  it('classes a value by how many records of each file hold it', () => {
    expect([crowdClass(1, 1), crowdClass(2, 1), crowdClass(1, 2), crowdClass(2, 2), crowdClass(3, 1), crowdClass(5, 5), crowdClass(1, 6)].map((c) => CROWD_LABELS[c])).toEqual([
      'unique in both files',
      'twice in one file',
      'twice in one file',
      'twice in both',
      '3-5 in a file',
      '3-5 in a file',
      'more than 5 in a file',
    ]);
  });

  it('counts the pair of first_dob and last_dob filters in each file, only for candidates with both identical and name_dob known', () => {
    // party 0: records 0, 1 hold (1, 10), record 2 (2, 20), record 3 (3, 30); party 1: record 0 (1, 10), record 1 (2, 20), record 2 (2, 21), record 3 (3, 30)
    const hashes = [
      { fd: Float64Array.from([1, 1, 2, 3]), ld: Float64Array.from([10, 10, 20, 30]) },
      { fd: Float64Array.from([1, 2, 2, 3]), ld: Float64Array.from([10, 20, 21, 30]) },
    ];
    // job 0 across (0, 1): (0, 0) a crowd of two in party 0, (2, 1) unique in both, (2, 2) first_dob alone identical, (3, 3) name_dob null;
    // job 1 within party 0: (0, 1) the value held by the two records alone
    const a = [Uint32Array.from([0, 2, 2, 3]), Uint32Array.from([0])];
    const b = [Uint32Array.from([0, 1, 2, 3]), Uint32Array.from([1])];
    const levels = Uint8Array.from([0, 0, 6, NULL_LEVEL, 0]);
    const vectors: ComparisonVectors = { defs: [{ name: 'name_dob', levels: [] }], count: 5, levels, group: Uint16Array.from([0, 0, 0, 0, 1]), groupCount: 2 };
    const f = { jobs: [[0, 1], [0, 0]], vectors, candidates: a.map((x, k) => ({ a: x, b: b[k]! })), parties: [{ offset: 0 }, { offset: 4 }] } as unknown as ModelFit;
    const c = nameCrowdClasses(f, hashes);
    expect(Array.from(c, (x) => CROWD_LABELS[x])).toEqual(['twice in one file', 'unique in both files', 'not identical', 'not identical', 'unique in both files']);
    expect(crowdCounts(c, Uint8Array.from([1, 1, 0, 0, 1])).slice(0, 3)).toEqual([
      { crowd: 'not identical', truePairs: 0, falsePairs: 2 },
      { crowd: 'unique in both files', truePairs: 2, falsePairs: 0 },
      { crowd: 'twice in one file', truePairs: 1, falsePairs: 0 },
    ]);
  });

  it('the pattern ceiling keeps the crowd classes of one vector apart', () => {
    // one vector: true in class 1, false in class 2
    const levels = new Array<number>(400).fill(0);
    const extra = Uint8Array.from({ length: 400 }, (_, p) => (p < 200 ? 1 : 2));
    const truth = Uint8Array.from({ length: 400 }, (_, p) => (p < 200 ? 1 : 0));
    const w = patternWeights(fitOf(levels), truth, extra);
    for (let p = 0; p < 200; p++) expect(w[p]).toBeGreaterThan(5);
    for (let p = 200; p < 400; p++) expect(w[p]).toBeLessThan(-5);
    // without the classes, one vector: even odds for all
    expect(Math.abs(patternWeights(fitOf(levels), truth)[0]!)).toBeLessThan(1);
  });
});

describe('the model with sex on the one-name levels', () => {
  it('adds the log odds of the pair\'s sex class at a one-name level, counted on the other half, and nothing elsewhere', () => {
    // 800 pairs at "first+dob,last low": the true ones are all women (both F), the false ones half both F, half both M;
    // 200 pairs at "both>=top" (not a one-name level): left as they were
    const n = 1000;
    const levels = Uint8Array.from({ length: n }, (_, p) => (p < 800 ? 1 : 0));
    const truth = Uint8Array.from({ length: n }, (_, p) => (p < 200 || p >= 800 ? 1 : 0));
    // record a of pair p is record p of party 0, b record p of party 1; sex of both records: F for p < 500 (200 true + 300 false), else M
    const sexOf = new Uint8Array(2 * n);
    for (let p = 0; p < n; p++) sexOf[p] = sexOf[n + p] = p < 500 ? 0 : 1;
    sexOf[n + 900] = 0; // one mixed pair at the top level
    const fit = {
      jobs: [[0, 1]],
      parties: [{ offset: 0 }, { offset: n }],
      candidates: [{ a: Uint32Array.from({ length: n }, (_, p) => p), b: Uint32Array.from({ length: n }, (_, p) => p) }],
      vectors: { defs: [{ name: 'name_dob', levels: ['both>=top', 'first+dob,last low'] }], count: n, levels, group: new Uint16Array(n), groupCount: 1 },
      weights: new Float64Array(n).fill(1),
    } as unknown as ModelFit;
    const w = sexSplitWeights(fit, truth, sexOf);
    // both F: about (200/200) / (300/600) = 2, one bit; both M: (0 true) / (300/600), far below
    for (let p = 0; p < 500; p++) expect(w[p]! - 1).toBeCloseTo(1, 0);
    for (let p = 500; p < 800; p++) expect(w[p]! - 1).toBeLessThan(-5);
    for (let p = 800; p < n; p++) expect(w[p]).toBe(1);
    // at every level: the top level's single mixed pair (false on its half, or unseen) weighs less than its both-M pairs (all true)
    const all = sexSplitWeights(fit, truth, sexOf, 'all');
    for (let p = 0; p < 800; p++) expect(all[p]).toBe(w[p]);
    expect(all[900]).toBeLessThan(all[901]! - 3);
    // with only the agreement seen, both F and both M are one class: every pair at the one-name level is in it, as
    // large a share of its true pairs as of its false ones (0 bits); the top level's mixed pair still far below
    const agree = sexSplitWeights(fit, truth, sexOf, 'all', 'agreement');
    for (let p = 0; p < 800; p++) expect(agree[p]! - 1).toBeCloseTo(0, 0);
    expect(agree[900]).toBeLessThan(agree[901]! - 3);
    // without name_dob the weights are the model's
    const other = { ...fit, vectors: { ...fit.vectors, defs: [{ name: 'c', levels: ['top', 'mid'] }] } } as ModelFit;
    expect(Array.from(sexSplitWeights(other, truth, sexOf))).toEqual(Array.from(fit.weights));
  });
});

describe('levels weighed furthest from the truth', () => {
  it('ranks by the weight error times the smaller class at the level: a one-class level decides nothing', () => {
    // "top": 300 true, 100 false; "mid": 100 true, 100 false; "low": 400 false only
    const levels = [...new Array<number>(400).fill(0), ...new Array<number>(200).fill(1), ...new Array<number>(400).fill(2)];
    const truth = Uint8Array.from([...new Array<number>(300).fill(1), ...new Array<number>(100).fill(0), ...new Array<number>(100).fill(1), ...new Array<number>(500).fill(0)]);
    const f = fitOf(levels);
    const oracle = levelOracle(f, truth);
    // a model 3 bits off at "top" and at "low" (one class only there), 1 bit off at "mid"
    const m = [...oracle.m[0]!];
    m[0] = m[0]! * 2 ** 3;
    m[1] = m[1]! * 2;
    m[2] = m[2]! * 2 ** 3;
    const rows = missWeightedLevels({ ...f, model: { ...oracle, m: [m] } } as ModelFit, oracle, truth);
    expect(rows.map((r) => r.level)).toEqual(['top', 'mid', 'low']);
    expect(rows[0]).toMatchObject({ comparison: 'c', truePairs: 300, falsePairs: 100 });
    expect(rows[0]!.model - rows[0]!.oracle).toBeCloseTo(3, 9);
    expect(rows[1]!.model - rows[1]!.oracle).toBeCloseTo(1, 9);
    expect(rows[2]).toMatchObject({ truePairs: 0, falsePairs: 400 });
  });
});

describe('where the true pairs are lost', () => {
  it('puts every true pair in one stage: linked (also through other records), never a candidate, below the decision, kept apart above it', () => {
    // party 0: records 0-4 (global 0-4), party 1: records 0-6 (global 5-11); entity per global record, -1 unknown
    const entityOf = Int32Array.from([0, 1, 3, 4, -1, 0, 1, 2, 2, 3, 4, 4]);
    const troubleOf = Uint32Array.from([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]);
    const fit = {
      jobs: [[0, 1], [1, 1]],
      parties: [{ name: 'p0', ids: [], offset: 0 }, { name: 'p1', ids: [], offset: 5 }],
      candidates: [
        { a: Uint32Array.from([0, 1, 2, 3, 4]), b: Uint32Array.from([0, 1, 4, 5, 2]) },
        { a: Uint32Array.from([5]), b: Uint32Array.from([6]) },
      ],
      weights: Float64Array.from([5, -3, 4, 6, 9, 2]),
      decisionW: 0,
    } as unknown as ModelFit;
    // clusters: {0, 5}, {3, 10, 11}; every other record alone
    const label = Uint32Array.from([0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 3, 3]);
    const rows = lossStages(fit, entityOf, troubleOf, ['k0', 'k1', 'k2'], label);
    // entity 4 (records 3, 10, 11): 3 pairs, 3-11 never a candidate but linked through 10; entity 3 above the decision, kept apart
    expect(rows[0]).toEqual({ trouble: 'all', truePairs: 7, linked: 4, neverCandidate: 1, belowDecision: 1, apartAboveDecision: 1 });
    // trouble on either record; a kind no true pair has is left out
    expect(rows.slice(1)).toEqual([
      { trouble: 'k0', truePairs: 1, linked: 0, neverCandidate: 0, belowDecision: 1, apartAboveDecision: 0 },
      { trouble: 'k1', truePairs: 1, linked: 0, neverCandidate: 1, belowDecision: 0, apartAboveDecision: 0 },
    ]);
  });
});

describe('what the false links share', () => {
  it('counts each pair of two people in one cluster by the fields they share, missing as lower case, families apart', () => {
    // records 0-6; clusters {0, 1, 2}, {3, 4}, {5, 6}; entities: 0 and 1 one person, 2 another; 3, 4 twins (one family); 5, 6 one person
    const label = Uint32Array.from([0, 0, 0, 3, 3, 5, 5]);
    const entityOf = Int32Array.from([10, 10, 11, 12, 13, 14, 14]);
    const familyOf = new Int32Array(20).map((_, e) => (e === 13 ? 12 : e));
    // fields F L D S Z M per record (0 or -1: missing)
    const rows = [
      [1, 2, 20010203, 70, 97000, 65],
      [1, 2, 20010203, 70, 97001, -1],
      [1, 9, 20010203, 70, 97000, 66],
      [3, 4, 19990101, 77, 97100, 67],
      [5, 4, 19990101, 70, 97100, 68],
      [6, 7, 0, 70, 97200, 69],
      [6, 8, 20000101, 70, 97200, 69],
    ];
    const out = falseLinkFields(label, entityOf, familyOf, (g, f) => rows[g]![f]!);
    // 0-2: first, date, sex, ZIP, initial differs; 1-2: first, date, sex, initial missing on 1, ZIP differs; 3-4: surname, date, ZIP (twins)
    expect(out).toEqual([
      { shared: 'FDSZ', pairs: 1, family: 0 },
      { shared: 'FDSm', pairs: 1, family: 0 },
      { shared: 'LDZ', pairs: 1, family: 1 },
    ]);
  });

  it('counts nothing when every cluster holds one person', () => {
    const label = Uint32Array.from([0, 0, 2]);
    expect(falseLinkFields(label, Int32Array.from([1, 1, 2]), Int32Array.from([0, 1, 2]), () => 1)).toEqual([]);
  });
});
