/**
 * `npm run eval:quality`: linkage quality on three agencies' extracts of the
 * project's generator with every kind of trouble (`realism: 'full'`), against
 * the ground truth.
 *
 * Per size: generate (K-12, college, wages; not timed), encode the three
 * files with the default schema (protocols/schemas/p20w-person.json) and a
 * fresh random secret through the library, then, side by side on the same
 * encodings and data:
 *   dice   the CLK + Dice linkage (link option model: 'dice')
 *   model  the linker's default, no model option given (the Fellegi–Sunter
 *          match model, as these inputs carry evidence filters)
 *   plain  the same model core (src/link/model) on PLAINTEXT fields: an upper
 *          reference, bench only (Jaro–Winkler name levels, exact / swapped /
 *          one-part-off dates, sex, ZIP, middle initial; plaintext blocking)
 * and measure pairwise precision, recall and F1 (every two records of one
 * person are a true pair, across and within files), per party pair, recall
 * by race/ethnicity group and by sex (a pair counts for its person's group)
 * with the largest gap in points, seconds and peak memory.
 *
 * Encode, each link and the plaintext reference run in child processes of
 * their own, so each peak (the kernel's VmHWM: the process's resident
 * high-water mark, worker threads included) is that step's alone. The
 * evaluation itself keeps the truth as typed arrays indexed by record (no
 * per-pair objects), so it stays small at millions of records.
 *
 *   node dist/bench/eval-quality.js [--people 20000,200000] [--tuning | --seed S]
 *        [--methods dice,model,plain] [--names short|long-tail] [--extra-errors] [--absent PARTY:FEATURE,…] [--workers N]
 *        [--max-per-party N] [--store] [--keep DIR [--reuse]]
 *   --store: the links keep a registry (`link --store`, a fresh store each run): their seconds and peaks include the
 *   store step (the registry's encodings and index; docs/registry.md "Full or incremental"), and the log says how long it took.
 *   --names long-tail: the generator's names with a long tail of synthetic names beyond its short lists
 *   (NameModel, src/synth/names.ts; fewer namesakes, as in a real state); the default, short, keeps the
 *   figures comparable with earlier runs. Its directories under --keep end in `-lt`.
 *   --extra-errors: the generator's recording errors no choice of the model was made on on top of the realistic
 *   ones (EXTRA_ERRORS, src/synth/agencies.ts: another middle initial, sex miscoded, an unrelated birth date, a ZIP
 *   typo, wage names cut to fixed widths): does the model hold up on kinds of error it was never tuned on? Its
 *   directories under --keep end in `-x`.
 *   --absent wages:middle_name: that party's extract encoded without that schema feature (the agency declares it
 *   absent, `p20link encode --absent`), as from a file that does not hold it; the plaintext reference leaves it out
 *   too. Several, comma separated (wages:middle_name,wages:zip). Its directories under --keep end in
 *   `-no-PARTY.FEATURE` (parseAbsent).
 *   environment (experiments with the model's decision): P20_EVAL_DEDUPLICATED=k12,college,wages declares
 *   parties deduplicated; P20_EVAL_MATCH_P=0.99 moves the decision probability; P20_EVAL_RESIDUAL=off links without
 *   the residual pass (--no-residual-pass).
 *
 * Seeds: TUNING_SEEDS may be looked at while choosing methods and settings;
 * EVALUATION_SEEDS (the default) are for measuring only — never tune on them.
 *
 * Last line (the default method, `model`):
 *   {"sizes": [{"people": n, "precision": x, "recall": x, "f1": x, "raceGap": points, "sexGap": points, "seconds": s, "peakMiB": m}]}
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plainNormalizers } from '../src/assess/index.js';
import { encodeFile, linkFiles, loadSecret, newSecret, prepareEncode, writeFileAtomic, type LinkFilesOptions } from '../src/index.js';
import { openCsv } from '../src/io/csv.js';
import { fitModel, matchWeights, NULL_LEVEL, type ComparisonDef, type ComparisonVectors, type FittedModel } from '../src/link/model/index.js';
import { PARTIES } from '../src/synth/agencies.js';
import { generateExtracts } from '../src/synth/generate.js';
import { mulberry32 } from '../src/synth/prng.js';
import { GROUPS, NAME_MODELS, type NameModel } from '../src/synth/names.js';

/** Seeds one may tune on (look at results, choose levels, bands, defaults). */
export const TUNING_SEEDS = [1501, 1502, 1503] as const;
/** Seeds for measuring only: never used for tuning. The default. */
export const EVALUATION_SEEDS = [7301, 7302, 7303] as const;

export const METHODS = ['dice', 'model', 'plain'] as const;
export type Method = (typeof METHODS)[number];

const ROOT = process.cwd();
/** The default schema every eval encodes with. */
export const SCHEMA = join(ROOT, 'protocols/schemas/p20w-person.json');
/** Groups with fewer true pairs than this are shown but left out of the gaps (too noisy). */
export const MIN_GROUP_PAIRS = 100;

// ───────────────────────────── small helpers ─────────────────────────────

/** Peak resident memory of this process in MiB (VmHWM: worker threads included), or the sampled RSS maximum. */
function peakMiB(sampled: number): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux: fall back to sampling
  }
  return Math.round(sampled / 2 ** 20);
}

function rssSampler(): { stop: () => number } {
  let max = process.memoryUsage.rss();
  const t = setInterval(() => {
    max = Math.max(max, process.memoryUsage.rss());
  }, 200);
  t.unref();
  return {
    stop: () => {
      clearInterval(t);
      return Math.max(max, process.memoryUsage.rss());
    },
  };
}

/** Growable typed array of doubles. */
class F64 {
  a = new Float64Array(1024);
  n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

/** 53-bit hash of a few small integers (blocking keys, linkage ids). */
function hashInts(tag: number, a: number, b = 0, c = 0): number {
  let h1 = (0x811c9dc5 ^ tag) >>> 0;
  let h2 = (0x9e3779b9 ^ Math.imul(tag, 0x27d4eb2d)) >>> 0;
  for (const x of [a, b, c]) {
    h1 = Math.imul(h1 ^ x, 0x01000193);
    h1 ^= h1 >>> 15;
    h2 = Math.imul(h2 ^ x, 0x85ebca6b);
    h2 ^= h2 >>> 13;
    h2 = Math.imul(h2, 0xc2b2ae35);
  }
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) >>> 11);
}

function hashString(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x85ebca6b);
    h2 ^= h2 >>> 13;
  }
  h1 ^= h1 >>> 15;
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) >>> 11);
}

/** Record ids of the generator are a letter prefix and digits: the number identifies the record within its party. */
function idNumber(id: string): number {
  let i = 0;
  while (i < id.length && (id.charCodeAt(i) < 48 || id.charCodeAt(i) > 57)) i++;
  return Number(id.slice(i));
}

const partyIndex = (p: string): number => {
  const k = (PARTIES as readonly string[]).indexOf(p);
  if (k < 0) throw new Error(`unknown party ${p}`);
  return k;
};

/** Party pairs: the three across files, then within each file. */
export const PARTY_PAIRS: [number, number][] = [
  [0, 1],
  [0, 2],
  [1, 2],
  [0, 0],
  [1, 1],
  [2, 2],
];
const ppIndex = (p: number, q: number): number => {
  const [a, b] = p <= q ? [p, q] : [q, p];
  return PARTY_PAIRS.findIndex(([x, y]) => x === a && y === b);
};
const ppName = (k: number): string => {
  const [a, b] = PARTY_PAIRS[k]!;
  return a === b ? `within ${PARTIES[a]}` : `${PARTIES[a]}×${PARTIES[b]}`;
};

// ───────────────────────────── the truth, compactly ─────────────────────────────

/**
 * Ground truth as typed arrays. Record r (0..n-1) is the r-th record of its
 * party in ascending numeric id order, parties one after the other.
 */
export interface Truth {
  n: number;
  offset: number[];
  /** Per party: record numbers ascending (binary searched). */
  ids: Float64Array[];
  entity: Int32Array;
  party: Uint8Array;
  /** Trouble kinds of each record as a bit set (kinds: troubleKinds). */
  trouble: Uint32Array;
  troubleKinds: string[];
  /** Per entity: group index (GROUPS), sex (0 F, 1 M), family root (oldest sibling's entity, else itself). */
  group: Uint8Array;
  sex: Uint8Array;
  family: Int32Array;
}

export async function readTruthCompact(dir: string): Promise<Truth> {
  const perParty: { id: F64; ent: F64 }[] = PARTIES.map(() => ({ id: new F64(), ent: new F64() }));
  let people = 0;
  {
    const t = await openCsv(join(dir, 'truth.csv'));
    const [ie, ip, ir] = ['entity_id', 'party', 'record_id'].map((c) => t.header.indexOf(c)) as [number, number, number];
    for await (const batch of t.batches) {
      for (const r of batch) {
        const e = Number(r.fields[ie]!.slice(1)) - 1;
        const pp = perParty[partyIndex(r.fields[ip]!)]!;
        pp.id.push(idNumber(r.fields[ir]!));
        pp.ent.push(e);
        if (e + 1 > people) people = e + 1;
      }
    }
  }
  const offset: number[] = [];
  let n = 0;
  for (const p of perParty) {
    offset.push(n);
    n += p.id.n;
  }
  const ids: Float64Array[] = [];
  const entity = new Int32Array(n);
  const party = new Uint8Array(n);
  perParty.forEach((p, k) => {
    const id = p.id.view();
    const order = new Uint32Array(id.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((x, y) => id[x]! - id[y]!);
    const sorted = new Float64Array(id.length);
    for (let i = 0; i < order.length; i++) {
      sorted[i] = id[order[i]!]!;
      entity[offset[k]! + i] = p.ent.a[order[i]!]!;
    }
    party.fill(k, offset[k]!, offset[k]! + id.length);
    ids.push(sorted);
  });
  const group = new Uint8Array(people);
  const sex = new Uint8Array(people);
  const family = new Int32Array(people);
  for (let e = 0; e < people; e++) family[e] = e;
  {
    const t = await openCsv(join(dir, 'people.csv'));
    const [ie, ig, is, ifo] = ['entity_id', 'group', 'sex', 'family_of'].map((c) => t.header.indexOf(c)) as [number, number, number, number];
    for await (const batch of t.batches) {
      for (const r of batch) {
        const e = Number(r.fields[ie]!.slice(1)) - 1;
        if (e >= people) continue;
        group[e] = Math.max(0, GROUPS.indexOf(r.fields[ig] as (typeof GROUPS)[number]));
        sex[e] = r.fields[is] === 'M' ? 1 : 0;
        const of = ifo >= 0 ? r.fields[ifo]! : '';
        // the older sibling comes first in the file, so its root is known already
        if (of !== '') family[e] = family[Number(of.slice(1)) - 1]!;
      }
    }
  }
  const truth: Truth = { n, offset, ids, entity, party, trouble: new Uint32Array(n), troubleKinds: [], group, sex, family };
  {
    const t = await openCsv(join(dir, 'trouble.csv'));
    const kinds = new Map<string, number>();
    for await (const batch of t.batches) {
      for (const r of batch) {
        const rec = recordOf(truth, partyIndex(r.fields[0]!), r.fields[1]!);
        if (rec < 0) continue;
        for (const k of r.fields[2]!.split(';')) {
          let b = kinds.get(k);
          if (b === undefined) {
            b = kinds.size;
            if (b >= 32) continue;
            kinds.set(k, b);
          }
          truth.trouble[rec]! |= 1 << b;
        }
      }
    }
    truth.troubleKinds = [...kinds.keys()];
  }
  return truth;
}

/** Record number of (party, id), or -1. */
export function recordOf(t: Truth, party: number, id: string): number {
  const a = t.ids[party]!;
  const x = idNumber(id);
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = a[mid]!;
    if (v === x) return t.offset[party]! + mid;
    if (v < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Cluster key of every record from the links files in `dir` (a record absent from them is a cluster of its own). */
export async function readClusters(t: Truth, dir: string): Promise<Float64Array> {
  const cluster = new Float64Array(t.n);
  for (let r = 0; r < t.n; r++) cluster[r] = -(r + 1);
  for (const [k, p] of PARTIES.entries()) {
    const f = await openCsv(join(dir, `${p}.links.csv`));
    const ii = f.header.indexOf('record_id');
    const il = f.header.indexOf('linkage_id');
    for await (const batch of f.batches) {
      for (const r of batch) {
        const rec = recordOf(t, k, r.fields[ii]!);
        if (rec >= 0) cluster[rec] = hashString(r.fields[il]!);
      }
    }
  }
  return cluster;
}

// ───────────────────────────── pairwise quality ─────────────────────────────

export interface Counts {
  truePairs: number;
  linkedPairs: number;
  tp: number;
}
export interface Quality extends Counts {
  precision: number;
  recall: number;
  f1: number;
}
export interface Evaluation extends Quality {
  byPartyPair: (Quality & { pair: string })[];
  byGroup: { group: string; truePairs: number; recall: number }[];
  bySex: { sex: string; truePairs: number; recall: number }[];
  /** Largest difference in recall between two groups with at least MIN_GROUP_PAIRS true pairs, in points. */
  raceGap: number;
  sexGap: number;
  /** True pairs with each kind of trouble on either record, and the share missed. */
  byTrouble: { trouble: string; truePairs: number; missed: number }[];
  /** The race and sex gaps (points) on the true pairs without each kind of trouble on either record: which trouble a gap comes from. */
  gapsWithout: { trouble: string; raceGap: number; sexGap: number }[];
  /** False pairs between two people of one family (twins, siblings). */
  falseFamily: number;
}

export function quality(c: Counts): Quality {
  const precision = c.linkedPairs === 0 ? 1 : c.tp / c.linkedPairs;
  const recall = c.truePairs === 0 ? 1 : c.tp / c.truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...c, precision, recall, f1 };
}

const C2 = (k: number): number => (k * (k - 1)) / 2;

/** Pairwise quality of a clustering (cluster key per record) against the truth. */
export function evaluate(t: Truth, cluster: Float64Array): Evaluation {
  const PP = PARTY_PAIRS.length;
  const tru = new Float64Array(PP);
  const lnk = new Float64Array(PP);
  const tp = new Float64Array(PP);
  const gTrue = new Float64Array(GROUPS.length);
  const gTp = new Float64Array(GROUPS.length);
  const sTrue = new Float64Array(2);
  const sTp = new Float64Array(2);
  const K = t.troubleKinds.length;
  const kTrue = new Float64Array(K);
  const kTp = new Float64Array(K);
  // per trouble kind q: true and linked pairs by group (q * G + g) and sex (q * 2 + s) among the pairs without q
  const G = GROUPS.length;
  const gTrueNot = new Float64Array(K * G);
  const gTpNot = new Float64Array(K * G);
  const sTrueNot = new Float64Array(K * 2);
  const sTpNot = new Float64Array(K * 2);
  const order = new Uint32Array(t.n);
  for (let i = 0; i < t.n; i++) order[i] = i;
  // true pairs: runs of one entity (a handful of records each)
  order.sort((x, y) => t.entity[x]! - t.entity[y]!);
  for (let s = 0; s < t.n; ) {
    let e = s + 1;
    while (e < t.n && t.entity[order[e]!] === t.entity[order[s]!]) e++;
    const ent = t.entity[order[s]!]!;
    for (let i = s; i < e; i++) {
      for (let j = i + 1; j < e; j++) {
        const a = order[i]!;
        const b = order[j]!;
        const k = ppIndex(t.party[a]!, t.party[b]!);
        const hit = cluster[a] === cluster[b] ? 1 : 0;
        tru[k]!++;
        tp[k]! += hit;
        gTrue[t.group[ent]!]!++;
        gTp[t.group[ent]!]! += hit;
        sTrue[t.sex[ent]!]!++;
        sTp[t.sex[ent]!]! += hit;
        const m = t.trouble[a]! | t.trouble[b]!;
        for (let q = 0; q < K; q++) {
          if (m & (1 << q)) {
            kTrue[q]!++;
            kTp[q]! += hit;
          } else {
            gTrueNot[q * G + t.group[ent]!]!++;
            gTpNot[q * G + t.group[ent]!]! += hit;
            sTrueNot[q * 2 + t.sex[ent]!]!++;
            sTpNot[q * 2 + t.sex[ent]!]! += hit;
          }
        }
      }
    }
    s = e;
  }
  // linked pairs: runs of one cluster, counted per party; family pairs: runs of (cluster, family)
  order.sort((x, y) => cluster[x]! - cluster[y]! || t.family[t.entity[x]!]! - t.family[t.entity[y]!]!);
  const per = [0, 0, 0];
  let sameFamily = 0;
  for (let s = 0; s < t.n; ) {
    let e = s + 1;
    while (e < t.n && cluster[order[e]!] === cluster[order[s]!]) e++;
    if (e - s > 1) {
      per.fill(0);
      for (let i = s; i < e; i++) per[t.party[order[i]!]!]!++;
      for (let k = 0; k < PP; k++) {
        const [a, b] = PARTY_PAIRS[k]!;
        lnk[k]! += a === b ? C2(per[a]!) : per[a]! * per[b]!;
      }
      for (let f = s; f < e; ) {
        let g = f + 1;
        const fam = t.family[t.entity[order[f]!]!];
        while (g < e && t.family[t.entity[order[g]!]!] === fam) g++;
        sameFamily += C2(g - f);
        f = g;
      }
    }
    s = e;
  }
  const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
  const overall = quality({ truePairs: sum(tru), linkedPairs: sum(lnk), tp: sum(tp) });
  const gap = (tr: Float64Array, hit: Float64Array) => {
    const r: number[] = [];
    for (let i = 0; i < tr.length; i++) if (tr[i]! >= MIN_GROUP_PAIRS) r.push(hit[i]! / tr[i]!);
    return r.length < 2 ? 0 : 100 * (Math.max(...r) - Math.min(...r));
  };
  return {
    ...overall,
    byPartyPair: PARTY_PAIRS.map((_, k) => ({ pair: ppName(k), ...quality({ truePairs: tru[k]!, linkedPairs: lnk[k]!, tp: tp[k]! }) })),
    byGroup: GROUPS.map((g, i) => ({ group: g, truePairs: gTrue[i]!, recall: gTrue[i]! === 0 ? 1 : gTp[i]! / gTrue[i]! })),
    bySex: ['F', 'M'].map((s, i) => ({ sex: s, truePairs: sTrue[i]!, recall: sTrue[i]! === 0 ? 1 : sTp[i]! / sTrue[i]! })),
    raceGap: gap(gTrue, gTp),
    sexGap: gap(sTrue, sTp),
    byTrouble: t.troubleKinds
      .map((k, q) => ({ trouble: k, truePairs: kTrue[q]!, missed: kTrue[q]! === 0 ? 0 : 1 - kTp[q]! / kTrue[q]! }))
      .sort((a, b) => b.missed - a.missed),
    gapsWithout: t.troubleKinds.map((k, q) => ({
      trouble: k,
      raceGap: gap(gTrueNot.subarray(q * G, (q + 1) * G), gTpNot.subarray(q * G, (q + 1) * G)),
      sexGap: gap(sTrueNot.subarray(q * 2, q * 2 + 2), sTpNot.subarray(q * 2, q * 2 + 2)),
    })),
    falseFamily: sameFamily - overall.tp,
  };
}

// ───────────────────────────── child steps ─────────────────────────────

interface StepResult {
  seconds: number;
  peakMiB: number;
  note?: string;
}

interface Mapping {
  idColumn: string;
  map: Record<string, string>;
}

function mapping(party: string): Mapping {
  return JSON.parse(readFileSync(join(ROOT, 'examples/agencies', `${party}.json`), 'utf8')) as Mapping;
}

/** The features of the default schema (SCHEMA), which a party may declare absent (--absent). */
export function schemaFeatures(): string[] {
  return (JSON.parse(readFileSync(SCHEMA, 'utf8')) as { features: { identifier: string }[] }).features.map((f) => f.identifier);
}

/**
 * `--absent` (`wages:middle_name,wages:zip`): the features each party's
 * extract is encoded without, sorted, each `PARTY:FEATURE` once; an Error
 * naming the part that is not a party of the generator (PARTIES) and a
 * feature of the default schema (schemaFeatures).
 */
export function parseAbsent(spec: string): string[] {
  const features = schemaFeatures();
  const out = new Set<string>();
  for (const part of spec.split(',').map((x) => x.trim())) {
    const [party, feature, ...rest] = part.split(':');
    if (rest.length > 0 || !(PARTIES as readonly string[]).includes(party ?? '') || !features.includes(feature ?? '')) {
      throw new Error(`--absent: "${part}" is not PARTY:FEATURE with a party of ${PARTIES.join(', ')} and a feature of ${features.join(', ')}`);
    }
    out.add(`${party}:${feature}`);
  }
  return [...out].sort();
}

/** The features `party` is encoded without, from parseAbsent's list. */
function absentOf(absent: readonly string[], party: string): string[] {
  return absent.filter((a) => a.startsWith(`${party}:`)).map((a) => a.slice(party.length + 1));
}

/** The encode step: the three generated extracts of `dir` under a fresh secret, each without its features of `absent` (parseAbsent). */
export async function stepEncode(dir: string, workers: number | undefined, absent: readonly string[]): Promise<StepResult> {
  const secretFile = join(dir, 'linkage.secret');
  rmSync(secretFile, { force: true });
  await newSecret(secretFile);
  const secret = await loadSecret({ file: secretFile });
  const { ext } = await prepareEncode(SCHEMA);
  for (const party of PARTIES) {
    const m = mapping(party);
    const map = Object.fromEntries(Object.entries(m.map).filter(([f]) => f in ext.columns));
    await encodeFile({
      input: join(dir, `${party}.csv`),
      output: join(dir, `${party}.enc`),
      schema: SCHEMA,
      secret,
      party,
      map,
      idColumn: m.idColumn,
      force: true,
      ...(absentOf(absent, party).length > 0 ? { absent: absentOf(absent, party) } : {}),
      ...(workers !== undefined ? { workers } : {}),
    });
  }
  rmSync(secretFile, { force: true });
  return { seconds: 0, peakMiB: 0 };
}

async function stepLink(dir: string, method: 'dice' | 'model', workers: number | undefined, maxPerParty: number | undefined, withStore: boolean): Promise<StepResult> {
  const outDir = join(dir, `out-${method}`);
  rmSync(outDir, { recursive: true, force: true });
  const store = join(dir, `store-${method}.db`);
  for (const x of ['', '-wal', '-shm']) rmSync(store + x, { force: true });
  // 'dice': CLK + Dice, asked for; 'model': no model option, the linker's default (the match model for
  // these inputs, which carry the default schema's evidence filters; checked below)
  const choice: Pick<LinkFilesOptions, 'model'> = method === 'dice' ? { model: 'dice' } : {};
  const opts = {
    inputs: PARTIES.map((p) => ({ file: join(dir, `${p}.enc`) })),
    outDir,
    schema: SCHEMA,
    ...(workers !== undefined ? { workers } : {}),
    ...(maxPerParty !== undefined ? { maxPerParty } : {}),
    ...(withStore ? { store } : {}),
    ...choice,
    ...(process.env.P20_EVAL_DEDUPLICATED ? { deduplicated: process.env.P20_EVAL_DEDUPLICATED.split(',') } : {}),
    ...(process.env.P20_EVAL_MATCH_P ? { matchProbability: Number(process.env.P20_EVAL_MATCH_P) } : {}),
    ...(process.env.P20_EVAL_RESIDUAL === 'off' ? { residualPass: false } : {}),
  } satisfies LinkFilesOptions;
  const report = (await linkFiles(opts)) as unknown as Record<string, unknown>;
  const usedModel = report.model !== undefined && report.model !== null;
  // the default is what this method measures: a run that fell back to Dice would be mislabelled
  if (method === 'model' && !usedModel) throw new Error(`${dir}: the linker's default wrote no model section (Dice linkage), so the 'model' method would be mislabelled`);
  const registry = (report.timings as Record<string, number> | undefined)?.registry;
  for (const x of ['', '-wal', '-shm']) rmSync(store + x, { force: true });
  return { seconds: 0, peakMiB: 0, note: `${usedModel ? 'match model' : 'Dice'}${withStore && registry !== undefined ? `; store step ${registry.toFixed(1)} s` : ''}` };
}

// ── the plaintext reference ──

/** Jaro–Winkler similarity of two strings. */
export function jaroWinkler(s: string, t: string): number {
  if (s === t) return 1;
  const ls = s.length;
  const lt = t.length;
  if (ls === 0 || lt === 0) return 0;
  const range = Math.max(0, Math.floor(Math.max(ls, lt) / 2) - 1);
  const ms = new Uint8Array(ls);
  const mt = new Uint8Array(lt);
  let matches = 0;
  for (let i = 0; i < ls; i++) {
    const lo = Math.max(0, i - range);
    const hi = Math.min(lt - 1, i + range);
    for (let j = lo; j <= hi; j++) {
      if (mt[j] || s.charCodeAt(i) !== t.charCodeAt(j)) continue;
      ms[i] = 1;
      mt[j] = 1;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let k = 0;
  let trans = 0;
  for (let i = 0; i < ls; i++) {
    if (!ms[i]) continue;
    while (!mt[k]) k++;
    if (s.charCodeAt(i) !== t.charCodeAt(k)) trans++;
    k++;
  }
  const jaro = (matches / ls + matches / lt + (matches - trans / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < ls && prefix < lt && s.charCodeAt(prefix) === t.charCodeAt(prefix)) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** One party's normalized plaintext, compactly (names interned; -1 / 0 = missing): the plaintext reference, eval:ceiling's false links. */
export interface Plain {
  ids: string[];
  n: number;
  first: Int32Array;
  last: Int32Array;
  middle: Int32Array;
  /** y*10000 + m*100 + d, 0 = missing. */
  dob: Int32Array;
  /** 0 missing, else char code. */
  sex: Int32Array;
  zip: Int32Array;
}

export const PLAIN_DEFS: ComparisonDef[] = [
  { name: 'first_name', levels: ['exact', 'jw>=0.92', 'jw>=0.8', 'other'] },
  { name: 'last_name', levels: ['exact', 'jw>=0.92', 'jw>=0.8', 'other'] },
  { name: 'birth_date', levels: ['exact', 'day/month swapped', 'one part off', 'year only', 'other'] },
  { name: 'sex', levels: ['same', 'different'] },
  { name: 'zip', levels: ['same', 'same zip3', 'other'] },
  { name: 'middle_initial', levels: ['same', 'different'] },
];

export class Interner {
  readonly strings: string[] = [];
  private readonly map = new Map<string, number>();
  id(s: string): number {
    if (s === '') return -1;
    let v = this.map.get(s);
    if (v === undefined) {
      v = this.strings.length;
      this.strings.push(s);
      this.map.set(s, v);
    }
    return v;
  }
}

export async function readPlain(dir: string, party: string, names: Interner, absent: readonly string[] = []): Promise<Plain> {
  const { schema, ext } = await prepareEncode(SCHEMA);
  const norms = plainNormalizers(schema, ext);
  const m = mapping(party);
  const t = await openCsv(join(dir, `${party}.csv`));
  const col = (f: string) => t.header.indexOf(m.map[f] ?? f);
  const cols = { first: col('first_name'), last: col('last_name'), middle: col('middle_name'), dob: col('birth_date'), sex: col('sex'), zip: col('zip'), id: t.header.indexOf(m.idColumn) };
  const left = new Set(absentOf(absent, party));
  const norm = (f: string, v: string | undefined) => (v === undefined || left.has(f) ? '' : (norms.get(f)?.(v) ?? v));
  const ids: string[] = [];
  const cols6 = [new F64(), new F64(), new F64(), new F64(), new F64(), new F64()];
  for await (const batch of t.batches) {
    for (const r of batch) {
      const f = r.fields;
      ids.push(f[cols.id]!);
      const d = norm('birth_date', f[cols.dob]).replace(/-/g, '');
      const z = norm('zip', f[cols.zip]);
      const s = norm('sex', f[cols.sex]);
      const mid = norm('middle_name', f[cols.middle]);
      const v = [names.id(norm('first_name', f[cols.first])), names.id(norm('last_name', f[cols.last])), mid === '' ? -1 : mid.charCodeAt(0), d === '' ? 0 : Number(d), s === '' ? 0 : s.charCodeAt(0), z === '' ? -1 : Number(z)];
      for (let k = 0; k < 6; k++) cols6[k]!.push(v[k]!);
    }
  }
  const column = (k: number) => Int32Array.from(cols6[k]!.view());
  return { ids, n: ids.length, first: column(0), last: column(1), middle: column(2), dob: column(3), sex: column(4), zip: column(5) };
}

/**
 * Term-frequency adjustment of family names too? No: family names are shared
 * within families, so a rare one shared by twins or siblings weighed far too
 * much (measured at 200,000 people: precision 0.974 with it, 0.984 without).
 */
const TF_LAST = false;

/** Share of each name among the non-missing given (or family) names of all parties' records. */
function nameShares(parties: Plain[], nNames: number, which: 'first' | 'last'): Float64Array {
  const count = new Float64Array(nNames);
  let total = 0;
  for (const P of parties) {
    for (const v of P[which]) {
      if (v < 0) continue;
      count[v]!++;
      total++;
    }
  }
  for (let i = 0; i < nNames; i++) count[i] = total > 0 ? count[i]! / total : 0;
  return count;
}

function nameLevel(names: string[], a: number, b: number): number {
  if (a === b) return 0;
  const j = jaroWinkler(names[a]!, names[b]!);
  return j >= 0.92 ? 1 : j >= 0.8 ? 2 : 3;
}

/** Birth-date comparison level (PLAIN_DEFS birth_date) of two dates written y*10000 + m*100 + d. */
export function dobLevel(a: number, b: number): number {
  if (a === b) return 0;
  const ya = Math.floor(a / 10000);
  const yb = Math.floor(b / 10000);
  const ma = Math.floor(a / 100) % 100;
  const mb = Math.floor(b / 100) % 100;
  const da = a % 100;
  const db = b % 100;
  if (ya === yb && ma === db && da === mb) return 1;
  const same = (ya === yb ? 1 : 0) + (ma === mb ? 1 : 0) + (da === db ? 1 : 0);
  if (same === 2) return 2;
  return ya === yb ? 3 : 4;
}

/** Comparison levels of record a of A with record b of B, written at out[o..o+5]. */
function comparePlain(names: string[], A: Plain, a: number, B: Plain, b: number, out: Uint8Array, o: number): void {
  const fa = A.first[a]!;
  const la = A.last[a]!;
  const fb = B.first[b]!;
  const lb = B.last[b]!;
  let lf = fa < 0 || fb < 0 ? NULL_LEVEL : nameLevel(names, fa, fb);
  let ll = la < 0 || lb < 0 ? NULL_LEVEL : nameLevel(names, la, lb);
  if (fa >= 0 && fb >= 0 && la >= 0 && lb >= 0 && lf + ll > 1) {
    // given and family name swapped on one side?
    const sf = nameLevel(names, fa, lb);
    const sl = nameLevel(names, la, fb);
    if (sf + sl < lf + ll) {
      lf = sf;
      ll = sl;
    }
  }
  out[o] = lf;
  out[o + 1] = ll;
  const da = A.dob[a]!;
  const db = B.dob[b]!;
  out[o + 2] = da === 0 || db === 0 ? NULL_LEVEL : dobLevel(da, db);
  const sa = A.sex[a]!;
  const sb = B.sex[b]!;
  out[o + 3] = sa === 0 || sb === 0 ? NULL_LEVEL : sa === sb ? 0 : 1;
  const za = A.zip[a]!;
  const zb = B.zip[b]!;
  out[o + 4] = za < 0 || zb < 0 ? NULL_LEVEL : za === zb ? 0 : Math.floor(za / 100) === Math.floor(zb / 100) ? 1 : 2;
  const ma = A.middle[a]!;
  const mb = B.middle[b]!;
  out[o + 5] = ma < 0 || mb < 0 ? NULL_LEVEL : ma === mb ? 0 : 1;
}

/**
 * Blocking keys of one party's records: sorted (hash, record) lists.
 * `all`: the candidates to link; `names`: both names agree (order-free), to
 * train the birth-date comparison; `dob`: the birth date agrees, to train the
 * name comparisons.
 */
function blockingKeys(P: Plain, names: string[], mode: 'all' | 'names' | 'dob' = 'all'): { hash: Float64Array; rec: Uint32Array } {
  const h = new F64();
  const r = new F64();
  const add = (x: number, i: number) => {
    h.push(x);
    r.push(i);
  };
  const initial = (id: number) => (id < 0 ? -1 : names[id]!.charCodeAt(0));
  for (let i = 0; i < P.n; i++) {
    const f = P.first[i]!;
    const l = P.last[i]!;
    const d = P.dob[i]!;
    if (mode === 'dob') {
      if (d !== 0) add(hashInts(6, d), i);
      continue;
    }
    if (mode === 'names') {
      if (f >= 0 && l >= 0) add(hashInts(5, Math.min(f, l), Math.max(f, l)), i);
      continue;
    }
    if (d !== 0) {
      // order-free birth date (a day/month swap keeps it)
      const y = Math.floor(d / 10000);
      const m = Math.floor(d / 100) % 100;
      const dd = d % 100;
      const dof = y * 10000 + Math.min(m, dd) * 100 + Math.max(m, dd);
      if (f >= 0 && l >= 0) {
        const fi = initial(f);
        const li = initial(l);
        add(hashInts(1, dof, Math.min(fi, li), Math.max(fi, li)), i);
      }
      if (f >= 0) add(hashInts(2, dof, f), i);
      if (l >= 0) add(hashInts(3, dof, l), i);
      if (f >= 0 && l >= 0) add(hashInts(4, f, names[l]!.charCodeAt(0) * 65536 + (names[l]!.charCodeAt(1) || 0), y), i);
    }
    // the two names, order-free: finds pairs whose birth dates disagree or are missing
    if (f >= 0 && l >= 0) add(hashInts(5, Math.min(f, l), Math.max(f, l)), i);
  }
  const hash = h.view();
  const order = new Uint32Array(hash.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((x, y) => hash[x]! - hash[y]!);
  return { hash: Float64Array.from(order, (k) => hash[k]!), rec: Uint32Array.from(order, (k) => r.a[k]!) };
}

/** Most pairs one blocking key may propose (bigger blocks are skipped: a very common name pair without a birth date). */
const MAX_BLOCK_PAIRS = 250_000;

/** Distinct candidate pairs (a*nB + b; a < b within one party) from shared blocking keys. */
function candidatePairs(ka: ReturnType<typeof blockingKeys>, kb: ReturnType<typeof blockingKeys>, nB: number, self: boolean, maxPairs = Number.POSITIVE_INFINITY): Float64Array {
  const out = new F64();
  let i = 0;
  let j = 0;
  // blocks come in hash order, so stopping at maxPairs keeps a random sample of blocks
  while (i < ka.hash.length && j < kb.hash.length && out.n < maxPairs) {
    const x = ka.hash[i]!;
    const y = kb.hash[j]!;
    if (x < y) i++;
    else if (y < x) j++;
    else {
      let i2 = i;
      while (i2 < ka.hash.length && ka.hash[i2] === x) i2++;
      let j2 = j;
      while (j2 < kb.hash.length && kb.hash[j2] === y) j2++;
      if ((i2 - i) * (j2 - j) <= MAX_BLOCK_PAIRS) {
        for (let p = i; p < i2; p++) {
          for (let q = j; q < j2; q++) {
            const a = ka.rec[p]!;
            const b = kb.rec[q]!;
            if (self && a >= b) continue;
            out.push(a * nB + b);
          }
        }
      }
      i = i2;
      j = j2;
    }
  }
  const v = out.view().slice().sort();
  let u = 0;
  for (let k = 0; k < v.length; k++) if (k === 0 || v[k] !== v[k - 1]) v[u++] = v[k]!;
  return v.slice(0, u);
}

async function stepPlain(dir: string, absent: readonly string[]): Promise<StepResult> {
  const outDir = join(dir, 'out-plain');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const interner = new Interner();
  const parties: Plain[] = [];
  for (const p of PARTIES) parties.push(await readPlain(dir, p, interner, absent));
  const names = interner.strings;
  const K = PLAIN_DEFS.length;
  const vectors = (cand: { pp: number; pairs: Float64Array }[], nulls: number[] = []): ComparisonVectors => {
    const total = cand.reduce((t, c) => t + c.pairs.length, 0);
    const levels = new Uint8Array(total * K);
    const group = new Uint16Array(total);
    let at = 0;
    for (const { pp, pairs } of cand) {
      const [p, q] = PARTY_PAIRS[pp]!;
      const A = parties[p]!;
      const B = parties[q]!;
      for (let x = 0; x < pairs.length; x++) {
        const code = pairs[x]!;
        const a = Math.floor(code / B.n);
        comparePlain(names, A, a, B, code - a * B.n, levels, at * K);
        for (const k of nulls) levels[at * K + k] = NULL_LEVEL;
        group[at++] = pp;
      }
    }
    return { defs: PLAIN_DEFS, count: total, levels, group, groupCount: PARTY_PAIRS.length };
  };
  const pairsFor = (mode: 'all' | 'names' | 'dob', maxPairs?: number) => {
    const keys = parties.map((P) => blockingKeys(P, names, mode));
    return PARTY_PAIRS.map(([p, q], pp) => ({ pp, pairs: candidatePairs(keys[p]!, keys[q]!, parties[q]!.n, p === q, maxPairs) }));
  };
  // random pairs: u
  const RANDOM_PER_PAIR = 50_000;
  const rnd = mulberry32(0x5eed);
  const rl = new Uint8Array(PARTY_PAIRS.length * RANDOM_PER_PAIR * K);
  let rn = 0;
  for (const [p, q] of PARTY_PAIRS) {
    const A = parties[p]!;
    const B = parties[q]!;
    if (A.n === 0 || B.n < 2) continue;
    for (let x = 0; x < RANDOM_PER_PAIR; x++) {
      const a = Math.floor(rnd() * A.n);
      let b = Math.floor(rnd() * B.n);
      if (p === q && a === b) b = (b + 1) % B.n;
      comparePlain(names, A, a, B, b, rl, rn * K);
      rn++;
    }
  }
  const randV: ComparisonVectors = { defs: PLAIN_DEFS, count: rn, levels: rl.subarray(0, rn * K) };
  // m by EM in two training passes, each on pairs blocked on some fields with those fields left out
  // (they agree by construction there): names agree -> m of the birth date; birth date agrees -> m of the names
  const FIRST = 0;
  const LAST = 1;
  const DOB = 2;
  const SEX = 3;
  // (sex follows the given name, so it is left out with the names)
  const onNames = fitModel(vectors(pairsFor('names', 2_000_000), [FIRST, LAST, SEX]), randV);
  const onDob = fitModel(vectors(pairsFor('dob', 2_000_000), [DOB]), randV);
  const m = onDob.m.map((row, k) => (k === DOB ? onNames.m[k]! : row));
  // the candidates to link, and their priors (EM on λ alone, m and u fixed)
  const cand = pairsFor('all');
  const candV = vectors(cand);
  const total = candV.count;
  const group = candV.group!;
  const bf = matchWeights({ defs: PLAIN_DEFS, lambda: 0.5, m, u: onDob.u, iterations: 0, converged: true }, candV);
  // term-frequency adjustment of exact name agreement: u of agreeing on this name is its frequency, not the average
  const firstFreq = nameShares(parties, names.length, 'first');
  const lastFreq = nameShares(parties, names.length, 'last');
  {
    let x = 0;
    for (const { pp, pairs } of cand) {
      const [p, q] = PARTY_PAIRS[pp]!;
      const A = parties[p]!;
      const nB = parties[q]!.n;
      for (let i = 0; i < pairs.length; i++, x++) {
        const a = Math.floor(pairs[i]! / nB);
        if (candV.levels[x * K + FIRST] === 0) bf[x]! += Math.log2(onDob.u[FIRST]![0]! / Math.max(firstFreq[A.first[a]!]!, 1e-9));
        if (TF_LAST && candV.levels[x * K + LAST] === 0) bf[x]! += Math.log2(onDob.u[LAST]![0]! / Math.max(lastFreq[A.last[a]!]!, 1e-9));
      }
    }
  }
  // λ is the prior of a RANDOM pair (u is measured on random pairs, so the Bayes factor of any pair is
  // against that population): expected matches among the candidates / all pairs of the party pair
  const allPairs = PARTY_PAIRS.map(([p, q]) => (p === q ? (parties[p]!.n * (parties[p]!.n - 1)) / 2 : parties[p]!.n * parties[q]!.n));
  const lambdas = allPairs.map((n) => (n > 0 ? Math.min(0.5, 1 / Math.sqrt(n)) : 0.5));
  for (let it = 0; it < 200; it++) {
    const num = new Float64Array(PARTY_PAIRS.length);
    for (let x = 0; x < total; x++) {
      const g = group[x]!;
      const odds = (lambdas[g]! / (1 - lambdas[g]!)) * 2 ** bf[x]!;
      num[g]! += odds / (1 + odds);
    }
    let delta = 0;
    for (let g = 0; g < lambdas.length; g++) {
      const nv = allPairs[g]! > 0 ? Math.min(0.5, Math.max(1e-15, num[g]! / allPairs[g]!)) : 0.5;
      delta = Math.max(delta, Math.abs(Math.log(nv / lambdas[g]!)));
      lambdas[g] = nv;
    }
    if (delta < 1e-6) break;
  }
  const model: FittedModel = { defs: PLAIN_DEFS, lambda: lambdas.reduce((a, b) => a + b, 0) / lambdas.length, lambdas, m, u: onDob.u, iterations: onNames.iterations + onDob.iterations, converged: onNames.converged && onDob.converged };
  const prob = new Float64Array(total);
  for (let x = 0; x < total; x++) {
    const l = lambdas[group[x]!]!;
    prob[x] = 1 / (1 + 2 ** -(bf[x]! + Math.log2(l / (1 - l))));
  }
  if (process.env.P20_QUALITY_DEBUG) process.stderr.write(`${JSON.stringify({ lambdas: model.lambdas, m: model.m, u: model.u }, null, 1)}\n`);
  // resolve: pairs at match probability >= 0.5, most probable first (one-to-one across parties, duplicates joined by their own links)
  const offsets = [0, parties[0]!.n, parties[0]!.n + parties[1]!.n];
  const N = offsets[2]! + parties[2]!.n;
  const accepted: number[] = [];
  for (let x = 0; x < total; x++) if (prob[x]! >= 0.5) accepted.push(x);
  accepted.sort((x, y) => prob[y]! - prob[x]!);
  const parent = new Int32Array(N);
  for (let i = 0; i < N; i++) parent[i] = i;
  const count = new Uint8Array(N * 3);
  for (let k = 0; k < 3; k++) for (let i = offsets[k]!; i < offsets[k]! + parties[k]!.n; i++) count[i * 3 + k] = 1;
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  // candidate x belongs to cand[group[x]] at position x - start[group]
  const start: number[] = [];
  {
    let s = 0;
    for (const c of cand) {
      start.push(s);
      s += c.pairs.length;
    }
  }
  let links = 0;
  for (const x of accepted) {
    const pp = group[x]!;
    const [p, q] = PARTY_PAIRS[pp]!;
    const nB = parties[q]!.n;
    const code = cand[pp]!.pairs[x - start[pp]!]!;
    const a = Math.floor(code / nB);
    const b = code - a * nB;
    const ra = find(offsets[p]! + a);
    const rb = find(offsets[q]! + b);
    if (ra === rb) continue;
    // two records of one party join a cluster only through a link between them (a duplicate), and at most two
    let ok = true;
    for (let k = 0; k < 3; k++) {
      const ca = count[ra * 3 + k]!;
      const cb = count[rb * 3 + k]!;
      if (ca + cb > 2 || (ca > 0 && cb > 0 && !(p === k && q === k))) ok = false;
    }
    if (!ok) continue;
    parent[rb] = ra;
    for (let k = 0; k < 3; k++) count[ra * 3 + k]! += count[rb * 3 + k]!;
    links++;
  }
  for (const [k, party] of PARTIES.entries()) {
    const P = parties[k]!;
    const lines: string[] = ['record_id,linkage_id,score\n'];
    for (let i = 0; i < P.n; i++) lines.push(`${P.ids[i]},P${find(offsets[k]! + i)},\n`);
    await writeFileAtomic(join(outDir, `${party}.links.csv`), lines.join(''));
  }
  return { seconds: 0, peakMiB: 0, note: `plaintext model: ${total} candidate pairs, ${links} links, mean λ ${model.lambda.toExponential(2)}, EM ${model.iterations} iterations${model.converged ? '' : ' (not converged)'}` };
}

async function runChildStep(argv: string[]): Promise<void> {
  const kind = argv[argv.indexOf('--child') + 1];
  const dir = argv[argv.indexOf('--dir') + 1]!;
  const num = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const workers = num('--workers');
  const maxPerParty = num('--max-per-party');
  const absent = argv.includes('--absent') ? parseAbsent(argv[argv.indexOf('--absent') + 1]!) : [];
  const sampler = rssSampler();
  const t0 = performance.now();
  let r: StepResult;
  if (kind === 'encode') r = await stepEncode(dir, workers, absent);
  else if (kind === 'dice' || kind === 'model') r = await stepLink(dir, kind, workers, maxPerParty, argv.includes('--store'));
  else if (kind === 'plain') r = await stepPlain(dir, absent);
  else throw new Error(`unknown step ${kind}`);
  r.seconds = (performance.now() - t0) / 1000;
  r.peakMiB = peakMiB(sampler.stop());
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function child(args: string[]): Promise<StepResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    c.on('error', reject);
    c.on('close', (code) => {
      if (code !== 0) return reject(new Error(`step ${args.join(' ')} exited with ${code}`));
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as StepResult);
      } catch {
        reject(new Error(`step ${args.join(' ')} printed no figures`));
      }
    });
  });
}

// ───────────────────────────── the run ─────────────────────────────

export interface MethodResult {
  method: Method;
  eval: Evaluation;
  encodeSeconds: number;
  linkSeconds: number;
  seconds: number;
  peakMiB: number;
  note?: string;
  /** The match model's own estimate from the run report (`model.expected`, no truth), beside the truth's figures. */
  expected?: { precision: number; recall: number };
  /** The run report's warnings (with the model: a party pair whose fit falls below its floor of sure pairs). */
  warnings?: string[];
}

export interface SizeResult {
  people: number;
  seed: number;
  rows: Record<string, number>;
  methods: MethodResult[];
  /** Methods whose step failed (message on stderr). */
  failed: Method[];
}

/** The run report's `model.expected` precision and recall (none: no model) and its warnings, in a link output directory (none: no report). */
function modelExpectation(outDir: string): { expected?: { precision: number; recall: number }; warnings: string[] } {
  const f = join(outDir, 'run-report.json');
  if (!existsSync(f)) return { warnings: [] };
  const r = JSON.parse(readFileSync(f, 'utf8')) as { model?: { expected?: { precision: number; recall: number } }; warnings?: string[] };
  const e = r.model?.expected;
  return { ...(e ? { expected: { precision: e.precision, recall: e.recall } } : {}), warnings: r.warnings ?? [] };
}

export interface QualityEvalOptions {
  sizes: number[];
  seed: number;
  methods: Method[];
  workers?: number;
  maxPerParty?: number;
  /** The links keep a registry (a fresh store each run): their seconds include the store step. */
  store?: boolean;
  workDir?: string;
  /** With workDir: reuse the generated data and encodings an earlier run left there (same people, seed). */
  reuse?: boolean;
  /** The generator's names (default short). */
  names?: NameModel;
  /** The generator's extra errors (generateExtracts `extraErrors`). */
  extraErrors?: boolean;
  /** A multiplier of the generator's recording-error rates (generateExtracts `troubleScale`; default 1). */
  troubleScale?: number;
  /** Features a party's extract is encoded without (parseAbsent: `PARTY:FEATURE`). */
  absent?: readonly string[];
  log?: (s: string) => void;
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function runQualityEval(o: QualityEvalOptions): Promise<SizeResult[]> {
  const log = o.log ?? (() => {});
  const work = o.workDir ?? mkdtempSync(join(tmpdir(), 'p20-quality-'));
  mkdirSync(work, { recursive: true });
  const common = [
    ...(o.workers !== undefined ? ['--workers', String(o.workers)] : []),
    ...(o.maxPerParty !== undefined ? ['--max-per-party', String(o.maxPerParty)] : []),
    ...(o.store ? ['--store'] : []),
    ...(o.absent && o.absent.length > 0 ? ['--absent', o.absent.join(',')] : []),
  ];
  const out: SizeResult[] = [];
  try {
    for (const people of o.sizes) {
      const names = o.names ?? 'short';
      const extraErrors = o.extraErrors === true;
      const scale = o.troubleScale ?? 1;
      const without = (o.absent ?? []).map((a) => `-no-${a.replace(':', '.')}`).join('');
      const dir = join(work, `p${people}-s${o.seed}${names === 'short' ? '' : '-lt'}${extraErrors ? '-x' : ''}${scale === 1 ? '' : `-t${scale}`}${without}`);
      // --reuse: data and encodings of an earlier run in the same --keep directory (same people, seed, realism)
      const stepsFile = join(dir, 'steps.json');
      const earlier = o.reuse ? readJson<{ rows?: Record<string, number>; people?: number; seed?: number; realism?: string; names?: string; extraErrors?: boolean; troubleScale?: number }>(join(dir, 'generation.json')) : undefined;
      let rows: Record<string, number>;
      if (earlier?.people === people && earlier.seed === o.seed && earlier.realism === 'full' && (earlier.names ?? 'short') === names && (earlier.extraErrors === true) === extraErrors && (earlier.troubleScale ?? 1) === scale && earlier.rows) {
        log(`reusing the ${people} people (seed ${o.seed}) generated in ${dir}`);
        rows = earlier.rows;
      } else {
        log(`generating ${people} people (seed ${o.seed}, realism full${extraErrors ? ' with extra errors' : ''}${scale === 1 ? '' : `, recording errors ×${scale}`}, names ${names})`);
        rows = {
          ...(await generateExtracts({ people, seed: o.seed, outDir: dir, realism: 'full', names, ...(extraErrors ? { extraErrors } : {}), ...(scale === 1 ? {} : { troubleScale: scale }) })).rows,
        };
        rmSync(stepsFile, { force: true });
      }
      const truth = await readTruthCompact(dir);
      const res: SizeResult = { people, seed: o.seed, rows, methods: [], failed: [] };
      // encodings are reused only when the schema file is still the one they were made with
      const schemaSha = createHash('sha256').update(readFileSync(SCHEMA)).digest('hex');
      const done = o.reuse ? readJson<{ encode?: StepResult; schemaSha256?: string }>(stepsFile) : undefined;
      let enc: StepResult | undefined = done?.schemaSha256 === schemaSha ? done.encode : undefined;
      if (enc && PARTIES.every((p) => existsSync(join(dir, `${p}.enc`)))) log(`reusing the encodings (encoded in ${enc.seconds.toFixed(1)} s, peak ${enc.peakMiB} MiB)`);
      else if (o.methods.some((m) => m !== 'plain')) {
        log('encoding the three files (default schema, fresh secret)');
        enc = await child(['--child', 'encode', '--dir', dir, ...common]);
        writeFileSync(stepsFile, JSON.stringify({ encode: enc, schemaSha256: schemaSha }));
        log(`  encoded in ${enc.seconds.toFixed(1)} s, peak ${enc.peakMiB} MiB`);
      }
      for (const method of o.methods) {
        log(`${method}: ${method === 'plain' ? 'plaintext reference' : 'linking'}`);
        let r: StepResult;
        try {
          r = await child(['--child', method, '--dir', dir, ...common]);
        } catch (e) {
          // one method failing (e.g. out of memory) does not lose the others' figures
          log(`  ${method} failed: ${(e as Error).message}`);
          res.failed.push(method);
          continue;
        }
        const cluster = await readClusters(truth, join(dir, `out-${method}`));
        const ev = evaluate(truth, cluster);
        const encodeSeconds = method === 'plain' ? 0 : enc!.seconds;
        const { expected, warnings } = modelExpectation(join(dir, `out-${method}`));
        res.methods.push({
          method,
          eval: ev,
          encodeSeconds,
          linkSeconds: r.seconds,
          seconds: encodeSeconds + r.seconds,
          peakMiB: Math.max(r.peakMiB, method === 'plain' ? 0 : enc!.peakMiB),
          ...(r.note !== undefined ? { note: r.note } : {}),
          ...(expected ? { expected } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
        });
        log(`  ${method}: ${r.seconds.toFixed(1)} s, peak ${r.peakMiB} MiB; P ${ev.precision.toFixed(4)} R ${ev.recall.toFixed(4)} F1 ${ev.f1.toFixed(4)}${r.note ? ` (${r.note})` : ''}`);
        if (expected) log(`  ${method}: the model's own estimate (run report, no truth): P ${expected.precision.toFixed(4)} R ${expected.recall.toFixed(4)}`);
        for (const w of warnings) log(`  ${method}: run report warning: ${w}`);
      }
      out.push(res);
    }
    return out;
  } finally {
    if (!o.workDir) rmSync(work, { recursive: true, force: true });
  }
}

const f4 = (x: number) => x.toFixed(4);
const pts = (x: number) => x.toFixed(1);

export function formatSize(s: SizeResult): string {
  const L: string[] = [];
  const seedKind = (TUNING_SEEDS as readonly number[]).includes(s.seed) ? 'tuning seed' : (EVALUATION_SEEDS as readonly number[]).includes(s.seed) ? 'evaluation seed' : 'seed';
  L.push(`\n== ${s.people.toLocaleString('en-US')} people (${seedKind} ${s.seed}; k12 ${s.rows.k12}, college ${s.rows.college}, wages ${s.rows.wages} rows)`);
  L.push(`method  precision  recall      F1  raceGap  sexGap  encode s  link s  total s  peak MiB`);
  for (const m of s.methods) {
    const e = m.eval;
    L.push(`${m.method.padEnd(6)}  ${f4(e.precision).padStart(9)}  ${f4(e.recall).padStart(6)}  ${f4(e.f1).padStart(6)}  ${pts(e.raceGap).padStart(7)}  ${pts(e.sexGap).padStart(6)}  ${m.encodeSeconds.toFixed(1).padStart(8)}  ${m.linkSeconds.toFixed(1).padStart(6)}  ${m.seconds.toFixed(1).padStart(7)}  ${String(m.peakMiB).padStart(8)}${m.note ? `   ${m.note}` : ''}`);
  }
  for (const f of s.failed) L.push(`${f.padEnd(6)}  failed (see the messages above)`);
  const ms = s.methods;
  L.push(`per party pair (precision / recall; true pairs):`);
  for (let k = 0; k < PARTY_PAIRS.length; k++) {
    const t = ms[0]?.eval.byPartyPair[k]?.truePairs ?? 0;
    L.push(`  ${ppName(k).padEnd(16)} ${String(t).padStart(8)}   ${ms.map((m) => `${m.method} ${f4(m.eval.byPartyPair[k]!.precision)} / ${f4(m.eval.byPartyPair[k]!.recall)}`).join('   ')}`);
  }
  L.push(`recall by race/ethnicity (true pairs; groups under ${MIN_GROUP_PAIRS} pairs are left out of the gap):`);
  for (let g = 0; g < GROUPS.length; g++) {
    L.push(`  ${GROUPS[g]!.padEnd(17)} ${String(ms[0]?.eval.byGroup[g]?.truePairs ?? 0).padStart(8)}   ${ms.map((m) => `${m.method} ${f4(m.eval.byGroup[g]!.recall)}`).join('   ')}`);
  }
  L.push('recall by sex:');
  for (let g = 0; g < 2; g++) L.push(`  ${(g === 0 ? 'F' : 'M').padEnd(17)} ${String(ms[0]?.eval.bySex[g]?.truePairs ?? 0).padStart(8)}   ${ms.map((m) => `${m.method} ${f4(m.eval.bySex[g]!.recall)}`).join('   ')}`);
  L.push('share of true pairs missed, by trouble on either record:');
  const kinds = ms[0]?.eval.byTrouble.map((x) => x.trouble) ?? [];
  for (const k of kinds) {
    const row = ms.map((m) => m.eval.byTrouble.find((x) => x.trouble === k)!);
    L.push(`  ${k.padEnd(20)} ${String(row[0]!.truePairs).padStart(8)}   ${ms.map((m, i) => `${m.method} ${(100 * row[i]!.missed).toFixed(1).padStart(5)}%`).join('   ')}`);
  }
  if (ms[0]) {
    const byRace = [...ms[0].eval.gapsWithout].sort((a, b) => a.raceGap - b.raceGap).map((x) => x.trouble);
    L.push(`race and sex gaps on the true pairs without one trouble on either record (points; all pairs: ${ms.map((m) => `${m.method} ${pts(m.eval.raceGap)} / ${pts(m.eval.sexGap)}`).join('   ')}):`);
    for (const k of byRace) {
      const row = ms.map((m) => m.eval.gapsWithout.find((x) => x.trouble === k)!);
      L.push(`  ${k.padEnd(20)} ${ms.map((m, i) => `${m.method} ${pts(row[i]!.raceGap).padStart(4)} / ${pts(row[i]!.sexGap).padStart(4)}`).join('   ')}`);
    }
  }
  L.push(`false pairs within one family (twins, siblings): ${ms.map((m) => `${m.method} ${m.eval.falseFamily} of ${m.eval.linkedPairs - m.eval.tp}`).join('   ')}`);
  return L.join('\n');
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    await runChildStep(process.argv);
    return;
  }
  const sizes = (arg('--people') ?? process.env.P20_QUALITY_PEOPLE ?? '20000,200000').split(',').map((x) => Number(x.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n < 100)) {
    process.stderr.write('eval:quality: --people takes whole numbers of at least 100, comma separated\n');
    process.exitCode = 2;
    return;
  }
  const seed = Number(arg('--seed') ?? (process.argv.includes('--tuning') ? TUNING_SEEDS[0] : EVALUATION_SEEDS[0]));
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    process.stderr.write('eval:quality: --seed takes a whole number from 0 to 4294967295\n');
    process.exitCode = 2;
    return;
  }
  const methods = (arg('--methods') ?? METHODS.join(',')).split(',') as Method[];
  if (methods.some((m) => !METHODS.includes(m))) {
    process.stderr.write(`eval:quality: --methods takes ${METHODS.join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const names = (arg('--names') ?? 'short') as NameModel;
  if (!NAME_MODELS.includes(names)) {
    process.stderr.write(`eval:quality: --names takes ${NAME_MODELS.join(' or ')}\n`);
    process.exitCode = 2;
    return;
  }
  const workers = arg('--workers');
  const mpp = arg('--max-per-party');
  const keep = arg('--keep');
  const troubleScale = Number(arg('--trouble-scale') ?? '1');
  if (!(Number.isFinite(troubleScale) && troubleScale > 0 && troubleScale <= 100)) {
    process.stderr.write('eval:quality: --trouble-scale takes a number above 0 and at most 100\n');
    process.exitCode = 2;
    return;
  }
  let absent: string[] = [];
  try {
    absent = arg('--absent') !== undefined ? parseAbsent(arg('--absent')!) : [];
  } catch (e) {
    process.stderr.write(`eval:quality: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const results = await runQualityEval({
    sizes,
    seed,
    methods,
    names,
    ...(process.argv.includes('--extra-errors') ? { extraErrors: true } : {}),
    ...(troubleScale !== 1 ? { troubleScale } : {}),
    ...(absent.length > 0 ? { absent } : {}),
    ...(workers !== undefined ? { workers: Number(workers) } : {}),
    ...(mpp !== undefined ? { maxPerParty: Number(mpp) } : {}),
    ...(process.argv.includes('--store') ? { store: true } : {}),
    ...(keep !== undefined ? { workDir: keep, reuse: process.argv.includes('--reuse') } : {}),
    log: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(`linkage quality: three agencies (K-12, college, wages), realism full${process.argv.includes('--extra-errors') ? ' with extra errors' : ''}${troubleScale !== 1 ? `, recording errors ×${troubleScale}` : ''}${absent.length > 0 ? `, encoded without ${absent.join(', ')}` : ''}, names ${names}, default schema, pairwise against the truth\n`);
  for (const s of results) process.stdout.write(`${formatSize(s)}\n`);
  // the model's figures; when --methods left it out, the first method's (named); when it failed, nulls (exit 1)
  const round = (x: number, d: number) => Number(x.toFixed(d));
  const sizesOut = results.map((s) => {
    const ranModel = methods.includes('model');
    const m = ranModel ? s.methods.find((x) => x.method === 'model') : s.methods[0];
    if (!m) {
      process.exitCode = 1;
      return { people: s.people, precision: null, recall: null, f1: null, raceGap: null, sexGap: null, seconds: null, peakMiB: null };
    }
    return {
      people: s.people,
      method: m.method,
      precision: round(m.eval.precision, 4),
      recall: round(m.eval.recall, 4),
      f1: round(m.eval.f1, 4),
      raceGap: round(m.eval.raceGap, 2),
      sexGap: round(m.eval.sexGap, 2),
      seconds: round(m.seconds, 1),
      peakMiB: m.peakMiB,
    };
  });
  process.stdout.write(`${JSON.stringify({ sizes: sizesOut })}\n`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
