import Database from 'better-sqlite3';
import { P20Error } from '../errors.js';

/**
 * The linker's SQLite store: one file holding the linkage-ID registry
 * (src/link/registry) and the tamper-evident audit log (src/package/audit-log).
 * Each module owns its tables and registers them as migrations by a unique
 * name; `openStore` applies the ones not yet applied, in one transaction each.
 */
export type Db = Database.Database;

export interface Migration {
  /** Unique, stable name, e.g. "registry-001-entities". Never reuse or edit one that shipped. */
  name: string;
  sql: string;
}

export function openStore(path: string, migrations: readonly Migration[] = []): Db {
  let db: Db;
  try {
    db = new Database(path);
  } catch (e) {
    throw new P20Error('STORE_OPEN', `cannot open linker store: ${(e as Error).message}`, { file: path });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  applyMigrations(db, migrations);
  return db;
}

export function applyMigrations(db: Db, migrations: readonly Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const has = db.prepare('SELECT 1 FROM schema_migrations WHERE name = ?');
  const mark = db.prepare('INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (has.get(m.name)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      mark.run(m.name, new Date().toISOString());
    })();
  }
}
