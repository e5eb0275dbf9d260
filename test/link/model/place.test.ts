import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { candidatePairs, CROSSWISE_PASS, PER_RECORD } from '../../../src/link/model/candidates.js';
import { calibratePlan, compareCandidates, comparisonPlan, PLACE_LABELS, PLACE_NODOB_LABELS, selectionLevels } from '../../../src/link/model/compare.js';
import { barRelief, duplicateBar, fitModel, fullAgreementWeight, matchWeights, NULL_LEVEL, pairBar, type ComparisonVectors, type FittedModel } from '../../../src/link/model/index.js';
import { splitmix32Stream } from '../../../src/util/prng.js';
import { encodedParties, FIRST, LAST, type Rec } from './encoded-party.js';

/**
 * The `place` and `place_nodob` comparisons (src/link/model/compare.ts) on
 * records encoded with the default schema's evidence filters: the levels
 * say same ZIP5 / ZIP3 / middle initial given that the birth date agrees,
 * they are null when ZIP is missing or the birth dates disagree, and the
 * fitted weights are monotone with a null level weighing zero.
 */

const party = encodedParties('place comparison test secret');

const rnd = splitmix32Stream(4242);
const pick = (n: number) => Math.floor((rnd() / 2 ** 32) * n);
const LETTERS = 'ABCDEFGHIJKLMNOPRSTW';
function person(): Required<Rec> {
  const p2 = (x: number) => String(x).padStart(2, '0');
  return {
    first_name: FIRST[pick(FIRST.length)]!,
    last_name: LAST[pick(LAST.length)]!,
    middle_name: LETTERS[pick(LETTERS.length)]!,
    birth_date: `${1960 + pick(50)}-${p2(1 + pick(12))}-${p2(1 + pick(28))}`,
    sex: pick(2) ? 'F' : 'M',
    zip: String(10000 + pick(89000)),
  };
}
const otherZip3 = (z: string) => String(((Number(z.slice(0, 3)) + 1 + pick(800)) % 890) + 100) + z.slice(3);
const sameZip3 = (z: string) => z.slice(0, 3) + String((Number(z.slice(3)) + 1 + pick(98)) % 100).padStart(2, '0');
const otherMi = (m: string) => LETTERS[(LETTERS.indexOf(m) + 1 + pick(LETTERS.length - 1)) % LETTERS.length]!;
const without = (r: Rec, ...keys: (keyof Rec)[]): Rec => Object.fromEntries(Object.entries(r).filter(([k]) => !keys.includes(k as keyof Rec)));

/** The second record of each case, from the first; and the expected `place` / `place_nodob` level names (null = NULL_LEVEL). */
const CASES: { name: string; make: (p: Required<Rec>) => [Rec, Rec]; place: string | null; nodob: string | null }[] = [
  { name: 'identical', make: (p) => [p, p], place: 'zip5+mi', nodob: null },
  { name: 'initial differs', make: (p) => [p, { ...p, middle_name: otherMi(p.middle_name) }], place: 'zip5,mi differs', nodob: null },
  { name: 'same ZIP3', make: (p) => [p, { ...p, zip: sameZip3(p.zip) }], place: 'zip3+mi', nodob: null },
  { name: 'moved away, same initial', make: (p) => [p, { ...p, zip: otherZip3(p.zip) }], place: 'mi only', nodob: null },
  { name: 'moved away, other initial', make: (p) => [p, { ...p, zip: otherZip3(p.zip), middle_name: otherMi(p.middle_name) }], place: 'neither', nodob: null },
  { name: 'one initial missing', make: (p) => [p, without(p, 'middle_name')], place: 'zip5,mi ?', nodob: null },
  { name: 'one initial missing, moved', make: (p) => [without(p, 'middle_name'), { ...p, zip: otherZip3(p.zip) }], place: 'neither,mi ?', nodob: null },
  { name: 'one birth date missing', make: (p) => [p, without(p, 'birth_date')], place: null, nodob: 'zip5+mi' },
  { name: 'one birth date missing, moved', make: (p) => [p, { ...without(p, 'birth_date'), zip: otherZip3(p.zip) }], place: null, nodob: 'other' },
  { name: 'one birth date and initial missing', make: (p) => [without(p, 'middle_name'), without(p, 'birth_date')], place: null, nodob: 'zip5,mi ?' },
  { name: 'one ZIP missing', make: (p) => [p, without(p, 'zip')], place: null, nodob: null },
  { name: 'birth dates differ', make: (p) => [p, { ...p, birth_date: person().birth_date }], place: null, nodob: null },
];

describe('place comparisons on encoded records (default schema)', () => {
  const N = 40;
  const pairs = CASES.flatMap((c) => Array.from({ length: N }, () => c.make(person())));
  const A = party('a', pairs.map((p) => p[0]));
  const B = party('b', pairs.map((p) => p[1]));
  // the baseline from unrelated records
  const U = 300;
  const RA = party('ra', Array.from({ length: U }, person));
  const RB = party('rb', Array.from({ length: U }, person));
  const plan = calibratePlan(comparisonPlan(RA), RA, RB, Array.from({ length: U }, (_, i) => i), Array.from({ length: U }, (_, i) => (i * 7 + 3) % U));
  const idx = Array.from({ length: pairs.length }, (_, i) => i);
  const v = compareCandidates(plan, A, B, idx, idx);
  const K = plan.defs.length;
  const kp = plan.defs.findIndex((d) => d.name === 'place');
  const kn = plan.defs.findIndex((d) => d.name === 'place_nodob');

  it('the plan has place and place_nodob after the joint name_dob', () => {
    expect(plan.defs.map((d) => d.name)).toEqual(['clk', 'names', 'name_dob', 'place', 'place_nodob', 'place_partdate', 'clk_one_name']);
    expect(plan.defs[kp]!.levels).toEqual([...PLACE_LABELS]);
    expect(plan.defs[kn]!.levels).toEqual([...PLACE_NODOB_LABELS]);
    // one selection level per output comparison; place makes no candidate pass
    const sel = selectionLevels(plan, () => 0.5);
    expect(sel.length).toBe(plan.defs.length);
    expect([sel[kp], sel[kn]]).toEqual([-1, -1]);
  });

  // adjacent levels are about 0.1 of relative Dice apart with noise of ± 0.04, so a few pairs land one level off
  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: at least 80%% of the pairs at the expected level', (_, i) => {
    const c = CASES[i]!;
    const want = (labels: readonly string[], name: string | null) => (name === null ? NULL_LEVEL : labels.indexOf(name));
    let hits = 0;
    for (let x = i * N; x < (i + 1) * N; x++) {
      const got = [v.levels[x * K + kp], v.levels[x * K + kn]];
      if (got[0] === want(PLACE_LABELS, c.place) && got[1] === want(PLACE_NODOB_LABELS, c.nodob)) hits++;
    }
    expect(hits / N).toBeGreaterThanOrEqual(0.8);
  });

  it('place makes no candidate pass; the name and date passes do', async () => {
    const c = await candidatePairs(A, B, { blocking: { kind: 'none' }, floors: [0.5, 0.5, 0.5, 0.5, 0.5], workers: 1 });
    expect(c.perPass.map((p) => p.filter)).toEqual(['clk', 'names', 'first_dob', 'last_dob', CROSSWISE_PASS]);
  });

  it('fitted on these vectors: place_nodob monotone, place categories never pooled (ZIP5 + initial weighs most), a null place weighs zero', () => {
    // matches: the agreeing cases; non-matches: random pairs (their place is mostly null: dates differ)
    const R = compareCandidates(plan, RA, RB, Array.from({ length: U }, (_, i) => i), Array.from({ length: U }, (_, i) => (i * 11 + 5) % U));
    const model = fitModel(v, R);
    const wn = model.m[kn]!.map((m, l) => Math.log2(m / model.u[kn]![l]!));
    for (let l = 1; l < wn.length; l++) expect(wn[l]!).toBeLessThanOrEqual(wn[l - 1]! + 1e-9);
    // place's levels are categories (an initial that differs at the same ZIP5 is a sibling's mark, not "less ZIP"): not pooled
    expect(plan.defs[kp]!.ordered).toBe(false);
    expect(model.pooled?.some((p) => p.comparison === 'place') ?? false).toBe(false);
    const wp = model.m[kp]!.map((m, l) => Math.log2(m / model.u[kp]![l]!));
    expect(Math.max(...wp)).toBe(wp[0]);
    // the same pair with place null and with place at level l differs by exactly log2(m/u) of that level
    const row = Uint8Array.from(v.levels.subarray(0, K));
    const two = new Uint8Array(2 * K);
    two.set(row, 0);
    two.set(row, K);
    two[K + kp] = NULL_LEVEL;
    const w = matchWeights(model, { defs: plan.defs, count: 2, levels: two } as ComparisonVectors);
    const l = row[kp]!;
    expect(l).not.toBe(NULL_LEVEL);
    expect(w[0]! - w[1]!).toBeCloseTo(Math.log2(model.m[kp]![l]! / model.u[kp]![l]!), 9);
  });
});

describe('fullAgreementWeight', () => {
  it('the prior plus every top weight, place and place_nodob (never both non-null) counting once', () => {
    const model = {
      defs: [
        { name: 'clk', levels: ['a', 'b'] },
        { name: 'place', levels: ['a', 'b'] },
        { name: 'place_nodob', levels: ['a', 'b'] },
      ],
      lambda: 0.5,
      m: [
        [0.8, 0.2],
        [0.5, 0.5],
        [0.9, 0.1],
      ],
      u: [
        [0.1, 0.9],
        [0.25, 0.75],
        [0.3, 0.7],
      ],
      iterations: 1,
      converged: true,
    };
    // prior 0, clk log2(8) = 3, place log2(2) = 1, place_nodob log2(3): the larger of the last two
    expect(fullAgreementWeight(model)).toBeCloseTo(3 + Math.log2(3), 12);
    expect(fullAgreementWeight({ ...model, defs: model.defs.map((d, k) => (k === 2 ? { ...d, name: 'other' } : d)) })).toBeCloseTo(3 + 1 + Math.log2(3), 12);
  });
});

describe('place_partdate: ZIP and initial when the birth date only partly agrees', () => {
  const N = 40;
  const swap = (d: string) => `${d.slice(0, 4)}-${d.slice(8, 10)}-${d.slice(5, 7)}`;
  // days 13-28 never swap into a valid month, so a swap is made from a date with day <= 12
  const swappable = () => {
    const p = person();
    return { ...p, birth_date: `${p.birth_date.slice(0, 8)}${String(1 + pick(12)).padStart(2, '0')}` };
  };
  const make = (f: (p: Required<Rec>) => Rec) => Array.from({ length: N }, () => {
    let p = swappable();
    while (swap(p.birth_date) === p.birth_date) p = swappable();
    return [p, f(p)] as const;
  });
  const cases = {
    same: make((p) => ({ ...p, birth_date: swap(p.birth_date) })),
    moved: make((p) => ({ ...p, birth_date: swap(p.birth_date), zip: otherZip3(p.zip), middle_name: otherMi(p.middle_name) })),
    agree: make((p) => p),
  };
  const U = 300;
  const RA = party('ra', Array.from({ length: U }, person));
  const RB = party('rb', Array.from({ length: U }, person));
  const plan = calibratePlan(comparisonPlan(RA), RA, RB, Array.from({ length: U }, (_, i) => i), Array.from({ length: U }, (_, i) => (i * 7 + 3) % U));
  const K = plan.defs.length;
  const kd = plan.defs.findIndex((d) => d.name === 'place_partdate');
  const kp = plan.defs.findIndex((d) => d.name === 'place');
  const levelsOf = (pairs: readonly (readonly [Rec, Rec])[]) => {
    const A = party('a', pairs.map((p) => p[0]));
    const B = party('b', pairs.map((p) => p[1]));
    const idx = pairs.map((_, i) => i);
    const v = compareCandidates(plan, A, B, idx, idx);
    return idx.map((x) => [v.levels[x * K + kd]!, v.levels[x * K + kp]!] as const);
  };

  it('a day/month swap at the same ZIP5 and initial sits in the top two levels; moved with another initial, below', () => {
    const same = levelsOf(cases.same);
    const moved = levelsOf(cases.moved);
    expect(same.every(([d, p]) => d !== NULL_LEVEL && p === NULL_LEVEL)).toBe(true);
    expect(same.filter(([d]) => d <= 1).length / N).toBeGreaterThanOrEqual(0.8);
    expect(moved.filter(([d]) => d >= 3).length / N).toBeGreaterThanOrEqual(0.8);
  });

  it('null when the date agrees (place says it) and when a birth date is missing', () => {
    expect(levelsOf(cases.agree).every(([d, p]) => d === NULL_LEVEL && p === 0)).toBe(true);
    const missing = levelsOf(cases.same.map(([a, b]) => [a, without(b, 'birth_date')] as const));
    expect(missing.every(([d]) => d === NULL_LEVEL)).toBe(true);
  });
});

describe('the names pass finds a partner whose birth date is missing among namesakes (MISSING_SIDE_CAP)', () => {
  // X has no birth date; its partner X' and eight namesakes on each side share name, sex and birth date
  // (the `names` filter's date token), so the `names` filters of the namesakes agree with X' more than X
  // does (X lacks the date): the crowd a common name with a common birthday makes at a million people
  const x = person();
  const namesake = (): Rec => ({ ...person(), first_name: x.first_name, last_name: x.last_name, sex: x.sex, birth_date: x.birth_date });
  const A = party('a', [...Array.from({ length: 8 }, namesake), without(x, 'birth_date')]);
  const B = party('b', [...Array.from({ length: 8 }, namesake), x]);
  // only the names pass (the CLK and the other filters' floors are out of reach)
  const floors = [1, 0.5, 1, 1, 1];
  const hasPair = (c: { a: Uint32Array; b: Uint32Array }) => Array.from(c.a).some((i, y) => i === 8 && c.b[y] === 8);

  it('the pair is a candidate: ranked among the pairs with a date missing on one side', async () => {
    const c = await candidatePairs(A, B, { blocking: { kind: 'none' }, floors, workers: 1 });
    expect(hasPair(c)).toBe(true);
    // X' ranks X below its namesakes, and X ranks X' last among equal ties: the plain per-record bound drops it
    const bare = await candidatePairs({ ...A, presence: undefined }, { ...B, presence: undefined }, { blocking: { kind: 'none' }, floors, workers: 1 });
    expect(hasPair(bare)).toBe(false);
    // the second bound adds pairs only where a date is missing on one side
    expect(c.a.length - bare.a.length).toBeLessThanOrEqual(2 * PER_RECORD);
  });
});

describe('the names pass ranks the pairs with a birth date missing on one side by `names` + `place` (MISSING_SIDE_RANK)', () => {
  // X has no birth date, and neither have 12 namesakes beside it in its file; X' and 12 namesakes with birth dates are in
  // the other. Every pair has the date missing on one side, X' scores all of X's file alike on `names` (their filters are
  // identical), and X and X' come last by record order: only X's ZIP and middle initial, which X' shares, tell it apart
  const x = person();
  const namesake = (): Required<Rec> => ({ ...person(), first_name: x.first_name, last_name: x.last_name, sex: x.sex, zip: otherZip3(x.zip), middle_name: otherMi(x.middle_name) });
  const A = party('a', [...Array.from({ length: 12 }, () => without(namesake(), 'birth_date')), without(x, 'birth_date')]);
  const B = party('b', [...Array.from({ length: 12 }, namesake), x]);
  const floors = [1, 0.5, 1, 1, 1];
  const hasPair = (c: { a: Uint32Array; b: Uint32Array }) => Array.from(c.a).some((i, y) => i === 12 && c.b[y] === 12);
  const noPlace = (p: typeof A): typeof A => ({ ...p, evidence: p.evidence!.filter((e) => e.name !== 'place') });

  it('the pair is a candidate; ranked by `names` alone it is not', async () => {
    expect(A.evidence!.at(-1)!.name).toBe('place');
    const c = await candidatePairs(A, B, { blocking: { kind: 'none' }, floors, workers: 1 });
    expect(hasPair(c)).toBe(true);
    const bare = await candidatePairs(noPlace(A), noPlace(B), { blocking: { kind: 'none' }, floors, workers: 1 });
    expect(hasPair(bare)).toBe(false);
  });
});

describe('duplicateBar', () => {
  const lo = (l: number) => Math.log2(l / (1 - l));
  const priors = [
    { partyA: 'k12', partyB: 'k12', lambda: 0.003 },
    { partyA: 'k12', partyB: 'wages', lambda: 0.09 },
    { partyA: 'college', partyB: 'k12', lambda: 0.07 },
    { partyA: 'wages', partyB: 'wages', lambda: 0.2 },
    { partyA: 'college', partyB: 'wages', lambda: 0.08 },
  ];
  it('a cross-party edge keeps the bar; a within-file edge is lower by the log-odds between its file prior and the mean of its cross priors', () => {
    expect(duplicateBar(priors, 'k12', 'wages', 40, 0)).toBe(40);
    const shift = (lo(0.09) + lo(0.07)) / 2 - lo(0.003);
    expect(shift).toBeGreaterThan(4);
    expect(duplicateBar(priors, 'k12', 'k12', 40, 0)).toBeCloseTo(40 - shift, 12);
  });
  it('never raises the bar, never goes below the decision, and falls back without the priors it needs', () => {
    // a within-file prior above the cross priors: no shift
    expect(duplicateBar(priors, 'wages', 'wages', 40, 0)).toBe(40);
    expect(duplicateBar(priors, 'k12', 'k12', 3, 1)).toBe(1);
    expect(duplicateBar(priors, 'college', 'college', 40, 0)).toBe(40);
    expect(duplicateBar([{ partyA: 'k12', partyB: 'k12', lambda: 0.003 }], 'k12', 'k12', 40, 0)).toBe(40);
  });
});

describe('barRelief and pairBar: a middle initial recorded on one side is no evidence against a duplicate', () => {
  it("the default plan's place levels with one initial missing reach at most 'zip5,mi ?'; every other level the top", () => {
    const defs = comparisonPlan(party('r', [person()])).defs;
    for (const name of ['place', 'place_nodob']) {
      const d = defs.find((x) => x.name === name)!;
      const best = d.levels.indexOf('zip5,mi ?');
      expect(best, name).toBe(1);
      expect(d.reach, name).toEqual(d.levels.map((l) => (l.endsWith('mi ?') ? best : 0)));
    }
    expect(defs.filter((d) => d.reach).map((d) => d.name)).toEqual(['place', 'place_nodob']);
  });
  // known answers: weights log2(m/u) = 3, 1, -1, -2 for a comparison with reach, and 5, 0 for one without
  const model: FittedModel = {
    defs: [{ name: 'p', levels: ['a+mi', 'a,mi ?', 'b,mi ?', 'b'] }, { name: 'c', levels: ['hi', 'lo'] }],
    lambda: 0.1,
    m: [[0.8, 0.1, 0.05, 0.05], [0.96875, 0.03125]],
    u: [[0.1, 0.05, 0.1, 0.2], [0.03027343750, 0.96972656250]],
    iterations: 1,
    converged: true,
  };
  const defs = [{ ...model.defs[0]!, reach: [0, 1, 1, 0] }, model.defs[1]!];
  it('per level: the top weight minus the weight of the level it can reach, only where a field is missing on one side', () => {
    const r = barRelief(model, defs);
    expect(Array.from(r[0]!)).toEqual([0, 2, 2, 0]);
    expect(Array.from(r[1]!)).toEqual([0, 0]);
    // without reach (defs of a stored model) nothing is relieved
    expect(barRelief(model, model.defs).flatMap((x) => Array.from(x))).toEqual([0, 0, 0, 0, 0, 0]);
  });
  it("a pair's bar is lowered by the share of its relief, a null level relieves nothing, the decision is the floor", () => {
    const r = barRelief(model, defs);
    const lv = Uint8Array.from([1, 0, 2, 1, NULL_LEVEL, 0, 3, 0]);
    expect(pairBar(30, 0.7, r, lv, 0, 0)).toBeCloseTo(30 - 1.4, 12);
    expect(pairBar(30, 0.7, r, lv, 2, 0)).toBeCloseTo(30 - 1.4, 12);
    expect(pairBar(30, 0.7, r, lv, 4, 0)).toBe(30);
    expect(pairBar(30, 0.7, r, lv, 6, 0)).toBe(30);
    expect(pairBar(1, 0.7, r, lv, 0, 0.5)).toBe(0.5);
  });
  it('property: the bar never rises and never falls below the smaller of the bar and the floor', () => {
    fc.assert(
      fc.property(fc.double({ min: -20, max: 60, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -20, max: 20, noNaN: true }), fc.array(fc.double({ min: 0, max: 30, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.integer({ min: 0, max: 3 }), (bar, share, floor, rel, l) => {
        const relief = [Float64Array.from([0, ...rel])];
        const lv = Uint8Array.from([l]);
        const b = pairBar(bar, share, relief, lv, 0, floor);
        expect(b).toBeLessThanOrEqual(bar);
        expect(b).toBeGreaterThanOrEqual(Math.min(bar, floor));
        if (l === 0) expect(b).toBe(bar);
      }),
    );
  });
});
