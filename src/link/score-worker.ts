import { parentPort } from 'node:worker_threads';
import type { Layout } from './kernel/layout.js';
import { runTask, TaskEnv, type LshPart, type Task, type TaskResult } from './kernel/tasks.js';
import type { KernelPreference } from './kernel/ops.js';
import { memoryKernel } from './kernel/select.js';
import type { WasmMemory, WasmModule } from './kernel/wasm.js';
import { RecordBound, type RecordBoundSpec } from './kernel/record-bound.js';

/**
 * Worker thread for scorePairs: instantiates the kernel (native or WebAssembly) on the
 * shared memory the main thread filled, then runs tasks as they arrive and
 * posts back the pairs found (transferring the arrays).
 */
interface InitMessage {
  type: 'init';
  memory: WasmMemory;
  module: WasmModule;
  layout: Layout;
  slot: number;
  threshold: number;
  lsh: LshPart[];
  kernel?: KernelPreference;
  bound?: RecordBoundSpec;
}
interface TaskMessage {
  type: 'task';
  id: number;
  task: Task;
}

let env: TaskEnv | undefined;
const port = parentPort;
if (port) {
  port.on('message', (m: InitMessage | TaskMessage) => {
    try {
      if (m.type === 'init') {
        const kernel = memoryKernel(m.memory, m.module, m.kernel ?? 'auto');
        env = new TaskEnv(kernel, m.memory.buffer, m.layout, m.layout.slots[m.slot]!, m.threshold, m.lsh, m.bound ? new RecordBound(m.bound) : undefined);
        port.postMessage({ type: 'ready' });
        return;
      }
      if (!env) throw new Error('score worker: task before init');
      const r: TaskResult = runTask(m.task, env);
      port.postMessage({ type: 'result', id: m.id, result: r }, [r.a.buffer as ArrayBuffer, r.b.buffer as ArrayBuffer, r.s.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ type: 'error', message: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
    }
  });
}
