import { P20Error } from '../../errors.js';
import { firstAjvError, lazyValidator, readJsonFile } from '../../util/json-spec.js';
import { TABLE_SPEC_SCHEMA } from './spec-schema.js';
import type { TableSpec } from './types.js';

/** Values that mark a total row when the structure is inferred (compared case-insensitively). */
export const INFERRED_TOTAL_LABELS = ['all', 'total'];

const schemaValidator = lazyValidator(TABLE_SPEC_SCHEMA);

/** Validate a parsed spec object (schema + checks the schema cannot express). */
export function parseTableSpec(obj: unknown, file = '<spec>'): TableSpec {
  const v = schemaValidator();
  if (!v(obj)) {
    const d = firstAjvError(v.errors);
    throw new P20Error('TABLE_SPEC', d.message, { file, field: d.field });
  }
  const spec = obj as TableSpec;
  const seen = new Set<string>([spec.count]);
  spec.dimensions.forEach((d, i) => {
    const field = `dimensions.${i}`;
    if (seen.has(d.column)) throw new P20Error('TABLE_SPEC', `column "${d.column}" is used twice`, { file, field: `${field}.column` });
    seen.add(d.column);
    const kinds = [d.total, d.parents, d.partitions].filter((x) => x !== undefined).length;
    if (kinds > 1) throw new P20Error('TABLE_SPEC', 'give at most one of total, parents, partitions', { file, field });
    if (d.parents) {
      for (const [child, parent] of Object.entries(d.parents)) {
        if (child === parent) throw new P20Error('TABLE_SPEC', `"${child}" is its own parent`, { file, field: `${field}.parents` });
        // cycle check
        let p: string | undefined = parent;
        for (let steps = 0; p !== undefined; steps++) {
          if (p === child || steps > 10_000) throw new P20Error('TABLE_SPEC', `parent chain of "${child}" loops`, { file, field: `${field}.parents` });
          p = d.parents[p];
        }
      }
    }
    if (d.partitions) {
      d.partitions.forEach((p, j) => {
        if (p.parts.includes(p.total)) throw new P20Error('TABLE_SPEC', `"${p.total}" is a part of itself`, { file, field: `${field}.partitions.${j}` });
      });
    }
  });
  for (const [i, r] of (spec.rates ?? []).entries()) {
    if (seen.has(r.column)) throw new P20Error('TABLE_SPEC', `column "${r.column}" is already a dimension or the count`, { file, field: `rates.${i}.column` });
  }
  return spec;
}

export async function loadTableSpec(path: string): Promise<TableSpec> {
  return parseTableSpec(await readJsonFile(path, undefined, { code: 'TABLE_SPEC' }), path);
}

/**
 * Infer a spec from the header and rows: the count column is `countColumn`
 * (default: a column named count/n/students/total_count, or the last column);
 * every other column is a dimension; a dimension containing a value
 * "All" or "Total" (case-insensitive) has that value as its total.
 */
export function inferTableSpec(header: string[], rows: string[][], file: string, countColumn?: string): TableSpec {
  let count = countColumn;
  if (count === undefined) {
    const lower = header.map((h) => h.toLowerCase());
    const idx = ['count', 'n', 'students', 'number'].map((c) => lower.indexOf(c)).find((i) => i >= 0);
    count = header[idx ?? header.length - 1]!;
  }
  if (!header.includes(count)) throw new P20Error('TABLE_SPEC', `count column "${count}" is not in the header`, { file, line: 1 });
  const dimensions = header
    .filter((h) => h !== count)
    .map((column) => {
      const ci = header.indexOf(column);
      const labels = new Set<string>();
      for (const r of rows) {
        const v = r[ci]!;
        if (INFERRED_TOTAL_LABELS.includes(v.toLowerCase())) labels.add(v);
      }
      if (labels.size > 1) {
        throw new P20Error('TABLE_SPEC', `column has several total labels (${[...labels].join(', ')}); declare the structure in a spec`, { file, field: column });
      }
      const total = [...labels][0];
      return total === undefined ? { column } : { column, total };
    });
  return { format: 'p20link-table-spec', version: 1, count, dimensions };
}
