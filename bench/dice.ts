/**
 * npm run bench:dice — comparisons per second of the Dice kernel on
 * 1024-bit filters, all pairs (no blocking), threshold 0.8:
 * 10k x 10k and 100k x 100k, WebAssembly kernel in one thread and on all
 * cores, plus the plain JavaScript kernel on a smaller job for scale.
 * Options: --sizes 10000,100000  --workers N. Prints figures, asserts nothing.
 */
import { availableParallelism } from 'node:os';
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

/** n random 1024-bit CLKs, ~40% of bits set (xorshift; fast, not keyed). */
function randomParty(name: string, n: number, seed: number): PartyData {
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
  return makePackedPartyData({ name, file: name, header: header(l, name), ids: Array.from({ length: n }, (_, i) => String(i)), clks, blocks: {} });
}

async function run(label: string, a: PartyData, b: PartyData, workers: number, kernel: 'wasm' | 'js'): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await scorePairs(a, b, { threshold: 0.8, blocking: { kind: 'none' }, workers, kernel });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const pairs = a.count * b.count;
  console.log(
    `${label.padEnd(34)} ${String(pairs.toExponential(2)).padStart(9)} pairs  ${secs.toFixed(2).padStart(7)} s  ` +
      `${(pairs / secs / 1e6).toFixed(1).padStart(7)} M pairs/s wall  ${(pairs / cpu / 1e6).toFixed(1).padStart(6)} M pairs/cpu-s  ` +
      `(compared ${r.compared.toExponential(2)}, ${r.a.length} >= 0.8)`,
  );
}

const sizes = (arg('sizes') ?? '10000,100000').split(',').map(Number);
const cores = Number(arg('workers') ?? availableParallelism());
console.log(`bench:dice — 1024-bit CLKs, all pairs, threshold 0.8, ${availableParallelism()} cores, node ${process.version}`);
console.log('(wall = what this run got; cpu-s = pairs per second of CPU time used, i.e. the rate per fully available core)');
{
  const a = randomParty('a', 3000, 1);
  const b = randomParty('b', 3000, 2);
  await run('js kernel, 1 thread, 3k x 3k', a, b, 1, 'js');
}
for (const n of sizes) {
  const a = randomParty('a', n, 11);
  const b = randomParty('b', n, 12);
  if (n <= 20000) await run(`wasm, 1 thread, ${n / 1000}k x ${n / 1000}k`, a, b, 1, 'wasm');
  await run(`wasm, ${cores} workers, ${n / 1000}k x ${n / 1000}k`, a, b, cores, 'wasm');
}
