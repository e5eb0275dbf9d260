/**
 * npm run bench:encode — encode 100,000 synthetic person rows with the default
 * P-20W schema (protocols/schemas/p20w-person.json) and print records/s and
 * peak memory. Rows are generated here, deterministically (fixed seed), and
 * written to a temp CSV first; only the encode is timed.
 *
 *   node dist/bench/encode.js [--rows N] [--workers N]
 */
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeFile } from '../src/encode/pipeline.js';
import { mulberry32 as rng } from '../src/synth/prng.js';

const FIRST = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara',
  'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Christopher', 'Karen', 'Charles', 'Lisa', 'Daniel', 'Nancy',
  'Matthew', 'Betty', 'Anthony', 'Sandra', 'Mark', 'Margaret', 'José', 'María', 'Luis', 'Sofía', 'Nguyễn', 'Zoë', 'Anne-Marie',
  'Jean-Luc', 'Aaliyah', 'Mohammed', 'Wei', 'Priya', 'Olumide', 'Siobhán', 'Björn', 'Chloé', 'Dmitri', 'Keanu', 'Leilani',
  'Diego', 'Valentina', 'Camila', 'Mateo', 'Santiago', 'Isabella', 'Emma', 'Olivia', 'Liam', 'Noah', 'Ava', 'Mia', 'Ethan',
];
const LAST = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson',
  'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'García-López', 'de la Cruz', "O'Brien",
  'Van der Berg', 'Nguyen', 'Tran', 'Kim', 'Patel', 'Müller', 'Søreide', 'Okafor', 'Kealoha', 'Begay', 'Yazzie', 'Smith Jr.',
  'MacDonald', 'St. John', 'Núñez', 'Chávez', 'Flores Gutierrez', 'Washington', 'Young', 'Allen', 'King', 'Wright', 'Scott',
];
const ZIPS = ['97501', '97502', '97503', '97101', '97102', '97301', '97210', '97801', '97410', '97620', '97705', '97910'];

export function syntheticCsv(rows: number, seed = 20): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const pad = (n: number) => String(n).padStart(2, '0');
  const out: string[] = ['id,first_name,middle_name,last_name,birth_date,sex,zip'];
  for (let i = 0; i < rows; i++) {
    const y = 1985 + Math.floor(r() * 25);
    const m = 1 + Math.floor(r() * 12);
    const d = 1 + Math.floor(r() * 28);
    const layout = r();
    const dob = layout < 0.4 ? `${y}-${pad(m)}-${pad(d)}` : layout < 0.8 ? `${pad(m)}/${pad(d)}/${y}` : `${y}${pad(m)}${pad(d)}`;
    const sex = pick(['M', 'F', 'F', 'M', 'male', 'female', 'U', '']);
    const zip = r() < 0.1 ? '' : pick(ZIPS) + (r() < 0.2 ? '-' + String(1000 + Math.floor(r() * 9000)) : '');
    const middle = r() < 0.3 ? '' : pick(FIRST);
    const q = (s: string) => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    out.push([`S${String(i).padStart(8, '0')}`, q(pick(FIRST)), q(middle), q(pick(LAST)), dob, sex, zip].join(','));
  }
  return out.join('\n') + '\n';
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const rows = Number(opt('--rows') ?? 100_000);
  const workers = opt('--workers') !== undefined ? Number(opt('--workers')) : undefined; // default: the pipeline's choice
  const dir = await mkdtemp(join(tmpdir(), 'p20link-bench-'));
  try {
    const input = join(dir, 'people.csv');
    await writeFile(input, syntheticCsv(rows));
    await chmod(input, 0o600);
    // A fixed, obviously non-production secret: the bench measures speed only.
    const secret = new TextEncoder().encode('p20link benchmark secret, not for real data');
    const schema = resolve(process.cwd(), 'protocols/schemas/p20w-person.json');
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const cpu0 = process.cpuUsage();
    const s = await encodeFile({ input, output: join(dir, 'people.enc'), schema, secret, party: 'bench', ...(workers !== undefined ? { workers } : {}) });
    clearInterval(timer);
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6; // all threads of the process
    peak = Math.max(peak, process.memoryUsage().rss);
    const rate = Math.round(s.encoded / s.seconds);
    console.log(`encode: ${s.encoded} records in ${s.seconds.toFixed(2)} s = ${rate} records/s ` +
      `(workers ${s.workers === 0 ? 'none (main thread)' : s.workers}, cores ${availableParallelism()}); ` +
      `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (whole process, workers included); target ≥ 50000 records/s\n` +
      `  CPU time ${cpuSeconds.toFixed(2)} s (all threads) = ${Math.round(s.encoded / cpuSeconds)} records per CPU-second; ` +
      `load average ${loadavg()[0]!.toFixed(1)} (a loaded machine lowers records/s, not records per CPU-second)`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run only as a program (importing the module, e.g. for syntheticCsv, runs nothing). */
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
