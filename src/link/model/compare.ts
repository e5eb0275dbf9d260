import type { EvidenceTokenKind } from '../../schema/evidence.js';
import type { PartyData } from '../types.js';
import { bandLabels, diceLevel } from './levels.js';
import { levelWeights, matchWeights, probabilityOfWeight } from './predict.js';
import { CLK_ONE_NAME, NULL_LEVEL, type ComparisonDef, type ComparisonVectors, type FittedModel } from './types.js';
import { filterWords, wordsDice, type FilterWords } from '../dice.js';

/**
 * Comparison vectors of candidate pairs from the encodings (docs/match-model.md):
 * one comparison per evidence the inputs carry, each a Dice coefficient in
 * bands (levels.ts), null when the presence byte says a field it rests on is
 * missing on either side.
 *
 *   clk        Dice of the CLKs (every field); null if first name, last name or birth date is missing on
 *              either side, or when the names are swapped (a missing or swapped field moves the whole
 *              CLK, so its Dice would count a missing field as disagreement)
 *   names      Dice of the `names` filters (order-free first+last bigrams, sex); null if first or last name is
 *              missing, and (namesOnlyWithoutDob, the default) when both birth dates are present: then the
 *              joint name_dob comparison already carries the names, and counting them twice made the model
 *              overconfident (measured: precision 0.974 -> 0.986 at 20,000 people)
 *   first_dob  Dice of the `first_dob` filters; null if first name or birth date is missing
 *   last_dob   Dice of the `last_dob` filters; null if last name or birth date is missing
 *   place, place_nodob  Dice of the `place` filters (ZIP5, ZIP3, middle initial, mixed with the birth
 *              date) in bands that say which of them agree, when the birth dates agree (place) or one is
 *              missing (place_nodob); null otherwise and when ZIP is missing (see PLACE_BANDS)
 *   <other>    Dice of any other evidence filter (never null)
 *
 * Name-order swap: first_dob and last_dob share their keys, so the pair is
 * also compared crosswise (first_dob(A) with last_dob(B) and last_dob(A)
 * with first_dob(B)); the orientation with the higher sum of the two Dice
 * coefficients gives both levels.
 *
 * Dice coefficients are computed here with popcounts over the packed filters
 * (the same arithmetic as the kernel: 2|A∧B| / (|A| + |B|), 0 when both are
 * empty), so any caller with two PartyData and a list of pairs (the linker,
 * incremental linking) gets the same vectors.
 */

/**
 * Bands are relative to the baseline: the median Dice of random pairs
 * (unrelated records), measured on each run's own data (calibratePlan). A
 * band x is the absolute Dice b + x·(1 − b): x = 1 is identical filters,
 * x = 0 is what unrelated records share. Diffused filters (ELD) sit near
 * half full, so unrelated records already agree on about half their bits;
 * relative bands keep the levels meaningful for any filter density, without
 * re-tuning per schema.
 */
export const CLK_BANDS: readonly number[] = [0.94, 0.84, 0.72, 0.6, 0.44, 0.28];
/** Relative bands of an evidence comparison (see CLK_BANDS). */
export const EVIDENCE_BANDS: readonly number[] = [0.94, 0.8, 0.65, 0.5, 0.3];

/**
 * The `place` filter (ZIP5, ZIP3, middle initial, mixed with the birth date)
 * gives two comparisons, for the two cases in which the rest of the filter's
 * agreement can be read as place and middle initial:
 *
 *   place        both birth dates present and agreeing (first_dob or last_dob
 *                in its top band): levels by the filter's relative Dice,
 *                PLACE_BANDS when both middle initials are present,
 *                PLACE_BANDS_NO_MI when one is missing
 *   place_nodob  the birth date missing on exactly one side (the names-only
 *                case, where namesakes crowd): PLACE_NODOB_BANDS
 *
 * Both are null when ZIP is missing on either side; `place` also when the
 * birth dates disagree (then the date's share of the filter is unknown).
 *
 * The default schema's `place` template hashes ZIP5 (150 bits per token),
 * ZIP3 (60), the middle initial (100) and the twelve birth-date tokens (25
 * each); the bands are the midpoints between the relative Dice each state
 * gives (measured on encoded records, each ± about 0.04): with the date
 * agreeing 1, 0.64, 0.49, 0.35, 0.27, 0.17 (both initials present) and 0.78,
 * 0.33, 0.21 (one missing); with one birth date missing 0.30 (ZIP5 and
 * initial agree) against 0.02 or less, and 0.02 (ZIP5, one initial missing)
 * against −0.25. Level names say what each level means under that template;
 * another template keeps the order (more agreement first), not the names.
 */
export const PLACE_BANDS: readonly number[] = [0.82, 0.56, 0.42, 0.31, 0.22];
export const PLACE_BANDS_NO_MI: readonly number[] = [0.55, 0.27];
export const PLACE_NODOB_BANDS = { mi: 0.15, noMi: -0.12 } as const;
/**
 * Levels of `place`: both initials present, or (mi ?) one missing, merged in
 * order of the filter's agreement. They are categories, not one scale
 * (ComparisonDef.ordered false): ZIP5 with another middle initial is a
 * sibling's or a parent's mark and weighs below ZIP3 with the same initial
 * (200,000 people: −4.6 against +3.7); pooled to one weight along the Dice
 * order they had told those apart less well (recall 0.9123 → 0.9137, same
 * precision).
 */
export const PLACE_LABELS = ['zip5+mi', 'zip5,mi ?', 'zip5,mi differs', 'zip3+mi', 'mi only', 'zip3,mi ?', 'zip3,mi differs', 'neither,mi ?', 'neither'] as const;
/** PLACE_BANDS level -> PLACE_LABELS level, and PLACE_BANDS_NO_MI level -> PLACE_LABELS level. */
const PLACE_LEVEL_MI = [0, 2, 3, 4, 6, 8];
const PLACE_LEVEL_NO_MI = [1, 5, 7];
export const PLACE_NODOB_LABELS = ['zip5+mi', 'zip5,mi ?', 'other,mi ?', 'other'] as const;
/**
 * ComparisonDef.reach of the place levels: with the middle initial recorded
 * on one side only (`… mi ?`), the best a pair can show is `zip5,mi ?`.
 */
function reachOf(labels: readonly string[]): number[] {
  const best = labels.indexOf('zip5,mi ?');
  return labels.map((l) => (l.endsWith('mi ?') ? best : 0));
}
/**
 * `place_partdate`: the same filter when both birth dates are present but
 * only partly agree (neither name + date filter in its top band: a day/month
 * swap, a typo in the date, or another person's date). The date's share of
 * the filter then varies with how much of it agrees, so the levels are plain
 * relative Dice bands; under the default template ZIP5, ZIP3 and the initial
 * agreeing with a third of the date tokens give about 0.45 and more, one of
 * ZIP5 or the initial less.
 */
export const PLACE_PARTDATE_BANDS: readonly number[] = [0.6, 0.45, 0.3, 0.15];
/** The name_dob levels (of first_dob or last_dob) at which the birth date counts as agreeing for `place`. */
const DATE_AGREES = 0;

/**
 * A day/month swap made visible: when the `names` filter's date tokens
 * (header `dates`) are invariant under a swap of day and month and together
 * give the whole date up to that swap (`unordered-date`, or `year` with
 * `day-month-set`: swapDatesOnly), two records with both names, sex and
 * birth date present whose `names` filters are identical while their name +
 * date filters only partly agree have the same names and the same date up to
 * a swap of day and month (or a hash collision: the default hashes the date
 * as one 12-bit token, so a different date leaves the filter identical only
 * when all of its bits fall on bits the names already set, about 2^-24 per
 * pair). Such a pair is `name_dob` "both,day/month swapped", a level of its
 * own whose m EM estimates (anchors.ts, EM_SWAP_LEVEL): counted as "both>=top"
 * it scored the same at 200,000 people and less well at 20,000, and a level of
 * its own lets u follow the crowd of namesakes born on the swapped date, which
 * grows with file size. Its CLK (which hashes the date in order) is left out,
 * like after a first/last swap, and `place` is read as for a partly agreeing
 * date (place_partdate).
 */
export const SWAP_FREE_DATES: readonly EvidenceTokenKind[] = ['year', 'day-month-set', 'unordered-date'];

/** Whether a filter with these date token kinds is identical for two dates exactly when they are equal up to a day/month swap. */
export function swapDatesOnly(dates: readonly EvidenceTokenKind[]): boolean {
  return dates.length > 0 && dates.every((k) => SWAP_FREE_DATES.includes(k)) && (dates.includes('unordered-date') || (dates.includes('year') && dates.includes('day-month-set')));
}

/**
 * The deepest level of each comparison that a blocking floor (relative, as
 * the bands) lets through: the candidate selection the model corrects for
 * (FitOptions.selection). -1 when the floor is above every band.
 */
export function selectionLevels(plan: ComparisonPlan, floorOf: (source: number | 'clk') => number | undefined): number[] {
  const deepOf = plan.parts.map((p) => {
    const f = floorOf(p.source);
    if (f === undefined) return -1;
    let deep = -1;
    p.rel.forEach((r, l) => {
      if (r >= f - 1e-12) deep = l;
    });
    return deep;
  });
  const sw = plan.swap;
  if (!plan.joint || !sw) return deepOf.flatMap((d, k) => (plan.parts[k]!.place ? [-1, -1, -1] : [d]));
  // joint name_dob: selected when either filter reached its floor (at most the 4th band): levels up to "one<=4th,other low"
  const jointDeep = Math.min(deepOf[sw.kFd]!, deepOf[sw.kLd]!) >= 3 ? 8 : Math.min(deepOf[sw.kFd]!, deepOf[sw.kLd]!) >= 1 ? 7 : -1;
  const out = deepOf.flatMap((d, k) => (k === sw.kLd ? [] : k === sw.kFd ? [jointDeep] : plan.parts[k]!.place ? [-1, -1, -1] : [d]));
  // a stratum is selected like the comparison it splits
  for (const st of plan.strata ?? []) out.push(out[plan.defs.findIndex((d) => d.name === st.of)]!);
  return out;
}

/** Presence features each known comparison rests on (clk: the fields whose absence moves a CLK the most). */
const NEEDS: Record<string, readonly string[]> = {
  clk: ['first_name', 'last_name', 'birth_date'],
  names: ['first_name', 'last_name'],
  first_dob: ['first_name', 'birth_date'],
  last_dob: ['last_name', 'birth_date'],
  place: ['zip'],
};

/** How the comparisons of a set of inputs are computed. */
export interface ComparisonPlan {
  defs: ComparisonDef[];
  /**
   * Per comparison: which filter ('clk' or evidence index), its relative
   * bands, its absolute bands (Dice lower bounds, set by calibratePlan from
   * the baseline), the baseline, and the presence mask it needs (0 = never null).
   */
  parts: { source: number | 'clk'; rel: readonly number[]; bands: readonly number[]; baseline: number; needs: number; onlyWithout?: number; place?: { dob: number; mi: number } }[];
  /** Evidence indices of first_dob and last_dob when both exist (swap-aware comparison), and their comparison indices. */
  swap?: { fd: number; ld: number; kFd: number; kLd: number };
  /** first_dob and last_dob as one joint comparison `name_dob` (JOINT_LABELS) at output index kFd; outputs after kLd shift down by one (and a place part gives two outputs: outputParts). */
  joint?: boolean;
  /**
   * Day/month swap detection (swapDatesOnly): the evidence index of a
   * `names` filter whose date tokens give the date up to a day/month swap
   * (header `dates`), and the presence mask it needs (both names and the
   * birth date on both sides).
   */
  daySwap?: { x: number; needs: number };
  /**
   * Names read past a partly agreeing date (JOINT_NAMES_AGREE): the index
   * in `parts` of the `names` filter (order-free first and last name) and the
   * presence mask it needs (both names and the birth date on both sides).
   */
  namesAgree?: { k: number; needs: number };
  /**
   * Comparisons split by the `name_dob` state (STRATA): in its stratum the
   * comparison `of` counts as the comparison `name` (the last outputs, in
   * this order) and `of` is null there.
   */
  strata?: { of: string; name: string; levels: readonly number[] }[];
}

/**
 * Comparisons given the `name_dob` state. The CLK holds both names and the
 * date, so when `name_dob` already says one name changed, or the date only
 * partly agrees, the CLK's Dice is low for every such pair, match or not:
 * counted with the unconditional m and u of `clk` it charged the change twice
 * (once in `name_dob`, once in the CLK; 200,000 people: "first name + date
 * unique, surname low, ZIP5 agrees" was 1,166 true against 36 false pairs and
 * still weighed below the decision). In these states the CLK is a comparison
 * of its own, with its own m (anchored, anchors.ts) and u, which say what the
 * CLK adds given the state (a typo in the other name against another name):
 *
 *   clk_one_name   exactly one name agrees with the date (JOINT_LABELS 4-7:
 *                  a married name, a nickname, or a coincidence)
 *
 * (A stratum for a partly agreeing date, "both<=4th", "one<=4th,other low"
 * and "both weak", was measured and not kept: no anchor reaches those
 * levels — ZIP, initial and a partly agreeing date also join siblings — and
 * EM's free m there took the crowds for matches; nor was `place` given one
 * name changed, with place's m and its own u: EM's u there took the married
 * names for non-matches; docs/match-model.md.)
 */
export const STRATA: readonly { of: string; name: string; levels: readonly number[] }[] = [
  { of: 'clk', name: CLK_ONE_NAME, levels: [4, 5, 6, 7] },
];

/** The comparison plan of a party's layout (all inputs of a run share it: checkCompatible). */
/**
 * Levels of the joint comparison of first_dob and last_dob (f, l = their
 * evidence levels, 0 = most agreement; "≤1" = one of the two top bands,
 * "≤3" = at least halfway from the baseline): the pair of levels, not each
 * alone, tells "the birth date differs" (both low) from "one name changed"
 * (one high, one low: marriage, nickname, or a twin) and from "a typo"
 * (both partial). One comparison, so the model does not count the birth
 * date twice.
 */
export const JOINT_LABELS = [
  'both>=top',
  'both<=2nd',
  'one<=2nd,other<=4th',
  'both<=4th',
  'first+dob unique,last low',
  'last+dob unique,first low',
  'first+dob,last low',
  'last+dob,first low',
  'one<=4th,other low',
  'both weak',
  'both low',
  'both,day/month swapped',
  'names agree,date partly',
] as const;
/** The `name_dob` level where both names agree with the birth date (anchors.ts matchFloor's sure pairs; the corroborated phase's `exact`; swapRelief). */
export const SURE_LEVEL: (typeof JOINT_LABELS)[number] = 'both>=top';

/** Where SURE_LEVEL is in comparisons `defs`: the comparison's index and the level's (both -1 without a `name_dob` comparison). */
export function sureLevel(defs: readonly { name: string; levels: readonly string[] }[]): { k: number; top: number } {
  const k = defs.findIndex((d) => d.name === 'name_dob');
  return k >= 0 ? { k, top: defs[k]!.levels.indexOf(SURE_LEVEL) } : { k: -1, top: -1 };
}

/** The joint level of a day/month swap with both names identical (swapDatesOnly). */
const JOINT_DAY_SWAP = JOINT_LABELS.indexOf('both,day/month swapped');
/**
 * A birth-date typo with a short name: the typo moves both name + date
 * filters, a short name's (mostly its date) down to low, the longer name's
 * to halfway. That is "one<=4th,other low", where the strangers who share
 * one name and have a nearby date crowd; the `names` filter (both names,
 * order-free) tells the two apart. A pair at that level whose `names`
 * filters agree (NAMES_AGREE_LEVELS) is at "names agree,date partly",
 * whose m EM fits (anchors.ts EM_JOINT_LEVELS; docs/match-model.md,
 * session 49).
 */
const JOINT_ONE_HALF = JOINT_LABELS.indexOf('one<=4th,other low');
const JOINT_NAMES_AGREE = JOINT_LABELS.indexOf('names agree,date partly');
/** The `names` levels (EVIDENCE_BANDS) at which both names count as agreeing (the top two; at a million people about as many pairs as have the two names the same: docs/match-model.md, session 49). */
const NAMES_AGREE_LEVELS = 1;

/**
 * Joint level of the first_dob and last_dob levels f and l. When exactly
 * one of the two names agrees with the date (one in the top two bands, the
 * other low: a married name, a nickname — or a twin, a sibling, a stranger
 * with the same first name and birthday), the level also says which name
 * agrees (`first` / `last`: a changed surname is far more often the same
 * person than a changed first name with the same surname and birthday) and
 * whether the agreeing name + date filter is identical and occurs once in
 * each file (`unique`, from `uniqueOf`): a first name + birth date that no
 * other record of either file shares is strong evidence, one shared by
 * several records is a crowd. This is the term-frequency adjustment the
 * linker can make without any material beyond the filters it already holds
 * (it counts identical filters).
 */
function jointLevel(f: number, l: number, unique: boolean): number {
  if (f === NULL_LEVEL) f = l;
  if (l === NULL_LEVEL) l = f;
  if (f === NULL_LEVEL) return NULL_LEVEL;
  const hi = Math.min(f, l);
  const lo = Math.max(f, l);
  if (lo === 0) return 0;
  if (lo <= 1) return 1;
  if (hi <= 1 && lo <= 3) return 2;
  if (lo <= 3) return 3;
  if (hi <= 1) return (unique ? 4 : 6) + (f <= 1 ? 0 : 1);
  if (hi <= 3) return 8;
  // both in the 5th band: the birth date partly agrees in both (a day/month swap, a year typo)
  if (lo <= 4) return 9;
  return 10;
}

/** Joint level when exactly one name agrees with the date (`jointLevel` levels 4-7): the unique levels need the identical-filter check. */
function oneNameAgrees(f: number, l: number): boolean {
  if (f === NULL_LEVEL || l === NULL_LEVEL) return false;
  return Math.min(f, l) <= 1 && Math.max(f, l) > 3;
}

/**
 * What a duplicate's bar forgives a pair in the CLK's weight, when the
 * field comparisons show the fields the CLK rests on agreeing (`name_dob` at
 * its top) and the CLK says less only for a reason that is no evidence
 * against one person recorded twice:
 *
 * - **A first/last swap.** The CLK is order-sensitive, so compareCandidates
 *   leaves it null for a pair read crosswise whose two names both agree
 *   with the birth date, though every field it rests on is recorded on both
 *   sides and agrees: the pair lacks the CLK's top weight only because of
 *   the order of its names, as a pair with a middle initial recorded on one
 *   side lacks place's top (barRelief). Such a pair is known by its levels
 *   (the CLK null, `name_dob` at its top) and its presence bytes: a pair
 *   whose CLK is null because a name or the date is missing (`needs`, the
 *   CLK's fields) shows the same levels and is not forgiven.
 * - **What the comparisons do not read.** With `name_dob` at its top and
 *   `place` at the best level its pair can reach (`ComparisonDef.reach`:
 *   the same ZIP5, the initial the same or recorded on one side), the two
 *   records agree on the first word of each name (a short given name read
 *   as its formal name), the birth date, the ZIP and the initial. A CLK
 *   below its top then differs in what only it hashes: a name's other words
 *   (a compound name written whole or in part), its accents, a given name as
 *   written, a middle name written out or cut to its initial, the sex. The
 *   pair is forgiven the CLK's shortfall from its top (`shortfall`, per
 *   level).
 *   A namesake elsewhere shows `place` below its reach. Two people who
 *   share the first word of both names, the birth date and the ZIP5 are
 *   rare but not absent (compound surnames alike in their first word): the
 *   CLK's shortfall was all that kept them apart (docs/match-model.md,
 *   session 48).
 *
 * Undefined without a CLK or `name_dob` comparison.
 */
export interface ClkRelief {
  kClk: number;
  kJoint: number;
  /** `name_dob`'s top level (SURE_LEVEL). */
  top: number;
  /** Presence bits of the CLK's fields (first name, last name, birth date). */
  needs: number;
  /** The CLK's top weight. */
  weight: number;
  /** `place`'s index, or -1 without it. */
  kPlace: number;
  /** Per `place` level: 1 when it is the best its pair can reach. */
  placeAtReach: Uint8Array;
  /** Per CLK level: its top weight less that level's, at least 0. */
  shortfall: Float64Array;
}

export function clkRelief(model: FittedModel, plan: Pick<ComparisonPlan, 'defs' | 'parts'>): ClkRelief | undefined {
  const kClk = model.defs.findIndex((d) => d.name === 'clk');
  const { k: kJoint, top } = sureLevel(model.defs);
  const part = plan.parts.find((p) => p.source === 'clk');
  if (kClk < 0 || top < 0 || !part) return undefined;
  const w = levelWeights(model)[kClk]!;
  const weight = w[0]!;
  if (!(weight > 0)) return undefined;
  // `reach` as barRelief reads it: from the plan's defs, in the model's order
  const kPlace = plan.defs.findIndex((d) => d.name === 'place');
  const place = plan.defs[kPlace];
  const placeAtReach = new Uint8Array(place ? place.levels.length : 0);
  for (let l = 0; l < placeAtReach.length; l++) placeAtReach[l] = (place!.reach?.[l] ?? 0) === l ? 1 : 0;
  return { kClk, kJoint, top, needs: part.needs, weight, kPlace, placeAtReach, shortfall: Float64Array.from(w, (x) => Math.max(0, weight - x)) };
}

/** The relief (ClkRelief) of the pair whose levels are at `levels[at..]` and whose records' presence bytes, ANDed, are `have` (0xff without presence bytes): the CLK's top weight for a swapped pair, its shortfall for a pair whose fields agree, or 0. */
export function clkReliefOf(s: ClkRelief | undefined, levels: Uint8Array, at: number, have: number): number {
  if (!s || levels[at + s.kJoint] !== s.top) return 0;
  const c = levels[at + s.kClk]!;
  if (c === NULL_LEVEL) return (have & s.needs) === s.needs ? s.weight : 0;
  if (s.kPlace < 0) return 0;
  const p = levels[at + s.kPlace]!;
  return p !== NULL_LEVEL && s.placeAtReach[p] === 1 ? s.shortfall[c]! : 0;
}

/** The presence bytes of record i of one party and record j of another, ANDed: the fields both hold (0xff when either party has none). */
export function pairPresence(pa: Uint8Array | undefined, i: number, pb: Uint8Array | undefined, j: number): number {
  return pa && pb ? pa[i]! & pb[j]! : 0xff;
}

/** Bit mask of the named features in a presence header's feature list (header.presence); names it lacks add nothing. */
export function presenceMask(features: readonly string[], names: readonly string[]): number {
  let m = 0;
  for (const n of names) {
    const bit = features.indexOf(n);
    if (bit >= 0) m |= 1 << bit;
  }
  return m;
}

/**
 * Evidence indices of `first_dob` and `last_dob` when both exist with one
 * length: one template, one key, so a name + date filter of one side can be
 * compared with the other name's filter of the other side (a first/last swap).
 */
export function swapFilters(ev: readonly { name: string; l: number }[]): { fd: number; ld: number } | undefined {
  const fd = ev.findIndex((e) => e.name === 'first_dob');
  const ld = ev.findIndex((e) => e.name === 'last_dob');
  return fd >= 0 && ld >= 0 && ev[fd]!.l === ev[ld]!.l ? { fd, ld } : undefined;
}

export function comparisonPlan(p: Pick<PartyData, 'evidence' | 'header'>, opts: { clk?: boolean; namesOnlyWithoutDob?: boolean; joint?: boolean; strata?: boolean } = {}): ComparisonPlan {
  const defs: ComparisonDef[] = [];
  const parts: ComparisonPlan['parts'] = [];
  const features = p.header.presence ?? [];
  const mask = (names: readonly string[] | undefined): number => presenceMask(features, names ?? []);
  if (opts.clk !== false) {
    defs.push({ name: 'clk', levels: relLabels(CLK_BANDS) });
    parts.push({ source: 'clk', rel: CLK_BANDS, bands: CLK_BANDS, baseline: 0, needs: mask(NEEDS.clk) });
  }
  const ev = p.evidence ?? [];
  ev.forEach((e, x) => {
    if (e.name === 'place') {
      defs.push({ name: 'place', levels: [...PLACE_LABELS], ordered: false, reach: reachOf(PLACE_LABELS) }, { name: 'place_nodob', levels: [...PLACE_NODOB_LABELS], reach: reachOf(PLACE_NODOB_LABELS) }, { name: 'place_partdate', levels: relLabels(PLACE_PARTDATE_BANDS) });
      parts.push({ source: x, rel: PLACE_BANDS, bands: PLACE_BANDS, baseline: 0, needs: mask(NEEDS.place), place: { dob: mask(['birth_date']), mi: mask(['middle_name']) } });
      return;
    }
    defs.push({ name: e.name, levels: relLabels(EVIDENCE_BANDS) });
    const part: ComparisonPlan['parts'][number] = { source: x, rel: EVIDENCE_BANDS, bands: EVIDENCE_BANDS, baseline: 0, needs: mask(NEEDS[e.name]) };
    // names overlaps name_dob wholly when both birth dates are there: it counts only when one is missing
    if (e.name === 'names' && (opts.namesOnlyWithoutDob ?? true) && features.includes('birth_date')) part.onlyWithout = mask(['birth_date']);
    parts.push(part);
  });
  const plan: ComparisonPlan = { defs, parts };
  const xn = ev.findIndex((e) => e.name === 'names');
  const namesDates = xn >= 0 ? (p.header.evidence?.[xn]?.dates ?? []) : [];
  if (swapDatesOnly(namesDates) && features.includes('birth_date')) {
    plan.daySwap = { x: xn, needs: mask(['first_name', 'last_name', 'birth_date']) };
  }
  if (xn >= 0 && features.includes('birth_date')) plan.namesAgree = { k: parts.findIndex((q) => q.source === xn), needs: mask(['first_name', 'last_name', 'birth_date']) };
  const sf = swapFilters(ev);
  if (sf) {
    const { fd, ld } = sf;
    plan.swap = { fd, ld, kFd: parts.findIndex((q) => q.source === fd), kLd: parts.findIndex((q) => q.source === ld) };
    if (opts.joint !== false) {
      plan.joint = true;
      plan.defs = defs.filter((d) => d.name !== 'last_dob').map((d) => (d.name === 'first_dob' ? { name: 'name_dob', levels: [...JOINT_LABELS], ordered: false } : d));
      if (opts.strata ?? true) {
        plan.strata = STRATA.filter((st) => plan.defs.some((d) => d.name === st.of)).map((st) => ({ ...st }));
        for (const st of plan.strata) plan.defs.push({ ...plan.defs.find((d) => d.name === st.of)!, name: st.name });
      }
    }
  }
  return plan;
}

/** Level labels of relative bands: "≥0.94", …, "<0.2" (fractions of the way from the random-pair baseline to identical). */
function relLabels(rel: readonly number[]): string[] {
  return bandLabels(rel);
}

/**
 * Set the plan's absolute bands from the baseline of each comparison: the
 * median Dice over the given random pairs (a[x] of A, b[x] of B). Returns a
 * new plan; its baselines are part of what a caller must keep to score more
 * pairs the same way later.
 */
export function calibratePlan(plan: ComparisonPlan, A: PartyData, B: PartyData, a: ArrayLike<number>, b: ArrayLike<number>): ComparisonPlan {
  const wa = partyWords(A);
  const wb = partyWords(B);
  const n = Math.min(a.length, 20_001);
  const parts = plan.parts.map((part) => {
    const d = new Float64Array(n);
    for (let x = 0; x < n; x++) d[x] = part.source === 'clk' ? wordsDice(wa.clk, a[x]!, wb.clk, b[x]!) : wordsDice(wa.ev[part.source]!, a[x]!, wb.ev[part.source]!, b[x]!);
    d.sort();
    const base = n > 0 ? d[n >> 1]! : 0;
    return { ...part, baseline: base, bands: part.rel.map((r) => absoluteDice(base, r)) };
  });
  const internal = outputParts(plan);
  const defs = plan.defs.map((d, t) => (d.name === 'name_dob' || parts[internal[t]!]!.place ? d : { name: d.name, levels: bandLabels(parts[internal[t]!]!.bands.map((x) => Math.round(x * 1000) / 1000)) }));
  return { ...plan, defs, parts };
}

/** The internal part of each output comparison: a joint comparison replaces first_dob and drops last_dob; place gives two. */
function outputParts(plan: ComparisonPlan): number[] {
  const out = plan.parts.flatMap((p, k) => (plan.joint && plan.swap && k === plan.swap.kLd ? [] : p.place ? [k, k, k] : [k]));
  for (const st of plan.strata ?? []) out.push(out[plan.defs.findIndex((d) => d.name === st.of)]!);
  return out;
}

/** The absolute Dice of relative level r of a comparison with baseline `base`. */
export function absoluteDice(base: number, r: number): number {
  return base + r * (1 - base);
}

/** Filter matrices of a party in plan order (evidence by index, 'clk'). */
interface PartyWords {
  clk: FilterWords;
  ev: FilterWords[];
  presence: Uint8Array | undefined;
  /** Per evidence index (computed on first use): a 52-bit hash of each record's filter, and the hashes sorted (to count identical filters). */
  counts: ({ hash: Float64Array; sorted: Float64Array } | undefined)[];
}

/** A 52-bit hash of record r's filter (two 32-bit multiply-xor passes; equal filters, equal hashes). */
function filterHash(W: FilterWords, r: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x27d4eb2f;
  const n = W.n;
  for (let x = r * n, e = x + n; x < e; x++) {
    const v = W.w[x]!;
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = Math.imul(h2 ^ v, 0x85ebca6b) ^ (h2 >>> 13);
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) & 0xfffff);
}

/** filterHash of every record's filter (equal filters, equal hashes). */
function hashesOf(W: FilterWords, count: number): Float64Array {
  const hash = new Float64Array(count);
  for (let r = 0; r < count; r++) hash[r] = filterHash(W, r);
  return hash;
}

/** A 52-bit hash of each of `count` filters of `stride` bytes (equal filters, equal hashes; the crosswise candidate pass joins identical filters on it). */
export function filterHashes(bytes: Uint8Array, stride: number, count: number): Float64Array {
  return hashesOf(filterWords(bytes, stride, new Uint32Array(count)), count);
}

/** Hashes of a party's evidence filter x and their sorted copy (cached). */
function filterCounts(p: PartyWords, x: number): { hash: Float64Array; sorted: Float64Array } {
  let c = p.counts[x];
  if (!c) {
    const W = p.ev[x]!;
    const hash = hashesOf(W, W.pop.length);
    c = { hash, sorted: hash.slice().sort() };
    p.counts[x] = c;
  }
  return c;
}

/** How many entries of a sorted array equal h (binary search): records of a party with a filter of hash h, evidence keys of an increment's records. */
export function countOf(sorted: Float64Array, h: number): number {
  const bound = (strict: boolean): number => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < h || (strict && sorted[mid] === h)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return bound(true) - bound(false);
}

/**
 * Whether record i's filter xa (of A) and record j's filter xb (of B), known
 * identical, hold a value that occurs once in each file (within one party
 * and one filter: twice, the pair itself).
 */
function uniquePair(wa: PartyWords, xa: number, i: number, wb: PartyWords, xb: number, j: number): boolean {
  const ca = filterCounts(wa, xa);
  const h = ca.hash[i]!;
  if (wa === wb && xa === xb) return countOf(ca.sorted, h) === 2;
  if (countOf(ca.sorted, h) !== 1) return false;
  return countOf(filterCounts(wb, xb).sorted, h) === 1;
}

/** What comparing needs of a party: its filter matrices and presence (a PartyData, or the same arrays seen from a compare worker). */
export type ComparedParty = Pick<PartyData, 'clks' | 'stride' | 'popcounts' | 'evidence' | 'presence'>;

const cache = new WeakMap<ComparedParty, PartyWords>();
function partyWords(p: ComparedParty): PartyWords {
  let w = cache.get(p);
  if (!w) {
    w = {
      clk: filterWords(p.clks, p.stride, p.popcounts),
      ev: (p.evidence ?? []).map((e) => filterWords(e.bytes, e.stride, e.popcounts)),
      presence: p.presence,
      counts: [],
    };
    cache.set(p, w);
  }
  return w;
}

/**
 * Comparison vectors of pairs (a[x] of A, b[x] of B); B = A for pairs within
 * one party. `out` (count * defs.length) may be given to fill in place.
 */
export function compareCandidates(plan: ComparisonPlan, A: ComparedParty, B: ComparedParty, a: ArrayLike<number>, b: ArrayLike<number>, out?: Uint8Array): ComparisonVectors {
  const KO = plan.defs.length;
  const K = plan.parts.length;
  const n = a.length;
  const result = out ?? new Uint8Array(n * KO);
  const levels = new Uint8Array(K);
  const wa = partyWords(A);
  const wb = partyWords(B);
  const sw = plan.swap;
  const kClk = plan.parts.findIndex((p) => p.source === 'clk');
  const kPlace = plan.parts.findIndex((p) => p.place !== undefined);
  const place = kPlace >= 0 ? placeBands(plan.parts[kPlace]!) : undefined;
  let unique = false;
  const na = plan.joint ? plan.namesAgree : undefined;
  // strata (the last outputs): the output each splits, and whether each name_dob level is in it
  const strata = plan.strata ?? [];
  const oJoint = plan.defs.findIndex((d) => d.name === 'name_dob');
  const oStrata = KO - strata.length;
  const oOf = strata.map((st) => plan.defs.findIndex((d) => d.name === st.of));
  const inStratum = strata.map((st) => {
    const m = new Uint8Array(256);
    for (const l of st.levels) m[l] = 1;
    return m;
  });
  for (let x = 0; x < n; x++) {
    const i = a[x]!;
    const j = b[x]!;
    const have = pairPresence(wa.presence, i, wb.presence, j);
    const o = 0;
    for (let k = 0; k < K; k++) {
      const part = plan.parts[k]!;
      if ((sw && (k === sw.kFd || k === sw.kLd)) || k === kPlace) continue;
      if ((have & part.needs) !== part.needs || (part.onlyWithout !== undefined && (have & part.onlyWithout) === part.onlyWithout)) {
        levels[o + k] = NULL_LEVEL;
        continue;
      }
      const d = part.source === 'clk' ? wordsDice(wa.clk, i, wb.clk, j) : wordsDice(wa.ev[part.source]!, i, wb.ev[part.source]!, j);
      levels[o + k] = diceLevel(d, part.bands);
    }
    if (sw) {
      const FA = wa.ev[sw.fd]!;
      const LA = wa.ev[sw.ld]!;
      const FB = wb.ev[sw.fd]!;
      const LB = wb.ev[sw.ld]!;
      let f = wordsDice(FA, i, FB, j);
      let l = wordsDice(LA, i, LB, j);
      const fx = wordsDice(FA, i, LB, j);
      const lx = wordsDice(LA, i, FB, j);
      // the swapped orientation also swaps which presence bits the comparisons need
      let needF = plan.parts[sw.kFd]!.needs;
      let needL = plan.parts[sw.kLd]!.needs;
      const crossed = fx + lx > f + l;
      if (crossed) {
        f = fx;
        l = lx;
        // the CLK is order-sensitive: after a first/last swap its Dice says nothing
        if (kClk >= 0) levels[kClk] = NULL_LEVEL;
        const t = needF;
        needF = needL;
        needL = t;
      }
      const pf = plan.parts[sw.kFd]!;
      const pl = plan.parts[sw.kLd]!;
      // A's first name sits in B's last-name field when swapped: presence checks A's own fields and B's swapped ones
      levels[o + sw.kFd] = presentFor(wa.presence, wb.presence, i, j, pf.needs, needF) ? diceLevel(f, pf.bands) : NULL_LEVEL;
      levels[o + sw.kLd] = presentFor(wa.presence, wb.presence, i, j, pl.needs, needL) ? diceLevel(l, pl.bands) : NULL_LEVEL;
      unique = false;
      if (plan.joint && oneNameAgrees(levels[o + sw.kFd]!, levels[o + sw.kLd]!)) {
        // the agreeing name + date filter: identical (Dice exactly 1) and its value once in each file
        const firstAgrees = levels[o + sw.kFd]! <= 1;
        if ((firstAgrees ? f : l) === 1) {
          const xa = firstAgrees ? sw.fd : sw.ld;
          const xb = crossed ? (firstAgrees ? sw.ld : sw.fd) : xa;
          unique = uniquePair(wa, xa, i, wb, xb, j);
        }
      }
    }
    // a day/month swap (swapDatesOnly): names identical, the date only partly agrees
    let daySwapped = false;
    const ds = plan.daySwap;
    if (ds && sw && (have & ds.needs) === ds.needs && jointLevel(levels[o + sw.kFd]!, levels[o + sw.kLd]!, false) > 1 && wordsDice(wa.ev[ds.x]!, i, wb.ev[ds.x]!, j) === 1) {
      daySwapped = true;
      if (kClk >= 0) levels[kClk] = NULL_LEVEL;
    }
    let nodob = NULL_LEVEL;
    let partdate = NULL_LEVEL;
    if (place) {
      const pp = plan.parts[kPlace]!;
      levels[kPlace] = NULL_LEVEL;
      const dobs = (wa.presence ? (wa.presence[i]! & place.dob ? 1 : 0) : 1) + (wb.presence ? (wb.presence[j]! & place.dob ? 1 : 0) : 1);
      // the birth date agrees when one name + date filter is near identical: then the rest of the place filter is ZIP and middle initial
      const dateAgrees = dobs === 2 && !daySwapped && (!sw || Math.min(levels[sw.kFd]!, levels[sw.kLd]!) <= DATE_AGREES);
      if ((have & pp.needs) === pp.needs && (dateAgrees || dobs === 1)) {
        const d = wordsDice(wa.ev[pp.source as number]!, i, wb.ev[pp.source as number]!, j);
        const mi = (have & place.mi) === place.mi;
        if (dobs === 2) levels[kPlace] = mi ? PLACE_LEVEL_MI[diceLevel(d, place.mi2)]! : PLACE_LEVEL_NO_MI[diceLevel(d, place.mi1)]!;
        else nodob = mi ? (d >= place.nodobMi ? 0 : 3) : d >= place.nodobNoMi ? 1 : 2;
      } else if ((have & pp.needs) === pp.needs && dobs === 2 && sw) {
        partdate = diceLevel(wordsDice(wa.ev[pp.source as number]!, i, wb.ev[pp.source as number]!, j), place.partdate);
      }
    }
    let joint = NULL_LEVEL;
    if (plan.joint && sw) {
      joint = daySwapped ? JOINT_DAY_SWAP : jointLevel(levels[sw.kFd]!, levels[sw.kLd]!, unique);
      // a birth-date typo with a short name, read by the `names` filter (JOINT_NAMES_AGREE)
      if (joint === JOINT_ONE_HALF && na && (have & na.needs) === na.needs) {
        const np = plan.parts[na.k]!;
        if (diceLevel(wordsDice(wa.ev[np.source as number]!, i, wb.ev[np.source as number]!, j), np.bands) <= NAMES_AGREE_LEVELS) joint = JOINT_NAMES_AGREE;
      }
    }
    const r = x * KO;
    if ((plan.joint && sw) || place) {
      let t = 0;
      for (let k = 0; k < K; k++) {
        if (plan.joint && sw && k === sw.kLd) continue;
        result[r + t++] = plan.joint && sw && k === sw.kFd ? joint : levels[k]!;
        if (k === kPlace) {
          result[r + t++] = nodob;
          result[r + t++] = partdate;
        }
      }
      for (let z = 0; z < strata.length; z++) {
        const o = r + oOf[z]!;
        if (inStratum[z]![result[r + oJoint]!]) {
          result[r + oStrata + z] = result[o]!;
          result[o] = NULL_LEVEL;
        } else result[r + oStrata + z] = NULL_LEVEL;
      }
    } else result.set(levels, r);
  }
  return { defs: plan.defs, count: n, levels: result };
}

/** Absolute Dice bounds of the place comparisons from the place filter's baseline. */
function placeBands(p: ComparisonPlan['parts'][number]): { dob: number; mi: number; mi2: number[]; mi1: number[]; nodobMi: number; nodobNoMi: number; partdate: number[] } {
  const abs = (r: number) => absoluteDice(p.baseline, r);
  return { ...p.place!, mi2: PLACE_BANDS.map(abs), mi1: PLACE_BANDS_NO_MI.map(abs), nodobMi: abs(PLACE_NODOB_BANDS.mi), nodobNoMi: abs(PLACE_NODOB_BANDS.noMi), partdate: PLACE_PARTDATE_BANDS.map(abs) };
}

function presentFor(pa: Uint8Array | undefined, pb: Uint8Array | undefined, i: number, j: number, needA: number, needB: number): boolean {
  if (!pa || !pb) return true;
  return (pa[i]! & needA) === needA && (pb[j]! & needB) === needB;
}

/**
 * The per-candidate-pair scoring, for any caller (the linker, incremental
 * linking): the comparison vectors of pairs (a[x] of A, b[x] of B) and their
 * match weights (log2 posterior odds, prior included; `group` picks the
 * model's per-group prior) and match probabilities.
 */
export function scoreCandidates(
  model: FittedModel,
  plan: ComparisonPlan,
  A: PartyData,
  B: PartyData,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  group?: number,
): { vectors: ComparisonVectors; weight: Float64Array; probability: Float64Array } {
  const vectors = compareCandidates(plan, A, B, a, b);
  const v: ComparisonVectors = group === undefined ? vectors : { ...vectors, group: new Uint16Array(vectors.count).fill(group), groupCount: (model.lambdas ?? [0]).length };
  const weight = matchWeights(model, v);
  const probability = Float64Array.from(weight, probabilityOfWeight);
  return { vectors, weight, probability };
}
