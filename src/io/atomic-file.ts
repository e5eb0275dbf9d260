import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, open } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { finished } from 'node:stream/promises';

/**
 * Write a file so that it either appears complete under its final name or
 * not at all: data goes to a hidden temp file beside the target, which is
 * fsync'ed and renamed over the target only on `commit()`. `abort()` (or a
 * crash) leaves the target untouched.
 */
export interface AtomicFile {
  readonly path: string;
  readonly tempPath: string;
  readonly stream: WriteStream;
  /** Write a chunk, honouring back-pressure. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Overwrite bytes at an absolute offset after all writes (used to patch headers). */
  patch(offset: number, data: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.p20link-tmp-${randomBytes(6).toString('hex')}`);
}

export function openAtomic(path: string, mode = 0o644): AtomicFile {
  const tempPath = tempPathFor(path);
  const stream = createWriteStream(tempPath, { mode, flags: 'wx' });
  let error: Error | undefined;
  stream.on('error', (e) => {
    error = e;
  });
  const patches: { offset: number; data: Uint8Array }[] = [];
  let done = false;
  const self: AtomicFile = {
    path,
    tempPath,
    stream,
    async write(chunk) {
      if (error) throw error;
      if (!stream.write(chunk)) {
        await new Promise<void>((resolve, reject) => {
          const onDrain = () => {
            stream.off('error', onErr);
            resolve();
          };
          const onErr = (e: Error) => {
            stream.off('drain', onDrain);
            reject(e);
          };
          stream.once('drain', onDrain);
          stream.once('error', onErr);
        });
      }
    },
    async patch(offset, data) {
      patches.push({ offset, data });
    },
    async commit() {
      if (done) return;
      done = true;
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
      await rename(tempPath, path);
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

/** Write a whole file atomically. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
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
export async function withAtomicFile<T>(path: string, fn: (f: AtomicFile) => Promise<T>, mode = 0o644): Promise<T> {
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
