import { EXIT, isP20Error } from '../errors.js';

/**
 * Exit statuses of `p20link suppress`, `audit-table` and `kcheck` (the
 * project-wide convention): 0 pass; 1 the check failed on input that was read
 * fine (audit-table finds an exposure or an unsafe published value, kcheck
 * fails, suppress cannot protect the table); 2 bad input or usage (any
 * refusal of an input file, spec or flag, an empty table); 3 environment
 * (disk full, permissions, read-only file system, name too long); 70
 * internal error (a bug only).
 */
export const RELEASE_EXIT = { pass: EXIT.ok, failed: EXIT.checkFailed, badInput: EXIT.badInput, environment: EXIT.environment, internal: EXIT.internal } as const;

/** Error codes that mean "the check failed" (exit 1) rather than bad input. */
const CHECK_FAILED = new Set(['TABLE_UNPROTECTABLE']);

/**
 * Run a release command so that every refusal of its input exits 2: a
 * P20Error raised with the generic status 1 becomes 2 unless its code is a
 * check failure. Statuses 3 and 70 pass through unchanged.
 */
export async function withReleaseExit<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isP20Error(e) && e.exitCode === RELEASE_EXIT.failed && !CHECK_FAILED.has(e.code)) {
      (e as { exitCode: number }).exitCode = RELEASE_EXIT.badInput;
    }
    throw e;
  }
}
