/**
 * Reading the linker's per-party output (`<party>.links.csv`: record_id,
 * linkage_id, score …) and the generator's ground truth (truth.csv:
 * entity_id, party, record_id) for the reports. Validates at the boundary:
 * missing columns, duplicate record ids and bad scores are refused with file
 * and line.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { P20Error } from '../errors.js';
import { openCsv } from '../io/csv.js';

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

function columnIndex(header: string[], names: readonly string[], file: string, what: string): number {
  for (const n of names) {
    const i = header.indexOf(n);
    if (i >= 0) return i;
  }
  throw new P20Error('REPORT_COLUMNS', `missing ${what} column (expected one of: ${names.join(', ')})`, { file, line: 1, field: names[0] });
}

/** Party name of a links file: "k12.links.csv" -> "k12". */
export function partyOfLinksFile(path: string): string {
  return basename(path).replace(/\.links\.csv$/i, '').replace(/\.csv$/i, '');
}

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
      let score: number | undefined;
      if (iS >= 0) {
        const s = r.fields[iS]!;
        if (s !== '') {
          score = Number(s);
          if (!Number.isFinite(score) || score < 0 || score > 1) {
            throw new P20Error('REPORT_LINKS', `score must be a number in [0, 1], got ${JSON.stringify(s)}`, { file: path, line: r.line, field: 'score' });
          }
        }
      }
      records.set(id, { linkageId: r.fields[iL]!, score });
    }
  }
  return { party, file: path, records, hasScore: iS >= 0 };
}

/** Every `<party>.links.csv` in a directory, sorted by party. */
export async function readLinksDir(dir: string): Promise<LinksFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new P20Error('REPORT_LINKS', `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: dir });
  }
  const files = names.filter((n) => /\.links\.csv$/i.test(n)).sort();
  if (files.length < 2) {
    throw new P20Error('REPORT_LINKS', `expected at least two <party>.links.csv files, found ${files.length}`, { file: dir });
  }
  const out: LinksFile[] = [];
  for (const f of files) out.push(await readLinksFile(join(dir, f)));
  return out;
}

export interface TruthRow {
  entity: string;
  party: string;
  id: string;
}

export async function readTruth(path: string): Promise<TruthRow[]> {
  const t = await openCsv(path);
  const iE = columnIndex(t.header, ['entity_id'], path, 'entity id');
  const iP = columnIndex(t.header, ['party'], path, 'party');
  const iR = columnIndex(t.header, ['record_id'], path, 'record id');
  const out: TruthRow[] = [];
  const seen = new Set<string>();
  for await (const batch of t.batches) {
    for (const r of batch) {
      const row = { entity: r.fields[iE]!, party: r.fields[iP]!, id: r.fields[iR]! };
      if (row.entity === '' || row.party === '' || row.id === '') {
        throw new P20Error('REPORT_TRUTH', 'empty entity_id, party or record_id', { file: path, line: r.line });
      }
      const k = `${row.party}\u0000${row.id}`;
      if (seen.has(k)) throw new P20Error('REPORT_TRUTH', `record ${row.party}/${row.id} appears twice`, { file: path, line: r.line });
      seen.add(k);
      out.push(row);
    }
  }
  return out;
}

/** Trouble labels written by the generator (trouble.csv: party,record_id,trouble with kinds joined by ";"). */
export async function readTrouble(path: string): Promise<Map<string, string[]>> {
  const t = await openCsv(path);
  const iP = columnIndex(t.header, ['party'], path, 'party');
  const iR = columnIndex(t.header, ['record_id'], path, 'record id');
  const iT = columnIndex(t.header, ['trouble'], path, 'trouble');
  const out = new Map<string, string[]>();
  for await (const batch of t.batches) {
    for (const r of batch) {
      const kinds = r.fields[iT]!.split(';').filter((k) => k !== '');
      out.set(`${r.fields[iP]!}\u0000${r.fields[iR]!}`, kinds);
    }
  }
  return out;
}
