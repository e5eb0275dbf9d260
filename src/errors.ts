/**
 * One error type for every refusal the toolkit makes. It names where the
 * problem is (file, line, field) so a user can fix the input, and carries a
 * stable `code` that tests and scripts can match on. Messages must never
 * contain secrets or raw identifier values beyond what the user already has.
 */
export interface ErrorLocation {
  file?: string;
  /** 1-based physical line in the file. */
  line?: number;
  /** Column / field name (CSV header name or JSON path). */
  field?: string;
}

/**
 * Process exit statuses, the same for every command (docs/exit-codes.md):
 * 0 ok; 1 the input was read fine but the check failed (unsafe table, failed
 * k-check, audit log that does not verify); 2 bad input or usage (any refusal
 * of files, specs, flags, packages, keys); 3 the environment failed (disk
 * full, permission denied, read-only file system, name too long, too many
 * open files, a linker store that stayed busy); 70 internal error (a bug).
 */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  badInput: 2,
  environment: 3,
  internal: 70,
} as const;

export class P20Error extends Error {
  readonly code: string;
  readonly location: ErrorLocation;
  /** Suggested process exit status for the CLI (see EXIT). */
  readonly exitCode: number;

  constructor(code: string, message: string, location: ErrorLocation = {}, exitCode = 1) {
    super(formatLocated(message, location));
    this.name = 'P20Error';
    this.code = code;
    this.location = location;
    this.exitCode = exitCode;
  }
}

export function formatLocated(message: string, loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.field !== undefined) parts.push(`field "${loc.field}"`);
  return parts.length > 0 ? `${parts.join(', ')}: ${message}` : message;
}

export function isP20Error(e: unknown): e is P20Error {
  return e instanceof P20Error;
}

/**
 * Operating-system error codes in words, so that no message shows a raw
 * errno code. `env` marks the ones that are the environment's fault (exit 3,
 * error code `code`); the others are the user's (a path that does not exist
 * or is the wrong kind of thing: bad input, exit 2).
 */
const ERRNO: Record<string, { text: string; env?: string }> = {
  ENOSPC: { text: 'no space left on device', env: 'ENV_DISK_FULL' },
  EDQUOT: { text: 'disk quota exceeded', env: 'ENV_DISK_FULL' },
  EFBIG: { text: 'file too large for this file system', env: 'ENV_DISK_FULL' },
  EACCES: { text: 'permission denied', env: 'ENV_PERMISSION' },
  EPERM: { text: 'operation not permitted', env: 'ENV_PERMISSION' },
  EROFS: { text: 'read-only file system', env: 'ENV_READ_ONLY' },
  ENAMETOOLONG: { text: 'file name too long', env: 'ENV_NAME_TOO_LONG' },
  EMFILE: { text: 'too many open files', env: 'ENV_TOO_MANY_FILES' },
  ENFILE: { text: 'too many open files in the system', env: 'ENV_TOO_MANY_FILES' },
  EIO: { text: 'input/output error', env: 'ENV_IO' },
  EBUSY: { text: 'resource busy', env: 'ENV_BUSY' },
  EXDEV: { text: 'cannot move a file across file systems', env: 'ENV_CROSS_DEVICE' },
  ENOMEM: { text: 'out of memory', env: 'ENV_OUT_OF_MEMORY' },
  ENOENT: { text: 'no such file or directory' },
  ENOTDIR: { text: 'a part of the path is not a directory' },
  EISDIR: { text: 'is a directory' },
  EEXIST: { text: 'already exists' },
  ENOTEMPTY: { text: 'directory not empty' },
  ELOOP: { text: 'too many symbolic links' },
};

/** SQLite result codes (better-sqlite3's SqliteError.code) that are the environment's fault. */
const SQLITE: Record<string, { text: string; env: string }> = {
  SQLITE_BUSY: { text: 'the linker store is in use by another process and stayed busy', env: 'STORE_BUSY' },
  SQLITE_LOCKED: { text: 'the linker store is locked by another connection', env: 'STORE_BUSY' },
  SQLITE_FULL: { text: 'no space left on device', env: 'ENV_DISK_FULL' },
  SQLITE_READONLY: { text: 'the linker store is read-only (file or directory not writable)', env: 'ENV_READ_ONLY' },
  SQLITE_CANTOPEN: { text: 'cannot open the linker store (missing directory or permission denied)', env: 'ENV_PERMISSION' },
  SQLITE_IOERR: { text: 'input/output error on the linker store', env: 'ENV_IO' },
  SQLITE_PERM: { text: 'permission denied', env: 'ENV_PERMISSION' },
};

/** What was being done, from Node's `syscall` field, for errors that reach the CLI unwrapped. */
const SYSCALL_ACTION: Record<string, string> = {
  open: 'cannot open',
  write: 'cannot write',
  read: 'cannot read',
  mkdir: 'cannot create the directory',
  rename: 'cannot rename',
  unlink: 'cannot remove',
  rmdir: 'cannot remove',
  scandir: 'cannot read the directory',
  stat: 'cannot access',
};

/** The operating-system error code (ENOSPC, SQLITE_BUSY, ...) an error carries, if any. */
export function errnoCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const c = (e as { code?: unknown }).code;
  return typeof c === 'string' && /^(E[A-Z0-9]+|SQLITE_[A-Z_]+)$/.test(c) ? c : undefined;
}

/** An errno / SQLite code in words ("no space left on device"); unknown codes get a generic text. */
export function describeErrno(code: string): string {
  const known = ERRNO[code] ?? SQLITE[code] ?? SQLITE[code.replace(/^(SQLITE_[A-Z]+?)_.*$/, '$1')];
  return known ? known.text : 'operating-system error';
}

/** True when the error is the environment's fault (disk full, permissions, read-only, busy store, ...). */
export function isEnvironmentError(e: unknown): boolean {
  const c = errnoCode(e);
  if (c === undefined) return false;
  return (ERRNO[c]?.env ?? SQLITE[c]?.env ?? SQLITE[c.replace(/^(SQLITE_[A-Z]+?)_.*$/, '$1')]?.env) !== undefined;
}

/**
 * Turn a Node file-system (or SQLite) error into a P20Error that names the
 * file and says what failed in words: environment errors (ENOSPC, EACCES,
 * EROFS, ENAMETOOLONG, EMFILE, a busy store, ...) get their own code and exit
 * status 3; a missing or wrong-kind path is bad input (exit 2). A P20Error is
 * returned unchanged; an error without an errno code is returned as is (the
 * CLI reports it as an internal error).
 *
 * `action` says what was being done: "cannot write", "cannot read", ...;
 * `badInputCode` is the code for a path that is the user's mistake.
 */
export function fsError(e: unknown, file?: string, action?: string, badInputCode = 'FILE_NOT_USABLE'): Error {
  if (isP20Error(e)) return e;
  const code = errnoCode(e);
  if (code === undefined) return e instanceof Error ? e : new Error(String(e));
  const path = file ?? ((e as { path?: unknown }).path as string | undefined);
  const loc: ErrorLocation = typeof path === 'string' ? { file: path } : {};
  const base = code.replace(/^(SQLITE_[A-Z]+?)_.*$/, '$1');
  const env = ERRNO[code]?.env ?? SQLITE[code]?.env ?? SQLITE[base]?.env;
  const text = describeErrno(code);
  action ??= SYSCALL_ACTION[String((e as { syscall?: unknown }).syscall)] ?? 'cannot access';
  if (env !== undefined) return new P20Error(env, `${action}: ${text}`, loc, EXIT.environment);
  if (ERRNO[code]) return new P20Error(badInputCode, `${action}: ${text}`, loc, EXIT.badInput);
  return e instanceof Error ? e : new Error(String(e));
}

/** Run `fn`; rethrow any file-system error from it as fsError(e, file, action). */
export async function withFsErrors<T>(file: string, action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw fsError(e, file, action);
  }
}
