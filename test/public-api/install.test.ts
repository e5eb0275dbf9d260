/**
 * The package as a user gets it: `npm pack` produces a tarball; it is
 * unpacked into a fresh project's node_modules (its dependencies linked to
 * this checkout's, so no network is needed) and used only through its
 * public entry point, `import … from 'p20link'`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileTempDir } from '../helpers/tmp.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let app = '';
let files: string[] = [];

beforeAll(() => {
  app = fileTempDir('p20-install-');
  // --ignore-scripts: `npm test` has just built dist/; prepack would build again.
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', app], { cwd: ROOT, encoding: 'utf8' });
  const info = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  files = info[0]!.files.map((f) => f.path);
  const dest = join(app, 'node_modules', 'p20link');
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', join(app, info[0]!.filename), '-C', dest, '--strip-components=1']);
  for (const dep of Object.keys(pkg.dependencies)) {
    const link = join(app, 'node_modules', dep);
    mkdirSync(join(link, '..'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', dep), link, 'dir');
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
}, 120_000);

function runNode(script: string, env: Record<string, string> = {}): { code: number; out: string; err: string } {
  writeFileSync(join(app, 'use.mjs'), script);
  const r = spawnSync(process.execPath, ['use.mjs'], { cwd: app, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe('the packed package', () => {
  it('ships the built library, the CLI launcher and the protocols, and no sources, tests or benchmarks', () => {
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('dist/src/index.d.ts');
    expect(files).toContain('bin/p20link.js');
    expect(files).toContain('dist/cli/p20link.mjs'); // the bundled CLI the launcher runs
    expect(files).toContain('protocols/schemas/p20w-person.json');
    expect(files.filter((f) => /^(src|test|bench|examples)\//.test(f) || f.startsWith('dist/test/') || f.startsWith('dist/bench/'))).toEqual([]);
  });

  it('encodes and links through its public API, and refuses deep imports', () => {
    const fixture = join(ROOT, 'test', 'fixtures', 'encode');
    const secretFile = join(app, 'linkage.secret');
    const script = `
      import { newSecretText, loadSecret, encodeFile, linkFiles, readLinksFile, linksFileName, TOOL_VERSION, P20Error, isP20Error } from 'p20link';
      import { writeFileSync, chmodSync } from 'node:fs';
      import { join } from 'node:path';
      writeFileSync(${JSON.stringify(secretFile)}, newSecretText() + '\\n', { mode: 0o600 });
      chmodSync(${JSON.stringify(secretFile)}, 0o600);
      const secret = await loadSecret({ file: ${JSON.stringify(secretFile)} });
      const schema = ${JSON.stringify(join(fixture, 'person.schema.json'))};
      const input = ${JSON.stringify(join(fixture, 'people.csv'))};
      for (const party of ['a', 'b']) {
        await encodeFile({ input, output: party + '.enc', schema, secret, party, workers: 0, allowUnhardened: true });
      }
      const report = await linkFiles({ inputs: [{ file: 'a.enc' }, { file: 'b.enc' }], outDir: 'out', threshold: 0.95, blocking: 'none' });
      const links = await readLinksFile(join('out', linksFileName('a')));
      let deep = 'allowed';
      try { await import('p20link/dist/src/encode/pipeline.js'); } catch (e) { deep = e.code; }
      let refused = '';
      try { await encodeFile({ input, output: 'a.enc', schema, secret, party: 'a', workers: 0, allowUnhardened: true }); } catch (e) { refused = isP20Error(e) && e instanceof P20Error ? e.code : String(e); }
      console.log(JSON.stringify({ version: TOOL_VERSION, rows: links.records.size, linked: [...links.records.values()].filter((e) => e.score !== undefined).length, parties: report.parties?.length ?? null, deep, refused }));
    `;
    const r = runNode(script);
    expect(r.err).not.toMatch(/internal error|TypeError|ReferenceError/);
    expect(r.code).toBe(0);
    const got = JSON.parse(r.out.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(got.version).toBe(pkg.version);
    expect(got.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    expect(got.refused).not.toBe('');
    expect(got.rows).toBeGreaterThan(0);
    expect(got.linked).toBe(got.rows);
  });

  it('its launcher runs the command line', () => {
    const bin = join(app, 'node_modules', 'p20link', 'bin', 'p20link.js');
    chmodSync(bin, 0o755);
    const r = spawnSync(process.execPath, [bin, '--version'], { cwd: app, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('its bundled command line encodes and links with worker threads (modules found from the bundle)', () => {
    const bin = join(app, 'node_modules', 'p20link', 'bin', 'p20link.js');
    const fixture = join(ROOT, 'test', 'fixtures', 'encode');
    const env = { ...process.env, P20_BUNDLE_SECRET: randomBytes(32).toString('base64url') };
    for (const party of ['c', 'd']) {
      const r = spawnSync(process.execPath, [bin, 'encode', join(fixture, 'people.csv'), '-o', `${party}.enc`, '--schema', join(fixture, 'person.schema.json'), '--party', party, '--secret-env', 'P20_BUNDLE_SECRET', '--allow-unhardened', '--workers', '2'], { cwd: app, encoding: 'utf8', env });
      expect(r.stderr).not.toMatch(/internal error|not found/);
      expect(r.status, r.stderr).toBe(0);
    }
    const r = spawnSync(process.execPath, [bin, 'link', 'c.enc', 'd.enc', '--out', 'out-bundle', '--threshold', '0.95', '--blocking', 'none', '--workers', '2', '--quiet'], { cwd: app, encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/internal error|not found/);
    expect(r.status).toBe(0);
    const report = JSON.parse(readFileSync(join(app, 'out-bundle', 'run-report.json'), 'utf8')) as { counts: { acceptedLinks: number; records: number } };
    expect(report.counts.acceptedLinks).toBe(report.counts.records / 2);
  });
});
