/**
 * The kernel interface shared by the WebAssembly kernel (wasm.ts) and the
 * plain JavaScript kernel (js.ts). Both operate on one linear memory that
 * the caller lays out (see layout.ts); pointers are byte offsets into it.
 * Output records are triples (a u32, b u32, score f32), 12 bytes each.
 */
export interface KernelOps {
  readonly kind: 'wasm' | 'js';
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

/** Bytes per output triple. */
export const OUT_RECORD_BYTES = 12;
