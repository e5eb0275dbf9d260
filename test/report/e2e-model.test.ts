/**
 * End to end through the CLI: the three bundled agencies encoded with the
 * default schema (evidence filters included), linked with the match model,
 * then `report quality` without ground truth (the model's own estimate),
 * with it (expected beside measured), and `report bias` with recall per group.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fileTempDir } from '../helpers/tmp.js';
import { expectSelfContained } from './html-checks.js';

const dir = fileTempDir('p20-report-e2e-');
const root = process.cwd();
const data = (f: string) => resolve(root, 'examples/data', f);
const schema = resolve(root, 'protocols/schemas/p20w-person.json');
const truth = data('truth.csv');
const truthSlice = join(dir, 'truth.csv');
const out = join(dir, 'results');
const agencies = ['k12', 'college', 'wages'] as const;
let linkOut = '';


/**
 * A slice of the bundled sample, so the test stays quick: the first 400 k12
 * records, every college and wage record of the same people, and the first
 * 60 other records of each of those two files; the truth file cut to match.
 */
async function slice(): Promise<Record<(typeof agencies)[number], string>> {
  const truthRows = (await readFile(truth, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',') as [string, string, string]);
  const entityOf = new Map(truthRows.map(([e, p, r]) => [`${p}\u0000${r}`, e]));
  const files = {} as Record<(typeof agencies)[number], string>;
  const keep = new Set<string>();
  const people = new Set<string>();
  for (const p of agencies) {
    const m = JSON.parse(await readFile(resolve(root, 'examples/agencies', `${p}.json`), 'utf8')) as { extract: string; idColumn: string };
    const [head, ...rows] = (await readFile(data(m.extract), 'utf8')).trimEnd().split('\n');
    const idIndex = head!.split(',').indexOf(m.idColumn);
    let others = 0;
    const kept = rows.filter((row, i) => {
      const id = row.split(',')[idIndex]!;
      const e = entityOf.get(`${p}\u0000${id}`)!;
      const take = p === 'k12' ? i < 400 : people.has(e) || others++ < 60;
      if (take) {
        keep.add(`${p}\u0000${id}`);
        if (p === 'k12') people.add(e);
      }
      return take;
    });
    files[p] = join(dir, `${p}.csv`);
    await writeFile(files[p], `${head}\n${kept.join('\n')}\n`);
  }
  await writeFile(truthSlice, `entity_id,party,record_id\n${truthRows.filter(([, p, r]) => keep.has(`${p}\u0000${r}`)).map((r) => r.join(',')).join('\n')}\n`);
  return files;
}

describe('report on a run linked with the match model (CLI, end to end)', () => {
  beforeAll(async () => {
    const files = await slice();
    const secret = join(dir, 'linkage.secret');
    const s = await runCli(['secret', 'new', '--out', secret]);
    if (s.code !== 0) throw new Error(`secret: ${s.all}`);
    for (const p of agencies) {
      const m = JSON.parse(await readFile(resolve(root, 'examples/agencies', `${p}.json`), 'utf8')) as { idColumn: string; map: Record<string, string> };
      const maps = Object.entries(m.map).filter(([f, c]) => f !== c).flatMap(([f, c]) => ['--map', `${f}=${c}`]);
      const r = await runCli(['encode', files[p], '-o', join(dir, `${p}.enc`), '--schema', schema, '--party', p, '--id-column', m.idColumn, '--secret-file', secret, '--workers', '0', ...maps]);
      if (r.code !== 0) throw new Error(`encode ${p}: ${r.all}`);
    }
    const l = await runCli(['link', ...agencies.map((p) => join(dir, `${p}.enc`)), '--out', out, '--model', 'fs', '--workers', '1']);
    linkOut = l.all;
    if (l.code !== 0) throw new Error(`link: ${l.all}`);
  }, 240_000);

  it('the run report carries the model section', async () => {
    const rr = JSON.parse(await readFile(join(out, 'run-report.json'), 'utf8')) as { model?: { expected: { precision: number; matches?: number; missingDate?: number } }; parameters: { model?: string } };
    expect(rr.parameters.model, linkOut).toBe('fs');
    expect(rr.model).toBeDefined();
    // the matches of records without a birth date beyond their candidates: part of the expected matches
    const { matches, missingDate } = rr.model!.expected;
    expect(missingDate).toBeGreaterThanOrEqual(0);
    expect(missingDate).toBeLessThan(matches!);
  });

  it('report quality without truth: the model\'s expectations, m/u and weights, histogram with the decision point', async () => {
    const html = join(dir, 'model.html');
    const r = await runCli(['report', 'quality', '--links', out, '--html', html]);
    expect(r.code, r.all).toBe(0);
    const rr = JSON.parse(await readFile(join(out, 'run-report.json'), 'utf8')) as { model: { expected: { precision: number; recall: number; links: number }; decision: { weight: number } } };
    const e = rr.model.expected;
    expect(r.out).toContain(`expected precision ${e.precision.toFixed(4)}  recall ${e.recall.toFixed(4)}  links ${e.links}`);
    // a run's report: links are the resolved ones, and the bands' expected matches count one partner per record and party
    expect(r.out).toContain('(candidate pairs put in one entity; expected matches among the candidates');
    expect(r.out).toContain("expected matches: its pairs' match probabilities with one partner per record and party, summed");
    expect(r.out).toMatch(/EM: \d+ iterations/);
    expect(r.out).toMatch(/decision weight [-+]?\d+\.\d\d \(match probability 0\.5\): \d+ pairs at or above/);
    expect(r.out).toMatch(/^\s+clk\s/m);
    const h = await readFile(html, 'utf8');
    expectSelfContained(h);
    expect(h).toContain(`class="decision" data-weight="${rr.model.decision.weight}"`);
    expect(h).toContain('links (candidate pairs the resolution put in one entity)');
    expect((h.match(/Match weights of comparison /g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('with the truth sample, the measured quality stands beside the expected', async () => {
    const t = await runCli(['report', 'quality', '--links', out, '--truth', truthSlice]);
    expect(t.out).toContain('Calibration: linked pairs by match-probability band');
    expect(t.out).toMatch(/0\.999-1\s+[01]\.\d{4}\s+\d+\s+\d+\s+[01]\.\d{4}/);
    const r = await runCli(['report', 'quality', '--links', out, '--truth', truthSlice, '--json']);
    expect(r.code, r.all).toBe(0);
    const j = JSON.parse(r.out) as { precision: number; recall: number; expectedVsMeasured: { expected: { precision: number }; measured: { precision: number; recall: number } }[] };
    expect(j.expectedVsMeasured).toHaveLength(1);
    expect(j.expectedVsMeasured[0]!.measured.precision).toBe(j.precision);
    expect(j.expectedVsMeasured[0]!.measured.recall).toBe(j.recall);
    // the expectation is the run report's, unchanged
    const rr = JSON.parse(await readFile(join(out, 'run-report.json'), 'utf8')) as { model: { expected: { precision: number; recall: number; links: number } } };
    expect(j.expectedVsMeasured[0]!.expected).toEqual(rr.model.expected);
  });

  it('report bias on the run directory: link rate and recall per group, largest gaps', async () => {
    const r = await runCli(['report', 'bias', '--links', out, '--party', 'k12', '--data', join(dir, 'k12.csv'), '--id-column', 'student_id', '--by', 'race_ethnicity,gender', '--truth', truthSlice, '--as-of', '2026-01-01']);
    expect([0, 1]).toContain(r.code);
    expect(r.out).toContain('share linked to a true counterpart');
    expect(r.out).toMatch(/largest recall gap: +\d+\.\d pt/);
    expect(r.out).toMatch(/largest link-rate gap: \d+\.\d pt/);
  });
});
