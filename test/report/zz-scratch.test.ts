import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { runCli } from '../helpers/cli.js';
it('scratch', async () => {
  const dir = '/tmp/h5rep/e2e';
  const root = process.cwd();
  const t0 = Date.now();
  const times: string[] = [];
  await runCli(['secret', 'new', '--out', join(dir, 's.secret'), '--force']);
  for (const p of ['k12', 'college', 'wages']) {
    const m = JSON.parse(await readFile(resolve(root, 'examples/agencies', `${p}.json`), 'utf8')) as { extract: string; idColumn: string; map: Record<string, string> };
    const maps = Object.entries(m.map).filter(([f, c]) => f !== c).flatMap(([f, c]) => ['--map', `${f}=${c}`]);
    const r = await runCli(['encode', resolve(root, 'examples/data', m.extract), '-o', join(dir, `${p}.enc`), '--schema', resolve(root, 'protocols/schemas/p20w-person.json'), '--party', p, '--id-column', m.idColumn, '--secret-file', join(dir, 's.secret'), '--workers', '0', '--force', ...maps]);
    times.push(`encode ${p} ${Date.now() - t0} ${r.code} ${r.all.slice(0, 200)}`);
  }
  const l = await runCli(['link', ...['k12', 'college', 'wages'].map((p) => join(dir, `${p}.enc`)), '--out', join(dir, 'out'), '--workers', '1', '--force']);
  times.push(`link ${Date.now() - t0} ${l.code} ${l.all}`);
  const q = await runCli(['report', 'quality', '--links', join(dir, 'out'), '--truth', resolve(root, 'examples/data/truth.csv'), '--html', join(dir, 'q.html')]);
  times.push(`quality ${Date.now() - t0} ${q.code}\n${q.all}`);
  const b = await runCli(['report', 'bias', '--links', join(dir, 'out'), '--party', 'k12', '--data', resolve(root, 'examples/data/k12.csv'), '--id-column', 'student_id', '--by', 'race_ethnicity,gender', '--truth', resolve(root, 'examples/data/truth.csv'), '--as-of', '2026-01-01', '--html', join(dir, 'b.html')]);
  times.push(`bias ${Date.now() - t0} ${b.code}\n${b.all}`);
  writeFileSync('/tmp/h5rep/e2e.txt', times.join('\n'));
}, 300000);
