/**
 * Increments of a registry built by a full `--model fs` run apply the stored
 * match model (docs/registry.md "Increments with the match model"): the
 * model is stored versioned and checked on read, an increment's links are
 * close to a full fs run over every file, no Dice warning, and
 * `--min-band-hits` works through the CLI. Data: the bundled example files
 * (K-12, college, wages), encoded with the default schema (evidence filters).
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkFiles } from '../../src/link/link-files.js';
import { runReportProblem } from '../../src/format/run-report.js';
import { duplicateWeight, loadMatchModel, REGISTRY_MODEL_FORMAT, REGISTRY_MODEL_VERSION, setUniqueLevels, StoredParty } from '../../src/link/registry/match-model.js';
import { encodingUpdates, uniqueInRegistry } from '../../src/link/registry/incremental.js';
import { loadParty } from '../../src/link/load.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { compareCandidates, comparisonPlan, JOINT_LABELS } from '../../src/link/model/compare.js';
import { openLinkerStore } from '../../src/store/linker-store.js';
import { p20Rejection } from '../helpers/errors.js';
import { runCli } from '../helpers/cli.js';
import { encodeAgencies } from '../helpers/agency.js';

const root = join(import.meta.dirname, '../..');
const secret = new TextEncoder().encode('p20link registry model test secret (synthetic data only)');
const dir = mkdtempSync(join(tmpdir(), 'p20-registry-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PARTIES = ['k12', 'college', 'wages'] as const;
const enc = (p: string) => join(dir, `${p}.enc`);
let n = 0;
const fresh = (what: string) => join(dir, `${what}-${++n}`);

beforeAll(async () => {
  await encodeAgencies((p) => join(root, `examples/data/${p}.csv`), enc, secret, { onBadField: 'missing' });
}, 120_000);

/** Pairs of (party:record) that share a linkage ID in a run's links files. */
function linkedPairs(out: string, parties: readonly string[]): Set<string> {
  const by = new Map<string, string[]>();
  for (const p of parties) {
    for (const l of readFileSync(join(out, `${p}.links.csv`), 'utf8').trim().split('\n').slice(1)) {
      const [rid, id] = l.split(',');
      const m = by.get(id!) ?? [];
      m.push(`${p}:${rid}`);
      by.set(id!, m);
    }
  }
  const pairs = new Set<string>();
  for (const m of by.values()) {
    m.sort();
    for (let i = 0; i < m.length; i++) for (let j = i + 1; j < m.length; j++) pairs.add(`${m[i]} ${m[j]}`);
  }
  return pairs;
}

function storedScoring(store: string): { kind: string; model: Record<string, unknown> } {
  const db = openLinkerStore(store);
  try {
    return JSON.parse(db.prepare('SELECT scoring FROM registry_config WHERE id = 1').pluck().get() as string) as { kind: string; model: Record<string, unknown> };
  } finally {
    db.close();
  }
}

function setScoring(store: string, scoring: unknown): void {
  const db = openLinkerStore(store);
  try {
    db.prepare('UPDATE registry_config SET scoring = ? WHERE id = 1').run(JSON.stringify(scoring));
  } finally {
    db.close();
  }
}

/** A registry built by a full fs run over K-12 and college (built once, copied per test). */
let built = '';
async function modelRegistry(): Promise<string> {
  if (!built) {
    built = fresh('built.db');
    await linkFiles({ inputs: [{ file: enc('k12') }, { file: enc('college') }], outDir: fresh('full2'), store: built, workers: 1, model: 'fs' });
  }
  const copy = fresh('store.db');
  copyFileSync(built, copy);
  return copy;
}

describe('a registry built with the match model', () => {
  it('stores the calibrated plan and fitted model, versioned', async () => {
    const store = await modelRegistry();
    const sc = storedScoring(store);
    expect(sc.kind).toBe('model');
    expect(sc.model).toMatchObject({ format: REGISTRY_MODEL_FORMAT, version: REGISTRY_MODEL_VERSION, matchProbability: 0.5, duplicateShare: 0.7 });
    const plan = sc.model.plan as { defs: { name: string }[]; parts: { baseline: number }[] };
    expect(plan.defs.map((d) => d.name)).toEqual(['clk', 'names', 'name_dob', 'place', 'place_nodob', 'place_partdate', 'clk_one_name']);
    // calibrated: baselines measured on the run's random pairs, not the uncalibrated 0
    expect(plan.parts.some((p) => p.baseline > 0)).toBe(true);
    const model = sc.model.model as { m: number[][]; u: number[][] };
    expect(model.m.length).toBe(plan.defs.length);
    expect((sc.model.priors as unknown[]).length).toBeGreaterThan(0);
    // a second record within one new file needs less than one across parties: its weight carries the file's own, lower prior
    const k12 = await loadParty(enc('k12'), 'k12');
    const loaded = loadMatchModel(sc.model, k12.header, 'k12.enc', 'registry');
    const priors = sc.model.priors as { partyA: string; partyB: string; lambda: number }[];
    const parties = new Set(priors.flatMap((p) => [p.partyA, p.partyB]));
    expect(parties.size).toBeGreaterThan(1);
    for (const a of parties) {
      expect(priors.some((p) => p.partyA === a && p.partyB === a)).toBe(true);
      expect(duplicateWeight(loaded, a, a)).toBeLessThan(loaded.dupW);
      expect(duplicateWeight(loaded, a, a)).toBeGreaterThanOrEqual(loaded.decisionW);
      for (const b of parties) if (b !== a) expect(duplicateWeight(loaded, a, b)).toBe(loaded.dupW);
    }
  }, 60_000);

  it('an increment scores with the stored model: links close to a full fs run over every file, no Dice warning', async () => {
    const store = await modelRegistry();
    const outInc = fresh('inc');
    const rep = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: outInc, store, workers: 1 });
    expect(rep.parameters.model).toBe('fs');
    expect(rep.parameters.matchProbability).toBe(0.5);
    // the full run ran the residual pass and stored its free shares: increments run it too (on the pairs that run had)
    expect(rep.parameters.residualPass).toBe(true);
    // the report's model section: the stored model, this increment's pairs (the next test checks its expected quality)
    expect(rep.model?.source).toBe('registry');
    expect((rep.warnings ?? []).join('\n')).not.toMatch(/Dice|match model yet/);
    // wages is new to the stored model (fitted on K-12 x college): the report says so, naming the pairs
    const unfitted = (rep.warnings ?? []).filter((w) => w.includes('were not in the full run that fitted'));
    expect(unfitted).toHaveLength(1);
    expect(unfitted[0]).toMatch(/wages x k12/);
    expect(unfitted[0]).toMatch(/wages x college/);
    expect(unfitted[0]).not.toMatch(/k12 x college|college x k12/);
    // parties the model was fitted on: no such warning (college given again, against K-12 and college records)
    const again = await linkFiles({ inputs: [{ file: enc('college') }], outDir: fresh('inc-known'), store: await modelRegistry(), workers: 1 });
    expect(again.model?.source).toBe('registry');
    expect((again.warnings ?? []).filter((w) => w.includes('were not in the full run'))).toEqual([]);
    expect(rep.registry.kept).toBeGreaterThan(0);
    expect(runReportProblem(JSON.parse(readFileSync(join(outInc, 'run-report.json'), 'utf8')))).toBeUndefined();
    // the registry's K-12 x college links come from the full run over those two; compare the wages links with a full fs
    // run over all three files (which refits, so small differences are expected: docs/registry.md)
    const outFull = fresh('full3');
    await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: outFull, workers: 1, model: 'fs' });
    const wagePairs = (s: Set<string>) => new Set([...s].filter((x) => x.includes('wages:')));
    const inc = wagePairs(registryPairs(store));
    const full = wagePairs(linkedPairs(outFull, PARTIES));
    const both = [...inc].filter((x) => full.has(x)).length;
    const precision = both / inc.size;
    const recall = both / full.size;
    expect(full.size).toBeGreaterThan(500);
    expect(precision).toBeGreaterThan(0.97);
    expect(recall).toBeGreaterThan(0.92);
    console.log(JSON.stringify({ wagePairsIncrement: inc.size, wagePairsFull: full.size, agree: both, precision: +precision.toFixed(4), recall: +recall.toFixed(4) }));
  }, 120_000);

  it("an increment's run report shows the stored model and the expected quality of its own links, close to the truth", async () => {
    const store = await modelRegistry();
    const sc = storedScoring(store);
    const outInc = fresh('inc-model');
    const rep = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: outInc, store, workers: 1 });
    const m = rep.model!;
    expect(m.source).toBe('registry');
    // m, u and the priors are the stored ones: an increment does not refit
    const stored = sc.model.model as { m: number[][]; u: number[][]; lambda: number };
    expect(m.comparisons.map((c) => c.levels.map((l) => l.m))).toEqual(stored.m);
    expect(m.comparisons.map((c) => c.levels.map((l) => l.u))).toEqual(stored.u);
    expect(m.lambda).toBe(stored.lambda);
    expect(m.priors).toEqual(sc.model.priors);
    // bands and histogram count the increment's scored pairs; the bands' one-to-one matches sum to the expected matches
    const scored = m.bands.reduce((t, b) => t + b.pairs, 0);
    expect(m.histogram.reduce((t, b) => t + b.pairs, 0)).toBe(scored);
    expect(scored).toBe(rep.counts.compared);
    expect(m.bands.reduce((t, b) => t + b.matches!, 0)).toBeCloseTo(m.expected.matches!, 6);
    for (const b of m.bands) expect(b.matches!).toBeLessThanOrEqual(b.pairs * Math.max(b.expectedPrecision, 1e-12) + 1e-9);
    // the links: pairs with a wages record the increment put in one entity (the registry's K-12 x college pairs are not its own)
    const truth = new Map<string, string>();
    for (const l of readFileSync(join(root, 'examples/data/truth.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [entity, party, record] = l.split(',');
      truth.set(`${party}:${record}`, entity!);
    }
    const wages = [...registryPairs(store)].filter((x) => x.includes('wages:'));
    expect(m.expected.links).toBeGreaterThan(0.9 * wages.length);
    expect(m.expected.links).toBeLessThanOrEqual(wages.length);
    const correct = wages.filter((x) => {
      const [a, b] = x.split(' ');
      return truth.get(a!) !== undefined && truth.get(a!) === truth.get(b!);
    }).length;
    // every true pair with a wages record (the truth's recall also counts pairs the increment never proposed)
    const byEntity = new Map<string, string[]>();
    for (const [rec, e] of truth) byEntity.set(e, [...(byEntity.get(e) ?? []), rec]);
    let truePairs = 0;
    for (const recs of byEntity.values()) for (let i = 0; i < recs.length; i++) for (let j = i + 1; j < recs.length; j++) if (recs[i]!.startsWith('wages:') || recs[j]!.startsWith('wages:')) truePairs++;
    const measured = { precision: correct / wages.length, recall: correct / truePairs };
    console.log(JSON.stringify({ expected: m.expected, measured }));
    expect(Math.abs(m.expected.precision - measured.precision)).toBeLessThan(0.03);
    expect(m.expected.recall).toBeGreaterThanOrEqual(measured.recall - 0.01);
    expect(m.expected.recall - measured.recall).toBeLessThan(0.08);
    // what report quality reads and prints of it
    expect(runReportProblem(JSON.parse(readFileSync(join(outInc, 'run-report.json'), 'utf8')))).toBeUndefined();
    const cli = await runCli(['report', 'quality', '--links', outInc]);
    expect(cli.code, cli.err).toBe(0);
    expect(cli.out).toContain("the registry's stored m and u applied to this increment's pairs");
    expect(cli.out).toContain("m, u and the priors: the registry's stored model");
    expect(cli.out).not.toMatch(/EM: |EM converged/);
    // against a truth the pairs need two links files: an increment of one file has one, and the message says why
    const withTruth = await runCli(['report', 'quality', '--links', outInc, '--truth', join(root, 'examples/data/truth.csv')]);
    expect(withTruth.code).toBe(2);
    expect(withTruth.all).toMatch(/lists 1 links file\(s\) \(an increment writes the links of its new files only; their pairs with registered records are kept in the registry\)/);
  }, 120_000);

  it('refuses a stored model of an unknown version or unreadable, with REGISTRY_DAMAGED', async () => {
    const store = await modelRegistry();
    const sc = storedScoring(store);
    setScoring(store, { ...sc, model: { ...sc.model, version: 99 } });
    const e1 = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('bad1'), store, workers: 1 }));
    expect(e1.code).toBe('REGISTRY_DAMAGED');
    expect(e1.message).toMatch(/version 99/);
    setScoring(store, { ...sc, model: 'not a model' });
    const e2 = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('bad2'), store, workers: 1 }));
    expect(e2.code).toBe('REGISTRY_DAMAGED');
    const m = sc.model.model as { m: number[][] };
    setScoring(store, { ...sc, model: { ...sc.model, model: { ...(sc.model.model as object), m: m.m.slice(1) } } });
    const e3 = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('bad3'), store, workers: 1 }));
    expect(e3.code).toBe('REGISTRY_DAMAGED');
    // a stored layout other than the new file's evidence filters
    setScoring(store, { ...sc, model: { ...sc.model, evidence: [{ name: 'names', l: 1 }] } });
    const e4 = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('bad4'), store, workers: 1 }));
    expect(e4.code).toBe('REGISTRY_SCHEMA_MISMATCH');
    // a stored plan that read day/month swaps otherwise than the new file's names filter allows
    const plan = sc.model.plan as { daySwap?: unknown };
    expect(plan.daySwap).toBeDefined();
    setScoring(store, { ...sc, model: { ...sc.model, plan: { ...plan, daySwap: undefined } } });
    const e5 = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('bad5'), store, workers: 1 }));
    expect(e5.code).toBe('REGISTRY_SCHEMA_MISMATCH');
  }, 60_000);
});

/** Linked pairs from the registry's memberships (every registered record, after the increment). */
function registryPairs(store: string): Set<string> {
  const db = openLinkerStore(store);
  try {
    const rows = db.prepare('SELECT party, record_id, entity_id FROM registry_members').all() as { party: string; record_id: string; entity_id: string }[];
    const by = new Map<string, string[]>();
    for (const r of rows) {
      const m = by.get(r.entity_id) ?? [];
      m.push(`${r.party}:${r.record_id}`);
      by.set(r.entity_id, m);
    }
    const pairs = new Set<string>();
    for (const m of by.values()) {
      m.sort();
      for (let i = 0; i < m.length; i++) for (let j = i + 1; j < m.length; j++) pairs.add(`${m[i]} ${m[j]}`);
    }
    return pairs;
  } finally {
    db.close();
  }
}

describe('--min-band-hits', () => {
  it('is passed to increments through the CLI and validated', async () => {
    const store = await modelRegistry();
    const bad = await runCli(['link', '--store', store, enc('wages'), '--out', fresh('mbh0'), '--min-band-hits', '0', '--quiet']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/min-band-hits must be a whole number of at least 1/);
    const frac = await runCli(['link', '--store', store, enc('wages'), '--out', fresh('mbh1'), '--min-band-hits', '1.5', '--quiet']);
    expect(frac.code).not.toBe(0);
    expect(frac.err).toMatch(/min-band-hits/);
    // a blocking rule so strict nothing is a candidate (more bands than the blocking has: capped at all of them) still
    // runs; 1 and the default give links
    const one = await runCli(['link', '--store', store, enc('wages'), '--out', fresh('mbh2'), '--min-band-hits', '1']);
    expect(one.code).toBe(0);
    // no Dice warning (a merge candidate for review may be reported: that depends on the data)
    expect(one.err).not.toMatch(/Dice|match model yet/);
  }, 60_000);

  it('--band-crowd is validated like it', async () => {
    const store = await modelRegistry();
    for (const v of ['0', '2.5']) {
      const bad = await runCli(['link', '--store', store, enc('wages'), '--out', fresh(`bc${v}`), '--band-crowd', v, '--quiet']);
      expect(bad.code).not.toBe(0);
      expect(bad.err).toMatch(/band-crowd must be a whole number of at least 1/);
    }
    // a bound of one row a key: only keys no other entity holds propose, so fewer candidates than the default
    const tight = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('bc1'), store: await modelRegistry(), workers: 1, bandCrowd: 1 });
    const dflt = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('bcd'), store: await modelRegistry(), workers: 1 });
    const cand = (r: typeof tight) => r.partyPairs.filter((p) => p.partyA === 'wages' && p.partyB !== 'wages').reduce((t, p) => t + p.candidates, 0);
    expect(cand(tight)).toBeLessThan(cand(dflt));
  }, 60_000);

  it('changes the candidates of an increment (library option)', async () => {
    const loose = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('l1'), store: await modelRegistry(), workers: 1, minBandHits: 1 });
    const strict = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('l64'), store: await modelRegistry(), workers: 1, minBandHits: 64 });
    const cand = (r: typeof loose) => r.partyPairs.filter((p) => p.partyA === 'wages' && p.partyB !== 'wages').reduce((t, p) => t + p.candidates, 0);
    expect(cand(loose)).toBeGreaterThan(cand(strict));
  }, 60_000);
});

describe('scoring stored records', () => {
  it('stored encodings compare like the file they came from (StoredParty), unique levels downgraded', async () => {
    const p = await loadParty(enc('k12'), 'k12');
    const ups = encodingUpdates(p, parseBlockingSpec('lsh'));
    const sp = new StoredParty(p.header);
    const N = Math.min(300, p.count);
    for (let i = 0; i < N; i++) sp.add(ups[i]!.clk, ups[i]!.evidence, ups[i]!.presence);
    const stored = sp.party();
    const plan = comparisonPlan(p);
    // every record against its own stored copy and against a shifted one
    const a = Uint32Array.from({ length: 2 * N }, (_, x) => x % N);
    const b = Uint32Array.from({ length: 2 * N }, (_, x) => (x < N ? x : (x + 7) % N));
    const want = compareCandidates(plan, p, p, a, b);
    const got = compareCandidates(plan, p, stored, a, b);
    setUniqueLevels(want);
    setUniqueLevels(got);
    expect(Array.from(got.levels)).toEqual(Array.from(want.levels));
    expect(got.levels.some((l) => l !== 0 && l !== 255)).toBe(true);
  }, 30_000);

  it('sets the name_dob one-name levels to unique where the registry confirms it, else to their non-unique counterparts, nothing else', () => {
    const defs = [{ name: 'clk', levels: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] }, { name: 'name_dob', levels: [...JOINT_LABELS] }];
    const levels = Uint8Array.from([4, 4, 4, 5, 5, 6, 0, 255, 1, 7, 2, 0]);
    const v = { defs, count: 6, levels };
    setUniqueLevels(v);
    expect(Array.from(v.levels)).toEqual([4, 6, 4, 7, 5, 6, 0, 255, 1, 7, 2, 0]);
    // confirmed: pairs 0 and 2 (first name + date agree) and 4 (surname + date); asked only for the one-name levels, with which name agrees
    const asked: [number, boolean][] = [];
    const w = { defs, count: 6, levels: levels.slice() };
    setUniqueLevels(w, (p, first) => {
      asked.push([p, first]);
      return p !== 1;
    });
    expect(Array.from(w.levels)).toEqual([4, 4, 4, 7, 5, 4, 0, 255, 1, 5, 2, 0]);
    expect(asked).toEqual([
      [0, true],
      [1, false],
      [2, true],
      [4, false],
    ]);
    expect(JOINT_LABELS[6]).toBe('first+dob,last low');
    expect(JOINT_LABELS[7]).toBe('last+dob,first low');
  });

  it('a name + date filter is unique in the registry when no other new record and exactly one registered entity, the candidate, hold its key', () => {
    const newKeys = Float64Array.from([5, 7, 7, 9]);
    // keys the index returned one row for: key 5 -> record 50, key 9 -> record 90; key 7 held by two new records
    const single = new Map([
      [5, 50],
      [9, 90],
      [7, 70],
    ]);
    const entityOf = (rid: number) => (rid === 50 ? 3 : rid === 90 ? 4 : rid === 70 ? 3 : -2);
    expect(uniqueInRegistry(5, newKeys, single, entityOf, 3)).toBe(true);
    // the one registered holder is another entity
    expect(uniqueInRegistry(9, newKeys, single, entityOf, 3)).toBe(false);
    expect(uniqueInRegistry(9, newKeys, single, entityOf, 4)).toBe(true);
    // another new record holds it too
    expect(uniqueInRegistry(7, newKeys, single, entityOf, 3)).toBe(false);
    // no row returned (none, several, or a crowd the index left unread), or no key
    expect(uniqueInRegistry(11, Float64Array.from([11]), single, entityOf, 3)).toBe(false);
    expect(uniqueInRegistry(undefined, newKeys, single, entityOf, 3)).toBe(false);
  });

  it('a Dice registry keeps Dice: --model fs on its increment is refused', async () => {
    const store = fresh('dice.db');
    await linkFiles({ inputs: [{ file: enc('k12') }, { file: enc('college') }], outDir: fresh('dice2'), store, workers: 1, model: 'dice' });
    expect(storedScoring(store).kind).toBe('dice');
    const e = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('dice3'), store, workers: 1, model: 'fs' }));
    expect(e.code).toBe('LINK_OPTION');
    // the residual pass, on or off, means nothing to Dice scoring: refused as in a full run
    const rp = await p20Rejection(linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('dice5'), store, workers: 1, residualPass: false }));
    expect(rp.code).toBe('LINK_OPTION');
    expect(rp.location.field).toBe('residual-pass');
    const r = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('dice4'), store, workers: 1 });
    expect(r.parameters.model).toBe('dice');
  }, 60_000);
});

describe("a registry's first run with one file", () => {
  it('is refused when the file carries evidence filters (the model cannot be fitted), before the store or the output is made', async () => {
    for (const model of [undefined, 'fs'] as const) {
      const store = fresh('first.db');
      const outDir = fresh('first');
      const e = await p20Rejection(linkFiles({ inputs: [{ file: enc('k12') }], outDir, store, workers: 1, ...(model ? { model } : {}) }));
      expect(e.code).toBe('LINK_TOO_FEW_INPUTS');
      expect(e.location.file).toBe(enc('k12'));
      expect(e.detail).toMatch(/first run fits the match model .* needs at least 2 encoded files, got 1/);
      expect(e.detail).not.toMatch(/--/);
      expect(existsSync(store)).toBe(false);
      expect(existsSync(outDir)).toBe(false);
    }
  }, 60_000);

  it('seeds a Dice registry when Dice is asked for, and the model registry of a full run takes one file as an increment', async () => {
    const store = fresh('first-dice.db');
    const r = await linkFiles({ inputs: [{ file: enc('k12') }], outDir: fresh('first-dice'), store, workers: 1, model: 'dice' });
    expect(r.parameters.model).toBe('dice');
    expect(storedScoring(store).kind).toBe('dice');
    const inc = await linkFiles({ inputs: [{ file: enc('wages') }], outDir: fresh('first-model'), store: await modelRegistry(), workers: 1 });
    expect(inc.parameters.model).toBe('fs');
  }, 120_000);

  it('through the command line: exit 2, the file named, the option spelled as its flag', async () => {
    const store = fresh('first-cli.db');
    const r = await runCli(['link', enc('college'), '--out', fresh('first-cli'), '--store', store]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${enc('college')}: a registry's first run fits the match model`);
    expect(r.err).toContain('with dice as --model');
    expect(existsSync(store)).toBe(false);
  }, 60_000);
});
