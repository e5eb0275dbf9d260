/**
 * How each agency's system records a synthetic person (population.ts): its own
 * layout, record ids, date format and habits, with the kinds of trouble real
 * extracts have. Pure functions of (seed, person): the same inputs give the
 * same rows, so the generator can stream any number of people.
 *
 *   k12      K-12 enrollment: names as the family registered them (diacritics
 *            kept), full middle name, dob MM/DD/YYYY, rare typos.
 *   college  community college: names the student typed (nicknames, middle
 *            initial or none, hyphenated compound surnames, diacritics kept
 *            or lost), dob YYYY-MM-DD, some day/month swaps, later ZIP.
 *   wages    UI wage records: employer payroll names, UPPER CASE ASCII (no
 *            diacritics or apostrophes), first surname only, married names,
 *            given/family order swapped now and then, dob YYYYMMDD with more
 *            swaps and typos, current ZIP, quarterly wages and NAICS.
 */
import { NAMES, NICKNAMES } from './names.js';
import type { Group } from './names.js';
import { Rng, affinePermutation, mixSeed } from './prng.js';
import { WAGE_YEAR, type Person, type Realism } from './population.js';

export const PARTIES = ['k12', 'college', 'wages'] as const;
export type Party = (typeof PARTIES)[number];

export const K12_HEADER = [
  'student_id', 'last_name', 'first_name', 'middle_name', 'birth_date', 'gender', 'race_ethnicity', 'district', 'school',
  'last_grade', 'cohort_year', 'diploma', 'frl', 'ell', 'sped', 'zip',
] as const;
export const COLLEGE_HEADER = [
  'cc_person_id', 'given_name', 'middle', 'family_name', 'date_of_birth', 'sex_code', 'ethnicity', 'campus', 'program',
  'entry_term', 'credits_earned', 'credential', 'home_zip',
] as const;
export const WAGES_HEADER = [
  'WRK_ID', 'LAST_NAME', 'FIRST_NAME', 'MI', 'DOB', 'GENDER', 'ZIP5', 'YEAR', 'Q1_WAGES', 'Q2_WAGES', 'Q3_WAGES',
  'Q4_WAGES', 'NAICS2',
] as const;

export const HEADERS: Record<Party, readonly string[]> = { k12: K12_HEADER, college: COLLEGE_HEADER, wages: WAGES_HEADER };
/** The record-id column of each party's extract. */
export const ID_COLUMN: Record<Party, string> = { k12: 'student_id', college: 'cc_person_id', wages: 'WRK_ID' };

/** Which kinds of trouble a record carries (counted by the generator, checked by tests). */
export type Trouble =
  | 'typo' | 'nickname' | 'middle_missing' | 'middle_initial' | 'married_name' | 'compound_hyphenated'
  | 'compound_first_only' | 'diacritics_dropped' | 'day_month_swap' | 'dob_typo' | 'zip_moved' | 'name_order_swapped'
  | 'particle_squeezed'
  // `full` realism only
  | 'dob_missing' | 'duplicate_record' | 'adopted_name'
  // `extraErrors` only (EXTRA_ERRORS)
  | 'mi_differs' | 'sex_miscoded' | 'dob_wrong' | 'zip_typo' | 'name_truncated';

export interface AgencyRow {
  party: Party;
  id: string;
  fields: string[];
  trouble: Trouble[];
}

const K12_RACE: Record<Group, string> = {
  Hispanic: 'HI', White: 'WH', Black: 'BL', Asian: 'AS', 'American Indian': 'AI', 'Pacific Islander': 'PI', 'Two or more': 'MR',
};
const COLLEGE_RACE: Record<Group, string> = {
  Hispanic: 'Hispanic/Latino', White: 'White', Black: 'Black/African American', Asian: 'Asian',
  'American Indian': 'American Indian/Alaska Native', 'Pacific Islander': 'Native Hawaiian/Pacific Islander',
  'Two or more': 'Two or More Races',
};

/** Record-id generators: a keyed bijection per party so ids are unique, scrambled and unrelated across files. */
export interface IdMaker {
  k12(index: number): string;
  college(index: number): string;
  wages(index: number): string;
  /**
   * Id of a second record of a person in one party's file (`full` realism):
   * the party's id of index people, people + 1, ... in the order asked
   * (distinct from every person's own id, since those use indexes below people).
   */
  duplicate(party: Party): string;
}

/** `people`: size of the population (needed only for duplicate-record ids; default the generator's maximum). */
export function idMaker(seed: number, people = 50_000_000): IdMaker {
  const k = affinePermutation(900_000_000, mixSeed(seed, 0x4b12));
  const c = affinePermutation(90_000_000, mixSeed(seed, 0xcc));
  const w = affinePermutation(2_000_000_000, mixSeed(seed, 0x3a6e5));
  const next: Record<Party, number> = { k12: people, college: people, wages: people };
  const m: IdMaker = {
    k12: (i) => String(100_000_000 + k(i)),
    college: (i) => `C${String(10_000_000 + c(i))}`,
    wages: (i) => `W${String(w(i)).padStart(10, '0')}`,
    duplicate: (party) => m[party](next[party]++),
  };
  return m;
}

/** `full` realism: share of records whose birth date is missing, per party. */
export const DOB_MISSING: Record<Party, number> = { k12: 0.005, college: 0.02, wages: 0.03 };
/** `full` realism: share of a party's people who appear twice in its file (a second record, own id, own trouble). */
export const DUPLICATE_SHARE: Record<Party, number> = { k12: 0.008, college: 0.02, wages: 0.015 };
/** `full` realism: of people with an adopted English name, share of records that use it. */
export const ADOPTED_NAME_USE: Record<Party, number> = { k12: 0, college: 0.6, wages: 0.75 };
/** `full` realism: college given/family order swaps, as a share of the group's wage-record risk. */
export const COLLEGE_ORDER_SWAP = 0.6;

/**
 * `extraErrors` (on top of `full` realism): recording errors no choice of the
 * match model was made on, each a share of the records that can have it — a
 * middle name or initial recorded as another one (`mi_differs`, records
 * with one), sex coded the other way (`sex_miscoded`), an unrelated birth
 * date (`dob_wrong`: another day and month, the year within two, records
 * with a date), one digit of the ZIP mistyped (`zip_typo`). Wage records
 * also cut names to the payroll's fixed widths (`name_truncated`,
 * WAGE_NAME_WIDTH), every record whose name is longer.
 */
export const EXTRA_ERRORS = { mi_differs: 0.02, sex_miscoded: 0.005, dob_wrong: 0.004, zip_typo: 0.01 } as const;
/** `extraErrors`: the wage records' fixed-width name fields (characters). */
export const WAGE_NAME_WIDTH = { first: 12, last: 15 } as const;

/** How each party writes a birth date. */
const DATE_TEXT: Record<Party, (d: Ymd) => string> = {
  k12: (d) => `${pad2(d.m)}/${pad2(d.d)}/${d.y}`,
  college: (d) => `${d.y}-${pad2(d.m)}-${pad2(d.d)}`,
  wages: (d) => `${d.y}${pad2(d.m)}${pad2(d.d)}`,
};

/** The columns of each party's row that `extraErrors` touches (names of HEADERS). */
const ERROR_COLUMNS: Record<Party, Record<'first' | 'last' | 'middle' | 'dob' | 'sex' | 'zip', string>> = {
  k12: { first: 'first_name', last: 'last_name', middle: 'middle_name', dob: 'birth_date', sex: 'gender', zip: 'zip' },
  college: { first: 'given_name', last: 'family_name', middle: 'middle', dob: 'date_of_birth', sex: 'sex_code', zip: 'home_zip' },
  wages: { first: 'FIRST_NAME', last: 'LAST_NAME', middle: 'MI', dob: 'DOB', sex: 'GENDER', zip: 'ZIP5' },
};

/** Middle names a record may hold instead of the person's (`mi_differs` on a full middle name). */
const OTHER_MIDDLE_NAMES = ['Ann', 'Lee', 'Marie', 'James', 'Lynn', 'Michael', 'Rose', 'Grace', 'Jay', 'Nicole', 'David', 'Elena'];

/** Add the `extraErrors` to one row (its own random stream: the rest of the row is the `full` one). */
export function addExtraErrors(seed: number, p: Person, row: AgencyRow, variant = 0): AgencyRow {
  const rng = new Rng(mixSeed(seed, p.index, PARTY_SALT[row.party], 0xe4404, variant));
  const c = ERROR_COLUMNS[row.party];
  const at = (name: string): number => HEADERS[row.party].indexOf(name);
  const f = { first: at(c.first), last: at(c.last), middle: at(c.middle), dob: at(c.dob), sex: at(c.sex), zip: at(c.zip) };
  const v = row.fields;
  const mi = v[f.middle]!;
  if (mi !== '' && rng.chance(EXTRA_ERRORS.mi_differs)) {
    const initial = [...mi][0]!.toUpperCase();
    if ([...mi].length === 1) {
      const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((c) => c !== initial);
      v[f.middle] = rng.pick(letters);
    } else {
      const other = rng.pick(OTHER_MIDDLE_NAMES.filter((n) => n[0] !== initial));
      v[f.middle] = row.party === 'wages' ? other.toUpperCase() : other;
    }
    row.trouble.push('mi_differs');
  }
  if ((v[f.sex] === 'M' || v[f.sex] === 'F') && rng.chance(EXTRA_ERRORS.sex_miscoded)) {
    v[f.sex] = v[f.sex] === 'M' ? 'F' : 'M';
    row.trouble.push('sex_miscoded');
  }
  if (v[f.dob] !== '' && rng.chance(EXTRA_ERRORS.dob_wrong)) {
    const m = rng.int(1, 12);
    let d = rng.int(1, 28);
    if (m === p.birth.m && d === p.birth.d) d = (d % 28) + 1;
    v[f.dob] = DATE_TEXT[row.party]({ y: p.birth.y + rng.int(-2, 2), m, d });
    row.trouble.push('dob_wrong');
  }
  if (/^\d{5}$/.test(v[f.zip]!) && rng.chance(EXTRA_ERRORS.zip_typo)) {
    const z = [...v[f.zip]!];
    const i = rng.int(0, 4);
    z[i] = rng.pick([...'0123456789'].filter((x) => x !== z[i]));
    v[f.zip] = z.join('');
    row.trouble.push('zip_typo');
  }
  if (row.party === 'wages' && (v[f.first]!.length > WAGE_NAME_WIDTH.first || v[f.last]!.length > WAGE_NAME_WIDTH.last)) {
    v[f.first] = v[f.first]!.slice(0, WAGE_NAME_WIDTH.first).trimEnd();
    v[f.last] = v[f.last]!.slice(0, WAGE_NAME_WIDTH.last).trimEnd();
    row.trouble.push('name_truncated');
  }
  return row;
}

/**
 * How one record is drawn: `variant` 0 is the person's record; 1 a second
 * record of the same person in the same file (other draws); `realism`
 * `full` adds the extra trouble from substreams of its own.
 */
export interface RowOptions {
  realism?: Realism;
  variant?: number;
  /** Record id (default: the party's id of the person's index). */
  id?: string;
  /**
   * Multiplier of the recording errors' rates (`full` realism; default 1):
   * typos, nicknames, a middle name left out, day/month swaps and date typos,
   * a birth date missing, name-order swaps, a person twice in a file. Life
   * events (marriage, a move, an adopted name) and each system's habits
   * (hyphens, accents, initials) keep their rates. Rates are capped at 1; at
   * 1 the rows are the `full` ones, draw for draw.
   */
  troubleScale?: number;
}

/** A recording error's rate under the row's `troubleScale`. */
function rate(o: RowOptions, p: number): number {
  return Math.min(1, p * (o.troubleScale ?? 1));
}

/** The record's main random stream (unchanged for variant 0) and the stream for `full` trouble. */
function streams(seed: number, p: Person, salt: number, o: RowOptions): { rng: Rng; extra: Rng | undefined } {
  const v = o.variant ?? 0;
  const rng = new Rng(v === 0 ? mixSeed(seed, p.index, salt) : mixSeed(seed, p.index, salt, v));
  const extra = o.realism === 'full' ? new Rng(mixSeed(seed, p.index, salt, 0xf0117, v)) : undefined;
  return { rng, extra };
}

export function foldDiacritics(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').replace(/[\u02bb\u2018\u2019]/g, "'").normalize('NFC');
}

const KEYBOARD_NEIGHBOURS: Record<string, string> = {
  a: 'sqz', b: 'vn', c: 'xv', d: 'sf', e: 'wr', f: 'dg', g: 'fh', h: 'gj', i: 'uo', j: 'hk', k: 'jl', l: 'k', m: 'n',
  n: 'bm', o: 'ip', p: 'o', q: 'w', r: 'et', s: 'ad', t: 'ry', u: 'yi', v: 'cb', w: 'qe', x: 'zc', y: 'tu', z: 'x',
};

/** One keying error: substitution by a neighbouring key, a dropped letter, two letters swapped, or a doubled letter. */
export function typo(rng: Rng, s: string): string {
  const chars = [...s];
  if (chars.length < 3) return s;
  const i = rng.int(1, chars.length - 2);
  const c = chars[i]!;
  switch (rng.int(0, 3)) {
    case 0: {
      const lower = c.toLowerCase();
      const n = KEYBOARD_NEIGHBOURS[lower];
      if (!n) return s;
      const r = rng.pick([...n]);
      chars[i] = c === lower ? r : r.toUpperCase();
      break;
    }
    case 1:
      chars.splice(i, 1);
      break;
    case 2:
      [chars[i], chars[i + 1]] = [chars[i + 1]!, c];
      break;
    default:
      chars.splice(i, 0, c);
  }
  const out = chars.join('');
  return out === s ? s : out;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

interface Ymd {
  y: number;
  m: number;
  d: number;
}

/** Maybe swap day and month (only possible when the day is a valid month), or mistype a digit of the day. */
export function recordedDob(rng: Rng, p: Person, swapP: number, typoP: number, trouble: Trouble[]): Ymd {
  const b = { ...p.birth };
  if (b.d <= 12 && b.d !== b.m && rng.chance(swapP)) {
    trouble.push('day_month_swap');
    return { y: b.y, m: b.d, d: b.m };
  }
  if (rng.chance(typoP)) {
    trouble.push('dob_typo');
    // a neighbouring day (stays a valid date), or the year off by one
    if (rng.chance(0.6)) b.d = b.d >= 28 ? b.d - 1 : b.d + 1;
    else {
      b.y += rng.chance(0.5) ? 1 : -1;
      if (b.m === 2 && b.d === 29) b.d = 28; // 29 February of a leap year, moved to a common year
    }
  }
  return b;
}

function nicknameOf(rng: Rng, first: string): string | undefined {
  const n = NICKNAMES[first];
  return n && n.length > 0 ? rng.pick(n) : undefined;
}

function titleCase(s: string): string {
  return s.replace(/(^|[\s-])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());
}

/** Surname after marriage, written the person's way. */
function surnameWithMarriage(p: Person, birthSurname: string): string {
  if (p.marriedSurname === undefined) return birthSurname;
  switch (p.marriedStyle) {
    case 'hyphen':
      return `${p.surnameParts[0]}-${p.marriedSurname}`;
    case 'both':
      return `${p.surnameParts[0]} ${p.marriedSurname}`;
    default:
      return p.marriedSurname;
  }
}

function ageIn(p: Person, year: number): number {
  return year - p.birth.y;
}

export function k12Row(seed: number, p: Person, ids: IdMaker, o: RowOptions = {}): AgencyRow {
  const { rng, extra } = streams(seed, p, 0x12, o);
  const trouble: Trouble[] = [];
  let first = p.first;
  let last = p.surnameParts.join(' ');
  let middle = p.middle;
  if (middle !== '' && rng.chance(rate(o, 0.04))) {
    middle = '';
    trouble.push('middle_missing');
  }
  if (rng.chance(rate(o, 0.012))) {
    if (rng.chance(0.5)) first = typo(rng, first);
    else last = typo(rng, last);
    trouble.push('typo');
  }
  const dob = recordedDob(rng, p, rate(o, 0.003), rate(o, 0.004), trouble);
  const dobText = dobMissing(extra, 'k12', trouble, o) ? '' : DATE_TEXT.k12(dob);
  const fields = [
    o.id ?? ids.k12(p.index), last, first, middle, dobText, p.sex, K12_RACE[p.group],
    p.district.name, p.school, String(p.lastGrade), String(p.gradYear), p.diploma ? 'Y' : 'N', p.frl ? 'Y' : 'N',
    p.ell ? 'Y' : 'N', p.sped ? 'Y' : 'N', p.zip,
  ];
  return { party: 'k12', id: fields[0]!, fields, trouble };
}

export function collegeRow(seed: number, p: Person, ids: IdMaker, o: RowOptions = {}): AgencyRow {
  const { rng, extra } = streams(seed, p, 0xc011e6e, o);
  const trouble: Trouble[] = [];
  let first = p.first;
  const nick = nicknameOf(rng, first);
  if (nick && rng.chance(rate(o, 0.12))) {
    first = nick;
    trouble.push('nickname');
  }
  first = adoptedName(extra, p, 'college', first, trouble);
  let middle = p.middle;
  if (middle !== '') {
    const r = rng.next();
    if (r < rate(o, 0.3)) {
      middle = '';
      trouble.push('middle_missing');
    } else if (r < rate(o, 0.3) + 0.25) {
      middle = [...middle][0]!;
      trouble.push('middle_initial');
    }
  }
  let last = p.surnameParts.join(' ');
  if (p.surnameParts.length > 1) {
    const r = rng.next();
    if (r < 0.45) {
      last = p.surnameParts.join('-');
      trouble.push('compound_hyphenated');
    } else if (r < 0.65) {
      last = p.surnameParts[0]!;
      trouble.push('compound_first_only');
    }
  }
  const entryYear = Number(p.entryTerm.slice(0, 4));
  if (p.marriedSurname !== undefined && ageIn(p, entryYear) >= 22 && rng.chance(0.5)) {
    last = surnameWithMarriage(p, last);
    trouble.push('married_name');
  }
  if (/^(de|del|van|von|dela) /i.test(last) && rng.chance(0.5)) last = titleCase(last);
  // the admissions system of one campus drops accents
  if (p.campus === 'Mesa Technical College' || rng.chance(0.25)) {
    const f = foldDiacritics(first);
    const l = foldDiacritics(last);
    const m = foldDiacritics(middle);
    if (f !== first || l !== last || m !== middle) trouble.push('diacritics_dropped');
    first = f;
    last = l;
    middle = m;
  }
  if (rng.chance(rate(o, 0.03))) {
    if (rng.chance(0.5)) first = typo(rng, first);
    else last = typo(rng, last);
    trouble.push('typo');
  }
  // students typing their name into a form that asks "family name" first (full realism)
  if (extra) {
    const risk = p.group === 'Two or more' ? 0.005 : NAMES[p.group].nameOrderRisk;
    if (extra.chance(rate(o, risk * COLLEGE_ORDER_SWAP))) {
      [first, last] = [last, first];
      trouble.push('name_order_swapped');
    }
  }
  const dob = recordedDob(rng, p, rate(o, 0.015), rate(o, 0.006), trouble);
  const dobText = dobMissing(extra, 'college', trouble, o) ? '' : DATE_TEXT.college(dob);
  let zip = p.zip;
  if (p.laterZip !== p.zip && rng.chance(0.5)) {
    zip = p.laterZip;
    trouble.push('zip_moved');
  }
  const credential = { NONE: '', CERT: 'Certificate', AAS: 'AAS', AA: 'AA' }[p.award];
  const fields = [
    o.id ?? ids.college(p.index), first, middle, last, dobText, p.sex, COLLEGE_RACE[p.group],
    p.campus, p.program, p.entryTerm, String(p.credits), credential, zip,
  ];
  return { party: 'college', id: fields[0]!, fields, trouble };
}

export function wagesRow(seed: number, p: Person, ids: IdMaker, o: RowOptions = {}): AgencyRow {
  const { rng, extra } = streams(seed, p, 0x3a6e5, o);
  const trouble: Trouble[] = [];
  let first = p.first;
  const nick = nicknameOf(rng, first);
  if (nick && rng.chance(rate(o, 0.15))) {
    first = nick;
    trouble.push('nickname');
  }
  first = adoptedName(extra, p, 'wages', first, trouble);
  let last = p.surnameParts.join(' ');
  if (p.surnameParts.length > 1) {
    // payroll systems keep the first surname far more often than both
    if (rng.chance(0.55)) {
      last = p.surnameParts[0]!;
      trouble.push('compound_first_only');
    } else if (rng.chance(0.3)) {
      last = p.surnameParts.join('-');
      trouble.push('compound_hyphenated');
    }
  }
  if (p.marriedSurname !== undefined && ageIn(p, WAGE_YEAR) >= 21 && rng.chance(0.8)) {
    last = surnameWithMarriage(p, last);
    trouble.push('married_name');
  }
  let middle = p.middle === '' ? '' : [...p.middle][0]!;
  if (middle === '') {
    if (p.middle !== '') trouble.push('middle_missing');
  } else if (rng.chance(rate(o, 0.35))) {
    middle = '';
    trouble.push('middle_missing');
  } else trouble.push('middle_initial');
  if (foldDiacritics(first + last + middle) !== first + last + middle) trouble.push('diacritics_dropped');
  const ascii = (s: string) => foldDiacritics(s).toUpperCase();
  first = ascii(first);
  middle = ascii(middle);
  last = ascii(last);
  // apostrophes vanish; particle names are squeezed together half the time
  last = last.replace(/'/g, '');
  first = first.replace(/'/g, '');
  if (/^(DE LA|DE LOS|DEL|DE|DELA|VAN DER|VAN|ST\.) /.test(last) && rng.chance(0.5)) {
    last = last.replace(/[ .]/g, '');
    trouble.push('particle_squeezed');
  }
  if (rng.chance(rate(o, 0.035))) {
    if (rng.chance(0.5)) first = typo(rng, first);
    else last = typo(rng, last);
    trouble.push('typo');
  }
  // payroll systems fed from forms that put the family name first (more common for East Asian names)
  const orderRisk = p.group === 'Two or more' ? 0.005 : NAMES[p.group].nameOrderRisk;
  if (rng.chance(rate(o, orderRisk))) {
    [first, last] = [last, first];
    trouble.push('name_order_swapped');
  }
  const dob = recordedDob(rng, p, rate(o, 0.02), rate(o, 0.01), trouble);
  const dobText = dobMissing(extra, 'wages', trouble, o) ? '' : DATE_TEXT.wages(dob);
  const zip = p.laterZip;
  if (zip !== p.zip) trouble.push('zip_moved');
  const q = quarterWages(rng, p);
  const fields = [
    o.id ?? ids.wages(p.index), last, first, middle, dobText, p.sex, zip, String(WAGE_YEAR),
    ...q.map(String), p.naics,
  ];
  return { party: 'wages', id: fields[0]!, fields, trouble };
}

/** Split the person's annual wages over the quarters they worked (the last `quarters` quarters). */
function quarterWages(rng: Rng, p: Person): number[] {
  const out = [0, 0, 0, 0];
  const start = 4 - p.quarters;
  let left = p.wages;
  for (let q = start; q < 4; q++) {
    const share = q === 3 ? left : Math.round((p.wages / p.quarters) * (0.85 + 0.3 * rng.next()));
    const v = Math.max(0, Math.min(left, share));
    out[q] = v;
    left -= v;
  }
  return out;
}

/** `full` realism: the birth date left out of this record? */
function dobMissing(extra: Rng | undefined, party: Party, trouble: Trouble[], o: RowOptions): boolean {
  if (!extra?.chance(rate(o, DOB_MISSING[party]))) return false;
  trouble.push('dob_missing');
  return true;
}

/** `full` realism: the adopted English given name, when the person has one and this record uses it. */
function adoptedName(extra: Rng | undefined, p: Person, party: Party, first: string, trouble: Trouble[]): string {
  if (!extra || p.englishName === undefined || !extra.chance(ADOPTED_NAME_USE[party])) return first;
  trouble.push('adopted_name');
  return p.englishName;
}

const ROW: Record<Party, (seed: number, p: Person, ids: IdMaker, o?: RowOptions) => AgencyRow> = { k12: k12Row, college: collegeRow, wages: wagesRow };
const PARTY_SALT: Record<Party, number> = { k12: 0xd0b12, college: 0xd0bcc, wages: 0xd0b3a };

/**
 * Every record of a person across the three agencies (only where the person
 * is present). With `full` realism a person may also have a second record in
 * a party's file (DUPLICATE_SHARE), with an id of its own and its own trouble;
 * `extraErrors` adds the EXTRA_ERRORS to every row and `troubleScale`
 * multiplies the recording errors' rates (RowOptions; `full` realism only).
 */
export function rowsFor(
  seed: number,
  p: Person,
  ids: IdMaker,
  realism: Realism = 'basic',
  more: { extraErrors?: boolean; troubleScale?: number } = {},
): AgencyRow[] {
  const rows: AgencyRow[] = [];
  const scale = realism === 'full' && more.troubleScale !== undefined ? { troubleScale: more.troubleScale } : {};
  const o: RowOptions = realism === 'full' ? { realism, ...scale } : {};
  const errors = (row: AgencyRow, variant: number): AgencyRow => (more.extraErrors === true ? addExtraErrors(seed, p, row, variant) : row);
  for (const party of PARTIES) {
    if (!p.presence[party]) continue;
    rows.push(errors(ROW[party](seed, p, ids, o), 0));
    if (realism === 'full' && new Rng(mixSeed(seed, p.index, PARTY_SALT[party])).chance(rate(o, DUPLICATE_SHARE[party]))) {
      const dup = ROW[party](seed, p, ids, { ...o, variant: 1, id: ids.duplicate(party) });
      dup.trouble.push('duplicate_record');
      rows.push(errors(dup, 1));
    }
  }
  return rows;
}
