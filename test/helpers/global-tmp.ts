import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: every test run gets one temp directory of its own
 * (TMPDIR, inherited by the test workers and the CLIs they spawn), removed
 * with everything in it when the run ends, so no test leaves files behind
 * in the system temp dir whether or not it cleans up after itself.
 */
export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'p20link-tests-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  };
}
