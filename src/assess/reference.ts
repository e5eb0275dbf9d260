/**
 * Plaintext populations for the harness: the attacker's reference (a CSV of
 * people, or a frequency list with a "count" column) and, for scoring only,
 * the victims' own plaintext. Values are normalized with the schema's own
 * p20link.normalize steps, so they compare with what was encoded; a value
 * that does not normalize is treated as missing.
 */
import { P20Error } from '../errors.js';
import type { P20linkExtension } from '../schema/extension.js';
import { plainBlockValue } from '../encode/blocking-keys.js';
import { openCsv } from '../io/csv.js';
import { NormalizeError } from '../normalize/errors.js';
import { compileSteps, type Normalizer } from '../normalize/steps.js';
import type { LinkageSchema } from '../schema/types.js';
import type { PlainRecord } from './types.js';

export interface ReadPlainOptions {
  /** feature → CSV column (default: the feature identifier, else the schema's p20link.columns). */
  map?: Record<string, string>;
  /** CSV column of the record id (victims' plaintext only). */
  idColumn?: string;
  /** Most rows read (a frequency list's counts included). */
  maxRows?: number;
}

/** Normalizers of the schema's hashed features (identity where none is declared). */
export function plainNormalizers(schema: LinkageSchema, ext: P20linkExtension): Map<string, Normalizer> {
  const out = new Map<string, Normalizer>();
  for (const f of schema.features) {
    if (f.ignored) continue;
    const steps = ext.normalize[f.identifier];
    const n = steps ? compileSteps(steps) : (v: string) => v;
    out.set(f.identifier, (v) => {
      try {
        return n(v);
      } catch (e) {
        if (e instanceof NormalizeError) return '';
        throw e;
      }
    });
  }
  return out;
}

/** Normalize one raw person (feature → raw value). */
export function normalizePlain(raw: Record<string, string>, norms: Map<string, Normalizer>): PlainRecord {
  const out: PlainRecord = {};
  for (const [f, n] of norms) if (raw[f] !== undefined) out[f] = n(raw[f]!);
  return out;
}

/** Birth year ("YYYY") of a normalized date value, "" when missing. */
export function birthYear(value: string | undefined): string {
  return value ? plainBlockValue({ name: 'year', feature: '', transform: 'year' }, value) : '';
}

/**
 * Read a plaintext CSV into normalized records. With a "count" column each
 * row stands for that many people (a name-frequency list). Returns the ids
 * too when idColumn is given.
 */
export async function readPlainCsv(
  path: string,
  schema: LinkageSchema,
  ext: P20linkExtension,
  opts: ReadPlainOptions = {},
): Promise<{ records: PlainRecord[]; ids: string[] }> {
  const norms = plainNormalizers(schema, ext);
  const table = await openCsv(path, { file: path, delimiter: ext.csv.delimiter, invalidUtf8: 'replace', allowRaggedRows: false });
  const header = table.header;
  const pos = new Map(header.map((h, i) => [h, i]));
  const colOf = new Map<string, number>();
  for (const f of norms.keys()) {
    const want = opts.map?.[f];
    const i = want !== undefined ? pos.get(want) : (pos.get(f) ?? pos.get(ext.columns[f] ?? f));
    if (want !== undefined && i === undefined) throw new P20Error('ASSESS_REFERENCE', `column "${want}" (for ${f}) is not in the header`, { file: path, line: 1 });
    if (i !== undefined) colOf.set(f, i);
  }
  if (colOf.size === 0) {
    throw new P20Error('ASSESS_REFERENCE', `no column matches a schema feature (${[...norms.keys()].join(', ')})`, { file: path, line: 1 }, { hint: { id: 'map-columns', option: 'ref-map', value: 'feature=column' } });
  }
  const countCol = pos.get('count');
  const idCol = opts.idColumn !== undefined ? pos.get(opts.idColumn) : undefined;
  if (opts.idColumn !== undefined && idCol === undefined) throw new P20Error('ASSESS_TRUTH', `id column "${opts.idColumn}" is not in the header`, { file: path, line: 1 });
  const max = opts.maxRows ?? Number.MAX_SAFE_INTEGER;
  const records: PlainRecord[] = [];
  const ids: string[] = [];
  for await (const batch of table.batches) {
    for (const row of batch) {
      const raw: Record<string, string> = {};
      for (const [f, i] of colOf) raw[f] = row.fields[i] ?? '';
      const rec = normalizePlain(raw, norms);
      let n = 1;
      if (countCol !== undefined) {
        n = Number(row.fields[countCol]);
        if (!Number.isInteger(n) || n < 0) throw new P20Error('ASSESS_REFERENCE', 'count must be a whole number', { file: path, line: row.line, field: 'count' });
      }
      for (let k = 0; k < n && records.length < max; k++) {
        records.push(rec);
        if (idCol !== undefined) ids.push(row.fields[idCol] ?? '');
      }
    }
  }
  return { records, ids };
}
