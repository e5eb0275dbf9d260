import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { openSqliteStore, type Db } from '../../src/store/db.js';
import { auditMigrations } from '../../src/store/migrations.js';
import { appendAudit, verifyAuditLog, auditEntryHash, AUDIT_GENESIS_HASH, listAudit } from '../../src/store/audit-log.js';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'p20-audit-'));
  db = openSqliteStore(join(dir, 'linker.sqlite'), { migrations: auditMigrations });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function fill(n: number): void {
  for (let i = 0; i < n; i++) appendAudit(db, { type: i % 2 ? 'link-run' : 'package-accepted', detail: { i, party: `p${i}`, counts: { rows: i * 10 } } }, new Date(Date.UTC(2026, 0, 1, 0, 0, i)));
}

function dropTriggers(): void {
  for (const t of ['audit_log_no_update', 'audit_log_no_delete', 'audit_head_no_delete', 'audit_head_forward', 'audit_log_in_order']) db.exec(`DROP TRIGGER ${t}`);
}

describe('audit log hash chain', () => {
  it('known answer: the first entry hash is SHA-256 of the documented encoding', () => {
    const r = appendAudit(db, { type: 'link-run', detail: { b: 1, a: 'x' } }, new Date('2026-01-01T00:00:00.000Z'));
    expect(r.seq).toBe(1);
    // Independently computed: sha256('p20link-audit-v1\n[1,"2026-01-01T00:00:00.000Z","link-run",{"a":"x","b":1},"000…0"]')
    const expected = createHash('sha256')
      .update(`p20link-audit-v1\n[1,"2026-01-01T00:00:00.000Z","link-run",{"a":"x","b":1},"${'0'.repeat(64)}"]`)
      .digest('hex');
    expect(r.hash).toBe(expected);
    expect(auditEntryHash(1, '2026-01-01T00:00:00.000Z', 'link-run', '{"a":"x","b":1}', AUDIT_GENESIS_HASH)).toBe(expected);
  });

  it('an intact log verifies and lists in order', () => {
    fill(5);
    const v = verifyAuditLog(db);
    expect(v).toMatchObject({ ok: true, entries: 5, head: { seq: 5 } });
    expect([...listAudit(db)].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(verifyAuditLog(db).ok).toBe(true);
  });

  it('an empty log fails unless allowed (a store replaced by an empty one must not "verify")', () => {
    expect(verifyAuditLog(db)).toMatchObject({ ok: false, entries: 0 });
    expect(verifyAuditLog(db).firstBad!.reason).toMatch(/empty/);
    expect(verifyAuditLog(db, { allowEmpty: true })).toMatchObject({ ok: true, entries: 0 });
  });

  it('triggers refuse UPDATE and DELETE', () => {
    fill(2);
    expect(() => db.prepare("UPDATE audit_log SET type = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 2').run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_head').run()).toThrow(/cannot be deleted/);
    expect(() => db.prepare('UPDATE audit_head SET seq = 1').run()).toThrow(/forward/);
  });

  it('refuses secrets in detail', () => {
    expect(() => appendAudit(db, { type: 'link-run', detail: { nested: { secretValue: 'x' } } })).toThrow(/never holds secrets/);
  });

  it('property: editing any field of any entry (triggers dropped) is detected at that entry', () => {
    fill(6);
    dropTriggers();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.constantFrom('time', 'type', 'detail', 'prev_hash', 'hash'), (seq, col) => {
        const before = db.prepare(`SELECT ${col} AS v FROM audit_log WHERE seq = ?`).get(seq) as { v: string };
        const edited = col === 'detail' ? before.v.replace('"party":"p', '"party":"q') : col === 'time' ? before.v.replace('2026', '2025') : col === 'type' ? 'package-refused-x' : 'f'.repeat(64);
        db.prepare(`UPDATE audit_log SET ${col} = ? WHERE seq = ?`).run(edited, seq);
        const v = verifyAuditLog(db);
        db.prepare(`UPDATE audit_log SET ${col} = ? WHERE seq = ?`).run(before.v, seq);
        expect(v.ok).toBe(false);
        // an edited hash shows up at this entry (mismatch) — a rewritten prev link too
        expect(v.firstBad!.seq).toBe(seq);
        expect(verifyAuditLog(db).ok).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('deleting a middle entry, the last entry, or the head is detected', () => {
    fill(4);
    dropTriggers();
    db.prepare('DELETE FROM audit_log WHERE seq = 4').run();
    let v = verifyAuditLog(db);
    expect(v.ok).toBe(false);
    expect(v.firstBad!.reason).toMatch(/last entries deleted/);
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    v = verifyAuditLog(db);
    expect(v.firstBad).toMatchObject({ seq: 2 });
    expect(v.firstBad!.reason).toMatch(/missing/);
  });

  it('deleting the head row is detected', () => {
    fill(2);
    dropTriggers();
    db.prepare('DELETE FROM audit_head').run();
    expect(verifyAuditLog(db).firstBad!.reason).toMatch(/head record is missing/);
  });

  it('rewinding the head to match a truncated log is NOT detected by the chain alone (documented limit)', () => {
    fill(3);
    dropTriggers();
    const e2 = db.prepare('SELECT hash FROM audit_log WHERE seq = 2').get() as { hash: string };
    const e3 = (db.prepare('SELECT hash FROM audit_log WHERE seq = 3').get() as { hash: string }).hash;
    db.prepare('DELETE FROM audit_log WHERE seq = 3').run();
    db.prepare('UPDATE audit_head SET seq = 2, hash = ?').run(e2.hash);
    expect(verifyAuditLog(db).ok).toBe(true); // only a head recorded elsewhere closes this gap:
    const v = verifyAuditLog(db, { expectHeads: [{ seq: 3, hash: e3 }] });
    expect(v.ok).toBe(false);
    expect(v.firstBad!.reason).toMatch(/cut back or replaced by an older copy/);
    expect(verifyAuditLog(db, { expectHeads: [{ seq: 2, hash: e2.hash }] }).ok).toBe(true);
    expect(verifyAuditLog(db, { expectHeads: [{ seq: 2, hash: e3 }] }).firstBad!.reason).toMatch(/rewritten/);
  });
});
