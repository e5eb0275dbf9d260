/**
 * The match model in the linker, end to end on the bundled example data
 * (examples/data: K-12, college, wages with realistic trouble), encoded with
 * the default schema (which carries evidence filters): the model is the
 * default for such inputs (model 'fs'), its summary is in the run report (schema-valid), a deduplicated
 * party stays 1:1, model 'dice' is the CLK + Dice path, and the CLI flags work.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportProblem } from '../../../src/format/run-report.js';
import { linkFiles, type ModelFit } from '../../../src/link/link-files.js';
import { runCli } from '../../helpers/cli.js';
import { p20Rejection } from '../../helpers/errors.js';
import { encodeAgencies } from '../../helpers/agency.js';

const root = join(import.meta.dirname, '../../..');
const secret = new TextEncoder().encode('p20link match model test secret (synthetic data only)');
const dir = mkdtempSync(join(tmpdir(), 'p20-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PARTIES = ['k12', 'college', 'wages'] as const;
const enc = (p: string) => join(dir, `${p}.enc`);
const TRUTH = join(root, 'examples/data/truth.csv');

beforeAll(() => encodeAgencies((p) => join(root, `examples/data/${p}.csv`), enc, secret, { onBadField: 'missing' }), 120_000);

/** linkage id -> records per party, from the links files of a run. */
function entities(out: string): Map<string, Record<string, number>> {
  const m = new Map<string, Record<string, number>>();
  for (const p of PARTIES) {
    const lines = readFileSync(join(out, `${p}.links.csv`), 'utf8').trim().split('\n').slice(1);
    for (const l of lines) {
      const id = l.split(',')[1]!;
      const e = m.get(id) ?? {};
      e[p] = (e[p] ?? 0) + 1;
      m.set(id, e);
    }
  }
  return m;
}

describe('linkFiles with the match model (model: fs)', () => {
  it('fits the model, links on match probability, reports the model; quality on the example data', async () => {
    const out = join(dir, 'fs');
    const r = await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: out, truth: TRUTH, workers: 1, model: 'fs' });
    expect(r.parameters.model).toBe('fs');
    expect(r.parameters.matchProbability).toBe(0.5);
    const m = r.model!;
    expect(m).toBeDefined();
    expect(m.comparisons.map((c) => c.name)).toEqual(['clk', 'names', 'name_dob', 'place', 'place_nodob', 'place_partdate', 'clk_one_name']);
    for (const c of m.comparisons) {
      // weights monotone in agreement, except categories (the joint name_dob; place: which of ZIP and initial agree)
      expect(c.ordered).toBe(c.name === 'name_dob' || c.name === 'place' ? false : undefined);
      if (c.ordered === false) continue;
      for (let l = 1; l < c.levels.length; l++) expect(c.levels[l]!.weight).toBeLessThanOrEqual(c.levels[l - 1]!.weight + 1e-9);
    }
    expect(m.bands.reduce((t, b) => t + b.pairs, 0)).toBe(r.counts.candidates);
    expect(m.histogram.reduce((t, b) => t + b.pairs, 0)).toBe(r.counts.candidates);
    expect(m.priors!.length).toBe(6); // three cross pairs and three within-file
    // the anchored fit was refined by free EM; the report says whether it was kept, against the one-to-one bound
    const ref = m.em.refinement!;
    expect(ref).toBeDefined();
    expect(ref.expectedMatches.length).toBe(6);
    expect(ref.maxMatches.map((x, k) => (x === null ? m.priors![k]!.partyA === m.priors![k]!.partyB : x > 0))).toEqual([true, true, true, true, true, true]);
    // EM stops at its last step within the bound: a kept fit is always within it
    if (ref.accepted) expect(ref.expectedMatches.every((e, k) => ref.maxMatches[k] === null || e <= ref.maxMatches[k]!)).toBe(true);
    else expect(ref.atBound).toBe(true);
    // the residual pass: per cross party pair the free shares, the shift they give, the pairs it proposed; the joined ones among them
    const res = m.residual!;
    expect(res.pairs.map((p) => `${p.partyA}|${p.partyB}`)).toEqual(['k12|college', 'k12|wages', 'college|wages']);
    for (const p of res.pairs) {
      expect(p.freeA).toBeGreaterThan(0);
      expect(p.freeA).toBeLessThan(1);
      expect(p.shift).toBeCloseTo(Math.min(10, -Math.log2(p.freeA * p.freeB)), 9);
    }
    expect(res.accepted).toBeLessThanOrEqual(res.pairs.reduce((t, p) => t + p.proposed, 0));
    // the corroborated duplicates: records left alone whose links into one cluster sum to the bar (two or more each)
    const cor = m.corroborated!;
    expect(cor.accepted).toBeLessThanOrEqual(cor.proposed);
    expect(cor.links).toBeGreaterThanOrEqual(2 * cor.proposed);
    // expected quality of the resolved links: every accepted edge is a linked pair; the bands hold the probabilities of the
    // one-to-one weights, which leave likely duplicates out, and the expected matches count every rival (within a file
    // too), so beyond the matches of records without a birth date the expected matches are at most the bands' sum
    const e = m.expected;
    expect(e.links).toBeGreaterThanOrEqual(r.counts.acceptedLinks);
    expect(e.matches!).toBeGreaterThan(0);
    expect(e.matches! - e.missingDate!).toBeLessThanOrEqual(m.bands.reduce((t, b) => t + b.pairs * b.expectedPrecision, 0) + 1e-6);
    // the bands split the same expected matches; no band's exceeds its Σ p
    expect(m.bands.reduce((t, b) => t + b.matches!, 0)).toBeCloseTo(e.matches!, 6);
    for (const b of m.bands) expect(b.matches!).toBeLessThanOrEqual(b.pairs * b.expectedPrecision + 1e-9);
    // and close to what the truth sample measures here (before, Σ p of every candidate made recall 5-10 points low at scale)
    expect(Math.abs(e.precision - r.truth!.precision)).toBeLessThan(0.02);
    expect(Math.abs(e.recall - r.truth!.recall)).toBeLessThan(0.02);
    // the report on disk validates against protocols/link-report.schema.json
    const doc = JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')) as unknown;
    expect(runReportProblem(doc)).toBeUndefined();
    // links files carry match probabilities in [0, 1]
    for (const p of PARTIES) {
      for (const l of readFileSync(join(out, `${p}.links.csv`), 'utf8').trim().split('\n').slice(1)) {
        const s = l.split(',')[2]!;
        if (s !== '') expect(Number(s)).toBeGreaterThanOrEqual(0.5 - 1e-6);
      }
    }
    // the bundled data is small and full of trouble; the model must do clearly better than chance and than nothing
    expect(r.truth!.precision).toBeGreaterThan(0.9);
    expect(r.truth!.recall).toBeGreaterThan(0.9);
  }, 120_000);

  it('a party declared deduplicated never has two records in one entity; others may', async () => {
    const out = join(dir, 'dedup');
    const r = await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: out, deduplicated: ['college'], workers: 1, model: 'fs' });
    expect(r.parameters.deduplicated).toEqual(['college']);
    const ents = entities(out);
    for (const e of ents.values()) expect(e.college ?? 0).toBeLessThanOrEqual(1);
    // no within-college comparison was made
    expect(r.partyPairs.some((p) => p.partyA === 'college' && p.partyB === 'college')).toBe(false);
    expect(r.partyPairs.some((p) => p.partyA === 'k12' && p.partyB === 'k12')).toBe(true);
  }, 120_000);

  it("model 'dice' is the Dice path: no model section, threshold decides", async () => {
    const out = join(dir, 'dice');
    const r = await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: out, model: 'dice', workers: 1 });
    expect(r.parameters.model).toBe('dice');
    expect(r.model).toBeUndefined();
    expect(r.parameters.maxPerParty).toBe(1);
    for (const e of entities(out).values()) for (const p of PARTIES) expect(e[p] ?? 0).toBeLessThanOrEqual(1);
    await expect(linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: join(dir, 'dice2'), model: 'dice', deduplicated: ['k12'] })).rejects.toThrow(/needs the match model/);
  }, 120_000);

  it('without a model option the linker uses the match model when every input carries evidence, and refuses a Dice threshold', async () => {
    const inputs = PARTIES.map((p) => ({ file: enc(p) }));
    const r = await linkFiles({ inputs, outDir: join(dir, 'default'), workers: 1 });
    expect(r.parameters.model).toBe('fs');
    expect(r.model).toBeDefined();
    // a Dice threshold means nothing to the model: refused, not ignored, before any output
    const e = await p20Rejection(linkFiles({ inputs, outDir: join(dir, 'default-threshold'), workers: 1, threshold: 0.8 }));
    expect(e.code).toBe('LINK_OPTION');
    expect(e.location.field).toBe('threshold');
    expect(existsSync(join(dir, 'default-threshold', 'run-report.json'))).toBe(false);
    const cli = await runCli(['link', enc('k12'), enc('college'), '--out', join(dir, 'default-threshold-cli'), '--threshold', '0.8']);
    expect(cli.code).toBe(2);
    expect(cli.err).toMatch(/choose dice with --model/);
    // with the model given, the threshold is the Dice path's
    const d = await linkFiles({ inputs, outDir: join(dir, 'default-dice'), workers: 1, model: 'dice', threshold: 0.8 });
    expect(d.parameters.model).toBe('dice');
  }, 120_000);

  it('shows a measurement tool its fit (onModelFit): the fit replayed with its own weights gives the run\'s entities', async () => {
    const out = join(dir, 'fit');
    const fits: ModelFit[] = [];
    await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: out, workers: 1, model: 'fs', onModelFit: (f) => fits.push(f) });
    expect(fits.length).toBe(1);
    const f = fits[0]!;
    expect(f.candidates.length).toBe(f.jobs.length);
    expect(f.vectors.count).toBe(f.candidates.reduce((t, c) => t + c.a.length, 0));
    expect(f.weights.length).toBe(f.vectors.count);
    expect(f.bars.length).toBe(f.jobs.length);
    for (const b of f.bars) expect(b).toBeGreaterThanOrEqual(f.decisionW);
    // pairs of records ("party:id") in one entity, from the links files and from the replayed labels
    const pairsOf = (groups: Map<unknown, string[]>) => {
      const s = new Set<string>();
      for (const g of groups.values()) {
        g.sort();
        for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) s.add(`${g[i]} ${g[j]}`);
      }
      return s;
    };
    const byId = new Map<string, string[]>();
    for (const p of PARTIES) {
      for (const l of readFileSync(join(out, `${p}.links.csv`), 'utf8').trim().split('\n').slice(1)) {
        const [rid, id] = l.split(',');
        byId.set(id!, [...(byId.get(id!) ?? []), `${p}:${rid}`]);
      }
    }
    const byLabel = (label: Uint32Array) => {
      const m = new Map<number, string[]>();
      for (const p of f.parties) p.ids.forEach((id, r) => m.set(label[p.offset + r]!, [...(m.get(label[p.offset + r]!) ?? []), `${p.name}:${id}`]));
      return m;
    };
    const linked = pairsOf(byId);
    expect(linked.size).toBeGreaterThan(1000);
    expect(pairsOf(byLabel(f.resolve(f.weights)))).toEqual(linked);
    // weights below the decision link nothing; bars out of reach keep every entity to one record per party
    expect(pairsOf(byLabel(f.resolve(new Float64Array(f.weights.length).fill(f.decisionW - 1)))).size).toBe(0);
    const noDup = byLabel(f.resolve(f.weights, f.bars.map(() => Number.POSITIVE_INFINITY)));
    for (const g of noDup.values()) expect(new Set(g.map((r) => r.split(':')[0])).size).toBe(g.length);
    expect(pairsOf(noDup).size).toBeLessThanOrEqual(linked.size);
    // bars at the decision let any edge add a second record: within-file pairs raised above the decision then join (this
    // example has none above it; two records of one file linked to one record of another are each other's rivals)
    const raised = f.weights.slice();
    let at = 0;
    f.jobs.forEach(([i, j], k) => {
      for (let x = 0; x < f.candidates[k]!.a.length; x++, at++) if (i === j) raised[at] = Math.max(raised[at]!, f.decisionW + 1);
    });
    const loose = byLabel(f.resolve(raised, f.bars.map(() => f.decisionW)));
    expect([...loose.values()].some((g) => new Set(g.map((r) => r.split(':')[0])).size < g.length)).toBe(true);
    // the Dice path fits no model
    await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: join(dir, 'fit-dice'), workers: 1, model: 'dice', onModelFit: (x) => fits.push(x) });
    expect(fits.length).toBe(1);
  }, 120_000);

  it('the residual pass turned off: the first phases\' entities, which the pass only joins (one join per accepted edge)', async () => {
    const inputs = PARTIES.map((p) => ({ file: enc(p) }));
    const on = await linkFiles({ inputs, outDir: join(dir, 'res-on'), workers: 1, model: 'fs' });
    const off = await linkFiles({ inputs, outDir: join(dir, 'res-off'), workers: 1, model: 'fs', residualPass: false });
    expect(on.parameters.residualPass).toBe(true);
    expect(off.parameters.residualPass).toBe(false);
    expect(off.model!.residual).toBeUndefined();
    const accepted = on.model!.residual!.accepted;
    expect(accepted).toBeGreaterThan(0);
    // the same candidates, model and first phases: each edge the pass accepts joins two of the off run's entities
    expect(off.counts.candidates).toBe(on.counts.candidates);
    expect(off.counts.clusters - on.counts.clusters).toBe(accepted);
    // the expected quality counts the pass's links too: every accepted edge is a linked pair the pass weighed
    expect(on.model!.expected.links - off.model!.expected.links).toBeGreaterThanOrEqual(accepted);
    expect(on.model!.expected.matches).toBeCloseTo(off.model!.expected.matches!, 6);
    // records together without the pass stay together with it
    const members = (out: string) => {
      const m = new Map<string, string>();
      for (const p of PARTIES) for (const l of readFileSync(join(out, `${p}.links.csv`), 'utf8').trim().split('\n').slice(1)) m.set(`${p}:${l.split(',')[0]}`, l.split(',')[1]!);
      return m;
    };
    const a = members(join(dir, 'res-off'));
    const b = members(join(dir, 'res-on'));
    const firstOf = new Map<string, string>();
    for (const [rec, id] of a) {
      const f = firstOf.get(id);
      if (f === undefined) firstOf.set(id, rec);
      else expect(b.get(rec)).toBe(b.get(f));
    }
    expect(runReportProblem(JSON.parse(readFileSync(join(dir, 'res-off', 'run-report.json'), 'utf8')) as unknown)).toBeUndefined();
    // a phase of the match model only: refused with Dice scoring, before any output
    const e = await p20Rejection(linkFiles({ inputs, outDir: join(dir, 'res-dice'), workers: 1, model: 'dice', residualPass: false }));
    expect(e.code).toBe('LINK_OPTION');
    expect(e.location.field).toBe('residual-pass');
    expect(existsSync(join(dir, 'res-dice', 'run-report.json'))).toBe(false);
  }, 120_000);

  it('refuses a deduplicated party that is not an input and a match probability outside (0, 1)', async () => {
    await expect(linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: join(dir, 'x1'), model: 'fs', deduplicated: ['nope'] })).rejects.toThrow(/names party "nope"/);
    await expect(linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: join(dir, 'x2'), model: 'fs', matchProbability: 1 })).rejects.toThrow(/match probability/);
  });
});

describe('p20link link with the model flags', () => {
  it('--deduplicated and --match-probability reach the run; the summary shows the model', async () => {
    const out = join(dir, 'cli');
    const r = await runCli(['link', enc('k12'), enc('college'), enc('wages'), '--out', out, '--model', 'fs', '--deduplicated', 'wages', '--match-probability', '0.6', '--workers', '1', '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')) as { parameters: { deduplicated: string[]; matchProbability: number; model: string } };
    expect(rep.parameters).toMatchObject({ model: 'fs', deduplicated: ['wages'], matchProbability: 0.6 });
    const bad = await runCli(['link', enc('k12'), enc('college'), '--out', join(dir, 'cli2'), '--model', 'fs', '--deduplicated', 'nobody']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--deduplicated names party "nobody"/);
    const sum = await runCli(['link', enc('k12'), enc('college'), '--out', join(dir, 'cli3'), '--model', 'fs', '--workers', '1']);
    expect(sum.code).toBe(0);
    expect(sum.out).toMatch(/match probability at or above 0\.5/);
    expect(sum.out).toMatch(/model: expected precision/);
    expect(sum.out).toMatch(/residual pass: [\d,]+ links between records the first phases left free/);
    expect(sum.out).toMatch(/corroborated duplicates: [\d,]+ records joined a cluster as a second record of their party/);
    // --no-residual-pass reaches the run and its report
    const nr = await runCli(['link', enc('k12'), enc('college'), enc('wages'), '--out', join(dir, 'cli4'), '--no-residual-pass', '--workers', '1', '--quiet']);
    expect(nr.code).toBe(0);
    const rep4 = JSON.parse(readFileSync(join(dir, 'cli4', 'run-report.json'), 'utf8')) as { parameters: { residualPass: boolean }; model: { residual?: unknown } };
    expect(rep4.parameters.residualPass).toBe(false);
    expect(rep4.model.residual).toBeUndefined();
    const off = await runCli(['link', enc('k12'), enc('college'), '--out', join(dir, 'cli5'), '--no-residual-pass', '--workers', '1']);
    expect(off.code).toBe(0);
    expect(off.out).toContain('  residual pass: off\n');
    expect(off.out).not.toMatch(/residual pass: [\d,]+ links/);
  }, 120_000);
});
