import { jsKernel } from './js.js';
import { nativeKernel, nativeStatus } from './native.js';
import type { KernelKind, KernelOps, KernelPreference } from './ops.js';
import { wasmKernel, type WasmMemory, type WasmModule } from './wasm.js';

/**
 * Run-time kernel choice for a kernel memory (the shared WebAssembly memory
 * that score.ts lays out): the native kernel when asked for ('auto', the
 * default, or 'native'), built, and past its self-test; otherwise the
 * WebAssembly kernel. Both give the same results bit for bit, so the choice
 * only changes speed. P20LINK_KERNEL=wasm in the environment turns 'auto'
 * into 'wasm'.
 */
export function resolveKernel(pref: KernelPreference = 'auto'): KernelKind {
  if (pref === 'js' || pref === 'wasm') return pref;
  const env = process.env.P20LINK_KERNEL;
  if (pref === 'auto' && (env === 'wasm' || env === 'js')) return 'wasm';
  return nativeStatus().addon ? 'native' : 'wasm';
}

/** KernelOps on `memory` per `pref` (see resolveKernel); MinHash keys always come from the WebAssembly module. */
export function memoryKernel(memory: WasmMemory, module: WasmModule | undefined, pref: KernelPreference = 'auto'): KernelOps {
  const kind = resolveKernel(pref);
  if (kind === 'js') return jsKernel(memory.buffer);
  const addon = kind === 'native' ? nativeStatus().addon : null;
  if (!addon) return wasmKernel(memory, module);
  // the WebAssembly module is compiled and instantiated on the first MinHash call only: a run without LSH never makes one
  let wasm: KernelOps | undefined;
  const minhash: KernelOps['minhash'] = (...args) => (wasm ??= wasmKernel(memory, module)).minhash(...args);
  return nativeKernel(addon, memory.buffer, minhash);
}
