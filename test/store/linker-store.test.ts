import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLinkerStore } from '../../src/store/linker-store.js';
import { openResultLedger } from '../../src/store/result-ledger.js';
import { openSqliteStore } from '../../src/store/db.js';
import { LINKER_STORE_MIGRATIONS, RESULT_LEDGER_MIGRATIONS, auditMigrations, registryMigrations } from '../../src/store/migrations.js';
import { appendAudit, verifyAuditLog } from '../../src/store/audit-log.js';
import { acceptedBefore } from '../../src/store/replay.js';

let dir: string;
let n = 0;
const fresh = () => join(dir, `s${n++}.db`);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'p20-store-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const applied = (db: ReturnType<typeof openLinkerStore>) =>
  (db.prepare('SELECT name FROM schema_migrations ORDER BY name').all() as { name: string }[]).map((r) => r.name);

describe('the linker store: one migration list, one opener', () => {
  it('migration names are unique across both stores', () => {
    const names = [...LINKER_STORE_MIGRATIONS, ...RESULT_LEDGER_MIGRATIONS].map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.some((x) => x.startsWith('registry-'))).toBe(true);
    expect(names.some((x) => x.startsWith('audit-'))).toBe(true);
    expect(names.some((x) => x.startsWith('package-'))).toBe(true);
  });

  it('openLinkerStore applies every linker migration: registry, audit log and replay table in one file', () => {
    const db = openLinkerStore(fresh());
    expect(applied(db)).toEqual(LINKER_STORE_MIGRATIONS.map((m) => m.name).sort());
    expect(acceptedBefore(db, 'sha256:' + '0'.repeat(64), '0'.repeat(32))).toBeUndefined();
    appendAudit(db, { type: 'link-run', detail: { x: 1 } });
    expect(verifyAuditLog(db).ok).toBe(true);
    db.close();
  });

  it('a store made with part of the list (as link once did: registry + audit) gets the rest when opened again', () => {
    const path = fresh();
    openSqliteStore(path, { migrations: [...registryMigrations, ...auditMigrations] }).close();
    const db = openLinkerStore(path);
    expect(applied(db)).toEqual(LINKER_STORE_MIGRATIONS.map((m) => m.name).sort());
    db.close();
  });

  it('read-only opening never migrates', () => {
    const path = fresh();
    openSqliteStore(path, { migrations: auditMigrations }).close();
    const db = openLinkerStore(path, { readOnly: true });
    expect(applied(db)).toEqual(auditMigrations.map((m) => m.name).sort());
    db.close();
  });

  it('the result ledger is its own file with its own list', () => {
    const l = openResultLedger(fresh(), { party: 'k12' });
    expect((l.db.prepare('SELECT name FROM schema_migrations').all() as { name: string }[]).map((r) => r.name)).toEqual(RESULT_LEDGER_MIGRATIONS.map((m) => m.name));
    expect(l.party).toBe('k12');
    l.db.close();
  });
});
