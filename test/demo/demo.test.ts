import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo, type DemoSummary } from '../../examples/demo.js';
import { RESEARCH_HEADER } from '../../examples/research.js';

/** The whole pipeline on the bundled sample, as `npm run demo` runs it; its outputs are checked below. */
let out: string;
let s: DemoSummary;

async function filesUnder(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'p20-demo-'));
  s = await runDemo({ outDir: join(out, 'demo-out'), quiet: true, asOf: '2026-11-24' });
}, 180_000);

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('one-command demo on the bundled sample', () => {
  it('encodes and links every record of the three agencies', async () => {
    const gen = JSON.parse(await readFile(resolve(process.cwd(), 'examples/data/generation.json'), 'utf8')) as { rows: Record<string, number> };
    expect(s.records).toEqual(gen.rows);
    for (const p of ['k12', 'college', 'wages'] as const) {
      expect(s.linkedRecords[p]).toBeGreaterThan(0);
      expect(s.linkedRecords[p]).toBeLessThanOrEqual(s.records[p]);
    }
    expect(s.clusters).toBeGreaterThan(1500);
  });

  it('links well: F1 above the floor on the sample', () => {
    expect(s.quality.truePairs).toBeGreaterThan(2000);
    expect(s.quality.f1).toBeGreaterThan(0.95);
    expect(s.quality.precision).toBeGreaterThan(0.95);
    expect(s.quality.recall).toBeGreaterThan(0.93);
  });

  it('the suppressed table passes audit-table', () => {
    expect(s.suppress.exitCode).toBe(0);
    expect(s.auditTable.exitCode).toBe(0);
    expect(s.auditTable.passed).toBe(true);
  });

  it('the research file passes kcheck (after repair if needed)', () => {
    expect(s.kcheck.final).toBe(true);
    if (!s.kcheck.original) expect(s.kcheck.repaired).toBe(true);
  });

  it('every step names the p20link command it ran, and each ran cleanly unless it was a check allowed to fail', () => {
    const cli = s.steps.filter((x) => x.command !== '');
    expect(cli.length).toBeGreaterThanOrEqual(12);
    for (const st of cli) for (const line of st.command.split('\n')) expect(line.startsWith('p20link ')).toBe(true);
    const commands = cli.map((x) => x.command).join('\n');
    for (const c of ['keygen', 'secret new', 'encode', 'package', 'unpack', 'link', 'audit verify', 'suppress', 'audit-table', 'kcheck', 'report quality', 'report bias']) {
      expect(commands).toContain(`p20link ${c}`);
    }
    const failed = s.steps.filter((x) => x.exitCode !== 0).map((x) => x.title);
    expect(failed.every((t) => /kcheck/.test(t))).toBe(true);
  });

  it('the research file holds outcomes only: no names, birth dates or record ids', async () => {
    const text = await readFile(s.research.file, 'utf8');
    expect(text.split('\n')[0]).toBe(RESEARCH_HEADER.join(','));
    expect(s.research.students).toBe(s.records.k12);
    expect(s.research.collegeMatched).toBeGreaterThan(600);
    expect(s.research.wagesMatched).toBeGreaterThan(1000);
  });

  it('the secret appears in no output, argv or report; the HTML reports are self-contained', async () => {
    const secretFile = join(s.outDir, 'agencies', 'linkage-secret.txt');
    const secret = (await readFile(secretFile, 'utf8')).trim();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    expect(((await stat(secretFile)).mode & 0o077)).toBe(0);
    for (const st of s.steps) expect(st.command).not.toContain(secret);
    for (const f of await filesUnder(s.outDir)) {
      if (f === secretFile) continue;
      const bytes = await readFile(f);
      expect(bytes.includes(Buffer.from(secret)), f).toBe(false);
    }
    for (const h of ['quality.html', 'bias-k12.html']) {
      const html = await readFile(join(s.outDir, 'reports', h), 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toMatch(/https?:|<script|\s(src|href)=/i);
    }
  });
});

describe('demo output directory', () => {
  it('refuses to delete a non-empty directory it did not make', async () => {
    const d = await mkdtemp(join(tmpdir(), 'p20-demo-foreign-'));
    try {
      await writeFile(join(d, 'precious.txt'), 'keep me');
      await expect(runDemo({ outDir: d, quiet: true })).rejects.toThrow(/refusing to delete/);
      expect(await readFile(join(d, 'precious.txt'), 'utf8')).toBe('keep me');
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
