/**
 * `npm run bench:release`: the disclosure-control benchmarks.
 *  1. kcheck of a 1,000,000-row synthetic student file (streamed to a temp
 *     CSV first), QIs school, grade, sex, race, birth year, ZIP; sensitive
 *     FRL and special-education status; then a repair of the same file
 *     (birth year to 2-year bands, ZIP to 3 digits, race to coarser groups).
 *  2. The table-suppression benchmark from bench/release-table.ts
 *     (benchTable), when that module is present.
 *  3. The correctness section (bench/release-correctness.ts): random tables
 *     suppressed, then attacked with exact integer bounds; last line
 *     {"tables", "exposedCells", "refusedProtectable", "costRatioP90"}.
 * Prints seconds and peak RSS; no pass/fail thresholds (figures, not tests).
 * Env: P20_BENCH_ROWS (default 1,000,000), P20_BENCH_RELEASE=kcheck|table|correctness,
 * P20_BENCH_TABLES (correctness: number of tables, default 48).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { kcheckFile } from '../src/release/kanon/kcheck.js';
import { repairFile } from '../src/release/kanon/repair.js';
import type { KCheckSpec } from '../src/release/kanon/types.js';
import { mulberry32 as rng } from '../src/synth/prng.js';

const ROWS = Number(process.env.P20_BENCH_ROWS ?? 1_000_000);

function peakRssMiB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

const RACES = ['White', 'Hispanic', 'Black', 'Asian', 'Two or more', 'American Indian', 'Pacific Islander'];
const RACE_P = [0.5, 0.24, 0.14, 0.06, 0.04, 0.015, 0.005];
const GRADES = ['K', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];

function pick<T>(r: number, items: readonly T[], p: readonly number[]): T {
  let acc = 0;
  for (let i = 0; i < items.length; i++) {
    acc += p[i]!;
    if (r < acc) return items[i]!;
  }
  return items[items.length - 1]!;
}

/** Stream a synthetic state student file: 600 schools in 120 ZIP codes. */
async function writeStudents(path: string, rows: number): Promise<void> {
  const rand = rng(20260101);
  const out = createWriteStream(path);
  out.write('student_ref,school,grade,sex,race,birth_year,zip,frl,sped,scale_score\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const school = Math.floor(rand() * rand() * 600); // skewed: some large, many small schools
    const g = Math.floor(rand() * 13);
    const sexR = rand();
    const sex = sexR < 0.003 ? 'X' : sexR < 0.5 ? 'F' : 'M';
    const race = pick(rand(), RACES, RACE_P);
    const birthYear = 2020 - g - (rand() < 0.15 ? 1 : 0) - (rand() < 0.02 ? 1 : 0);
    const zip = String(1000 + ((school * 7919) % 120) * 13).padStart(5, '0');
    const frl = rand() < 0.45 ? 'Y' : 'N';
    const sped = rand() < 0.14 ? 'Y' : 'N';
    const score = 200 + Math.floor(rand() * 200);
    chunk += `S${i},SCH${String(school).padStart(3, '0')},${GRADES[g]},${sex},${race},${birthYear},${zip},${frl},${sped},${score}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.end(chunk);
  await finished(out);
}

const SPEC: KCheckSpec = {
  version: 1,
  quasiIdentifiers: ['school', 'grade', 'sex', 'race', 'birth_year', 'zip'],
  sensitive: ['frl', 'sped'],
  k: 5,
  l: 2,
  hierarchies: {
    school: { type: 'suppress', maxLevel: 0 },
    grade: { type: 'suppress', maxLevel: 0 },
    birth_year: { type: 'interval', widths: [2, 4], origin: 2000 },
    zip: { type: 'prefix', keep: [3] },
    race: {
      type: 'map',
      levels: [{ map: { White: 'White', Hispanic: 'Hispanic', Black: 'Black', Asian: 'Asian/PI', 'Pacific Islander': 'Asian/PI' }, other: 'Other' }],
    },
  },
  repair: { maxSuppressedFraction: 0.05, suppression: 'local' },
};

async function benchKcheck(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'p20-bench-release-'));
  try {
    const input = join(dir, 'students.csv');
    let t = performance.now();
    await writeStudents(input, ROWS);
    const mib = statSync(input).size / 2 ** 20;
    console.log(`kcheck: generated ${ROWS} rows (${mib.toFixed(1)} MiB) in ${((performance.now() - t) / 1000).toFixed(2)} s`);

    t = performance.now();
    const r = await kcheckFile({ input, spec: SPEC });
    const checkSecs = (performance.now() - t) / 1000;
    console.log(
      `kcheck: ${r.rows} rows, ${r.classes} classes, k = ${r.k}, ${r.recordsBelowK} records below k = ${r.requiredK}, ` +
        `l(frl) = ${r.diversity[0]!.distinctL}, l(sped) = ${r.diversity[1]!.distinctL}: ${r.passed ? 'PASS' : 'FAIL'}`,
    );
    console.log(`kcheck: ${checkSecs.toFixed(2)} s (${Math.round(r.rows / checkSecs)} rows/s), peak RSS ${peakRssMiB()} MiB`);

    t = performance.now();
    const rep = await repairFile({ input, output: join(dir, 'repaired.csv'), spec: SPEC });
    const repSecs = (performance.now() - t) / 1000;
    const levels = rep.loss.perQi.map((q) => `${q.qi}=${q.description}`).join(', ');
    console.log(
      `repair: ${rep.written ? 'written' : `not written (${rep.reason ?? ''})`}; ${rep.strategyUsed} search, ${rep.evaluated} of ${rep.latticeSize} level combinations evaluated; ${levels}; ` +
        `suppressed ${rep.loss.suppressedRecords} records (${(rep.loss.suppressedFraction * 100).toFixed(2)}%), precision ${rep.loss.precision}; ` +
        `after: k = ${rep.after?.k ?? '-'} ${rep.after?.passed ? 'PASS' : 'FAIL'}`,
    );
    console.log(`repair: ${repSecs.toFixed(2)} s (two passes, search and re-check), peak RSS ${peakRssMiB()} MiB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchTables(): Promise<void> {
  const specifier = './release-table.js';
  let mod: { benchTable?: (print?: boolean) => Promise<unknown> };
  try {
    mod = (await import(specifier)) as typeof mod;
  } catch (e) {
    console.log(`suppress: skipped (bench/release-table.ts not available: ${(e as Error).message.split('\n')[0]})`);
    return;
  }
  if (typeof mod.benchTable !== 'function') {
    console.log('suppress: skipped (bench/release-table.ts exports no benchTable)');
    return;
  }
  await mod.benchTable(true);
}

// P20_BENCH_RELEASE=kcheck, =table or =correctness runs one part only (default: all).
// The correctness section (bench/release-correctness.ts) runs last: its JSON line is the bench's last line.
const only = process.env.P20_BENCH_RELEASE ?? 'all';
if (only === 'all' || only === 'kcheck') await benchKcheck();
if (only === 'all' || only === 'table') await benchTables();
if (only === 'all' || only === 'correctness') await (await import('./release-correctness.js')).benchCorrectness(true);
