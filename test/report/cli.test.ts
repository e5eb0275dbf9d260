import { mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { generateMain } from '../../examples/generate.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
const truth = resolve(process.cwd(), 'examples/data/truth.csv');

/** Run a CLI entry point; out is stdout and stderr together, in order. */
async function run(argv: string[], entry: typeof main = main): Promise<{ code: number; out: string }> {
  const r = await runCli(argv, { entry });
  return { code: r.code, out: r.all };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p20-report-cli-'));
  // links made from the truth itself (every entity one linkage ID), except that two wage records are left unlinked
  const rows = (await readFile(truth, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const byParty: Record<string, string[]> = { k12: [], college: [], wages: [] };
  const size = new Map<string, number>();
  for (const [e] of rows) size.set(e!, (size.get(e!) ?? 0) + 1);
  let dropped = 0;
  for (const [e, p, r] of rows) {
    const single = size.get(e!) === 1;
    const unlink = single || (p === 'wages' && dropped < 2 && size.get(e!) === 2);
    if (unlink && !single) dropped++;
    byParty[p!]!.push(`${r},${unlink ? `X${r}` : `L${e}`},${unlink ? '' : '0.950000'}`);
  }
  // a partial run report (histogram only) kept under another name: a directory's run-report.json is the run's manifest
  await writeFile(join(dir, 'partial-report.json'), JSON.stringify({ parameters: { threshold: 0.8, reviewThreshold: null }, scoreHistogram: { binWidth: 0.01, counts: Array.from({ length: 101 }, (_, i) => (i >= 80 ? 10 : 0)) } }));
  for (const [p, lines] of Object.entries(byParty)) await writeFile(join(dir, `${p}.links.csv`), `record_id,linkage_id,score\n${lines.join('\n')}\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('p20link report (CLI)', () => {
  it('report quality prints the metrics and writes the HTML report and wrong pairs', async () => {
    const html = join(dir, 'q.html');
    const wrong = join(dir, 'wrong.csv');
    const r = await run(['report', 'quality', '--links', dir, '--truth', truth, '--run-report', join(dir, 'partial-report.json'), '--html', html, '--wrong-pairs', wrong]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/precision 1\.0000/);
    expect(r.out).toMatch(/missed 2,/);
    const h = await readFile(html, 'utf8');
    expect(h).toContain('threshold 0.80');
    expect(h).not.toMatch(/https?:|<script/i);
    const w = (await readFile(wrong, 'utf8')).trim().split('\n');
    expect(w.length).toBe(3);
    expect(w[1]).toMatch(/^missed,unlinked-both,/);
    // nothing half-written left behind
    expect((await readdir(dir)).filter((f) => f.includes('p20link-tmp'))).toEqual([]);
  });

  it('report quality without ground truth shows the match model\'s own estimate (text, JSON, HTML)', async () => {
    const model = resolve(process.cwd(), 'test/fixtures/report/model-run-report.json');
    const html = join(dir, 'model.html');
    const r = await run(['report', 'quality', '--links', dir, '--run-report', model, '--html', html]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('expected precision 0.9953  recall 0.9459  links 18574');
    expect(r.out).toMatch(/decision weight 0\.00 \(match probability 0\.5\): 18574 pairs at or above/);
    expect(r.out).not.toMatch(/measured|wrong pairs/);
    const h = await readFile(html, 'utf8');
    expect(h).toContain('Match-weight histogram with the decision point');
    expect(h).not.toMatch(/<script|https?:/i);
    const j = await run(['report', 'quality', '--links', dir, '--run-report', model, '--json']);
    const parsed = JSON.parse(j.out) as { model: { summary: { expected: { precision: number } } }[]; precision?: number };
    expect(parsed.model[0]!.summary.expected.precision).toBe(0.9953);
    expect(parsed.precision).toBeUndefined();
    // with the truth sample too: measured beside expected
    const both = await run(['report', 'quality', '--links', dir, '--run-report', model, '--truth', truth]);
    expect(both.code).toBe(0);
    expect(both.out).toMatch(/measured precision 1\.0000 +recall 0\.99\d\d/);
    expect(both.out).toMatch(/precision 1\.0000 {2}recall/);
  });

  it('report quality with neither ground truth nor a model says what is missing', async () => {
    const r = await run(['report', 'quality', '--links', dir]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/nothing to report: no truth file, and no run report with the match model's section \(--truth\)/);
    const r2 = await run(['report', 'quality', '--links', dir, '--run-report', join(dir, 'partial-report.json')]);
    expect(r2.code).toBe(2);
    expect(r2.out).toMatch(/partial-report\.json: nothing to report: .*the run report has no model section/);
  });

  it('report bias --max-gap flags the largest gap between two groups', async () => {
    const data = resolve(process.cwd(), 'examples/data/k12.csv');
    const args = ['report', 'bias', '--links', join(dir, 'k12.links.csv'), '--data', data, '--id-column', 'student_id', '--by', 'gender', '--margin', '0.5', '--fail-on-flag'];
    const strict = await run([...args, '--max-gap', '0']);
    expect(strict.out).toMatch(/largest link-rate gap: \d+\.\d pt/);
    const loose = await run([...args, '--max-gap', '0.99']);
    expect(loose.out).toContain('No gap between two groups above 99.0 pt.');
    expect(loose.code).toBe(0);
    expect(strict.code).toBe(strict.out.includes('GAP FLAG') ? 1 : 0);
  });

  it('report bias groups by the named columns and can gate on flags', async () => {
    const data = resolve(process.cwd(), 'examples/data/k12.csv');
    const r = await run(['report', 'bias', '--links', join(dir, 'k12.links.csv'), '--data', data, '--id-column', 'student_id', '--by', 'race_ethnicity,gender', '--by', 'age_band:birth_date', '--as-of', '2026-01-01', '--margin', '0.001', '--fail-on-flag']);
    expect(r.out).toContain('race_ethnicity');
    expect(r.out).toContain('age_band (from birth_date, as of 2026-01-01)');
    // a flagged group is a failed check: exit 1 (docs/exit-codes.md)
    expect(r.code).toBe(1);
  });

  it('bad input is a clear error naming the file, with a non-zero exit', async () => {
    const r = await run(['report', 'bias', '--links', join(dir, 'k12.links.csv'), '--data', truth, '--id-column', 'student_id', '--by', 'race']);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/p20link: error: .*truth\.csv.*student_id/);
    const r2 = await run(['report', 'quality', '--links', join(dir, 'nope'), '--truth', truth]);
    expect(r2.code).toBe(2);
    expect(r2.out).toMatch(/nope: cannot read the links directory: no such file or directory/);
    expect(r2.out).not.toMatch(/ENOENT/);
    const r3 = await run(['report', 'quality', '--links', join(dir, 'k12.links.csv'), '--truth', truth]);
    expect(r3.code).toBe(2);
    expect(r3.out).toMatch(/k12\.links\.csv: --links wants the linker's output directory/);
    expect(r3.out).not.toMatch(/ENOTDIR|internal error/);
  });

  it('generate --help and a bad count', async () => {
    const h = await run(['--help'], generateMain);
    expect(h.code).toBe(0);
    expect(h.out).toContain('--people N');
    const b = await run(['--people', '-3', '--out', join(dir, 'g')], generateMain);
    expect(b.code).not.toBe(0);
  });
});
