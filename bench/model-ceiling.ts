/**
 * `npm run eval:ceiling -- --dir DIR`: how much of what the match model's
 * comparison levels can tell does the model use? (docs/match-model.md,
 * "session 15"). DIR is one size of `npm run eval:quality -- --keep`
 * (generated extracts, their encodings and the truth: `<keep>/p200000-s1501`).
 *
 * One `--model fs` link of the three encoded files; then the same
 * candidates and the same resolution (`ModelFit.resolve`) with six sets of
 * weights, each scored pairwise against the truth:
 *
 *   model            the run's own weights (what the linker writes)
 *   level oracle     m, u and the priors counted on the truth, level by
 *                    level (the best a perfectly calibrated model with these
 *                    comparisons, independent given the class, can do)
 *   pattern ceiling  log odds of each whole comparison vector, counted on the
 *                    truth (within-file and cross-file pairs apart; counted
 *                    on one half of the candidates and applied to the other,
 *                    so a rare vector does not learn its own answer), within-file
 *                    pairs linked at even odds, no second record through a
 *                    cross-file edge: what the levels carry, whatever the model
 *   model + sex      the run's weights plus what each record's sex would add
 *                    to `name_dob` (sexSplitWeights, counted on the truth),
 *                    on its one-name levels (1) or on all (all): what sex
 *                    seen by the linker could gain at most there; and
 *                    (sex agrees) with both F and both M as one class, at
 *                    every level: what only the agreement of the two
 *                    records' sex could gain at most
 *   pattern + crowd  the pattern ceiling with each candidate's name crowd
 *                    (nameCrowdClasses: how many records of each file hold
 *                    its identical first_dob and last_dob filters) beside
 *                    its vector: what term frequency of the name + date
 *                    could add at most
 *
 * With `--swaps`, also the run's model with one comparison's m and u
 * counted on the truth, for each comparison, and with every m counted on
 * the truth (`oracleSwaps`), resolved with the run's duplicate bars: where
 * the model's own estimates lose precision or recall.
 *
 * plus candidate recall (true pairs among the candidates), where the
 * true pairs the model misses are lost (`lossStages`: never a candidate,
 * below the decision, or kept apart by resolution; overall and per kind of
 * trouble), and what the two generated records of each of the model's
 * false links share (`falseLinkFields`). Bench only: it needs the truth.
 * Last line: one JSON object of the figures.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { linkFiles, type ModelFit } from '../src/index.js';
import { loadParty } from '../src/link/load.js';
import { filterHashes } from '../src/link/model/compare.js';
import { jobBars } from '../src/link/link-files.js';
import { indexClusters, membersOf } from '../src/link/resolve/cluster.js';
import { levelWeights, matchWeights, NULL_LEVEL, type FittedModel } from '../src/link/model/index.js';
import { PARTIES } from '../src/synth/agencies.js';
import { evaluate, Interner, readPlain, readTruthCompact, recordOf, SCHEMA, type Evaluation, type Plain, type Truth } from './eval-quality.js';


/** Which half of the candidates pair p is in (the counted-on-the-other-half weights: patternWeights, sexSplitWeights). */
const half = (p: number): number => (Math.imul(p, 0x9e3779b1) >>> 31) & 1;

/** Pseudo counts of the pattern ceiling's log odds: a vector seen on neither half is a non-match. */
const PATTERN_PSEUDO_TRUE = 0.1;
const PATTERN_PSEUDO_FALSE = 1;

export interface CeilingRow {
  precision: number;
  recall: number;
  f1: number;
  raceGap: number;
  sexGap: number;
}

/** Truth record of every linker record (index = party offset + record), -1 when the truth does not know it. */
export function truthRecords(fit: ModelFit, t: Truth): Int32Array {
  const n = fit.parties.reduce((s, p) => Math.max(s, p.offset + p.ids.length), 0);
  const rec = new Int32Array(n).fill(-1);
  for (const p of fit.parties) {
    const k = (PARTIES as readonly string[]).indexOf(p.name);
    if (k < 0) continue;
    p.ids.forEach((id, r) => (rec[p.offset + r] = recordOf(t, k, id)));
  }
  return rec;
}

/** Every candidate pair in the vectors' order: its index and its two records (party offset + record). */
function forEachCandidate(fit: Pick<ModelFit, 'jobs' | 'parties' | 'candidates'>, f: (at: number, ga: number, gb: number) => void): void {
  let at = 0;
  fit.jobs.forEach(([i, j], k) => {
    const c = fit.candidates[k]!;
    const oa = fit.parties[i]!.offset;
    const ob = fit.parties[j]!.offset;
    for (let x = 0; x < c.a.length; x++, at++) f(at, oa + c.a[x]!, ob + c.b[x]!);
  });
}

/** 1 for each candidate pair whose two records are one person. */
export function candidateTruth(fit: ModelFit, t: Truth, rec: Int32Array): Uint8Array {
  const out = new Uint8Array(fit.vectors.count);
  forEachCandidate(fit, (at, ga, gb) => {
    const ra = rec[ga]!;
    const rb = rec[gb]!;
    out[at] = ra >= 0 && rb >= 0 && t.entity[ra] === t.entity[rb] ? 1 : 0;
  });
  return out;
}

/** m, u (per level, half a pseudo count) and one prior per job, counted on the truth. */
export function levelOracle(fit: ModelFit, truth: Uint8Array): FittedModel {
  const v = fit.vectors;
  const K = v.defs.length;
  const m = v.defs.map((d) => new Float64Array(d.levels.length).fill(0.5));
  const u = v.defs.map((d) => new Float64Array(d.levels.length).fill(0.5));
  const matches = new Float64Array(fit.jobs.length);
  const pairs = new Float64Array(fit.jobs.length);
  for (let p = 0; p < v.count; p++) {
    const g = v.group![p]!;
    pairs[g]!++;
    if (truth[p]) matches[g]!++;
    const side = truth[p] ? m : u;
    for (let k = 0; k < K; k++) {
      const l = v.levels[p * K + k]!;
      if (l !== NULL_LEVEL) side[k]![l]!++;
    }
  }
  const norm = (a: Float64Array): number[] => {
    const s = a.reduce((x, y) => x + y, 0);
    return Array.from(a, (x) => x / s);
  };
  const lambdas = Array.from(matches, (x, g) => Math.min(1 - 1e-9, Math.max(1e-9, x / Math.max(1, pairs[g]!))));
  return { defs: v.defs, m: m.map(norm), u: u.map(norm), lambdas, lambda: matches.reduce((a, b) => a + b, 0) / Math.max(1, pairs.reduce((a, b) => a + b, 0)), iterations: 0, converged: true };
}

/**
 * Log odds of each candidate's whole comparison vector (within-file and
 * cross-file apart), counted on the other half of the candidates.
 */
export function patternWeights(fit: ModelFit, truth: Uint8Array, extra?: Uint8Array): Float64Array {
  const v = fit.vectors;
  const K = v.defs.length;
  // a vector as one number: 4 bits per level (NULL_LEVEL as 15), then within-file or not, then the extra class (< 8)
  if (K > 12 || v.defs.some((d) => d.levels.length > 15)) throw new Error('pattern ceiling: more comparisons or levels than a pattern key holds');
  const keys = new Float64Array(v.count);
  const counts = [new Map<number, [number, number]>(), new Map<number, [number, number]>()];
  for (let p = 0; p < v.count; p++) {
    const [i, j] = fit.jobs[v.group![p]!]!;
    let key = i === j ? 1 : 0;
    for (let k = 0; k < K; k++) {
      const l = v.levels[p * K + k]!;
      key = key * 16 + (l === NULL_LEVEL ? 15 : l);
    }
    if (extra) key = key * 8 + extra[p]!;
    keys[p] = key;
    const m = counts[half(p)]!;
    const c = m.get(key) ?? [0, 0];
    c[truth[p] ? 0 : 1]++;
    m.set(key, c);
  }
  const w = new Float64Array(v.count);
  for (let p = 0; p < v.count; p++) {
    const c = counts[1 - half(p)]!.get(keys[p]!) ?? [0, 0];
    w[p] = Math.log2((c[0] + PATTERN_PSEUDO_TRUE) / (c[1] + PATTERN_PSEUDO_FALSE));
  }
  return w;
}

/** Classes of `nameCrowdClasses`: how many records hold a candidate's identical first name + date and surname + date. */
export const CROWD_LABELS = ['not identical', 'unique in both files', 'twice in one file', 'twice in both', '3-5 in a file', 'more than 5 in a file'] as const;

/** Class of a value held by ca records of one file and cb of the other (ca, cb >= 1). */
export function crowdClass(ca: number, cb: number): number {
  const hi = Math.max(ca, cb);
  if (hi === 1) return 1;
  if (hi === 2) return Math.min(ca, cb) === 2 ? 3 : 2;
  return hi <= 5 ? 4 : 5;
}

/** True and false candidates of each crowd class. */
export function crowdCounts(crowd: Uint8Array, truth: Uint8Array): CeilingResult['crowdCounts'] {
  const out = CROWD_LABELS.map((c) => ({ crowd: c, truePairs: 0, falsePairs: 0 }));
  for (let p = 0; p < crowd.length; p++) {
    const o = out[crowd[p]!]!;
    if (truth[p]) o.truePairs++;
    else o.falsePairs++;
  }
  return out;
}

/**
 * For each candidate whose first_dob filters and last_dob filters are both
 * identical (the same first word + date and surname + date), how many records
 * of each file hold that pair of values (CROWD_LABELS): the term frequency of
 * a name and birth date the linker can count from the filters it holds.
 * Within one file, the pair itself counts as its two records (a value held by
 * the two alone is "unique in both files"). Others: class 0. `hashes`: per
 * party (fit.parties order), each record's first_dob and last_dob filter hash
 * (filterHashes).
 */
export function nameCrowdClasses(fit: Pick<ModelFit, 'jobs' | 'parties' | 'candidates' | 'vectors'>, hashes: readonly { fd: Float64Array; ld: Float64Array }[]): Uint8Array {
  const key = (h: { fd: Float64Array; ld: Float64Array }, r: number): string => `${h.fd[r]}:${h.ld[r]}`;
  const counts = hashes.map((h) => {
    const c = new Map<string, number>();
    for (let r = 0; r < h.fd.length; r++) {
      const k = key(h, r);
      c.set(k, (c.get(k) ?? 0) + 1);
    }
    return c;
  });
  const out = new Uint8Array(fit.vectors.count);
  // a name or the date missing (name_dob null): no value to count
  const K = fit.vectors.defs.length;
  const nd = fit.vectors.defs.findIndex((d) => d.name === 'name_dob');
  let at = 0;
  fit.jobs.forEach(([i, j], g) => {
    const c = fit.candidates[g]!;
    const A = hashes[i]!;
    const B = hashes[j]!;
    for (let x = 0; x < c.a.length; x++, at++) {
      const a = c.a[x]!;
      const b = c.b[x]!;
      if (nd >= 0 && fit.vectors.levels[at * K + nd] === NULL_LEVEL) continue;
      if (A.fd[a] !== B.fd[b] || A.ld[a] !== B.ld[b]) continue;
      const k = key(A, a);
      out[at] = i === j ? crowdClass(counts[i]!.get(k)! - 1, counts[i]!.get(k)! - 1) : crowdClass(counts[i]!.get(k)!, counts[j]!.get(k)!);
    }
  });
  return out;
}

/**
 * The model's weights plus what the records' sex would add to `name_dob`
 * (`levels`: at its one-name levels `first+dob…` and `last+dob…` only, or at
 * every level): for each such candidate, log2 of its sex class's share
 * (both F, both M, mixed) among the level's true pairs over its share among
 * the level's false pairs, counted on the other half of the candidates.
 * What a comparison stratified by sex could gain at most, if the linker were
 * given each record's sex (it is not: sex is only hashed, with the names,
 * though an attacker who knows some women reads it back: docs/attacks.md).
 * With `classes` 'agreement', both F and both M are one class: what the
 * linker could gain at most if it saw only whether the two records' sex
 * agrees, not which it is.
 */
export function sexSplitWeights(fit: ModelFit, truth: Uint8Array, sexOf: Uint8Array, levels: 'one-name' | 'all' = 'one-name', classes: 'sex' | 'agreement' = 'sex'): Float64Array {
  const v = fit.vectors;
  const K = v.defs.length;
  const k = v.defs.findIndex((d) => d.name === 'name_dob');
  const w = Float64Array.from(fit.weights);
  if (k < 0) return w;
  const oneName = v.defs[k]!.levels.map((l) => levels === 'all' || l.startsWith('first+dob') || l.startsWith('last+dob'));
  const L = oneName.length;
  // counts[half][(level * 3 + class) * 2 + truth]
  const counts = [new Float64Array(L * 6), new Float64Array(L * 6)];
  const cls = new Uint8Array(v.count).fill(255);
  forEachCandidate(fit, (p, ga, gb) => {
    const l = v.levels[p * K + k]!;
    if (l === NULL_LEVEL || !oneName[l]) return;
    const a = sexOf[ga]!;
    const b = sexOf[gb]!;
    cls[p] = a === b && a < 2 ? (classes === 'sex' ? a : 0) : 2;
    counts[half(p)]![(l * 3 + cls[p]!) * 2 + truth[p]!]!++;
  });
  for (let p = 0; p < v.count; p++) {
    if (cls[p] === 255) continue;
    const c = counts[1 - half(p)]!;
    const l = v.levels[p * K + k]!;
    let t = 0;
    let f = 0;
    for (let x = 0; x < 3; x++) {
      t += c[(l * 3 + x) * 2 + 1]!;
      f += c[(l * 3 + x) * 2]!;
    }
    const ts = c[(l * 3 + cls[p]!) * 2 + 1]!;
    const fs = c[(l * 3 + cls[p]!) * 2]!;
    w[p] = w[p]! + Math.log2(((ts + 0.5) / (t + 1.5)) / ((fs + 0.5) / (f + 1.5)));
  }
  return w;
}

function scoreLabels(t: Truth, rec: Int32Array, label: Uint32Array): Evaluation {
  const cluster = new Float64Array(t.n);
  for (let r = 0; r < t.n; r++) cluster[r] = -(r + 1);
  for (let x = 0; x < rec.length; x++) if (rec[x]! >= 0) cluster[rec[x]!] = label[x]!;
  return evaluate(t, cluster);
}

const row = (e: Evaluation): CeilingRow => ({ precision: e.precision, recall: e.recall, f1: e.f1, raceGap: e.raceGap, sexGap: e.sexGap });

export interface CeilingResult {
  records: number;
  candidates: number;
  candidateRecall: number;
  model: CeilingRow;
  levelOracle: CeilingRow;
  patternCeiling: CeilingRow;
  /** The pattern ceiling with each candidate's name crowd class beside its vector (nameCrowdClasses): what term frequency of the name + date values could add. */
  patternCrowd: CeilingRow;
  /** True and false candidates per name crowd class (CROWD_LABELS order). */
  crowdCounts: { crowd: string; truePairs: number; falsePairs: number }[];
  /** The model's weights with the records' sex on name_dob's one-name levels (sexSplitWeights, counted on the truth). */
  sexSplit: CeilingRow;
  /** The same at every level of name_dob (sex agreeing or not, and which). */
  sexSplitAll: CeilingRow;
  /** At every level of name_dob, whether the sex agrees only (both F and both M one class). */
  sexAgreeAll: CeilingRow;
  /**
   * The levels whose weight the model misses most: |level oracle's weight −
   * the model's| times the smaller of the level's true and false candidates
   * (a level of one class only decides nothing), worst first.
   */
  missWeighted: { comparison: string; level: string; truePairs: number; falsePairs: number; model: number; oracle: number }[];
  /** Where the model's missed true pairs are lost (lossStages), overall and per trouble kind. */
  losses: LossRow[];
  /** With `swaps`: the run's model with one comparison's m and u, or every m, counted on the truth (oracleSwaps). */
  swaps?: ({ swap: string } & CeilingRow)[];
  /** The model's false links by what their records share (falseLinkFields). */
  falseLinks: FalseLinkRow[];
}

/** The `top` levels by |oracle weight − model weight| × min(true, false candidates at the level). */
export function missWeightedLevels(fit: ModelFit, oracle: FittedModel, truth: Uint8Array, top = 12): CeilingResult['missWeighted'] {
  const v = fit.vectors;
  const K = v.defs.length;
  const n = v.defs.map((d) => [new Float64Array(d.levels.length), new Float64Array(d.levels.length)] as const);
  for (let p = 0; p < v.count; p++) {
    for (let k = 0; k < K; k++) {
      const l = v.levels[p * K + k]!;
      if (l !== NULL_LEVEL) n[k]![truth[p] ? 0 : 1]![l]!++;
    }
  }
  const mw = levelWeights(fit.model);
  const ow = levelWeights(oracle);
  const rows = v.defs.flatMap((d, k) => d.levels.map((level, l) => ({ comparison: d.name, level, truePairs: n[k]![0]![l]!, falsePairs: n[k]![1]![l]!, model: mw[k]![l]!, oracle: ow[k]![l]! })));
  const impact = (r: (typeof rows)[number]) => Math.abs(r.oracle - r.model) * Math.min(r.truePairs, r.falsePairs);
  return rows.sort((a, b) => impact(b) - impact(a)).slice(0, top);
}

/** Where the true pairs of one kind of trouble (or all of them) end up. */
export interface LossRow {
  /** A trouble kind (either record has it), or 'all'. */
  trouble: string;
  truePairs: number;
  linked: number;
  /** Not linked, and never proposed by a candidate pass. */
  neverCandidate: number;
  /** Not linked: a candidate whose weight is below the decision. */
  belowDecision: number;
  /** Not linked although its weight reaches the decision: resolution kept the records apart (one record per party, the duplicate bar). */
  apartAboveDecision: number;
}

/**
 * Every true pair (two records of one entity, across parties or within one)
 * in exactly one stage: linked (the same cluster, directly or through other
 * records), never a candidate, a candidate below the decision, or a
 * candidate at or above it that resolution kept apart. One row for all
 * pairs, then one per trouble kind of either record, most missed first.
 */
export function lossStages(
  fit: Pick<ModelFit, 'jobs' | 'parties' | 'candidates' | 'weights' | 'decisionW'>,
  entityOf: Int32Array,
  troubleOf: Uint32Array,
  kinds: readonly string[],
  label: Uint32Array,
): LossRow[] {
  const n = entityOf.length;
  // weight of each candidate pair between two records of one entity (key: lower record * n + higher)
  const weightOf = new Map<number, number>();
  forEachCandidate(fit, (at, ga, gb) => {
    if (entityOf[ga]! >= 0 && entityOf[ga] === entityOf[gb]) weightOf.set(Math.min(ga, gb) * n + Math.max(ga, gb), fit.weights[at]!);
  });
  const rows: LossRow[] = ['all', ...kinds].map((trouble) => ({ trouble, truePairs: 0, linked: 0, neverCandidate: 0, belowDecision: 0, apartAboveDecision: 0 }));
  const byEntity = new Map<number, number[]>();
  for (let g = 0; g < n; g++) {
    const e = entityOf[g]!;
    if (e < 0) continue;
    const l = byEntity.get(e);
    if (l) l.push(g);
    else byEntity.set(e, [g]);
  }
  for (const recs of byEntity.values()) {
    for (let x = 0; x < recs.length; x++) {
      for (let y = x + 1; y < recs.length; y++) {
        const ga = recs[x]!;
        const gb = recs[y]!;
        const w = weightOf.get(ga * n + gb);
        const stage: Exclude<keyof LossRow, 'trouble' | 'truePairs'> = label[ga] === label[gb] ? 'linked' : w === undefined ? 'neverCandidate' : w < fit.decisionW ? 'belowDecision' : 'apartAboveDecision';
        const bits = troubleOf[ga]! | troubleOf[gb]!;
        for (let r = 0; r < rows.length; r++) {
          if (r > 0 && (bits & (1 << (r - 1))) === 0) continue;
          rows[r]!.truePairs++;
          rows[r]![stage]++;
        }
      }
    }
  }
  const missed = (r: LossRow) => r.truePairs - r.linked;
  return [rows[0]!, ...rows.slice(1).filter((r) => r.truePairs > 0).sort((a, b) => missed(b) - missed(a))];
}

/** Fields of the false-link table (falseLinkFields), in the order of their letters. */
export const SHARED_FIELDS = ['F first name', 'L surname', 'D birth date', 'S sex', 'Z ZIP', 'M middle initial'] as const;

export interface FalseLinkRow {
  /** Per field of SHARED_FIELDS: its letter when both records hold it and agree, lower case when either lacks it, left out when they differ. */
  shared: string;
  pairs: number;
  /** Of them, pairs of two people of one family (twins, siblings). */
  family: number;
}

/**
 * The model's false links by what their two records share: every pair of
 * records of different people (entityOf; -1, unknown to the truth, is
 * nobody else) that `label` puts in one cluster, counted by its row of
 * SHARED_FIELDS (`value(g, f)`: field f of record g, -1 or 0 missing),
 * most pairs first, then by the row's text.
 */
export function falseLinkFields(label: Uint32Array, entityOf: Int32Array, familyOf: Int32Array, value: (g: number, f: number) => number): FalseLinkRow[] {
  const ci = indexClusters(label);
  const rows = new Map<string, FalseLinkRow>();
  const letters = SHARED_FIELDS.map((f) => f[0]!);
  for (let c = 0; c < ci.count; c++) {
    const members = membersOf(ci, c);
    for (let x = 0; x < members.length; x++) {
      for (let y = x + 1; y < members.length; y++) {
        const ga = members[x]!;
        const gb = members[y]!;
        const ea = entityOf[ga]!;
        const eb = entityOf[gb]!;
        if (ea >= 0 && ea === eb) continue;
        let shared = '';
        letters.forEach((l, f) => {
          const va = value(ga, f);
          const vb = value(gb, f);
          if (va <= 0 || vb <= 0) shared += l.toLowerCase();
          else if (va === vb) shared += l;
        });
        const row = rows.get(shared) ?? { shared, pairs: 0, family: 0 };
        row.pairs++;
        if (ea >= 0 && eb >= 0 && familyOf[ea] === familyOf[eb]) row.family++;
        rows.set(shared, row);
      }
    }
  }
  return [...rows.values()].sort((a, b) => b.pairs - a.pairs || (a.shared < b.shared ? -1 : a.shared > b.shared ? 1 : 0));
}

/** Each linker record's generated fields (SHARED_FIELDS order; -1 or 0 missing), read from the directory's CSVs. */
async function recordFields(dir: string, fit: ModelFit): Promise<(g: number, f: number) => number> {
  const names = new Interner();
  const n = fit.parties.reduce((s, p) => Math.max(s, p.offset + p.ids.length), 0);
  const cols = SHARED_FIELDS.map(() => new Int32Array(n).fill(-1));
  for (const p of fit.parties) {
    const plain: Plain = await readPlain(dir, p.name, names);
    const row = new Map<string, number>();
    plain.ids.forEach((id, r) => row.set(id, r));
    p.ids.forEach((id, r) => {
      const x = row.get(id);
      if (x === undefined) return;
      const g = p.offset + r;
      // names interned from 0: shifted so that 0 and below mean missing
      [plain.first[x]! + 1, plain.last[x]! + 1, plain.dob[x]!, plain.sex[x]!, plain.zip[x]!, plain.middle[x]!].forEach((v, f) => (cols[f]![g] = v));
    });
  }
  return (g, f) => cols[f]![g]!;
}

/**
 * The run's model with the level oracle's m and u for one comparison at a
 * time (named by the comparison), then with every m the oracle's and the
 * model's u ("every m"); priors and everything else the model's.
 */
export function oracleSwaps(model: FittedModel, oracle: FittedModel): { swap: string; model: FittedModel }[] {
  const one = model.defs.map((d, k) => ({
    swap: d.name,
    model: { ...model, m: model.m.map((x, j) => (j === k ? oracle.m[k]! : x)), u: model.u.map((x, j) => (j === k ? oracle.u[k]! : x)) },
  }));
  return [...one, { swap: 'every m', model: { ...model, m: oracle.m } }];
}

/** Link the encoded files of an eval:quality directory with the model and score the weightings of this module's header (`swaps`: also oracleSwaps). */
export async function runCeiling(dir: string, workers?: number, swaps = false): Promise<CeilingResult> {
  const out = mkdtempSync(join(tmpdir(), 'p20-ceiling-'));
  let fit: ModelFit | undefined;
  try {
    await linkFiles({ inputs: PARTIES.map((p) => ({ file: join(dir, `${p}.enc`) })), outDir: out, schema: SCHEMA, model: 'fs', onModelFit: (f) => (fit = f), ...(workers !== undefined ? { workers } : {}) });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  if (!fit) throw new Error('the link did not fit a match model');
  const t = await readTruthCompact(dir);
  const rec = truthRecords(fit, t);
  const truth = candidateTruth(fit, t, rec);
  const modelLabel = fit.resolve(fit.weights);
  const model = scoreLabels(t, rec, modelLabel);
  const oracle = levelOracle(fit, truth);
  const names = fit.parties.map((p) => p.name);
  const oracleW = matchWeights(oracle, fit.vectors);
  const level = scoreLabels(t, rec, fit.resolve(oracleW, jobBars(oracle, fit.jobs, names, fit.decisionW)));
  const patBars = fit.jobs.map(([i, j]) => (i === j ? fit!.decisionW : Number.POSITIVE_INFINITY));
  const pattern = scoreLabels(t, rec, fit.resolve(patternWeights(fit, truth), patBars));
  const hashes = [];
  for (const p of fit.parties) {
    const d = await loadParty(join(dir, `${p.name}.enc`));
    const f = (name: string): Float64Array => {
      const e = d.evidence?.find((x) => x.name === name);
      if (!e) throw new Error(`${p.name}.enc: no ${name} filter`);
      return filterHashes(e.bytes, e.stride, d.ids.length);
    };
    hashes.push({ fd: f('first_dob'), ld: f('last_dob') });
  }
  const crowd = nameCrowdClasses(fit, hashes);
  const patternCrowd = scoreLabels(t, rec, fit.resolve(patternWeights(fit, truth, crowd), patBars));
  const sexOf = Uint8Array.from(rec, (r) => (r >= 0 ? t.sex[t.entity[r]!]! : 3));
  const sexSplit = scoreLabels(t, rec, fit.resolve(sexSplitWeights(fit, truth, sexOf)));
  const sexSplitAll = scoreLabels(t, rec, fit.resolve(sexSplitWeights(fit, truth, sexOf, 'all')));
  const sexAgreeAll = scoreLabels(t, rec, fit.resolve(sexSplitWeights(fit, truth, sexOf, 'all', 'agreement')));
  const trueCandidates = truth.reduce((s, x) => s + x, 0);
  const entityOf = Int32Array.from(rec, (r) => (r >= 0 ? t.entity[r]! : -1));
  const troubleOf = Uint32Array.from(rec, (r) => (r >= 0 ? t.trouble[r]! : 0));
  const falseLinks = falseLinkFields(modelLabel, entityOf, t.family, await recordFields(dir, fit));
  const swapRows = swaps ? oracleSwaps(fit.model, oracle).map((x) => ({ swap: x.swap, ...row(scoreLabels(t, rec, fit!.resolve(matchWeights(x.model, fit!.vectors), fit!.bars))) })) : undefined;
  return { records: rec.length, candidates: fit.vectors.count, candidateRecall: trueCandidates / model.truePairs, model: row(model), levelOracle: row(level), patternCeiling: row(pattern), patternCrowd: row(patternCrowd), crowdCounts: crowdCounts(crowd, truth), sexSplit: row(sexSplit), sexSplitAll: row(sexSplitAll), sexAgreeAll: row(sexAgreeAll), missWeighted: missWeightedLevels(fit, oracle, truth), losses: lossStages(fit, entityOf, troubleOf, t.troubleKinds, modelLabel), falseLinks, ...(swapRows ? { swaps: swapRows } : {}) };
}

/** Rows of the false-link table printed (the most frequent). */
const FALSE_LINK_ROWS = 12;

async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const dir = arg('--dir');
  if (!dir) {
    process.stderr.write('usage: eval:ceiling -- --dir <eval:quality --keep directory of one size, e.g. keep/p200000-s1501> [--workers N] [--swaps]\n');
    process.exit(2);
  }
  const workers = arg('--workers');
  const r = await runCeiling(dir, workers !== undefined ? Number(workers) : undefined, process.argv.includes('--swaps'));
  const f = (x: number) => x.toFixed(4);
  process.stdout.write(`${dir}: ${r.records} records, ${r.candidates} candidate pairs, candidate recall ${f(r.candidateRecall)}\n`);
  process.stdout.write('weights           precision  recall      F1  raceGap  sexGap\n');
  for (const [name, q] of [['model', r.model], ['level oracle', r.levelOracle], ['pattern ceiling', r.patternCeiling], ['pattern + crowd', r.patternCrowd], ['model + sex (1)', r.sexSplit], ['model + sex (all)', r.sexSplitAll], ['model + sex agrees', r.sexAgreeAll]] as const) {
    process.stdout.write(`${name.padEnd(17)} ${f(q.precision)}     ${f(q.recall)}  ${f(q.f1)}  ${q.raceGap.toFixed(2).padStart(7)}  ${q.sexGap.toFixed(2).padStart(6)}\n`);
  }
  if (r.swaps) {
    process.stdout.write("the model with one comparison's m and u (or every m) counted on the truth, the run's duplicate bars:\n");
    for (const q of r.swaps) process.stdout.write(`  ${q.swap.padEnd(15)} ${f(q.precision)}     ${f(q.recall)}  ${f(q.f1)}  ${q.raceGap.toFixed(2).padStart(7)}  ${q.sexGap.toFixed(2).padStart(6)}\n`);
  }
  process.stdout.write('levels the model weighs furthest from the truth (bits; by the smaller of their true and false candidates):\n');
  for (const m of r.missWeighted) process.stdout.write(`  ${`${m.comparison} ${m.level}`.padEnd(40)} true ${String(m.truePairs).padStart(9)}  false ${String(m.falsePairs).padStart(10)}  model ${m.model.toFixed(1).padStart(6)}  truth ${m.oracle.toFixed(1).padStart(6)}\n`);
  process.stdout.write('where the true pairs the model misses are lost (pairs; either record with the trouble):\n');
  process.stdout.write(`  ${'trouble'.padEnd(22)} ${'true pairs'.padStart(10)} ${'missed'.padStart(8)} ${'never cand.'.padStart(11)} ${'below dec.'.padStart(10)} ${'kept apart'.padStart(10)}\n`);
  for (const l of r.losses) process.stdout.write(`  ${l.trouble.padEnd(22)} ${String(l.truePairs).padStart(10)} ${String(l.truePairs - l.linked).padStart(8)} ${String(l.neverCandidate).padStart(11)} ${String(l.belowDecision).padStart(10)} ${String(l.apartAboveDecision).padStart(10)}\n`);
  process.stdout.write('candidates by name crowd (identical first name + date and surname + date: records holding the value in each file):\n');
  for (const c of r.crowdCounts) process.stdout.write(`  ${c.crowd.padEnd(22)} true ${String(c.truePairs).padStart(9)}  false ${String(c.falsePairs).padStart(10)}\n`);
  const falseTotal = r.falseLinks.reduce((s, x) => s + x.pairs, 0);
  process.stdout.write(`the model's false links (${falseTotal} pairs) by what the two records share (${SHARED_FIELDS.join(', ')}: agree; lower case: missing on one side; left out: differ):\n`);
  for (const x of r.falseLinks.slice(0, FALSE_LINK_ROWS)) process.stdout.write(`  ${x.shared.padEnd(8)} ${String(x.pairs).padStart(8)}  (${x.family} in one family)\n`);
  const { missWeighted: _m, losses, crowdCounts: _c, falseLinks, ...rest } = r;
  const all = losses[0]!;
  const figures = { ...rest, neverCandidate: all.neverCandidate, belowDecision: all.belowDecision, apartAboveDecision: all.apartAboveDecision, falseLinks: falseLinks.slice(0, FALSE_LINK_ROWS) };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
