import { Worker, type ResourceLimits, type Transferable } from 'node:worker_threads';

/**
 * The one worker-thread pool of the toolkit (the linker's scoring and the
 * encoder's byte ranges). Tasks go to whichever worker is free, in submission
 * order; each `request` resolves with that task's result, so a caller that
 * needs ordered output awaits its requests in order.
 *
 * Protocol (both sides in this file's terms): the pool posts
 * `{ type: 'task', id, task }`; a worker replies `{ type: 'result', id,
 * result }` or `{ type: 'error', id?, message }`. With `init`, the pool first
 * posts each worker its init message and waits for `{ type: 'ready' }`.
 * A worker that fails, crashes or exits fails every pending request.
 */
export type PoolReply<R> = { type: 'ready' } | { type: 'result'; id: number; result: R } | { type: 'error'; id?: number; message: string };

export interface PoolTaskMessage<T> {
  type: 'task';
  id: number;
  task: T;
}

export interface WorkerPoolOptions {
  /** Used in messages ("score worker", "encode worker"). */
  name: string;
  /** The same workerData for every worker. */
  workerData?: unknown;
  /** A per-worker init message; the pool then waits for each worker's `ready`. */
  init?: (slot: number) => unknown;
  /** V8 heap limits of each worker (the encoder caps the young generation: see src/encode/pipeline.ts). */
  resourceLimits?: ResourceLimits;
}

interface Job<T> {
  id: number;
  task: T;
  transfer: Transferable[];
}

export class WorkerPool<T, R> {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Job<T>[] = [];
  private readonly pending = new Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>();
  private readonly busy = new Map<Worker, number>();
  private readonly readyAll: Promise<void>;
  private seq = 0;
  private broken: Error | undefined;
  private closing = false;

  constructor(url: URL, n: number, opts: WorkerPoolOptions) {
    const readies: Promise<void>[] = [];
    for (let slot = 0; slot < n; slot++) {
      const w = new Worker(url, { ...(opts.workerData !== undefined ? { workerData: opts.workerData } : {}), ...(opts.resourceLimits !== undefined ? { resourceLimits: opts.resourceLimits } : {}) });
      this.workers.push(w);
      let markReady: () => void = () => {};
      let failReady: (e: Error) => void = () => {};
      readies.push(
        new Promise<void>((resolve, reject) => {
          markReady = resolve;
          failReady = reject;
        }),
      );
      w.on('message', (m: PoolReply<R>) => {
        if (m.type === 'ready') {
          markReady();
          this.release(w);
          return;
        }
        const id = m.type === 'result' ? m.id : (m.id ?? this.busy.get(w));
        this.busy.delete(w);
        const p = id === undefined ? undefined : this.pending.get(id);
        if (id !== undefined) this.pending.delete(id);
        if (m.type === 'error') {
          const e = new Error(`${opts.name}: ${m.message}`);
          if (p) p.reject(e);
          else {
            failReady(e);
            this.fail(e);
          }
        } else p?.resolve(m.result);
        this.release(w);
      });
      w.on('error', (e) => {
        const err = new Error(`${opts.name} failed: ${e.message}`);
        failReady(err);
        this.fail(err);
      });
      w.on('exit', (code) => {
        if (code !== 0 && !this.closing) {
          const err = new Error(`${opts.name} exited with status ${code}`);
          failReady(err);
          this.fail(err);
        }
      });
      if (opts.init !== undefined) w.postMessage(opts.init(slot));
      else {
        markReady();
        this.idle.push(w);
      }
    }
    this.readyAll = Promise.all(readies).then(() => undefined);
    // A failure before ready also fails every request; keep it from being unhandled here.
    this.readyAll.catch(() => {});
  }

  /** Resolves when every worker has answered its init (at once without init). */
  ready(): Promise<void> {
    return this.readyAll;
  }

  /** Run one task on the next free worker. `transfer` lists buffers moved, not copied. */
  request(task: T, transfer: Transferable[] = []): Promise<R> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.seq++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, task, transfer });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private release(w: Worker): void {
    this.idle.push(w);
    this.pump();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.shift()!;
      const job = this.queue.shift()!;
      this.busy.set(w, job.id);
      w.postMessage({ type: 'task', id: job.id, task: job.task } satisfies PoolTaskMessage<T>, job.transfer);
    }
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const p of this.pending.values()) p.reject(this.broken);
    this.pending.clear();
    this.queue.length = 0;
  }
}
