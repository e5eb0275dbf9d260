/**
 * `npm run bench`: every benchmark in turn, each in its own process so that
 * its peak memory figure is its own. Prints figures; asserts nothing (speed
 * targets live here, never in tests).
 *
 *   encode   100,000 rows with the default schema (target ≥ 50,000 records/s)
 *   dice     1024-bit Dice, 10k×10k and 100k×100k (target ≥ 100 M comparisons/s)
 *   link     1,000,000 × 1,000,000 (target < 10 min, < 4 GiB, < 0.5% true matches lost)
 *   febrl    FEBRL 4 through encode → link (target F1 ≥ 0.99; needs ../shared)
 *   release  suppress a 100,000-cell table, kcheck 1,000,000 rows
 *   package  keygen, package and unpack a large encoded file
 *
 * `npm run bench -- dice release` runs only the named ones.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES: Record<string, string> = {
  encode: 'encode.js',
  dice: 'dice.js',
  link: 'link.js',
  febrl: 'eval-febrl.js',
  release: 'release.js',
  package: 'package.js',
};

const wanted = process.argv.slice(2);
for (const w of wanted) {
  if (!(w in BENCHES)) {
    process.stderr.write(`bench: unknown benchmark "${w}" (known: ${Object.keys(BENCHES).join(', ')})\n`);
    process.exit(2);
  }
}
const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
let failed = 0;
const runs: { name: string; exit: number | string; seconds: number }[] = [];
for (const name of names) {
  const script = fileURLToPath(new URL(`./${BENCHES[name]}`, import.meta.url));
  process.stdout.write(`\n=== bench ${name} ===\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit' });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  runs.push({ name, exit: r.status ?? String(r.signal), seconds: Number(secs) });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`=== ${name}: exit ${r.status ?? r.signal} after ${secs} s ===\n`);
  } else {
    process.stdout.write(`=== ${name}: done in ${secs} s ===\n`);
  }
}
// each bench printed its own figures (its last JSON line); this run's, one JSON object on the last line
process.stdout.write(`${JSON.stringify({ benches: runs })}\n`);
process.exitCode = failed > 0 ? 1 : 0;
