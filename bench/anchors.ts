/**
 * npm run bench:anchors — p20link's Dice kernel side by side with its
 * anchors on the same generated data, one thread each, per CPU-second:
 *
 *  - anonlink (the reference C++ Dice kernel) when a local `python3` can
 *    import it (docs/benchmarks.md says how to set it up from Debian
 *    packages and its source); otherwise p20link's figures are printed alone
 *    and the anchor is reported as not found;
 *  - "the machine's limit": our own C vector-popcount reference kernel
 *    (src/link/kernel/native/limit.c), compiled here with the local
 *    `cc -O3 -march=native`; skipped with a message when there is no compiler.
 *
 * The runs are interleaved (p20link, anonlink, limit; repeated) so that a
 * change in machine load hits all of them; the median of the rounds is used.
 * Nothing is fetched from the network.
 *
 * Encode: FEBRL-like generated rows with mostly distinct values
 * (bench/encode.ts writeFebrlCsv), protocols/compat/febrl-clkhash.json (clkhash's FEBRL schema), encoded by
 * p20link in a child process with its token caches off, one thread, and by
 * clkhash's generate_clks (max_workers=1) when the Python can import it;
 * rows per CPU-second, interleaved, medians; `encodeVsClkhash` is their
 * ratio. `encodePeakMiB1M` is the peak RSS of a child process encoding
 * 1,000,000 P-20W rows, the larger of the main thread and the default
 * workers (one per core) (skip with --skip-1m).
 *
 * Options: --n 20000 (rows per party)  --t 0.8  --rounds 3  --python python3
 *          --encode-rows 100000  --skip-1m  --whole-rounds 9 (whole-link rounds)
 *          --only whole-link (only the whole link; the other figures null)
 * Last line: {"encodeVsClkhash": r|null, "diceVsAnonlink": r|null, "diceVsLimit": s|null, "encodePeakMiB1M": m|null, "encodePerCpuS": p20link's uncached encode rate, "wholeLinkVsAnonlink": anonlink / p20link wall seconds|null, "wholeLinkSeconds": p20link's}
 * Without clkhash, the encode rate is also compared with the reference
 * figures of an earlier run (CLKHASH_REFERENCE; printed, not in the ratio).
 * Exit codes: 0 figures printed; 1 an anchor found a different number of
 * pairs than p20link on the same data (the figures do not verify); 2 bad
 * option; 3 environment error (temporary files); 70 internal error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '../src/link/kernel/native.js';
import { randomParty, timeDice } from './dice.js';
import { encodeMillion, runEncodeChild, writeFebrlCsv } from './encode.js';
import { encodeFile } from '../src/encode/index.js';
import { openEncoded } from '../src/format/encoded-file.js';

function arg(name: string, d: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : d;
}

const n = Number(arg('n', '20000'));
const t = Number(arg('t', '0.8'));
const rounds = Number(arg('rounds', '3'));
const encodeRows = Number(arg('encode-rows', '100000'));
const skip1m = process.argv.includes('--skip-1m');
/** Rounds of the whole link (about a second each): more than the others, its figure is one process's wall clock. */
const wholeRounds = Number(arg('whole-rounds', '9'));
const only = arg('only', '');
if (
  !Number.isInteger(n) || n < 8 || !(t > 0 && t <= 1) || !Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(encodeRows) || encodeRows < 100 ||
  !Number.isInteger(wholeRounds) || wholeRounds < 1 || (only !== '' && only !== 'whole-link')
) {
  process.stderr.write('bench:anchors: --n must be a whole number >= 8, --t in (0, 1], --rounds and --whole-rounds >= 1, --encode-rows >= 100, --only whole-link or nothing\n');
  process.exit(2);
}
let mismatch = false;
const python = arg('python', process.env.P20LINK_ANCHOR_PYTHON ?? 'python3');
const root = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../' : '../', import.meta.url));
const limitSrc = join(root, 'src', 'link', 'kernel', 'native', 'limit.c');

const median = (xs: number[]): number => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const m = (x: number) => `${(x / 1e6).toFixed(1)} M pairs/cpu-s`;

/** Which anchors a local Python can import: { anonlink?: version, clkhash?: version }. */
function probePython(): { anonlink?: string; clkhash?: string; error?: string } {
  const code =
    'import json\nr={}\nfor m in ("anonlink","clkhash"):\n  try:\n    mod=__import__(m); r[m]=getattr(mod,"__version__","?")\n  except Exception as e:\n    pass\nprint(json.dumps(r))';
  const p = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  if (p.error || p.status !== 0) return { error: p.error ? p.error.message : (p.stderr || '').trim().split('\n').pop() ?? `exit ${p.status}` };
  try {
    return JSON.parse(p.stdout.trim().split('\n').pop() ?? '{}') as { anonlink?: string; clkhash?: string };
  } catch {
    return { error: 'unreadable answer' };
  }
}

/** anonlink's Dice on the same rows (files of n x 128 bytes), timed in Python by process_time(). */
const ANONLINK_PY = `
import json, sys, time
from bitarray import bitarray
import anonlink
def load(path, n):
    data = open(path, 'rb').read()
    out = []
    for i in range(n):
        b = bitarray(endian='little')
        b.frombytes(data[i * 128:(i + 1) * 128])
        out.append(b)
    return out
n = int(sys.argv[3]); t = float(sys.argv[4])
A = load(sys.argv[1], n); B = load(sys.argv[2], n)
t0 = time.process_time()
res = anonlink.similarities.dice_coefficient_accelerated((A, B), t)
cpu = time.process_time() - t0
print(json.dumps({"kept": len(res[0]), "cpu": cpu}))
`;

/** clkhash's generate_clks on the same CSV, one process (max_workers=1), timed by process_time(). */
const CLKHASH_PY = `
import json, sys, time, csv
from clkhash import clk
from clkhash.schema import from_json_dict
d = json.load(open(sys.argv[1])); d.pop('p20link', None)
schema = from_json_dict(d)
rows = list(csv.reader(open(sys.argv[2], newline='')))[1:]
t0 = time.process_time()
out = clk.generate_clks(rows, schema, sys.argv[3], max_workers=1)
cpu = time.process_time() - t0
print(json.dumps({"rows": len(out), "cpu": cpu}))
`;

/**
 * anonlink's whole link of two clkhash-format CLK files ({"clks": [base64, ...]}, what clkhash writes):
 * load, candidate pairs at Dice >= t, its greedy 1:1 solver, write the links. Timed as a whole process
 * (wall clock, start-up included), as p20link's CLI is.
 */
const ANONLINK_LINK_PY = `
import json, sys, base64
from bitarray import bitarray
import anonlink
def load(path):
    out = []
    for s in json.load(open(path))['clks']:
        b = bitarray(endian='big')
        b.frombytes(base64.b64decode(s))
        out.append(b)
    return out
A = load(sys.argv[1]); B = load(sys.argv[2]); t = float(sys.argv[3])
cands = anonlink.candidate_generation.find_candidate_pairs([A, B], anonlink.similarities.dice_coefficient_accelerated, t)
groups = anonlink.solving.greedy_solve(cands)
links = 0
with open(sys.argv[4], 'w') as f:
    for g in groups:
        if len(g) == 2:
            (da, ia), (db, ib) = sorted(g)
            f.write('%d,%d\\n' % (ia, ib))
            links += 1
print(json.dumps({"links": links}))
`;

/**
 * Whole link of FEBRL dataset4a x dataset4b (../shared/data/febrl), the same CLKs on both sides:
 * p20link encodes them with clkhash's FEBRL schema and the binary body (untimed; each tool reads
 * its own file format: p20link's binary body, anonlink the JSON clkhash writes); then, interleaved, `p20link link`
 * (one process: start-up, loading, Dice over all pairs at t, 1:1 resolution, outputs; one scoring
 * worker, no blocking) and anonlink's whole link (above). Wall seconds, medians; the ratio is
 * anonlink / p20link (above 1: p20link is faster). Null when the data or anonlink is missing.
 */
async function wholeLinkAnchors(dir: string, haveAnonlink: boolean): Promise<{ ratio: number | null; ours: number | null; theirs: number | null }> {
  const data = join(root, '..', 'shared', 'data', 'febrl');
  if (!existsSync(join(data, 'dataset4a.csv')) || !existsSync(join(data, 'dataset4b.csv'))) {
    console.log('\nwhole link FEBRL 4a x 4b skipped: ../shared/data/febrl not found');
    return { ratio: null, ours: null, theirs: null };
  }
  const schema = join(root, 'protocols', 'compat', 'febrl-clkhash.json');
  const secret = new TextEncoder().encode('p20link benchmark secret, not for real data');
  const encs: string[] = [];
  const clkFiles: string[] = [];
  for (const part of ['4a', '4b']) {
    const enc = join(dir, `febrl${part}.enc`);
    await encodeFile({ input: join(data, `dataset${part}.csv`), output: enc, schema, secret, party: `febrl${part}`, csv: { trim: true }, allowUnhardened: true, force: true, body: 'binary' });
    encs.push(enc);
    const clks: string[] = [];
    const r = await openEncoded(enc);
    for await (const batch of r.batches) for (const row of batch) clks.push(Buffer.from(row.clk).toString('base64'));
    const f = join(dir, `febrl${part}.clks.json`);
    writeFileSync(f, JSON.stringify({ clks }));
    clkFiles.push(f);
  }
  const cli = join(root, 'bin', 'p20link.js');
  console.log(`\nwhole link FEBRL 4a x 4b (5,000 x 5,000, same CLKs), threshold ${t}, ${wholeRounds} interleaved rounds, wall seconds, start-up included`);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < wholeRounds; r++) {
    const out = join(dir, `link-${r}`);
    const t0 = performance.now();
    const p = spawnSync(process.execPath, [cli, 'link', ...encs, '--out', out, '--threshold', String(t), '--blocking', 'none', '--model', 'dice', '--workers', '1', '--quiet'], { encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    if (p.status !== 0) throw new Error(`p20link link failed (status ${p.status}): ${(p.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
    ours.push(s);
    const rep = JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')) as { counts: { acceptedLinks: number }; timings?: Record<string, number> };
    const links = rep.counts.acceptedLinks;
    // where the process's time went: the run's own stages (run-report.json timings), the rest is start-up, option parsing, header checks and the run report
    const stages = Object.entries(rep.timings ?? {});
    const inStages = stages.reduce((a, [, v]) => a + v, 0);
    const breakdown = stages.map(([k, v]) => `${k.replace(/:.*/, '')} ${v.toFixed(2)}`).join(', ');
    console.log(`  round ${r + 1}: p20link  ${s.toFixed(2)} s (${links} links; ${breakdown}; start-up and the rest ${(s - inStages).toFixed(2)})`);
    rmSync(out, { recursive: true, force: true });
    if (haveAnonlink) {
      const t1 = performance.now();
      const q = spawnSync(python, ['-c', ANONLINK_LINK_PY, clkFiles[0]!, clkFiles[1]!, String(t), join(dir, 'anonlink-links.csv')], { encoding: 'utf8', maxBuffer: 1 << 26 });
      const s2 = (performance.now() - t1) / 1000;
      if (q.status === 0) {
        theirs.push(s2);
        const res = JSON.parse(q.stdout.trim().split('\n').pop()!) as { links: number };
        console.log(`  round ${r + 1}: anonlink ${s2.toFixed(2)} s (${res.links} links, greedy solver)`);
      } else console.log(`  round ${r + 1}: anonlink failed: ${(q.stderr || '').trim().split('\n').pop()}`);
    }
  }
  const o = median(ours);
  const a = theirs.length ? median(theirs) : null;
  const ratio = a !== null ? a / o : null;
  console.log(`whole link: p20link ${o.toFixed(2)} s` + (a !== null && ratio !== null ? `; anonlink ${a.toFixed(2)} s; anonlink / p20link = ${ratio.toFixed(2)} (target > 1)` : ' (anonlink not found)'));
  return { ratio, ours: o, theirs: a };
}

/** Encode side: p20link (caches off) and clkhash on the same FEBRL-like rows; the 1M-row peak. */
/** clkhash 0.18.3 on these rows, measured on this machine by an earlier run of this bench (rows per CPU-second): the reference when clkhash is not installed. */
const CLKHASH_REFERENCE = [4_800, 6_600] as const;

async function encodeAnchors(dir: string, haveClkhash: boolean): Promise<{ ratio: number | null; peak1M: number | null; perCpuS: number }> {
  const csvPath = join(dir, 'febrl-like.csv');
  await writeFebrlCsv(csvPath, encodeRows);
  const schema = join(root, 'protocols', 'compat', 'febrl-clkhash.json');
  const secret = 'p20link benchmark secret, not for real data';
  const ours: number[] = [];
  const theirs: number[] = [];
  console.log(`\nencode — ${encodeRows.toLocaleString('en-US')} FEBRL-like rows (mostly distinct values), febrl-clkhash.json, 1 thread, p20link caches off`);
  for (let r = 0; r < rounds; r++) {
    const o = runEncodeChild(csvPath, schema, { cache: false, workers: 0 });
    ours.push(o.perCpuS);
    console.log(`  round ${r + 1}: p20link  ${Math.round(o.perCpuS).toLocaleString('en-US')} rows/cpu-s (${o.cpuSeconds.toFixed(2)} cpu-s, peak ${o.peakMiB.toFixed(0)} MiB)`);
    if (haveClkhash) {
      const p = spawnSync(python, ['-c', CLKHASH_PY, schema, csvPath, secret], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (p.status === 0) {
        const res = JSON.parse(p.stdout.trim().split('\n').pop()!) as { rows: number; cpu: number };
        theirs.push(res.rows / res.cpu);
        console.log(`  round ${r + 1}: clkhash  ${Math.round(res.rows / res.cpu).toLocaleString('en-US')} rows/cpu-s (${res.cpu.toFixed(2)} cpu-s)`);
      } else console.log(`  round ${r + 1}: clkhash failed: ${(p.stderr || '').trim().split('\n').pop()}`);
    }
  }
  const ratio = theirs.length ? median(ours) / median(theirs) : null;
  console.log(`p20link encode, caches off: ${Math.round(median(ours)).toLocaleString('en-US')} rows/cpu-s` + (ratio !== null ? `; clkhash ${Math.round(median(theirs)).toLocaleString('en-US')}; p20link / clkhash = ${ratio.toFixed(2)} (target >= 5)` : ' (clkhash not found)'));
  if (ratio === null) {
    const [lo, hi] = CLKHASH_REFERENCE;
    console.log(`  against the reference figures (clkhash 0.18.3, ${lo.toLocaleString('en-US')}–${hi.toLocaleString('en-US')} rows/cpu-s in an earlier run here, not this run): ${(median(ours) / hi).toFixed(2)}–${(median(ours) / lo).toFixed(2)}`);
  }
  let peak1M: number | null = null;
  if (!skip1m) {
    // What a user runs: the main thread, and the default workers; the figure is the larger peak.
    const m = await encodeMillion(dir, join(root, 'protocols', 'schemas', 'p20w-person.json'));
    peak1M = m.peak.peakMiB;
    for (const r of m.runs) console.log(`encode 1,000,000 P-20W rows, ${r.label}: peak RSS ${r.run.peakMiB.toFixed(0)} MiB (target < 300), ${Math.round(r.run.perCpuS).toLocaleString('en-US')} rows/cpu-s`);
  }
  return { ratio, peak1M, perCpuS: median(ours) };
}

async function main(): Promise<void> {
  console.log(`bench:anchors — 1024-bit CLKs, ${n.toLocaleString('en-US')} x ${n.toLocaleString('en-US')} all pairs, threshold ${t}, 1 thread each, ${rounds} interleaved rounds, load ${loadavg()[0]!.toFixed(2)}`);
  const a = randomParty('a', n, 11);
  const b = randomParty('b', n, 12, a);
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'p20-anchors-'));
  } catch (e) {
    process.stderr.write(`bench:anchors: cannot create a temporary folder (${(e as Error).message})\n`);
    process.exit(3);
  }
  try {
    const fa = join(dir, 'a.bin');
    const fb = join(dir, 'b.bin');
    writeFileSync(fa, a.clks.subarray(0, n * 128));
    writeFileSync(fb, b.clks.subarray(0, n * 128));

    const nat = nativeStatus();
    const kernel = nat.addon ? 'native' : 'wasm';
    console.log(`p20link kernel: ${kernel}${nat.addon ? ` (${nat.features})` : ` — ${nat.reason}`}`);

    const py = probePython();
    const haveAnonlink = py.anonlink !== undefined;
    console.log(
      haveAnonlink
        ? `anonlink ${py.anonlink} found (${python})`
        : `anonlink not found (${python}: ${py.error ?? 'cannot import anonlink'}); p20link figures alone — see docs/benchmarks.md to set the anchors up`,
    );
    console.log(py.clkhash !== undefined ? `clkhash ${py.clkhash} found (${python})` : `clkhash not found (${python}); p20link's encode figures alone — see docs/benchmarks.md`);
    if (only === 'whole-link') {
      const whole = await wholeLinkAnchors(dir, haveAnonlink);
      const r2 = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
      console.log(JSON.stringify({ encodeVsClkhash: null, diceVsAnonlink: null, diceVsLimit: null, encodePeakMiB1M: null, encodePerCpuS: null, wholeLinkVsAnonlink: r2(whole.ratio), wholeLinkSeconds: whole.ours === null ? null : r2(whole.ours) }));
      return;
    }

    let limitBin: string | null = null;
    try {
      limitBin = join(dir, 'limit');
      execFileSync(process.env.CC || 'cc', ['-O3', '-march=native', '-o', limitBin, limitSrc], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      limitBin = null;
      const why = e && typeof e === 'object' && 'stderr' in e && e.stderr ? String(e.stderr).split('\n')[0] : String(e);
      console.log(`C vector-popcount reference kernel skipped (no working cc -O3 -march=native: ${why})`);
    }

    const ours: number[] = [];
    const wasm: number[] = [];
    const anchor: number[] = [];
    const limit: number[] = [];
    let limitIsa = '';
    for (let r = 0; r < rounds; r++) {
      const o = await timeDice(a, b, 1, kernel, t);
      ours.push(o.perCpuS);
      console.log(`  round ${r + 1}: p20link ${kernel.padEnd(6)} ${m(o.perCpuS)}  (${o.kept} pairs >= ${t}, ${o.cpuS.toFixed(2)} cpu-s)`);
      if (kernel === 'native') {
        const w = await timeDice(a, b, 1, 'wasm', t);
        wasm.push(w.perCpuS);
        console.log(`  round ${r + 1}: p20link wasm   ${m(w.perCpuS)}`);
      }
      if (haveAnonlink) {
        const p = spawnSync(python, ['-c', ANONLINK_PY, fa, fb, String(n), String(t)], { encoding: 'utf8', maxBuffer: 1 << 30 });
        if (p.status === 0) {
          const res = JSON.parse(p.stdout.trim().split('\n').pop()!) as { kept: number; cpu: number };
          anchor.push((n * n) / res.cpu);
          if (res.kept !== o.kept) mismatch = true;
          console.log(`  round ${r + 1}: anonlink       ${m((n * n) / res.cpu)}  (${res.kept} pairs >= ${t}${res.kept === o.kept ? ', same count as p20link' : `, p20link found ${o.kept}!`})`);
        } else console.log(`  round ${r + 1}: anonlink failed: ${(p.stderr || '').trim().split('\n').pop()}`);
      }
      if (limitBin) {
        const out = execFileSync(limitBin, [String(n), String(t), fa, fb], { encoding: 'utf8' });
        const res = JSON.parse(out.trim()) as { isa: string; kept: number[]; simpleMPairsPerCpuS: number; blockedMPairsPerCpuS: number };
        limitIsa = res.isa;
        if (res.kept[0] !== o.kept) mismatch = true;
        const best = Math.max(res.simpleMPairsPerCpuS, res.blockedMPairsPerCpuS) * 1e6;
        limit.push(best);
        console.log(`  round ${r + 1}: C limit        ${m(best)}  (${res.isa}; simple ${res.simpleMPairsPerCpuS} M, blocked ${res.blockedMPairsPerCpuS} M; ${res.kept[0]} pairs)`);
      }
    }
    const oursM = median(ours);
    console.log(`\np20link ${kernel}: ${m(oursM)} (median of ${rounds})${wasm.length ? `; WebAssembly kernel ${m(median(wasm))}` : ''}`);
    const diceVsAnonlink = anchor.length ? oursM / median(anchor) : null;
    if (diceVsAnonlink !== null) console.log(`anonlink: ${m(median(anchor))}; p20link / anonlink = ${diceVsAnonlink.toFixed(2)} (target >= 1.5)`);
    const diceVsLimit = limit.length ? oursM / median(limit) : null;
    if (diceVsLimit !== null) console.log(`C ${limitIsa} limit: ${m(median(limit))}; p20link / limit = ${diceVsLimit.toFixed(2)} (target >= 0.5)`);
    const r2 = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
    if (mismatch) console.log('MISMATCH: a reference found a different number of pairs than p20link on the same data');
    const whole = await wholeLinkAnchors(dir, haveAnonlink);
    const enc = await encodeAnchors(dir, py.clkhash !== undefined);
    console.log(
      JSON.stringify({
        encodeVsClkhash: r2(enc.ratio),
        diceVsAnonlink: r2(diceVsAnonlink),
        diceVsLimit: r2(diceVsLimit),
        encodePeakMiB1M: enc.peak1M === null ? null : Math.round(enc.peak1M),
        encodePerCpuS: Math.round(enc.perCpuS),
        wholeLinkVsAnonlink: r2(whole.ratio),
        wholeLinkSeconds: whole.ours === null ? null : r2(whole.ours),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main();
  process.exitCode = mismatch ? 1 : 0;
} catch (e) {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const env = ['ENOSPC', 'EACCES', 'EROFS', 'ENAMETOOLONG', 'EPERM', 'EMFILE'].includes(code);
  process.stderr.write(`bench:anchors: ${env ? 'environment error' : 'internal error'}: ${e instanceof Error ? (env ? e.message : (e.stack ?? e.message)) : String(e)}\n`);
  process.exitCode = env ? 3 : 70;
}
