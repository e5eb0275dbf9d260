import type { KernelOps } from './ops.js';
import { KERNEL_WASM_BASE64 } from './wasm-bytes.js';

/**
 * Loads the WebAssembly Dice kernel (64-bit popcnt, compiled from
 * assembly/kernel.ts and embedded as base64 in wasm-bytes.ts, so nothing is
 * built at run time). The module imports one shared memory, so worker
 * threads instantiate the same compiled module on the same memory.
 */
/** Minimal typings (the project's lib settings carry no WebAssembly declarations). */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface WasmModule {
  readonly __wasmModule?: never;
}
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let cached: WasmModule | undefined;

export function kernelModule(): WasmModule {
  cached ??= new WA.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64'));
  return cached;
}

const PAGE = 65536;
/** wasm32 memories hold at most 65536 pages (4 GiB). */
export const MAX_WASM_BYTES = 65536 * PAGE;

/** A shared memory of at least `bytes` bytes, sized exactly (no growth later). */
export function createSharedMemory(bytes: number): WasmMemory {
  const pages = Math.max(1, Math.ceil(bytes / PAGE));
  if (pages > 65536) throw new RangeError(`kernel memory of ${bytes} bytes exceeds the 4 GiB WebAssembly limit`);
  return new WA.Memory({ initial: pages, maximum: pages, shared: true });
}

interface KernelExports {
  rect: KernelOps['rect'];
  buckets: KernelOps['buckets'];
  minhash: KernelOps['minhash'];
  compared(): number;
  candidates(): number;
  resetCounters(): void;
  setResume(b: number, r: number): void;
  resumeBucket(): number;
  resumeRow(): number;
}

export function wasmKernel(memory: WasmMemory, module: WasmModule = kernelModule()): KernelOps {
  const inst = new WA.Instance(module, { env: { memory } });
  const e = inst.exports as unknown as KernelExports;
  return {
    kind: 'wasm',
    rect: e.rect,
    buckets: e.buckets,
    minhash: e.minhash,
    compared: e.compared,
    candidates: e.candidates,
    resetCounters: e.resetCounters,
    setResume: e.setResume,
    resumeBucket: () => e.resumeBucket() >>> 0,
    resumeRow: () => e.resumeRow() >>> 0,
  };
}
