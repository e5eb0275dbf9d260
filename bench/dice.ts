/**
 * npm run bench:dice — comparisons per second of the Dice kernels on
 * 1024-bit filters, all pairs (no blocking), threshold 0.8:
 * 10k x 10k and 100k x 100k, native kernel (when built) and WebAssembly
 * kernel in one thread and on all cores, plus the plain JavaScript kernel on
 * a smaller job for scale. Options: --sizes 10000,100000  --workers N.
 * Prints figures, asserts nothing; the last line is one JSON object.
 */
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { nativeStatus } from '../src/link/kernel/native.js';
import type { KernelPreference } from '../src/link/kernel/ops.js';
import { makePackedPartyData } from '../src/link/pack.js';
import { scorePairs } from '../src/link/score.js';
import type { PartyData } from '../src/link/types.js';
import type { EncodedHeader } from '../src/format/encoded-file.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function header(l: number, party: string): EncodedHeader {
  return { format: 'p20link/encoded', version: 1, tool: 'bench', createdAt: new Date().toISOString(), party, schemaFingerprint: 'sha256:bench', keyCheckValue: 'bench', l, columns: ['id', 'clk'], rowCount: 0 } as EncodedHeader;
}

/**
 * n random 1024-bit CLKs, ~40% of bits set (xorshift; fast, not keyed).
 * With `copyOf`, every 7th row is a copy of that party's row, so some
 * pairs reach any threshold.
 */
export function randomParty(name: string, n: number, seed: number, copyOf?: PartyData): PartyData {
  const l = 1024;
  const stride = 128;
  const clks = new Uint8Array(n * stride);
  const w = new Uint32Array(clks.buffer);
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  for (let x = 0; x < w.length; x++) w[x] = (next() & next()) | (next() & next() & next()); // P(bit) ~ 0.25 + 0.125 - 0.03 ~ 0.34-0.4
  if (copyOf) for (let i = 0; i < Math.min(n, copyOf.count); i += 7) clks.set(copyOf.clks.subarray(i * stride, (i + 1) * stride), i * stride);
  return makePackedPartyData({ name, file: name, header: header(l, name), ids: Array.from({ length: n }, (_, i) => String(i)), clks, blocks: {} });
}

export interface DiceRun {
  pairs: number;
  wallS: number;
  cpuS: number;
  kept: number;
  /** Pairs per second of CPU time (the rate per fully available core). */
  perCpuS: number;
}

/** One all-pairs scorePairs call at threshold t, timed (wall and CPU). */
export async function timeDice(a: PartyData, b: PartyData, workers: number, kernel: KernelPreference, t = 0.8): Promise<DiceRun> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await scorePairs(a, b, { threshold: t, blocking: { kind: 'none' }, workers, kernel });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  const pairs = a.count * b.count;
  return { pairs, wallS, cpuS, kept: r.a.length, perCpuS: pairs / cpuS };
}

async function run(label: string, a: PartyData, b: PartyData, workers: number, kernel: KernelPreference): Promise<DiceRun> {
  const r = await timeDice(a, b, workers, kernel);
  console.log(
    `${label.padEnd(36)} ${String(r.pairs.toExponential(2)).padStart(9)} pairs  ${r.wallS.toFixed(2).padStart(7)} s  ` +
      `${(r.pairs / r.wallS / 1e6).toFixed(1).padStart(7)} M pairs/s wall  ${(r.perCpuS / 1e6).toFixed(1).padStart(6)} M pairs/cpu-s  (${r.kept} >= 0.8)`,
  );
  return r;
}

async function main(): Promise<void> {
  const sizes = (arg('sizes') ?? '10000,100000').split(',').map(Number);
  const cores = Number(arg('workers') ?? availableParallelism());
  const nat = nativeStatus();
  console.log(`bench:dice — 1024-bit CLKs, all pairs, threshold 0.8, ${availableParallelism()} cores, node ${process.version}, load ${loadavg()[0]!.toFixed(2)}`);
  console.log(`native kernel: ${nat.addon ? `yes (${nat.features})` : `no — ${nat.reason}`}`);
  console.log('(wall = what this run got; cpu-s = pairs per second of CPU time used, i.e. the rate per fully available core)');
  const figures: Record<string, number> = {};
  const key = (k: string, w: number, n: number) => `${k}_${w}t_${n / 1000}k_MPairsPerCpuS`;
  {
    const a = randomParty('a', 3000, 1);
    const b = randomParty('b', 3000, 2, a);
    const r = await run('js kernel, 1 thread, 3k x 3k', a, b, 1, 'js');
    figures[key('js', 1, 3000)] = r.perCpuS / 1e6;
  }
  const kernels: KernelPreference[] = nat.addon ? ['native', 'wasm'] : ['wasm'];
  for (const n of sizes) {
    const a = randomParty('a', n, 11);
    const b = randomParty('b', n, 12, a);
    for (const k of kernels) {
      if (n <= 20000) figures[key(k, 1, n)] = (await run(`${k}, 1 thread, ${n / 1000}k x ${n / 1000}k`, a, b, 1, k)).perCpuS / 1e6;
      figures[key(k, cores, n)] = (await run(`${k}, ${cores} workers, ${n / 1000}k x ${n / 1000}k`, a, b, cores, k)).perCpuS / 1e6;
    }
  }
  for (const k of Object.keys(figures)) figures[k] = Math.round(figures[k]! * 10) / 10;
  console.log(JSON.stringify(figures));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
