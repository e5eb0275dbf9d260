/**
 * Pattern-mining attack on Bloom-filter encodings, after Christen, Schnell,
 * Vatsalan & Ranbaduge (PAKDD 2017, "Efficient cryptanalysis of Bloom
 * filters for PPRL") and Christen, Ranbaduge, Vatsalan & Schnell (TKDD
 * 2018, "Precise and fast cryptanalysis for Bloom filter based PPRL").
 *
 * 1. Mining. Every token a record holds sets the same keyed positions in
 *    every encoding that holds it, so those positions form a frequent
 *    itemset. Pairs of positions that co-occur far above independence
 *    (z >= 4) seed itemsets; an itemset grows by the position most
 *    over-represented among its records (lift over the position's base rate)
 *    that keeps at least 90% of them (while it has fewer than 6 positions,
 *    any position with lift >= 1.3 that keeps half), and stops when none
 *    does. An itemset found again from another seed is dropped.
 * 2. Alignment. Patterns are matched to reference tokens (tokenized as the
 *    public schema says, salting included) by frequency, disambiguated by
 *    co-occurrence with the patterns aligned before (the joint frequency of
 *    two patterns must match that of their tokens in the reference).
 * 3. Re-identification. A victim "has" an aligned token when (nearly) all
 *    its positions are set. For birth year, then first and last name, every
 *    candidate reference value is scored: +1 per aligned token it has and
 *    the victim has, -3 per aligned token it has and the victim lacks, -1
 *    per aligned token of that attribute the victim has and the value does
 *    not explain. The best value is guessed when it is supported by at least
 *    two tokens, contradicted by none and beats the runner-up.
 */
import { popcount32 } from '../link/dice.js';
import { bitsForTokens } from '../encode/tokenize.js';
import type { HashedFeature } from '../schema/types.js';
import { birthYear } from './reference.js';
import { featureTokenizer, recordSalt, referenceFeatures, tokenKey, type FeatureTokenizer } from './tokens.js';
import { DEFAULT_LIMITS, type Attack, type AttackInput, type AttackResult, type Guess } from './types.js';

const RETAIN = 0.9;
const MIN_PATTERN = 4;
const MAX_PATTERNS = 600;
const HAS_FRACTION = 0.8;
const Z_MIN = 4;

interface Pattern {
  pos: number[];
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

/** Mine frequent position itemsets from the encodings of the sample. */
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
  const eligible: number[] = [];
  for (let j = 0; j < l; j++) if (count[j]! >= minCount && count[j]! <= 0.97 * n) eligible.push(j);
  const E = eligible.length;
  const eIndex = new Int32Array(l).fill(-1);
  eligible.forEach((j, k) => (eIndex[j] = k));
  const rows: Uint16Array[] = clks.map((c) => {
    const out: number[] = [];
    for (let j = 0; j < l; j++) if (eIndex[j]! >= 0 && bit(c, j)) out.push(eIndex[j]!);
    return Uint16Array.from(out);
  });
  const avgBits = rows.reduce((a, r) => a + r.length, 0) / Math.max(1, n);
  // pairwise co-occurrence among eligible positions
  const C = new Int32Array(E * E);
  for (let a = 0; a < E; a++) {
    const ja = eligible[a]!;
    C[a * E + a] = count[ja]!;
    for (let b = a + 1; b < E; b++) {
      const v = andCount(cols, ja * W, cols, eligible[b]! * W, W);
      C[a * E + b] = v;
      C[b * E + a] = v;
    }
  }
  // excess co-occurrence of two positions, as a z-score against independence
  const Z = new Float32Array(E * E);
  const pairs: number[] = [];
  for (let a = 0; a < E; a++) {
    const ca = count[eligible[a]!]!;
    for (let b = a + 1; b < E; b++) {
      const cb = count[eligible[b]!]!;
      const e = (ca * cb) / n;
      const v = e * (1 - ca / n) * (1 - cb / n);
      const z = (C[a * E + b]! - e) / Math.sqrt(Math.max(v, 1e-9));
      Z[a * E + b] = z;
      Z[b * E + a] = z;
      if (z >= Z_MIN) pairs.push(a * E + b);
    }
  }
  pairs.sort((x, y) => Z[y]! - Z[x]!);
  const seeded = new Uint8Array(E);
  const patterns: Pattern[] = [];
  const R = new Uint32Array(W);
  const inter = new Int32Array(E);
  for (const pr of pairs) {
    if (patterns.length >= MAX_PATTERNS) break;
    const a0 = Math.floor(pr / E);
    const b0 = pr % E;
    if (seeded[a0] || seeded[b0]) continue;
    const P = [a0, b0];
    const inP = new Uint8Array(E);
    inP[a0] = 1;
    inP[b0] = 1;
    for (let i = 0; i < W; i++) R[i] = cols[eligible[a0]! * W + i]! & cols[eligible[b0]! * W + i]!;
    let r = C[a0 * E + b0]!;
    for (;;) {
      // support of R ∩ column k for every k: by bit columns, or from R's records when fewer
      if (r * avgBits < E * W) {
        inter.fill(0);
        for (let w = 0; w < W; w++) {
          let x = R[w]!;
          while (x !== 0) {
            const low = x & -x;
            const rec = (w << 5) + (31 - Math.clz32(low));
            x ^= low;
            const list = rows[rec]!;
            for (let q = 0; q < list.length; q++) inter[list[q]!]!++;
          }
        }
      } else {
        for (let k = 0; k < E; k++) inter[k] = inP[k] ? 0 : andCount(R, 0, cols, eligible[k]! * W, W);
      }
      // the position most over-represented among the pattern's records (lift over its base
      // rate) among those that keep RETAIN of them; early on, any with lift >= 1.3
      let best = -1;
      let bestLift = 0;
      let loose = -1;
      let looseLift = 0;
      for (let k = 0; k < E; k++) {
        if (inP[k]) continue;
        const c = inter[k]!;
        if (c < minCount) continue;
        const lift = c / r / (count[eligible[k]!]! / n);
        if (c >= RETAIN * r && lift > bestLift) {
          bestLift = lift;
          best = k;
        }
        if (c >= 0.5 * r && lift > looseLift) {
          looseLift = lift;
          loose = k;
        }
      }
      if (best < 0 || (bestLift < 1.05 && P.length < 6)) {
        if (P.length < 6 && loose >= 0 && looseLift >= 1.3) best = loose;
        else break;
      }
      if (best < 0) break;
      P.push(best);
      inP[best] = 1;
      for (let i = 0; i < W; i++) R[i]! &= cols[eligible[best]! * W + i]!;
      r = inter[best]!;
    }
    if (P.length < MIN_PATTERN || r < minCount) {
      seeded[a0] = 1;
      continue;
    }
    for (const p of P) seeded[p] = 1;
    // the same itemset found from another seed
    let dup = false;
    for (const q of patterns) {
      const both = andCount(q.rec, 0, R, 0, W);
      if (both >= 0.8 * Math.max(q.support, r)) {
        dup = true;
        break;
      }
    }
    if (!dup) patterns.push({ pos: P.map((p) => eligible[p]!), rec: R.slice(), support: r });
  }
  return patterns.sort((a, b) => b.support - a.support);
}

interface RefTokens {
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

function popAnd(a: Uint32Array, b: Uint32Array): number {
  let c = 0;
  for (let i = 0; i < a.length; i++) c += popcount32(a[i]! & b[i]!);
  return c;
}

/**
 * Align mined patterns to reference tokens, most frequent pattern first:
 * candidates are the unaligned tokens of about the pattern's frequency; the
 * joint frequency with the patterns aligned before (anchors) must match the
 * candidate's joint frequency with the anchors' tokens in the reference.
 * Returns token key → positions.
 */
export function alignPatterns(patterns: Pattern[], n: number, ref: RefTokens): Map<string, number[]> {
  const assigned = new Map<string, number[]>();
  const used = new Uint8Array(ref.keys.length);
  const anchors: { p: Pattern; t: number }[] = [];
  for (const p of patterns) {
    const s = p.support / n;
    let best = -1;
    let bestScore = Infinity;
    for (let t = 0; t < ref.keys.length; t++) {
      if (used[t]) continue;
      const f = ref.freq[t]!;
      if (f < 0.7 * s || f > 1.15 * s) continue;
      if (p.pos.length > 1.3 * ref.kAvg[t]! + 2) continue;
      let score = Math.abs(s - f) / s;
      if (anchors.length > 0) {
        let dev = 0;
        for (const a of anchors) {
          const o = popAnd(p.rec, a.p.rec) / n;
          const e = popAnd(ref.bits[t]!, ref.bits[a.t]!) / ref.M;
          dev += Math.abs(o - e) / Math.max(o, e, 0.05 * s);
        }
        score += dev / anchors.length;
      }
      if (score < bestScore) {
        bestScore = score;
        best = t;
      }
    }
    if (best < 0 || bestScore > (anchors.length > 0 ? 0.6 : 0.15)) continue;
    used[best] = 1;
    assigned.set(ref.keys[best]!, p.pos);
    if (anchors.length < 40) anchors.push({ p, t: best });
  }
  return assigned;
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

/** Pick the best-scoring value, or undefined. `score` returns [support, contradictions]. */
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
    const minCount = Math.max(15, Math.floor(0.003 * n));
    const patterns = minePatterns(mine, l, minCount);
    const feats = referenceFeatures(input.schema, input.reference);
    const tokenizers = new Map(feats.map((f) => [f.identifier, featureTokenizer(f)]));
    const ref = referenceTokens(input, feats, tokenizers, (0.6 * minCount) / n, 12000);
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
        if (saltCfg?.features.includes(f)) {
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
