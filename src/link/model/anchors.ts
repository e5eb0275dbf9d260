import { PLACE_LABELS, PLACE_NODOB_LABELS, SURE_LEVEL, sureLevel } from './compare.js';
import { CLK_ONE_NAME, NULL_LEVEL, type ComparisonVectors } from './types.js';

/**
 * Anchored m (docs/match-model.md, "Fitting"): m of each comparison counted
 * on the candidate pairs that *other*, nearly independent evidence makes
 * near-certain matches, instead of EM's free m. EM with free m on the
 * encodings settles on a "match" class of "shares a name or a birth date"
 * once namesakes crowd the candidates (200,000 people: m of the CLK's weak
 * levels 0.3–0.5, precision 0.86); with m held at the anchored values EM only
 * estimates u and the priors.
 *
 *   place        on pairs whose names and birth date all agree (name_dob at
 *                its top level): ZIP and middle initial are independent of
 *                the names given the person
 *   place_nodob  from place's anchored m (the same ZIP / initial states,
 *                PLACE_NODOB_OF)
 *   clk, clk_one_name, name_dob  on pairs whose ZIP5, middle initial and
 *                birth date agree (place at its top level); in a party
 *                pair whose files hardly ever both hold an initial, also
 *                those whose ZIP5 and date agree with the initial missing
 *                on one side (placeAnchors)
 *   place_partdate  on pairs whose names agree and whose birth date nearly
 *                agrees (name_dob "both<=2nd" or "one<=2nd,other<=4th": a
 *                typo; siblings and twins differ in the first name)
 *   names        on pairs whose ZIP5 and middle initial agree with one birth
 *                date missing (place_nodob at its top level; placeAnchors)
 *
 * Levels an anchor cannot reach (name_dob levels where neither name + date
 * filter is near identical: the anchor needs the date to agree) get m from
 * the half pseudo count alone — a day/month swap with a name changed or
 * misspelt then counts against a match unless the rest agrees — except four,
 * whose m EM estimates: "both<=4th", "both weak" and "names agree,date
 * partly" (EM_JOINT_LEVELS: both name + date filters partly agree, or the
 * names agree with the date partly, most often both names with a birth-date
 * typo; the CLK is the other evidence; on generated data, 20,000 people,
 * before resolution: recall 0.933 → 0.941, precision 0.982 → 0.974 for the
 * first; "both weak" matters where the refinement stops at its bound, at a
 * million people: typos missed 49.8 % → 47.6 %), and "both,day/month
 * swapped" (EM_SWAP_LEVEL: both names identical, day and month swapped;
 * compare.ts, swapDatesOnly).
 * Comparisons with fewer than MIN_ANCHORS anchors, and comparisons not
 * listed, are left to EM.
 *
 * With `jobs`, the anchors are counted on the party pairs of two files (of
 * those that teach m), a file's pairs with itself only when those hold
 * fewer than MIN_ANCHORS (a file linked alone). Few people are twice in one
 * file, so there a pair at an anchor level is often two people: in the
 * generated K-12 file of 1,000,000 people with short name lists (tuning
 * seed), of its record pairs sharing a first name or surname whose ZIP5,
 * initial and birth date agree, 5,149 were one person and 5,666 two; in the
 * wage file, which holds an initial in about half its records but whose
 * pairs with itself seldom show it agreeing (its anchors widened,
 * placeAnchors), 9,550 and 46,048. Counted, they lifted the m of the
 * one-name levels (name_dob "last+dob,first low" 0.030 -> 0.090), and on
 * those files precision was 0.932 against 0.970 without them
 * (docs/match-model.md, session 55).
 */
export const MIN_ANCHORS = 50;
/** The name_dob levels of a partly agreeing date whose m EM estimates (the anchors cannot reach them). */
export const EM_JOINT_LEVELS: readonly string[] = ['both<=4th', 'both weak', 'names agree,date partly'];
/** The name_dob level of a day/month swap with both names identical, whose m EM also estimates. */
export const EM_SWAP_LEVEL = 'both,day/month swapped';
/** The name_dob levels on which place_partdate's m is counted. */
const PARTDATE_ANCHORS = ['both<=2nd', 'one<=2nd,other<=4th'] as const;
/** Pseudo count per level of an anchored m. */
const PSEUDO = 0.5;

/** place_nodob level of each place level (PLACE_LABELS -> PLACE_NODOB_LABELS: ZIP5 + initial, ZIP5 with an initial missing, other with one missing, other). */
const PLACE_NODOB_OF = PLACE_LABELS.map((l) => (l === 'zip5+mi' ? 0 : l === 'zip5,mi ?' ? 1 : l.endsWith('mi ?') ? 2 : 3));

/** The jobs of a fit (the groups of its candidates, in order): their party pairs and each party's records (anchoredM). */
export interface AnchorJobs {
  /** Per group, its two parties (i = j: pairs within one file). */
  pairs: readonly (readonly [number, number])[];
  /** Records per party, by the pairs' party numbers. */
  records: readonly number[];
  /**
   * Per group: whether its pairs teach m (FitOptions.teaching). Anchors
   * are counted on the pairs of the teaching cross-file groups (anchoredM),
   * on every group's when those hold fewer than MIN_ANCHORS.
   */
  teaching?: readonly boolean[];
}

/**
 * FitOptions.fixedM for the comparisons of `cand`, or undefined when it has
 * no place comparison. With `jobs`, a cross-file party pair without anchors
 * has its married names counted by chance coincidences (nameChangesByChance).
 */
export function anchoredM(cand: ComparisonVectors, jobs?: AnchorJobs): (number[] | undefined)[] | undefined {
  const names = cand.defs.map((d) => d.name);
  const K = names.length;
  const kPlace = names.indexOf('place');
  const kNodob = names.indexOf('place_nodob');
  const kJoint = names.indexOf('name_dob');
  if (kPlace < 0 || kJoint < 0) return undefined;
  // the groups whose pairs are counted: the teaching party pairs of two files
  const source = jobs && cand.group ? jobs.pairs.map(([i, j], g) => i !== j && (jobs.teaching?.[g] ?? true)) : undefined;
  const counted = source && !source.every(Boolean) ? source : undefined;
  // m of comparison k counted on the pairs at an anchor level of comparison `anchor` (per group: AnchorLevels),
  // those of the counted groups when they hold enough
  const counts = (k: number, anchor: number, isAnchor: AnchorLevels, all = !counted): number[] | undefined => {
    const c = new Float64Array(cand.defs[k]!.levels.length);
    let n = 0;
    for (let p = 0; p < cand.count; p++) {
      const l = cand.levels[p * K + k]!;
      const g = cand.group?.[p] ?? 0;
      if (l === NULL_LEVEL || (!all && !counted![g]) || !isAnchor(cand.levels[p * K + anchor]!, g)) continue;
      c[l]!++;
      n++;
    }
    if (n < MIN_ANCHORS) return all ? undefined : counts(k, anchor, isAnchor, true);
    const t = n + PSEUDO * c.length;
    return Array.from(c, (x) => (x + PSEUDO) / t);
  };
  const at = (...levels: number[]): AnchorLevels => (l) => levels.includes(l);
  const out: (number[] | undefined)[] = names.map(() => undefined);
  const place = counts(kPlace, kJoint, at(0));
  out[kPlace] = place;
  if (place && kNodob >= 0 && cand.defs[kNodob]!.levels.length === PLACE_NODOB_LABELS.length && cand.defs[kPlace]!.levels.length === PLACE_LABELS.length) {
    const m = new Array<number>(PLACE_NODOB_LABELS.length).fill(0);
    place.forEach((x, l) => (m[PLACE_NODOB_OF[l]!]! += x));
    out[kNodob] = m;
  }
  const kPart = names.indexOf('place_partdate');
  const byPlace = placeAnchors(cand, kPlace);
  for (const name of ['clk', CLK_ONE_NAME, 'name_dob']) {
    const k = names.indexOf(name);
    if (k >= 0) out[k] = counts(k, kPlace, byPlace);
  }
  // name_dob "both<=4th", "both weak" and "names agree,date partly" (both names with the date only partly agree: a
  // birth-date typo), and "both,day/month swapped" (compare.ts, swapDatesOnly), are out of the anchors' reach (place
  // needs the date to agree, in order): EM estimates them, with the CLK as the other evidence (FitOptions.fixedM NaN)
  const jm = out[kJoint];
  for (const level of [...EM_JOINT_LEVELS, EM_SWAP_LEVEL]) {
    const l = cand.defs[kJoint]!.levels.indexOf(level);
    if (jm && l >= 0) jm[l] = Number.NaN;
  }
  if (jm && jobs && cand.group) nameChangesByChance(cand, kJoint, jm, groupCounts(cand, kJoint, kPlace, byPlace, jobs.pairs.length, jobs), jobs);
  // place_partdate: on pairs whose names agree and whose date nearly agrees (a typo in a name or in the date;
  // siblings and twins differ in the first name), PARTDATE_ANCHORS
  if (kPart >= 0) out[kPart] = counts(kPart, kJoint, at(...PARTDATE_ANCHORS.map((n) => cand.defs[kJoint]!.levels.indexOf(n))));
  const kNames = names.indexOf('names');
  if (kNames >= 0 && kNodob >= 0) out[kNames] = counts(kNames, kNodob, placeAnchors(cand, kNodob));
  return out;
}

/** Whether a pair at this level of the anchoring comparison, in this group (party pair), is an anchor. */
type AnchorLevels = (level: number, group: number) => boolean;

/**
 * Below this share of its pairs at the top of what they can show (`place`
 * ComparisonDef.reach: `zip5+mi` and `zip5,mi ?`) being at `zip5+mi`, a
 * party pair's files hardly ever both record the middle initial (one of
 * them holds none), and its anchors are the pairs at `zip5,mi ?` too.
 * Where both files record it (about half of those pairs or more on
 * generated data) the initial keeps twins out of the anchors.
 */
export const INITIAL_RECORDED_SHARE = 0.1;

/**
 * The anchors read from a place comparison (`place` or `place_nodob`, index
 * k) for clk, clk_one_name and name_dob (`names`): pairs where ZIP5, the
 * birth date and the middle initial agree (the top level); in a party pair
 * whose files hardly ever both hold an initial (INITIAL_RECORDED_SHARE,
 * read on `place`, which holds far more pairs than `place_nodob`: within
 * one file a record without a date is most often a copy whose initial was
 * left out), those where ZIP5 and the date agree, the initial missing on
 * one side — the top of what its pairs can show. Without that file the
 * party pair had no anchors, and the m of a name change it holds more of
 * than the others (the married names of a wage file) was counted on the
 * others alone.
 */
function placeAnchors(cand: ComparisonVectors, k: number): AnchorLevels {
  const kPlace = cand.defs.findIndex((d) => d.name === 'place');
  const reach = cand.defs[k]!.reach;
  const placeReach = cand.defs[kPlace]?.reach;
  if (!reach || !placeReach) return (l) => l === 0;
  const widened = (r: readonly number[]): number[] => r.flatMap((x, l) => (x === l && l !== 0 ? [l] : []));
  const below = widened(reach);
  const placeBelow = widened(placeReach);
  const G = cand.groupCount ?? 1;
  const K = cand.defs.length;
  const top = new Float64Array(G);
  const all = new Float64Array(G);
  for (let p = 0; p < cand.count; p++) {
    const l = cand.levels[p * K + kPlace]!;
    const g = cand.group?.[p] ?? 0;
    if (l === 0) top[g]!++;
    if (l === 0 || placeBelow.includes(l)) all[g]!++;
  }
  const wide = Array.from(top, (t, g) => all[g]! > 0 && t < INITIAL_RECORDED_SHARE * all[g]!);
  return (l, g) => l === 0 || (wide[g]! && below.includes(l));
}

/**
 * A cross-file party pair whose anchors of `name_dob`'s m (nameDateCounts) are
 * fewer than this share of its candidates whose names and birth date all
 * agree has no anchors of its own (a file without ZIPs): its married names
 * are counted by chance coincidences (nameChangesByChance), and the run
 * report warns of it (report.ts modelWarnings, on the sure pairs).
 */
export const ANCHOR_WARN_SHARE = 0.05;

/**
 * The m of `name_dob`'s FIRST_NAME_DATE_LEVELS (the first name and the date
 * agree, the surname does not: a married name, or a namesake born the same
 * day) where a cross-file party pair has no anchors (ANCHOR_WARN_SHARE): its
 * pairs at those levels are counted instead. The namesakes among them come
 * by chance, so their number follows from how often two records of one
 * file meet at those levels (the file's within-file candidates there, per
 * pair of its records, nearly all two people): a party pair of files with
 * NA and NB records holds about NA·NB·√(rA·rB) of them, split between the
 * level whose value is unique and the shared one as the chance pairs of the
 * anchored party pairs split (their pairs there beyond the married names
 * their anchors count; without 50 of them, out of the shared level first;
 * what one level cannot hold goes to the other). The rest are its married
 * names. Its matches are its pairs at SURE_LEVEL over that level's anchored
 * m. The levels' m is then the anchored party pairs' m and these counts
 * together, weighed by each party pair's matches; `jm` changes in place
 * (the other anchored levels scaled to keep their sum). Without a
 * within-file job for both files (a file declared deduplicated) the party
 * pair is left out; without such a party pair nothing changes. On
 * generated files whose wage records hold no ZIP the married names counted
 * were within 1 % of the truth at 20,000 and 200,000 people, 6–10 % below
 * it at a million, where namesakes outnumber them ten to one
 * (docs/match-model.md, session 41).
 */
function nameChangesByChance(cand: ComparisonVectors, kJoint: number, jm: number[], counts: readonly NameDateCounts[], jobs: AnchorJobs): void {
  const levels = cand.defs[kJoint]!.levels;
  const top = levels.indexOf(SURE_LEVEL);
  const [uni, shared] = FIRST_NAME_DATE_LEVELS.map((x) => levels.indexOf(x)) as [number, number];
  if (top < 0 || uni < 0 || shared < 0 || !(jm[top]! > 0) || !counts.some((c) => c.chance !== undefined)) return;
  // the anchored cross-file party pairs: their matches and married names by their anchors, and what is left at the
  // two levels, chance: how chance pairs split between the unique level and the shared one
  let matches = 0;
  let married = [0, 0];
  let chanceUni = 0;
  let chanceAll = 0;
  jobs.pairs.forEach(([i, j], g) => {
    const c = counts[g]!;
    if (i === j || c.unanchored) return;
    const M = c.top / jm[top]!;
    matches += M;
    married = [married[0]! + M * jm[uni]!, married[1]! + M * jm[shared]!];
    chanceUni += Math.max(0, c.unique - M * jm[uni]!);
    chanceAll += Math.max(0, c.unique - M * jm[uni]!) + Math.max(0, c.shared - M * jm[shared]!);
  });
  // the chance pairs of a party pair without anchors split between the two levels as the anchored party pairs' do
  // (without MIN_ANCHORS of those, the shared level first: a value held once in each file is rarely two people's);
  // what one level cannot hold goes to the other
  const uniShare = chanceAll >= MIN_ANCHORS ? chanceUni / chanceAll : undefined;
  for (const c of counts) {
    if (c.chance === undefined) continue;
    const cs = Math.min(c.shared, c.chance - Math.min(c.unique, uniShare === undefined ? Math.max(0, c.chance - c.shared) : uniShare * c.chance));
    const cu = Math.min(c.unique, c.chance - cs);
    matches += c.top / jm[top]!;
    married = [married[0]! + c.unique - cu, married[1]! + c.shared - cs];
  }
  const before = jm.reduce((t, x) => (Number.isFinite(x) ? t + x : t), 0);
  const rest = jm.reduce((t, x, l) => (Number.isFinite(x) && l !== uni && l !== shared ? t + x : t), 0);
  const mUni = married[0]! / matches;
  const mShared = married[1]! / matches;
  if (!(matches > 0 && rest > 0 && mUni + mShared < before)) return;
  const scale = (before - mUni - mShared) / rest;
  for (let l = 0; l < jm.length; l++) if (Number.isFinite(jm[l]!) && l !== uni && l !== shared) jm[l] = jm[l]! * scale;
  jm[uni] = mUni;
  jm[shared] = mShared;
}

/**
 * A party pair's candidates at `name_dob`'s SURE_LEVEL (`top`) and
 * FIRST_NAME_DATE_LEVELS (`unique`, `shared`), its anchors (placeAnchors,
 * the names and date compared), whether it is a cross-file party pair
 * without anchors of its own (`unanchored`: fewer than ANCHOR_WARN_SHARE of
 * its `top` pairs, and at least MIN_ANCHORS of those), and for such a pair
 * whose two files have within-file candidates, the namesakes expected by
 * chance among its `unique` + `shared` pairs (`chance`,
 * nameChangesByChance).
 */
export interface NameDateCounts {
  top: number;
  unique: number;
  shared: number;
  anchors: number;
  unanchored: boolean;
  chance?: number;
}

/** NameDateCounts per group of `cand` (its jobs), read with the anchors `isAnchor` of comparison kPlace; without `jobs`, no `unanchored` nor `chance`. */
function groupCounts(cand: ComparisonVectors, kJoint: number, kPlace: number, isAnchor: AnchorLevels, G: number, jobs?: AnchorJobs): NameDateCounts[] {
  const levels = cand.defs[kJoint]!.levels;
  const top = levels.indexOf(SURE_LEVEL);
  const [uni, shared] = FIRST_NAME_DATE_LEVELS.map((x) => levels.indexOf(x));
  const K = cand.defs.length;
  const n: NameDateCounts[] = Array.from({ length: G }, () => ({ top: 0, unique: 0, shared: 0, anchors: 0, unanchored: false }));
  for (let p = 0; p < cand.count; p++) {
    const l = cand.levels[p * K + kJoint]!;
    if (l === NULL_LEVEL) continue;
    const g = cand.group?.[p] ?? 0;
    const c = n[g]!;
    if (l === top) c.top++;
    else if (l === uni) c.unique++;
    else if (l === shared) c.shared++;
    if (isAnchor(cand.levels[p * K + kPlace]!, g)) c.anchors++;
  }
  if (!jobs) return n;
  // per party: its records' pairs at the two levels within its own file, per pair of its records
  const rate = new Map<number, number>();
  jobs.pairs.forEach(([i, j], g) => {
    const r = jobs.records[i]!;
    if (i === j && r > 1) rate.set(i, (n[g]!.unique + n[g]!.shared) / ((r * (r - 1)) / 2));
  });
  jobs.pairs.forEach(([i, j], g) => {
    const c = n[g]!;
    c.unanchored = i !== j && c.top >= MIN_ANCHORS && c.anchors < ANCHOR_WARN_SHARE * c.top;
    const ri = rate.get(i);
    const rj = rate.get(j);
    if (c.unanchored && ri !== undefined && rj !== undefined) c.chance = jobs.records[i]! * jobs.records[j]! * Math.sqrt(ri * rj);
  });
  return n;
}

/**
 * NameDateCounts of each job of `cand` (the run report's `em.anchors`: the
 * anchors of `name_dob`'s m per party pair, and `em.marriedByChance`);
 * undefined without groups or without `place` and `name_dob`. A party pair
 * without anchors (a file without ZIPs) has its married names counted by
 * chance coincidences (nameChangesByChance) and its other name changes
 * weighed by the other party pairs' anchors (report.ts modelWarnings).
 */
export function nameDateCounts(cand: ComparisonVectors, jobs?: AnchorJobs): NameDateCounts[] | undefined {
  const kPlace = cand.defs.findIndex((d) => d.name === 'place');
  const kJoint = cand.defs.findIndex((d) => d.name === 'name_dob');
  if (kPlace < 0 || kJoint < 0 || !cand.group || cand.groupCount === undefined) return undefined;
  return groupCounts(cand, kJoint, kPlace, placeAnchors(cand, kPlace), cand.groupCount, jobs);
}

/**
 * `name_dob`'s levels where the first name and the birth date agree and the
 * surname does not: where a married name lands (and a namesake born the
 * same day).
 */
export const FIRST_NAME_DATE_LEVELS = ['first+dob unique,last low', 'first+dob,last low'] as const;

/**
 * The levels refineHold keeps at their anchored m: FIRST_NAME_DATE_LEVELS,
 * and "last+dob unique,first low" (the surname and birth date agree, each
 * value held once in its file, the first name does not: an adopted given
 * name). In small files the non-match class among the candidates is a few
 * hundred pairs, mostly twins and siblings at that level, and free EM gave
 * the level an m of 0 (0.023 among the true pairs): 2,000 people, 2 of 8
 * generated seeds, recall 0.93–0.96 and a race gap of 20–25 points
 * (docs/match-model.md, session 35). "last+dob,first low", where the value
 * is not unique, stays free (session 32).
 */
export const REFINE_HELD_LEVELS = [...FIRST_NAME_DATE_LEVELS, 'last+dob unique,first low'] as const;

/**
 * RefineOptions.heldM (docs/match-model.md, "Refined m"): the levels whose
 * anchored m the free-EM refinement keeps — `name_dob`'s
 * REFINE_HELD_LEVELS. Free EM cannot tell a twin or sibling (the same
 * surname and birth date, another first name, often the same ZIP) from one
 * person whose first name changed, takes them into its match class at
 * "last+dob,first low" and pays for it with the other one-name levels: on
 * generated data with realistic names m of "first+dob unique,last low" fell
 * from its anchored 0.035 to 0.029 (0.038 among the true pairs), so married
 * names weighed too little. NaN for every other level (free); undefined
 * without anchored `name_dob` m.
 */
export function refineHold(cand: ComparisonVectors, fixedM: readonly (readonly number[] | undefined)[]): (number[] | undefined)[] {
  const k = cand.defs.findIndex((d) => d.name === 'name_dob');
  const out: (number[] | undefined)[] = cand.defs.map(() => undefined);
  const anchored = k >= 0 ? fixedM[k] : undefined;
  if (!anchored) return out;
  const levels: readonly string[] = cand.defs[k]!.levels;
  out[k] = anchored.map((m, l) => ((REFINE_HELD_LEVELS as readonly string[]).includes(levels[l]!) && Number.isFinite(m) ? m : Number.NaN));
  return out;
}

/**
 * RefineOptions.minMatches (docs/match-model.md, "Refined m"): per job (the
 * groups of `cand`, in order, with the record numbers of its candidates in
 * `pairs`), the fewest matches a fit should hold — its *sure pairs*:
 * candidates at `name_dob`'s top level (both names agree with the birth
 * date) that are the only such candidate of both their records. Nearly all
 * are one person whatever the files' size (at 1,000,000 people with short
 * name lists 3.7 % of the pairs whose name + date filters are identical and
 * unique in their files are two people, while the fit holds 1.6–1.8 times
 * as many matches as there are sure pairs), and they are three quarters or
 * more of the true candidate pairs, so a fit holding fewer matches has put
 * true pairs in its non-match class (docs/match-model.md, session 36). 0
 * within one file (`cross` false) and without a `name_dob` comparison.
 */
export function matchFloor(cand: ComparisonVectors, pairs: readonly { a: Uint32Array; b: Uint32Array }[], cross: readonly boolean[]): number[] {
  const K = cand.defs.length;
  const { k, top } = sureLevel(cand.defs);
  let at = 0;
  return pairs.map(({ a, b }, g) => {
    const from = at;
    at += a.length;
    if (!cross[g] || top < 0) return 0;
    // top-level candidates per record on each side, saturating at 2
    const count = (ids: Uint32Array): Uint8Array => {
      let n = 0;
      for (let x = 0; x < ids.length; x++) n = Math.max(n, ids[x]! + 1);
      const c = new Uint8Array(n);
      for (let x = 0; x < ids.length; x++) if (cand.levels[(from + x) * K + k] === top && c[ids[x]!]! < 2) c[ids[x]!]!++;
      return c;
    };
    const ca = count(a);
    const cb = count(b);
    let sure = 0;
    for (let x = 0; x < a.length; x++) if (cand.levels[(from + x) * K + k] === top && ca[a[x]!] === 1 && cb[b[x]!] === 1) sure++;
    return sure;
  });
}
