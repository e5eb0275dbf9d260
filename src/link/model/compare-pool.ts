import { availableParallelism } from 'node:os';
import { WorkerPool } from '../../util/worker-pool.js';
import { workerUrl } from '../../util/worker-url.js';
import { isShared, sharedBytes, sharedU32 } from '../../util/typed-arrays.js';
import { compareCandidates, type ComparedParty, type ComparisonPlan } from './compare.js';

/**
 * Comparison vectors of many candidate pairs on worker threads
 * (docs/match-model.md, "Candidates"): at a million people the model's
 * candidates number in the tens of millions per party pair, and comparing
 * them (up to eight Dice coefficients per pair, memory-bound reads of
 * filters at random) took about a fifth of the link, on one core while the
 * others waited. The pool's workers run the same `compareCandidates` on
 * slices of the pairs and write their levels straight into one shared
 * array; the parties' filter matrices are read where the loader put them
 * (shared memory, src/link/load.ts), never copied. The levels are the same
 * bytes the main thread computes (a test compares them).
 *
 * Used only when it can be: every party's arrays in shared memory (the
 * loader's; a caller's own PartyData may not be), more than one core, and
 * enough pairs to pay for a task; otherwise the comparisons run in this
 * thread, as before.
 */

/** What a compare worker is given once: the calibrated plan and every party's shared arrays. */
export interface CompareInit {
  plan: ComparisonPlan;
  parties: ComparedParty[];
}

/** One slice: pairs (a[x] of party i, b[x] of party j) and where their levels go (shared views). */
export interface CompareTask {
  i: number;
  j: number;
  a: Uint32Array;
  b: Uint32Array;
  out: Uint8Array;
}

/** Pairs per task: large enough that posting a task costs nothing against comparing it, small enough to balance two to sixteen workers. */
export const COMPARE_TASK_PAIRS = 1 << 16;
/** Below this many pairs a job is compared in the calling thread (a task's worth). */
export const COMPARE_IN_THREAD = COMPARE_TASK_PAIRS;
/** At most this many compare workers (each holds only views of the shared arrays). */
const MAX_COMPARE_WORKERS = 16;

/** The arrays a worker reads, when all of them are in shared memory; undefined otherwise. */
function sharedView(p: ComparedParty): ComparedParty | undefined {
  const arrays: ArrayBufferView[] = [p.clks, p.popcounts, ...(p.presence ? [p.presence] : []), ...(p.evidence ?? []).flatMap((e) => [e.bytes, e.popcounts])];
  if (!arrays.every(isShared)) return undefined;
  return {
    clks: p.clks,
    stride: p.stride,
    popcounts: p.popcounts,
    ...(p.presence ? { presence: p.presence } : {}),
    ...(p.evidence ? { evidence: p.evidence.map((e) => ({ name: e.name, l: e.l, stride: e.stride, bytes: e.bytes, popcounts: e.popcounts })) } : {}),
  };
}

export class ComparePool {
  /** The workers, started by the first job large enough to need them. */
  private pool: WorkerPool<CompareTask, number> | undefined;

  private constructor(
    private readonly workers: number,
    private readonly init: CompareInit,
    private readonly parties: readonly ComparedParty[],
  ) {}

  /**
   * A pool over these parties, or undefined when comparing in workers cannot
   * help or cannot be done (one core, `workers` 1, a party not in shared
   * memory). No thread starts until a job has enough pairs.
   */
  static open(plan: ComparisonPlan, parties: readonly ComparedParty[], workers?: number): ComparePool | undefined {
    const n = Math.min(workers ?? availableParallelism(), MAX_COMPARE_WORKERS);
    if (n < 2) return undefined;
    const views = parties.map(sharedView);
    if (views.some((v) => v === undefined)) return undefined;
    return new ComparePool(n, { plan, parties: views as ComparedParty[] }, parties);
  }

  /** compareCandidates(plan, parties[i], parties[j], a, b).levels, in slices on the workers. */
  async compare(i: number, j: number, a: Uint32Array, b: Uint32Array, inThread = COMPARE_IN_THREAD): Promise<Uint8Array> {
    const n = a.length;
    const plan = this.init.plan;
    const K = plan.defs.length;
    if (n < inThread) return compareCandidates(plan, this.parties[i]!, this.parties[j]!, a, b).levels;
    const init = this.init;
    this.pool ??= new WorkerPool<CompareTask, number>(workerUrl(import.meta.url, './compare-worker.js'), this.workers, {
      name: 'compare worker',
      init: () => ({ type: 'init', ...init }),
    });
    const sa = isShared(a) ? a : sharedU32(n);
    const sb = isShared(b) ? b : sharedU32(n);
    if (sa !== a) sa.set(a);
    if (sb !== b) sb.set(b);
    const out = sharedBytes(n * K);
    await this.pool.ready();
    const runs: Promise<number>[] = [];
    for (let from = 0; from < n; from += COMPARE_TASK_PAIRS) {
      const to = Math.min(n, from + COMPARE_TASK_PAIRS);
      runs.push(this.pool.request({ i, j, a: sa.subarray(from, to), b: sb.subarray(from, to), out: out.subarray(from * K, to * K) }));
    }
    await Promise.all(runs);
    return out;
  }

  /** True once a job started the workers. */
  get started(): boolean {
    return this.pool !== undefined;
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}
