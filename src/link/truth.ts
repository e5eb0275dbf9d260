import { P20Error } from '../errors.js';
import { openCsv } from '../io/csv.js';
import type { PartyData, TruthRecord } from './types.js';

/**
 * Ground truth for evaluation runs (synthetic or clerically reviewed data):
 * a CSV with header `entity_id,party,record_id`, one row per record, records
 * of one real person sharing an entity_id. Records absent from the truth are
 * taken to be people of their own.
 */
export const TRUTH_COLUMNS = ['entity_id', 'party', 'record_id'] as const;

export async function readTruth(path: string): Promise<TruthRecord[]> {
  const t = await openCsv(path, { trim: true });
  const idx = TRUTH_COLUMNS.map((c) => t.header.indexOf(c));
  const missing = TRUTH_COLUMNS.filter((_, k) => idx[k]! < 0);
  if (missing.length > 0) {
    throw new P20Error('TRUTH_HEADER', `truth file needs columns ${TRUTH_COLUMNS.join(',')}; missing ${missing.join(', ')}`, { file: path, line: 1 });
  }
  const out: TruthRecord[] = [];
  const seen = new Map<string, number>();
  for await (const batch of t.batches) {
    for (const r of batch) {
      const entity = r.fields[idx[0]!]!;
      const party = r.fields[idx[1]!]!;
      const id = r.fields[idx[2]!]!;
      for (const [v, name] of [
        [entity, 'entity_id'],
        [party, 'party'],
        [id, 'record_id'],
      ] as const) {
        if (v.length === 0) throw new P20Error('TRUTH_ROW', 'value is empty', { file: path, line: r.line, field: name });
      }
      const key = `${party}\u0000${id}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        throw new P20Error('TRUTH_ROW', `record ${JSON.stringify(id)} of party ${JSON.stringify(party)} is listed twice (first on line ${prev})`, { file: path, line: r.line, field: 'record_id' });
      }
      seen.set(key, r.line);
      out.push({ entity, party, id });
    }
  }
  return out;
}

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

export interface PairQuality {
  /** Record pairs the truth says are the same person (among this run's records). */
  truePairs: number;
  /** Record pairs the linkage put into one cluster. */
  linkedPairs: number;
  /** Linked pairs that are true pairs. */
  correctPairs: number;
  precision: number;
  recall: number;
  f1: number;
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
