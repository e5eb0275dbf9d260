import { P20Error } from '../../errors.js';
import type { PartyData } from '../types.js';
import { DEFAULT_LSH_SEED, isAllPairs, leafParts, validateBlockingConfig, type BlockingConfig } from './config.js';
import { fillLshKeys, lshPermutations } from './keys.js';

/**
 * How many of the given true pairs (index into a, index into b) the
 * blocking proposes as candidates. b = null: pairs within party a. With a
 * "none" part every pair is kept. Only the records named in `truth` are
 * hashed, so this is cheap next to scoring.
 */
export function countKeptPairs(a: PartyData, b: PartyData | null, blocking: BlockingConfig, truth: ReadonlyArray<readonly [number, number]>): { total: number; kept: number } {
  validateBlockingConfig(blocking);
  const B = b ?? a;
  for (const [i, j] of truth) {
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= a.count || j >= B.count) {
      throw new P20Error('LINK_TRUTH_INDEX', `true pair (${i}, ${j}) is out of range for ${a.count} x ${B.count} records`);
    }
  }
  if (isAllPairs(blocking)) return { total: truth.length, kept: truth.length };
  const parts = leafParts(blocking);
  // keys parts: the named block values must all be present and equal
  const keyParts: Array<{ ca: string[][]; cb: string[][] }> = [];
  for (const p of parts) {
    if (p.kind !== 'keys') continue;
    const col = (q: PartyData, name: string): string[] => {
      const c = q.blocks[name];
      if (!c) {
        throw new P20Error('LINK_BLOCK_MISSING', `blocking needs block column "${name}", which party "${q.name}" does not have`, { file: q.file, field: `block:${name}` });
      }
      return c;
    };
    keyParts.push({ ca: p.names.map((n) => col(a, n)), cb: p.names.map((n) => col(B, n)) });
  }
  // lsh parts: band keys of the records involved, computed on demand
  const lsh = parts.flatMap((p) => (p.kind === 'lsh' ? [{ perms: lshPermutations(p.bands, p.rows, a.header.l, p.seed ?? DEFAULT_LSH_SEED), bands: p.bands, rows: p.rows }] : []));
  const sig = (q: PartyData, i: number, part: (typeof lsh)[number], side: number): Uint32Array => {
    const keys = new Uint32Array(part.bands);
    fillLshKeys(q.clks.subarray(i * q.stride, (i + 1) * q.stride), q.stride, 0, 1, part.perms, a.header.l, part.bands, part.rows, keys, part.bands, 0, side === 0 ? i : a.count + i);
    return keys;
  };
  let kept = 0;
  for (const [i, j] of truth) {
    if (b === null && i === j) continue;
    let hit = false;
    for (const kp of keyParts) {
      if (kp.ca.every((c, x) => c[i] !== '' && c[i] === kp.cb[x]![j])) {
        hit = true;
        break;
      }
    }
    for (let x = 0; x < lsh.length && !hit; x++) {
      const ka = sig(a, i, lsh[x]!, 0);
      const kb = sig(B, j, lsh[x]!, b === null ? 0 : 1);
      for (let k = 0; k < ka.length; k++) {
        if (ka[k] === kb[k]) {
          hit = true;
          break;
        }
      }
    }
    if (hit) kept++;
  }
  return { total: truth.length, kept };
}
