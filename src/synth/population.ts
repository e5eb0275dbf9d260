/**
 * The synthetic population: one deterministic person per (seed, index),
 * with the "true" identity (proper spelling of the name, real birth date),
 * demographics, where they appear (K-12, community college, UI wages) and
 * their outcomes. How each agency's records of that person come out — with
 * that agency's typos, formats and habits — is decided in agencies.ts.
 */
import { GROUP_WEIGHTS, HEAD_SHARE, LongTailTable, MIDDLE_EXTRA, MixedTable, NAMES, TAIL_SIZE, type Group, type NameModel, type NameTable, type Sex } from './names.js';
import { Rng, Weighted, mixSeed } from './prng.js';

export interface District {
  name: string;
  schools: readonly string[];
  zips: readonly string[];
  /** Relative share of the state's students. */
  weight: number;
  /** Multipliers on the statewide race/ethnicity shares (local composition). */
  groupTilt: Partial<Record<Group, number>>;
}

/** A fictional state's school districts (names and ZIPs invented). */
export const DISTRICTS: readonly District[] = [
  { name: 'Harbor City Public Schools', schools: ['Harbor City Central HS', 'Harbor City West HS', 'Lincoln Academy'], zips: ['97501', '97502', '97503', '97504', '97505'], weight: 24, groupTilt: { Black: 2.2, Hispanic: 1.3, White: 0.6, Asian: 1.5 } },
  { name: 'Riverside Unified', schools: ['Riverside HS', 'Eastgate HS'], zips: ['97101', '97102', '97103'], weight: 16, groupTilt: { Hispanic: 1.6, White: 0.8 } },
  { name: 'Mesa Verde Unified', schools: ['Mesa Verde HS', 'Canyon Ridge HS'], zips: ['97301', '97302', '97304'], weight: 14, groupTilt: { Hispanic: 1.8, White: 0.7 } },
  { name: 'Cedar Valley SD', schools: ['Cedar Valley HS'], zips: ['97210', '97211'], weight: 10, groupTilt: { White: 1.4, Hispanic: 0.6 } },
  { name: 'Lakeview Unified', schools: ['Lakeview HS', 'Lakeview Early College HS'], zips: ['97801', '97802'], weight: 12, groupTilt: { Asian: 2.0, White: 1.1 } },
  { name: 'North Fork SD', schools: ['North Fork HS'], zips: ['97410'], weight: 6, groupTilt: { White: 1.5, 'American Indian': 2.0 } },
  { name: 'Pine Ridge SD', schools: ['Pine Ridge HS'], zips: ['97620', '97621'], weight: 5, groupTilt: { 'American Indian': 8, White: 0.9, Hispanic: 0.5 } },
  { name: 'Sunnyside SD', schools: ['Sunnyside HS', 'Sunnyside Alternative HS'], zips: ['97705', '97706'], weight: 8, groupTilt: { Hispanic: 1.4, 'Pacific Islander': 4 } },
  { name: 'Westport SD', schools: ['Westport HS'], zips: ['97910', '97911'], weight: 5, groupTilt: { White: 1.2, 'Pacific Islander': 2.5 } },
];

export const CAMPUSES = ['Westland CC - Harbor', 'Westland CC - Valley', 'Mesa Technical College'] as const;
export const PROGRAMS = [
  'Nursing', 'Welding Technology', 'Business Administration', 'Liberal Arts', 'Computer Science',
  'Early Childhood Education', 'Automotive Technology', 'Medical Assisting', 'Criminal Justice', 'Accounting',
] as const;
/** Employer industry (2-digit NAICS sector) with a typical annual-wage level. */
export const NAICS: readonly (readonly [string, number, number])[] = [
  // code, relative share, typical full-year wages
  ['62', 18, 42000], ['44', 14, 29000], ['72', 14, 22000], ['23', 8, 48000], ['31', 8, 45000], ['54', 6, 61000],
  ['56', 8, 31000], ['61', 6, 36000], ['48', 5, 44000], ['52', 4, 55000], ['92', 4, 47000], ['81', 5, 30000],
];

export type Presence = { k12: boolean; college: boolean; wages: boolean };

export interface BirthDate {
  y: number;
  m: number;
  d: number;
}

/**
 * How much trouble the generator puts in. `basic` is the original generator
 * (its output for a seed is pinned by tests and the bundled sample); `full`
 * adds, from RNG substreams of their own (so every basic draw is unchanged):
 * twins and siblings, adopted English given names, birth dates missing on one
 * side, the same person twice in one agency's file, and given/family order
 * swaps in the college file (docs/example.md lists the rates).
 */
export type Realism = 'basic' | 'full';

/** Family ties of a `full` population: a person may be the twin or younger sibling of the person just before. */
export interface Family {
  kind: 'twin' | 'sibling';
  /** Index of the older sibling (always index - 1). */
  of: number;
}

export interface Person {
  index: number;
  entityId: string;
  group: Group;
  sex: Sex;
  first: string;
  middle: string;
  /** One part, or two parts for a two-surname (compound) family name. */
  surnameParts: string[];
  /** Surname as a particle name (de la Cruz, Van Buren, O'Brien, St. John)? */
  particle: boolean;
  birth: BirthDate;
  district: District;
  school: string;
  zip: string;
  /** ZIP in the later years (college / wages), when the person moved. */
  laterZip: string;
  presence: Presence;
  /** Married surname used in later records (women, some), else undefined. */
  marriedSurname?: string;
  /** How the married name is written: replaced, hyphenated with the birth name, or both words. */
  marriedStyle?: 'replace' | 'hyphen' | 'both';
  /** `full` only: an English given name the person goes by in later records (college, wages). */
  englishName?: string;
  /** `full` only: the person is the twin or younger sibling of person `of`. */
  family?: Family;
  // K-12 outcomes
  gradYear: number;
  diploma: boolean;
  frl: boolean;
  ell: boolean;
  sped: boolean;
  lastGrade: number;
  // college
  campus: string;
  program: string;
  entryTerm: string;
  credits: number;
  award: 'NONE' | 'CERT' | 'AAS' | 'AA';
  // wages
  naics: string;
  quarters: number;
  wages: number;
}

export const WAGE_YEAR = 2024;

const groupTable = new Weighted(GROUP_WEIGHTS);
const districtTable = new Weighted(DISTRICTS.map((d) => [d, d.weight] as const));
const naicsTable = new Weighted(NAICS.map((n) => [n, n[1]] as const));
const firstTables = new Map<string, NameTable>();
const surnameTables = new Map<string, NameTable>();
const allSurnameTables = new Map<NameModel, NameTable>();
type NameSource = keyof typeof NAMES;

function firstTable(g: NameSource, sex: Sex, names: NameModel): NameTable {
  const k = `${names}|${g}|${sex}`;
  let t = firstTables.get(k);
  if (!t) {
    t = names === 'long-tail' ? new LongTailTable(NAMES[g].first[sex], HEAD_SHARE[g].first, TAIL_SIZE.first, `first|${g}|${sex}`) : new Weighted(NAMES[g].first[sex]);
    firstTables.set(k, t);
  }
  return t;
}

function surnameTable(g: NameSource, names: NameModel): NameTable {
  const k = `${names}|${g}`;
  let t = surnameTables.get(k);
  if (!t) {
    t = names === 'long-tail' ? new LongTailTable(NAMES[g].surnames, HEAD_SHARE[g].surname, TAIL_SIZE.surname, `surname|${g}`) : new Weighted(NAMES[g].surnames);
    surnameTables.set(k, t);
  }
  return t;
}

/** Surnames of every group, each group by its share of the population (a spouse's surname from anywhere). */
function allSurnames(names: NameModel): NameTable {
  let t = allSurnameTables.get(names);
  if (!t) {
    const groups = Object.keys(NAMES) as NameSource[];
    const share = (g: NameSource): number => GROUP_WEIGHTS.find((x) => x[0] === g)?.[1] ?? 1;
    t =
      names === 'long-tail'
        ? new MixedTable(groups.map((g) => [surnameTable(g, names), share(g)] as const))
        : new Weighted(
            groups.flatMap((g) => {
              const list = NAMES[g].surnames;
              const total = list.reduce((s, e) => s + e[1], 0);
              return list.map(([n, w]) => [n, (w / total) * share(g)] as const);
            }),
          );
    allSurnameTables.set(names, t);
  }
  return t;
}

const PARTICLE = /^(de |del |dela |van |von |o'|st\. |mac|mc)/i;

export function isParticleName(s: string): boolean {
  return PARTICLE.test(s) || s.includes(' ');
}

function drawGroupForDistrict(rng: Rng, d: District): Group {
  // rejection sampling against the district's tilt keeps the statewide table as the base
  const maxTilt = Math.max(1, ...Object.values(d.groupTilt).map((v) => v ?? 1));
  for (;;) {
    const g = groupTable.draw(rng);
    const tilt = d.groupTilt[g] ?? 1;
    if (rng.next() * maxTilt < tilt) return g;
  }
}

function namesFor(rng: Rng, group: Group): keyof typeof NAMES {
  if (group === 'Two or more') {
    const options: (keyof typeof NAMES)[] = ['White', 'Black', 'Hispanic', 'Asian', 'White', 'Black', 'Pacific Islander', 'American Indian'];
    return rng.pick(options);
  }
  return group;
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/**
 * Build person `index` of the population made with `seed`. Pure: same inputs,
 * same person. `names` (NameModel): the listed names only (default), or a
 * long tail of synthetic names beyond them; the rest of the person is the
 * same either way but for the few whose draws depend on a name (names.ts).
 */
export function makePerson(seed: number, index: number, realism: Realism = 'basic', names: NameModel = 'short'): Person {
  return realism === 'full' ? fullPerson(seed, index, 0, names) : basicPerson(seed, index, names);
}

/** Share of people who are the younger twin of the person before (about 3% of births are twins: 1.5% of people are a second twin). */
export const TWIN_SHARE = 0.015;
/** Share of people who are a younger sibling (same family name, home and ZIP, another birth year) of the person before. */
export const SIBLING_SHARE = 0.18;
/** Share of people of each group with a heritage given name who go by an adopted English name in later records. */
export const ADOPTED_NAME_SHARE: Partial<Record<Group, number>> = { Asian: 0.35, Hispanic: 0.04, 'Two or more': 0.03 };
/** `full` realism: share of women with a married surname by their age in the wage year (22-24, 25-27, 28 and over). */
export const MARRIED_SHARE = { from22: 0.15, from25: 0.32, from28: 0.45 };
/** Longest chain of siblings followed back (keeps makePerson cheap and bounded). */
const MAX_FAMILY_DEPTH = 4;

const englishFirst = new Set([...NAMES.White.first.M, ...NAMES.White.first.F].map((e) => e[0]));

/** The `full` person: the basic person, then family ties and an adopted name from substreams of their own. */
function fullPerson(seed: number, index: number, depth: number, names: NameModel): Person {
  const p = basicPerson(seed, index, names);
  const fr = new Rng(mixSeed(seed, index, 0xfa311));
  const r = fr.next();
  if (index > 0 && depth < MAX_FAMILY_DEPTH && r < TWIN_SHARE + SIBLING_SHARE) {
    const older = fullPerson(seed, index - 1, depth + 1, names);
    const twin = r < TWIN_SHARE;
    p.family = { kind: twin ? 'twin' : 'sibling', of: older.index };
    p.group = older.group;
    p.surnameParts = [...older.surnameParts];
    p.particle = older.particle;
    p.district = older.district;
    p.school = older.school;
    p.zip = older.zip;
    if (fr.chance(0.6)) p.laterZip = older.laterZip;
    // another given name from the family's naming tradition
    const src = namesFor(fr, older.group);
    let first = firstTable(src, p.sex, names).draw(fr);
    for (let k = 0; k < 8 && (first === older.first || first === p.middle); k++) first = firstTable(src, p.sex, names).draw(fr);
    if (first === older.first) first = rng2Pick(fr, p.sex, older.first, names);
    p.first = first;
    if (twin) {
      p.birth = { ...older.birth };
      p.gradYear = older.gradYear;
    } else if (p.birth.y === older.birth.y) {
      // siblings who are not twins are born in different years
      const dy = fr.chance(0.5) ? 1 : -1;
      const y = p.birth.y + dy;
      p.birth = { y, m: p.birth.m, d: Math.min(p.birth.d, daysInMonth(y, p.birth.m)) };
      p.gradYear += dy;
    }
  }
  // married names: a large share of adult women by the wage year (the basic draw gives 20% from 25, 7% below)
  if (p.sex === 'F' && p.marriedSurname === undefined) {
    const age = WAGE_YEAR - p.birth.y;
    const target = age >= 28 ? MARRIED_SHARE.from28 : age >= 25 ? MARRIED_SHARE.from25 : age >= 22 ? MARRIED_SHARE.from22 : 0.07;
    const base = age >= 25 ? 0.2 : 0.07;
    if (target > base && fr.chance((target - base) / (1 - base))) {
      const src = namesFor(fr, p.group);
      p.marriedSurname = fr.chance(0.65) ? surnameTable(src, names).draw(fr) : allSurnames(names).draw(fr);
      const r2 = fr.next();
      p.marriedStyle = r2 < 0.72 ? 'replace' : r2 < 0.94 ? 'hyphen' : 'both';
    }
  }
  const share = ADOPTED_NAME_SHARE[p.group] ?? 0;
  if (share > 0 && !englishFirst.has(p.first) && fr.chance(share)) {
    p.englishName = firstTable('White', p.sex, names).draw(fr);
  }
  return p;
}

function rng2Pick(rng: Rng, sex: Sex, not: string, names: NameModel): string {
  for (;;) {
    const f = firstTable('White', sex, names).draw(rng);
    if (f !== not) return f;
  }
}

function basicPerson(seed: number, index: number, names: NameModel): Person {
  const rng = new Rng(mixSeed(seed, index, 0x9e01));
  const district = districtTable.draw(rng);
  const group = drawGroupForDistrict(rng, district);
  const sex: Sex = rng.chance(0.505) ? 'F' : 'M';
  const firstSrc = namesFor(rng, group);
  const surSrc = namesFor(rng, group);
  const first = firstTable(firstSrc, sex, names).draw(rng);
  let middle = '';
  if (rng.chance(group === 'Hispanic' ? 0.7 : 0.82)) {
    middle = rng.chance(0.6) ? firstTable(firstSrc, sex, names).draw(rng) : rng.pick(MIDDLE_EXTRA[sex]);
    if (middle === first) middle = rng.pick(MIDDLE_EXTRA[sex]);
  }
  const surnameParts = [surnameTable(surSrc, names).draw(rng)];
  const compoundShare = group === 'Two or more' ? 0.08 : NAMES[surSrc].compoundShare;
  if (rng.chance(compoundShare)) {
    let second = surnameTable(surSrc, names).draw(rng);
    if (second === surnameParts[0]) second = surnameTable(surSrc, names).draw(rng);
    if (second !== surnameParts[0]) surnameParts.push(second);
  }
  const particle = surnameParts.some(isParticleName);

  // cohort: graduating classes 2014-2021, mostly 18 at graduation
  const gradYear = rng.int(2014, 2021);
  const ageAtGrad = rng.chance(0.8) ? 18 : rng.chance(0.75) ? 19 : 17;
  const by = gradYear - ageAtGrad;
  const bm = rng.int(1, 12);
  const birth: BirthDate = { y: by, m: bm, d: rng.int(1, daysInMonth(by, bm)) };

  const school = rng.pick(district.schools);
  const zip = rng.pick(district.zips);
  let laterZip = zip;
  if (rng.chance(0.4)) {
    const d2 = rng.chance(0.5) ? district : districtTable.draw(rng);
    laterZip = rng.pick(d2.zips);
  }

  // where the person appears: who shows up where does NOT depend on race/ethnicity or sex
  // (only on economic disadvantage and diploma), so differences in link rate by group
  // in this data come from the linkage, not from real differences in outcomes.
  const frl = rng.chance(0.42);
  const ell = rng.chance(group === 'Hispanic' ? 0.22 : group === 'Asian' ? 0.18 : group === 'Pacific Islander' ? 0.12 : 0.03);
  const sped = rng.chance(0.13);
  let presence: Presence;
  let diploma: boolean;
  if (rng.chance(0.9)) {
    diploma = rng.chance(frl ? 0.83 : 0.91);
    const college = rng.chance(diploma ? (frl ? 0.4 : 0.52) : 0.06);
    const wages = rng.chance(college ? 0.66 : 0.7);
    presence = { k12: true, college, wages };
  } else {
    // moved into the state after school age
    diploma = true;
    const r = rng.next();
    presence = r < 0.7 ? { k12: false, college: false, wages: true } : r < 0.9 ? { k12: false, college: true, wages: true } : { k12: false, college: true, wages: false };
  }
  const lastGrade = diploma ? 12 : rng.int(9, 12);

  let marriedSurname: string | undefined;
  let marriedStyle: Person['marriedStyle'];
  const ageAtWages = WAGE_YEAR - by;
  if (sex === 'F' && rng.chance(ageAtWages >= 25 ? 0.2 : 0.07)) {
    marriedSurname = rng.chance(0.65) ? surnameTable(surSrc, names).draw(rng) : allSurnames(names).draw(rng);
    const r = rng.next();
    marriedStyle = r < 0.72 ? 'replace' : r < 0.94 ? 'hyphen' : 'both';
  }

  const campus = rng.pick(CAMPUSES);
  const program = rng.pick(PROGRAMS);
  const entryYear = gradYear + (rng.chance(0.75) ? 0 : rng.int(1, 3));
  const entryTerm = `${entryYear}${rng.chance(0.8) ? 'FA' : 'SP'}`;
  const credits = Math.max(0, Math.round(12 + 30 * rng.next() + (frl ? -6 : 0) + 25 * rng.next() * (rng.chance(0.5) ? 1 : 0)));
  const award: Person['award'] = credits >= 60 ? (rng.chance(0.5) ? 'AA' : 'AAS') : credits >= 30 && rng.chance(0.4) ? 'CERT' : 'NONE';

  const naics = naicsTable.draw(rng);
  const quarters = rng.chance(0.62) ? 4 : rng.int(1, 3);
  const premium = award === 'AA' || award === 'AAS' ? 1.22 : award === 'CERT' ? 1.1 : 1;
  const wages = Math.max(300, Math.round((naics[2] * premium * (quarters / 4) * Math.exp(0.35 * rng.normal())) / 10) * 10);

  return {
    index,
    entityId: `E${index + 1}`,
    group,
    sex,
    first,
    middle,
    surnameParts,
    particle,
    birth,
    district,
    school,
    zip,
    laterZip,
    presence,
    ...(marriedSurname !== undefined ? { marriedSurname, marriedStyle } : {}),
    gradYear,
    diploma,
    frl,
    ell,
    sped,
    lastGrade,
    campus,
    program,
    entryTerm,
    credits,
    award,
    naics: naics[0],
    quarters,
    wages,
  };
}
