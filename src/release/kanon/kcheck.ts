/**
 * The record-level disclosure check: k-anonymity over the declared
 * quasi-identifiers and l-diversity of each sensitive attribute, streamed
 * over a CSV file (or run on rows held in memory).
 */
import { stat } from 'node:fs/promises';
import { P20Error } from '../../errors.js';
import { type CsvDialect, openCsv, readCsvDialect } from '../../io/csv.js';
import { silentProgress, type Progress } from '../../io/progress.js';
import { ClassAccumulator, resolveColumns } from './classes.js';
import { resolveSettings, settingsFrom } from './spec.js';
import type { KCheckResult, KCheckSpec, KSettings, KSettingsInput } from './types.js';

export interface KCheckFileOptions extends KSettingsInput {
  /** The CSV file to check (first line: header). */
  input: string;
  /** Already-resolved settings (skip spec/flag resolution). */
  settings?: KSettings;
  /** List up to this many too-small classes with their quasi-identifier values (identifying; default 0). */
  listSmall?: number;
  progress?: Progress;
  /** How the CSV file is written (delimiter, trimming of spaces around unquoted fields, character encoding; CsvDialect). Default: comma-separated UTF-8, not trimmed. */
  csv?: CsvDialect;
  /** Accept a file with no data rows (the re-check of a repair that dropped every record); default: bad input. */
  allowEmpty?: boolean;
}

/**
 * Refuse a missing or unreadable input before openCsv opens a stream on it
 * (openCsv creates its read stream before its own stat check, and a stream on
 * a missing file raises an unhandled 'error' event).
 */
export async function assertInputFile(path: string): Promise<void> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw new P20Error('CSV_OPEN', 'is a directory, not a CSV file', { file: path });
  } catch (e) {
    if (e instanceof P20Error) throw e;
    throw new P20Error('CSV_OPEN', `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
}

/** Check a CSV file. Streams: memory grows with the number of classes, not rows. */
export async function kcheckFile(opts: KCheckFileOptions): Promise<KCheckResult> {
  const start = performance.now();
  const settings = opts.settings ?? (await resolveSettings(opts));
  const progress = opts.progress ?? silentProgress;
  await assertInputFile(opts.input);
  const csv = readCsvDialect(opts.csv);
  const table = await openCsv(opts.input, { file: opts.input, ...csv, batchSize: 4096 });
  const { qiIdx, sensIdx } = resolveColumns(table.header, settings, opts.input, csv);
  const acc = new ClassAccumulator(settings, qiIdx, sensIdx, opts.input);
  for await (const batch of table.batches) {
    for (const r of batch) acc.add(r.fields, r.line);
    progress.update(acc.rows);
  }
  progress.finish();
  if (!opts.allowEmpty) assertNotEmpty(acc.rows, opts.input);
  return acc.result(opts.input, (performance.now() - start) / 1000, opts.listSmall ?? 0);
}

/** Settings for the in-memory forms: resolved settings, or a parsed spec and/or direct values. */
export type KSettingsLike = KSettings | (Omit<KSettingsInput, 'spec'> & { spec?: KCheckSpec });

function isResolved(s: KSettingsLike): s is KSettings {
  return Array.isArray((s as KSettings).qi) && typeof (s as KSettings).k === 'number' && 'hierarchies' in s && 'strategy' in s;
}

/** Resolve in-memory settings synchronously. */
export function settingsOf(s: KSettingsLike): KSettings {
  if (isResolved(s)) return s;
  const { spec, ...rest } = s as Omit<KSettingsInput, 'spec'> & { spec?: KCheckSpec };
  return settingsFrom(spec ?? { version: 1 }, rest);
}

/** A file with a header and no data rows is bad input (exit 2): "k = 0" would otherwise read as a result. */
export function assertNotEmpty(rows: number, file: string): void {
  if (rows === 0) throw new P20Error('KCHECK_EMPTY', 'the file has a header but no data rows; nothing to check', { file, line: 2 });
}

/** Refuse in-memory rows whose width differs from the header (as openCsv does for files). */
export function checkRowWidths(header: readonly string[], rows: readonly (readonly string[])[], name: string): void {
  rows.forEach((r, i) => {
    if (r.length !== header.length) {
      throw new P20Error('CSV_ROW_WIDTH', `row has ${r.length} field(s) but the header has ${header.length}`, { file: name, line: i + 2 });
    }
  });
}

/** Resolved settings and column indexes for rows held in memory, after checking every row's width. */
export function prepareRows(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  settings: KSettingsLike,
  name: string,
): { settings: KSettings; qiIdx: number[]; sensIdx: number[] } {
  const s = settingsOf(settings);
  const { qiIdx, sensIdx } = resolveColumns(header, s, name);
  checkRowWidths(header, rows, name);
  return { settings: s, qiIdx, sensIdx };
}

/** Check rows held in memory (header + rows of strings). Same result as kcheckFile on the same data. */
export function kcheckRows(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  settings: KSettingsLike,
  name = '<rows>',
  opts: { allowEmpty?: boolean } = {},
): KCheckResult {
  const start = performance.now();
  // An input with no rows is bad input; a repaired output may legitimately be empty (every record dropped).
  if (!opts.allowEmpty) assertNotEmpty(rows.length, name);
  const { settings: s, qiIdx, sensIdx } = prepareRows(header, rows, settings, name);
  const acc = new ClassAccumulator(s, qiIdx, sensIdx, name);
  rows.forEach((r, i) => acc.add(r, i + 2));
  return acc.result(name, (performance.now() - start) / 1000);
}
