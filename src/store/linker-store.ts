import { openSqliteStore, type Db } from './db.js';
import { LINKER_STORE_MIGRATIONS } from './migrations.js';

/**
 * The one way to open the linker's store (`linker.db`): the linkage-ID
 * registry, the audit log and the replay table in one SQLite file, mode 0600,
 * WAL journal (readers never wait for a link run), short write transactions
 * that wait with a message while another process writes (then STORE_BUSY,
 * exit 3). `link`, `unpack`, `package --kind result` and `audit` all open it
 * here, with the one migration list (LINKER_STORE_MIGRATIONS,
 * src/store/migrations.ts).
 *
 * `readOnly` (for `audit verify` and `audit list`) opens the file with
 * SQLite's read-only flag and never migrates: a verifier does not change the
 * evidence it checks, and a store whose audit tables were dropped stays
 * without them (and fails verification).
 */
export interface OpenLinkerStoreOptions {
  readOnly?: boolean;
  /** Refuse to create a new store (always true when readOnly). */
  mustExist?: boolean;
  /** How long a writer waits for a link run's write lock, in ms (default 300 000). */
  waitMs?: number;
  /** Told once when a writer has to wait (default: stderr). */
  onWait?: (message: string) => void;
}

export function openLinkerStore(path: string, opts: OpenLinkerStoreOptions = {}): Db {
  return openSqliteStore(path, {
    what: 'linker store',
    migrations: LINKER_STORE_MIGRATIONS,
    ...(opts.readOnly !== undefined ? { readOnly: opts.readOnly } : {}),
    ...(opts.mustExist !== undefined ? { mustExist: opts.mustExist } : {}),
    ...(opts.waitMs !== undefined ? { waitMs: opts.waitMs } : {}),
    ...(opts.onWait !== undefined ? { onWait: opts.onWait } : {}),
  });
}
