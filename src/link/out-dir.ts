/**
 * A link run owns its output directory. The directory must be new, empty, or
 * hold an earlier output of the same linker store (recognised by its
 * run-report.json, the run's manifest: its run id is in this store's
 * registry; or, for runs without a store, an earlier run without a store).
 * Anything else is refused before any work is done, so a run never mixes its
 * files with someone else's. After the new run's files are in place (the
 * manifest last), the earlier run's files that this run did not rewrite
 * (links files of parties not in this run, an old review.csv) are removed.
 * Readers (`report quality`) go by the manifest, never by what else lies in
 * the directory. See docs/link.md and docs/files-and-temp-files.md.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { P20Error, fsError } from '../errors.js';
import { cleanStaleTemps, parseTempName } from '../io/atomic-file.js';
import type { Db } from '../store/db.js';
import { readRunReport, REPORT_FILE } from '../format/run-report.js';
import { hasRun } from './registry/registry.js';

/** What an output directory's run-report.json says about the files of its run. */
export interface RunManifest {
  runId: string;
  /** Linker store the run used (as given on the command line), or null. */
  store: string | null;
  /** Per-party links files: party, file name, SHA-256 of its content. */
  parties: { party: string; output: string; outputSha256: string }[];
  review: string | null;
  report: string;
}

/**
 * Read and check a run-report.json as a manifest (strictly, against
 * protocols/link-report.schema.json: src/format/run-report.ts). Returns
 * undefined when the file does not exist; refuses (LINK_MANIFEST, exit 2) a
 * file that is not a link run report.
 */
export async function readRunManifest(path: string): Promise<RunManifest | undefined> {
  const r = await readRunReport(path, 'LINK_MANIFEST', true);
  if (r === undefined) return undefined;
  return {
    runId: r.runId,
    store: r.parameters.store,
    parties: r.parties.map((p) => ({ party: p.party, output: p.output, outputSha256: p.outputSha256 })),
    review: r.outputs.review,
    report: r.outputs.report,
  };
}

/** Files of a manifest's run, by name (the manifest itself included). */
export function manifestFiles(m: RunManifest): string[] {
  return [...m.parties.map((p) => p.output), ...(m.review !== null ? [m.review] : []), m.report];
}

/**
 * Make sure `outDir` exists and may be written by this run; returns the
 * earlier run's manifest when the directory holds one (its files are removed
 * by `removeStaleOutputs` after this run's files are in place).
 */
export async function claimOutDir(outDir: string, db: Db | undefined, storePath: string | undefined): Promise<RunManifest | undefined> {
  try {
    await mkdir(outDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(e, outDir, 'cannot create the output directory', 'LINK_OUT_DIR');
  }
  let s;
  try {
    s = await stat(outDir);
  } catch (e) {
    throw fsError(e, outDir, 'cannot use the output directory', 'LINK_OUT_DIR');
  }
  if (!s.isDirectory()) throw new P20Error('LINK_OUT_DIR', 'must be a directory, and this is a file', { file: outDir }, { hint: { id: 'lead', option: 'out' } });
  cleanStaleTemps(outDir);
  let names: string[];
  try {
    names = await readdir(outDir);
  } catch (e) {
    throw fsError(e, outDir, 'cannot read the output directory', 'LINK_OUT_DIR');
  }
  const live = names.filter((n) => parseTempName(n) !== undefined);
  if (live.length > 0) {
    throw new P20Error(
      'LINK_OUT_DIR_BUSY',
      `another run is writing into this directory (temporary file ${live[0]}); wait for it to finish`,
      { file: outDir },
      { hint: { id: 'out-busy', option: 'out' } },
    );
  }
  const own = names.filter((n) => parseTempName(n) === undefined);
  if (own.length === 0) return undefined;
  const manifestPath = join(outDir, REPORT_FILE);
  const prev = await readRunManifest(manifestPath);
  const refuse = (why: string, noStore = false): never => {
    throw new P20Error('LINK_OUT_DIR_NOT_OURS', `${why}; a link run replaces its whole output directory, so give it a new or empty directory (or the directory of an earlier run with the same linker store)`, { file: outDir }, { hint: { id: noStore ? 'out-not-ours-no-store' : 'out-not-ours', option: 'out' } });
  };
  if (prev === undefined) return refuse(`is not empty (${own.length} file(s), e.g. ${own[0]}) and holds no earlier link output (${REPORT_FILE})`);
  if (db !== undefined) {
    if (!hasRun(db, prev.runId)) {
      return refuse(`holds the output of run ${prev.runId}, which linker store ${storePath ?? ''} has no record of (it was made with another store${prev.store === null ? ', or none' : ''})`);
    }
  } else if (prev.store !== null) {
    return refuse(`holds the output of run ${prev.runId}, made with linker store ${prev.store}; this run has no linker store`, true);
  }
  return prev;
}

/**
 * After this run's files are in place: remove the earlier run's files that
 * this run did not rewrite. Returns the names removed.
 */
export async function removeStaleOutputs(outDir: string, prev: RunManifest | undefined, written: readonly string[]): Promise<string[]> {
  if (prev === undefined) return [];
  const keep = new Set(written);
  const removed: string[] = [];
  for (const name of manifestFiles(prev)) {
    if (keep.has(name)) continue;
    try {
      await rm(join(outDir, name), { force: true });
      removed.push(name);
    } catch (e) {
      throw fsError(e, join(outDir, name), 'cannot remove a file of the earlier run');
    }
  }
  return removed;
}
