/**
 * npm run bench:encode — the encoder's speed per CPU-second with its token
 * caches on and off, and its peak memory, each measured in a child process
 * (peak RSS from the kernel, worker threads included; the CSV is generated
 * by the parent first, so only the encode is timed and measured).
 *
 *   node dist/bench/encode.js [--rows 100000] [--workers N] [--million] [--body text|binary]
 *
 * Runs: P-20W rows (protocols/schemas/p20w-person.json, the shipped schema:
 * hardening and evidence filters included) with caches on and off;
 * FEBRL-like rows (protocols/compat/febrl-clkhash.json, clkhash's FEBRL
 * schema; mostly distinct values: what real data approaches) with caches off
 * and on; the FEBRL-like rows, caches off, with 1 and with 2 workers (workers
 * parse their own byte ranges; wall-clock rows per second and the ratio);
 * with --million, 1,000,000 P-20W rows for the peak memory (main thread and
 * the default workers, one per core; peakMiB1M is the larger). Default
 * --workers 0 for the first runs (main thread: the per-CPU-second rate of
 * one thread). Last line: one JSON object of figures.
 * Exit codes: 0 figures printed; 2 bad option; 3 environment error; 70 internal error.
 *
 * Child mode (used here and by bench/anchors.ts):
 *   node dist/bench/encode.js --child --input F --schema S [--cache on|off] [--workers N] [--body text|binary]
 * prints {"encoded", "seconds", "cpuSeconds", "perCpuS", "peakMiB"}.
 */
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir, availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { realpathSync, createWriteStream } from 'node:fs';
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

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const STATES = ['nsw', 'vic', 'qld', 'wa', 'sa', 'tas', 'act', 'nt'];

/**
 * FEBRL-like rows for protocols/compat/febrl-clkhash.json (rec_id, given_name,
 * surname, street_number, address_1, address_2, suburb, postcode, state,
 * date_of_birth, soc_sec_id), with mostly distinct random values: the
 * uncached case that real data with many distinct values approaches.
 * Written straight to `path` (no whole-file string in memory).
 */
export async function writeFebrlCsv(path: string, rows: number, seed = 17): Promise<void> {
  const r = rng(seed);
  const word = (min: number, max: number) => {
    const len = min + Math.floor(r() * (max - min + 1));
    let w = '';
    for (let i = 0; i < len; i++) w += LETTERS[Math.floor(r() * 26)]!;
    return w;
  };
  const digits = (k: number) => String(Math.floor(r() * 10 ** k)).padStart(k, '0');
  const out = createWriteStream(path, { mode: 0o600 });
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((res) => out.once('drain', () => res())));
  await write('rec_id,given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const dob = `${1920 + Math.floor(r() * 85)}${String(1 + Math.floor(r() * 12)).padStart(2, '0')}${String(1 + Math.floor(r() * 28)).padStart(2, '0')}`;
    buf += `rec-${i}-org,${word(4, 9)},${word(5, 10)},${1 + Math.floor(r() * 300)},${word(5, 10)} street,${word(4, 10)},${word(5, 12)},${1000 + Math.floor(r() * 9000)},${STATES[Math.floor(r() * 8)]},${dob},${digits(7)}\n`;
    if (buf.length > 1 << 16) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
}

/** Write the P-20W synthetic CSV in pieces (no whole-file string for 1M rows). */
export async function writeP20wCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path, { mode: 0o600 });
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((res) => out.once('drain', () => res())));
  const piece = 50_000;
  // syntheticCsv is deterministic per seed; pieces use seeds 20, 21, ... and renumber ids.
  for (let done = 0, k = 0; done < rows; done += piece, k++) {
    const n = Math.min(piece, rows - done);
    let text = syntheticCsv(n, 20 + k);
    if (k > 0) text = text.slice(text.indexOf('\n') + 1);
    text = text.replace(/^S(\d{8})/gm, (_m, d: string) => `S${String(Number(d) + done).padStart(8, '0')}`);
    await write(text);
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
}

export interface EncodeRun {
  encoded: number;
  seconds: number;
  cpuSeconds: number;
  perCpuS: number;
  peakMiB: number;
}

/** Encode `input` in a child process of this script; its figures. workers 'default': what `p20link encode` chooses (one per core for a large input). */
export function runEncodeChild(input: string, schema: string, opts: { cache: boolean; workers: number | 'default'; body?: 'text' | 'binary' }): EncodeRun {
  const self = fileURLToPath(import.meta.url);
  const args = [self, '--child', '--input', input, '--schema', schema, '--cache', opts.cache ? 'on' : 'off', '--workers', String(opts.workers), '--body', opts.body ?? 'text'];
  const p = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (p.status !== 0) throw new Error(`encode child failed (status ${p.status}): ${(p.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!) as EncodeRun;
}

/**
 * The 1M-row memory target, measured as a user runs it: 1,000,000 synthetic
 * P-20W rows encoded (caches on) with `workers` (default: the main thread) and
 * with the default workers; each run labelled, and the one with the larger peak.
 */
export async function encodeMillion(dir: string, schema: string, workers = 0, body: 'text' | 'binary' = 'text'): Promise<{ runs: { label: string; run: EncodeRun }[]; peak: EncodeRun }> {
  const big = join(dir, 'people-1m.csv');
  await writeP20wCsv(big, 1_000_000);
  try {
    const runs = [
      { label: workers === 0 ? 'main thread' : `${workers} workers`, run: runEncodeChild(big, schema, { cache: true, workers, body }) },
      { label: `default workers (${availableParallelism()} cores)`, run: runEncodeChild(big, schema, { cache: true, workers: 'default', body }) },
    ];
    return { runs, peak: runs[0]!.run.peakMiB >= runs[1]!.run.peakMiB ? runs[0]!.run : runs[1]!.run };
  } finally {
    await rm(big, { force: true });
  }
}

async function child(args: string[]): Promise<void> {
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const input = opt('--input')!;
  const output = `${input}.${process.pid}.enc`;
  const secret = new TextEncoder().encode('p20link benchmark secret, not for real data');
  const cpu0 = process.cpuUsage();
  const s = await encodeFile({
    input,
    output,
    schema: opt('--schema')!,
    secret,
    party: 'bench',
    ...(opt('--workers') === 'default' ? {} : { workers: Number(opt('--workers') ?? 0) }),
    body: (opt('--body') ?? 'text') as 'text' | 'binary',
    ...(opt('--cache') === 'off' ? { cacheSize: 0 } : {}),
    allowUnhardened: true, // febrl-clkhash.json is clkhash's own schema, as the comparison needs
    force: true,
  });
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  await rm(output, { force: true });
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ encoded: s.encoded, seconds: s.seconds, cpuSeconds, perCpuS: s.encoded / cpuSeconds, peakMiB } satisfies EncodeRun));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--child')) return child(args);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const rows = Number(opt('--rows') ?? 100_000);
  const workers = Number(opt('--workers') ?? 0);
  const body = (opt('--body') ?? 'text') as 'text' | 'binary';
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(workers) || workers < 0 || (body !== 'text' && body !== 'binary')) {
    process.stderr.write('bench:encode: --rows must be a whole number >= 1, --workers >= 0, --body text|binary\n');
    process.exit(2);
  }
  const million = args.includes('--million');
  const dir = await mkdtemp(join(tmpdir(), 'p20link-bench-'));
  try {
    const p20w = join(dir, 'people.csv');
    await writeP20wCsv(p20w, rows);
    await chmod(p20w, 0o600);
    const febrl = join(dir, 'febrl.csv');
    await writeFebrlCsv(febrl, rows);
    const schemaP20w = resolve(process.cwd(), 'protocols/schemas/p20w-person.json');
    const schemaFebrl = resolve(process.cwd(), 'protocols/compat/febrl-clkhash.json');
    const line = (what: string, r: EncodeRun) =>
      console.log(`${what.padEnd(34)} ${Math.round(r.perCpuS).toLocaleString('en-US').padStart(8)} rows per CPU-second  (${r.encoded} rows, ${r.seconds.toFixed(2)} s, ${r.cpuSeconds.toFixed(2)} CPU-s, peak RSS ${r.peakMiB.toFixed(0)} MiB)`);
    console.log(`bench:encode — ${rows.toLocaleString('en-US')} rows, workers ${workers === 0 ? 'none (main thread)' : workers}, body ${body}, cores ${availableParallelism()}, load ${loadavg()[0]!.toFixed(2)}`);
    const on = runEncodeChild(p20w, schemaP20w, { cache: true, workers, body });
    line('P-20W, caches on', on);
    const off = runEncodeChild(p20w, schemaP20w, { cache: false, workers, body });
    line('P-20W, caches off', off);
    const fOff = runEncodeChild(febrl, schemaFebrl, { cache: false, workers, body });
    line('FEBRL-like, caches off', fOff);
    const fOn = runEncodeChild(febrl, schemaFebrl, { cache: true, workers, body });
    line('FEBRL-like, caches on', fOn);
    // Workers parse their own byte ranges: 1 worker vs 2 (wall-clock rows per second is what workers buy).
    const w1 = runEncodeChild(febrl, schemaFebrl, { cache: false, workers: 1, body });
    line('FEBRL-like, caches off, 1 worker', w1);
    const w2 = runEncodeChild(febrl, schemaFebrl, { cache: false, workers: 2, body });
    line('FEBRL-like, caches off, 2 workers', w2);
    const perS = (r: EncodeRun) => r.encoded / r.seconds;
    console.log(`workers: 1 worker ${Math.round(perS(w1)).toLocaleString('en-US')} rows/s (${w1.seconds.toFixed(2)} s), 2 workers ${Math.round(perS(w2)).toLocaleString('en-US')} rows/s (${w2.seconds.toFixed(2)} s): 2 / 1 = ${(perS(w2) / perS(w1)).toFixed(2)}`);
    let m1: EncodeRun | null = null;
    if (million) {
      const m = await encodeMillion(dir, schemaP20w, workers, body);
      for (const r of m.runs) line(`P-20W 1,000,000 rows, caches on, ${r.label}`, r.run);
      m1 = m.peak;
      console.log(`peak RSS at 1M rows: ${m.runs.map((r) => r.run.peakMiB.toFixed(0)).join(' / ')} MiB (target < 300 MiB)`);
    }
    const r0 = (x: number) => Math.round(x);
    console.log(
      JSON.stringify({
        rows,
        workers,
        body,
        p20wPerCpuS: r0(on.perCpuS),
        p20wUncachedPerCpuS: r0(off.perCpuS),
        febrlUncachedPerCpuS: r0(fOff.perCpuS),
        febrlPerCpuS: r0(fOn.perCpuS),
        febrlUncached1WorkerPerCpuS: r0(w1.perCpuS),
        febrlUncached2WorkersPerCpuS: r0(w2.perCpuS),
        febrlUncached1WorkerRowsPerS: r0(perS(w1)),
        febrlUncached2WorkersRowsPerS: r0(perS(w2)),
        twoWorkersVsOne: Math.round((100 * perS(w2)) / perS(w1)) / 100,
        peakMiB: r0(Math.max(on.peakMiB, off.peakMiB, fOff.peakMiB, fOn.peakMiB, w1.peakMiB, w2.peakMiB)),
        peakMiB1M: m1 ? r0(m1.peakMiB) : null,
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Run only as a program (importing the module, e.g. for syntheticCsv, runs nothing). */
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const env = ['ENOSPC', 'EACCES', 'EROFS', 'ENAMETOOLONG', 'EPERM', 'EMFILE'].includes(code);
    process.stderr.write(`bench:encode: ${env ? 'environment error' : 'internal error'}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = env ? 3 : 70;
  }
}
