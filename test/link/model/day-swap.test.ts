import { describe, expect, it } from 'vitest';
import { compareCandidates, comparisonPlan, JOINT_LABELS, swapDatesOnly } from '../../../src/link/model/compare.js';
import { NULL_LEVEL } from '../../../src/link/model/index.js';
import type { PartyData } from '../../../src/link/types.js';
import type { LinkageSchema } from '../../../src/schema/types.js';
import { splitmix32Stream } from '../../../src/util/prng.js';
import { DEFAULT_SCHEMA, encodedParties, FIRST, LAST, pairParties, type Rec } from './encoded-party.js';

/**
 * A day/month swap made visible (compare.ts, swapDatesOnly): the default
 * schema's `names` filter hashes the birth date with day and month as an
 * unordered pair (`unordered-date`), so a pair whose names filters are identical while the name
 * + date filters only partly agree has its day and month swapped. Such a pair
 * is `name_dob` "both,day/month swapped" with the CLK left out and `place` read as for a
 * partly agreeing date; another date in the same year is not; and a `names`
 * filter with the year alone (older encodings) never triggers it.
 */

const SECRET = 'day/month swap test secret';
const rnd = splitmix32Stream(9051);
const pick = (n: number) => Math.floor((rnd() / 2 ** 32) * n);
const p2 = (x: number) => String(x).padStart(2, '0');

/** A person whose day and month differ and are both at most 12 (so the swapped date is a date). */
function person(): Required<Rec> {
  const month = 1 + pick(12);
  const day = ((month + pick(11)) % 12) + 1;
  return {
    first_name: FIRST[pick(FIRST.length)]!,
    last_name: LAST[pick(LAST.length)]!,
    middle_name: 'ABCDEFG'[pick(7)]!,
    birth_date: `${1960 + pick(50)}-${p2(month)}-${p2(day)}`,
    sex: pick(2) ? 'F' : 'M',
    zip: String(10000 + pick(89000)),
  };
}
const swapped = (d: string) => `${d.slice(0, 4)}-${d.slice(8, 10)}-${d.slice(5, 7)}`;
/** The same year, another day and month (neither the date nor its swap). */
function otherDate(d: string): string {
  const m = Number(d.slice(5, 7));
  const day = Number(d.slice(8, 10));
  for (;;) {
    const m2 = 1 + pick(12);
    const d2 = 1 + pick(28);
    if (!(m2 === m && d2 === day) && !(m2 === day && d2 === m)) return `${d.slice(0, 4)}-${p2(m2)}-${p2(d2)}`;
  }
}

/** The default schema with other date tokens in the `names` filter (the year alone: as encoded before). */
function namesDatesSchema(tokens: string[], bitsPerToken: number): LinkageSchema {
  const s = structuredClone(DEFAULT_SCHEMA);
  const t = (s.p20link!.evidence! as { templates: { name: string; slots: { slot: string; tokens: string[]; bitsPerToken: number }[] }[] }).templates.find((x) => x.name === 'names')!;
  t.slots = t.slots.map((x) => (x.slot === 'date' ? { ...x, tokens, bitsPerToken } : x));
  return s;
}
const yearOnlySchema = () => namesDatesSchema(['year'], 16);

function levelsOf(party: (name: string, recs: Rec[]) => PartyData, pairs: [Rec, Rec][]) {
  const { plan, A, B, idx } = pairParties(party, pairs, person);
  const v = compareCandidates(plan, A, B, idx, idx);
  const K = plan.defs.length;
  const at = (name: string) => plan.defs.findIndex((d) => d.name === name);
  const col = (name: string) => idx.map((x) => v.levels[x * K + at(name)]!);
  return { plan, col };
}

describe('day/month swap (default schema)', () => {
  const N = 60;
  const base = Array.from({ length: N }, person);
  const party = encodedParties(SECRET);
  const pairs: [Rec, Rec][] = [
    ...base.map((p): [Rec, Rec] => [p, { ...p, birth_date: swapped(p.birth_date) }]),
    ...base.map((p): [Rec, Rec] => [p, { ...p, birth_date: otherDate(p.birth_date) }]),
    ...base.map((p): [Rec, Rec] => [p, { ...p, birth_date: swapped(p.birth_date), first_name: p.first_name === 'MARIA' ? 'OLGA' : 'MARIA' }]),
  ];
  const { plan, col } = levelsOf(party, pairs);
  const joint = col('name_dob');
  const top = JOINT_LABELS.indexOf('both,day/month swapped');

  it('the header says which date tokens `names` hashes; the plan detects swaps only with exactly the year and the unordered day and month', () => {
    const names = party('x', [base[0]!]).header.evidence!.find((e) => e.name === 'names')!;
    expect(names.dates).toEqual(['unordered-date']);
    expect(party('x', [base[0]!]).header.evidence!.find((e) => e.name === 'first_dob')!.dates).toEqual(['date-bigrams', 'year', 'month-day', 'day-month-set']);
    expect(swapDatesOnly(['unordered-date'])).toBe(true);
    expect(swapDatesOnly(['year', 'day-month-set'])).toBe(true);
    expect(swapDatesOnly(['year', 'day-month-set', 'unordered-date'])).toBe(true);
    // the year alone, the day and month alone, or any order-sensitive token: no
    for (const d of [[], ['year'], ['day-month-set'], ['year', 'month-day', 'day-month-set'], ['date-bigrams', 'unordered-date']] as const) expect(swapDatesOnly(d)).toBe(false);
    expect(plan.daySwap).toBeDefined();
    const old = encodedParties(SECRET, yearOnlySchema())('x', [base[0]!]);
    expect(old.header.evidence!.find((e) => e.name === 'names')!.dates).toEqual(['year']);
    expect(comparisonPlan(old).daySwap).toBeUndefined();
  });

  it('names identical with day and month swapped: name_dob "both,day/month swapped", CLK left out, place read as a partly agreeing date', () => {
    for (let x = 0; x < N; x++) {
      expect(joint[x]).toBe(top);
      expect(col('clk')[x]).toBe(NULL_LEVEL);
      expect(col('place')[x]).toBe(NULL_LEVEL);
      expect(col('place_partdate')[x]).not.toBe(NULL_LEVEL);
    }
  });

  it('another date in the same year, or a swap with another first name, is never the swap level and keeps its CLK', () => {
    for (let x = N; x < 3 * N; x++) {
      expect(joint[x]).not.toBe(top);
      expect(col('clk')[x]).not.toBe(NULL_LEVEL);
    }
  });

  it('the year and the unordered day and month as two tokens work the same way', () => {
    const { plan: p2, col: c2 } = levelsOf(encodedParties(SECRET, namesDatesSchema(['year', 'day-month-set'], 8)), pairs);
    expect(p2.daySwap).toBeDefined();
    const j = c2('name_dob');
    for (let x = 0; x < N; x++) expect(j[x]).toBe(top);
    for (let x = N; x < 3 * N; x++) expect(j[x]).not.toBe(top);
  });

  it('with a names filter of the year alone (older encodings) a swap stays a partly agreeing date', () => {
    const { plan: oldPlan, col: oldCol } = levelsOf(encodedParties(SECRET, yearOnlySchema()), pairs.slice(0, N));
    expect(oldPlan.daySwap).toBeUndefined();
    const j = oldCol('name_dob');
    for (let x = 0; x < N; x++) expect(j[x]).not.toBe(top);
  });

  it('a birth date missing on one side is not a swap: names in its top band as often as with the year alone, CLK null', () => {
    const missing = base.map((p): [Rec, Rec] => [p, { ...p, birth_date: undefined }]);
    const { col: c } = levelsOf(party, missing);
    const old = levelsOf(encodedParties(SECRET, yearOnlySchema()), missing).col('names');
    const topShare = (ls: number[]) => ls.filter((l) => l === 0).length / ls.length;
    expect(topShare(c('names'))).toBeGreaterThanOrEqual(0.95);
    expect(topShare(c('names'))).toBeGreaterThanOrEqual(topShare(old));
    for (const l of c('clk')) expect(l).toBe(NULL_LEVEL);
    for (const l of c('name_dob')) expect(l).toBe(NULL_LEVEL);
  });
});
