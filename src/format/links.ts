/**
 * The links file contract: `<party>.links.csv`, one per party, written by
 * `p20link link` and read by `p20link report` (format:
 * protocols/link-output.md). Header `record_id,linkage_id,score`; one row per
 * record of the party's encoded file; score has 6 decimals, empty for an
 * unlinked record. The reader is strict: missing columns, an empty or
 * repeated record id, an empty linkage id and a score outside [0, 1] are
 * refused with file, line and field.
 */
import { basename } from 'node:path';
import { type ErrorCode, P20Error } from '../errors.js';
import { openCsv } from '../io/csv.js';

export const LINKS_HEADER = ['record_id', 'linkage_id', 'score'] as const;
/** File names the links files carry: `<party>.links.csv`. */
export const LINKS_FILE_SUFFIX = '.links.csv';
export const LINKS_FILE_NAME = /\.links\.csv$/i;

export const linksFileName = (party: string): string => `${party}${LINKS_FILE_SUFFIX}`;

/** Party name of a links file: "k12.links.csv" -> "k12" (a plain "k12.csv" -> "k12"). */
export function partyOfLinksFile(path: string): string {
  return basename(path).replace(LINKS_FILE_NAME, '').replace(/\.csv$/i, '');
}

/** Scores in output files: 6 decimals (a CLK pair score is a ratio of small integers; 6 digits separate them); empty for NaN (unlinked). */
export function formatScore(s: number): string {
  return Number.isNaN(s) ? '' : s.toFixed(6);
}

/** One links-file row as written. */
export function linksRow(recordId: string, linkageId: string, score: number): string[] {
  return [recordId, linkageId, formatScore(score)];
}

export interface LinkEntry {
  linkageId: string;
  /** Score of the record's link (undefined when the file has no score or the record is unlinked). */
  score: number | undefined;
}

export interface LinksFile {
  party: string;
  file: string;
  /** record id -> entry */
  records: Map<string, LinkEntry>;
  hasScore: boolean;
}

/** Index of the first of `names` in `header`, or REPORT_COLUMNS naming the file. */
export function columnIndex(header: readonly string[], names: readonly string[], file: string, what: string, code: ErrorCode = 'REPORT_COLUMNS'): number {
  for (const n of names) {
    const i = header.indexOf(n);
    if (i >= 0) return i;
  }
  throw new P20Error(code, `missing ${what} column (expected one of: ${names.join(', ')})`, { file, line: 1, field: names[0] });
}

/** Parse a score cell: '' -> undefined; otherwise a number in [0, 1] or `code`. */
export function parseScore(s: string, file: string, line: number, code: ErrorCode): number | undefined {
  if (s === '') return undefined;
  const score = Number(s);
  if (!Number.isFinite(score) || score < 0 || score > 1 || s.trim() !== s) {
    throw new P20Error(code, `score must be a number in [0, 1], got ${JSON.stringify(s)}`, { file, line, field: 'score' });
  }
  return score;
}

/**
 * Read one links file (strict). `record_id` (or `id`, for files made by
 * hand) and `linkage_id` are required; `score` is optional.
 */
export async function readLinksFile(path: string, party = partyOfLinksFile(path)): Promise<LinksFile> {
  const t = await openCsv(path);
  const iId = columnIndex(t.header, ['record_id', 'id'], path, 'record id');
  const iL = columnIndex(t.header, ['linkage_id'], path, 'linkage id');
  const iS = t.header.indexOf('score');
  const records = new Map<string, LinkEntry>();
  for await (const batch of t.batches) {
    for (const r of batch) {
      const id = r.fields[iId]!;
      if (id === '') throw new P20Error('REPORT_LINKS', 'empty record id', { file: path, line: r.line, field: t.header[iId] });
      if (records.has(id)) throw new P20Error('REPORT_LINKS', `duplicate record id ${JSON.stringify(id)}`, { file: path, line: r.line, field: t.header[iId] });
      const linkageId = r.fields[iL]!;
      if (linkageId === '') throw new P20Error('REPORT_LINKS', 'empty linkage id', { file: path, line: r.line, field: 'linkage_id' });
      const score = iS >= 0 ? parseScore(r.fields[iS]!, path, r.line, 'REPORT_LINKS') : undefined;
      records.set(id, { linkageId, score });
    }
  }
  return { party, file: path, records, hasScore: iS >= 0 };
}
