/**
 * Frequency attacks (Kuzu et al. 2011; Christen et al. 2017 "frequency
 * alignment"): a deterministic encoding of a value is as frequent as the
 * value. Sort the encoded values by frequency, sort the reference's
 * plaintext values by frequency, and read rank i as rank i.
 *
 *  - whole encodings: identical encodings ↔ identical (first, last, birth
 *    date) in the reference;
 *  - every keyed blocking column: the attacker recomputes the plain blocking
 *    value (the transform is public: Soundex, year, prefix, exact) on the
 *    reference and aligns ranks; a Soundex code then names the reference's
 *    most frequent first (or last) name with that code, a year the year.
 *
 * A rank is read while both values occur at least 5 times and the encoded
 * and the reference frequency agree within 30%.
 *
 * Cluster frequency (the attack that defeats a filter of a single field,
 * Kuzu et al. 2011 applied to clusters): encodings of the same plaintext are
 * identical (the CLK and ELD are deterministic), so clustering a column's
 * identical encodings and ranking the clusters by size aligns them with the
 * reference's most frequent values of whatever the column encodes. The
 * attacker does not need to know which fields those are: it tries each
 * plaintext key (first name; last name; first + last, also order-free;
 * either name with the birth date; all three; the birth date) and keeps the
 * key whose frequency ranks align best (most ranks within 30%; a choice it
 * can make without the truth).
 */
import { plainBlockValue } from '../encode/blocking-keys.js';
import { birthYear } from './reference.js';
import type { Attack, AttackInput, AttackResult, ClusterKey, Guess, PlainRecord, Targets } from './types.js';

const MAX_RANKS = 500;
const MIN_COUNT = 5;

function ranked<T>(values: Iterable<T>): [T, number][] {
  const m = new Map<T, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
}

/** Map encoded value → plaintext value for ranks that can be told apart. */
export function alignRanks<P>(enc: [string, number][], plain: [P, number][], nEnc: number, nPlain: number): Map<string, P> {
  const out = new Map<string, P>();
  const k = Math.min(enc.length, plain.length, MAX_RANKS);
  for (let i = 0; i < k; i++) {
    const fe = enc[i]![1] / nEnc;
    const fp = plain[i]![1] / nPlain;
    if (enc[i]![1] < MIN_COUNT || plain[i]![1] < MIN_COUNT) break;
    if (Math.abs(fe - fp) > 0.3 * fp) continue;
    out.set(enc[i]![0], plain[i]![0]);
  }
  return out;
}

function mostFrequentBy(reference: readonly PlainRecord[], key: (r: PlainRecord) => string, value: (r: PlainRecord) => string): Map<string, string> {
  const m = new Map<string, Map<string, number>>();
  for (const r of reference) {
    const k = key(r);
    const v = value(r);
    if (k === '' || v === '') continue;
    let c = m.get(k);
    if (!c) m.set(k, (c = new Map()));
    c.set(v, (c.get(v) ?? 0) + 1);
  }
  const out = new Map<string, string>();
  for (const [k, c] of m) out.set(k, [...c.entries()].sort((a, b) => b[1] - a[1])[0]![0]);
  return out;
}

export const encodingFrequencyAttack: Attack = {
  name: 'frequency-encoding',
  run(input: AttackInput): AttackResult[] {
    const { targets } = input;
    const keyOf = (c: Uint8Array) => Buffer.from(c).toString('base64');
    const enc = ranked(input.clks.map(keyOf));
    const plainKey = (r: PlainRecord) => [r[targets.first] ?? '', r[targets.last] ?? '', r[targets.birth] ?? ''].join('\u0001');
    const plain = ranked(input.reference.map(plainKey));
    const map = alignRanks(enc, plain, input.clks.length, input.reference.length);
    const guesses: (Guess | undefined)[] = new Array(input.clks.length);
    let guessed = 0;
    input.clks.forEach((c, i) => {
      const p = map.get(keyOf(c));
      if (p === undefined) return;
      const [first, last, birth] = p.split('\u0001') as [string, string, string];
      const g: Guess = {};
      if (first) g.first = first;
      if (last) g.last = last;
      const y = birthYear(birth);
      if (y) g.year = y;
      guesses[i] = g;
      guessed++;
    });
    return [{ attack: 'frequency-encoding', guesses, notes: { distinctEncodings: enc.length, alignedRanks: map.size, guessed } }];
  },
};

export const blockingFrequencyAttack: Attack = {
  name: 'frequency-blocking',
  run(input: AttackInput): AttackResult[] {
    const { targets } = input;
    const out: AttackResult[] = [];
    for (const def of input.ext.blocking) {
      const col = input.blocks[def.name];
      if (!col) continue;
      const plainOf = (r: PlainRecord) => {
        const v = r[def.feature] ?? '';
        return v === '' ? '' : plainBlockValue(def, v);
      };
      const refPlain = input.reference.map(plainOf).filter((v) => v !== '');
      const encVals = col.filter((v) => v !== '');
      const map = alignRanks(ranked(encVals), ranked(refPlain), encVals.length, refPlain.length);
      // what a plain blocking value tells about each target attribute
      const guessOf: { slot: keyof Guess; m: Map<string, string> }[] = [];
      for (const [slot, feature] of [
        ['first', targets.first],
        ['last', targets.last],
      ] as const) {
        if (def.feature === feature) guessOf.push({ slot, m: mostFrequentBy(input.reference, plainOf, (r) => r[feature] ?? '') });
      }
      if (def.feature === targets.birth) guessOf.push({ slot: 'year', m: mostFrequentBy(input.reference, plainOf, (r) => birthYear(r[targets.birth])) });
      const guesses: (Guess | undefined)[] = new Array(col.length);
      let guessed = 0;
      col.forEach((v, i) => {
        const p = map.get(v);
        if (p === undefined) return;
        const g: Guess = {};
        for (const { slot, m } of guessOf) {
          const x = m.get(p);
          if (x !== undefined) g[slot] = x;
        }
        if (Object.keys(g).length > 0) {
          guesses[i] = g;
          guessed++;
        }
      });
      out.push({ attack: 'frequency-blocking', detail: `block:${def.name}`, guesses, notes: { distinctValues: new Set(encVals).size, alignedRanks: map.size, guessed } });
    }
    return out;
  },
};

/** The plaintext keys the cluster-frequency attack tries by default. */
export function defaultClusterKeys(t: Targets): ClusterKey[] {
  return [
    { name: 'first', features: [t.first] },
    { name: 'last', features: [t.last] },
    { name: 'birth', features: [t.birth] },
    { name: 'first+last', features: [t.first, t.last] },
    { name: '{first,last}', features: [t.first, t.last], orderFree: true },
    { name: 'first+birth', features: [t.first, t.birth] },
    { name: 'last+birth', features: [t.last, t.birth] },
    { name: 'first+last+birth', features: [t.first, t.last, t.birth] },
  ];
}

function clusterKeyOf(k: ClusterKey): (r: PlainRecord) => string {
  return (r) => {
    const v = k.features.map((f) => r[f] ?? '');
    if (v.some((x) => x === '')) return '';
    if (k.orderFree) v.sort();
    return v.join('\u0001');
  };
}

export const clusterFrequencyAttack: Attack = {
  name: 'cluster-frequency',
  run(input: AttackInput): AttackResult[] {
    const { targets } = input;
    const keyOf = (c: Uint8Array) => Buffer.from(c).toString('base64');
    const encKeys = input.clks.map(keyOf);
    const enc = ranked(encKeys);
    let best: { key: ClusterKey; guesses: (Guess | undefined)[]; guessed: number; aligned: number } | undefined;
    for (const key of input.clusterKeys ?? defaultClusterKeys(targets)) {
      const kf = clusterKeyOf(key);
      const plain = ranked(input.reference.map(kf).filter((v) => v !== ''));
      const nPlain = plain.reduce((a, [, c]) => a + c, 0);
      if (nPlain === 0) continue;
      const map = alignRanks(enc, plain, input.clks.length, nPlain);
      if (map.size === 0) continue;
      // what a plain key tells: the most frequent reference person with that key
      const rep = mostFrequentBy(input.reference, kf, (r) => [r[targets.first] ?? '', r[targets.last] ?? '', birthYear(r[targets.birth])].join('\u0001'));
      const has = new Set(key.features);
      const guesses: (Guess | undefined)[] = new Array(input.clks.length);
      let guessed = 0;
      encKeys.forEach((k, i) => {
        const p = map.get(k);
        if (p === undefined) return;
        const r = rep.get(p);
        if (r === undefined) return;
        const [first, last, year] = r.split('\u0001') as [string, string, string];
        const g: Guess = {};
        if (has.has(targets.first) && first) g.first = first;
        if (has.has(targets.last) && last) g.last = last;
        if (has.has(targets.birth) && year) g.year = year;
        if (Object.keys(g).length === 0) return;
        guesses[i] = g;
        guessed++;
      });
      // the key whose frequency ranks fit the clusters best (an attacker's choice without the truth)
      if (!best || map.size > best.aligned || (map.size === best.aligned && guessed > best.guessed)) best = { key, guesses, guessed, aligned: map.size };
    }
    const detail = input.column ?? 'clk';
    if (!best) return [{ attack: 'cluster-frequency', detail, guesses: new Array(input.clks.length), notes: { clusters: enc.length, key: 'none aligned', guessed: 0 } }];
    return [{ attack: 'cluster-frequency', detail, guesses: best.guesses, notes: { clusters: enc.length, key: best.key.name, alignedRanks: best.aligned, guessed: best.guessed } }];
  },
};
