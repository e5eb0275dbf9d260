import { resolve } from 'node:path';
import { P20Error } from '../../errors.js';
import { PUBLIC_FILE_MODE, writeFileAtomic } from '../../io/atomic-file.js';
import { type CsvDialect, csvLine, dialectNote, missingColumnError, openCsv, readCsvDialect } from '../../io/csv.js';
import { auditTable } from './audit.js';
import { loadTableSpec } from './spec.js';
import { suppressTable } from './suppress.js';
import type { AuditResult, SuppressOptions, SuppressResult, TableSpec } from './types.js';

/**
 * Read a whole CSV table (tables of counts fit in memory: 100,000 cells is a
 * few MB), written as `dialect` says (CsvDialect; default comma-separated
 * UTF-8). A header of one single column that holds another likely delimiter
 * is refused: a table has dimensions and a count.
 */
export async function readTableCsv(path: string, dialect?: CsvDialect): Promise<{ header: string[]; rows: string[][]; lines: number[] }> {
  const options = readCsvDialect(dialect);
  const csv = await openCsv(path, { file: path, ...options });
  if (csv.header.length === 1 && dialectNote(csv.header, options)?.option === 'delimiter') {
    csv.close();
    throw missingColumnError('CSV_HEADER', 'a table needs dimension columns and a count column, and the header has one', { file: path, line: 1 }, csv.header, options);
  }
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
  /** How the input table is written (readTableCsv); the suppressed table is written comma-separated, UTF-8. */
  csv?: CsvDialect;
}

/** Suppress a CSV file; writes the output (and report) atomically; never over its input. */
export async function suppressFile(o: SuppressFileOptions): Promise<SuppressResult> {
  const inAbs = resolve(o.input);
  if (resolve(o.output) === inAbs || (o.reportPath && resolve(o.reportPath) === inAbs)) {
    throw new P20Error('TABLE_OUTPUT', 'output would overwrite the input table; choose another path', { file: o.output });
  }
  const spec = await specFrom(o.spec);
  const t = await readTableCsv(o.input, o.csv);
  const { input: _i, output: _o, reportPath: _r, spec: _s, csv: _c, ...rest } = o;
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
  /** How the table is written (readTableCsv). */
  csv?: CsvDialect;
}

export async function auditFile(o: AuditFileOptions): Promise<AuditResult> {
  const spec = await specFrom(o.spec);
  const t = await readTableCsv(o.input, o.csv);
  const { input: _i, spec: _s, csv: _c, ...rest } = o;
  return auditTable({ ...rest, file: o.input, header: t.header, rows: t.rows, lines: t.lines, ...(spec ? { spec } : {}) });
}
