/**
 * Linkage quality against ground truth, counted over pairs: every two
 * records of different parties that share a linkage ID form a linked pair;
 * every two records of different parties that belong to the same true entity
 * form a true pair. Precision, recall and F1 follow, overall and for each
 * party pair, and every wrong pair is listed with its kind:
 *
 *   missed  a true pair the linker did not put together
 *           (unlinked-both / unlinked-one: a record got no cross-party link;
 *            split: both were linked, but into different clusters;
 *            absent: a record is missing from the links file)
 *   false   a linked pair of two different people
 *           (or "not-in-truth": a record the truth file does not know)
 */
import type { LinksFile } from '../format/links.js';
import type { TruthRecord } from '../format/truth.js';
import { histogramOf, type Histogram } from './histogram.js';

export interface PairCounts {
  truePairs: number;
  linkedPairs: number;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface RecordRef {
  party: string;
  id: string;
}

export type MissedKind = 'unlinked-both' | 'unlinked-one' | 'split' | 'absent';
export type FalseKind = 'different-people' | 'not-in-truth';

export interface WrongPair {
  kind: 'missed' | 'false';
  detail: MissedKind | FalseKind;
  a: RecordRef;
  b: RecordRef;
  linkageA: string;
  linkageB: string;
  entityA: string;
  entityB: string;
  /** Lower of the two records' link scores, when known. */
  score: number | undefined;
}

export interface QualityResult extends PairCounts {
  parties: string[];
  records: Record<string, number>;
  /** Records carrying a linkage ID shared with another party's record. */
  linkedRecords: Record<string, number>;
  byPartyPair: (PairCounts & { parties: [string, string] })[];
  missedByKind: Record<MissedKind, number>;
  falseByKind: Record<FalseKind, number>;
  /** Wrong pairs, sorted (missed first, then false; by party pair and ids). */
  wrong: WrongPair[];
  histogram: Histogram;
  /** With trouble labels: true, missed and false pairs by kind of trouble, worst miss rate first. */
  byTrouble?: TroubleRow[];
  /** With score bands: linked pairs by the lower of their two records' link scores (pairs without a score are not counted). */
  byScoreBand?: ScoreBandRow[];
}

function ratios(truePairs: number, linkedPairs: number, tp: number): PairCounts {
  const fp = linkedPairs - tp;
  const fn = truePairs - tp;
  const precision = linkedPairs === 0 ? (truePairs === 0 ? 1 : 0) : tp / linkedPairs;
  const recall = truePairs === 0 ? 1 : tp / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, linkedPairs, tp, fp, fn, precision, recall, f1 };
}

const refKey = (r: RecordRef) => `${r.party}\u0000${r.id}`;

function orderPair(x: RecordRef, y: RecordRef): [RecordRef, RecordRef] {
  return refKey(x) <= refKey(y) ? [x, y] : [y, x];
}

function pairKey(x: RecordRef, y: RecordRef): string {
  const [a, b] = orderPair(x, y);
  return `${refKey(a)}\u0001${refKey(b)}`;
}

/** All cross-party pairs among the members of one group. */
function* crossPairs(members: readonly RecordRef[]): Generator<[RecordRef, RecordRef]> {
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      if (members[i]!.party !== members[j]!.party) yield orderPair(members[i]!, members[j]!);
    }
  }
}

export interface QualityOptions {
  /** Histogram from the linker's run report; otherwise built from the links files' scores. */
  histogram?: Histogram;
  threshold?: number;
  /** Synthetic data only: kinds of trouble each record carries, keyed by party + "\u0000" + record id (see readTrouble). */
  trouble?: ReadonlyMap<string, readonly string[]>;
  /**
   * Score bands [from, to) (the last band includes its upper end) to count
   * linked pairs and their precision in, by the lower of the two records'
   * link scores (with the match model: match probabilities).
   */
  scoreBands?: readonly { from: number; to: number }[];
}

/** Linked pairs in one score band and how many were right (measured against the truth). */
export interface ScoreBandRow {
  from: number;
  to: number;
  linked: number;
  correct: number;
  precision: number;
}

/** How pairs touched by one kind of trouble fared (a pair carries the union of its two records' kinds). */
export interface TroubleRow {
  kind: string;
  truePairs: number;
  missed: number;
  missRate: number;
  falsePairs: number;
}

export function computeQuality(links: readonly LinksFile[], truth: readonly TruthRecord[], opts: QualityOptions = {}): QualityResult {
  const parties = links.map((l) => l.party).sort();
  const partySet = new Set(parties);
  // linked clusters
  const clusters = new Map<string, RecordRef[]>();
  const linkageOf = new Map<string, string>();
  const records: Record<string, number> = {};
  for (const lf of links) {
    records[lf.party] = lf.records.size;
    for (const [id, e] of lf.records) {
      const ref = { party: lf.party, id };
      linkageOf.set(refKey(ref), e.linkageId);
      if (e.linkageId === '') continue;
      let c = clusters.get(e.linkageId);
      if (!c) clusters.set(e.linkageId, (c = []));
      c.push(ref);
    }
  }
  const scoreOf = (r: RecordRef): number | undefined => links.find((l) => l.party === r.party)?.records.get(r.id)?.score;
  const linkedRecords: Record<string, number> = Object.fromEntries(parties.map((p) => [p, 0]));
  const inLinkedCluster = new Set<string>();
  for (const members of clusters.values()) {
    if (new Set(members.map((m) => m.party)).size < 2) continue;
    for (const m of members) {
      linkedRecords[m.party] = (linkedRecords[m.party] ?? 0) + 1;
      inLinkedCluster.add(refKey(m));
    }
  }
  // truth, restricted to the parties that were linked
  const entities = new Map<string, RecordRef[]>();
  const entityOf = new Map<string, string>();
  for (const t of truth) {
    if (!partySet.has(t.party)) continue;
    const ref = { party: t.party, id: t.id };
    entityOf.set(refKey(ref), t.entity);
    let e = entities.get(t.entity);
    if (!e) entities.set(t.entity, (e = []));
    e.push(ref);
  }
  const ppKey = (a: RecordRef, b: RecordRef) => (a.party <= b.party ? `${a.party}|${b.party}` : `${b.party}|${a.party}`);
  const pp = new Map<string, { t: number; l: number; tp: number }>();
  const bump = (k: string, f: 't' | 'l' | 'tp') => {
    let c = pp.get(k);
    if (!c) pp.set(k, (c = { t: 0, l: 0, tp: 0 }));
    c[f]++;
  };
  for (let i = 0; i < parties.length; i++) for (let j = i + 1; j < parties.length; j++) pp.set(`${parties[i]}|${parties[j]}`, { t: 0, l: 0, tp: 0 });

  const truePairs = new Set<string>();
  for (const members of entities.values()) {
    for (const [a, b] of crossPairs(members)) {
      truePairs.add(pairKey(a, b));
      bump(ppKey(a, b), 't');
    }
  }
  const wrong: WrongPair[] = [];
  const missedByKind: Record<MissedKind, number> = { 'unlinked-both': 0, 'unlinked-one': 0, split: 0, absent: 0 };
  const falseByKind: Record<FalseKind, number> = { 'different-people': 0, 'not-in-truth': 0 };
  let linkedPairs = 0;
  let tp = 0;
  const linkedSet = new Set<string>();
  const minScore = (a: RecordRef, b: RecordRef) => {
    const x = scoreOf(a);
    const y = scoreOf(b);
    return x === undefined ? y : y === undefined ? x : Math.min(x, y);
  };
  const bands = opts.scoreBands?.map((b) => ({ ...b, linked: 0, correct: 0 }));
  const bandOf = (score: number | undefined) => {
    if (!bands || score === undefined) return undefined;
    return bands.find((b, i) => score >= b.from && (score < b.to || (i === bands.length - 1 && score <= b.to)));
  };
  for (const members of clusters.values()) {
    for (const [a, b] of crossPairs(members)) {
      const k = pairKey(a, b);
      linkedPairs++;
      linkedSet.add(k);
      bump(ppKey(a, b), 'l');
      const band = bandOf(bands ? minScore(a, b) : undefined);
      if (band) band.linked++;
      if (truePairs.has(k)) {
        tp++;
        bump(ppKey(a, b), 'tp');
        if (band) band.correct++;
      } else {
        const ea = entityOf.get(refKey(a));
        const eb = entityOf.get(refKey(b));
        const detail: FalseKind = ea === undefined || eb === undefined ? 'not-in-truth' : 'different-people';
        falseByKind[detail]++;
        wrong.push({ kind: 'false', detail, a, b, linkageA: linkageOf.get(refKey(a)) ?? '', linkageB: linkageOf.get(refKey(b)) ?? '', entityA: ea ?? '', entityB: eb ?? '', score: minScore(a, b) });
      }
    }
  }
  for (const members of entities.values()) {
    for (const [a, b] of crossPairs(members)) {
      const k = pairKey(a, b);
      if (linkedSet.has(k)) continue;
      const la = linkageOf.get(refKey(a));
      const lb = linkageOf.get(refKey(b));
      let detail: MissedKind;
      if (la === undefined || lb === undefined) detail = 'absent';
      else {
        const ia = inLinkedCluster.has(refKey(a));
        const ib = inLinkedCluster.has(refKey(b));
        detail = ia && ib ? 'split' : ia || ib ? 'unlinked-one' : 'unlinked-both';
      }
      missedByKind[detail]++;
      const e = entityOf.get(refKey(a)) ?? '';
      wrong.push({ kind: 'missed', detail, a, b, linkageA: la ?? '', linkageB: lb ?? '', entityA: e, entityB: e, score: undefined });
    }
  }
  let byTrouble: TroubleRow[] | undefined;
  if (opts.trouble) {
    const tr = opts.trouble;
    const rows = new Map<string, { t: number; m: number; f: number }>();
    const kindsOf = (a: RecordRef, b: RecordRef) => new Set([...(tr.get(refKey(a)) ?? []), ...(tr.get(refKey(b)) ?? [])]);
    const row = (k: string) => {
      let r = rows.get(k);
      if (!r) rows.set(k, (r = { t: 0, m: 0, f: 0 }));
      return r;
    };
    for (const members of entities.values()) {
      for (const [a, b] of crossPairs(members)) {
        const kinds = kindsOf(a, b);
        if (kinds.size === 0) kinds.add('(none)');
        const missed = !linkedSet.has(pairKey(a, b));
        for (const k of kinds) {
          const r = row(k);
          r.t++;
          if (missed) r.m++;
        }
      }
    }
    for (const w of wrong) {
      if (w.kind !== 'false') continue;
      const kinds = kindsOf(w.a, w.b);
      if (kinds.size === 0) kinds.add('(none)');
      for (const k of kinds) row(k).f++;
    }
    byTrouble = [...rows.entries()]
      .map(([kind, r]) => ({ kind, truePairs: r.t, missed: r.m, missRate: r.t === 0 ? 0 : r.m / r.t, falsePairs: r.f }))
      .sort((x, y) => y.missRate - x.missRate || y.missed - x.missed || (x.kind < y.kind ? -1 : 1));
  }
  const cmp = (x: WrongPair, y: WrongPair) =>
    x.kind !== y.kind ? (x.kind === 'missed' ? -1 : 1) : pairKey(x.a, x.b) < pairKey(y.a, y.b) ? -1 : 1;
  wrong.sort(cmp);

  const byPartyPair = [...pp.entries()]
    .sort((x, y) => (x[0] < y[0] ? -1 : 1))
    .map(([k, c]) => ({ parties: k.split('|') as [string, string], ...ratios(c.t, c.l, c.tp) }));

  let histogram = opts.histogram;
  if (!histogram) {
    const scores: number[] = [];
    for (const lf of links) for (const e of lf.records.values()) if (e.score !== undefined) scores.push(e.score);
    histogram = { bins: histogramOf(scores, 20), source: 'scores in the links files' };
  }
  if (opts.threshold !== undefined) histogram = { ...histogram, threshold: opts.threshold };
  return {
    parties,
    records,
    linkedRecords,
    ...ratios(truePairs.size, linkedPairs, tp),
    byPartyPair,
    missedByKind,
    falseByKind,
    wrong,
    histogram,
    ...(byTrouble ? { byTrouble } : {}),
    ...(bands ? { byScoreBand: bands.map((b) => ({ ...b, precision: b.linked === 0 ? 0 : b.correct / b.linked })) } : {}),
  };
}
