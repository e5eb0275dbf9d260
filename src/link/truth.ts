import type { PairQuality } from '../format/run-report.js';
import type { TruthRecord } from '../format/truth.js';
import type { PartyData } from './types.js';

/**
 * Evaluation against ground truth (the truth file, read by
 * src/format/truth.ts): which records are one entity, the true pairs between
 * two parties, and pairwise quality of a clustering.
 */
export type { PairQuality };

/** Entity of every record of every party (undefined when the truth does not list it). */
export function truthEntities(truth: readonly TruthRecord[], parties: readonly Pick<PartyData, 'name' | 'ids'>[]): (string | undefined)[][] {
  const byKey = new Map<string, string>();
  for (const t of truth) byKey.set(`${t.party}\u0000${t.id}`, t.entity);
  return parties.map((p) => p.ids.map((id) => byKey.get(`${p.name}\u0000${id}`)));
}

/** True matching pairs (index in A, index in B) between two parties. */
export function truePairsBetween(entA: readonly (string | undefined)[], entB: readonly (string | undefined)[]): [number, number][] {
  const inB = new Map<string, number[]>();
  entB.forEach((e, j) => {
    if (e === undefined) return;
    let l = inB.get(e);
    if (!l) {
      l = [];
      inB.set(e, l);
    }
    l.push(j);
  });
  const out: [number, number][] = [];
  entA.forEach((e, i) => {
    if (e === undefined) return;
    for (const j of inB.get(e) ?? []) out.push([i, j]);
  });
  return out;
}

const choose2 = (k: number): number => (k * (k - 1)) / 2;

/**
 * Pairwise quality of a clustering against the truth: every unordered pair
 * of records (any parties) in one cluster is a predicted match; every pair
 * with one entity is a true match. For two parties and one-to-one links
 * this is the usual precision/recall of the linked pairs.
 */
export function pairQuality(clusterOf: ArrayLike<number>, entity: readonly (string | undefined)[]): PairQuality {
  const n = clusterOf.length;
  const clusterSize = new Map<number, number>();
  const entitySize = new Map<string, number>();
  const both = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const c = clusterOf[i]!;
    clusterSize.set(c, (clusterSize.get(c) ?? 0) + 1);
    const e = entity[i];
    if (e === undefined) continue;
    entitySize.set(e, (entitySize.get(e) ?? 0) + 1);
    const k = `${c}\u0000${e}`;
    both.set(k, (both.get(k) ?? 0) + 1);
  }
  let linkedPairs = 0;
  for (const s of clusterSize.values()) linkedPairs += choose2(s);
  let truePairs = 0;
  for (const s of entitySize.values()) truePairs += choose2(s);
  let correctPairs = 0;
  for (const s of both.values()) correctPairs += choose2(s);
  const precision = linkedPairs === 0 ? 1 : correctPairs / linkedPairs;
  const recall = truePairs === 0 ? 1 : correctPairs / truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { truePairs, linkedPairs, correctPairs, precision, recall, f1 };
}
