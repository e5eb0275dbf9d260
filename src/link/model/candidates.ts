import { silentProgress, type Progress } from '../../io/progress.js';
import { splitmix32Stream } from '../../util/prng.js';
import { leafParts, type BlockingConfig } from '../blocking/config.js';
import { scorePairs } from '../score.js';
import type { PartyData } from '../types.js';
import { concatTyped, sharedU32 } from '../../util/typed-arrays.js';
import type { LshKeyCache } from '../lsh-key-cache.js';
import { missingOnOneSide, RecordBound, sideRank, type MissingSide } from '../kernel/record-bound.js';
import { absoluteDice, filterHashes, presenceMask, swapFilters, type ComparisonPlan } from './compare.js';

/**
 * Candidate pairs for the match model (docs/match-model.md, "Candidates"):
 * the union, each pair once, of the pairs proposed on the CLK (the run's
 * blocking) and on each evidence filter (LSH on that filter, the same
 * MinHash construction as on the CLK), each pass keeping the pairs whose
 * Dice on the blocked filter reaches its floor. So a married name (first_dob
 * still agrees), a nickname (last_dob agrees), a missing birth date or a
 * first/last swap (names agrees: it is order-free) still make a candidate
 * even when the CLK as a whole drifted apart, while the floors keep the
 * number of candidates per record bounded.
 */

/**
 * Dice floors of the passes, relative to the random-pair baseline b of the
 * filter (compare.ts, calibratePlan): a pass keeps pairs with Dice ≥
 * b + floor·(1 − b). The CLK pass takes pairs closer to the baseline (it
 * carries every field); an evidence pass only pairs where at least that
 * field pair mostly agrees. Each floor is a band boundary of its comparison
 * (compare.ts), so the selection is a function of the comparison levels,
 * which the model corrects for.
 */
export const CLK_CANDIDATE_FLOOR = 0.44;
export const EVIDENCE_CANDIDATE_FLOOR = 0.5;

/** Absolute Dice floors of the passes (CandidateOptions.floors) from a calibrated plan's baselines: the CLK, then each evidence filter. */
export function candidateFloors(plan: ComparisonPlan, evidenceCount: number): number[] {
  const baseOf = (source: number | 'clk'): number => plan.parts.find((p) => p.source === source)?.baseline ?? 0;
  return [absoluteDice(baseOf('clk'), CLK_CANDIDATE_FLOOR), ...Array.from({ length: evidenceCount }, (_, x) => absoluteDice(baseOf(x), EVIDENCE_CANDIDATE_FLOOR))];
}

/**
 * LSH of the model's passes when no blocking is given: 64 bands of 16
 * MinHashes. On diffused filters unrelated records agree on about a third
 * of their set bits (Jaccard ≈ 0.33), so 16 rows make a chance collision
 * rare (≈ 1.4·10⁻⁶ of all pairs), while a pair whose filter agrees at Dice
 * 0.9 (Jaccard 0.82) is proposed with probability ≈ 0.93 and identical
 * filters always.
 */
export const MODEL_LSH: BlockingConfig = { kind: 'lsh', bands: 64, rows: 16 };

/**
 * Most candidates a record keeps from one pass, on each side: the pass's
 * pairs are kept when they are among the best PER_RECORD (by that pass's
 * Dice) of their A record or of their B record. Same-name or same-birth-date
 * crowds grow with the square of the file sizes; a true partner is nearly
 * always among a record's best few in at least one pass.
 */
export const PER_RECORD = 5;

/**
 * Evidence filters that make no candidate pass: `place` (ZIP, middle
 * initial, birth date) only re-scores pairs the name and date passes
 * proposed; on its own it would propose neighbours born the same day.
 */
export const NO_PASS: ReadonlySet<string> = new Set(['place']);

/**
 * Passes that also keep, per record, the best PER_RECORD among the pairs
 * where the named field is missing on exactly one side (pass filter → field).
 * The `names` pass is the one that finds a record whose birth date is
 * missing (its partner's name + date filters cannot agree), but it ranks
 * that partner below every namesake with a birth date: the `names` filter
 * holds birth-date tokens, which the record without a date lacks. At 1,000,000
 * people the top PER_RECORD of a common name are all namesakes, and the
 * partner was never a candidate (30,062 true pairs with a missing date,
 * tuning seed). Ranked among the pairs with a date missing on one side, it
 * competes only with the other records without a date: few, since a missing
 * date is rare.
 */
export const MISSING_SIDE_CAP: Readonly<Record<string, string>> = { names: 'birth_date' };

/**
 * The evidence filter whose Dice is added to a MISSING_SIDE_CAP pass's score
 * to rank the pairs with the field missing on one side among themselves
 * (record-bound.ts, sideRank). Against a record without a birth date its
 * namesakes all score alike on `names`, so its best PER_RECORD were the
 * first by record order, and so were the namesakes without a date of a
 * record with one: a wage file without birth dates linked 0.40 of its
 * true pairs at 1,000,000 people (0.71 at 200,000). `place` holds the ZIP
 * and the middle initial, and with the date missing on one side nothing
 * else: the namesake at the record's address ranks first (0.54 at
 * 1,000,000 people; docs/match-model.md, session 44).
 */
export const MISSING_SIDE_RANK: Readonly<Record<string, string>> = { names: 'place' };

/**
 * The crosswise pass (`crosswisePairs`): a first/last swap whose other name
 * changed too (an adopted or married name, a nickname: "Pham, Ananya" in one
 * file, first name PHAM and surname EMMA in the other) agrees on no filter
 * the other passes compare: the CLK follows the field order, `first_dob`
 * meets `first_dob` and `last_dob` meets `last_dob`, and the order-free
 * `names` keeps only the surname's half. `first_dob` and `last_dob` share
 * their keys (compare.ts, swapFilters), so a surname + birth date written in
 * the first-name field gives a filter identical to the other record's
 * `last_dob`: this pass pairs records whose `first_dob` on one side is
 * identical to the `last_dob` on the other (a join on a hash of the filter,
 * no LSH), for values held by at most PER_RECORD records on each side (all
 * of them tie; a larger crowd is a common name used both ways, not evidence).
 * Measured on the tuning data (200,000 people): of 470 missed true pairs
 * with a name-order swap, 345 were never candidates.
 */
export const CROSSWISE_PASS = 'first_dob x last_dob';

export interface CandidateOptions {
  /** Blocking of the CLK pass. */
  blocking: BlockingConfig;
  /** Blocking of the evidence passes (default: the LSH or all-pairs parts of `blocking`, else MODEL_LSH). */
  evidenceBlocking?: BlockingConfig;
  /** Absolute Dice floor of each pass: the CLK first, then each evidence filter in header order. */
  floors: readonly number[];
  workers?: number;
  maxPairs?: number;
  progress?: Progress;
  /** Per-record bound of each pass (default PER_RECORD). */
  perRecord?: number;
  /** LSH keys shared between the passes of several jobs (ScoreOptions.keyCache). */
  keyCache?: LshKeyCache;
}

/**
 * Indices of the pairs among the best k (score descending, then index) of
 * their a or of their b. The pairs come sorted by a then b, so the index
 * order within a record's pairs is its partners' order: RecordBound's
 * order, whose per-record top k this reads after counting every pair.
 */
export function bestPerRecord(a: Uint32Array, b: Uint32Array, score: Float32Array, nB: number, k: number): Uint32Array {
  const n = a.length;
  let nA = 0;
  for (let x = 0; x < n; x++) if (a[x]! >= nA) nA = a[x]! + 1;
  const bound = new RecordBound({ nA, nB, k });
  for (let x = 0; x < n; x++) bound.add(a[x]!, b[x]!, score[x]!);
  const out = new Uint32Array(n);
  let m = 0;
  for (let x = 0; x < n; x++) if (bound.holds(a[x]!, b[x]!, score[x]!)) out[m++] = x;
  return out.slice(0, m);
}

/**
 * ScoreOptions.prefilter for a pass: of each task's pairs, those among the
 * k best of their a or of their b among all the pairs the pass's tasks
 * have handed in so far, this one's included (bestPerRecord's order: score,
 * then the partner's index), and with `side` the same within the pairs
 * whose field is missing on exactly one side. passKeep over what it keeps
 * equals passKeep over all the pairs: a pair dropped here is outranked on
 * each of its records by k pairs that were kept, so it outranks nothing
 * that could have been kept, in whatever order the tasks arrive. It keeps
 * the memory of a pass near k pairs per record (a few times k, as each
 * record's best arrive) instead of every pair above the floor (at 1,000,000
 * people the `names` pass puts every namesake pair above it). Before
 * session 43 it kept every pair tied with the k-th best, and each task's
 * best k apart: a wage file without birth dates at 1,000,000 people, whose
 * namesakes all tie at the `names` filter's top score, put more than 100
 * million pairs in one pass and the run was refused (LINK_TOO_MANY_PAIRS).
 */
export function taskKeep(nA: number, nB: number, k: number, side?: MissingSide): (a: Uint32Array, b: Uint32Array, s: Float32Array) => Uint32Array | undefined {
  let bound: RecordBound | undefined;
  return (a, b, s) => {
    const n = a.length;
    if (n === 0) return undefined;
    bound ??= new RecordBound({ nA, nB, k, ...(side ? { side } : {}) });
    const B = bound;
    for (let x = 0; x < n; x++) B.add(a[x]!, b[x]!, s[x]!);
    const out = new Uint32Array(n);
    let m = 0;
    for (let x = 0; x < n; x++) if (B.holds(a[x]!, b[x]!, s[x]!)) out[m++] = x;
    return m === n ? undefined : out.subarray(0, m);
  };
}

/** Presence arrays and bit of MISSING_SIDE_CAP's field for a pass, when the pass has one and both parties carry presence; with MISSING_SIDE_RANK's filter when both parties hold it. */
function missingSideMasks(filter: string, A: PartyData, B: PartyData): MissingSide | undefined {
  const field = MISSING_SIDE_CAP[filter];
  if (!field || !A.presence || !B.presence) return undefined;
  const bitA = (A.header.presence ?? []).indexOf(field);
  const bitB = (B.header.presence ?? []).indexOf(field);
  if (bitA < 0 || bitA !== bitB) return undefined;
  const side: MissingSide = { pa: A.presence, pb: B.presence, bit: 1 << bitA };
  const by = MISSING_SIDE_RANK[filter];
  const ra = A.evidence?.find((e) => e.name === by);
  const rb = B.evidence?.find((e) => e.name === by);
  if (ra && rb && ra.stride === rb.stride) side.rank = { a: ra.bytes, b: rb.bytes, popA: ra.popcounts, popB: rb.popcounts, stride: ra.stride };
  return side;
}


/**
 * Indices (ascending) of the pairs a pass keeps: among the best k of their
 * a or of their b (bestPerRecord), and with `side`, also among the best k of
 * their a or b within the pairs whose field is missing on exactly one side.
 */
export function passKeep(a: Uint32Array, b: Uint32Array, score: Float32Array, nB: number, k: number, side?: MissingSide): Uint32Array {
  const keep = bestPerRecord(a, b, score, nB, k);
  return side ? unionSorted(keep, missingSideKeep(a, b, score, nB, k, side)) : keep;
}

/** Indices (ascending) of the pairs, among those with the field missing on exactly one side, that are among the best k of their a or b there. */
function missingSideKeep(a: Uint32Array, b: Uint32Array, score: Float32Array, nB: number, k: number, m: MissingSide): Uint32Array {
  const idx: number[] = [];
  for (let x = 0; x < a.length; x++) if (missingOnOneSide(m, a[x]!, b[x]!)) idx.push(x);
  const sub = Uint32Array.from(idx);
  const rank = sideRank(m);
  const kept = bestPerRecord(
    Uint32Array.from(sub, (x) => a[x]!),
    Uint32Array.from(sub, (x) => b[x]!),
    Float32Array.from(sub, (x) => rank(a[x]!, b[x]!, score[x]!)),
    nB,
    k,
  );
  return Uint32Array.from(kept, (y) => sub[y]!);
}

/** The union of two ascending index lists, ascending. */
function unionSorted(x: Uint32Array, y: Uint32Array): Uint32Array {
  const out = new Uint32Array(x.length + y.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < x.length || j < y.length) {
    const v = j >= y.length || (i < x.length && x[i]! <= y[j]!) ? x[i++]! : y[j++]!;
    if (n === 0 || out[n - 1] !== v) out[n++] = v;
  }
  return out.subarray(0, n);
}

export interface Candidates {
  a: Uint32Array;
  b: Uint32Array;
  /** Distinct pairs proposed by all passes' blocking (before the Dice floors). */
  proposed: number;
  /** Pairs kept by each pass (clk, then evidence in header order), before the union. */
  perPass: { filter: string; kept: number }[];
}

/** A party seen through one evidence filter as its "CLK", so the scoring and blocking machinery runs on it unchanged. */
function viaFilter(p: PartyData, x: number): PartyData {
  const e = p.evidence![x]!;
  return { ...p, clks: e.bytes, popcounts: e.popcounts, stride: e.stride, header: { ...p.header, l: e.l } };
}

/** The evidence passes' blocking: the run's LSH or all-pairs parts (keys name CLK-side block columns), else the default LSH. */
function evidenceBlocking(c: BlockingConfig): BlockingConfig {
  const parts = leafParts(c).filter((p) => p.kind === 'lsh' || p.kind === 'none');
  if (parts.length === 0) return MODEL_LSH;
  return parts.length === 1 ? parts[0]! : { kind: 'union', parts };
}

export async function candidatePairs(A: PartyData, B: PartyData | null, opts: CandidateOptions): Promise<Candidates> {
  const progress = opts.progress ?? silentProgress;
  const nB = (B ?? A).count;
  const passes: { filter: string; a: PartyData; b: PartyData | null; blocking: BlockingConfig; floor: number }[] = [
    { filter: 'clk', a: A, b: B, blocking: opts.blocking, floor: opts.floors[0]! },
  ];
  const evB = opts.evidenceBlocking ?? evidenceBlocking(opts.blocking);
  (A.evidence ?? []).forEach((e, x) => {
    if (!NO_PASS.has(e.name)) passes.push({ filter: e.name, a: viaFilter(A, x), b: B ? viaFilter(B, x) : null, blocking: evB, floor: opts.floors[x + 1]! });
  });
  const keys: Float64Array[] = [];
  const perPass: Candidates['perPass'] = [];
  let proposed = 0;
  const perRecord = opts.perRecord ?? PER_RECORD;
  for (const [k, p] of passes.entries()) {
    const side = missingSideMasks(p.filter, A, B ?? A);
    const sp = await scorePairs(p.a, p.b, {
      threshold: p.floor,
      prefilter: taskKeep(A.count, nB, perRecord, side),
      bound: { nA: A.count, nB, k: perRecord, ...(side ? { side } : {}) },
      blocking: p.blocking,
      ...(opts.workers ? { workers: opts.workers } : {}),
      ...(opts.maxPairs ? { maxPairs: opts.maxPairs } : {}),
      ...(opts.keyCache ? { keyCache: opts.keyCache } : {}),
    });
    proposed += sp.candidates;
    const keep = passKeep(sp.a, sp.b, sp.score, nB, perRecord, side);
    const kk = new Float64Array(keep.length);
    for (let y = 0; y < keep.length; y++) {
      const x = keep[y]!;
      kk[y] = sp.a[x]! * nB + sp.b[x]!;
    }
    keys.push(kk);
    perPass.push({ filter: p.filter, kept: keep.length });
    progress.update(k + 1, passes.length);
  }
  const sw = swapFilters(A.evidence ?? []);
  if (sw && (B === null || swapFilters(B.evidence ?? []))) {
    const kk = crosswisePairs(A, B, sw, perRecord);
    keys.push(kk);
    perPass.push({ filter: CROSSWISE_PASS, kept: kk.length });
  }
  // union: sort the pair keys (a * nB + b, exact in a double) and drop repeats
  const all = concatTyped(keys, (n) => new Float64Array(n));
  const total = all.length;
  keys.length = 0;
  all.sort();
  let n = 0;
  for (let x = 0; x < total; x++) if (x === 0 || all[x] !== all[x - 1]) all[n++] = all[x]!;
  // in shared memory: the compare workers read the pairs in place (compare-pool.ts)
  const a = sharedU32(n);
  const b = sharedU32(n);
  for (let x = 0; x < n; x++) {
    const v = all[x]!;
    const j = v % nB;
    a[x] = (v - j) / nB;
    b[x] = j;
  }
  progress.finish();
  return { a, b, proposed, perPass };
}

/**
 * Hash of each record's evidence filter x, NaN where the fields it holds are
 * not all present (a filter of the date alone would join every record
 * without that name born the same day).
 */
function presentHashes(p: PartyData, x: number, fields: readonly string[]): Float64Array {
  const e = p.evidence![x]!;
  const h = filterHashes(e.bytes, e.stride, p.count);
  const need = presenceMask(p.header.presence ?? [], fields);
  if (p.presence && need !== 0) for (let r = 0; r < p.count; r++) if ((p.presence[r]! & need) !== need) h[r] = Number.NaN;
  return h;
}

/** Record indices with a hash, ordered by hash. */
function byHash(h: Float64Array): Uint32Array {
  const idx: number[] = [];
  for (let r = 0; r < h.length; r++) if (!Number.isNaN(h[r]!)) idx.push(r);
  return Uint32Array.from(idx).sort((x, y) => h[x]! - h[y]! || x - y);
}

/**
 * The crosswise pass (CROSSWISE_PASS): pair keys (a * nB + b) of the records
 * whose `first_dob` filter on one side is identical to the `last_dob` filter
 * on the other, each value held by at most k records on each side; within
 * one party (B null) each pair once, a < b.
 */
export function crosswisePairs(A: PartyData, B: PartyData | null, sw: { fd: number; ld: number }, k: number): Float64Array {
  const Bp = B ?? A;
  const nB = Bp.count;
  const first = ['first_name', 'birth_date'];
  const last = ['last_name', 'birth_date'];
  const directions: [number, readonly string[], number, readonly string[]][] = [[sw.fd, first, sw.ld, last]];
  if (B) directions.push([sw.ld, last, sw.fd, first]);
  const out: number[] = [];
  for (const [xa, fa, xb, fb] of directions) {
    const ha = presentHashes(A, xa, fa);
    const hb = presentHashes(Bp, xb, fb);
    const oa = byHash(ha);
    const ob = byHash(hb);
    let i = 0;
    let j = 0;
    while (i < oa.length && j < ob.length) {
      const va = ha[oa[i]!]!;
      const vb = hb[ob[j]!]!;
      if (va < vb) i++;
      else if (vb < va) j++;
      else {
        let i1 = i;
        while (i1 < oa.length && ha[oa[i1]!] === va) i1++;
        let j1 = j;
        while (j1 < ob.length && hb[ob[j1]!] === va) j1++;
        if (i1 - i <= k && j1 - j <= k) {
          for (let x = i; x < i1; x++) {
            for (let y = j; y < j1; y++) {
              const a = oa[x]!;
              const b = ob[y]!;
              if (B) out.push(a * nB + b);
              else if (a !== b) out.push(Math.min(a, b) * nB + Math.max(a, b));
            }
          }
        }
        i = i1;
        j = j1;
      }
    }
  }
  return Float64Array.from(out);
}

/**
 * `count` random pairs (a, b) with a from A and b from B (a ≠ b within one
 * party), from a seeded splitmix32 stream: the sample u is estimated from.
 * Pairs may repeat (sampling with replacement).
 */
export function randomPairs(nA: number, nB: number, within: boolean, count: number, seed: number): { a: Uint32Array; b: Uint32Array } {
  const rnd = splitmix32Stream(seed);
  const ok = within ? nA >= 2 : nA >= 1 && nB >= 1;
  const n = ok ? count : 0;
  const a = new Uint32Array(n);
  const b = new Uint32Array(n);
  for (let x = 0; x < n; x++) {
    const i = Math.floor((rnd() / 2 ** 32) * nA);
    let j = Math.floor((rnd() / 2 ** 32) * nB);
    if (within && j === i) j = (j + 1) % nA;
    a[x] = i;
    b[x] = j;
  }
  return { a, b };
}
