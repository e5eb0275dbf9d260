import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { P20Error, fsError, isP20Error } from '../errors.js';

/**
 * The SQLite layer under the project's two stores: the linker's store (one
 * file holding the linkage-ID registry, the tamper-evident audit log and the
 * replay table; opened only by `openLinkerStore`, src/store/linker-store.ts)
 * and an agency's result ledger (`openResultLedger`,
 * src/store/result-ledger.ts). Their tables are the migrations listed in
 * src/store/migrations.ts, by unique name; opening a store for writing
 * applies the ones not yet applied.
 *
 * Every store is opened the same way (`openSqliteStore`):
 * - created with mode 0600 (it holds record ids and fingerprints); an existing
 *   file readable by group or others is narrowed to 0600 (SQLite gives its
 *   -wal and -shm files the mode of the database file);
 * - WAL journal, so readers (e.g. `audit verify`) never wait for a writer and a
 *   writer never blocks readers;
 * - writes go through `writeTransaction`: BEGIN IMMEDIATE, and when another
 *   process holds the write lock, a message ("waiting for …") once and retries
 *   until `waitMs`; then STORE_BUSY (exit 3), never an internal error;
 * - `readOnly` opens with SQLite's read-only flag and applies no migrations,
 *   so a verifier cannot change the evidence it checks.
 */
export type Db = Database.Database;

export interface Migration {
  /** Unique, stable name, e.g. "registry-001-entities". Never reuse or edit one that shipped. */
  name: string;
  sql: string;
}

export interface OpenStoreOptions {
  /** Open read-only (SQLITE_OPEN_READONLY); no migrations, no chmod. Implies mustExist. */
  readOnly?: boolean;
  /** Refuse to create a new store (a mistyped path would otherwise make an empty one). */
  mustExist?: boolean;
  /** Migrations to apply (ignored when readOnly). */
  migrations?: readonly Migration[];
  /** How long a writer waits for another process's write lock, in ms (default 300 000). */
  waitMs?: number;
  /** Told once when a writer has to wait (default: a line on stderr). */
  onWait?: (message: string) => void;
  /** What the store is, for messages (default "linker store"). */
  what?: string;
}

/** Default time a writer waits for the store's write lock. */
export const DEFAULT_STORE_WAIT_MS = 300_000;
/** SQLite's own busy wait per attempt; the retry loop in writeTransaction does the rest. */
const BUSY_SLICE_MS = 250;

interface StoreMeta {
  file: string;
  what: string;
  waitMs: number;
  onWait: (message: string) => void;
}
const meta = new WeakMap<Db, StoreMeta>();

/**
 * Turn an error from SQLite or the file system into a P20Error with the
 * project's exit codes (docs/exit-codes.md): a store that stayed locked is
 * STORE_BUSY, full disk / read-only / permissions are environment errors
 * (exit 3); not a database / damaged is bad input (exit 2). P20Errors pass
 * through unchanged.
 */
export function storeError(e: unknown, file: string, what = 'linker store'): unknown {
  if (isP20Error(e)) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string') return e;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new P20Error('STORE_BUSY', `the ${what} is in use by another process (e.g. a link run) and stayed locked; try again when it has finished`, { file });
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new P20Error('STORE_DAMAGED', `not a p20link ${what} (not an SQLite database, or damaged)`, { file });
  }
  return fsError(e, file, `cannot use the ${what}`, 'STORE_OPEN');
}

function stderrWait(message: string): void {
  process.stderr.write(`p20link: ${message}\n`);
}

/** Create the file 0600 if it does not exist; narrow an existing one to 0600. */
function prepareFile(path: string, mustExist: boolean, what: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw storeError(e, path, what);
  }
  if (st) {
    if (!st.isFile()) throw new P20Error('STORE_OPEN', `the ${what} is not a regular file`, { file: path });
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      try {
        chmodSync(path, st.mode & 0o700);
      } catch {
        // not ours to change: SQLite will still work; the mode is reported by nothing else
      }
    }
    return;
  }
  if (mustExist) throw new P20Error('STORE_MISSING', `the ${what} does not exist`, { file: path });
  try {
    // an empty file is a valid new SQLite database; creating it here fixes its mode
    closeSync(openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw storeError(e, path, what);
  }
}

export function openSqliteStore(path: string, opts: OpenStoreOptions = {}): Db {
  const what = opts.what ?? 'linker store';
  const readOnly = opts.readOnly ?? false;
  if (readOnly) {
    try {
      const st = statSync(path);
      if (!st.isFile()) throw new P20Error('STORE_OPEN', `the ${what} is not a regular file`, { file: path });
    } catch (e) {
      if (isP20Error(e)) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new P20Error('STORE_MISSING', `the ${what} does not exist`, { file: path });
      throw storeError(e, path, what);
    }
  } else {
    prepareFile(path, opts.mustExist ?? false, what);
  }
  let db: Db;
  try {
    db = new Database(path, { readonly: readOnly, fileMustExist: true, timeout: BUSY_SLICE_MS });
  } catch (e) {
    const t = storeError(e, path, what);
    if (isP20Error(t)) throw t;
    throw new P20Error('STORE_UNAVAILABLE', `cannot open the ${what}: ${(e as Error).message}`, { file: path });
  }
  meta.set(db, { file: path, what, waitMs: opts.waitMs ?? DEFAULT_STORE_WAIT_MS, onWait: opts.onWait ?? stderrWait });
  try {
    if (!readOnly) {
      if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') {
        writeWithWait(db, () => db.pragma('journal_mode = WAL'));
      }
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    if (!readOnly && opts.migrations && opts.migrations.length > 0) applyMigrations(db, opts.migrations);
  } catch (e) {
    db.close();
    throw storeError(e, path, what);
  }
  return db;
}

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** Run `attempt` until it does not fail with SQLITE_BUSY, telling the user once that it waits. */
function writeWithWait<T>(db: Db, attempt: () => T): T {
  const m = meta.get(db) ?? { file: db.name, what: 'linker store', waitMs: DEFAULT_STORE_WAIT_MS, onWait: stderrWait };
  const start = Date.now();
  let told = false;
  for (;;) {
    try {
      return attempt();
    } catch (e) {
      if (!isBusy(e)) throw storeError(e, m.file, m.what);
      if (Date.now() - start >= m.waitMs) {
        throw new P20Error(
          'STORE_BUSY',
          `the ${m.what} stayed locked by another process (e.g. a link run) for ${Math.round(m.waitMs / 1000)} s; try again when it has finished`,
          { file: m.file },
        );
      }
      if (!told) {
        m.onWait(`waiting for the ${m.what} ${m.file}: another process (e.g. a link run) is writing to it (up to ${Math.round(m.waitMs / 1000)} s)`);
        told = true;
      }
    }
  }
}

/**
 * Run `fn` in one short write transaction (BEGIN IMMEDIATE … COMMIT), waiting
 * with a message while another process holds the write lock. Inside an
 * existing transaction it runs as a savepoint.
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return db.transaction(fn)();
  const m = meta.get(db);
  writeWithWait(db, () => db.exec('BEGIN IMMEDIATE'));
  try {
    const r = fn();
    db.exec('COMMIT');
    return r;
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw storeError(e, m?.file ?? db.name, m?.what);
  }
}

export function applyMigrations(db: Db, migrations: readonly Migration[]): void {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  const pending = (): Migration[] => {
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get()) return [...migrations];
    const has = db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?');
    return migrations.filter((m) => !has.get(m.name));
  };
  if (hasTable && pending().length === 0) return; // nothing to write: no write lock needed
  writeTransaction(db, () => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
    const mark = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
    for (const m of pending()) {
      db.exec(m.sql);
      mark.run(m.name, new Date().toISOString());
    }
  });
}
