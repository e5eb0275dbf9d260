/**
 * LSH keys already computed for a filter matrix, kept for the next scoring
 * pass over the same matrix with the same LSH configuration. The match
 * model's candidate passes (candidatePairs in src/link/model) score every party
 * against itself and against each other party, on the CLK and on each
 * evidence filter: without the cache each party's MinHash keys (the largest
 * single cost of those passes) are computed once per job the party takes
 * part in. Keys are a pure function of the filter bytes and the LSH
 * configuration, so a cached run gives the same candidates bit for bit.
 *
 * Entries are held by the filter's byte array (the same object for every
 * view of one party's filter) until `release`; the cache keeps no more than
 * `budgetBytes` of keys and simply stops storing beyond that (later passes
 * then compute their keys as before).
 */
export class LshKeyCache {
  private readonly entries = new Map<Uint8Array, Map<string, Uint32Array>>();
  private held = 0;

  constructor(readonly budgetBytes: number = DEFAULT_LSH_KEY_CACHE_BYTES) {}

  get(filter: Uint8Array, config: string): Uint32Array | undefined {
    return this.entries.get(filter)?.get(config);
  }

  /** Keep a copy of `keys` for (filter, config), if the budget allows. */
  put(filter: Uint8Array, config: string, keys: Uint32Array): void {
    if (this.held + keys.byteLength > this.budgetBytes) return;
    let m = this.entries.get(filter);
    if (!m) this.entries.set(filter, (m = new Map()));
    if (m.has(config)) return;
    m.set(config, keys.slice());
    this.held += keys.byteLength;
  }

  /** Forget every entry of a filter matrix (its party takes part in no later pass). */
  release(filter: Uint8Array): void {
    const m = this.entries.get(filter);
    if (!m) return;
    for (const k of m.values()) this.held -= k.byteLength;
    this.entries.delete(filter);
  }

  /** Bytes of keys held. */
  get size(): number {
    return this.held;
  }
}

/**
 * Default budget: 256 MiB of keys (64 LSH bands cost 256 bytes per record
 * and filter). The cache adds to the linker's peak while the candidate jobs
 * run: at 1,000,000 people (2.04 million records, three parties) a 768 MiB
 * budget raised the peak from 5,640 to 6,260 MiB, over the 6 GiB the match
 * model is held to; 256 MiB keeps it under.
 */
export const DEFAULT_LSH_KEY_CACHE_BYTES = 256 * 2 ** 20;
