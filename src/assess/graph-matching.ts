/**
 * Graph-matching attack, after Vidanage, Ranbaduge, Christen & Schnell
 * ("A graph matching attack on privacy-preserving record linkage", CIKM
 * 2020; "Efficient pattern mining based cryptanalysis", 2019). Encodings
 * are built to preserve similarity, so the similarity graph of the encoded
 * file looks like the similarity graph of its plaintext; a node's place in
 * its graph is a fingerprint that survives any hardening that keeps
 * linkage working.
 *
 *  1. Take n victims and n reference people (seeded samples).
 *  2. Encoded graph: Dice of every two encodings. Plaintext graph: the Dice
 *     a collision-free Bloom filter would give, computed from the public
 *     schema (tokens of each feature the reference holds, each weighted by
 *     its bits per token; salting applied).
 *  3. Calibrate: map encoded similarities onto plaintext ones by quantiles
 *     (the two populations have the same distribution).
 *  4. Node fingerprint: the 10 largest calibrated similarities and the
 *     (log) degree at the 99th, 99.9th and 99.99th percentile of all
 *     similarities.
 *  5. Match each victim to the reference node with the nearest fingerprint
 *     (L1); guess for the fifth of victims whose match is closest, reading
 *     the reference node's first name, last name and birth year.
 *
 * With a reference that overlaps the victims (a leaked copy of the same
 * people) this re-identifies; with a disjoint reference it can only be
 * right when the matched people share a name, which is the point of
 * measuring it.
 */
import { popcount32 } from '../link/dice.js';
import { bitsForTokens } from '../encode/tokenize.js';
import { sampleIndexes } from './pattern-mining.js';
import { birthYear } from './reference.js';
import { featureTokenizer, recordSalt, referenceFeatures, tokenKey } from './tokens.js';
import { DEFAULT_LIMITS, type Attack, type AttackInput, type AttackResult, type Guess } from './types.js';

const TOP = 10;

function encodedSims(clks: Uint8Array[]): Float32Array {
  const n = clks.length;
  const words = clks.map((c) => {
    const w = new Uint32Array(Math.ceil(c.length / 4));
    for (let i = 0; i < c.length; i++) w[i >>> 2]! |= c[i]! << (8 * (i & 3));
    return w;
  });
  const pc = words.map((w) => {
    let s = 0;
    for (const x of w) s += popcount32(x);
    return s;
  });
  const out = new Float32Array((n * (n - 1)) / 2);
  let k = 0;
  for (let a = 0; a < n; a++) {
    const wa = words[a]!;
    for (let b = a + 1; b < n; b++) {
      const wb = words[b]!;
      let c = 0;
      for (let i = 0; i < wa.length; i++) c += popcount32(wa[i]! & wb[i]!);
      const d = pc[a]! + pc[b]!;
      out[k++] = d === 0 ? 0 : (2 * c) / d;
    }
  }
  return out;
}

function plainSims(input: AttackInput, idx: number[]): Float32Array {
  const feats = referenceFeatures(input.schema, input.reference);
  const tz = new Map(feats.map((f) => [f.identifier, featureTokenizer(f)]));
  const ids = new Map<string, number>();
  const recs = idx.map((i) => {
    const r = input.reference[i]!;
    const m = new Map<number, number>();
    for (const f of feats) {
      const v = r[f.identifier] ?? '';
      if (v === '') continue;
      const toks = tz.get(f.identifier)!(v, recordSalt(input.ext, f.identifier, r));
      toks.forEach((t, i) => {
        const key = tokenKey(f.identifier, t);
        let id = ids.get(key);
        if (id === undefined) ids.set(key, (id = ids.size));
        m.set(id, Math.max(m.get(id) ?? 0, bitsForTokens(f.hashing.strategy, toks.length, i)));
      });
    }
    const keys = [...m.keys()].sort((a, b) => a - b);
    const total = keys.reduce((s, k) => s + m.get(k)!, 0);
    return { keys: Int32Array.from(keys), w: Float32Array.from(keys.map((k) => m.get(k)!)), total };
  });
  const n = recs.length;
  const out = new Float32Array((n * (n - 1)) / 2);
  let k = 0;
  for (let a = 0; a < n; a++) {
    const ra = recs[a]!;
    for (let b = a + 1; b < n; b++) {
      const rb = recs[b]!;
      let i = 0;
      let j = 0;
      let common = 0;
      while (i < ra.keys.length && j < rb.keys.length) {
        const x = ra.keys[i]!;
        const y = rb.keys[j]!;
        if (x === y) {
          common += Math.min(ra.w[i]!, rb.w[j]!);
          i++;
          j++;
        } else if (x < y) i++;
        else j++;
      }
      const d = ra.total + rb.total;
      out[k++] = d === 0 ? 0 : (2 * common) / d;
    }
  }
  return out;
}

function quantiles(sims: Float32Array, q: number): Float32Array {
  const s = Float32Array.from(sims).sort();
  const out = new Float32Array(q + 1);
  for (let i = 0; i <= q; i++) out[i] = s[Math.min(s.length - 1, Math.floor((i / q) * (s.length - 1)))]!;
  return out;
}

/** Map x through quantile table `from` onto table `to`. */
function calibrate(x: number, from: Float32Array, to: Float32Array): number {
  let lo = 0;
  let hi = from.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (from[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return to[lo]!;
}

function fingerprints(sims: Float32Array, n: number, map: (x: number) => number, cuts: number[]): Float64Array[] {
  const top = Array.from({ length: n }, () => new Float64Array(TOP));
  const deg = Array.from({ length: n }, () => new Float64Array(cuts.length));
  const push = (t: Float64Array, v: number) => {
    if (v <= t[TOP - 1]!) return;
    let i = TOP - 1;
    while (i > 0 && t[i - 1]! < v) {
      t[i] = t[i - 1]!;
      i--;
    }
    t[i] = v;
  };
  let k = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const v = map(sims[k++]!);
      push(top[a]!, v);
      push(top[b]!, v);
      for (let c = 0; c < cuts.length; c++) {
        if (v >= cuts[c]!) {
          deg[a]![c]!++;
          deg[b]![c]!++;
        }
      }
    }
  }
  return top.map((t, i) => {
    const f = new Float64Array(TOP + cuts.length);
    f.set(t, 0);
    for (let c = 0; c < cuts.length; c++) f[TOP + c] = Math.log1p(deg[i]![c]!) / 5;
    return f;
  });
}

export const graphMatchingAttack: Attack = {
  name: 'graph-matching',
  run(input: AttackInput): AttackResult[] {
    const lim = { ...DEFAULT_LIMITS, ...input.limits };
    const N = input.clks.length;
    const n = Math.min(lim.graphNodes, N, input.reference.length);
    const guesses: (Guess | undefined)[] = new Array(N);
    if (n < 20) return [{ attack: 'graph-matching', guesses, notes: { nodes: n } }];
    const vIdx = sampleIndexes(N, n, input.seed ^ 0x6a);
    const rIdx = sampleIndexes(input.reference.length, n, input.seed ^ 0x7b);
    const es = encodedSims(vIdx.map((i) => input.clks[i]!));
    const ps = plainSims(input, rIdx);
    const qe = quantiles(es, 2000);
    const qp = quantiles(ps, 2000);
    const qs = quantiles(ps, 10000);
    const cuts = [qs[9900]!, qs[9990]!, qs[9999]!];
    const fe = fingerprints(es, n, (x) => calibrate(x, qe, qp), cuts);
    const fp = fingerprints(ps, n, (x) => x, cuts);
    const dist = (a: Float64Array, b: Float64Array) => {
      let s = 0;
      for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
      return s;
    };
    const bestOfE = new Int32Array(n);
    const bestD = new Float64Array(n);
    for (let a = 0; a < n; a++) {
      let best = -1;
      let bd = Infinity;
      for (let b = 0; b < n; b++) {
        const d = dist(fe[a]!, fp[b]!);
        if (d < bd) {
          bd = d;
          best = b;
        }
      }
      bestOfE[a] = best;
      bestD[a] = bd;
    }
    // guess for the most confident fifth: nearest-fingerprint distance in the lowest quintile
    const cut = Float64Array.from(bestD).sort()[Math.floor(0.2 * (n - 1))]!;
    const t = input.targets;
    let guessed = 0;
    for (let a = 0; a < n; a++) {
      const b = bestOfE[a]!;
      if (b < 0 || bestD[a]! > cut) continue;
      const r = input.reference[rIdx[b]!]!;
      const g: Guess = {};
      if (r[t.first]) g.first = r[t.first]!;
      if (r[t.last]) g.last = r[t.last]!;
      const y = birthYear(r[t.birth]);
      if (y) g.year = y;
      guesses[vIdx[a]!] = g;
      guessed++;
    }
    return [{ attack: 'graph-matching', guesses, notes: { nodes: n, guessed } }];
  },
};
