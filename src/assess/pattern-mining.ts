/**
 * Pattern-mining attack on Bloom-filter encodings, after Christen, Schnell,
 * Vatsalan & Ranbaduge (PAKDD 2017, "Efficient cryptanalysis of Bloom
 * filters for PPRL"), Christen, Ranbaduge, Vatsalan & Schnell (TKDD 2018,
 * "Precise and fast cryptanalysis for Bloom filter based PPRL") and
 * Vidanage, Christen, Ranbaduge & Schnell (2020, pattern-mining based
 * cryptanalysis).
 *
 * Every token a record holds sets the same keyed positions in every encoding
 * that holds it, so those positions form a frequent itemset whose support is
 * the token's frequency. In a dense encoding (about half the bits set) a
 * pair of a token's positions co-occurs only slightly more than chance, but
 * every further position of the token that a candidate itemset requires
 * roughly halves the records that have it by chance and keeps the ones that
 * hold the token, so the itemset purifies geometrically.
 *
 * 1. Mining. Position pairs are ranked by the z-score of their
 *    co-occurrence against independence. From each strong pair not yet
 *    explained, an itemset grows by the position whose count among the
 *    itemset's records is most above its base rate (z-score), until the
 *    records are pure (the best position keeps 90% of them) and no further
 *    position keeps 90%. A soft closure then re-reads the itemset: its
 *    records are those with nearly all its positions set, and its positions
 *    those set in nearly all its records (this drops a wrong early pick and
 *    adds positions the greedy search skipped). Itemsets found again from
 *    another seed are dropped.
 * 2. Alignment. The attacker tokenizes its reference plaintext as the public
 *    schema says (salting included) and knows each token's frequency, its
 *    co-occurrence with every other token and about how many bits it sets.
 *    Itemsets are aligned to tokens most frequent first by a chi-square
 *    distance over the itemset's frequency and its joint frequency with every
 *    itemset aligned so far (anchors); then every alignment is re-decided
 *    twice with all the others as anchors, which repairs early mistakes.
 * 3. Re-identification. A victim "has" an aligned token when (nearly) all
 *    its positions are set; a victim that lacks several of a token's
 *    positions cannot hold it. For birth year, then first and last name, every
 *    candidate reference value is scored: +1 per aligned token it has and
 *    the victim has, -3 per aligned token it has and the victim lacks, -1
 *    per aligned token of that attribute the victim has and the value does
 *    not explain. The best value is guessed when it is supported by at least
 *    two tokens, contradicted by none and beats the runner-up.
 *
 * Work is bounded by AttackLimits (types.ts): mineSample encodings are
 * mined, inferSample victims are re-identified.
 */
import { popcount32 } from '../link/dice.js';
import { bitsForTokens } from '../encode/tokenize.js';
import type { HashedFeature } from '../schema/types.js';
import { birthYear } from './reference.js';
import { featureTokenizer, recordSalt, referenceFeatures, tokenKey, type FeatureTokenizer } from './tokens.js';
import { DEFAULT_LIMITS, type Attack, type AttackInput, type AttackResult, type Guess } from './types.js';

/** Seeds: position pairs co-occurring at least this many standard deviations above chance. */
const Z_SEED = 5;
/** While impure, a position joins the itemset when its excess is at least this many standard deviations. */
const Z_GROW = 6;
/** An itemset's records are pure when the best next position keeps this share of them. */
const PURE = 0.9;
/** Soft closure: a record holds the itemset with this share of its positions set. */
const SOFT_HAS = 0.85;
const MIN_PATTERN = 4;
/** Greedy steps before an itemset must be pure. */
const MAX_GROW = 30;
const MAX_PATTERNS = 500;
const MAX_SEEDS = 4000;
/** A victim "has" an aligned token with this share of its positions set. */
const HAS_FRACTION = 0.85;
/** Anchors used to align one itemset. */
const MAX_ANCHORS = 60;

export interface Pattern {
  /** Bit positions of the itemset. */
  pos: number[];
  /** Records (of the mined sample) holding it, as a bitset. */
  rec: Uint32Array;
  support: number;
}

/** Deterministic sample of k indexes from [0, n). */
export function sampleIndexes(n: number, k: number, seed: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const idx = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < k; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = i + (s % (n - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, k).sort((a, b) => a - b);
}

const bit = (b: Uint8Array, i: number): number => (b[i >>> 3]! >>> (7 - (i & 7))) & 1;

function andCount(a: Uint32Array, ao: number, b: Uint32Array, bo: number, w: number): number {
  let c = 0;
  for (let i = 0; i < w; i++) c += popcount32(a[ao + i]! & b[bo + i]!);
  return c;
}

function popAnd(a: Uint32Array, b: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += popcount32(a[i]! & b[i]!);
  return c;
}

function popAll(a: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += popcount32(a[i]!);
  return c;
}

/** Mine frequent position itemsets from the encodings of the sample (see the module comment). */
export function minePatterns(clks: readonly Uint8Array[], l: number, minCount: number): Pattern[] {
  const n = clks.length;
  const W = Math.ceil(n / 32);
  const cols = new Uint32Array(l * W);
  const count = new Int32Array(l);
  for (let r = 0; r < n; r++) {
    const c = clks[r]!;
    const w = r >>> 5;
    const m = 1 << (r & 31);
    for (let j = 0; j < l; j++) {
      if (bit(c, j)) {
        cols[j * W + w]! |= m;
        count[j]!++;
      }
    }
  }
  // positions that can tell records apart
  const eligible: number[] = [];
  for (let j = 0; j < l; j++) if (count[j]! >= minCount && count[j]! <= 0.98 * n) eligible.push(j);
  const E = eligible.length;
  const eIndex = new Int32Array(l).fill(-1);
  eligible.forEach((j, k) => (eIndex[j] = k));
  const rows: Uint16Array[] = clks.map((c) => {
    const out: number[] = [];
    for (let j = 0; j < l; j++) if (eIndex[j]! >= 0 && bit(c, j)) out.push(eIndex[j]!);
    return Uint16Array.from(out);
  });
  const p = Float64Array.from(eligible, (j) => count[j]! / n);
  // seeds: pairs co-occurring far above independence
  const seeds: { a: number; b: number; z: number }[] = [];
  for (let a = 0; a < E; a++) {
    const ja = eligible[a]!;
    for (let b = a + 1; b < E; b++) {
      const e = n * p[a]! * p[b]!;
      const v = e * (1 - p[a]! * p[b]!);
      const c = andCount(cols, ja * W, cols, eligible[b]! * W, W);
      const z = (c - e) / Math.sqrt(Math.max(v, 1e-9));
      if (z >= Z_SEED) seeds.push({ a, b, z });
    }
  }
  seeds.sort((x, y) => y.z - x.z);

  const patterns: Pattern[] = [];
  const member: number[][] = Array.from({ length: E }, () => []);
  const R = new Uint32Array(W);
  const inter = new Int32Array(E);
  const inP = new Uint8Array(E);
  let tried = 0;
  // count, for every eligible position, the records of R that set it
  const countIn = (rec: Uint32Array, r: number) => {
    inter.fill(0);
    if (r * 500 < E * W * 4) {
      for (let w = 0; w < W; w++) {
        let x = rec[w]!;
        while (x !== 0) {
          const low = x & -x;
          const row = rows[(w << 5) + (31 - Math.clz32(low))]!;
          x ^= low;
          for (let q = 0; q < row.length; q++) inter[row[q]!]!++;
        }
      }
    } else {
      for (let k = 0; k < E; k++) inter[k] = andCount(rec, 0, cols, eligible[k]! * W, W);
    }
  };
  for (const { a, b } of seeds) {
    if (patterns.length >= MAX_PATTERNS || tried >= MAX_SEEDS) break;
    // a pair both inside one itemset already found is explained
    if (member[a]!.some((x) => member[b]!.includes(x))) continue;
    const P = [a, b];
    inP.fill(0);
    inP[a] = 1;
    inP[b] = 1;
    for (let i = 0; i < W; i++) R[i] = cols[eligible[a]! * W + i]! & cols[eligible[b]! * W + i]!;
    let r = popAll(R);
    let pure = false;
    while (P.length < MAX_GROW && r >= minCount) {
      countIn(R, r);
      let best = -1;
      let bestZ = -Infinity;
      let bestKeep = -1;
      let bestKeepC = 0;
      for (let k = 0; k < E; k++) {
        if (inP[k]) continue;
        const c = inter[k]!;
        if (c > bestKeepC) {
          bestKeepC = c;
          bestKeep = k;
        }
        const e = r * p[k]!;
        const z = (c - e) / Math.sqrt(Math.max(e * (1 - p[k]!), 1e-9));
        if (z > bestZ) {
          bestZ = z;
          best = k;
        }
      }
      if (bestKeep >= 0 && bestKeepC >= PURE * r && bestKeepC / r > (p[bestKeep]! + 1) / 2) {
        // pure: the soft closure below takes the positions its records keep
        pure = true;
        break;
      }
      if (best < 0 || bestZ < Z_GROW) break;
      P.push(best);
      inP[best] = 1;
      const col = eligible[best]! * W;
      for (let i = 0; i < W; i++) R[i]! &= cols[col + i]!;
      r = inter[best]!;
    }
    if (!pure || P.length < MIN_PATTERN) {
      tried++;
      continue;
    }
    // soft closure, twice
    let pos = P.slice();
    let rec = R.slice();
    let support = r;
    for (let round = 0; round < 2; round++) {
      const need = Math.ceil(SOFT_HAS * pos.length);
      const soft = new Uint32Array(W);
      let s = 0;
      for (let v = 0; v < n; v++) {
        const row = rows[v]!;
        let h = 0;
        let q = 0;
        // rows and pos are both sorted
        for (const x of pos) {
          while (q < row.length && row[q]! < x) q++;
          if (q < row.length && row[q] === x) h++;
        }
        if (h >= need) {
          soft[v >>> 5]! |= 1 << (v & 31);
          s++;
        }
      }
      if (s < minCount) break;
      countIn(soft, s);
      const next: number[] = [];
      for (let k = 0; k < E; k++) if (inter[k]! >= PURE * s && inter[k]! / s > (p[k]! + 1) / 2) next.push(k);
      if (next.length < MIN_PATTERN) break;
      pos = next;
      rec = soft;
      support = s;
      pos.sort((x, y) => x - y);
    }
    pos.sort((x, y) => x - y);
    if (pos.length < MIN_PATTERN || support < minCount) continue;
    let dup = false;
    for (const q of patterns) {
      const both = popAnd(q.rec, rec);
      if (both >= 0.8 * Math.max(q.support, support) && both >= 0.8 * Math.min(q.support, support)) {
        dup = true;
        break;
      }
    }
    // positions of P stay "explained" even when the itemset was a duplicate
    const id = tried++;
    for (const x of P) member[x]!.push(id);
    if (!dup) for (const x of pos) if (!P.includes(x)) member[x]!.push(id);
    if (dup) continue;
    patterns.push({ pos: pos.map((k) => eligible[k]!), rec, support });
  }
  return patterns.sort((x, y) => y.support - x.support);
}

export interface RefTokens {
  keys: string[];
  freq: number[];
  bits: Uint32Array[];
  /** Average bits the token sets (from the schema's strategy). */
  kAvg: number[];
  M: number;
}

export function referenceTokens(input: AttackInput, feats: HashedFeature[], tokenizers: Map<string, FeatureTokenizer>, minFreq: number, maxRef: number): RefTokens {
  const ref = input.reference;
  const ridx = sampleIndexes(ref.length, maxRef, input.seed ^ 0x51ed);
  const M = ridx.length;
  const counts = new Map<string, number[]>();
  const bitsSum = new Map<string, number>();
  ridx.forEach((ri, m) => {
    const rec = ref[ri]!;
    for (const f of feats) {
      const v = rec[f.identifier] ?? '';
      if (v === '') continue;
      const all = tokenizers.get(f.identifier)!(v, recordSalt(input.ext, f.identifier, rec));
      const seen = new Set<string>();
      all.forEach((t, i) => {
        if (seen.has(t)) return;
        seen.add(t);
        const k = tokenKey(f.identifier, t);
        let list = counts.get(k);
        if (!list) counts.set(k, (list = []));
        list.push(m);
        bitsSum.set(k, (bitsSum.get(k) ?? 0) + bitsForTokens(f.hashing.strategy, all.length, i));
      });
    }
  });
  const W = Math.ceil(M / 32);
  const keys: string[] = [];
  const freq: number[] = [];
  const bits: Uint32Array[] = [];
  const kAvg: number[] = [];
  const sorted = [...counts.entries()].filter(([, l]) => l.length >= minFreq * M).sort((a, b) => b[1].length - a[1].length);
  for (const [k, list] of sorted) {
    const b = new Uint32Array(W);
    for (const m of list) b[m >>> 5]! |= 1 << (m & 31);
    keys.push(k);
    freq.push(list.length / M);
    bits.push(b);
    kAvg.push(bitsSum.get(k)! / list.length);
  }
  return { keys, freq, bits, kAvg, M };
}

/**
 * Align mined itemsets to reference tokens (see the module comment).
 * Returns token key → positions.
 */
export function alignPatterns(patterns: Pattern[], n: number, ref: RefTokens): Map<string, number[]> {
  const P = patterns.length;
  const T = ref.keys.length;
  // observed joint counts between itemsets
  const O = new Float64Array(P * P);
  for (let a = 0; a < P; a++) {
    O[a * P + a] = patterns[a]!.support;
    for (let b = a + 1; b < P; b++) {
      const v = popAnd(patterns[a]!.rec, patterns[b]!.rec);
      O[a * P + b] = v;
      O[b * P + a] = v;
    }
  }
  const joint = new Map<number, number>();
  const refJoint = (t: number, u: number): number => {
    const key = t < u ? t * T + u : u * T + t;
    let v = joint.get(key);
    if (v === undefined) joint.set(key, (v = popAnd(ref.bits[t]!, ref.bits[u]!) / ref.M));
    return v;
  };
  // variance inflation: the victims' sample and the reference's are both samples
  const infl = 1 + n / ref.M;
  const chi = (o: number, f: number) => {
    const e = n * f;
    return (o - e) ** 2 / (Math.max(e, 3) * infl + (0.03 * e) ** 2);
  };
  const tokOf = new Int32Array(P).fill(-1);
  const patOf = new Int32Array(T).fill(-1);
  const sizeOk = (p: Pattern, t: number) => p.pos.length <= 2.5 * ref.kAvg[t]! + 3 && p.pos.length >= 0.3 * ref.kAvg[t]!;
  const decideOne = (a: number, anchors: number[]): { t: number; score: number } => {
    const pa = patterns[a]!;
    const s = pa.support / n;
    let best = -1;
    let bestScore = Infinity;
    for (let t = 0; t < T; t++) {
      if (patOf[t]! >= 0 && patOf[t] !== a) continue;
      const f = ref.freq[t]!;
      if (f < 0.5 * s || f > 2 * s) continue;
      if (!sizeOk(pa, t)) continue;
      let score = chi(pa.support, f);
      for (const b of anchors) score += chi(O[a * P + b]!, refJoint(t, tokOf[b]!));
      score /= 1 + anchors.length;
      if (score < bestScore) {
        bestScore = score;
        best = t;
      }
    }
    return { t: best, score: bestScore };
  };
  const order = patterns.map((_, i) => i); // most supported first
  const assign = (a: number, t: number) => {
    if (tokOf[a]! >= 0) patOf[tokOf[a]!] = -1;
    tokOf[a] = t;
    if (t >= 0) patOf[t] = a;
  };
  const pickAnchors = (a: number): number[] => {
    const out: number[] = [];
    for (const b of order) {
      if (b === a || tokOf[b]! < 0) continue;
      out.push(b);
      if (out.length >= MAX_ANCHORS) break;
    }
    return out;
  };
  const LIMIT = 4;
  for (const a of order) {
    const d = decideOne(a, pickAnchors(a));
    if (d.t >= 0 && d.score <= LIMIT) assign(a, d.t);
  }
  for (let round = 0; round < 2; round++) {
    for (const a of order) {
      assign(a, -1);
      const d = decideOne(a, pickAnchors(a));
      if (d.t >= 0 && d.score <= LIMIT) assign(a, d.t);
    }
  }
  const out = new Map<string, number[]>();
  for (let a = 0; a < P; a++) if (tokOf[a]! >= 0) out.set(ref.keys[tokOf[a]!]!, patterns[a]!.pos);
  return out;
}

interface Candidate {
  value: string;
  freq: number;
  tokens: string[];
}

function candidates(input: AttackInput, feature: string, tokenizer: FeatureTokenizer, k: number, valueFor: (v: string) => string): Candidate[] {
  const counts = new Map<string, number>();
  for (const r of input.reference) {
    const v = valueFor(r[feature] ?? '');
    if (v !== '') counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([value, c]) => ({ value, freq: c, tokens: [...new Set(tokenizer(value, ''))] }));
}

/** Pick the best-scoring value, or undefined. `known` returns [support, contradictions]. */
function decide(cands: Candidate[], known: (tokens: string[]) => [number, number], explainedOutOf: number): string | undefined {
  let best: Candidate | undefined;
  let bestS = -Infinity;
  let second: Candidate | undefined;
  let secondS = -Infinity;
  let bestSup = 0;
  let bestContra = 0;
  for (const c of cands) {
    const [sup, contra] = known(c.tokens);
    const s = sup - 3 * contra - (explainedOutOf - sup);
    if (s > bestS) {
      second = best;
      secondS = bestS;
      best = c;
      bestS = s;
      bestSup = sup;
      bestContra = contra;
    } else if (s > secondS) {
      second = c;
      secondS = s;
    }
  }
  if (!best || bestSup < 2 || bestContra > 0) return undefined;
  if (bestS > secondS || (bestS === secondS && second !== undefined && best.freq > 2 * second.freq)) return best.value;
  return undefined;
}

export const patternMiningAttack: Attack = {
  name: 'pattern-mining',
  run(input: AttackInput): AttackResult[] {
    const lim = { ...DEFAULT_LIMITS, ...input.limits };
    const { clks, l, targets } = input;
    const N = clks.length;
    const mineIdx = sampleIndexes(N, lim.mineSample, input.seed);
    const mine = mineIdx.map((i) => clks[i]!);
    const n = mine.length;
    const minCount = Math.max(10, Math.floor(0.002 * n));
    const patterns = minePatterns(mine, l, minCount);
    const feats = referenceFeatures(input.schema, input.reference);
    const tokenizers = new Map(feats.map((f) => [f.identifier, featureTokenizer(f)]));
    const ref = referenceTokens(input, feats, tokenizers, (0.5 * minCount) / n, Math.min(input.reference.length, Math.max(20000, n)));
    const aligned = alignPatterns(patterns, n, ref);

    // per attribute: the aligned tokens, indexed
    const alignedKeys = [...aligned.keys()];
    const keyIndex = new Map(alignedKeys.map((k, i) => [k, i]));
    const positions = alignedKeys.map((k) => aligned.get(k)!);
    const featureOfKey = alignedKeys.map((k) => k.slice(0, k.indexOf('\u0001')));
    const saltOfKey = alignedKeys.map((k) => {
      const t = k.slice(k.indexOf('\u0001') + 1);
      const z = t.indexOf('\u0000');
      return z < 0 ? '' : t.slice(0, z);
    });

    const guesses: (Guess | undefined)[] = new Array(N);
    const inferIdx = sampleIndexes(N, lim.inferSample, input.seed ^ 0x1f);
    const has = new Uint8Array(alignedKeys.length);
    // the feature whose tokens stand for an attribute (an evidence filter hashes first and last name as one slot)
    const tf = (a: 'first' | 'last' | 'birth'): string | undefined => (input.tokenFeatures ? input.tokenFeatures[a] : targets[a]);
    const birthTok = tf('birth');
    const birthF = birthTok === undefined ? undefined : feats.find((f) => f.identifier === birthTok);
    const yearTok = birthF ? tokenizers.get(birthF.identifier)! : undefined;
    // year candidates: tokens shared by the first and last day of the year
    const yearCands: Candidate[] = [];
    if (birthF && yearTok) {
      const years = candidates(input, targets.birth, yearTok, 200, birthYear);
      for (const y of years) {
        const a = new Set(yearTok(`${y.value}-01-01`, ''));
        const b = yearTok(`${y.value}-12-31`, '');
        yearCands.push({ value: y.value, freq: y.freq, tokens: b.filter((t) => a.has(t)) });
      }
    }
    const yearTokenSet = new Set(birthF ? yearCands.flatMap((c) => c.tokens.map((t) => tokenKey(birthF.identifier, t))) : []);
    const nameCands = new Map<string, Candidate[]>();
    for (const a of ['first', 'last'] as const) {
      const feature = tf(a);
      const tz = feature === undefined ? undefined : tokenizers.get(feature);
      if (tz) nameCands.set(a, candidates(input, targets[a], tz, lim.candidates, (v) => v));
    }
    // per (attribute, salt): candidate token indexes (-1 unknown), and the attribute's aligned-token list
    const plan = new Map<string, { idx: number[][]; universe: number[] }>();
    const planFor = (attr: 'first' | 'last' | 'birth', feature: string, salt: string) => {
      const key = `${attr}\u0001${salt}`;
      let p = plan.get(key);
      if (!p) {
        const cands = attr === 'birth' ? yearCands : (nameCands.get(attr) ?? []);
        const idx = cands.map((c) =>
          c.tokens.map((t) => keyIndex.get(tokenKey(feature, salt === '' ? t : `${salt}\u0000${t}`)) ?? -1).filter((i) => i >= 0),
        );
        const universe: number[] = [];
        for (let i = 0; i < alignedKeys.length; i++) {
          if (featureOfKey[i] !== feature || saltOfKey[i] !== salt) continue;
          if (attr === 'birth' && !yearTokenSet.has(alignedKeys[i]!)) continue;
          universe.push(i);
        }
        p = { idx, universe };
        plan.set(key, p);
      }
      return p;
    };
    const saltCfg = input.ext.hardening?.salt;
    const run = (attr: 'first' | 'last' | 'birth', salt: string, cands: Candidate[]): string | undefined => {
      const feature = tf(attr);
      if (cands.length === 0 || feature === undefined) return undefined;
      const p = planFor(attr, feature, salt);
      if (p.universe.length === 0) return undefined;
      let H = 0;
      for (const i of p.universe) H += has[i]!;
      let k = 0;
      return decide(
        cands,
        () => {
          const ids = p.idx[k++]!;
          let sup = 0;
          let contra = 0;
          for (const i of ids) {
            if (has[i]) sup++;
            else contra++;
          }
          return [sup, contra];
        },
        H,
      );
    };
    let guessed = 0;
    for (const v of inferIdx) {
      const c = clks[v]!;
      for (let i = 0; i < positions.length; i++) {
        const P = positions[i]!;
        let set = 0;
        for (const q of P) set += bit(c, q);
        has[i] = set >= Math.ceil(HAS_FRACTION * P.length) ? 1 : 0;
      }
      const g: Guess = {};
      const birthSalt = recordSalt(input.ext, targets.birth, {});
      const year = birthF ? run('birth', birthSalt, yearCands) : undefined;
      if (year !== undefined) g.year = year;
      for (const slot of ['first', 'last'] as const) {
        const f = targets[slot];
        let salt = '';
        if (saltCfg && saltCfg.features.includes(f)) {
          if (saltCfg.from !== targets.birth || saltCfg.transform !== 'year' || year === undefined) continue;
          salt = year;
        }
        const val = run(slot, salt, nameCands.get(slot) ?? []);
        if (val !== undefined) g[slot] = val;
      }
      if (g.first !== undefined || g.last !== undefined || g.year !== undefined) {
        guesses[v] = g;
        guessed++;
      }
    }
    return [
      {
        attack: 'pattern-mining',
        guesses,
        notes: { patterns: patterns.length, aligned: aligned.size, mined: n, inferred: inferIdx.length, guessed },
      },
    ];
  },
};
