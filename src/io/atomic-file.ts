import { createWriteStream, lstatSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { rename, rm, open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { fsError } from '../errors.js';

/**
 * Write a file so that it either appears complete under its final name or
 * not at all: data goes to a hidden temp file beside the target, which is
 * fsync'ed and renamed over the target only on `commit()`. `abort()` (or a
 * crash) leaves the target untouched.
 *
 * Modes: every file is created 0600 (owner only) unless the caller asks for
 * PUBLIC_FILE_MODE — outputs hold record ids, scores, encodings or PII by
 * default; only files meant to be published (a suppressed table, a public
 * key) are made world-readable.
 *
 * Temp files are named `.<target name>.p20link-tmp-<pid>-<time>-<random>`
 * (pid and time in base 36). A process killed while writing leaves one
 * behind; the next write into the same directory removes those whose process
 * is gone (or that are older than a day) and says so on stderr
 * (docs/files-and-temp-files.md).
 */
export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly stream: WriteStream;
  /** Write a chunk, honouring back-pressure. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Overwrite bytes at an absolute offset after all writes (used to patch headers). */
  patch(offset: number, data: Uint8Array): Promise<void>;
  /**
   * Finish the temp file and make it durable (close the stream, apply the
   * patches, fsync) without renaming it: commit() then only renames. Lets a
   * writer of several files sync them all at once before publishing any.
   */
  prepare(): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** Mode of every output unless asked otherwise: owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode for the few outputs meant to be published (suppressed tables, public keys). */
export const PUBLIC_FILE_MODE = 0o644;

/** Marker every temp file and temp directory of the toolkit carries in its name. */
export const TEMP_MARK = '.p20link-tmp-';
/** Longest file name (bytes) on the file systems we write to (Linux, macOS, Windows: 255). */
export const NAME_MAX = 255;

/** `.<stem>.p20link-tmp-[<pid36>-<time36>-]<hex>`; the bracketed part is absent in names made by older versions. */
const TEMP_RE = /^\..*\.p20link-tmp-(?:([0-9a-z]{1,8})-([0-9a-z]{1,10})-)?[0-9a-f]{6,}$/s;

/** Temp files of a live process older than this are removed too (their pid was reused). */
export const STALE_TEMP_AGE_MS = 24 * 3600 * 1000;
/** Temp files in the old name format (no pid) are removed when older than this. */
export const OLD_TEMP_AGE_MS = 3600 * 1000;

/** Cut a string to at most `max` UTF-8 bytes without splitting a character. */
function truncateUtf8(s: string, max: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > max) break;
    out += ch;
    bytes += b;
  }
  return out;
}

/**
 * Name of a temp file for target name `base`. It never exceeds NAME_MAX
 * bytes: when `.<base>` plus the marker would, the base is shortened and
 * marked with "~" (the target keeps its full name).
 */
export function tempName(base: string, pid = process.pid, now = Date.now()): string {
  const tag = `${TEMP_MARK}${pid.toString(36)}-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
  const room = NAME_MAX - 1 - Buffer.byteLength(tag);
  const stem = Buffer.byteLength(base) <= room ? base : `${truncateUtf8(base, room - 1)}~`;
  return `.${stem}${tag}`;
}

/** A fresh temp path beside `path` (cleaning the directory's stale temp files first, once per process). */
export function tempPathFor(path: string): string {
  const dir = dirname(path);
  cleanStaleTemps(dir);
  return join(dir, tempName(basename(path)));
}

/** What a temp file name says about the process that made it (undefined: not one of ours). */
export function parseTempName(name: string): { pid?: number; createdAt?: number } | undefined {
  const m = TEMP_RE.exec(name);
  if (!m) return undefined;
  if (m[1] === undefined) return {};
  return { pid: parseInt(m[1], 36), createdAt: parseInt(m[2]!, 36) };
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How stale temp files are reported; the default prints one line per file on stderr. */
export type StaleTempReporter = (removed: readonly string[]) => void;

let reporter: StaleTempReporter = (removed) => {
  for (const f of removed) process.stderr.write(`p20link: removed a temporary file left by an interrupted run: ${f}\n`);
};

/** Replace the reporter (returns the previous one). */
export function setStaleTempReporter(r: StaleTempReporter): StaleTempReporter {
  const prev = reporter;
  reporter = r;
  return prev;
}

const cleanedDirs = new Set<string>();

/**
 * Remove this toolkit's stale temp files (and temp directories) in `dir`: a
 * name of our temp pattern whose process is no longer running, or older than
 * STALE_TEMP_AGE_MS (OLD_TEMP_AGE_MS for names without a pid). Temp files of
 * this process and of running processes are left alone. Runs once per
 * directory per process unless `force`. Returns the paths removed (and
 * reports them). Never throws: cleaning is best effort.
 */
export function cleanStaleTemps(dir: string, opts: { force?: boolean; now?: number } = {}): string[] {
  if (!opts.force) {
    const key = resolve(dir);
    if (cleanedDirs.has(key)) return [];
    cleanedDirs.add(key);
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const now = opts.now ?? Date.now();
  const removed: string[] = [];
  for (const n of names) {
    const t = parseTempName(n);
    if (t === undefined || t.pid === process.pid) continue;
    const full = join(dir, n);
    let mtime: number;
    try {
      mtime = lstatSync(full).mtimeMs;
    } catch {
      continue;
    }
    const age = now - mtime;
    const stale = t.pid === undefined ? age > OLD_TEMP_AGE_MS : !processAlive(t.pid) || age > STALE_TEMP_AGE_MS;
    if (!stale) continue;
    try {
      rmSync(full, { recursive: true, force: true });
      removed.push(full);
    } catch {
      // not ours to remove after all (permissions): leave it
    }
  }
  if (removed.length > 0) reporter(removed);
  return removed;
}

export function openAtomic(path: string, mode = PRIVATE_FILE_MODE): AtomicFile {
  const tempPath = tempPathFor(path);
  const stream = createWriteStream(tempPath, { mode, flags: 'wx' });
  let error: Error | undefined;
  stream.on('error', (e) => {
    error = e;
  });
  // errors name the target, in words (ENOSPC -> "no space left on device", exit 3)
  const fail = (e: unknown): Error => fsError(e, path, 'cannot write');
  const patches: { offset: number; data: Uint8Array }[] = [];
  let done = false;
  let prepared: Promise<void> | undefined;
  const self: AtomicFile = {
    path,
    tempPath,
    stream,
    async write(chunk) {
      if (error) throw fail(error);
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            stream.off('error', onErr);
            resolve();
          };
          const onErr = (e: Error) => {
            stream.off('drain', onDrain);
            reject(fail(e));
          };
          stream.once('drain', onDrain);
          stream.once('error', onErr);
        });
      }
    },
    async patch(offset, data) {
      patches.push({ offset, data });
    },
    prepare() {
      prepared ??= (async () => {
        try {
          stream.end();
          await finished(stream);
          if (error) throw error;
          const fh = await open(tempPath, 'r+');
          try {
            for (const p of patches) await fh.write(p.data, 0, p.data.length, p.offset);
            await fh.sync();
          } finally {
            await fh.close();
          }
        } catch (e) {
          done = true;
          await rm(tempPath, { force: true }).catch(() => undefined);
          throw fail(e);
        }
      })();
      return prepared;
    },
    async commit() {
      if (done) return;
      await self.prepare();
      done = true;
      try {
        await rename(tempPath, path);
      } catch (e) {
        await rm(tempPath, { force: true }).catch(() => undefined);
        throw fail(e);
      }
    },
    async abort() {
      if (done) return;
      done = true;
      // Wait until the stream has really closed: its open() may still be in
      // flight and would otherwise re-create the temp file after the rm.
      await new Promise<void>((resolve) => {
        if (stream.closed) return resolve();
        stream.once('close', () => resolve());
        stream.destroy();
      });
      await rm(tempPath, { force: true });
    },
  };
  return self;
}

/** Write a whole file atomically (mode 0600 unless PUBLIC_FILE_MODE is asked for). */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = PRIVATE_FILE_MODE): Promise<void> {
  const f = openAtomic(path, mode);
  try {
    await f.write(data);
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
}

/** Run `fn` with an atomic file; commit if it resolves, abort if it throws. */
export async function withAtomicFile<T>(path: string, fn: (f: AtomicFile) => Promise<T>, mode = PRIVATE_FILE_MODE): Promise<T> {
  const f = openAtomic(path, mode);
  try {
    const r = await fn(f);
    await f.commit();
    return r;
  } catch (e) {
    await f.abort();
    throw e;
  }
}
