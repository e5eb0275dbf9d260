import type { EncodedHeader } from '../format/encoded-file.js';

/**
 * One party's encodings loaded for linking, packed for the similarity kernel.
 * Produced by src/link/load.ts, consumed by src/link/score.ts (kernel +
 * blocking) and the resolution steps. The loader puts the filter matrices,
 * popcounts and presence bytes in shared memory (SharedArrayBuffer), so the
 * match model's compare workers read them in place; arrays in ordinary
 * memory work too, compared in the calling thread.
 */
export interface PartyData {
  /** Party label (from the header, or overridden on the command line). */
  name: string;
  /** Path the data came from (for messages). */
  file: string;
  header: EncodedHeader;
  /** Record ids in file order; index i is record i everywhere below. */
  ids: string[];
  /** Number of records. */
  count: number;
  /** Bytes per CLK: ceil(l/8) rounded up to a multiple of 8 (zero padded), so CLKs align to 64-bit words. */
  stride: number;
  /** count * stride bytes, record i at [i*stride, (i+1)*stride). */
  clks: Uint8Array;
  /** Number of set bits of each CLK. */
  popcounts: Uint32Array;
  /** Keyed blocking values by block name, one string per record ("" = missing). */
  blocks: Record<string, string[]>;
  /** Evidence filters, same packing as clks (stride per filter), in header order (header.evidence). */
  evidence?: { name: string; l: number; stride: number; bytes: Uint8Array; popcounts: Uint32Array }[];
  /** Presence bitmask per record: bit i (value 2^i) = feature header.presence[i] present (default schema: first_name, last_name, birth_date, sex, zip, middle_name). */
  presence?: Uint8Array;
}

/** Scored candidate pairs between party A and party B (or within one party), as parallel arrays. */
export interface ScoredPairs {
  /** Index into party A's records. */
  a: Uint32Array;
  /** Index into party B's records. */
  b: Uint32Array;
  /** Dice coefficient in [0, 1]. */
  score: Float32Array;
  /** How many pairs the blocking proposed (before the threshold). */
  candidates: number;
  /** How many pairs the kernel actually compared (after the popcount filter). */
  compared: number;
}

export type { TruthRecord } from '../format/truth.js';
