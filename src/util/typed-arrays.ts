/** Typed arrays of one kind, one after the other, in a fresh buffer of its own (so it can be transferred to or from a worker). */
export function concatTyped<T extends Uint8Array | Uint32Array | Float64Array>(parts: readonly T[], make: (length: number) => T): T {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = make(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Zeroed arrays over a SharedArrayBuffer: worker threads given them (in a
 * message) read and write the same memory, with no copy. The linker keeps the
 * loaded filter matrices in them so that the match model's comparisons can
 * run in workers (src/link/model/compare-pool.ts).
 */
export function sharedBytes(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(n));
}

export function sharedU32(n: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(n * 4));
}

/** True when the array's memory is a SharedArrayBuffer (a worker sees it without a copy). */
export function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}
