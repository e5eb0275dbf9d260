import { open, link, unlink, access, readFile, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { type ErrorCode, P20Error, describeErrno, environmentCodeOf, errnoCode, fsError } from '../errors.js';
import { tempPathFor } from '../io/atomic-file.js';

export function fsErrorCode(e: unknown): string {
  return errnoCode(e) ?? 'error';
}

/** An operating-system error in words ("no space left on device"), never a bare errno code. */
export function fsErrorText(e: unknown): string {
  const c = errnoCode(e);
  return c ? describeErrno(c) : 'unexpected error';
}

/** The error code for a file-system failure: the environment's own code (ENV_DISK_FULL, ...) when it is at fault, else `inputCode`. */
export function fsCode(e: unknown, inputCode: ErrorCode): ErrorCode {
  return environmentCodeOf(e) ?? inputCode;
}

interface NewFile {
  path: string;
  data: string | Uint8Array;
  mode: number;
  what: string;
}

/**
 * Create new files that must not already exist, all or none: each is
 * written to a temp file opened O_CREAT|O_EXCL with its final `mode` from the
 * very first moment (a private key is never world-readable, not even
 * briefly) and fsync'ed; only when every temp file is complete are they
 * hard-linked into place (which fails if a target exists: no race can
 * overwrite an existing key or secret). On any failure the temp files and
 * any target already linked by this call are removed, so a disk-full run
 * leaves nothing that blocks the retry.
 */
export async function createNewFiles(files: readonly NewFile[]): Promise<void> {
  for (const f of files) await refuseExisting(f.path, f.what);
  const temps: string[] = [];
  const placed: string[] = [];
  try {
    for (const f of files) {
      const temp = tempPathFor(f.path);
      let fh;
      try {
        fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, f.mode);
      } catch (e) {
        throw fsError(e, f.path, `cannot create ${f.what}`, 'FILE_CREATE');
      }
      temps.push(temp);
      try {
        await fh.chmod(f.mode); // exactly `mode`, whatever the umask
        await fh.writeFile(f.data);
        await fh.sync();
      } catch (e) {
        throw fsError(e, f.path, `cannot write ${f.what}`, 'FILE_CREATE');
      } finally {
        await fh.close();
      }
    }
    for (const [i, f] of files.entries()) {
      try {
        await link(temps[i]!, f.path);
      } catch (e) {
        const code = fsErrorCode(e);
        throw new P20Error(
          code === 'EEXIST' ? 'FILE_EXISTS' : fsCode(e, 'FILE_CREATE'),
          code === 'EEXIST' ? `${f.what} already exists; refusing to overwrite it` : `cannot create ${f.what}: ${fsErrorText(e)}`,
          { file: f.path },
        );
      }
      placed.push(f.path);
    }
  } catch (e) {
    for (const p of placed) await unlink(p).catch(() => undefined);
    throw e;
  } finally {
    for (const t of temps) await unlink(t).catch(() => undefined);
  }
}

/** Create one new file (see createNewFiles). */
export async function createNewFile(path: string, data: string | Uint8Array, mode: number, what: string): Promise<void> {
  await createNewFiles([{ path, data, mode, what }]);
}

export async function refuseExisting(path: string, what: string): Promise<void> {
  try {
    await access(path);
  } catch {
    return;
  }
  throw new P20Error('FILE_EXISTS', `${what} already exists; refusing to overwrite it`, { file: path });
}

/** Read a small text file, naming it in the error. */
export async function readSmallText(path: string, what: string, maxBytes = 1 << 20): Promise<string> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new P20Error(fsCode(e, 'FILE_READ'), `cannot read ${what}: ${fsErrorText(e)}`, { file: path });
  }
  if (!st.isFile()) throw new P20Error('FILE_READ', `${what} is not a regular file`, { file: path });
  if (st.size > maxBytes) throw new P20Error('FILE_READ', `${what} is too large (${st.size} bytes)`, { file: path });
  return readFile(path, 'utf8');
}

/** Warn-worthy: a secret-bearing file that group or others can read. */
export async function isGroupOrWorldReadable(path: string): Promise<boolean> {
  const st = await stat(path);
  return (st.mode & 0o077) !== 0;
}
