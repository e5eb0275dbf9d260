import { joinCross, joinWithin, RadixScratch, sortBand } from '../blocking/buckets.js';
import type { Layout, Slot } from './layout.js';
import { RECT_TILE_A, RECT_TILE_B } from './layout.js';
import type { KernelOps } from './ops.js';
import type { RecordBound } from './record-bound.js';

/**
 * Units of scoring work, run either in the main thread or in a worker:
 * a range of A rows against all of B (all-pairs), or one blocking band.
 */
export type Task =
  | { kind: 'rect'; i0: number; i1: number }
  | { kind: 'band'; band: number }
  | { kind: 'lshkeys'; party: 'a' | 'b'; from: number; to: number };

/** One LSH part's MinHash permutations (copied into the kernel memory at layout.perms) and where its bands start. */
export interface LshPart {
  perms: Uint16Array;
  l: number;
  bands: number;
  rows: number;
  bandOffset: number;
}

export interface TaskResult {
  a: Uint32Array;
  b: Uint32Array;
  s: Float32Array;
  compared: number;
  candidates: number;
}

export class TaskEnv {
  readonly u32: Uint32Array;
  readonly f32: Float32Array;
  readonly scratch = new RadixScratch(0);
  sortedA = new Uint32Array(0);
  sortedB = new Uint32Array(0);
  readonly u8: Uint8Array;
  constructor(
    readonly kernel: KernelOps,
    buffer: ArrayBufferLike,
    readonly layout: Layout,
    readonly slot: Slot,
    readonly threshold: number,
    readonly lsh: LshPart[] = [],
    /** The pass's running bound of k pairs per record (ScoreOptions.bound): pairs outside it are dropped as they are found. */
    readonly bound?: RecordBound,
  ) {
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.f32 = new Float32Array(buffer);
  }
}

class Collector {
  private parts: { a: Uint32Array; b: Uint32Array; s: Float32Array }[] = [];
  private n = 0;
  take(env: TaskEnv, out: number, count: number): void {
    if (count === 0) return;
    const a = new Uint32Array(count);
    const b = new Uint32Array(count);
    const s = new Float32Array(count);
    const u32 = env.u32;
    const f32 = env.f32;
    const bound = env.bound;
    let o = out >>> 2;
    let n = 0;
    for (let m = 0; m < count; m++, o += 3) {
      const ra = u32[o]!;
      const rb = u32[o + 1]!;
      const v = f32[o + 2]!;
      if (bound && !bound.admit(ra, rb, v)) continue;
      a[n] = ra;
      b[n] = rb;
      s[n] = v;
      n++;
    }
    if (n === 0) return;
    this.parts.push(n === count ? { a, b, s } : { a: a.slice(0, n), b: b.slice(0, n), s: s.slice(0, n) });
    this.n += n;
  }
  finish(compared: number, candidates: number): TaskResult {
    if (this.parts.length === 1) return { ...this.parts[0]!, compared, candidates };
    const a = new Uint32Array(this.n);
    const b = new Uint32Array(this.n);
    const s = new Float32Array(this.n);
    let at = 0;
    for (const p of this.parts) {
      a.set(p.a, at);
      b.set(p.b, at);
      s.set(p.s, at);
      at += p.a.length;
    }
    return { a, b, s, compared, candidates };
  }
}

export function runTask(task: Task, env: TaskEnv): TaskResult {
  const k = env.kernel;
  const L = env.layout;
  const slot = env.slot;
  const t = env.threshold;
  const within = L.within ? 1 : 0;
  const col = new Collector();
  k.resetCounters();
  if (task.kind === 'lshkeys') {
    const isA = task.party === 'a';
    env.lsh.forEach((p, x) => {
      k.minhash(isA ? L.clkA : L.clkB, L.stride, task.from, task.to, L.perms[x]!, p.l, p.bands, p.rows, isA ? L.keysA : L.keysB, L.nb, p.bandOffset, isA ? 0 : L.nA);
    });
    return col.finish(0, 0);
  }
  if (task.kind === 'rect') {
    let candidates = 0;
    for (let j0 = 0; j0 < L.nB; j0 += RECT_TILE_B) {
      const j1 = Math.min(L.nB, j0 + RECT_TILE_B);
      for (let i0 = task.i0; i0 < task.i1; i0 += RECT_TILE_A) {
        const i1 = Math.min(task.i1, i0 + RECT_TILE_A);
        if (within && j1 <= i0 + 1) continue;
        const n = k.rect(L.clkA, L.popA, i0, i1, L.clkB, L.popB, j0, j1, L.stride, t, within, slot.out);
        col.take(env, slot.out, n);
      }
    }
    if (within) {
      for (let i = task.i0; i < task.i1; i++) candidates += L.nA - 1 - i;
    } else candidates = (task.i1 - task.i0) * L.nB;
    return col.finish(k.compared(), candidates);
  }
  // one band
  const band = task.band;
  if (env.sortedA.length < L.nA) env.sortedA = new Uint32Array(L.nA);
  const orderA = env.u32.subarray(slot.orderA >>> 2, (slot.orderA >>> 2) + L.nA);
  sortBand(env.u32, L.keysA >>> 2, L.nA, L.nb, band, orderA, env.sortedA, env.scratch);
  const table = env.u32;
  let nBuckets: number;
  if (within) {
    nBuckets = joinWithin(env.sortedA, L.nA, table, slot.table >>> 2);
  } else {
    if (env.sortedB.length < L.nB) env.sortedB = new Uint32Array(L.nB);
    const orderB = env.u32.subarray(slot.orderB >>> 2, (slot.orderB >>> 2) + L.nB);
    sortBand(env.u32, L.keysB >>> 2, L.nB, L.nb, band, orderB, env.sortedB, env.scratch);
    nBuckets = joinCross(env.sortedA, L.nA, env.sortedB, L.nB, table, slot.table >>> 2);
  }
  k.setResume(0, 0);
  while (k.resumeBucket() < nBuckets) {
    const n = k.buckets(
      L.clkA, L.popA, L.clkB, L.popB, L.stride, t,
      L.keysA, L.keysB, L.nb, band,
      slot.orderA, slot.orderB, slot.table, nBuckets, within,
      slot.out, slot.outCap,
    );
    col.take(env, slot.out, n);
  }
  return col.finish(k.compared(), k.candidates());
}
