/**
 * Finding the links files of one link run for the reports (by the run's
 * manifest), and the generator's trouble labels. The file contracts
 * themselves (links file, truth file, run report) live in src/format/.
 */
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { P20Error, fsError } from '../errors.js';
import { fileSha256 } from '../link/load.js';
import { readRunManifest } from '../link/out-dir.js';
import { openCsv } from '../io/csv.js';
import { columnIndex, LINKS_FILE_NAME, readLinksFile, type LinksFile } from '../format/links.js';
import { REPORT_FILE } from '../format/run-report.js';

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
        'wants the linker\'s output directory (the one holding run-report.json and the <party>.links.csv files), or its run-report.json; this is a single file',
        { file: path },
        { hint: { id: 'lead', option: 'links' } },
      );
    }
    dir = dirname(path);
    manifestPath = path;
  }
  const manifest = await readRunManifest(manifestPath);
  if (manifest !== undefined) {
    if (manifest.parties.length < 2) {
      // an increment of one file: its links to registered records are in the registry, not in this directory
      const why = manifest.store !== null ? ' (an increment writes the links of its new files only; their pairs with registered records are kept in the registry)' : '';
      throw new P20Error('REPORT_LINKS', `the run report lists ${manifest.parties.length} links file(s)${why}; pairs against a truth need at least two`, { file: manifestPath });
    }
    const out: LinksFile[] = [];
    for (const p of [...manifest.parties].sort((a, b) => (a.output < b.output ? -1 : a.output > b.output ? 1 : 0))) {
      const file = join(dir, p.output);
      const sha = await fileSha256(file).catch((e: unknown) => {
        throw fsError(e, file, `is listed in ${manifestPath} but cannot be read`, 'REPORT_LINKS');
      });
      if (sha !== p.outputSha256) {
        throw new P20Error(
          'REPORT_LINKS_STALE',
          `does not match ${manifestPath} (its SHA-256 differs): the directory holds files of another run; run link again`,
          { file },
          { hint: { id: 'links-stale', option: 'links' } },
        );
      }
      out.push(await readLinksFile(file, p.party));
    }
    return out;
  }
  if (!st.isDirectory()) throw new P20Error('REPORT_LINKS', 'run report not found', { file: path });
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw fsError(e, dir, 'cannot read the links directory', 'REPORT_LINKS');
  }
  const files = names.filter((n) => LINKS_FILE_NAME.test(n)).sort();
  if (files.length < 2) {
    throw new P20Error('REPORT_LINKS', `expected at least two <party>.links.csv files, found ${files.length}`, { file: dir });
  }
  const out: LinksFile[] = [];
  for (const f of files) out.push(await readLinksFile(join(dir, f)));
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
