/**
 * The truth file contract (evaluation runs: synthetic or clerically reviewed
 * data): a CSV with the columns `entity_id,party,record_id` (others are
 * ignored), one row per record, records of one real person sharing an
 * entity_id. Records absent from the truth are taken to be people of their
 * own. Read by `p20link link --truth` and `p20link report`.
 *
 * One trimming rule: none. Values are taken exactly as written, and a value
 * with leading or trailing white space is refused (TRUTH_ROW), because a
 * record id " 12" would silently fail to match the "12" of the links and
 * encoded files; so is an empty value and a record listed twice.
 */
import { P20Error } from '../errors.js';
import { openCsv } from '../io/csv.js';

export const TRUTH_COLUMNS = ['entity_id', 'party', 'record_id'] as const;

export interface TruthRecord {
  entity: string;
  party: string;
  id: string;
}

export async function readTruth(path: string): Promise<TruthRecord[]> {
  const t = await openCsv(path);
  const idx = TRUTH_COLUMNS.map((c) => t.header.indexOf(c));
  const missing = TRUTH_COLUMNS.filter((_, k) => idx[k]! < 0);
  if (missing.length > 0) {
    throw new P20Error('TRUTH_HEADER', `truth file needs columns ${TRUTH_COLUMNS.join(',')}; missing ${missing.join(', ')}`, { file: path, line: 1, field: missing[0]! });
  }
  const out: TruthRecord[] = [];
  const seen = new Map<string, number>();
  for await (const batch of t.batches) {
    for (const r of batch) {
      const v = idx.map((i) => r.fields[i]!);
      TRUTH_COLUMNS.forEach((name, k) => {
        if (v[k]!.length === 0) throw new P20Error('TRUTH_ROW', 'value is empty', { file: path, line: r.line, field: name });
        if (v[k]!.trim() !== v[k]) throw new P20Error('TRUTH_ROW', 'value has leading or trailing white space (truth values are taken exactly as written)', { file: path, line: r.line, field: name });
      });
      const [entity, party, id] = v as [string, string, string];
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
