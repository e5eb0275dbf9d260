import { P20Error } from '../../errors.js';
import type { PartyData } from '../types.js';
import { DEFAULT_LSH_SEED, leafParts, type BlockingConfig } from './config.js';

/**
 * Band keys: every blocking part contributes one or more "bands"; in each
 * band every record gets a 32-bit key, and two records are a candidate pair
 * when their keys agree in at least one band. Keys are stored record-major
 * (keys[i * nb + band]) so the kernel can check quickly whether an earlier
 * band already proposed a pair (each pair is scored once, in its first band).
 *
 * - lsh (bit sampling, a Hamming-distance LSH): band k samples `rows`
 *   distinct bit positions (seeded, the same for every party) and the key
 *   is those bits packed into an integer. Two CLKs agree on a sampled bit
 *   with probability 1 - hamming/l, so similar CLKs share a band key often.
 * - keys: one band; the key is a dense id of the compound value of the
 *   named block columns. A record with any of them "" (missing) gets a key
 *   unique to it, so it pairs with nothing through this part.
 */

/** Number of bands a config produces (0 for all-pairs). */
export function bandCount(cfg: BlockingConfig): number {
  let n = 0;
  for (const p of leafParts(cfg)) {
    if (p.kind === 'lsh') n += p.bands;
    else if (p.kind === 'keys') n += 1;
  }
  return n;
}

/** splitmix32: small, fast, seedable PRNG (not for secrets). */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** The sampled bit positions of an LSH part: bands x rows distinct-per-band positions in [0, l). */
export function lshPositions(bands: number, rows: number, l: number, seed = DEFAULT_LSH_SEED): Int32Array {
  if (rows > l) throw new P20Error('LINK_BLOCKING_SPEC', `lsh rows=${rows} exceeds the CLK length ${l}`, { field: 'blocking' });
  const rnd = splitmix32(seed);
  const pos = new Int32Array(bands * rows);
  const perm = new Int32Array(l);
  for (let k = 0; k < bands; k++) {
    for (let i = 0; i < l; i++) perm[i] = i;
    for (let r = 0; r < rows; r++) {
      const x = r + (rnd() % (l - r));
      const t = perm[r]!;
      perm[r] = perm[x]!;
      perm[x] = t;
      pos[k * rows + r] = perm[r]!;
    }
  }
  return pos;
}

/** Fill LSH keys for records [from, to) of one party into keys (record-major, nb per record) at band offset. */
export function fillLshKeys(
  clks: Uint8Array, stride: number, from: number, to: number,
  pos: Int32Array, bands: number, rows: number,
  keys: Uint32Array, nb: number, bandOffset: number,
): void {
  for (let i = from; i < to; i++) {
    const base = i * stride;
    const ko = i * nb + bandOffset;
    let p = 0;
    for (let k = 0; k < bands; k++) {
      let key = 0;
      for (let r = 0; r < rows; r++) {
        const bit = pos[p++]!;
        key |= ((clks[base + (bit >>> 3)]! >>> (bit & 7)) & 1) << r;
      }
      keys[ko + k] = key >>> 0;
    }
  }
}

function blockColumn(p: PartyData, name: string): string[] {
  const col = p.blocks[name];
  if (!col) {
    const have = Object.keys(p.blocks);
    throw new P20Error(
      'LINK_BLOCK_MISSING',
      `blocking needs block column "${name}", which party "${p.name}" does not have (${have.length ? `it has: ${have.join(', ')}` : 'it has no block columns'}); encode with that block or choose other blocking`,
      { file: p.file, field: `block:${name}` },
    );
  }
  return col;
}

/** Fill the single band of a keys part for both parties (shared dictionary). */
function fillKeysPart(names: string[], a: PartyData, b: PartyData | null, keysA: Uint32Array, keysB: Uint32Array | null, nb: number, band: number): void {
  const dict = new Map<string, number>();
  let unique = 0x80000000;
  const fill = (p: PartyData, keys: Uint32Array) => {
    const cols = names.map((n) => blockColumn(p, n));
    for (let i = 0; i < p.count; i++) {
      let v: string;
      if (cols.length === 1) v = cols[0]![i]!;
      else {
        const parts = cols.map((c) => c[i]!);
        v = parts.some((x) => x === '') ? '' : parts.join('\u0000');
      }
      let id: number;
      if (v === '') id = unique++;
      else {
        const got = dict.get(v);
        if (got === undefined) {
          id = dict.size;
          dict.set(v, id);
        } else id = got;
      }
      keys[i * nb + band] = id >>> 0;
    }
  };
  fill(a, keysA);
  if (b && keysB) fill(b, keysB);
}

/**
 * Compute all band keys. keysA / keysB are count * nb u32 (keysB null for
 * within-party linking). Throws P20Error when a keys part names a block
 * column a party lacks.
 */
export function fillBandKeys(cfg: BlockingConfig, a: PartyData, b: PartyData | null, keysA: Uint32Array, keysB: Uint32Array | null): void {
  const nb = bandCount(cfg);
  let band = 0;
  for (const p of leafParts(cfg)) {
    if (p.kind === 'lsh') {
      const pos = lshPositions(p.bands, p.rows, a.header.l, p.seed ?? DEFAULT_LSH_SEED);
      fillLshKeys(a.clks, a.stride, 0, a.count, pos, p.bands, p.rows, keysA, nb, band);
      if (b && keysB) fillLshKeys(b.clks, b.stride, 0, b.count, pos, p.bands, p.rows, keysB, nb, band);
      band += p.bands;
    } else if (p.kind === 'keys') {
      fillKeysPart(p.names, a, b, keysA, keysB, nb, band);
      band += 1;
    }
  }
}
