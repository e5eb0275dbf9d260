/**
 * The kernel interface shared by the WebAssembly kernel (wasm.ts), the
 * optional native kernel (native.ts) and the plain JavaScript kernel (js.ts).
 * All operate on one linear memory that the caller lays out (see layout.ts);
 * pointers are byte offsets into it. Output records are triples
 * (a u32, b u32, score f32), 12 bytes each. Every implementation gives the
 * same pairs, counts and float32 scores bit for bit.
 *
 * The calls are not tied to whole-record CLKs: `rect` and `buckets` take any
 * base offset, popcount array and stride (a multiple of 8 bytes), so a
 * per-field similarity can lay out each field's bits as its own packed
 * matrix (with its own popcounts) and use the same fast path.
 */
export interface KernelOps {
  readonly kind: KernelKind;
  /**
   * All pairs of A rows [i0,i1) x B rows [j0,j1) (within = 1: only j > i).
   * Writes pairs with Dice >= t; room for (i1-i0)*(j1-j0) triples is required.
   * Returns the number written.
   */
  rect(aBase: number, aPop: number, i0: number, i1: number, bBase: number, bPop: number, j0: number, j1: number, stride: number, t: number, within: number, out: number): number;
  /**
   * One blocking band over a bucket table (aStart, aLen, bStart, bLen) x u32.
   * Resumable: starts at (resumeBucket, resumeRow), stops before a row that
   * may overflow outCap; finished when resumeBucket() === nBuckets.
   */
  buckets(
    aBase: number, aPop: number, bBase: number, bPop: number, stride: number, t: number,
    keysA: number, keysB: number, nb: number, band: number,
    orderA: number, orderB: number, table: number, nBuckets: number, within: number,
    out: number, outCap: number,
  ): number;
  /** MinHash band keys of records [from, to); same values as blocking/keys.ts fillLshKeys. perms: u16 permutations. */
  minhash(
    clks: number, stride: number, from: number, to: number,
    perms: number, l: number, bands: number, rows: number,
    keys: number, nb: number, bandOffset: number, emptyBase: number,
  ): void;
  compared(): number;
  candidates(): number;
  resetCounters(): void;
  setResume(bucket: number, row: number): void;
  resumeBucket(): number;
  resumeRow(): number;
}

/** Which implementation a KernelOps is. */
export type KernelKind = 'native' | 'wasm' | 'js';

/**
 * What a caller asks for: 'auto' (default) = the native kernel when it is
 * built and passes its self-test, else WebAssembly; 'native' = the same
 * (falls back to WebAssembly when the native kernel is not available);
 * 'wasm' and 'js' force those. The environment variable P20LINK_KERNEL=wasm
 * turns 'auto' into 'wasm' (to rule the native kernel out when debugging).
 */
export type KernelPreference = 'auto' | KernelKind;

/** Bytes per output triple. */
export const OUT_RECORD_BYTES = 12;
