import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JOINT_LABELS, PLACE_LABELS, PLACE_NODOB_LABELS, SURE_LEVEL } from '../../../src/link/model/compare.js';
import { EM_JOINT_LEVELS, EM_SWAP_LEVEL, matchFloor, nameDateCounts, REFINE_HELD_LEVELS, refineHold } from '../../../src/link/model/anchors.js';
import { anchoredM, fitModel, MIN_ANCHORS, NULL_LEVEL, refineModel, type ComparisonDef, type ComparisonVectors } from '../../../src/link/model/index.js';
import { splitmix32Stream } from '../../../src/util/prng.js';
import { draw } from './sim.js';

/** The anchors of `name_dob`'s m per group (the run report's `em.anchors`). */
const anchorPairs = (cand: ComparisonVectors): number[] | undefined => nameDateCounts(cand)?.map((c) => c.anchors);

/**
 * Anchored m (src/link/model/anchors.ts) and EM with fixed m
 * (FitOptions.fixedM) on simulated comparison vectors whose matches and
 * non-matches draw every level independently from known m and u.
 */

const defs: ComparisonDef[] = [
  { name: 'clk', levels: ['hi', 'mid', 'lo'] },
  { name: 'name_dob', levels: [...JOINT_LABELS] },
  { name: 'place', levels: [...PLACE_LABELS] },
  { name: 'place_nodob', levels: [...PLACE_NODOB_LABELS] },
];
const M = [
  [0.8, 0.15, 0.05],
  [0.75, 0.02, 0.1, 0.02, 0.04, 0.03, 0.005, 0.005, 0.01, 0.01, 0.01],
  [0.35, 0.38, 0.01, 0.05, 0.06, 0.07, 0.01, 0.06, 0.01],
  [0.35, 0.38, 0.13, 0.14],
];
const U = [
  [0.001, 0.05, 0.949],
  [0.0005, 0.001, 0.01, 0.02, 0.01, 0.01, 0.04, 0.04, 0.1, 0.1, 0.6685],
  [0.002, 0.05, 0.058, 0.02, 0.04, 0.1, 0.13, 0.3, 0.3],
  [0.01, 0.1, 0.4, 0.49],
];


/**
 * Pairs with a share lambda of matches; place and place_nodob are never both non-null (as in compare.ts).
 * A share `twins` are non-matches that look like one person whose first name changed: CLK high, surname and
 * date agree and the first name does not (name_dob "last+dob,first low"), same ZIP5 with one initial missing.
 */
function simulate(seed: number, n: number, lambda: number, twins = 0): ComparisonVectors {
  const rnd = splitmix32Stream(seed);
  const K = defs.length;
  const levels = new Uint8Array(n * K);
  for (let p = 0; p < n; p++) {
    const r = rnd() / 2 ** 32;
    if (r < twins) {
      levels.set([0, JOINT_LABELS.indexOf('last+dob,first low'), PLACE_LABELS.indexOf('zip5,mi ?'), NULL_LEVEL], p * K);
      continue;
    }
    const t = r < twins + lambda ? M : U;
    for (let k = 0; k < K; k++) levels[p * K + k] = draw(rnd, t[k]!);
    // one birth date missing in a fifth of the pairs: place null, name_dob null; else place_nodob null
    if (rnd() / 2 ** 32 < 0.2) levels[p * K + 1] = levels[p * K + 2] = NULL_LEVEL;
    else levels[p * K + 3] = NULL_LEVEL;
  }
  return { defs, count: n, levels };
}

/** The levels of `n` pairs, pair p's from `row` (a random stream of `seed`). */
function pairsOf(seed: number, n: number, row: (rnd: ReturnType<typeof splitmix32Stream>, p: number) => number[]): Uint8Array {
  const rnd = splitmix32Stream(seed);
  const levels = new Uint8Array(n * defs.length);
  for (let p = 0; p < n; p++) levels.set(row(rnd, p), p * defs.length);
  return levels;
}

/** `a`'s pairs as group 0, then the pairs of `levels` as group 1. */
function withGroup(a: ComparisonVectors, levels: Uint8Array): ComparisonVectors {
  const count = a.count + levels.length / defs.length;
  return { defs, count, levels: new Uint8Array([...a.levels, ...levels]), group: Uint16Array.from({ length: count }, (_, p) => (p < a.count ? 0 : 1)), groupCount: 2 };
}

describe('anchoredM', () => {
  const cand = simulate(1, 60_000, 0.3);
  const fixed = anchoredM(cand)!;

  it("recovers place's m on pairs whose names and date agree (nearly all matches), and place_nodob's from it", () => {
    expect(fixed).toBeDefined();
    fixed[2]!.forEach((m, l) => expect(Math.abs(m - M[2]![l]!)).toBeLessThan(0.02));
    const nodob = [0, 1, 2, 3].map((q) => PLACE_LABELS.reduce((t, lab, l) => t + (q === (lab === 'zip5+mi' ? 0 : lab === 'zip5,mi ?' ? 1 : lab.endsWith('mi ?') ? 2 : 3) ? fixed[2]![l]! : 0), 0));
    expect(fixed[3]).toEqual(nodob);
    expect(fixed[3]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('clk and name_dob from pairs at the top place level', () => {
    fixed[0]!.forEach((m, l) => expect(Math.abs(m - M[0]![l]!)).toBeLessThan(0.03));
    expect(fixed[1]![0]!).toBeGreaterThan(0.7);
    // both name + date filters partly agreeing (both<=4th, both weak), the names agreeing with the date partly (names agree,
    // date partly), and day and month swapped: out of the anchors' reach, left to EM; every other level counted
    const em = [...EM_JOINT_LEVELS, EM_SWAP_LEVEL].map((l) => JOINT_LABELS.indexOf(l as (typeof JOINT_LABELS)[number]));
    expect(em).toEqual([JOINT_LABELS.indexOf('both<=4th'), JOINT_LABELS.indexOf('both weak'), JOINT_LABELS.indexOf('names agree,date partly'), JOINT_LABELS.indexOf('both,day/month swapped')]);
    fixed[1]!.forEach((m, l) => expect(Number.isNaN(m)).toBe(em.includes(l)));
  });

  it("counts clk and name_dob where the initial is recorded on one side only too (place's reach) in a party pair whose file records none: its married names are seen", () => {
    // Two party pairs: in the first both files record the initial and nobody changed surname; the second's file records
    // no initial (its pairs reach at most 'zip5,mi ?') and a third of its matches carry a married name ("first+dob
    // unique,last low"). With the reach of compare.ts, the anchors are the pairs at the top of what they can show.
    const married = JOINT_LABELS.indexOf('first+dob unique,last low');
    const top = JOINT_LABELS.indexOf('both>=top');
    const reach = PLACE_LABELS.map((l) => (l.endsWith('mi ?') ? PLACE_LABELS.indexOf('zip5,mi ?') : 0));
    const noInitial = [PLACE_LABELS.indexOf('zip5,mi ?'), PLACE_LABELS.indexOf('zip3,mi ?'), PLACE_LABELS.indexOf('neither,mi ?')];
    const rnd = splitmix32Stream(11);
    const n = 40_000;
    const K = defs.length;
    const levels = new Uint8Array(n * K);
    const group = new Uint16Array(n);
    let matchesB = 0;
    let marriedB = 0;
    for (let p = 0; p < n; p++) {
      const second = p % 2 === 1;
      const match = rnd() / 2 ** 32 < 0.4;
      const t = match ? M : U;
      const row = [draw(rnd, t[0]!), draw(rnd, t[1]!), draw(rnd, t[2]!), NULL_LEVEL];
      if (match) row[1] = second && rnd() / 2 ** 32 < 1 / 3 ? married : top;
      if (second) row[2] = match ? noInitial[draw(rnd, [0.8, 0.1, 0.1])]! : noInitial[draw(rnd, [0.05, 0.25, 0.7])]!;
      else if (match) row[2] = PLACE_LABELS.indexOf('zip5+mi');
      if (second && match) {
        matchesB++;
        if (row[1] === married) marriedB++;
      }
      levels.set(row, p * K);
      group[p] = second ? 1 : 0;
    }
    const reached = { defs: defs.map((d) => (d.name === 'place' ? { ...d, reach } : d)), count: n, levels, group, groupCount: 2 };
    const m = anchoredM(reached)![1]![married]!;
    // the anchors of the second party pair hold its married names: m near their share among all matches
    const truth = marriedB / (2 * matchesB);
    // (a little below it: a fifth of the second pair's matches show another ZIP, and a few non-matches reach 'zip5,mi ?')
    expect(m).toBeGreaterThan(0.75 * truth);
    expect(m).toBeLessThan(1.1 * truth);
    // read at 'zip5+mi' alone (no reach), only the first party pair anchors: the married names are not seen
    expect(anchoredM({ ...reached, defs })![1]![married]!).toBeLessThan(truth / 20);
    // so too when the second pair's file records the initial (a tenth of its top pairs at 'zip5+mi' or more): then
    // the initial keeps twins out of its anchors, which are the 'zip5+mi' pairs alone
    const some = new Uint8Array(levels);
    let moved = 0;
    for (let p = 1; p < n && moved < 0.15 * matchesB; p += 2) {
      if (some[p * K + 2] !== PLACE_LABELS.indexOf('zip5,mi ?') || some[p * K + 1] === married) continue;
      some[p * K + 2] = PLACE_LABELS.indexOf('zip5+mi');
      moved++;
    }
    expect(anchoredM({ ...reached, levels: some })![1]![married]!).toBeLessThan(truth / 20);
    expect(anchorPairs(reached)![1]!).toBeGreaterThan(0.7 * matchesB);
    expect(anchorPairs({ ...reached, levels: some })![1]!).toBe(moved);
  });

  it.each([
    ['few', 0.002],
    ['more', 0.04],
  ])("a party pair without anchors (a file without ZIPs): its married names counted by chance coincidences, from the files' own pairs (married names where the files are anchored: %s)", (_, marriedAB) => {
    // Parties A (10,000 records), B (6,000), C (8,000); jobs A×A, A×B, A×C, C×C. A×B's files record ZIP and initial
    // (its matches anchor at 'zip5+mi'), and its married names are few (college students) or more; C records no ZIP,
    // so A×C has place null everywhere, and a tenth of its matches carry a married name (two thirds of them a value
    // unique in both files). Two records born the same day with the same first name meet by chance at rate R per
    // pair of records, in each file alike; a quarter of those chance pairs hold a unique value.
    const uni = JOINT_LABELS.indexOf('first+dob unique,last low');
    const shared = JOINT_LABELS.indexOf('first+dob,last low');
    const top = JOINT_LABELS.indexOf('both>=top');
    const low = JOINT_LABELS.indexOf('both low');
    const records = [10_000, 6_000, 8_000];
    const pairs = [[0, 0], [0, 1], [0, 2], [2, 2]] as const;
    const R = 2e-6;
    const rnd = splitmix32Stream(21);
    const K = defs.length;
    const rows: number[][] = [];
    const group: number[] = [];
    const push = (g: number, row: number[]): void => {
      rows.push(row);
      group.push(g);
    };
    // chance pairs at the first name + date levels: a quarter of them unique values
    const chance = (g: number, n: number): void => {
      for (let x = 0; x < n; x++) push(g, [draw(rnd, U[0]!), x % 4 === 0 ? uni : shared, NULL_LEVEL, NULL_LEVEL]);
    };
    const matches = [0, 4_000, 6_000, 0];
    const marriedShare = [0, marriedAB, 0.1, 0];
    const married = [0, 0];
    pairs.forEach(([i, j], g) => {
      const n = i === j ? (records[i]! * (records[i]! - 1)) / 2 : records[i]! * records[j]!;
      chance(g, Math.round(R * n));
      for (let x = 0; x < 3 * matches[g]!; x++) push(g, [draw(rnd, U[0]!), low, g === 2 ? NULL_LEVEL : draw(rnd, U[2]!), NULL_LEVEL]);
      for (let x = 0; x < matches[g]!; x++) {
        const l = rnd() / 2 ** 32 < marriedShare[g]! ? (rnd() / 2 ** 32 < 2 / 3 ? uni : shared) : rnd() / 2 ** 32 < 0.85 ? top : draw(rnd, M[1]!);
        if (l === uni) married[0]!++;
        if (l === shared) married[1]!++;
        push(g, [draw(rnd, M[0]!), l, g === 2 ? NULL_LEVEL : PLACE_LABELS.indexOf('zip5+mi'), NULL_LEVEL]);
      }
    });
    const levels = Uint8Array.from(rows.flat());
    const cand: ComparisonVectors = { defs, count: rows.length, levels, group: Uint16Array.from(group), groupCount: pairs.length };
    const jobs = { pairs, records };
    const truth = (married[0]! + married[1]!) / (matches[1]! + matches[2]!);
    const counted = anchoredM(cand, jobs)![1]!;
    expect(Math.abs(counted[uni]! + counted[shared]! - truth) / truth).toBeLessThan(0.15);
    expect(Math.abs(counted[uni]! / (counted[uni]! + counted[shared]!) - married[0]! / (married[0]! + married[1]!))).toBeLessThan(0.1);
    // the other anchored levels keep their proportions and the levels their sum
    const plain = anchoredM(cand)![1]!;
    // (counted on the anchors alone, m is A×B's share: far below the truth)
    expect(Math.abs(plain[uni]! + plain[shared]! - truth)).toBeGreaterThan(4 * Math.abs(counted[uni]! + counted[shared]! - truth));
    expect(counted[top]! / counted[low]!).toBeCloseTo(plain[top]! / plain[low]!, 9);
    const sum = (m: number[]): number => m.reduce((t, x) => (Number.isNaN(x) ? t : t + x), 0);
    expect(sum(counted)).toBeCloseTo(sum(plain), 12);
    expect(anchorPairs(cand)![2]).toBe(0);
    // with its ZIPs (anchors of its own) or without the within-file jobs to count chance by, nothing changes
    const withZip = new Uint8Array(levels);
    for (let p = 0; p < cand.count; p++) if (group[p] === 2 && withZip[p * K + 1] !== low) withZip[p * K + 2] = PLACE_LABELS.indexOf('zip5+mi');
    expect(anchoredM({ ...cand, levels: withZip }, jobs)).toEqual(anchoredM({ ...cand, levels: withZip }));
    expect(anchoredM(cand, { pairs: pairs.map(([i, j]) => [i, j === 2 && i === 2 ? 1 : j] as const), records })).toEqual(anchoredM(cand));
  });

  it("counts anchors on the teaching party pairs only (every pair's when those hold too few)", () => {
    // group 1's pairs at name_dob's top are namesakes whose place is a random pair's (a file without the anchors'
    // evidence): counted, they pull place's m toward u
    const levels = pairsOf(31, 30_000, (rnd) => [draw(rnd, U[0]!), 0, draw(rnd, U[2]!), NULL_LEVEL]);
    const cand = withGroup(simulate(30, 30_000, 0.3), levels);
    const jobs = { pairs: [[0, 1], [0, 2]] as const, records: [50_000, 50_000, 50_000] };
    const zip5mi = PLACE_LABELS.indexOf('zip5+mi');
    expect(anchoredM(cand, jobs)![2]![zip5mi]!).toBeLessThan(M[2]![zip5mi]! - 0.1);
    anchoredM(cand, { ...jobs, teaching: [true, false] })![2]!.forEach((m, l) => expect(Math.abs(m - M[2]![l]!)).toBeLessThan(0.02));
    // a teaching pair with fewer than MIN_ANCHORS anchors: every pair's are counted
    const few = simulate(32, MIN_ANCHORS, 0.3);
    const small = withGroup(few, levels);
    expect(anchoredM(small, { ...jobs, teaching: [true, false] })![2]).toEqual(anchoredM(small, jobs)![2]);
  });

  it("counts anchors on the cross-file party pairs only (a within-file pair's too when those hold too few)", () => {
    // group 1 is one file's own pairs: at the anchor level (ZIP5, initial and date agree) half are two people who share
    // the surname and birth date (name_dob "last+dob,first low"), as in a large file with short name lists
    const n = 4_000;
    const twin = JOINT_LABELS.indexOf('last+dob,first low');
    const levels = pairsOf(41, n, (rnd, p) => [draw(rnd, M[0]!), p % 2 ? twin : JOINT_LABELS.indexOf(SURE_LEVEL), PLACE_LABELS.indexOf('zip5+mi'), NULL_LEVEL]);
    const cand = withGroup(simulate(40, 40_000, 0.3), levels);
    const records = [50_000, 50_000];
    const m = (jobs?: Parameters<typeof anchoredM>[1]): number => anchoredM(cand, jobs)![1]![twin]!;
    // counted, the within-file pairs lift the level's m several times over M's
    expect(m()).toBeGreaterThan(5 * M[1]![twin]!);
    expect(Math.abs(m({ pairs: [[0, 1], [1, 1]], records }) - M[1]![twin]!)).toBeLessThan(0.01);
    // within-file pairs alone (one file, no other party): theirs are the anchors
    const alone: ComparisonVectors = { defs, count: n, levels, group: new Uint16Array(n), groupCount: 1 };
    expect(anchoredM(alone, { pairs: [[0, 0]], records: [50_000] })![1]![twin]!).toBeCloseTo(0.5, 1);
  });

  it('nothing without a place comparison; a comparison with too few anchors is left to EM', () => {
    expect(anchoredM({ ...cand, defs: defs.map((d) => (d.name === 'place' ? { ...d, name: 'zip' } : d)) })).toBeUndefined();
    const few = simulate(2, MIN_ANCHORS, 0.3);
    expect(anchoredM(few)!.every((x) => x === undefined)).toBe(true);
  });

  it('EM with m fixed keeps it (up to monotone pooling) and still finds the prior; NaN levels are fitted', () => {
    const random = simulate(3, 40_000, 0);
    const model = fitModel(cand, random, { u: 'em', fixedM: fixed });
    expect(model.lambda).toBeGreaterThan(0.25);
    expect(model.lambda).toBeLessThan(0.35);
    if (!model.pooled?.some((p) => p.comparison === 'place')) fixed[2]!.forEach((m, l) => expect(model.m[2]![l]!).toBeCloseTo(m, 9));
    const half = fixed.map((r, k) => (k === 0 ? r!.map((x, l) => (l === 2 ? Number.NaN : x)) : r));
    const m2 = fitModel(cand, random, { u: 'em', fixedM: half });
    // the fixed levels keep their proportions, the free one gets EM's share
    expect(m2.m[0]![0]! / m2.m[0]![1]!).toBeCloseTo(fixed[0]![0]! / fixed[0]![1]!, 6);
    expect(m2.m[0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(m2.m[0]![2]!).toBeGreaterThan(0);
  });
});

describe('refineHold', () => {
  const held = REFINE_HELD_LEVELS.map((l) => JOINT_LABELS.indexOf(l));
  const lastOnly = JOINT_LABELS.indexOf('last+dob,first low');

  it("holds name_dob's first name + date levels and the unique surname + date one at their anchored m, every other level and comparison free", () => {
    const cand = simulate(1, 60_000, 0.3);
    const fixed = anchoredM(cand)!;
    const hold = refineHold(cand, fixed);
    expect(hold.map((h) => h !== undefined)).toEqual([false, true, false, false]);
    expect(held).toEqual([JOINT_LABELS.indexOf('first+dob unique,last low'), JOINT_LABELS.indexOf('first+dob,last low'), JOINT_LABELS.indexOf('last+dob unique,first low')]);
    expect(held).not.toContain(lastOnly);
    hold[1]!.forEach((m, l) => (held.includes(l) ? expect(m).toBe(fixed[1]![l]) : expect(m).toBeNaN()));
    expect(refineHold(cand, fixed.map((f, k) => (k === 1 ? undefined : f))).every((h) => h === undefined)).toBe(true);
  });

  it('twins enter free EM\'s match class at "last+dob,first low"; the held levels keep their anchored m', () => {
    // 1% of the candidates are twins; the anchors (place top: ZIP5, initial and date agree) leave them out.
    // name_dob's levels are categories, as in compare.ts (no monotone pooling)
    const sim = simulate(1, 60_000, 0.3, 0.01);
    const cand = { ...sim, defs: sim.defs.map((d) => (d.name === 'name_dob' ? { ...d, ordered: false as const } : d)) };
    const fixed = anchoredM(cand)!;
    const start = fitModel(cand, { ...simulate(3, 40_000, 0), defs: cand.defs }, { u: 'em', fixedM: fixed });
    const free = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY] });
    const kept = refineModel(cand, start, { maxMatches: [Number.POSITIVE_INFINITY], heldM: refineHold(cand, fixed) });
    expect(free.refinement!.accepted && kept.refinement!.accepted).toBe(true);
    // free EM takes the twins for one person whose first name changed: m of "last+dob,first low" several times the truth
    expect(free.m[1]![lastOnly]!).toBeGreaterThan(3 * M[1]![lastOnly]!);
    expect(Math.abs(fixed[1]![lastOnly]! - M[1]![lastOnly]!)).toBeLessThan(0.002);
    for (const l of held) {
      expect(kept.m[1]![l]).toBe(fixed[1]![l]);
      expect(Math.abs(kept.m[1]![l]! - M[1]![l]!)).toBeLessThan(0.005);
    }
    expect(kept.m[1]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(kept.m[0]).not.toEqual(start.m[0]);
  });
});

describe('matchFloor (the fewest matches a fit should hold)', () => {
  const K = defs.length;
  const TOP = JOINT_LABELS.indexOf(SURE_LEVEL);
  /** Vectors of `pairs` in job order: name_dob at `top` or another level, every other comparison null. */
  const vectorsOf = (jobs: { a: number[]; b: number[]; top: boolean[] }[]): { cand: ComparisonVectors; pairs: { a: Uint32Array; b: Uint32Array }[] } => {
    const n = jobs.reduce((t, j) => t + j.a.length, 0);
    const levels = new Uint8Array(n * K).fill(NULL_LEVEL);
    const group = new Uint16Array(n);
    let at = 0;
    jobs.forEach((j, g) => {
      j.top.forEach((t, x) => {
        levels[(at + x) * K + 1] = t ? TOP : JOINT_LABELS.indexOf('both<=2nd');
        group[at + x] = g;
      });
      at += j.a.length;
    });
    return { cand: { defs, count: n, levels, group, groupCount: jobs.length }, pairs: jobs.map((j) => ({ a: Uint32Array.from(j.a), b: Uint32Array.from(j.b) })) };
  };

  it('counts the top-level pairs that are the only top-level candidate of both records; 0 within a file', () => {
    // job 0 (across files): (0,0) sure; (1,1) and (1,2) share record 1 of A; (2,3) top but (3,3) too shares B's 3;
    // (4,4) not top; (5,5) sure, and (5,6) below the top does not count against it. Job 1: within one file
    const { cand, pairs } = vectorsOf([
      { a: [0, 1, 1, 2, 3, 4, 5, 5], b: [0, 1, 2, 3, 3, 4, 5, 6], top: [true, true, true, true, true, false, true, false] },
      { a: [0, 1], b: [1, 2], top: [true, true] },
    ]);
    expect(matchFloor(cand, pairs, [true, false])).toEqual([2, 0]);
    expect(matchFloor(cand, pairs, [true, true])).toEqual([2, 2]);
    // without a name_dob comparison: no floor
    expect(matchFloor({ ...cand, defs: defs.map((d) => (d.name === 'name_dob' ? { ...d, name: 'other' } : d)) }, pairs, [true, true])).toEqual([0, 0]);
  });

  it('never more than the top-level pairs, and one-to-one top pairs all count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(9), fc.nat(9), fc.boolean()), { maxLength: 60 }), (rows) => {
        const { cand, pairs } = vectorsOf([{ a: rows.map((r) => r[0]), b: rows.map((r) => r[1]), top: rows.map((r) => r[2]) }]);
        const floor = matchFloor(cand, pairs, [true])[0]!;
        const tops = rows.filter((r) => r[2]);
        expect(floor).toBeLessThanOrEqual(tops.length);
        const once = (side: 0 | 1, v: number) => tops.filter((r) => r[side] === v).length === 1;
        expect(floor).toBe(tops.filter((r) => once(0, r[0]) && once(1, r[1])).length);
      }),
    );
  });
});
