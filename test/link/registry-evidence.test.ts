/**
 * What an increment on a match-model registry finds beyond the CLK's bands
 * (docs/registry.md "Evidence keys" and "The residual pass in increments"):
 * the `first_dob` / `last_dob` evidence keys in the persistent index (kept
 * through every index path, crowds left out), and the residual pass on the
 * full run's stored free shares. Data: the bundled example files, encoded
 * with the default schema; "next year" splits the wage records in two.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFile } from '../../src/encode/index.js';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { loadParty } from '../../src/link/load.js';
import { EVIDENCE_BAND, EVIDENCE_BAND_MIN, evidenceIndexFor, evidenceKeys, evidenceProbeKeys, isNamesKey, NAMES_BAND0, NAMES_BANDS, NAMES_IDENTICAL_BAND, readEvidenceIndex, storedBandKeys } from '../../src/link/registry/band-keys.js';
import { encodingUpdates, EVIDENCE_CROWD, NAMES_CROWD } from '../../src/link/registry/incremental.js';
import { forgetRecords, rekeyRegistry } from '../../src/link/registry/maintenance.js';
import { storeFullRunEncodings } from '../../src/link/registry/incremental-run.js';
import { SqliteRegistryStorage } from '../../src/link/registry/sqlite-storage.js';
import type { Db } from '../../src/store/db.js';
import { openLinkerStore } from '../../src/store/linker-store.js';
import { p20Rejection } from '../helpers/errors.js';
import { agencySettings } from '../helpers/agency.js';

const root = join(import.meta.dirname, '../..');
const SCHEMA = join(root, 'protocols/schemas/p20w-person.json');
const secret = new TextEncoder().encode('p20link registry evidence test secret (synthetic data only)');
const dir = mkdtempSync(join(tmpdir(), 'p20-registry-evidence-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = (f: string) => join(dir, `${f}.enc`);
let n = 0;
const fresh = (what: string) => join(dir, `${what}-${++n}`);
const TWO32 = 2 ** 32;

const agency = agencySettings;
async function encodeCsv(csv: string, party: string, out: string): Promise<void> {
  const a = agency(party);
  await encodeFile({ input: csv, output: out, schema: SCHEMA, secret, party, map: a.map, idColumn: a.idColumn, workers: 0, onBadField: 'missing' });
}

const truth = new Map<string, string>();
const wageLines = readFileSync(join(root, 'examples/data/wages.csv'), 'utf8').trim().split('\n');
/** Wage records (lines under the wage file's header) written as `name`.csv and encoded as party wages: the encoded file. */
async function wageFile(name: string, rows: readonly string[]): Promise<string> {
  const csv = join(dir, `${name}.csv`);
  writeFileSync(csv, `${[wageLines[0], ...rows].join('\n')}\n`);
  await encodeCsv(csv, 'wages', enc(name));
  return enc(name);
}
/** The wage file's column of a hashed feature (the agency's map). */
const wageColumn = (feature: string): number => wageLines[0]!.split(',').indexOf(agency('wages').map[feature]!);
/** A wage record with one hashed feature's column set to `value`. */
const withField = (line: string, feature: string, value: string): string => line.split(',').map((v, i) => (i === wageColumn(feature) ? value : v)).join(',');
/** A wage record with its birth date left out. */
const withoutDob = (line: string): string => withField(line, 'birth_date', '');
beforeAll(async () => {
  for (const p of ['k12', 'college', 'wages']) await encodeCsv(join(root, `examples/data/${p}.csv`), p, enc(p));
  // next year: every other wage record now, the rest later (one party, "wages", in both)
  for (const half of [0, 1]) await wageFile(`wages${half + 1}`, wageLines.slice(1).filter((_l, i) => i % 2 === half));
  for (const l of readFileSync(join(root, 'examples/data/truth.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [entity, party, record] = l.split(',');
    truth.set(`${party}:${record}`, entity!);
  }
}, 120_000);

function withDb<T>(store: string, f: (db: Db) => T): T {
  const db = openLinkerStore(store);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

const cache = new Map<string, string>();
/** A registry built once by a full run (copied per test). */
async function registry(files: string[], opts: { model?: 'fs' | 'dice'; residualPass?: boolean } = {}): Promise<string> {
  const id = JSON.stringify([files, opts]);
  let built = cache.get(id);
  if (!built) {
    built = fresh('built.db');
    await linkFiles({ inputs: files.map((f) => ({ file: enc(f) })), outDir: fresh('full'), store: built, workers: 1, model: opts.model ?? 'fs', ...(opts.residualPass !== undefined ? { residualPass: opts.residualPass } : {}) });
    cache.set(id, built);
  }
  const copy = fresh('store.db');
  copyFileSync(built, copy);
  return copy;
}

/** Every index key of every stored record (band keys and, under the stored evidence index, evidence keys) is indexed under a record of its entity. Returns the evidence keys checked. */
function expectCoverage(store: string): number {
  return withDb(store, (db) => {
    const cfg = new SqliteRegistryStorage(db).config()!;
    const rows = db
      .prepare('SELECT r.rid, r.clk, r.blocks, r.evidence, r.presence, m.entity_id AS entity FROM registry_records r JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id')
      .all() as { rid: number; clk: Buffer; blocks: string | null; evidence: Buffer | null; presence: number | null; entity: string }[];
    const entityOfRid = new Map(rows.map((r) => [r.rid, r.entity]));
    const indexed = new Set((db.prepare('SELECT key, rid FROM registry_band_keys').all() as { key: number; rid: number }[]).map((r) => `${r.key}|${entityOfRid.get(r.rid)}`));
    let evidence = 0;
    const missing: string[] = [];
    for (const r of rows) {
      const ev = evidenceKeys(cfg.indexEvidence, r.evidence === null ? null : new Uint8Array(r.evidence), r.presence);
      evidence += ev.length;
      for (const k of [...storedBandKeys(parseBlockingSpec(cfg.blocking), cfg.l, new Uint8Array(r.clk), null), ...ev]) if (!indexed.has(`${k}|${r.entity}`)) missing.push(`${k}|${r.rid}`);
    }
    expect(missing).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) FROM registry_band_keys WHERE rid NOT IN (SELECT rid FROM registry_records)').pluck().get()).toBe(0);
    return evidence;
  });
}

const evidenceRows = (store: string): number => withDb(store, (db) => db.prepare('SELECT COUNT(*) FROM registry_band_keys WHERE key >= ?').pluck().get(EVIDENCE_BAND_MIN * TWO32) as number);

/** Pairwise precision and recall of the registry's entities over the true pairs with a record of `file` (truth: the example data's). */
/** The residual pass on (`on`) against off (`off`, linked with `withoutPass`) over the pairs with a record of `inFile`: recall gained at precision above 0.99. */
function expectPassGain(label: string, on: string, off: string, inFile: Set<string>, accepted: number, withoutPass: Awaited<ReturnType<typeof linkFiles>>): void {
  const qOn = quality(on, inFile);
  const qOff = quality(off, inFile);
  console.log(JSON.stringify({ [label]: { residualOn: qOn, residualOff: qOff, accepted } }));
  expect(qOn.recall).toBeGreaterThan(qOff.recall);
  expect(qOn.precision).toBeGreaterThan(0.99);
  expect(withoutPass.model!.residual).toBeUndefined();
}

function quality(store: string, inFile: Set<string>): { precision: number; recall: number; links: number } {
  const by = new Map<string, string[]>();
  withDb(store, (db) => {
    for (const r of db.prepare('SELECT party, record_id, entity_id FROM registry_members').all() as { party: string; record_id: string; entity_id: string }[]) {
      by.set(r.entity_id, [...(by.get(r.entity_id) ?? []), `${r.party}:${r.record_id}`]);
    }
  });
  const pairs = (groups: Iterable<string[]>): string[][] => {
    const out: string[][] = [];
    for (const m of groups) for (let i = 0; i < m.length; i++) for (let j = i + 1; j < m.length; j++) if (inFile.has(m[i]!) || inFile.has(m[j]!)) out.push([m[i]!, m[j]!]);
    return out;
  };
  const links = pairs(by.values());
  const correct = links.filter(([a, b]) => truth.get(a!) === truth.get(b!)).length;
  const byTrue = new Map<string, string[]>();
  for (const [rec, e] of truth) byTrue.set(e, [...(byTrue.get(e) ?? []), rec]);
  return { precision: correct / links.length, recall: correct / pairs(byTrue.values()).length, links: links.length };
}

/**
 * `input` linked alone against the registry of K-12 and college as it is (`on`) and with its index keys of bands
 * [from, to) deleted (`off`): quality over the true pairs with a record of `records`.
 */
async function withAndWithoutBands(input: string, from: number, to: number, records: Set<string>): Promise<{ on: ReturnType<typeof quality>; off: ReturnType<typeof quality> }> {
  const withKeys = await registry(['k12', 'college']);
  const without = await registry(['k12', 'college']);
  withDb(without, (db) => db.prepare('DELETE FROM registry_band_keys WHERE key >= ? AND key < ?').run(from * TWO32, to * TWO32));
  await linkFiles({ inputs: [{ file: input }], outDir: fresh('bands-on'), store: withKeys, workers: 1 });
  await linkFiles({ inputs: [{ file: input }], outDir: fresh('bands-off'), store: without, workers: 1 });
  return { on: quality(withKeys, records), off: quality(without, records) };
}

/**
 * An index key's crowd: how many index rows `key` has in registry `base`, and `run(extra)`, which links `input` alone
 * against a copy of `base` whose key is also given to `extra` other entities (their last registered records, far from
 * the input's) and returns the pairs compared (the input against the representatives of its candidate entities).
 */
function keyCrowd(base: string, key: number, input: string): { holders: number; run: (extra: number) => Promise<number> } {
  const holders = withDb(base, (db) => db.prepare('SELECT COUNT(*) FROM registry_band_keys WHERE key = ?').pluck().get(key) as number);
  const run = async (extra: number): Promise<number> => {
    const store = fresh('crowd.db');
    copyFileSync(base, store);
    withDb(store, (db) => {
      const rids = db
        .prepare('SELECT MAX(r.rid) AS rid FROM registry_records r JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id GROUP BY m.entity_id ORDER BY rid DESC LIMIT ?')
        .pluck()
        .all(extra) as number[];
      for (const rid of rids) db.prepare('INSERT OR IGNORE INTO registry_band_keys (key, rid) VALUES (?, ?)').run(key, rid);
    });
    return (await linkFiles({ inputs: [{ file: input }], outDir: fresh('crowd-out'), store, workers: 1 })).counts.compared;
  };
  return { holders, run };
}

describe('evidence keys (band-keys.ts)', () => {
  const header = { evidence: [{ name: 'names', l: 16 }, { name: 'first_dob', l: 64 }, { name: 'last_dob', l: 64 }], presence: ['first_name', 'last_name', 'birth_date'] };

  it('where the filters lie in a stored record and what each needs; none without both filters or a presence feature', () => {
    expect(evidenceIndexFor(header)).toEqual({
      filters: [
        { name: 'first_dob', offset: 2, bytes: 8, need: 0b101 },
        { name: 'last_dob', offset: 10, bytes: 8, need: 0b110 },
      ],
      names: { offset: 0, bytes: 2, l: 16, need: 0b011, dob: 0b100, identical: true },
    });
    expect(evidenceIndexFor({ ...header, evidence: header.evidence.slice(0, 2) })).toBeUndefined();
    expect(evidenceIndexFor({ ...header, presence: ['first_name', 'last_name'] })).toBeUndefined();
  });

  it('known answers: 65535 × 2^32 + FNV-1a (mixed) of the filter bytes; a filter whose name or birth date is missing, or empty, has none; equal filters one key', () => {
    const spec = evidenceIndexFor(header)!;
    const ev = new Uint8Array(18);
    ev.set([1, 2, 3, 4, 5, 6, 7, 8], 2);
    ev.set([0x80, 0, 0, 0, 0, 0, 0, 0], 10);
    // (vectors computed outside the project: FNV-1a 32, then h ^= h >>> 15; h *= 0x2c1b3c6d; h ^= h >>> 12)
    expect(evidenceKeys(spec, ev, 0b111)).toEqual([281473867191037, 281471628810247]);
    expect(evidenceKeys(spec, ev, 0b011)).toEqual([]);
    expect(evidenceKeys(spec, ev, 0b101)).toEqual([281473867191037]);
    expect(evidenceKeys(spec, ev, 0b110)).toEqual([281471628810247]);
    const swapped = ev.slice();
    swapped.set(ev.subarray(2, 10), 10);
    expect(evidenceKeys(spec, swapped, 0b111)).toEqual([281473867191037]);
    const empty = ev.slice();
    empty.fill(0, 10);
    expect(evidenceKeys(spec, empty, 0b111)).toEqual([281473867191037]);
    expect(evidenceKeys(undefined, ev, 0b111)).toEqual([]);
    expect(evidenceKeys(spec, null, null)).toEqual([]);
  });

  it("names keys: NAMES_BANDS MinHash bands of `names`, stored in the group of the birth date's presence, looked up in the other", () => {
    const spec = evidenceIndexFor(header)!;
    const ev = new Uint8Array(18);
    ev.set([0b10110010, 0b01101001], 0);
    const inBand = (k: number) => Math.floor(k / TWO32);
    const names = (keys: number[]) => keys.filter(isNamesKey);
    const withDob = names(evidenceKeys(spec, ev, 0b111));
    const without = names(evidenceKeys(spec, ev, 0b011));
    expect(withDob.map(inBand)).toEqual(Array.from({ length: NAMES_BANDS }, (_, b) => NAMES_BAND0 + b));
    expect(without.map(inBand)).toEqual(Array.from({ length: NAMES_BANDS }, (_, b) => NAMES_BAND0 + NAMES_BANDS + b));
    // the same names filter: a record without a date looks up exactly the keys one with the date is stored under, and back
    expect(evidenceProbeKeys(spec, ev, 0b011)).toEqual(withDob);
    expect(evidenceProbeKeys(spec, ev, 0b111)).toEqual(without);
    // no key without both names, or with an empty filter
    expect(names(evidenceKeys(spec, ev, 0b101))).toEqual([]);
    expect(evidenceProbeKeys(spec, ev, 0b110)).toEqual([]);
    expect(evidenceProbeKeys(spec, new Uint8Array(18), 0b111)).toEqual([]);
    // another names filter, other keys (16 rows a band)
    const other = ev.slice();
    other[0] = 0b01001101;
    expect(names(evidenceKeys(spec, other, 0b111)).filter((k) => withDob.includes(k))).toEqual([]);
    expect(withDob.every((k) => k < EVIDENCE_BAND * TWO32)).toBe(true);
  });

  it('the identical-names key: NAMES_IDENTICAL_BAND × 2^32 + FNV-1a (mixed) of the `names` filter, only with both names and the birth date; not in an index configured before it', () => {
    const spec = evidenceIndexFor(header)!;
    const ev = new Uint8Array(18);
    ev.set([0b10110010, 0b01101001], 0);
    const identical = (keys: number[]) => keys.filter((k) => Math.floor(k / TWO32) === NAMES_IDENTICAL_BAND);
    // (computed outside the project, as the vectors above: FNV-1a 32 of the two bytes b2 69, then the mix)
    expect(identical(evidenceKeys(spec, ev, 0b111))).toEqual([NAMES_IDENTICAL_BAND * TWO32 + 0x31d5a6ad]);
    for (const presence of [0b011, 0b101, 0b110]) expect(identical(evidenceKeys(spec, ev, presence))).toEqual([]);
    expect(identical(evidenceKeys(spec, new Uint8Array(18), 0b111))).toEqual([]);
    // never looked up in the other birth-date group, never a names key
    expect(identical(evidenceProbeKeys(spec, ev, 0b111))).toEqual([]);
    expect(isNamesKey(NAMES_IDENTICAL_BAND * TWO32 + 1)).toBe(false);
    expect(NAMES_IDENTICAL_BAND).toBeGreaterThanOrEqual(EVIDENCE_BAND_MIN);
    // an index configured before the key (no `identical`) has none, and reads as another configuration (rebuilt on its next run)
    const { identical: _i, ...oldNames } = spec.names!;
    const old = readEvidenceIndex({ ...spec, names: oldNames });
    expect(old).toEqual({ ...spec, names: oldNames });
    expect(identical(evidenceKeys(old as typeof spec, ev, 0b111))).toEqual([]);
    expect(readEvidenceIndex(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(readEvidenceIndex({ ...spec, names: { ...spec.names, identical: 'yes' } })).toBe('bad');
  });
});

describe('a match-model registry indexes evidence keys', () => {
  it('kept through a full run, an increment, a withdrawal and a key rotation (each key findable in its entity); a Dice registry has none', async () => {
    const store = await registry(['k12', 'college']);
    const cfg = withDb(store, (db) => new SqliteRegistryStorage(db).config()!);
    expect(cfg.indexEvidence?.filters.map((f) => f.name)).toEqual(['first_dob', 'last_dob']);
    const keys = expectCoverage(store);
    expect(keys).toBeGreaterThan(1000);
    expect(evidenceRows(store)).toBeGreaterThan(0.5 * keys);
    await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('inc'), store, workers: 1 });
    expect(expectCoverage(store)).toBeGreaterThan(keys);
    const list = join(dir, 'withdraw.csv');
    const ids = readFileSync(join(root, 'examples/data/k12.csv'), 'utf8').trim().split('\n').slice(1, 40).map((l) => l.split(',')[0]);
    writeFileSync(list, `record_id\n${ids.join('\n')}\n`);
    const db = openLinkerStore(store);
    const r = await forgetRecords(db, { party: 'k12', records: list }).finally(() => db.close());
    expect(r.removed).toBe(39);
    expectCoverage(store);
    // a key rotation re-keys every record's evidence keys too (every registered record re-encoded under a new secret)
    const before = new Set(withDb(store, (db) => db.prepare('SELECT key FROM registry_band_keys WHERE key >= ?').pluck().all(EVIDENCE_BAND_MIN * TWO32) as number[]));
    const newSecret = new TextEncoder().encode('p20link registry evidence test: the rotated secret');
    const rotated: { file: string }[] = [];
    for (const party of ['k12', 'college', 'wages']) {
      const a = agency(party);
      const kept = new Set(withDb(store, (db) => db.prepare('SELECT record_id FROM registry_records WHERE party = ?').pluck().all(party) as string[]));
      const lines = readFileSync(join(root, `examples/data/${party}.csv`), 'utf8').trim().split('\n');
      const csv = join(dir, `rekey-${party}.csv`);
      writeFileSync(csv, `${[lines[0], ...lines.slice(1).filter((l) => kept.has(l.split(',')[0]!))].join('\n')}\n`);
      const out = join(dir, `rekey-${party}.enc`);
      await encodeFile({ input: csv, output: out, schema: SCHEMA, secret: newSecret, party, map: a.map, idColumn: a.idColumn, workers: 0, onBadField: 'missing' });
      rotated.push({ file: out });
    }
    const rdb = openLinkerStore(store);
    await rekeyRegistry(rdb, { inputs: rotated }).finally(() => rdb.close());
    expect(expectCoverage(store)).toBeGreaterThan(keys);
    const after = withDb(store, (db) => db.prepare('SELECT key FROM registry_band_keys WHERE key >= ?').pluck().all(EVIDENCE_BAND_MIN * TWO32) as number[]);
    expect(after.filter((k) => before.has(k)).length).toBeLessThan(0.01 * after.length);

    const dice = await registry(['k12', 'college'], { model: 'dice' });
    expect(withDb(dice, (db) => new SqliteRegistryStorage(db).config()!.indexEvidence)).toBeUndefined();
    expect(evidenceRows(dice)).toBe(0);
    // a full run's store step that gives a registry the model gives its index the evidence keys (rebuilt first)
    withDb(dice, (db) => {
      const st = new SqliteRegistryStorage(db);
      const d = st.config()!;
      st.storeEncodings(st.lastRunSeq(), { ...d, scoring: cfg.scoring, indexEvidence: cfg.indexEvidence! }, []);
      expect(st.config()!.indexEvidence).toEqual(cfg.indexEvidence);
      expect(st.config()!.scoring.kind).toBe('model');
    });
    expect(expectCoverage(dice)).toBe(keys);
    expect(evidenceRows(dice)).toBeGreaterThan(0);
  }, 120_000);

  it('a registry indexed before them gets them on its next increment (the index rebuilt first); an unreadable index configuration is refused', async () => {
    const store = await registry(['k12', 'college']);
    const withKeys = evidenceRows(store);
    withDb(store, (db) => {
      db.prepare('DELETE FROM registry_band_keys WHERE key >= ?').run(EVIDENCE_BAND_MIN * TWO32);
      db.prepare('UPDATE registry_config SET index_evidence = NULL').run();
    });
    expect(evidenceRows(store)).toBe(0);
    await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('inc'), store, workers: 1 });
    expect(withDb(store, (db) => new SqliteRegistryStorage(db).config()!.indexEvidence?.filters.length)).toBe(2);
    expect(evidenceRows(store)).toBeGreaterThan(withKeys);
    expectCoverage(store);
    for (const bad of ['{"filters": "x"}', 'not json', '{"filters": [{"name": "first_dob", "offset": -1, "bytes": 8, "need": 5}]}']) {
      withDb(store, (db) => db.prepare('UPDATE registry_config SET index_evidence = ?').run(bad));
      const e = await p20Rejection(linkFiles({ inputs: [{ file: enc('college') }], outDir: fresh('bad'), store, workers: 1 }));
      expect(e.code).toBe('REGISTRY_DAMAGED');
      expect(e.message).not.toContain(bad);
    }
  }, 120_000);

  it('a record without its birth date finds its registered partner through the names bands', async () => {
    // every wage record with its birth date blanked (the DOB column emptied), linked against K-12 and college
    await wageFile('wages-nodob', wageLines.slice(1).map(withoutDob));
    const wages = new Set(wageLines.slice(1).map((l) => `wages:${l.split(',')[0]}`));
    const { on, off } = await withAndWithoutBands(enc('wages-nodob'), NAMES_BAND0, EVIDENCE_BAND, wages);
    // the reference: a full run over the three files, which finds such pairs through its names pass (with no birth date on
    // any wage record the model's links are far less certain, the full run's too: measured 0.93 / 0.72 for it, 0.89 / 0.68
    // for the increment, 0.42 / 0.006 without the names bands)
    const full = fresh('full-nodob.db');
    await linkFiles({ inputs: ['k12', 'college', 'wages-nodob'].map((f) => ({ file: enc(f) })), outDir: fresh('full-nodob'), store: full, workers: 1, model: 'fs' });
    const ref = quality(full, wages);
    console.log(JSON.stringify({ namesBands: on, withoutThem: off, fullRun: ref }));
    expect(off.recall).toBeLessThan(0.1);
    expect(on.recall).toBeGreaterThan(off.recall + 0.5);
    expect(on.recall).toBeGreaterThan(ref.recall - 0.15);
    expect(on.precision).toBeGreaterThan(ref.precision - 0.05);
  }, 120_000);

  it('a record whose birth day and month are swapped finds its registered partner through the identical-names key', async () => {
    // the wage records whose day could be a month (and is not the month), with day and month swapped, linked against K-12 and college
    const dob = wageColumn('birth_date');
    const swapped = new Set<string>();
    const rows = wageLines.slice(1).map((l) => {
      const f = l.split(',');
      const d = f[dob]!;
      if (!/^\d{8}$/.test(d) || Number(d.slice(6)) > 12 || d.slice(4, 6) === d.slice(6)) return l;
      f[dob] = d.slice(0, 4) + d.slice(6) + d.slice(4, 6);
      swapped.add(`wages:${f[0]}`);
      return f.join(',');
    });
    const { on, off } = await withAndWithoutBands(await wageFile('wages-swap', rows), NAMES_IDENTICAL_BAND, NAMES_BAND0, swapped);
    console.log(JSON.stringify({ swapped: swapped.size, identicalNamesKey: on, withoutIt: off }));
    expect(swapped.size).toBeGreaterThan(300);
    expect(on.recall).toBeGreaterThan(off.recall + 0.2);
    expect(on.precision).toBeGreaterThan(0.99);
  }, 120_000);

  it(`a key held by more than EVIDENCE_CROWD (${EVIDENCE_CROWD}) entities proposes none of them`, async () => {
    // one wage record linked alone; its first_dob key given to other entities' records, up to the bound and one beyond
    const base = await registry(['k12', 'college']);
    const cfg = withDb(base, (db) => new SqliteRegistryStorage(db).config()!);
    const all = encodingUpdates(await loadParty(enc('wages')), parseBlockingSpec(cfg.blocking), cfg.indexEvidence);
    const u = all.find((e) => e.bandKeys.some((k) => k >= EVIDENCE_BAND * TWO32))!;
    const key = u.bandKeys.find((k) => k >= EVIDENCE_BAND * TWO32)!;
    const { holders, run } = keyCrowd(base, key, await wageFile('one', [wageLines.find((l) => l.split(',')[0] === u.recordId)!]));
    const alone = await run(0);
    const atBound = await run(EVIDENCE_CROWD - holders);
    const beyond = await run(EVIDENCE_CROWD - holders + 1);
    expect(holders).toBeLessThan(EVIDENCE_CROWD);
    expect(atBound).toBeGreaterThanOrEqual(alone + (EVIDENCE_CROWD - holders));
    expect(beyond).toBeLessThanOrEqual(alone);
  }, 120_000);

  it(`a names key proposes a crowd of namesakes up to NAMES_CROWD (${NAMES_CROWD}) entities, none beyond`, async () => {
    // one wage record with its birth date blanked, linked alone; one of its names probe keys given to other entities' records
    const base = await registry(['k12', 'college']);
    const cfg = withDb(base, (db) => new SqliteRegistryStorage(db).config()!);
    const one = await wageFile('one-nodob', [withoutDob(wageLines[1]!)]);
    const [u] = encodingUpdates(await loadParty(one), parseBlockingSpec(cfg.blocking), cfg.indexEvidence);
    const key = evidenceProbeKeys(cfg.indexEvidence, u!.evidence, u!.presence)[0]!;
    const { holders, run } = keyCrowd(base, key, one);
    const alone = await run(0);
    const atBound = await run(NAMES_CROWD - holders);
    const beyond = await run(NAMES_CROWD - holders + 1);
    expect(holders).toBeLessThan(NAMES_CROWD);
    // a crowd of EVIDENCE_CROWD and more is still proposed: the names bands' bound is their own
    expect(NAMES_CROWD).toBeGreaterThan(EVIDENCE_CROWD);
    expect(atBound).toBeGreaterThanOrEqual(alone + (NAMES_CROWD - holders));
    expect(beyond).toBeLessThanOrEqual(alone);
  }, 120_000);
});

describe("a full run's store step in parts (STORE_RECORDS)", () => {
  // one full run of the three files with a store, shared by the tests below (they work on copies)
  let shared: Promise<{ whole: string; report: Awaited<ReturnType<typeof linkFiles>>; parties: Awaited<ReturnType<typeof loadParty>>[] }> | undefined;
  const fullRun = () =>
    (shared ??= (async () => {
      const whole = fresh('parts-whole.db');
      const report = await linkFiles({ inputs: ['k12', 'college', 'wages'].map((f) => ({ file: enc(f) })), outDir: fresh('parts-full'), store: whole, workers: 1, model: 'fs' });
      return { whole, report, parties: await Promise.all(['k12', 'college', 'wages'].map((f) => loadParty(enc(f), f))) };
    })());

  it('stores the same records and the same index, each key once per entity, whatever the part size', async () => {
    const { whole, report, parties } = await fullRun();
    const content = (store: string) =>
      withDb(store, (db) => ({
        records: db.prepare('SELECT party, record_id, hex(clk) AS clk, hex(evidence) AS ev, presence FROM registry_records ORDER BY party, record_id').all(),
        keys: db.prepare('SELECT b.key, r.party, r.record_id FROM registry_band_keys b JOIN registry_records r USING (rid) ORDER BY 1, 2, 3').raw().all(),
        // a key held twice by one entity: none
        twice: db.prepare('SELECT COUNT(*) FROM (SELECT b.key, m.entity_id FROM registry_band_keys b JOIN registry_records r USING (rid) JOIN registry_members m ON m.party = r.party AND m.record_id = r.record_id GROUP BY 1, 2 HAVING COUNT(*) > 1)').pluck().get(),
      }));
    const want = content(whole);
    expect(want.keys.length).toBeGreaterThan(parties.reduce((t, p) => t + p.count, 0) * 10);
    expect(want.twice).toBe(0);
    for (const size of [1, 7, 500]) {
      const store = fresh(`parts-${size}.db`);
      copyFileSync(whole, store);
      withDb(store, (db) => {
        db.exec('DELETE FROM registry_band_keys; DELETE FROM registry_records');
        const shown: string[] = [];
        storeFullRunEncodings(db, parties, report.parameters, {
          partSize: size,
          progress: (label) => {
            shown.push(`start ${label}`);
            return { update: () => undefined, finish: () => void shown.push(`end ${label}`) };
          },
        });
        // the index's progress starts when the encodings' ends
        expect(shown).toEqual(['start store encodings', 'end store encodings', 'start store index', 'end store index']);
      });
      expect(content(store)).toEqual(want);
    }
  }, 120_000);

  it('an index written with its rows held back (withDeferredIndex) is the one written row by row, re-stored records too', async () => {
    const { whole, parties } = await fullRun();
    const write = (deferred: boolean) => {
      const store = fresh(`defer-${deferred}.db`);
      copyFileSync(whole, store);
      return withDb(store, (db) => {
        db.exec('DELETE FROM registry_band_keys; DELETE FROM registry_records');
        const storage = new SqliteRegistryStorage(db);
        const cfg = storage.config()!;
        const updates = parties.flatMap((p) => encodingUpdates(p, parseBlockingSpec(cfg.blocking), cfg.indexEvidence));
        // every tenth record stored again with another record's encoding: its old keys are deleted (rows held back are written first)
        const again = updates.filter((_u, i) => i % 10 === 3).map((u, i, all) => ({ ...all[(i + 1) % all.length]!, party: u.party, recordId: u.recordId }));
        const run = () => {
          for (let from = 0; from < updates.length; from += 97) storage.storeEncodings(storage.lastRunSeq(), cfg, updates.slice(from, from + 97));
          storage.storeEncodings(storage.lastRunSeq(), cfg, again);
          storage.storeEncodings(storage.lastRunSeq(), cfg, updates.slice(0, 50));
        };
        if (deferred) {
          // a step that fails midway: its rows held back go with the rolled-back transaction, their directory with the step
          const failing = db.transaction(() =>
            storage.withDeferredIndex(() => {
              storage.storeEncodings(storage.lastRunSeq(), cfg, updates.slice(0, 500));
              expect(readdirSync(dir).filter((f) => f.includes('p20link-tmp'))).toHaveLength(1);
              throw new Error('disk full');
            }),
          );
          expect(failing).toThrow('disk full');
          expect(readdirSync(dir).filter((f) => f.includes('p20link-tmp'))).toEqual([]);
          expect(db.prepare('SELECT COUNT(*) FROM registry_band_keys').pluck().get()).toBe(0);
        }
        db.transaction(() => (deferred ? storage.withDeferredIndex(run) : run()))();
        return {
          rows: db.prepare('SELECT COUNT(*) FROM registry_band_keys').pluck().get() as number,
          keys: db.prepare('SELECT b.key, r.party, r.record_id FROM registry_band_keys b JOIN registry_records r USING (rid) ORDER BY 1, 2, 3').raw().all(),
        };
      });
    };
    const plain = write(false);
    expect(plain.rows).toBeGreaterThan(10_000);
    expect(write(true)).toEqual(plain);
    // nothing left beside the store
    expect(readdirSync(dir).filter((f) => f.includes('p20link-tmp'))).toEqual([]);
  }, 120_000);
});

describe('the residual pass in increments', () => {
  const wages2 = new Set(wageLines.slice(1).filter((_l, i) => i % 2 === 1).map((l) => `wages:${l.split(',')[0]}`));
  /**
   * Next year's wage records, every third one under another given name (an
   * adopted name: one name of the pair's name + date filters agrees, the
   * level below the decision that the residual pass lifts when both records
   * are free). The bundled sample's own nicknames agree through the
   * given-name classes, so it holds few such pairs.
   */
  let wages2Renamed = '';
  beforeAll(async () => {
    wages2Renamed = await wageFile('wages2-renamed', wageLines.slice(1).filter((_l, i) => i % 2 === 1).map((l, i) => (i % 3 === 0 ? withField(l, 'first_name', 'ZEPHYRINE') : l)));
  }, 120_000);

  it("a full run stores its free shares; next year's wage records gain recall through them at a full run's precision", async () => {
    const outFull = fresh('full-next');
    const store = fresh('next.db');
    const full = await linkFiles({ inputs: ['k12', 'college', 'wages1'].map((f) => ({ file: enc(f) })), outDir: outFull, store, workers: 1, model: 'fs' });
    const stored = withDb(store, (db) => JSON.parse(db.prepare('SELECT scoring FROM registry_config').pluck().get() as string) as { model: { freeShares: unknown } });
    expect(stored.model.freeShares).toEqual(full.model!.residual!.pairs.map(({ partyA, partyB, freeA, freeB }) => ({ partyA, partyB, freeA, freeB })));
    const off = fresh('off.db');
    copyFileSync(store, off);
    const on = await linkFiles({ inputs: [{ file: wages2Renamed }], outDir: fresh('inc-on'), store, workers: 1 });
    const no = await linkFiles({ inputs: [{ file: wages2Renamed }], outDir: fresh('inc-off'), store: off, workers: 1, residualPass: false });
    expect(on.parameters.residualPass).toBe(true);
    expect(no.parameters.residualPass).toBe(false);
    expect(no.model!.residual).toBeUndefined();
    const pass = on.model!.residual!;
    expect(pass.accepted).toBeGreaterThan(0);
    const names = (ps: { partyA: string; partyB: string }[]) => ps.map((p) => [p.partyA, p.partyB].sort().join(' x ')).sort();
    expect(names(pass.pairs)).toEqual(names(full.model!.residual!.pairs));
    const qOn = quality(store, wages2);
    const qOff = quality(off, wages2);
    console.log(JSON.stringify({ residualOn: qOn, residualOff: qOff, accepted: pass.accepted, expected: on.model!.expected }));
    expect(qOn.recall).toBeGreaterThan(qOff.recall);
    expect(qOn.precision).toBeGreaterThan(0.99);
    expect(on.model!.expected.links).toBeGreaterThan(no.model!.expected.links);
  }, 120_000);

  it("a new agency's pairs: free shares measured on the increment as a full run measures them; recall gained", async () => {
    const allWages = new Set(wageLines.slice(1).map((l) => `wages:${l.split(',')[0]}`));
    // every third record under another given name, as next year's file above: pairs the pass can lift towards both files
    const renamed = await wageFile('wages-renamed', wageLines.slice(1).map((l, i) => (i % 3 === 0 ? withField(l, 'first_name', 'ZEPHYRINE') : l)));
    const store = await registry(['k12', 'college']);
    const off = await registry(['k12', 'college']);
    const on = await linkFiles({ inputs: [{ file: renamed }], outDir: fresh('new-on'), store, workers: 1 });
    const no = await linkFiles({ inputs: [{ file: renamed }], outDir: fresh('new-off'), store: off, workers: 1, residualPass: false });
    const pass = on.model!.residual!;
    // known answer: the first two phases are the same in both runs, so a party's share towards the other is read off the
    // run without the pass: 1 − (its records whose entity holds a record of the other) / (its records)
    const entities = withDb(off, (db) => {
      const by = new Map<string, Set<string>>();
      const of = new Map<string, string>();
      for (const r of db.prepare('SELECT party, record_id, entity_id FROM registry_members').all() as { party: string; record_id: string; entity_id: string }[]) {
        (by.get(r.entity_id) ?? by.set(r.entity_id, new Set()).get(r.entity_id)!).add(r.party);
        of.set(`${r.party}:${r.record_id}`, r.entity_id);
      }
      return { by, of };
    });
    const shareOf = (a: string, b: string): number => {
      const recs = [...entities.of].filter(([rec]) => rec.startsWith(`${a}:`));
      return 1 - recs.filter(([, e]) => entities.by.get(e)!.has(b)).length / recs.length;
    };
    for (const other of ['k12', 'college']) {
      const got = pass.pairs.find((p) => [p.partyA, p.partyB].sort().join() === [other, 'wages'].sort().join())!;
      expect(got).toBeDefined();
      const [fa, fb] = got.partyA === 'wages' ? [shareOf('wages', other), shareOf(other, 'wages')] : [shareOf(other, 'wages'), shareOf('wages', other)];
      expect(got.freeA).toBeCloseTo(fa, 12);
      expect(got.freeB).toBeCloseTo(fb, 12);
      expect(got.proposed).toBeGreaterThan(0);
    }
    // the stored pair keeps the full run's shares
    const stored = pass.pairs.find((p) => [p.partyA, p.partyB].sort().join() === 'college,k12')!;
    const full = withDb(store, (db) => JSON.parse(db.prepare('SELECT scoring FROM registry_config').pluck().get() as string) as { model: { freeShares: { partyA: string; freeA: number; freeB: number }[] } });
    const sf = full.model.freeShares[0]!;
    expect(stored.partyA === sf.partyA ? [stored.freeA, stored.freeB] : [stored.freeB, stored.freeA]).toEqual([sf.freeA, sf.freeB]);
    expect(pass.accepted).toBeGreaterThan(0);
    expectPassGain('newAgency', store, off, allWages, pass.accepted, no);
  }, 120_000);

  it("a new agency's measured shares are stored with the model; the agency's next file takes part in the residual pass through them", async () => {
    const wages2 = new Set(wageLines.slice(1).filter((_l, i) => i % 2 === 1).map((l) => `wages:${l.split(',')[0]}`));
    const store = await registry(['k12', 'college']);
    const joined = await linkFiles({ inputs: [{ file: enc('wages1') }], outDir: fresh('join'), store, workers: 1 });
    type Share = { partyA: string; partyB: string; freeA: number; freeB: number };
    const sharesOf = (st: string) => withDb(st, (db) => (JSON.parse(db.prepare('SELECT scoring FROM registry_config').pluck().get() as string) as { model: { freeShares: Share[] } }).model.freeShares);
    const key = (f: { partyA: string; partyB: string }) => [f.partyA, f.partyB].sort().join(' x ');
    // the full run's pair first, then the pairs measured by the increment (each named in order), as its report gave them
    const shares = sharesOf(store);
    expect(shares.map(key)).toEqual(['college x k12', 'college x wages', 'k12 x wages']);
    expect(shares.slice(1).map((f) => `${f.partyA} x ${f.partyB}`)).toEqual(['college x wages', 'k12 x wages']);
    for (const f of shares.slice(1)) {
      const p = joined.model!.residual!.pairs.find((x) => key(x) === key(f))!;
      expect(p.partyA === f.partyA ? [p.freeA, p.freeB] : [p.freeB, p.freeA]).toEqual([f.freeA, f.freeB]);
    }
    // next year's file of the agency: its pairs are in the residual pass (before, with no stored shares, they were not)
    const off = fresh('join-off.db');
    copyFileSync(store, off);
    const on = await linkFiles({ inputs: [{ file: wages2Renamed }], outDir: fresh('join-next-on'), store, workers: 1 });
    const no = await linkFiles({ inputs: [{ file: wages2Renamed }], outDir: fresh('join-next-off'), store: off, workers: 1, residualPass: false });
    const pass = on.model!.residual!;
    expect(pass.pairs.map(key).sort()).toEqual(['college x k12', 'college x wages', 'k12 x wages']);
    expect(pass.accepted).toBeGreaterThan(0);
    // the shares are kept, not measured again
    expect(sharesOf(store)).toEqual(shares);
    expectPassGain('agencyNextYear', store, off, wages2, pass.accepted, no);
  }, 120_000);

  it('a registry whose full run ran without it: none, and asking for it is refused; damaged shares are refused', async () => {
    const store = await registry(['k12', 'college', 'wages1'], { residualPass: false });
    const stored = withDb(store, (db) => JSON.parse(db.prepare('SELECT scoring FROM registry_config').pluck().get() as string) as { model: Record<string, unknown> });
    expect(stored.model.freeShares).toBeUndefined();
    const r = await linkFiles({ inputs: [{ file: enc('wages2') }], outDir: fresh('inc'), store: await registry(['k12', 'college', 'wages1'], { residualPass: false }), workers: 1 });
    expect(r.parameters.residualPass).toBe(false);
    const e = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages2') }], outDir: fresh('inc-res'), store, workers: 1, residualPass: true }));
    expect(e.code).toBe('LINK_OPTION');
    expect(e.location.field).toBe('residual-pass');
    withDb(store, (db) => db.prepare('UPDATE registry_config SET scoring = ?').run(JSON.stringify({ ...stored, model: { ...stored.model, freeShares: [{ partyA: 'k12', partyB: 'wages', freeA: 2, freeB: 0.5 }] } })));
    const d = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages2') }], outDir: fresh('inc-bad'), store, workers: 1 }));
    expect(d.code).toBe('REGISTRY_DAMAGED');
    expect(d.message).toMatch(/free shares/);
  }, 120_000);
});

describe('a second record of a party in an increment', () => {
  it("is held to the full run's within-file bar against a registered record of its own party, not the cross-party bar", async () => {
    // wage records of people also in K-12 or college, repeated under new record ids with their first name's last letter
    // changed and the middle initial left out (a second record of one person, with a typo): 80 in this year's wage file,
    // which builds the registry with K-12 and college (so its fit knows such records), 80 others in next year's file
    const wages1 = wageLines.slice(1).filter((_l, i) => i % 2 === 0);
    const inOther = new Set([...truth].filter(([rec]) => !rec.startsWith('wages:')).map(([, e]) => e));
    const first = wageColumn('first_name');
    const mi = wageColumn('middle_name');
    const originals = wages1.filter((l) => inOther.has(truth.get(`wages:${l.split(',')[0]}`)!)).slice(0, 160);
    const copy = (l: string): string => {
      const f = l.split(',');
      f[0] = `D${f[0]}`;
      f[first] = f[first]!.slice(0, -1) + (f[first]!.endsWith('A') ? 'E' : 'A');
      f[mi] = '';
      return f.join(',');
    };
    const thisYear = await wageFile('wages1-dup', [...wages1, ...originals.slice(0, 80).map(copy)]);
    const nextYear = await wageFile('wages2-dup', originals.slice(80).map(copy));
    const store = fresh('dup.db');
    await linkFiles({ inputs: [{ file: enc('k12') }, { file: enc('college') }, { file: thisYear }], outDir: fresh('dup-full'), store, workers: 1, model: 'fs' });
    await linkFiles({ inputs: [{ file: nextYear }], outDir: fresh('dup-inc'), store, workers: 1 });
    // the reference: a full run over K-12, college and both years' wage records
    const full = fresh('dup-all.db');
    await linkFiles({ inputs: [{ file: enc('k12') }, { file: enc('college') }, { file: await wageFile('wages-all-dup', [...wages1, ...originals.map(copy)]) }], outDir: fresh('dup-all'), store: full, workers: 1, model: 'fs' });
    const joined = (db: Db): number => {
      const entity = db.prepare('SELECT entity_id FROM registry_members WHERE party = ? AND record_id = ?').pluck();
      return originals.slice(80).filter((l) => {
        const id = l.split(',')[0]!;
        return entity.get('wages', `D${id}`) === entity.get('wages', id);
      }).length;
    };
    const inc = withDb(store, joined);
    const ref = withDb(full, joined);
    console.log(JSON.stringify({ secondRecords: 80, increment: inc, fullRun: ref }));
    expect(originals.length).toBe(160);
    expect(ref).toBeGreaterThan(70);
    expect(inc).toBeGreaterThanOrEqual(ref - 3);
  }, 120_000);

  it('joins its person through links that together reach the duplicate bar (corroborated duplicates), as a full run does', async () => {
    // wage records of people with a K-12 and a college record, repeated next year under new ids with two letters of the
    // surname swapped and another ZIP: no single link reaches the bar, the links to the person's records together do
    const parties = new Map<string, Set<string>>();
    for (const [rec, e] of truth) (parties.get(e) ?? parties.set(e, new Set()).get(e)!).add(rec.split(':')[0]!);
    const last = wageColumn('last_name');
    const zip = wageColumn('zip');
    const originals = wageLines
      .slice(1)
      .filter((l) => {
        const ps = parties.get(truth.get(`wages:${l.split(',')[0]}`)!);
        return ps?.has('k12') && ps.has('college') && l.split(',')[last]!.length > 3;
      })
      .slice(0, 40);
    const copy = (l: string): string => {
      const f = l.split(',');
      const name = f[last]!;
      f[0] = `C${f[0]}`;
      f[last] = name[0]! + name[2]! + name[1]! + name.slice(3);
      f[zip] = '97999';
      return f.join(',');
    };
    const store = await registry(['k12', 'college', 'wages']);
    const r = await linkFiles({ inputs: [{ file: await wageFile('wages-corroborated', originals.map(copy)) }], outDir: fresh('corroborated-inc'), store, workers: 1 });
    const joined = withDb(store, (db) => {
      const entity = db.prepare('SELECT entity_id FROM registry_members WHERE party = ? AND record_id = ?').pluck();
      return originals.filter((l) => {
        const id = l.split(',')[0]!;
        return entity.get('wages', `C${id}`) === entity.get('wages', id);
      }).length;
    });
    const cor = r.model!.corroborated!;
    expect(originals.length).toBe(40);
    // nearly all join their person, through this phase (a single link, the duplicate phase's, joins at most a few)
    expect(joined).toBeGreaterThanOrEqual(28);
    expect(cor.accepted).toBeGreaterThanOrEqual(joined - 4);
    expect(cor.accepted).toBeLessThanOrEqual(cor.proposed);
    expect(cor.links).toBeGreaterThanOrEqual(2 * cor.proposed);
  }, 120_000);
});

describe("name_dob's unique levels in an increment", () => {
  it('a married name whose first name + birth date only its partner holds is linked at the unique level; another new record with them takes it away', async () => {
    // next year's married-name wage records of people with a K-12 record, linked as an increment to a registry of K-12,
    // college and this year's wage records (a model fitted on married names)
    const married = new Set(
      readFileSync(join(root, 'examples/data/trouble.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','))
        .filter(([p, , t]) => p === 'wages' && t!.split(';').includes('married_name'))
        .map(([, r]) => r!),
    );
    const withK12 = new Set([...truth].filter(([k]) => k.startsWith('k12:')).map(([, e]) => e));
    const h = wageLines[0]!.split(',');
    const [iId, iLast, iMi, iSex, iZip] = ['WRK_ID', 'LAST_NAME', 'MI', 'GENDER', 'ZIP5'].map((c) => h.indexOf(c)) as [number, number, number, number, number];
    // each moved away and without its middle initial, so that little beyond first name, birth date and sex agrees: pairs near the decision
    const picked = wageLines
      .slice(1)
      .filter((_l, i) => i % 2 === 1)
      .filter((l) => {
        const id = l.split(',')[iId]!;
        return married.has(id) && withK12.has(truth.get(`wages:${id}`)!);
      })
      .map((l) => {
        const f = l.split(',');
        f[iMi] = '';
        f[iZip] = '97001';
        return f.join(',');
      });
    expect(picked.length).toBeGreaterThan(20);
    const ids = picked.map((l) => l.split(',')[iId]!);
    const scoresOf = async (lines: string[]): Promise<Map<string, number>> => {
      const file = await wageFile(`wages-scores-${++n}`, lines);
      const out = fresh('inc');
      await linkFiles({ inputs: [{ file }], outDir: out, store: await registry(['k12', 'college', 'wages1'], { residualPass: false }), workers: 1 });
      const score = new Map<string, number>();
      for (const l of readFileSync(join(out, 'wages.links.csv'), 'utf8').trim().split('\n').slice(1)) {
        const [id, , s] = l.split(',');
        score.set(id!, s ? Number(s) : 0);
      }
      return score;
    };
    const alone = await scoresOf(picked);
    // each with a second new record holding the same first name and birth date and nothing else of it (another surname,
    // sex, ZIP, no middle initial): too unlike the K-12 record to compete for it, but its first name + birth date is no
    // longer unique
    const stranger = (l: string): string => {
      const f = l.split(',');
      f[iId] = `${f[iId]}9`;
      f[iLast] = 'QUIXOTEVILLE';
      f[iMi] = '';
      f[iSex] = f[iSex] === 'F' ? 'M' : 'F';
      f[iZip] = f[iZip] === '97999' ? '97998' : '97999';
      return f.join(',');
    };
    const shared = await scoresOf([...picked, ...picked.map(stranger)]);
    const lower = ids.filter((id) => shared.get(id)! < alone.get(id)! - 1e-6);
    const higher = ids.filter((id) => shared.get(id)! > alone.get(id)! + 1e-6);
    // the pairs linked at the unique level lose it (and some their link); nothing gains
    expect(lower.length).toBeGreaterThanOrEqual(5);
    expect(higher).toEqual([]);
    expect(lower.filter((id) => shared.get(id) === 0).length).toBeGreaterThan(0);
  }, 120_000);
});

describe('the one-to-one decision, in a full run and in an increment', () => {
  /** The linkage ID of each record (party:record id) in a registry. */
  const idsOf = (store: string): Map<string, string> =>
    withDb(store, (db) => new Map((db.prepare('SELECT party, record_id, entity_id FROM registry_members').all() as { party: string; record_id: string; entity_id: string }[]).map((r) => [`${r.party}:${r.record_id}`, r.entity_id])));
  const idCol = wageLines[0]!.split(',').indexOf(agency('wages').idColumn);
  /** A wage line's record id, and the line under another record id. */
  const idOf = (line: string): string => line.split(',')[idCol]!;
  const withId = (line: string, id: string): string => line.split(',').map((v, i) => (i === idCol ? id : v)).join(',');
  /** The people (truth entities) with a record of `party`. */
  const peopleOf = (party: string): Set<string> => new Set([...truth].filter(([r]) => r.startsWith(`${party}:`)).map(([, e]) => e));

  it('a new record between two registered copies of its person in two entities joins neither; the same copies in one entity are no rivals', async () => {
    // a wage record whose person has no K-12 record (so nothing but the wage copies can link it), copied under another record id
    const k12People = peopleOf('k12');
    const line = wageLines.slice(1).find((l) => !k12People.has(truth.get(`wages:${idOf(l)}`)!))!;
    const x = idOf(line);
    await wageFile('wtwin', [...wageLines.slice(1), withId(line, 'TWIN1')]);
    // next year's record of that person from another agency ("wages_b", the wage file's columns)
    const csv = join(dir, 'wages-b.csv');
    writeFileSync(csv, `${wageLines[0]}\n${withId(line, 'B1')}\n`);
    const a = agency('wages');
    await encodeFile({ input: csv, output: enc('wages-b'), schema: SCHEMA, secret, party: 'wages_b', map: a.map, idColumn: a.idColumn, workers: 0, onBadField: 'missing' });
    const run = async (deduplicated: string[]): Promise<Map<string, string>> => {
      const store = fresh('twin.db');
      await linkFiles({ inputs: [{ file: enc('k12') }, { file: enc('wtwin') }], outDir: fresh('twin-full'), store, workers: 1, model: 'fs', deduplicated });
      await linkFiles({ inputs: [{ file: enc('wages-b') }], outDir: fresh('twin-inc'), store, workers: 1 });
      return idsOf(store);
    };
    // declared deduplicated, the two copies are two entities: each is the other's rival, and neither link is more likely right than wrong
    const apart = await run(['wages']);
    expect(apart.get(`wages:${x}`)).not.toBe(apart.get('wages:TWIN1'));
    expect(apart.get('wages_b:B1')).not.toBe(apart.get(`wages:${x}`));
    expect(apart.get('wages_b:B1')).not.toBe(apart.get('wages:TWIN1'));
    // not declared, they are one entity (a within-file duplicate), two representatives of one party: B1 joins them
    const together = await run([]);
    expect(together.get(`wages:${x}`)).toBe(together.get('wages:TWIN1'));
    expect(together.get('wages_b:B1')).toBe(together.get(`wages:${x}`));
  }, 120_000);

  it('a full run: a college record between two copies of its wage record in two entities joins neither; in one entity it joins both', async () => {
    const collegePeople = peopleOf('college');
    const k12People = peopleOf('k12');
    const line = wageLines.slice(1).find((l) => {
      const e = truth.get(`wages:${idOf(l)}`)!;
      return collegePeople.has(e) && !k12People.has(e);
    })!;
    const x = idOf(line);
    const person = truth.get(`wages:${x}`)!;
    const college = [...truth].find(([r, e]) => r.startsWith('college:') && e === person)![0];
    await wageFile('wtwin2', [...wageLines.slice(1), withId(line, 'TWIN2')]);
    const run = async (deduplicated: string[]): Promise<Map<string, string>> => {
      const store = fresh('twin2.db');
      await linkFiles({ inputs: [{ file: enc('college') }, { file: enc('wtwin2') }], outDir: fresh('twin2-full'), store, workers: 1, model: 'fs', deduplicated });
      return idsOf(store);
    };
    const apart = await run(['wages']);
    expect(apart.get(`wages:${x}`)).not.toBe(apart.get('wages:TWIN2'));
    expect(apart.get(college)).not.toBe(apart.get(`wages:${x}`));
    expect(apart.get(college)).not.toBe(apart.get('wages:TWIN2'));
    const together = await run([]);
    expect(together.get(`wages:${x}`)).toBe(together.get('wages:TWIN2'));
    expect(together.get(college)).toBe(together.get(`wages:${x}`));
  }, 120_000);
});
