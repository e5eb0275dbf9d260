import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { LINKAGE_ID } from '../../src/link/registry/ids.js';
import { listRuns, registryHistory, lookupRecord } from '../../src/link/registry/registry.js';
import { openSqliteStore } from '../../src/store/db.js';
import { auditMigrations, registryMigrations } from '../../src/store/migrations.js';
import { listAudit, verifyAuditLog } from '../../src/store/audit-log.js';
import { diceReference } from '../../src/link/dice.js';
import { P20Error } from '../../src/errors.js';
import { parseCsvText } from '../../src/io/csv.js';
import { writeEncoded, prng, randomClk, noisy, type SynthRow } from '../fixtures/link/make-encoded.js';

const dir = mkdtempSync(join(tmpdir(), 'p20-linkfiles-'));
const schema = JSON.parse(readFileSync(resolve(process.cwd(), 'protocols/link-report.schema.json'), 'utf8')) as object;
const validateReport = new Ajv({ allErrors: true }).compile(schema);
const none = parseBlockingSpec('none');

/** 30 people: k12 holds 0-24, college 5-29, wage 10-29; plus one borderline pair (person 30) between k12 and college. */
const rnd = prng(42);
const base = Array.from({ length: 31 }, () => randomClk(rnd));
function borderline(a: Uint8Array): Uint8Array {
  // keep 3/4 of a's set bits and add as many new ones: Dice = 0.75
  const out = new Uint8Array(a.length);
  const set: number[] = [];
  const clear: number[] = [];
  for (let i = 0; i < a.length * 8; i++) ((a[i >> 3]! & (0x80 >> (i & 7))) !== 0 ? set : clear).push(i);
  const keep = Math.round(set.length * 0.75);
  for (const i of set.slice(0, keep)) out[i >> 3]! |= 0x80 >> (i & 7);
  for (const i of clear.slice(0, set.length - keep)) out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
function partyRows(people: number[], idOf: (p: number) => string, extra: SynthRow[] = []): SynthRow[] {
  return [...people.map((p) => ({ id: idOf(p), clk: noisy(rnd, base[p]!) })), ...extra];
}
let k12: string, college: string, wage: string, truth: string;

beforeAll(async () => {
  const b30 = borderline(base[30]!);
  expect(diceReference(base[30]!, b30)).toBeCloseTo(0.75, 2);
  k12 = await writeEncoded(join(dir, 'k12.enc'), { party: 'k12', rows: partyRows(range(0, 24), (p) => `s${p}`, [{ id: 's30', clk: base[30]! }]) });
  college = await writeEncoded(join(dir, 'college.enc'), { party: 'college', rows: partyRows(range(5, 29), (p) => `c${p}`, [{ id: 'c30', clk: b30 }]) });
  wage = await writeEncoded(join(dir, 'wage.enc'), { party: 'wage', rows: partyRows(range(10, 29), (p) => `w${p}`) });
  const t = ['entity_id,party,record_id'];
  for (const p of range(0, 24)) t.push(`P${p},k12,s${p}`);
  for (const p of range(5, 29)) t.push(`P${p},college,c${p}`);
  for (const p of range(10, 29)) t.push(`P${p},wage,w${p}`);
  t.push('P30,k12,s30', 'P30,college,c30');
  truth = join(dir, 'truth.csv');
  writeFileSync(truth, t.join('\n') + '\n');
});

async function readLinks(path: string): Promise<Map<string, { id: string; score: string }>> {
  const rows = await parseCsvText(readFileSync(path, 'utf8'), { file: path });
  expect(rows[0]!.fields).toEqual(['record_id', 'linkage_id', 'score']);
  return new Map(rows.slice(1).map((r) => [r.fields[0]!, { id: r.fields[1]!, score: r.fields[2]! }]));
}

describe('linkFiles: three parties end to end', () => {
  it('links the same people across three files, lists the borderline pair for review, reports counts', async () => {
    const out = join(dir, 'out1');
    const store = join(dir, 'linker.db');
    const report = await linkFiles({ inputs: [{ file: k12 }, { file: college }, { file: wage }], outDir: out, store, threshold: 0.8, reviewThreshold: 0.7, blocking: none, truth });
    expect(validateReport(report), JSON.stringify(validateReport.errors)).toBe(true);
    expect(validateReport(JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')))).toBe(true);
    expect(readdirSync(out).sort()).toEqual(['college.links.csv', 'k12.links.csv', 'review.csv', 'run-report.json', 'wage.links.csv']);

    const K = await readLinks(join(out, 'k12.links.csv'));
    const C = await readLinks(join(out, 'college.links.csv'));
    const W = await readLinks(join(out, 'wage.links.csv'));
    expect(K.size).toBe(26);
    for (const m of [K, C, W]) for (const v of m.values()) expect(v.id).toMatch(LINKAGE_ID);
    for (const p of range(10, 24)) {
      expect(C.get(`c${p}`)!.id).toBe(K.get(`s${p}`)!.id);
      expect(W.get(`w${p}`)!.id).toBe(K.get(`s${p}`)!.id);
      expect(Number(K.get(`s${p}`)!.score)).toBeGreaterThanOrEqual(0.8);
    }
    for (const p of range(25, 29)) expect(W.get(`w${p}`)!.id).toBe(C.get(`c${p}`)!.id);
    for (const p of range(0, 4)) expect(K.get(`s${p}`)!.score).toBe('');
    // borderline pair: not linked, listed for review
    expect(K.get('s30')!.id).not.toBe(C.get('c30')!.id);
    const review = readFileSync(join(out, 'review.csv'), 'utf8').trim().split('\n');
    expect(review[0]).toBe('party_a,record_id_a,party_b,record_id_b,score');
    expect(review.slice(1)).toEqual([expect.stringMatching(/^k12,s30,college,c30,0\.7[45]\d{4}$/)]);
    // distinct people, distinct IDs
    const ids = new Set<string>();
    for (const p of range(0, 24)) ids.add(K.get(`s${p}`)!.id);
    for (const p of range(25, 29)) ids.add(C.get(`c${p}`)!.id);
    expect(ids.size).toBe(30);

    expect(report.counts).toMatchObject({ records: 26 + 26 + 20, reviewPairs: 1, refusedLinks: 0 });
    expect(report.clusterSizes).toEqual({ '1': 5 + 2, '2': 10, '3': 15 });
    expect(report.parties.map((p) => [p.party, p.records, p.linked])).toEqual([
      ['k12', 26, 20],
      ['college', 26, 25],
      ['wage', 20, 20],
    ]);
    expect(report.truth).toMatchObject({ precision: 1, blockingRecall: 1 });
    expect(report.truth!.recall).toBeCloseTo(55 / 56, 6); // true pairs: 5 + 15*3 + 5 + 1 (person 30, left for review)
    expect(report.scoreHistogram.counts.reduce((a, b) => a + b, 0)).toBe(report.partyPairs.reduce((s, p) => s + p.aboveThreshold + p.reviewBand, 0));
    expect(report.scoreHistogram.counts[74]! + report.scoreHistogram.counts[75]!).toBe(1);
    expect(report.registry).toMatchObject({ new: report.counts.clusters, kept: 0 });

    const db = openSqliteStore(store, { migrations: [...registryMigrations, ...auditMigrations] });
    try {
      expect(listRuns(db).map((r) => r.runId)).toEqual([report.runId]);
      const audit = [...listAudit(db)];
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ type: 'link-run', detail: { runId: report.runId } });
      expect(verifyAuditLog(db).ok).toBe(true);
      expect(lookupRecord(db, 'wage', 'w12')).toBe(K.get('s12')!.id);
    } finally {
      db.close();
    }
  });

  it('run 2 keeps run-1 IDs (also for new record ids linked to known records), gives newcomers new IDs, records a merge', async () => {
    const out1 = join(dir, 'r1');
    const store = join(dir, 'linker2.db');
    const r1 = await linkFiles({ inputs: [{ file: k12 }, { file: college }, { file: wage }], outDir: out1, store, threshold: 0.8, blocking: none });
    const K1 = await readLinks(join(out1, 'k12.links.csv'));
    const C1 = await readLinks(join(out1, 'college.links.csv'));
    // next year: college re-keys its records 5-9; k12 adds person 31; the borderline person 30 now encodes cleanly in college
    const rnd2 = prng(99);
    base[31] = randomClk(rnd2);
    const k12b = await writeEncoded(join(dir, 'k12-2.enc'), { party: 'k12', rows: [...partyRows(range(0, 24), (p) => `s${p}`), { id: 's30', clk: base[30]! }, { id: 's31', clk: base[31]! }] });
    const collegeB = await writeEncoded(join(dir, 'college-2.enc'), {
      party: 'college',
      rows: [...partyRows(range(5, 29), (p) => (p < 10 ? `c${p}-new` : `c${p}`)), { id: 'c30', clk: noisy(rnd2, base[30]!) }],
    });
    const out2 = join(dir, 'r2');
    const r2 = await linkFiles({ inputs: [{ file: k12b }, { file: collegeB }, { file: wage }], outDir: out2, store, threshold: 0.8, blocking: none });
    const K2 = await readLinks(join(out2, 'k12.links.csv'));
    const C2 = await readLinks(join(out2, 'college.links.csv'));
    for (const p of range(0, 24)) expect(K2.get(`s${p}`)!.id).toBe(K1.get(`s${p}`)!.id);
    for (const p of range(5, 9)) expect(C2.get(`c${p}-new`)!.id).toBe(K1.get(`s${p}`)!.id);
    for (const p of range(25, 29)) expect(C2.get(`c${p}`)!.id).toBe(C1.get(`c${p}`)!.id);
    const newcomer = K2.get('s31')!.id;
    expect(newcomer).toMatch(LINKAGE_ID);
    const run1Ids = new Set([...K1.values(), ...C1.values()].map((v) => v.id));
    expect(run1Ids.has(newcomer)).toBe(false);
    // person 30: two run-1 entities now linked -> merge recorded
    expect(K2.get('s30')!.id).toBe(C2.get('c30')!.id);
    expect([K1.get('s30')!.id, C1.get('c30')!.id]).toContain(K2.get('s30')!.id);
    expect(r2.registry).toMatchObject({ merged: 1, mergeEvents: 1, new: 1 });
    const db = openSqliteStore(store, { migrations: [...registryMigrations, ...auditMigrations] });
    try {
      const h = registryHistory(db);
      expect(h).toHaveLength(1);
      expect(h[0]).toMatchObject({ event: 'merge', runId: r2.runId, newId: K2.get('s30')!.id });
      expect(listRuns(db).map((r) => r.runId)).toEqual([r1.runId, r2.runId]);
      expect([...listAudit(db)].map((e) => e.type)).toEqual(['link-run', 'link-run']);
    } finally {
      db.close();
    }
  });

  it('with LSH blocking: fewer candidates than all pairs, blocking recall reported per party pair', async () => {
    const r = await linkFiles({ inputs: [{ file: k12 }, { file: college }, { file: wage }], outDir: join(dir, 'lsh'), threshold: 0.8, blocking: parseBlockingSpec('lsh'), truth });
    expect(validateReport(r), JSON.stringify(validateReport.errors)).toBe(true);
    expect(r.parameters.blocking).toMatch(/^lsh:bands=\d+,rows=\d+/);
    expect(r.counts.candidates).toBeLessThan(26 * 26 + 26 * 20 + 26 * 20);
    for (const pp of r.partyPairs) {
      expect(pp.blocking).toBeDefined();
      expect(pp.blocking!.kept).toBeLessThanOrEqual(pp.blocking!.truePairs);
    }
    expect(r.partyPairs.map((p) => p.blocking!.truePairs)).toEqual([21, 15, 20]);
    expect(r.truth!.blockingTruePairs).toBe(56);
    expect(r.truth!.blockingRecall).toBeGreaterThan(0.9);
  });

  it('records a split when a later run no longer links two records (stricter threshold)', async () => {
    const store = join(dir, 'split.db');
    const r1 = await linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: join(dir, 's1'), store, threshold: 0.7, blocking: none });
    const K1 = await readLinks(join(dir, 's1', 'k12.links.csv'));
    const C1 = await readLinks(join(dir, 's1', 'college.links.csv'));
    expect(C1.get('c30')!.id).toBe(K1.get('s30')!.id); // 0.75 >= 0.7: linked
    const r2 = await linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: join(dir, 's2'), store, threshold: 0.8, blocking: none });
    const K2 = await readLinks(join(dir, 's2', 'k12.links.csv'));
    const C2 = await readLinks(join(dir, 's2', 'college.links.csv'));
    const old = K1.get('s30')!.id;
    // the tie (one record each) goes to the smaller (party, record id) key: "college" < "k12"
    expect(C2.get('c30')!.id).toBe(old);
    expect(K2.get('s30')!.id).not.toBe(old);
    expect(r2.registry).toMatchObject({ split: 1, splitEvents: 1, new: 0, kept: r1.counts.clusters });
    const db = openSqliteStore(store, { migrations: [...registryMigrations, ...auditMigrations] });
    try {
      expect(registryHistory(db, old)).toMatchObject([{ event: 'split', runId: r2.runId, oldId: old, newId: K2.get('s30')!.id, records: 1 }]);
    } finally {
      db.close();
    }
  });

  it('max-per-party: a party with a duplicate keeps one record per cluster by default, both when allowed', async () => {
    const dupA = await writeEncoded(join(dir, 'dupa.enc'), {
      party: 'a',
      rows: [
        { id: 'a1', clk: noisy(rnd, base[1]!) },
        { id: 'a1-dup', clk: noisy(rnd, base[1]!) },
        { id: 'a2', clk: noisy(rnd, base[2]!) },
      ],
    });
    const b = await writeEncoded(join(dir, 'dupb.enc'), { party: 'b', rows: [{ id: 'b1', clk: noisy(rnd, base[1]!) }] });
    const r1 = await linkFiles({ inputs: [{ file: dupA }, { file: b }], outDir: join(dir, 'mp1'), threshold: 0.8, blocking: none });
    expect(r1.clusterSizes).toEqual({ '1': 2, '2': 1 });
    const r2 = await linkFiles({ inputs: [{ file: dupA }, { file: b }], outDir: join(dir, 'mp2'), threshold: 0.8, blocking: none, maxPerParty: 2 });
    expect(r2.clusterSizes).toEqual({ '1': 1, '3': 1 });
    const A = await readLinks(join(dir, 'mp2', 'a.links.csv'));
    expect(A.get('a1')!.id).toBe(A.get('a1-dup')!.id);
  });

  it('refuses incompatible inputs and writes nothing (no outputs, no registry run)', async () => {
    const other = await writeEncoded(join(dir, 'other-key.enc'), { party: 'other', rows: [{ id: 'x', clk: base[0]! }], kcv: 'e'.repeat(32) });
    const out = join(dir, 'refused');
    const store = join(dir, 'refused.db');
    const err = await linkFiles({ inputs: [{ file: k12 }, { file: other }], outDir: out, store, threshold: 0.8, blocking: none }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(P20Error);
    expect((err as P20Error).code).toBe('LINK_KEY_MISMATCH');
    expect((err as P20Error).message).toContain(other);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(store)).toBe(false);
    await expect(linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, threshold: 0.8, reviewThreshold: 0.9, blocking: none })).rejects.toMatchObject({ code: 'LINK_OPTION' });
    await expect(linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, threshold: 0.8, blocking: parseBlockingSpec('keys:yob') })).rejects.toMatchObject({
      code: 'LINK_BLOCK_MISSING',
      location: { file: k12, field: 'block:yob' },
    });
    expect(existsSync(out)).toBe(false);
    // the same file twice (under two party labels) is refused before any linking
    const twice = await linkFiles({ inputs: [{ file: k12 }, { file: k12, party: 'k12-again' }], outDir: out, store, threshold: 0.8, blocking: none }).catch((e: unknown) => e);
    expect(twice).toMatchObject({ code: 'LINK_DUPLICATE_INPUT', location: { file: k12 } });
    expect(readdirSync(out)).toEqual([]);
    const db = openSqliteStore(store, { migrations: [...registryMigrations, ...auditMigrations] });
    expect(listRuns(db)).toEqual([]);
    expect([...listAudit(db)]).toEqual([]);
    db.close();
  });
});
