import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A new empty directory under the system temp dir, named `prefix` + random suffix. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** tempDir for a whole test file: removed (with its contents) after the file's tests. */
export function fileTempDir(prefix: string): string {
  const dir = tempDir(prefix);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
