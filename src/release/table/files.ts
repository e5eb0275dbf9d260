import { resolve } from 'node:path';
import { P20Error } from '../../errors.js';
import { PUBLIC_FILE_MODE, writeFileAtomic } from '../../io/atomic-file.js';
import { csvLine, openCsv } from '../../io/csv.js';
import { auditTable } from './audit.js';
import { loadTableSpec } from './spec.js';
import { suppressTable } from './suppress.js';
import type { AuditResult, SuppressOptions, SuppressResult, TableSpec } from './types.js';

/** Read a whole CSV table (tables of counts fit in memory: 100,000 cells is a few MB). */
export async function readTableCsv(path: string): Promise<{ header: string[]; rows: string[][]; lines: number[] }> {
  const csv = await openCsv(path, { file: path });
  const rows: string[][] = [];
  const lines: number[] = [];
  for await (const batch of csv.batches) {
    for (const r of batch) {
      rows.push(r.fields);
      lines.push(r.line);
    }
  }
  return { header: csv.header, rows, lines };
}

export function tableCsvText(header: string[], rows: string[][]): string {
  let s = csvLine(header);
  for (const r of rows) s += csvLine(r);
  return s;
}

async function specFrom(spec: string | TableSpec | undefined): Promise<TableSpec | undefined> {
  return typeof spec === 'string' ? loadTableSpec(spec) : spec;
}

export interface SuppressFileOptions extends SuppressOptions {
  input: string;
  output: string;
  /** Where to write the JSON report (optional). */
  reportPath?: string;
  /** Spec file path or object; inferred when absent. */
  spec?: string | TableSpec;
  countColumn?: string;
}

/** Suppress a CSV file; writes the output (and report) atomically; never over its input. */
export async function suppressFile(o: SuppressFileOptions): Promise<SuppressResult> {
  const inAbs = resolve(o.input);
  if (resolve(o.output) === inAbs || (o.reportPath && resolve(o.reportPath) === inAbs)) {
    throw new P20Error('TABLE_OUTPUT', 'output would overwrite the input table; choose another path', { file: o.output });
  }
  const spec = await specFrom(o.spec);
  const t = await readTableCsv(o.input);
  const { input: _i, output: _o, reportPath: _r, spec: _s, ...rest } = o;
  const res = await suppressTable({ ...rest, file: o.input, header: t.header, rows: t.rows, lines: t.lines, ...(spec ? { spec } : {}) });
  // the suppressed table is meant to be published: world-readable (every other output is 0600)
  await writeFileAtomic(o.output, tableCsvText(res.table.header, res.table.rows), PUBLIC_FILE_MODE);
  // The report may carry hidden values (reportHiddenValues): owner-only (0600) in every case.
  if (o.reportPath) await writeFileAtomic(o.reportPath, JSON.stringify(res.report, null, 2) + '\n', 0o600);
  return res;
}

export interface AuditFileOptions {
  input: string;
  spec?: string | TableSpec;
  countColumn?: string;
  minN?: number;
  marker?: string;
  protectZero?: boolean;
  protectExtremes?: boolean;
  protection?: SuppressOptions['protection'];
  integerCheck?: boolean;
  integerCheckMaxCells?: number;
  exactBounds?: boolean;
}

export async function auditFile(o: AuditFileOptions): Promise<AuditResult> {
  const spec = await specFrom(o.spec);
  const t = await readTableCsv(o.input);
  const { input: _i, spec: _s, ...rest } = o;
  return auditTable({ ...rest, file: o.input, header: t.header, rows: t.rows, lines: t.lines, ...(spec ? { spec } : {}) });
}
