import { existsSync } from 'node:fs';
import { P20Error } from '../errors.js';
import { openStore, type Db } from '../store/db.js';
import { auditMigrations } from './audit-log.js';
import { packageMigrations } from './replay.js';

/**
 * Open the linker's store with the audit-log and replay tables. `mustExist`
 * (for `audit verify` / `audit list`) refuses to create a new, empty store
 * from a mistyped path — an empty log would "verify".
 */
export function openPackageStore(path: string, opts: { mustExist?: boolean } = {}): Db {
  if (opts.mustExist && !existsSync(path)) {
    throw new P20Error('STORE_MISSING', 'store does not exist', { file: path });
  }
  return openStore(path, [...auditMigrations, ...packageMigrations]);
}
