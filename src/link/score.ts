import { availableParallelism } from 'node:os';
import { WorkerPool } from '../util/worker-pool.js';
import { P20Error } from '../errors.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { workerUrl } from '../util/worker-url.js';
import { isAllPairs, validateBlockingConfig, type BlockingConfig } from './blocking/config.js';
import { bandCount, fillBandKeys, lshParts } from './blocking/keys.js';
import { jsKernel } from './kernel/js.js';
import { planLayout, type Layout } from './kernel/layout.js';
import { runTask, TaskEnv, type LshPart, type Task, type TaskResult } from './kernel/tasks.js';
import type { KernelPreference } from './kernel/ops.js';
import { memoryKernel, resolveKernel } from './kernel/select.js';
import { createSharedMemory, kernelModule, MAX_WASM_BYTES, type WasmMemory } from './kernel/wasm.js';
import type { PartyData, ScoredPairs } from './types.js';
import type { LshKeyCache } from './lsh-key-cache.js';
import { RecordBound, type RecordBoundSpec } from './kernel/record-bound.js';

export interface ScoreOptions {
  /** Keep pairs with Dice >= threshold; in (0, 1]. */
  threshold: number;
  blocking: BlockingConfig;
  /**
   * Worker threads. 1 = score in this thread (no compiled worker needed).
   * Default: all cores (at most 16) for large jobs, 1 for small ones.
   */
  workers?: number;
  /**
   * 'auto' (default: the native kernel when built, else WebAssembly), 'native',
   * 'wasm', or 'js' (plain JavaScript; in-thread only). Same results with each.
   */
  kernel?: KernelPreference;
  progress?: Progress;
  /**
   * Refuse (P20Error LINK_TOO_MANY_PAIRS) as soon as more than this many pairs
   * reach the threshold, instead of running out of memory: each kept pair costs
   * about 24 bytes until resolution. Default DEFAULT_MAX_PAIRS.
   */
  maxPairs?: number;
  /**
   * LSH keys of earlier passes over the same filter matrices (same byte
   * arrays, same LSH configuration) to reuse, and to add this pass's keys to.
   * Used only when every band is an LSH band. Results are unchanged.
   */
  keyCache?: LshKeyCache;
  /**
   * Applied in this thread to each task's pairs as they arrive (before the
   * maxPairs count): the indices, ascending, of the pairs to keep, or
   * undefined to keep them all. For callers that keep only some pairs per
   * record (the match model's candidate passes, `taskKeep`), so the rest is
   * never held: it must keep every pair the caller's own selection could take.
   */
  prefilter?: (a: Uint32Array, b: Uint32Array, score: Float32Array) => Uint32Array | undefined;
  /**
   * A running bound of k pairs per record (kernel/record-bound.ts) applied
   * where the pairs are found, in each score worker (or this thread), so a
   * band whose buckets hold crowds of namesakes never holds all their
   * pairs: it must keep every pair the caller's own selection could take,
   * as `prefilter` (the match model's candidate passes give both).
   */
  bound?: RecordBoundSpec;
}

/** The pairs of a task result at the indices `keep` (ascending). */
function pickPairs(r: TaskResult, keep: Uint32Array): TaskResult {
  const a = new Uint32Array(keep.length);
  const b = new Uint32Array(keep.length);
  const s = new Float32Array(keep.length);
  for (let y = 0; y < keep.length; y++) {
    const x = keep[y]!;
    a[y] = r.a[x]!;
    b[y] = r.b[x]!;
    s[y] = r.s[x]!;
  }
  return { ...r, a, b, s };
}

/** Default cap on pairs at or above the threshold (≈ 2.4 GB while scoring and merging). */
export const DEFAULT_MAX_PAIRS = 100_000_000;

/** Counts kept pairs as task results arrive and stops the run when there are too many. */
function pairBudget(maxPairs: number, threshold: number): (r: TaskResult) => void {
  let kept = 0;
  return (r) => {
    kept += r.a.length;
    if (kept > maxPairs) {
      throw new P20Error(
        'LINK_TOO_MANY_PAIRS',
        `more than ${maxPairs.toLocaleString('en-US')} candidate pairs score at or above ${threshold}; ` +
          'the blocking and threshold do not separate matches from non-matches at this size',
        { field: 'threshold' },
        { hint: { id: 'too-many-pairs', option: 'threshold' } },
      );
    }
  };
}

/**
 * Below this many all-pairs comparisons (or records, when blocking) the default is one thread.
 * A scoring worker costs about 0.2–0.3 CPU-s to start (it loads its modules and
 * kernel), so it pays only when the comparisons take longer than that on one
 * thread: the native kernel compares about 10^9 pairs per CPU-second, the
 * WebAssembly kernel about 1.7 x 10^8.
 */
const SMALL_ALL_PAIRS_NATIVE = 400_000_000;
const SMALL_ALL_PAIRS = 50_000_000;
const SMALL_BLOCKED = 50_000;
/** Each worker needs its own scratch (~36 bytes per record); cap the automatic count. */
const MAX_AUTO_WORKERS = 16;

function checkInputs(a: PartyData, b: PartyData | null, opts: ScoreOptions): void {
  const t = opts.threshold;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0 || t > 1) {
    throw new P20Error('LINK_THRESHOLD', `threshold must be a number in (0, 1], got ${String(t)}`, { field: 'threshold' });
  }
  validateBlockingConfig(opts.blocking);
  if (b && (a.stride !== b.stride || a.header.l !== b.header.l)) {
    throw new P20Error('LINK_LENGTH_MISMATCH', `has ${b.header.l}-bit CLKs but ${a.file} has ${a.header.l}-bit CLKs; refusing to link`, { file: b.file });
  }
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 1)) {
    throw new P20Error('LINK_WORKERS', `workers must be a whole number >= 1, got ${String(opts.workers)}`, { field: 'workers' });
  }
}

/** Split all-pairs work into row ranges (within-party: balanced for the triangle). */
function rectTasks(nA: number, nB: number, within: boolean, parallel: number): Task[] {
  const tasks: Task[] = [];
  if (nA === 0 || nB === 0) return tasks;
  const pieces = Math.max(1, Math.min(nA, parallel * 16));
  if (!within) {
    const step = Math.ceil(nA / pieces);
    for (let i = 0; i < nA; i += step) tasks.push({ kind: 'rect', i0: i, i1: Math.min(nA, i + step) });
    return tasks;
  }
  // equal shares of the n(n-1)/2 pairs
  const total = (nA * (nA - 1)) / 2;
  const share = Math.max(1, total / pieces);
  let i0 = 0;
  let acc = 0;
  for (let i = 0; i < nA; i++) {
    acc += nA - 1 - i;
    if (acc >= share || i === nA - 1) {
      tasks.push({ kind: 'rect', i0, i1: i + 1 });
      i0 = i + 1;
      acc = 0;
    }
  }
  return tasks;
}

/** Merge task results into one ScoredPairs sorted by a, then b. */
function mergeSorted(results: TaskResult[], nA: number): { a: Uint32Array; b: Uint32Array; score: Float32Array } {
  let m = 0;
  for (const r of results) m += r.a.length;
  const start = new Uint32Array(nA + 1);
  for (const r of results) for (let x = 0; x < r.a.length; x++) start[r.a[x]! + 1]!++;
  for (let i = 0; i < nA; i++) start[i + 1]! += start[i]!;
  const pos = start.slice(0, nA);
  const a = new Uint32Array(m);
  const b = new Uint32Array(m);
  const score = new Float32Array(m);
  for (const r of results) {
    for (let x = 0; x < r.a.length; x++) {
      const p = pos[r.a[x]!]!++;
      a[p] = r.a[x]!;
      b[p] = r.b[x]!;
      score[p] = r.s[x]!;
    }
  }
  // sort each a-group by b (all-pairs output already is; band output mostly small groups)
  for (let i = 0; i < nA; i++) {
    const lo = start[i]!;
    const hi = start[i + 1]!;
    if (hi - lo < 2) continue;
    let sorted = true;
    for (let x = lo + 1; x < hi && sorted; x++) if (b[x - 1]! > b[x]!) sorted = false;
    if (sorted) continue;
    if (hi - lo <= 32) {
      for (let x = lo + 1; x < hi; x++) {
        const bv = b[x]!;
        const sv = score[x]!;
        let y = x - 1;
        while (y >= lo && b[y]! > bv) {
          b[y + 1] = b[y]!;
          score[y + 1] = score[y]!;
          y--;
        }
        b[y + 1] = bv;
        score[y + 1] = sv;
      }
    } else {
      // b < 2^32 and group offsets < 2^21 fit exactly in a double: sort (b, offset) numerically
      const m = hi - lo;
      const scale = 2 ** 21;
      const keys = new Float64Array(m);
      if (m < scale) {
        for (let k = 0; k < m; k++) keys[k] = b[lo + k]! * scale + k;
        keys.sort();
        const sc = score.slice(lo, hi);
        for (let k = 0; k < m; k++) {
          const off = keys[k]! % scale;
          b[lo + k] = (keys[k]! - off) / scale;
          score[lo + k] = sc[off]!;
        }
      } else {
        const idx = Array.from({ length: m }, (_, k) => lo + k).sort((p, q) => b[p]! - b[q]!);
        const bb = idx.map((p) => b[p]!);
        const ss = idx.map((p) => score[p]!);
        b.set(bb, lo);
        score.set(ss, lo);
      }
    }
  }
  return { a, b, score };
}

/** Worker threads sharing the kernel memory (the one pool, src/util/worker-pool.ts); tasks go to workers as they finish. */
class ScorePool {
  private readonly pool: WorkerPool<Task, TaskResult>;

  constructor(n: number, init: { memory: WasmMemory; layout: Layout; threshold: number; lsh: LshPart[]; kernel: KernelPreference; bound?: RecordBoundSpec }) {
    const module = kernelModule();
    this.pool = new WorkerPool<Task, TaskResult>(workerUrl(import.meta.url, './score-worker.js'), n, {
      name: 'score worker',
      init: (slot) => ({ type: 'init', memory: init.memory, module, layout: init.layout, slot, threshold: init.threshold, lsh: init.lsh, kernel: init.kernel, ...(init.bound ? { bound: init.bound } : {}) }),
    });
  }

  /** Runs the tasks; each result passes through `onResult`, which may throw or return the result to keep. */
  async run(tasks: Task[], progress: Progress, offset: number, total: number, onResult: (r: TaskResult) => TaskResult = (r) => r): Promise<TaskResult[]> {
    await this.pool.ready();
    let done = 0;
    let stop: Error | undefined;
    const results = await Promise.all(
      tasks.map((t) =>
        this.pool.request(t).then((r) => {
          if (stop) return r;
          let kept: TaskResult;
          try {
            kept = onResult(r);
          } catch (e) {
            stop = e as Error;
            throw e;
          }
          done++;
          progress.update(offset + done, total);
          return kept;
        }),
      ),
    );
    return results;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Record ranges for computing LSH keys in parallel. */
function keyTasks(nA: number, nB: number, within: boolean, parallel: number): Task[] {
  const tasks: Task[] = [];
  const chunk = (party: 'a' | 'b', n: number) => {
    const step = Math.max(1024, Math.ceil(n / (parallel * 4)));
    for (let i = 0; i < n; i += step) tasks.push({ kind: 'lshkeys', party, from: i, to: Math.min(n, i + step) });
  };
  chunk('a', nA);
  if (!within) chunk('b', nB);
  return tasks;
}

/**
 * Score candidate pairs: every pair the blocking proposes whose Dice
 * coefficient is >= threshold, each pair once, sorted by a then b.
 * b = null links a party with itself (deduplication): only pairs i < j.
 * `candidates` counts the distinct pairs blocking proposed, `compared` those
 * left after the popcount filter (pairs whose popcounts alone rule out the
 * threshold are never compared).
 */
export async function scorePairs(a: PartyData, b: PartyData | null, opts: ScoreOptions): Promise<ScoredPairs> {
  checkInputs(a, b, opts);
  const progress = opts.progress ?? silentProgress;
  const within = b === null;
  const B = b ?? a;
  const allPairs = isAllPairs(opts.blocking);
  const nb = allPairs ? 0 : bandCount(opts.blocking);
  const kernelPref = opts.kernel ?? 'auto';
  const kernelKind = kernelPref === 'js' ? 'js' : 'wasm';
  const cores = Math.max(1, availableParallelism());
  let workers = opts.workers ?? 0;
  if (workers === 0) {
    const smallAllPairs = kernelKind === 'wasm' && resolveKernel(kernelPref) === 'native' ? SMALL_ALL_PAIRS_NATIVE : SMALL_ALL_PAIRS;
    const small = allPairs ? a.count * B.count < smallAllPairs : a.count + B.count < SMALL_BLOCKED;
    workers = small ? 1 : Math.min(cores, MAX_AUTO_WORKERS);
  }
  if (kernelKind === 'js') workers = 1;
  const lsh: LshPart[] = nb > 0 ? lshParts(opts.blocking, a.header.l) : [];
  const layout = planLayout(a.count, B.count, a.stride, within, nb, workers > 1 ? workers : 1, lsh.map((p) => p.perms.byteLength));
  if (kernelKind === 'wasm' && layout.total > MAX_WASM_BYTES) {
    throw new P20Error('LINK_TOO_LARGE', `scoring ${a.count} x ${B.count} records needs ${Math.ceil(layout.total / 2 ** 20)} MiB of kernel memory, over the 4 GiB WebAssembly limit; use fewer LSH bands or split the input`);
  }
  let memory: WasmMemory | undefined;
  let buffer: ArrayBufferLike;
  if (kernelKind === 'wasm') {
    memory = createSharedMemory(layout.total);
    buffer = memory.buffer;
  } else buffer = new ArrayBuffer(layout.total);
  const u8 = new Uint8Array(buffer);
  const u32 = new Uint32Array(buffer);
  u8.set(a.clks, layout.clkA);
  u32.set(a.popcounts, layout.popA >>> 2);
  if (!within) {
    u8.set(B.clks, layout.clkB);
    u32.set(B.popcounts, layout.popB >>> 2);
  }
  // keyed-value bands here; LSH bands (the costly part) in the tasks below
  lsh.forEach((p, x) => new Uint16Array(buffer, layout.perms[x]!, p.perms.length).set(p.perms));
  if (nb > 0) {
    const keysA = u32.subarray(layout.keysA >>> 2, (layout.keysA >>> 2) + a.count * nb);
    const keysB = within ? null : u32.subarray(layout.keysB >>> 2, (layout.keysB >>> 2) + B.count * nb);
    fillBandKeys(opts.blocking, a, within ? null : B, keysA, keysB, false);
  }
  // LSH keys of an earlier pass over the same matrices (keyCache): copied in, their key tasks skipped
  const cache = opts.keyCache && lsh.length > 0 && lsh.reduce((t, p) => t + p.bands, 0) === nb ? opts.keyCache : undefined;
  const config = cache ? `${a.header.l}:${JSON.stringify(opts.blocking)}` : '';
  const keysOf = (base: number, n: number) => u32.subarray(base >>> 2, (base >>> 2) + n * nb);
  const hitA = cache?.get(a.clks, config);
  const hitB = cache && !within ? cache.get(B.clks, config) : undefined;
  if (hitA) keysOf(layout.keysA, a.count).set(hitA);
  if (hitB) keysOf(layout.keysB, B.count).set(hitB);
  const remember = (): void => {
    if (!cache) return;
    if (!hitA) cache.put(a.clks, config, keysOf(layout.keysA, a.count));
    if (!within && !hitB) cache.put(B.clks, config, keysOf(layout.keysB, B.count));
  };
  const phase1: Task[] = lsh.length > 0 ? keyTasks(hitA ? 0 : a.count, hitB ? 0 : B.count, within, workers) : [];
  const phase2: Task[] = allPairs
    ? rectTasks(a.count, B.count, within, workers)
    : Array.from({ length: nb }, (_, band) => ({ kind: 'band' as const, band }));
  const total = phase1.length + phase2.length;

  const maxPairs = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
  if (!Number.isInteger(maxPairs) || maxPairs < 1) throw new P20Error('LINK_MAX_PAIRS', `maxPairs must be a positive whole number, got ${String(maxPairs)}`, { field: 'maxPairs' });
  const budget = pairBudget(maxPairs, opts.threshold);
  const take = (r: TaskResult): TaskResult => {
    const keep = opts.prefilter?.(r.a, r.b, r.s);
    const kept = keep ? pickPairs(r, keep) : r;
    budget(kept);
    return kept;
  };
  let results: TaskResult[];
  if (workers > 1 && memory) {
    // workers read the permutations from the shared memory (layout.perms)
    const pool = new ScorePool(workers, { memory, layout, threshold: opts.threshold, lsh: lsh.map((p) => ({ ...p, perms: new Uint16Array(0) })), kernel: kernelPref, ...(opts.bound ? { bound: opts.bound } : {}) });
    try {
      await pool.run(phase1, progress, 0, total);
      remember();
      results = await pool.run(phase2, progress, phase1.length, total, take);
    } finally {
      await pool.close();
    }
  } else {
    const kernel = memory ? memoryKernel(memory, undefined, kernelPref) : jsKernel(buffer);
    const env = new TaskEnv(kernel, buffer, layout, layout.slots[0]!, opts.threshold, lsh, opts.bound ? new RecordBound(opts.bound) : undefined);
    results = [];
    const all = [...phase1, ...phase2];
    for (let x = 0; x < all.length; x++) {
      if (x === phase1.length) remember();
      const r = runTask(all[x]!, env);
      if (x >= phase1.length) results.push(take(r));
      progress.update(x + 1, total);
      if ((x & 7) === 7) await new Promise((res) => setImmediate(res));
    }
  }
  progress.finish();
  let candidates = 0;
  let compared = 0;
  for (const r of results) {
    candidates += r.candidates;
    compared += r.compared;
  }
  const merged = mergeSorted(results, a.count);
  return { a: merged.a, b: merged.b, score: merged.score, candidates, compared };
}
