import { open, link, unlink, access, readFile, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { P20Error } from '../errors.js';
import { tempPathFor } from '../io/atomic-file.js';

/**
 * Create a new file that must not already exist, with `mode` from the very
 * first moment (the temp file is opened O_CREAT|O_EXCL with that mode, so a
 * private key is never world-readable, not even briefly). The content is
 * fsync'ed and then hard-linked into place, which fails if the target exists:
 * no race can overwrite an existing key or secret.
 */
export async function createNewFile(path: string, data: string | Uint8Array, mode: number, what: string): Promise<void> {
  await refuseExisting(path, what);
  const temp = tempPathFor(path);
  let fh;
  try {
    fh = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (e) {
    throw new P20Error('FILE_CREATE', `cannot create ${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
  try {
    await fh.chmod(mode); // in case a permissive umask widened nothing but a strict one narrowed: keep exactly `mode`
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(temp).catch(() => undefined);
    throw new P20Error('FILE_CREATE', `cannot write ${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
  }
  await fh.close();
  try {
    await link(temp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new P20Error(
      code === 'EEXIST' ? 'FILE_EXISTS' : 'FILE_CREATE',
      code === 'EEXIST' ? `${what} already exists; refusing to overwrite it` : `cannot create ${what}: ${code ?? String(e)}`,
      { file: path },
    );
  } finally {
    await unlink(temp).catch(() => undefined);
  }
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
    throw new P20Error('FILE_READ', `cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: path });
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
