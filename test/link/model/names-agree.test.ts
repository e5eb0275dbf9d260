import { describe, expect, it } from 'vitest';
import { compareCandidates, JOINT_LABELS, type ComparisonPlan } from '../../../src/link/model/compare.js';
import type { PartyData } from '../../../src/link/types.js';
import { splitmix32Stream } from '../../../src/util/prng.js';
import { encodedParties, FIRST, LAST, pairParties, type Rec } from './encoded-party.js';

/**
 * Names read past a partly agreeing date (compare.ts, JOINT_NAMES_AGREE). A
 * typo in the birth date moves both name + date filters; a short name's
 * filter is mostly its date, so it can fall low while the longer name's stays
 * halfway: "one<=4th,other low", the level of a stranger who shares one name
 * and has a nearby date. The `names` filter (both names, order-free) tells
 * them apart: with it agreeing the pair is "names agree,date partly".
 */

const SECRET = 'names agree test secret';
const rnd = splitmix32Stream(4417);
const pick = (n: number) => Math.floor((rnd() / 2 ** 32) * n);
const p2 = (x: number) => String(x).padStart(2, '0');
const SHORT_FIRST = ['MEI', 'LI', 'AN', 'BO', 'JO'];
const SHORT_LAST = ['LEE', 'NG', 'WU', 'LI', 'HO'];

function person(): Required<Rec> {
  const short = pick(2) === 0;
  return {
    first_name: short ? SHORT_FIRST[pick(SHORT_FIRST.length)]! : FIRST[pick(FIRST.length)]!,
    last_name: short ? LAST[pick(LAST.length)]! : SHORT_LAST[pick(SHORT_LAST.length)]!,
    middle_name: 'ABCDEFG'[pick(7)]!,
    birth_date: `${1960 + pick(50)}-${p2(1 + pick(12))}-${p2(1 + pick(28))}`,
    sex: pick(2) ? 'F' : 'M',
    zip: String(10000 + pick(89000)),
  };
}
/** One digit of the day, the month or the year's last two written otherwise (a date still). */
function typo(d: string): string {
  const y = Number(d.slice(0, 4));
  const m = Number(d.slice(5, 7));
  const day = Number(d.slice(8, 10));
  switch (pick(3)) {
    case 0:
      return `${y + (pick(2) ? 10 : -10)}-${p2(m)}-${p2(day)}`;
    case 1:
      return `${y}-${p2(m === 1 ? 11 : m === 11 ? 1 : m <= 9 ? (m % 9) + 1 : 12 - (m - 10))}-${p2(day)}`;
    default:
      return `${y}-${p2(m)}-${p2(day >= 20 ? day - 10 : day + 10)}`;
  }
}

function levels(party: (name: string, recs: Rec[]) => PartyData, pairs: [Rec, Rec][]) {
  const { plan, A, B, idx } = pairParties(party, pairs, person);
  const K = plan.defs.length;
  const vectors = (pl: ComparisonPlan) => {
    const v = compareCandidates(pl, A, B, idx, idx);
    return idx.map((x) => Array.from(v.levels.subarray(x * K, (x + 1) * K)));
  };
  return { plan, on: vectors(plan), off: vectors({ ...plan, namesAgree: undefined }), kJoint: plan.defs.findIndex((d) => d.name === 'name_dob') };
}

describe('names agree, date partly (default schema)', () => {
  const N = 400;
  const base = Array.from({ length: N }, person);
  const party = encodedParties(SECRET);
  const other = (name: string, pool: readonly string[]) => pool.find((x) => x !== name && x.length >= 3)!;
  const pairs: [Rec, Rec][] = [
    // the same person, a typo in the birth date
    ...base.map((p): [Rec, Rec] => [p, { ...p, birth_date: typo(p.birth_date) }]),
    // strangers: one name the same, the other not, a nearby date
    ...base.map((p): [Rec, Rec] => [p, { ...p, first_name: other(p.first_name, [...FIRST, ...SHORT_FIRST]), birth_date: typo(p.birth_date) }]),
    ...base.map((p): [Rec, Rec] => [p, { ...p, last_name: other(p.last_name, [...LAST, ...SHORT_LAST]), birth_date: typo(p.birth_date) }]),
  ];
  const { plan, on, off, kJoint } = levels(party, pairs);
  const half = JOINT_LABELS.indexOf('one<=4th,other low');
  const agree = JOINT_LABELS.indexOf('names agree,date partly');

  it('the plan reads the level from the `names` filter', () => {
    expect(plan.namesAgree).toBeDefined();
    expect(plan.parts[plan.namesAgree!.k]!.source).toBe(party('x', [base[0]!]).header.evidence!.findIndex((e) => e.name === 'names'));
  });

  it('a date typo with both names the same: every such pair at "one<=4th,other low" moves to "names agree,date partly"', () => {
    const moved = base.map((_, x) => x).filter((x) => off[x]![kJoint] === half);
    // the case is common with a short name: without it this test would say nothing
    expect(moved.length).toBeGreaterThanOrEqual(20);
    for (const x of moved) expect(on[x]![kJoint]).toBe(agree);
  });

  it('a stranger with one name the same and a nearby date stays at "one<=4th,other low"', () => {
    const strangers = pairs.map((_, x) => x).filter((x) => x >= N);
    expect(strangers.filter((x) => off[x]![kJoint] === half).length).toBeGreaterThanOrEqual(50);
    for (const x of strangers) expect(on[x]![kJoint]).not.toBe(agree);
  });

  it('nothing else changes: only "one<=4th,other low" moves, and no other comparison', () => {
    for (let x = 0; x < pairs.length; x++) {
      for (let k = 0; k < on[x]!.length; k++) {
        if (k === kJoint && on[x]![k] !== off[x]![k]) {
          expect(off[x]![k]).toBe(half);
          expect(on[x]![k]).toBe(agree);
        } else expect(on[x]![k]).toBe(off[x]![k]);
      }
    }
  });
});
