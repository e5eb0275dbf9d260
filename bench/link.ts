/**
 * npm run bench:link [-- --n 1000000] [--blocking SPEC] [--threshold 0.8] [--workers N] [--seed S] [--density D]
 * (--density 2.5 makes CLKs ~55 % full, like the p20w-person schema)
 *
 * Generates two synthetic parties of n CLK-like records (bench/link-data.ts)
 * with known true pairs, then blocks + scores (scorePairs) and resolves with
 * the greedy one-to-one matching, and prints: candidates, comparisons, time
 * of each step, peak RSS, the share of true pairs the blocking kept (of all
 * true pairs, and of those that reach the threshold at all) and the
 * precision / recall of the final matching. Default: the full 1M x 1M
 * target. Prints figures, the last line one JSON object of them; asserts
 * nothing.
 */
import { availableParallelism } from 'node:os';
import { formatBlockingSpec, parseBlockingSpec } from '../src/link/blocking/config.js';
import { countKeptPairs } from '../src/link/blocking/recall.js';
import { terminalProgress } from '../src/io/progress.js';
import { greedyOneToOne } from '../src/link/resolve/one-to-one.js';
import { scorePairs } from '../src/link/score.js';
import { generateLinkData } from './link-data.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : dflt;
}

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);
sampler.unref();
const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

const n = Number(arg('n', '1000000'));
const threshold = Number(arg('threshold', '0.8'));
const blocking = parseBlockingSpec(arg('blocking', 'lsh'));
const workers = Number(arg('workers', String(availableParallelism())));
const seed = Number(arg('seed', '42'));
const density = Number(arg('density', '1'));

console.log(`bench:link — ${n} x ${n} synthetic 1024-bit CLKs, blocking ${formatBlockingSpec(blocking)}, threshold ${threshold}, ${workers} workers, ${availableParallelism()} cores, node ${process.version}`);
const cpu0 = process.cpuUsage();
let t = Date.now();
const { a, b, truth } = generateLinkData(n, { seed, density });
const fill = a.popcounts.reduce((x, y) => x + y, 0) / Math.max(1, n) / 1024;
console.log(`generate       ${((Date.now() - t) / 1000).toFixed(1)} s   (${truth.length} true pairs, ${(100 * fill).toFixed(0)} % of bits set; not part of linking)`);

t = Date.now();
const tScore = t;
const cpuScore = process.cpuUsage();
const pairs = await scorePairs(a, b, { threshold, blocking, workers, progress: terminalProgress('scoring') });
const scoreSecs = (Date.now() - t) / 1000;
const cpu = process.cpuUsage(cpuScore);
console.log(
  `block + score  ${scoreSecs.toFixed(1)} s   candidates ${pairs.candidates.toLocaleString('en-US')} (${((100 * pairs.candidates) / (n * n)).toExponential(2)}% of all pairs), ` +
    `compared ${pairs.compared.toLocaleString('en-US')}, pairs >= ${threshold}: ${pairs.a.length.toLocaleString('en-US')}; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
);

t = Date.now();
const m = greedyOneToOne(pairs, threshold);
const matchSecs = (Date.now() - t) / 1000;
console.log(`greedy 1:1     ${matchSecs.toFixed(1)} s   ${m.a.length} matches`);
const totalSecs = (Date.now() - tScore) / 1000;

// quality
const trueOf = new Int32Array(n).fill(-1);
for (const [i, j] of truth) trueOf[i] = j;
let tp = 0;
for (let k = 0; k < m.a.length; k++) if (trueOf[m.a[k]!] === m.b[k]) tp++;
const found = new Set<number>();
for (let k = 0; k < pairs.a.length; k++) if (trueOf[pairs.a[k]!] === pairs.b[k]) found.add(pairs.a[k]!);

t = Date.now();
const kept = countKeptPairs(a, b, blocking, truth);
// true pairs that reach the threshold at all (what all-pairs scoring would find)
const strideA = a.stride;
let reach = 0;
let reachFound = 0;
for (const [i, j] of truth) {
  let inter = 0;
  for (let x = 0; x < strideA; x++) {
    let v = a.clks[i * strideA + x]! & b.clks[j * strideA + x]!;
    while (v) {
      inter += v & 1;
      v >>= 1;
    }
  }
  const d = (2 * inter) / (a.popcounts[i]! + b.popcounts[j]!);
  if (d >= threshold) {
    reach++;
    if (found.has(i)) reachFound++;
  }
}
console.log(`recall check   ${((Date.now() - t) / 1000).toFixed(1)} s`);
console.log(
  `blocking kept  ${kept.kept}/${kept.total} true pairs = ${((100 * kept.kept) / kept.total).toFixed(3)}% ` +
    `(lost ${((100 * (kept.total - kept.kept)) / kept.total).toFixed(3)}%); ` +
    `of the ${reach} true pairs with Dice >= ${threshold}: kept ${reachFound} = lost ${((100 * (reach - reachFound)) / Math.max(1, reach)).toFixed(3)}% to blocking`,
);
console.log(`matching       precision ${(tp / Math.max(1, m.a.length)).toFixed(4)}, recall ${(tp / truth.length).toFixed(4)}`);
peakRss = Math.max(peakRss, process.memoryUsage.rss());
const all = process.cpuUsage(cpu0);
console.log(`TOTAL link time (block + score + 1:1) ${totalSecs.toFixed(1)} s; peak RSS ${mib(peakRss)} (including the generated data); process cpu ${((all.user + all.system) / 1e6).toFixed(1)} s`);
// the bench's figures, one JSON object on its last line
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
console.log(
  JSON.stringify({
    n,
    candidates: pairs.candidates,
    compared: pairs.compared,
    seconds: r4(totalSecs),
    peakMiB: Math.round(peakRss / 2 ** 20),
    keptShare: r4(kept.kept / kept.total),
    lostOfReaching: r4((reach - reachFound) / Math.max(1, reach)),
    precision: r4(tp / Math.max(1, m.a.length)),
    recall: r4(tp / truth.length),
  }),
);
