import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { linkFiles } from '../../src/link/link-files.js';
import { SqliteRegistryStorage } from '../../src/link/registry/sqlite-storage.js';
import { storedBandKeys } from '../../src/link/registry/band-keys.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { forgetRecords, exportRegistry, rekeyRegistry } from '../../src/link/registry/maintenance.js';
import { openLinkerStore } from '../../src/store/linker-store.js';
import type { Db } from '../../src/store/db.js';
import { listAudit, verifyAuditLog } from '../../src/store/audit-log.js';
import { writeEncoded, prng, randomClk, noisy, type SynthRow } from '../fixtures/link/make-encoded.js';
import { p20Rejection } from '../helpers/errors.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('p20-registry-inc-');
let n = 0;
const fresh = (what: string) => join(dir, `${what}-${++n}`);

/** 60 people; noisy copies score ~0.95 with each other, ~0.3 with anyone else: every match is unambiguous. */
const base = (() => {
  const rnd = prng(7);
  return Array.from({ length: 60 }, () => randomClk(rnd));
})();
const rows = (seed: number, people: number[], prefix: string): SynthRow[] => {
  const rnd = prng(seed);
  return people.map((p) => ({ id: `${prefix}${p}`, clk: noisy(rnd, base[p]!, 0.01) }));
};
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

async function agencyFiles(tag: string) {
  const k12 = await writeEncoded(join(dir, `${tag}-k12.enc`), { party: 'k12', rows: rows(1, range(0, 30), 'k') });
  const college = await writeEncoded(join(dir, `${tag}-college.enc`), { party: 'college', rows: rows(2, range(15, 45), 'c') });
  const wage = await writeEncoded(join(dir, `${tag}-wage.enc`), { party: 'wage', rows: rows(3, range(10, 50), 'w') });
  return { k12, college, wage };
}

async function withDb<T>(path: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db = openLinkerStore(path, { mustExist: true });
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

/** Partition of (party, record id) by linkage ID, as a canonical string. */
function partitionOf(storePath: string): string {
  const db = openLinkerStore(storePath);
  try {
    const rows = db.prepare('SELECT party, record_id, entity_id FROM registry_members').all() as { party: string; record_id: string; entity_id: string }[];
    const by = new Map<string, string[]>();
    for (const r of rows) {
      const l = by.get(r.entity_id) ?? [];
      l.push(`${r.party}:${r.record_id}`);
      by.set(r.entity_id, l);
    }
    return [...by.values()].map((l) => l.sort().join(' ')).sort().join('\n');
  } finally {
    db.close();
  }
}

/**
 * The index covers every entity: each band key of each stored record is
 * indexed under some record of the same entity (keys are stored once per entity).
 */
function expectCoverage(storePath: string): void {
  const db = openLinkerStore(storePath);
  try {
    const cfg = db.prepare('SELECT l, blocking FROM registry_config').get() as { l: number; blocking: string };
    const blocking = parseBlockingSpec(cfg.blocking);
    const rows = db
      .prepare('SELECT r.rid, r.clk, r.blocks, m.entity_id AS entity FROM registry_records r JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id')
      .all() as { rid: number; clk: Buffer; blocks: string | null; entity: string }[];
    const entityOfRid = new Map(rows.map((r) => [r.rid, r.entity]));
    const indexed = new Set((db.prepare('SELECT key, rid FROM registry_band_keys').all() as { key: number; rid: number }[]).map((r) => `${r.key}|${entityOfRid.get(r.rid)}`));
    let checked = 0;
    for (const r of rows) {
      for (const k of storedBandKeys(blocking, cfg.l, new Uint8Array(r.clk), r.blocks === null ? null : JSON.parse(r.blocks))) {
        expect(indexed.has(`${k}|${r.entity}`)).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
    // and no key row points to a record that is gone
    expect(db.prepare('SELECT COUNT(*) FROM registry_band_keys WHERE rid NOT IN (SELECT rid FROM registry_records)').pluck().get()).toBe(0);
  } finally {
    db.close();
  }
}

function personOf(recordId: string): number {
  return Number(recordId.slice(1));
}

describe('incremental linking against the registry', () => {
  it('links files one at a time, in any order, into the same entities as one run over all (unambiguous matches)', async () => {
    const f = await agencyFiles('order');
    const full = fresh('full.db');
    await linkFiles({ inputs: [{ file: f.k12 }, { file: f.college }, { file: f.wage }], outDir: fresh('out'), store: full });
    const want = partitionOf(full);
    // every entity is one person
    for (const line of want.split('\n')) expect(new Set(line.split(' ').map((x) => personOf(x.split(':')[1]!))).size).toBe(1);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]), async (order) => {
        const store = fresh('inc.db');
        const all = [f.k12, f.college, f.wage];
        for (const k of order) await linkFiles({ inputs: [{ file: all[k]! }], outDir: fresh('out'), store });
        expect(partitionOf(store)).toBe(want);
        expectCoverage(store);
      }),
      { numRuns: 3 },
    );
  });

  it('re-linking a file already linked changes nothing (idempotent); an updated record is replaced, not duplicated', async () => {
    const f = await agencyFiles('idem');
    const store = fresh('idem.db');
    await linkFiles({ inputs: [{ file: f.k12 }, { file: f.college }], outDir: fresh('out'), store });
    await linkFiles({ inputs: [{ file: f.wage }], outDir: fresh('out'), store });
    const before = partitionOf(store);
    const count = () => {
      const db = openLinkerStore(store);
      try {
        return {
          entities: db.prepare('SELECT COUNT(*) FROM registry_entities').pluck().get(),
          records: db.prepare('SELECT COUNT(*) FROM registry_records').pluck().get(),
          keys: db.prepare('SELECT COUNT(*) FROM registry_band_keys').pluck().get(),
          history: db.prepare('SELECT COUNT(*) FROM registry_history').pluck().get(),
        };
      } finally {
        db.close();
      }
    };
    const c0 = count();
    const rep = await linkFiles({ inputs: [{ file: f.college }], outDir: fresh('out'), store });
    expect(rep.registry).toMatchObject({ new: 0, merged: 0, split: 0 });
    expect(partitionOf(store)).toBe(before);
    expect(count()).toEqual(c0);
    // next year's k12 extract: same students re-encoded (new noise) plus five new ones
    const k12b = await writeEncoded(join(dir, 'idem-k12-2.enc'), { party: 'k12', rows: rows(11, range(0, 35), 'k') });
    const r2 = await linkFiles({ inputs: [{ file: k12b }], outDir: fresh('out'), store });
    expect(r2.registry.split).toBe(0);
    expect(r2.registry.merged).toBe(0);
    const c2 = count();
    expect(c2.records).toBe((c0.records as number) + 5);
    expectCoverage(store);
    const storage = new SqliteRegistryStorage(openLinkerStore(store), { ownsDb: true });
    try {
      for (let p = 0; p < 35; p++) {
        const k = storage.entityOf('k12', `k${p}`);
        expect(k).toBeDefined();
        if (p >= 15 && p < 45) expect(storage.entityOf('college', `c${p}`)).toBe(k);
        if (p >= 10) expect(storage.entityOf('wage', `w${p}`)).toBe(k);
      }
    } finally {
      storage.close();
    }
  });

  it('keeps one index row per band key and entity: keys an entity already carries are not stored again', async () => {
    const store = fresh('perentity.db');
    await linkFiles({ inputs: [{ file: await writeEncoded(join(dir, 'pe-k12.enc'), { party: 'k12', rows: rows(1, range(0, 30), 'k') }) }], outDir: fresh('out'), store });
    const keyRows = () => withDb(store, async (db) => db.prepare('SELECT COUNT(*) FROM registry_band_keys').pluck().get() as number);
    const k0 = await keyRows();
    // the same encodings again under next year's label: every key is carried by the entity already
    await linkFiles({ inputs: [{ file: await writeEncoded(join(dir, 'pe-k12-2028.enc'), { party: 'k12-2028', rows: rows(1, range(0, 30), 'k') }) }], outDir: fresh('out'), store });
    expect(await keyRows()).toBe(k0);
    // new noise and two records of one new person in one file: only the keys their entity lacks are added, once
    const extra = rows(11, range(0, 32), 'k');
    extra.push({ id: 'k31b', clk: extra[extra.length - 1]!.clk });
    await linkFiles({ inputs: [{ file: await writeEncoded(join(dir, 'pe-k12-2029.enc'), { party: 'k12-2029', rows: extra }) }], outDir: fresh('out'), store, maxPerParty: 2 });
    expectCoverage(store);
    await withDb(store, async (db) => {
      const cfg = db.prepare('SELECT l, blocking FROM registry_config').get() as { l: number; blocking: string };
      const recs = db
        .prepare('SELECT r.clk, r.blocks, m.entity_id AS entity FROM registry_records r JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id')
        .all() as { clk: Buffer; blocks: string | null; entity: string }[];
      expect(recs).toHaveLength(30 + 30 + 33);
      expect(new Set(recs.map((r) => r.entity)).size).toBe(32);
      const pairs = new Set<string>();
      for (const r of recs) for (const k of storedBandKeys(parseBlockingSpec(cfg.blocking), cfg.l, new Uint8Array(r.clk), null)) pairs.add(`${k}|${r.entity}`);
      expect(db.prepare('SELECT COUNT(*) FROM registry_band_keys').pluck().get()).toBe(pairs.size);
    });
  });

  it('refuses a file encoded under another secret than the registry holds', async () => {
    const f = await agencyFiles('kcv');
    const store = fresh('kcv.db');
    await linkFiles({ inputs: [{ file: f.k12 }, { file: f.college }], outDir: fresh('out'), store });
    const other = await writeEncoded(join(dir, 'kcv-wage.enc'), { party: 'wage', rows: rows(3, range(10, 50), 'w'), kcv: 'f'.repeat(32) });
    const e = await p20Rejection(linkFiles({ inputs: [{ file: other }], outDir: fresh('out'), store }));
    expect(e.code).toBe('REGISTRY_KEY_MISMATCH');
    expect(e.message).not.toContain('f'.repeat(32));
    const e2 = await p20Rejection(linkFiles({ inputs: [{ file: f.wage }, { file: other }], outDir: fresh('out'), store }));
    expect(e2.code).toBe('REGISTRY_KEY_MISMATCH');
  });

  it('a record matching two entities merges them (history) or, when they cannot merge, is a merge candidate', async () => {
    const store = fresh('merge.db');
    // k12 holds person 0, college holds person 0 as a weak copy each side cannot link alone... simpler: two entities
    // that only a third record bridges: a-side and b-side records of the same person, linked separately.
    const rnd = prng(99);
    const p = randomClk(rnd);
    const a = await writeEncoded(join(dir, 'merge-a.enc'), { party: 'k12', rows: [{ id: 'a', clk: noisy(rnd, p, 0.01) }] });
    const b = await writeEncoded(join(dir, 'merge-b.enc'), { party: 'college', rows: [{ id: 'b', clk: noisy(rnd, p, 0.01) }] });
    // link k12 alone, then college alone with a threshold so high nothing links: two entities
    await linkFiles({ inputs: [{ file: a }], outDir: fresh('out'), store, threshold: 0.999 });
    await linkFiles({ inputs: [{ file: b }], outDir: fresh('out'), store, threshold: 0.999 });
    const storage = new SqliteRegistryStorage(openLinkerStore(store), { ownsDb: true });
    const ea = storage.entityOf('k12', 'a')!;
    const eb = storage.entityOf('college', 'b')!;
    expect(ea).not.toBe(eb);
    storage.close();
    // a wage record matching both at the normal threshold bridges them: merged, older survives
    const w = await writeEncoded(join(dir, 'merge-w.enc'), { party: 'wage', rows: [{ id: 'w', clk: noisy(rnd, p, 0.01) }] });
    const rep = await linkFiles({ inputs: [{ file: w }], outDir: fresh('out'), store, threshold: 0.8 });
    expect(rep.registry.merged).toBe(1);
    const s2 = new SqliteRegistryStorage(openLinkerStore(store), { ownsDb: true });
    expect(s2.entityOf('k12', 'a')).toBe(ea);
    expect(s2.entityOf('college', 'b')).toBe(ea);
    expect(s2.history().map((h) => [h.event, h.oldId, h.newId])).toContainEqual(['merge', eb, ea]);
    // a second k12 record of the same person matches the merged entity and ... a fresh college record entity
    s2.close();
    const b2 = await writeEncoded(join(dir, 'merge-b2.enc'), { party: 'college', rows: [{ id: 'b2', clk: noisy(rnd, p, 0.01) }] });
    await linkFiles({ inputs: [{ file: b2 }], outDir: fresh('out'), store, threshold: 0.999 });
    const k2 = await writeEncoded(join(dir, 'merge-k2.enc'), { party: 'wage', rows: [{ id: 'w2', clk: noisy(rnd, p, 0.01) }] });
    await linkFiles({ inputs: [{ file: k2 }], outDir: fresh('out'), store, threshold: 0.8 });
    const s3 = new SqliteRegistryStorage(openLinkerStore(store), { ownsDb: true });
    // w2 matched the merged entity (which has a wage record) and b2's entity (college): b2's entity holds no wage record, so
    // w2 joins one of them, and the other pair (both hold a college record) is a merge candidate
    expect(s3.mergeCandidates().length).toBe(1);
    s3.close();
    expectCoverage(store);
  });
});

describe('forget, export, rekey', () => {
  it('forget removes every trace of the encoding and membership, retires emptied IDs, and is audit-logged without ids', async () => {
    const f = await agencyFiles('forget');
    const store = fresh('forget.db');
    await linkFiles({ inputs: [{ file: f.k12 }, { file: f.college }], outDir: fresh('out'), store });
    const s0 = new SqliteRegistryStorage(openLinkerStore(store), { ownsDb: true });
    const clk = s0.encodingOf('k12', 'k3')!.clk;
    const lonely = s0.entityOf('k12', 'k4')!; // person 4 is only in k12
    const shared = s0.entityOf('k12', 'k20')!; // person 20 also in college
    s0.close();
    const list = join(dir, 'withdraw.csv');
    writeFileSync(list, 'record_id\nk3\nk4\nk20\nnobody\n');
    const r = await withDb(store, (db) => forgetRecords(db, { party: 'k12', records: list }));
    expect(r).toMatchObject({ removed: 3, unknown: 1 });
    expect(r.retired).toContain(lonely);
    expect(r.retired).not.toContain(shared);
    const db = openLinkerStore(store);
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
      const hex = Buffer.from(clk).toString('hex');
      for (const t of tables) {
        const cols = (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name);
        for (const c of cols) {
          for (const id of ['k3', 'k4', 'k20']) {
            expect(db.prepare(`SELECT COUNT(*) FROM ${t} WHERE CAST(${c} AS TEXT) = ?`).pluck().get(id), `${t}.${c}`).toBe(0);
          }
          expect(db.prepare(`SELECT COUNT(*) FROM ${t} WHERE hex(${c}) LIKE ?`).pluck().get(`%${hex.slice(0, 64).toUpperCase()}%`), `${t}.${c}`).toBe(0);
        }
      }
      // the band keys of the forgotten records are gone: every key row points to a stored record
      expect(db.prepare('SELECT COUNT(*) FROM registry_band_keys WHERE rid NOT IN (SELECT rid FROM registry_records)').pluck().get()).toBe(0);
      const entry = [...listAudit(db)].filter((e) => e.type === 'registry-forget');
      expect(entry).toHaveLength(1);
      expect(entry[0]!.detail).toMatchObject({ party: 'k12', records: 3, unknown: 1 });
      expect(JSON.stringify(entry[0]!.detail)).not.toMatch(/k3|k4|k20/);
      expect(verifyAuditLog(db).ok).toBe(true);
    } finally {
      db.close();
    }
    expectCoverage(store);
    // the store file itself no longer holds the forgotten CLK's bytes (secure delete, WAL truncated)
    const bytes = readFileSync(store);
    expect(bytes.includes(Buffer.from(clk))).toBe(false);
    // a retired ID is never handed out again; re-linking the forgotten record gives a new ID
    const back = await writeEncoded(join(dir, 'forget-k12-back.enc'), { party: 'k12', rows: rows(1, [4], 'k') });
    await linkFiles({ inputs: [{ file: back }], outDir: fresh('out'), store });
    const s1 = new SqliteRegistryStorage(openLinkerStore(store), { ownsDb: true });
    expect(s1.entityOf('k12', 'k4')).not.toBe(lonely);
    expect(s1.isRetired(lonely)).toBe(true);
    s1.close();
  });

  it("export writes one party's records only, mode 0600", async () => {
    const f = await agencyFiles('export');
    const store = fresh('export.db');
    await linkFiles({ inputs: [{ file: f.k12 }, { file: f.college }], outDir: fresh('out'), store });
    const out = join(dir, 'k12-ids.csv');
    expect(await withDb(store, (db) => exportRegistry(db, { party: 'college', out }))).toBe(30);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('linkage_id,party,record_id');
    expect(lines.slice(1).every((l) => /^L[0-9A-Z]{16},college,c\d+$/.test(l))).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('rekey maps re-encoded records onto their IDs; mixed key check values are refused before and after', async () => {
    const f = await agencyFiles('rekey');
    const store = fresh('rekey.db');
    await linkFiles({ inputs: [{ file: f.k12 }, { file: f.college }], outDir: fresh('out'), store });
    const before = partitionOf(store);
    const NEW = 'e'.repeat(32);
    // "re-encoded under the new secret": other CLKs altogether (a permutation of bits stands in for a new key)
    const perm = (c: Uint8Array) => Uint8Array.from(c, (_b, i) => c[(i * 37) % c.length]!);
    const rk12 = await writeEncoded(join(dir, 'rekey-k12.enc'), { party: 'k12', kcv: NEW, rows: rows(1, range(0, 30), 'k').map((r) => ({ ...r, clk: perm(r.clk) })) });
    const rcol = await writeEncoded(join(dir, 'rekey-college.enc'), { party: 'college', kcv: NEW, rows: rows(2, range(15, 45), 'c').map((r) => ({ ...r, clk: perm(r.clk) })) });
    // incomplete: refused, nothing changed
    const inc = await p20Rejection(withDb(store, (db) => rekeyRegistry(db, { inputs: [{ file: rk12 }] })));
    expect(inc.code).toBe('REGISTRY_REKEY_INCOMPLETE');
    const res = await withDb(store, (db) => rekeyRegistry(db, { inputs: [{ file: rk12 }, { file: rcol }] }));
    expect(res).toEqual({ records: 60, parties: ['college', 'k12'] });
    expect(partitionOf(store)).toBe(before);
    // an old-key file is now refused; a new-key wage file links onto the same IDs
    const e = await p20Rejection(linkFiles({ inputs: [{ file: f.wage }], outDir: fresh('out'), store }));
    expect(e.code).toBe('REGISTRY_KEY_MISMATCH');
    const wNew = await writeEncoded(join(dir, 'rekey-wage.enc'), { party: 'wage', kcv: NEW, rows: rows(3, range(10, 50), 'w').map((r) => ({ ...r, clk: perm(r.clk) })) });
    await linkFiles({ inputs: [{ file: wNew }], outDir: fresh('out'), store });
    const s = new SqliteRegistryStorage(openLinkerStore(store), { ownsDb: true });
    try {
      for (let p = 15; p < 30; p++) expect(s.entityOf('wage', `w${p}`)).toBe(s.entityOf('k12', `k${p}`));
      expect(s.config()!.keyCheckValue).toBe(NEW);
    } finally {
      s.close();
    }
    expectCoverage(store);
    const unknown = await writeEncoded(join(dir, 'rekey-unknown.enc'), { party: 'k12', kcv: 'd'.repeat(32), rows: rows(1, range(0, 31), 'k') });
    expect((await p20Rejection(withDb(store, (db) => rekeyRegistry(db, { inputs: [{ file: unknown }] })))).code).toBe('REGISTRY_REKEY_UNKNOWN');
  });
});

describe('p20link link --store / registry (CLI end to end)', () => {
  it('first run two agencies, second run one new file, third a new agency; forget and export', async () => {
    const f = await agencyFiles('cli');
    const store = join(dir, 'cli-linker.db');
    const out = join(dir, 'cli-out');
    const r1 = await runCli(['link', f.k12, f.college, '--out', out, '--store', store, '--quiet']);
    expect(r1.err).toBe('');
    expect(r1.code).toBe(0);
    const idsOf = (party: string) => new Map(readFileSync(join(out, `${party}.links.csv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',') as [string, string, string]).map(([r, id]) => [personOf(r), id]));
    const k12ids = idsOf('k12');
    // next year's k12 file alone: same students keep their IDs, new students get new ones
    const k12b = await writeEncoded(join(dir, 'cli-k12-2.enc'), { party: 'k12', rows: rows(21, range(0, 33), 'k') });
    const r2 = await runCli(['link', '--store', store, k12b, '--out', out]);
    expect(r2.code).toBe(0);
    expect(r2.out).toMatch(/k12: 33 records/);
    const k12ids2 = idsOf('k12');
    for (let p = 0; p < 30; p++) expect(k12ids2.get(p)).toBe(k12ids.get(p));
    expect(existsSync(join(out, 'college.links.csv'))).toBe(false); // the earlier run's other file is not this run's
    // a new agency joins
    const r3 = await runCli(['link', '--store', store, f.wage, '--out', out]);
    expect(r3.code).toBe(0);
    const w = idsOf('wage');
    for (let p = 10; p < 33; p++) expect(w.get(p)).toBe(k12ids2.get(p));
    const report = JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')) as { registry: { kept: number; new: number } };
    expect(report.registry).toMatchObject({ kept: 35, new: 5 }); // wage people 10-44 are registered (k12 0-32, college 15-44)
    const exp = join(dir, 'cli-wage.csv');
    const ex = await runCli(['registry', 'export', '--store', store, '--party', 'wage', '--out', exp]);
    expect(ex.code).toBe(0);
    expect(readFileSync(exp, 'utf8').trim().split('\n')).toHaveLength(41);
    const list = join(dir, 'cli-forget.csv');
    writeFileSync(list, 'record_id\nw49\n');
    const fg = await runCli(['registry', 'forget', '--store', store, '--party', 'wage', '--records', list]);
    expect(fg.code).toBe(0);
    expect(fg.out).toMatch(/forgot 1 record\(s\) of wage; 1 linkage ID\(s\) retired/);
    const other = await writeEncoded(join(dir, 'cli-other.enc'), { party: 'ece', kcv: 'c'.repeat(32), rows: rows(5, [1], 'e') });
    const bad = await runCli(['link', '--store', store, other, '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/different secret than the encodings this registry holds/);
  });
});
