/**
 * `p20link assess` end to end on the bundled example: the warning printed
 * when encoding without hardening, exit 1 when the encodings leak (a weak
 * one-name schema against a leaked copy of the plaintext), exit 0 for the
 * hardened schema, exit 2 for a schema that is not the file's, a JSON
 * report written mode 0600.
 */
import { existsSync, readFileSync } from 'node:fs';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { fileTempDir } from '../helpers/tmp.js';

const ROOT = process.cwd();
const K12 = resolve(ROOT, 'examples/data/k12.csv');
const WEAK = resolve(ROOT, 'test/assess/fixtures/weak-first-name.json');
const CLKHASH = resolve(ROOT, 'protocols/compat/p20w-person-clkhash.json');
const HARD = resolve(ROOT, 'protocols/schemas/p20w-person.json');
const dir = fileTempDir('p20link-cli-assess-');

async function secretFile(): Promise<string> {
  const p = join(dir, 'secret');
  await writeFile(p, 'S3cr3t-Assess-Test-7f3a9c-0123456789abcdefABCDE\n');
  await chmod(p, 0o600);
  return p;
}

async function encode(schema: string, out: string, map: string[], more: string[] = ['--allow-unhardened']): Promise<{ code: number; err: string }> {
  return runCli(['encode', K12, '-o', out, '--schema', schema, '--party', 'k12', '--id-column', 'student_id', '--secret-file', await secretFile(), ...map.flatMap((m) => ['--map', m]), ...more]);
}

describe('p20link assess (CLI)', () => {
  it('encoding without a hardening section is refused unless opted into (exit 2, the flag named)', async () => {
    const r = await encode(CLKHASH, join(dir, 'refused.enc'), ['sex=gender'], []);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no p20link.hardening section/);
    expect(r.err).toMatch(/--allow-unhardened/);
    expect(existsSync(join(dir, 'refused.enc'))).toBe(false);
  });

  it('encoding without a hardening section prints a warning; with one, none', async () => {
    const a = await encode(CLKHASH, join(dir, 'plain.enc'), ['sex=gender']);
    expect(a.code).toBe(0);
    expect(a.err).toMatch(/warning: this schema has no p20link.hardening section/);
    const b = await encode(HARD, join(dir, 'hard.enc'), ['sex=gender']);
    expect(b.code).toBe(0);
    expect(b.err).not.toMatch(/hardening/);
  }, 120_000);

  it('exits 1 and says OUTSIDE the bound when weak encodings leak names', async () => {
    const enc = join(dir, 'weak.enc');
    expect((await encode(WEAK, enc, [])).code).toBe(0);
    const out = join(dir, 'weak-report.json');
    const r = await runCli(['assess', enc, '--schema', WEAK, '--reference', K12, '--truth', K12, '--truth-id', 'student_id', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/OUTSIDE the bound/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as { withinBound: boolean; worst: { first: number } };
    expect(report.withinBound).toBe(false);
    expect(report.worst.first).toBeGreaterThan(0.05);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  }, 120_000);

  it("exits 0 for the hardened schema with another agency's plaintext as the reference", async () => {
    const enc = join(dir, 'hard.enc');
    const ref = resolve(ROOT, 'examples/data/college.csv');
    const r = await runCli([
      'assess', enc, '--schema', HARD, '--reference', ref,
      '--ref-map', 'first_name=given_name', '--ref-map', 'last_name=family_name', '--ref-map', 'birth_date=date_of_birth',
      '--truth', K12, '--truth-id', 'student_id', '--truth-map', 'sex=gender', '--json',
    ]);
    const report = JSON.parse(r.out) as { withinBound: boolean; columns: string[]; attacks: { attack: string; detail?: string }[] };
    // the CLK and every evidence filter column, each under every attack but the blocking one (no keyed blocking values)
    expect(report.columns).toEqual(['clk', 'ev:names', 'ev:first_dob', 'ev:last_dob', 'ev:place']);
    for (const col of report.columns) {
      const rows = report.attacks.filter((a) => (col === 'clk' ? !(a.detail ?? '').startsWith('ev:') : (a.detail ?? '').startsWith(col)));
      expect(rows.map((a) => a.attack)).toEqual(['frequency-encoding', 'cluster-frequency', 'pattern-mining', 'graph-matching']);
    }
    expect(report.withinBound).toBe(true);
    expect(r.code).toBe(0);
  }, 120_000);

  it('exits 2 when the schema is not the one the file was encoded with', async () => {
    const r = await runCli(['assess', join(dir, 'hard.enc'), '--schema', CLKHASH, '--reference', K12]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/another schema/);
  });
});
