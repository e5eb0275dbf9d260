import { P20Error } from '../../errors.js';
import type { PartyData } from '../types.js';
import { isAllPairs, validateBlockingConfig, type BlockingConfig } from './config.js';
import { bandCount, fillBandKeys } from './keys.js';

/**
 * How many of the given true pairs (index into a, index into b) the
 * blocking proposes as candidates. b = null: within-party pairs (i, j), i != j.
 * With a "none" part every pair is kept.
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
  const nb = bandCount(blocking);
  const keysA = new Uint32Array(a.count * nb);
  const keysB = b ? new Uint32Array(b.count * nb) : keysA;
  fillBandKeys(blocking, a, b, keysA, b ? keysB : null);
  let kept = 0;
  for (const [i, j] of truth) {
    if (b === null && i === j) continue;
    const oa = i * nb;
    const ob = j * nb;
    for (let k = 0; k < nb; k++) {
      if (keysA[oa + k] === keysB[ob + k]) {
        kept++;
        break;
      }
    }
  }
  return { total: truth.length, kept };
}
