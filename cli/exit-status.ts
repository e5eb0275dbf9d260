import { type ErrorKind, errnoCode, fsError, isP20Error } from '../src/index.js';
/**
 * Process exit statuses, the same for every command (docs/exit-codes.md):
 * 0 ok; 1 the input was read fine but the check failed (unsafe table, failed
 * k-check, audit log that does not verify); 2 bad input or usage (any refusal
 * of files, specs, flags, packages, keys); 3 the environment failed (disk
 * full, permission denied, read-only file system, name too long, too many
 * open files, a linker store that stayed busy); 70 internal error (a bug).
 *
 * The library says only what kind of failure an error is (src/errors.ts,
 * docs/errors.md); this file is the one place that turns kinds into statuses.
 */

export const EXIT = {
  ok: 0,
  checkFailed: 1,
  badInput: 2,
  environment: 3,
  internal: 70,
} as const;

/** The exit status of each kind of error. */
export const KIND_EXIT: Readonly<Record<ErrorKind, number>> = {
  input: EXIT.badInput,
  check: EXIT.checkFailed,
  environment: EXIT.environment,
  internal: EXIT.internal,
};

/**
 * The exit status for an error: a P20Error by its kind; a Node file-system or
 * SQLite error by what fsError makes of it (3 for the environment's fault, 2
 * for a path that does not exist); anything else is a bug (70).
 */
export function exitStatusOf(e: unknown): number {
  const err = errnoCode(e) !== undefined ? fsError(e) : e;
  return isP20Error(err) ? KIND_EXIT[err.kind] : EXIT.internal;
}
