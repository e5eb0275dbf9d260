import { EXIT } from '../errors.js';

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

/**
 * Run a release command. The exit status of an error follows from its code's
 * kind (src/errors.ts ERROR_CODES: TABLE_UNPROTECTABLE is a failed check, 1;
 * every refusal of input is 2), so nothing is remapped here any more.
 */
export async function withReleaseExit<T>(run: () => Promise<T>): Promise<T> {
  return run();
}
