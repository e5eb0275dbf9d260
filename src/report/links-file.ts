/**
 * Reading the linker's per-party output (`<party>.links.csv`: record_id,
 * linkage_id, score …) and the generator's ground truth (truth.csv:
 * entity_id, party, record_id) for the reports. Validates at the boundary:
 * missing columns, duplicate record ids and bad scores are refused with file
 * and line.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EXIT, P20Error, fsError } from '../errors.js';
import { fileSha256 } from '../link/load.js';
import { REPORT_FILE } from '../link/output.js';
import { readRunManifest } from '../link/out-dir.js';
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

/**
 * The links files of one link run, sorted by party. `path` is the linker's
 * output directory or its run-report.json. When the run report (the run's
 * manifest) is there, exactly the files it lists are read, and each must
 * still have the SHA-256 the report gives (so files of another run are never
 * mixed in); a directory without one (links files made by hand) is read by
 * its `*.links.csv` names.
 */
export async function readLinksDir(path: string): Promise<LinksFile[]> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw fsError(e, path, 'cannot read the links directory', 'REPORT_LINKS');
  }
  let dir = path;
  let manifestPath = join(path, REPORT_FILE);
  if (!st.isDirectory()) {
    if (!/\.json$/i.test(path)) {
      throw new P20Error(
        'REPORT_LINKS',
        '--links wants the linker\'s output directory (the one holding run-report.json and the <party>.links.csv files), or its run-report.json; this is a single file',
        { file: path },
        EXIT.badInput,
      );
    }
    dir = dirname(path);
    manifestPath = path;
  }
  const manifest = await readRunManifest(manifestPath);
  if (manifest !== undefined) {
    if (manifest.parties.length < 2) throw new P20Error('REPORT_LINKS', `the run report lists ${manifest.parties.length} links file(s); expected at least two`, { file: manifestPath }, EXIT.badInput);
    const out: LinksFile[] = [];
    for (const p of [...manifest.parties].sort((a, b) => (a.output < b.output ? -1 : a.output > b.output ? 1 : 0))) {
      const file = join(dir, p.output);
      const sha = await fileSha256(file).catch((e: unknown) => {
        throw new P20Error('REPORT_LINKS', `is listed in ${manifestPath} but cannot be read (${(e as Error).message.replace(/^.*: /, '')})`, { file }, EXIT.badInput);
      });
      if (sha !== p.outputSha256) {
        throw new P20Error(
          'REPORT_LINKS_STALE',
          `does not match ${manifestPath} (its SHA-256 differs): the directory holds files of another run; run link again or point --links at that run's directory`,
          { file },
          EXIT.badInput,
        );
      }
      out.push(await readLinksFile(file, p.party));
    }
    return out;
  }
  if (!st.isDirectory()) throw new P20Error('REPORT_LINKS', 'run report not found', { file: path }, EXIT.badInput);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw fsError(e, dir, 'cannot read the links directory', 'REPORT_LINKS');
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
