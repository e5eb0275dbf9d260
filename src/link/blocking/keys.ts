import { P20Error } from '../../errors.js';
import { fmix32, murmurStep } from '../../util/murmur.js';
import { splitmix32Stream } from '../../util/prng.js';
import type { PartyData } from '../types.js';
import { DEFAULT_LSH_SEED, leafParts, type BlockingConfig } from './config.js';

/**
 * Band keys: every blocking part contributes one or more "bands"; in each
 * band every record gets a 32-bit key, and two records are a candidate pair
 * when their keys agree in at least one band. Keys are stored record-major
 * (keys[i * nb + band]) so the kernel can check quickly whether an earlier
 * band already proposed a pair (each pair is scored once, in its first band).
 *
 * - lsh (MinHash on the set bit positions): band k hashes `rows` MinHash
 *   values of the CLK (seeded permutations, the same for every party). Two
 *   CLKs agree on one MinHash with probability J = |A∧B|/|A∨B| = D/(2-D)
 *   (D = Dice), so they share band k with probability J^rows and at least
 *   one of `bands` bands with 1 - (1 - J^rows)^bands.
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


/**
 * Positions of each permutation stored in its head (lshPermutations). On
 * filters about half full the scan for the first set bit nearly always ends
 * within the first few positions, so the heads of all bands*rows
 * permutations, 16 positions each (32 KiB for 64 x 16), hold nearly all a
 * record's keys read, side by side instead of one per 2 KiB permutation;
 * the kernel reads the first of them without a branch (kernel.ts minhash).
 */
export const LSH_HEAD = 16;

/**
 * The permutations of an LSH part: bands*rows random permutations of the
 * bit positions [0, l), each the positions in permuted order. Seeded, so
 * every party (and every run) uses the same ones. Stored head-major:
 * permutation h's first H = min(LSH_HEAD, l) positions at h*H, its other
 * l - H at bands*rows*H + h*(l - H) (fillLshKeys, the kernel's minhash).
 */
export function lshPermutations(bands: number, rows: number, l: number, seed = DEFAULT_LSH_SEED): Uint16Array {
  if (l > 65536) throw new P20Error('LINK_BLOCKING_SPEC', `lsh supports CLKs up to 65536 bits, got ${l}`, { field: 'blocking' });
  const rnd = splitmix32Stream(seed);
  const n = bands * rows;
  const H = Math.min(LSH_HEAD, l);
  const perms = new Uint16Array(n * l);
  const one = new Uint16Array(l);
  for (let h = 0; h < n; h++) {
    for (let i = 0; i < l; i++) one[i] = i;
    for (let i = l - 1; i > 0; i--) {
      const x = rnd() % (i + 1);
      const t = one[i]!;
      one[i] = one[x]!;
      one[x] = t;
    }
    perms.set(one.subarray(0, H), h * H);
    perms.set(one.subarray(H), n * H + h * (l - H));
  }
  return perms;
}

/**
 * MinHash band keys for records [from, to) of one party. For permutation
 * pi the MinHash of a CLK's set bits is min over set bits x of pi(x): the
 * rank of the first set bit met when walking the positions in permuted
 * order, about l/popcount steps. A band's key hashes its `rows` MinHash
 * values together (MurmurHash3 mixing); an empty CLK gets a key of its own.
 */
export function fillLshKeys(
  clks: Uint8Array, stride: number, from: number, to: number,
  perms: Uint16Array, l: number, bands: number, rows: number,
  keys: Uint32Array, nb: number, bandOffset: number, emptyBase: number,
): void {
  const full = l & ~7;
  // permutation g: its head at g*H, its tail at tails + g*(l - H) (lshPermutations)
  const H = Math.min(LSH_HEAD, l);
  const tails = bands * rows * H;
  for (let i = from; i < to; i++) {
    const base = i * stride;
    const ko = i * nb + bandOffset;
    let any = 0;
    for (let x = 0; x < stride; x++) any |= clks[base + x]!;
    if (any === 0) {
      for (let k = 0; k < bands; k++) keys[ko + k] = (emptyBase + i) >>> 0;
      continue;
    }
    let g = 0;
    for (let k = 0; k < bands; k++) {
      let h = 0x9747b28c ^ k;
      for (let r = 0; r < rows; r++, g++) {
        // a whole byte is read from its low bit (any fixed order is a MinHash), the partial last byte of
        // an l that is not a multiple of 8 from its high bit, where the format keeps its bits (big-endian);
        // bounded by l so that no input can keep the loop going
        let q = 0;
        let p = g * H;
        while (q < l) {
          if (q === H) p = tails + g * (l - H) - H;
          const bit = perms[p + q]!;
          if ((clks[base + (bit >>> 3)]! >>> (bit < full ? bit & 7 : 7 - (bit & 7))) & 1) break;
          q++;
        }
        h = murmurStep(h, q);
      }
      keys[ko + k] = fmix32(h);
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

/** The LSH parts of a config with their permutations and band offsets. */
export function lshParts(cfg: BlockingConfig, l: number): Array<{ perms: Uint16Array; l: number; bands: number; rows: number; bandOffset: number }> {
  const out: Array<{ perms: Uint16Array; l: number; bands: number; rows: number; bandOffset: number }> = [];
  let band = 0;
  for (const p of leafParts(cfg)) {
    if (p.kind === 'lsh') {
      out.push({ perms: lshPermutations(p.bands, p.rows, l, p.seed ?? DEFAULT_LSH_SEED), l, bands: p.bands, rows: p.rows, bandOffset: band });
      band += p.bands;
    } else if (p.kind === 'keys') band += 1;
  }
  return out;
}

/**
 * Compute all band keys. keysA / keysB are count * nb u32 (keysB null for
 * within-party linking). Throws P20Error when a keys part names a block
 * column a party lacks. With lsh = false the LSH bands are left for the
 * caller (scorePairs computes them in parallel, see fillLshKeys).
 */
export function fillBandKeys(cfg: BlockingConfig, a: PartyData, b: PartyData | null, keysA: Uint32Array, keysB: Uint32Array | null, lsh = true): void {
  const nb = bandCount(cfg);
  let band = 0;
  for (const p of leafParts(cfg)) {
    if (p.kind === 'lsh' && !lsh) band += p.bands;
    else if (p.kind === 'lsh') {
      const l = a.header.l;
      const perms = lshPermutations(p.bands, p.rows, l, p.seed ?? DEFAULT_LSH_SEED);
      fillLshKeys(a.clks, a.stride, 0, a.count, perms, l, p.bands, p.rows, keysA, nb, band, 0);
      if (b && keysB) fillLshKeys(b.clks, b.stride, 0, b.count, perms, l, p.bands, p.rows, keysB, nb, band, a.count);
      band += p.bands;
    } else if (p.kind === 'keys') {
      fillKeysPart(p.names, a, b, keysA, keysB, nb, band);
      band += 1;
    }
  }
}
