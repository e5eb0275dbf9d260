/**
 * Name frequency lists for the synthetic population, written for this
 * project (no external data). Weights are rough relative frequencies in the
 * style of US birth-name and census surname tables, chosen so that common
 * names collide (as real ones do) and so that the features that trip up
 * linkage — diacritics, multi-part and hyphenated surnames, apostrophes,
 * the Hawaiian ʻokina, names written family-name-first — occur at realistic,
 * group-dependent rates. Names carry their "proper" spelling here; each
 * agency's system then mangles them in its own way (see agencies.ts).
 */

import { mixSeed, Weighted, type Rng } from './prng.js';

export type Group = 'Hispanic' | 'White' | 'Black' | 'Asian' | 'American Indian' | 'Pacific Islander' | 'Two or more';
export type Sex = 'M' | 'F';

export const GROUPS: readonly Group[] = ['Hispanic', 'White', 'Black', 'Asian', 'American Indian', 'Pacific Islander', 'Two or more'];

/** Share of the student population by race/ethnicity (roughly a western US state). */
export const GROUP_WEIGHTS: readonly (readonly [Group, number])[] = [
  ['White', 44],
  ['Hispanic', 30],
  ['Black', 11],
  ['Asian', 6],
  ['Two or more', 5],
  ['American Indian', 2.5],
  ['Pacific Islander', 1.5],
];

type W = readonly (readonly [string, number])[];

const WHITE_M: W = [
  ['James', 30], ['William', 28], ['Michael', 30], ['Robert', 22], ['John', 22], ['David', 20], ['Joseph', 18],
  ['Christopher', 18], ['Matthew', 20], ['Daniel', 18], ['Andrew', 16], ['Joshua', 16], ['Ethan', 16], ['Tyler', 15],
  ['Jacob', 18], ['Benjamin', 14], ['Nicholas', 14], ['Alexander', 14], ['Samuel', 12], ['Ryan', 14], ['Zachary', 10],
  ['Thomas', 12], ['Austin', 10], ['Logan', 10], ['Connor', 9], ['Dylan', 9], ['Jonathan', 9], ['Kyle', 8], ['Cody', 7],
  ['Brandon', 9], ['Noah', 10], ['Liam', 8], ['Owen', 7], ['Luke', 7], ['Henry', 6], ['Caleb', 7], ['Hunter', 6],
  ['Garrett', 4], ['Seán', 2], ['Søren', 1], ['Anthony', 8], ['Charles', 7], ['Nathaniel', 5], ['Patrick', 5],
];
const WHITE_F: W = [
  ['Emily', 26], ['Elizabeth', 20], ['Sarah', 20], ['Hannah', 18], ['Jessica', 16], ['Ashley', 16], ['Madison', 16],
  ['Emma', 16], ['Olivia', 14], ['Abigail', 14], ['Samantha', 14], ['Katherine', 12], ['Rebecca', 10], ['Rachel', 10],
  ['Megan', 10], ['Lauren', 10], ['Taylor', 10], ['Alexis', 8], ['Brooke', 8], ['Haley', 8], ['Kayla', 8],
  ['Victoria', 8], ['Margaret', 6], ['Grace', 8], ['Chloé', 3], ['Chloe', 8], ['Zoë', 2], ['Zoe', 6], ['Renée', 2],
  ['Jennifer', 8], ['Amanda', 8], ['Allison', 7], ['Courtney', 6], ['Natalie', 7], ['Sophia', 8], ['Anna', 8],
  ['Claire', 5], ['Molly', 5], ['Caitlin', 4], ['Siobhán', 1],
];
const WHITE_SUR: W = [
  ['Smith', 30], ['Johnson', 22], ['Miller', 20], ['Brown', 18], ['Jones', 16], ['Davis', 16], ['Wilson', 14],
  ['Anderson', 14], ['Taylor', 12], ['Thomas', 10], ['Moore', 10], ['Martin', 10], ['Thompson', 10], ['White', 10],
  ['Clark', 9], ['Lewis', 8], ['Walker', 8], ['Hall', 8], ['Allen', 8], ['Young', 8], ['King', 8], ['Wright', 8],
  ['Scott', 7], ['Hill', 7], ['Green', 7], ['Adams', 7], ['Baker', 7], ['Nelson', 7], ['Carter', 6], ['Mitchell', 6],
  ['Roberts', 6], ['Campbell', 6], ['Parker', 6], ['Evans', 6], ['Edwards', 5], ['Collins', 5], ['Stewart', 5],
  ['Olson', 5], ['Peterson', 5], ['Larson', 4], ['Schmidt', 4], ['Müller', 1], ['Schröder', 1], ['Kowalski', 2],
  ['O\'Brien', 3], ['O\'Connor', 3], ['McDonald', 4], ['MacKenzie', 2], ['Van Buren', 1], ['Van der Berg', 1],
  ['VanDyke', 1], ['St. John', 1], ['Fitzgerald', 3], ['Sullivan', 4], ['Murphy', 5], ['Kelly', 5], ['Hughes', 4],
];

const HISP_M: W = [
  ['José', 30], ['Luis', 22], ['Juan', 22], ['Carlos', 20], ['Jesús', 14], ['Miguel', 16], ['Jorge', 12],
  ['Alejandro', 14], ['Daniel', 14], ['David', 10], ['Francisco', 12], ['Antonio', 10], ['Ángel', 10], ['Diego', 12],
  ['Adrián', 8], ['Eduardo', 8], ['Fernando', 7], ['Ricardo', 7], ['Roberto', 7], ['Javier', 8], ['Andrés', 6],
  ['Raúl', 5], ['Héctor', 5], ['Óscar', 5], ['Iván', 5], ['Sebastián', 6], ['Mateo', 6], ['Santiago', 5],
  ['Emiliano', 4], ['Isaac', 5], ['Christian', 6], ['Kevin', 6], ['Brian', 5], ['Anthony', 6], ['Ignacio', 3],
  ['Enrique', 4], ['Guadalupe', 2], ['Joaquín', 3], ['Ramón', 3], ['Noé', 2],
];
const HISP_F: W = [
  ['María', 30], ['Guadalupe', 10], ['Ana', 12], ['Daniela', 14], ['Sofía', 12], ['Valeria', 10], ['Camila', 10],
  ['Valentina', 8], ['Ximena', 8], ['Andrea', 10], ['Alejandra', 9], ['Gabriela', 9], ['Mariana', 8], ['Fernanda', 6],
  ['Jimena', 5], ['Natalia', 7], ['Paola', 6], ['Karla', 6], ['Jazmín', 6], ['Yesenia', 5], ['Leticia', 4],
  ['Ashley', 8], ['Jennifer', 7], ['Stephanie', 7], ['Jessica', 6], ['Brenda', 6], ['Vanessa', 6], ['Araceli', 3],
  ['Mónica', 4], ['Verónica', 4], ['Inés', 2], ['Lucía', 5], ['Génesis', 3], ['Nayeli', 4], ['Itzel', 4],
  ['Citlali', 2], ['Dulce', 3], ['Rocío', 3], ['Beatriz', 3], ['Elizabeth', 5],
];
const HISP_SUR: W = [
  ['García', 30], ['Rodríguez', 26], ['Martínez', 26], ['Hernández', 26], ['López', 24], ['González', 24],
  ['Pérez', 18], ['Sánchez', 18], ['Ramírez', 16], ['Torres', 14], ['Flores', 14], ['Rivera', 13], ['Gómez', 12],
  ['Díaz', 12], ['Cruz', 10], ['Reyes', 10], ['Morales', 10], ['Ortiz', 9], ['Gutiérrez', 9], ['Chávez', 9],
  ['Ramos', 8], ['Ruiz', 8], ['Jiménez', 8], ['Mendoza', 8], ['Álvarez', 7], ['Castillo', 7], ['Vásquez', 7],
  ['Romero', 7], ['Herrera', 7], ['Medina', 6], ['Aguilar', 6], ['Vargas', 6], ['Castro', 6], ['Guzmán', 5],
  ['Muñoz', 6], ['Núñez', 4], ['Peña', 4], ['Ibarra', 4], ['Zúñiga', 3], ['Domínguez', 5], ['Salazar', 5],
  ['de la Cruz', 4], ['de León', 3], ['del Río', 2], ['de la Rosa', 3], ['de los Santos', 2], ['Villaseñor', 2],
  ['Quiñones', 2], ['Cervantes', 4], ['Espinoza', 5], ['Fuentes', 4], ['Avilés', 2], ['Olivárez', 1],
];

const BLACK_M: W = [
  ['Michael', 18], ['Christopher', 14], ['James', 12], ['Anthony', 10], ['Jordan', 12], ['Joshua', 10], ['Brandon', 10],
  ['Justin', 10], ['Isaiah', 10], ['Jalen', 9], ['Malik', 8], ['Elijah', 10], ['Darius', 6], ['DeShawn', 6],
  ['Jamal', 6], ['Tyrone', 4], ['Darnell', 4], ['Marcus', 8], ['Terrell', 5], ['Xavier', 6], ['Andre', 6],
  ['D\'Andre', 3], ['Jaylen', 7], ['Kendrick', 4], ['Cameron', 7], ['Devin', 6], ['Trevon', 4], ['Jermaine', 3],
  ['Amari', 4], ['Kwame', 2], ['Ibrahim', 2], ['Tariq', 2], ['William', 6], ['Robert', 5], ['Jaden', 6],
];
const BLACK_F: W = [
  ['Jasmine', 14], ['Brianna', 12], ['Aaliyah', 12], ['Destiny', 10], ['Imani', 8], ['Kayla', 10], ['Diamond', 6],
  ['Alexis', 9], ['Jada', 8], ['Taylor', 7], ['Ashley', 8], ['Tiana', 6], ['Nia', 6], ['Keisha', 4], ['Ebony', 3],
  ['Shanice', 3], ['Aisha', 5], ['Makayla', 6], ['Janelle', 4], ['Kiara', 6], ['Tamika', 2], ['Ayana', 4],
  ['Amara', 4], ['Chiamaka', 1], ['Fatima', 2], ['Zoë', 1], ['Zoe', 4], ['Elizabeth', 4], ['Jessica', 5],
  ['Danielle', 5], ['Gabrielle', 5], ['Sha\'Nae', 1], ['Ja\'Kayla', 1],
];
const BLACK_SUR: W = [
  ['Johnson', 22], ['Williams', 22], ['Brown', 16], ['Jackson', 14], ['Davis', 14], ['Smith', 14], ['Jones', 14],
  ['Harris', 10], ['Robinson', 10], ['Thomas', 10], ['Washington', 8], ['Jefferson', 5], ['Banks', 5], ['Booker', 3],
  ['Mosley', 3], ['Coleman', 6], ['Jenkins', 6], ['Simmons', 5], ['Bryant', 6], ['Gaines', 3], ['Freeman', 4],
  ['Wallace', 4], ['Marshall', 4], ['Hayes', 4], ['Dorsey', 3], ['Battle', 2], ['Okafor', 2], ['Adeyemi', 2],
  ['Mensah', 1], ['Diallo', 2], ['Abdi', 2], ['Mohamed', 2], ['St. Louis', 1], ['Pierre-Louis', 1], ['Green', 6],
  ['Walker', 7], ['Lewis', 6], ['Young', 5], ['Moore', 6], ['Ellis', 4],
];

const ASIAN_M: W = [
  ['Kevin', 10], ['Daniel', 9], ['Ryan', 8], ['Jason', 8], ['Eric', 8], ['Andrew', 7], ['Brian', 6], ['Justin', 6],
  ['Minh', 5], ['Huy', 4], ['Duc', 3], ['Anh', 3], ['Wei', 4], ['Jun', 4], ['Hao', 3], ['Jian', 3], ['Rahul', 4],
  ['Arjun', 4], ['Rohan', 3], ['Vikram', 2], ['Min-jun', 3], ['Ji-hoon', 2], ['Hiroshi', 2], ['Kenji', 2],
  ['Joshua', 5], ['Nathan', 6], ['Ethan', 6], ['Tuấn', 2], ['Quang', 2], ['Sung', 2],
];
const ASIAN_F: W = [
  ['Emily', 8], ['Michelle', 8], ['Jennifer', 7], ['Grace', 7], ['Christine', 6], ['Vivian', 5], ['Cindy', 5],
  ['Linh', 5], ['Thảo', 3], ['Ngọc', 2], ['Mai', 4], ['Mei', 4], ['Xiao', 2], ['Yan', 3], ['Priya', 5], ['Ananya', 3],
  ['Divya', 3], ['Ji-woo', 3], ['Seo-yeon', 2], ['Yuki', 3], ['Aiko', 2], ['Hannah', 5], ['Sophia', 5], ['Angela', 5],
  ['Tiffany', 5], ['Jasmine', 4], ['Phương', 2], ['Hạnh', 2],
];
const ASIAN_SUR: W = [
  ['Nguyen', 24], ['Tran', 12], ['Le', 10], ['Pham', 8], ['Kim', 12], ['Lee', 12], ['Park', 8], ['Chen', 12],
  ['Wang', 10], ['Li', 8], ['Zhang', 6], ['Liu', 6], ['Patel', 10], ['Shah', 5], ['Singh', 6], ['Huang', 6], ['Wu', 5],
  ['Yang', 5], ['Lin', 5], ['Choi', 4], ['Vu', 4], ['Hoang', 3], ['Phan', 3], ['Dang', 3], ['Truong', 3],
  ['Nakamura', 2], ['Tanaka', 2], ['Yamamoto', 2], ['Gupta', 3], ['Reddy', 3], ['Kaur', 3], ['Do', 3], ['Ho', 3],
  ['Santos', 4], ['Reyes', 3], ['dela Cruz', 2], ['Bautista', 2],
];

const AI_M: W = [
  ['Michael', 8], ['James', 7], ['Joseph', 6], ['Tyler', 5], ['Cody', 5], ['Dakota', 5], ['Cheveyo', 1], ['Ahiga', 1],
  ['Nathan', 4], ['Daniel', 5], ['Jacob', 5], ['Jonah', 3], ['Hunter', 4], ['Wyatt', 3], ['Kai', 2], ['Elijah', 4],
];
const AI_F: W = [
  ['Ashley', 6], ['Jessica', 5], ['Kayla', 5], ['Cheyenne', 5], ['Dakota', 3], ['Autumn', 4], ['Shandiin', 1],
  ['Winona', 2], ['Tallulah', 1], ['Hannah', 4], ['Destiny', 4], ['Sierra', 4], ['Skye', 3], ['Elizabeth', 4],
];
const AI_SUR: W = [
  ['Begay', 10], ['Yazzie', 8], ['Benally', 6], ['Tsosie', 5], ['Nez', 5], ['Manuelito', 3], ['Etsitty', 2],
  ['Running Bear', 2], ['Two Bulls', 2], ['Whitehorse', 3], ['Lone Wolf', 2], ['Eagleheart', 1], ['Little Thunder', 1],
  ['Chee', 3], ['Joe', 3], ['Jim', 2], ['Smith', 4], ['Johnson', 4], ['Thomas', 3], ['Lee', 3], ['Harjo', 2], ['Yellowhair', 2],
];

const PI_M: W = [
  ['Keoni', 5], ['Kalani', 4], ['Kai', 5], ['Makoa', 2], ['Ikaika', 3], ['Sione', 4], ['Tevita', 3], ['Viliami', 2],
  ['Kainoa', 3], ['Noah', 3], ['Joshua', 3], ['Ioane', 2], ['Kaʻimi', 1], ['Mikaele', 2],
];
const PI_F: W = [
  ['Leilani', 5], ['Malia', 5], ['Kaʻiulani', 2], ['Noelani', 3], ['Kalena', 2], ['Mele', 4], ['Losana', 2],
  ['ʻAlohilani', 1], ['Keala', 3], ['Pua', 2], ['Hina', 2], ['Lani', 3], ['Sina', 3], ['Ana', 3],
];
const PI_SUR: W = [
  ['Kealoha', 5], ['Kahale', 4], ['Akana', 4], ['Mahoe', 3], ['Fonoti', 3], ['Tuilagi', 3], ['Faleolo', 2],
  ['Kaʻaihue', 2], ['Nāone', 2], ['Kamakaʻala', 1], ['Tupou', 3], ['Taufa', 3], ['Fifita', 2], ['Leota', 2],
  ['Kekumu', 2], ['Palakiko', 2], ['Santos', 2], ['Aumua', 2],
];

function table(entries: W): W {
  return entries;
}

export interface GroupNames {
  first: Record<Sex, W>;
  surnames: W;
  /** Share of people in the group whose family name has two parts (two surnames joined). */
  compoundShare: number;
  /** Share written family-name-first by some records (given/family order confusion). */
  nameOrderRisk: number;
}

export const NAMES: Record<Exclude<Group, 'Two or more'>, GroupNames> = {
  White: { first: { M: table(WHITE_M), F: table(WHITE_F) }, surnames: WHITE_SUR, compoundShare: 0.01, nameOrderRisk: 0.002 },
  Hispanic: { first: { M: HISP_M, F: HISP_F }, surnames: HISP_SUR, compoundShare: 0.3, nameOrderRisk: 0.004 },
  Black: { first: { M: BLACK_M, F: BLACK_F }, surnames: BLACK_SUR, compoundShare: 0.02, nameOrderRisk: 0.004 },
  Asian: { first: { M: ASIAN_M, F: ASIAN_F }, surnames: ASIAN_SUR, compoundShare: 0.01, nameOrderRisk: 0.06 },
  'American Indian': { first: { M: AI_M, F: AI_F }, surnames: AI_SUR, compoundShare: 0.02, nameOrderRisk: 0.004 },
  'Pacific Islander': { first: { M: PI_M, F: PI_F }, surnames: PI_SUR, compoundShare: 0.03, nameOrderRisk: 0.01 },
};

/**
 * Common nicknames / short forms (formal name → the names people go by). A
 * record from a system where people write their own name (a college
 * application, an employer's payroll) often carries one of these.
 */
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  Robert: ['Bob', 'Rob', 'Bobby'], William: ['Will', 'Bill', 'Billy'], James: ['Jim', 'Jimmy', 'Jamie'],
  John: ['Jack', 'Johnny'], Michael: ['Mike', 'Mikey'], Christopher: ['Chris'], Joseph: ['Joe', 'Joey'],
  Daniel: ['Dan', 'Danny'], Matthew: ['Matt'], Andrew: ['Andy', 'Drew'], Joshua: ['Josh'], Jacob: ['Jake'],
  Benjamin: ['Ben', 'Benny'], Nicholas: ['Nick', 'Nicky'], Alexander: ['Alex', 'Xander'], Samuel: ['Sam', 'Sammy'],
  Zachary: ['Zach', 'Zack'], Thomas: ['Tom', 'Tommy'], Jonathan: ['Jon', 'Johnny'], Anthony: ['Tony'],
  Charles: ['Charlie', 'Chuck'], Nathaniel: ['Nate', 'Nathan'], Patrick: ['Pat'], Nathan: ['Nate'], Cameron: ['Cam'],
  Elizabeth: ['Liz', 'Beth', 'Betsy', 'Eliza', 'Lizzie'], Katherine: ['Kate', 'Katie', 'Kathy'], Rebecca: ['Becky', 'Becca'],
  Jessica: ['Jess', 'Jessie'], Samantha: ['Sam', 'Sammy'], Victoria: ['Tori', 'Vicky'], Abigail: ['Abby', 'Gail'],
  Margaret: ['Maggie', 'Peggy', 'Meg'], Jennifer: ['Jen', 'Jenny'], Amanda: ['Mandy'], Allison: ['Ally'],
  Alexis: ['Lexi'], Madison: ['Maddie'], Gabrielle: ['Gabby'], Danielle: ['Dani'], Natalie: ['Nat'],
  Christine: ['Chris', 'Tina'], Michelle: ['Shelly'],
  Francisco: ['Paco', 'Frank', 'Pancho'], José: ['Pepe', 'Joe'], Guadalupe: ['Lupe', 'Lupita'], Alejandro: ['Alex'],
  Jesús: ['Chuy', 'Jesse'], Ignacio: ['Nacho'], Roberto: ['Beto'], Eduardo: ['Lalo', 'Eddie'], Enrique: ['Kike', 'Henry'],
  Alejandra: ['Ale', 'Alex'], Gabriela: ['Gaby'], María: ['Mari', 'Maria'], Antonio: ['Tony', 'Toño'], Fernando: ['Nando'],
  Ricardo: ['Ricky'], Javier: ['Javi'], Sebastián: ['Sebas'], Daniela: ['Dani'], Valentina: ['Vale'],
  Jaylen: ['Jay'], Jordan: ['Jordy'], Isaiah: ['Zay'], Brianna: ['Bri'], Makayla: ['Kayla'], Malia: ['Mali'],
  Dakota: ['Kody'], Cheyenne: ['Shy'], Keoni: ['Key'],
};

/** Middle names are drawn from these (plus the person's group's first names). */
export const MIDDLE_EXTRA: Record<Sex, readonly string[]> = {
  M: ['Lee', 'Ray', 'James', 'Michael', 'Allen', 'Wayne', 'Dean', 'Scott', 'Lynn', 'Jay'],
  F: ['Marie', 'Ann', 'Lynn', 'Rose', 'Nicole', 'Elizabeth', 'Jane', 'Grace', 'Renee', 'Louise'],
};

export function groupNames(g: Exclude<Group, 'Two or more'>): GroupNames {
  return NAMES[g];
}

/**
 * How the generator draws names (GenerateOptions.names):
 *
 *   short      (default) only the names listed above: a few dozen given
 *              names per sex and surnames per group. Common names collide far
 *              more than in a real state (at 1,000,000 people a White surname
 *              is shared by about 8,000 people on average), which makes the
 *              generator a stress test for namesakes; its output per seed is
 *              pinned.
 *   long-tail  the listed names are the head of each table, drawn with the
 *              shares in HEAD_SHARE; the rest of the draws come from a long
 *              tail of synthetic names built from the group's own name parts
 *              (tailName), with Zipf frequencies that continue the head
 *              (rank r of the tail, after the head's n names, weighs
 *              1/(n + r)), as census surname and birth-name tables do: most
 *              people share their surname with many others, and a large share
 *              with few. A name draw consumes one random number under either
 *              model, so a person's group, sex, birth date, place and trouble
 *              are those of `short` (but for the few whose draws already
 *              depend on a name: a middle name redrawn when it equals the
 *              given name, a compound surname's second part when it equals
 *              the first).
 */
export type NameModel = 'short' | 'long-tail';
export const NAME_MODELS: readonly NameModel[] = ['short', 'long-tail'];

/**
 * `long-tail`: share of given names and of surnames drawn from the listed
 * names, per group. Surnames are far more concentrated among Hispanic and
 * Asian people than among White and Black people (in US census tables the
 * most common few dozen Hispanic or Vietnamese/Korean surnames cover about
 * half of those groups, the most common few dozen White surnames a tenth to
 * a fifth), which is a real source of namesakes and so of differences in
 * linkage by group. Rough figures written for this project, not fitted to
 * any table.
 */
export const HEAD_SHARE: Record<Exclude<Group, 'Two or more'>, { first: number; surname: number }> = {
  White: { first: 0.5, surname: 0.2 },
  Hispanic: { first: 0.55, surname: 0.5 },
  Black: { first: 0.45, surname: 0.3 },
  Asian: { first: 0.45, surname: 0.6 },
  'American Indian': { first: 0.5, surname: 0.3 },
  'Pacific Islander': { first: 0.5, surname: 0.35 },
};
/** `long-tail`: distinct synthetic names per table (given names per group and sex, surnames per group). */
export const TAIL_SIZE = { first: 5_000, surname: 50_000 } as const;

const VOWEL = /[aeiouy]/;
const isVowel = (c: string): boolean => VOWEL.test(c.normalize('NFD')[0]!.toLowerCase());

/** Syllable-like chunks of a one-word name: a break before each consonant that is followed by a vowel ("Anderson" -> An, der, son). */
export function nameChunks(name: string): string[] {
  const out: string[] = [];
  let cur = '';
  const ch = [...name];
  for (let i = 0; i < ch.length; i++) {
    const c = ch[i]!;
    if (cur !== '' && !isVowel(c) && i + 1 < ch.length && isVowel(ch[i + 1]!) && [...cur].some(isVowel)) {
      out.push(cur);
      cur = '';
    }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

interface TailParts {
  onsets: string[];
  middles: string[];
  codas: string[];
}

/** Name parts of a list: first chunks, inner chunks and last chunks of its one-word names of two or more chunks. */
function tailParts(list: W): TailParts {
  const onsets = new Set<string>();
  const middles = new Set<string>();
  const codas = new Set<string>();
  for (const [n] of list) {
    if (!/^\p{L}+$/u.test(n)) continue;
    const c = nameChunks(n);
    if (c.length < 2) continue;
    onsets.add(c[0]!);
    for (const x of c.slice(1, -1)) middles.add(x.toLowerCase());
    codas.add(c[c.length - 1]!.toLowerCase());
  }
  return { onsets: [...onsets], middles: [...middles], codas: [...codas] };
}

/** FNV-1a of a string: a stable salt per table. */
function salt(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The synthetic name of tail rank r: an onset, sometimes an inner chunk, and a coda of the table's own names. */
export function tailName(parts: TailParts, tableSalt: number, r: number): string {
  const h1 = mixSeed(tableSalt, r, 1);
  const h2 = mixSeed(tableSalt, r, 2);
  const h3 = mixSeed(tableSalt, r, 3);
  const mid = parts.middles.length > 0 && h2 % 3 === 0 ? parts.middles[(h2 >>> 2) % parts.middles.length]! : '';
  return parts.onsets[h1 % parts.onsets.length]! + mid + parts.codas[h3 % parts.codas.length]!;
}

/** A name table: one uniform draw in [0, 1) gives one name. */
export interface NameTable {
  at(u: number): string;
  draw(rng: Rng): string;
}

/** `long-tail` table: the listed names with probability headShare, else tail rank r with weight 1/(n + r) (n: listed names). */
export class LongTailTable implements NameTable {
  private readonly head: Weighted<string>;
  private readonly parts: TailParts;
  private readonly salt: number;
  private readonly n: number;
  private readonly span: number;

  constructor(
    list: W,
    private readonly headShare: number,
    private readonly size: number,
    name: string,
  ) {
    this.head = new Weighted(list);
    this.parts = tailParts(list);
    if (this.parts.onsets.length === 0 || this.parts.codas.length === 0) throw new RangeError(`name table ${name}: no name of two or more parts to build a tail from`);
    this.salt = salt(name);
    this.n = list.length;
    this.span = Math.log((this.n + size) / this.n);
  }

  at(u: number): string {
    if (u < this.headShare) return this.head.at(u / this.headShare);
    const v = (u - this.headShare) / (1 - this.headShare);
    const r = Math.min(this.size - 1, Math.floor(this.n * Math.exp(v * this.span) - this.n));
    return tailName(this.parts, this.salt, r);
  }

  draw(rng: Rng): string {
    return this.at(rng.next());
  }
}

/** Several tables mixed with weights, still one uniform draw per name (the draw picks a table and is rescaled within it). */
export class MixedTable implements NameTable {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(private readonly tables: readonly (readonly [NameTable, number])[]) {
    let t = 0;
    for (const [, w] of tables) this.cumulative.push((t += w));
    this.total = t;
  }

  at(u: number): string {
    const x = u * this.total;
    let k = 0;
    while (k < this.tables.length - 1 && this.cumulative[k]! <= x) k++;
    const lo = k === 0 ? 0 : this.cumulative[k - 1]!;
    return this.tables[k]![0].at(Math.min(1 - Number.EPSILON, (x - lo) / this.tables[k]![1]));
  }

  draw(rng: Rng): string {
    return this.at(rng.next());
  }
}
