import { describe, expect, it } from 'vitest';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { LshKeyCache } from '../../src/link/lsh-key-cache.js';
import { scorePairs } from '../../src/link/score.js';
import { relatedParties } from './score-fixtures.js';

const pairsOf = (r: { a: Uint32Array; b: Uint32Array; score: Float32Array }) => Array.from(r.a, (a, x) => `${a},${r.b[x]},${r.score[x]}`);

describe('LSH key cache (keys reused across scoring passes)', () => {
  const { a, b } = relatedParties(600, 500, 256, 17);
  const blocking = parseBlockingSpec('lsh:bands=16,rows=4');

  for (const workers of [1, 2]) {
    it(`gives the same pairs as computing the keys, cross and within, first and second use (${workers} thread${workers > 1 ? 's' : ''})`, async () => {
      const plain = await scorePairs(a, b, { threshold: 0.7, blocking, workers });
      const plainWithin = await scorePairs(b, null, { threshold: 0.7, blocking, workers });
      const cache = new LshKeyCache();
      const first = await scorePairs(a, b, { threshold: 0.7, blocking, workers, keyCache: cache });
      expect(cache.size).toBe((600 + 500) * 16 * 4);
      // b's keys now come from the cache, for its within pass and a second cross pass
      const within = await scorePairs(b, null, { threshold: 0.7, blocking, workers, keyCache: cache });
      const second = await scorePairs(a, b, { threshold: 0.7, blocking, workers, keyCache: cache });
      expect(plain.a.length).toBeGreaterThan(100);
      expect(pairsOf(first)).toEqual(pairsOf(plain));
      expect(pairsOf(second)).toEqual(pairsOf(plain));
      expect(pairsOf(within)).toEqual(pairsOf(plainWithin));
      expect(cache.size).toBe((600 + 500) * 16 * 4);
    });
  }

  it('reads the keys it holds: keys planted for a matrix change what a pass proposes', async () => {
    const cache = new LshKeyCache();
    const config = `${a.header.l}:${JSON.stringify(blocking)}`;
    // every record of a and b in one bucket per band: all pairs proposed, so more pairs reach the threshold than with real keys
    cache.put(a.clks, config, new Uint32Array(600 * 16).fill(7));
    cache.put(b.clks, config, new Uint32Array(500 * 16).fill(7));
    const planted = await scorePairs(a, b, { threshold: 0.7, blocking, workers: 1, keyCache: cache });
    const real = await scorePairs(a, b, { threshold: 0.7, blocking, workers: 1 });
    expect(planted.candidates).toBe(600 * 500);
    expect(real.candidates).toBeLessThan(600 * 500);
  });

  it('is not used for keyed-value bands, keeps to its budget and lets go of released matrices', async () => {
    const cache = new LshKeyCache(600 * 16 * 4);
    await scorePairs(a, b, { threshold: 0.7, blocking, workers: 1, keyCache: cache });
    expect(cache.size).toBe(600 * 16 * 4); // a fits, b would pass the budget
    cache.release(a.clks);
    expect(cache.size).toBe(0);
    const keyed = new LshKeyCache();
    const withKeys = { ...a, blocks: { yob: a.ids.map((_, i) => String(i % 7)) } };
    const withKeysB = { ...b, blocks: { yob: b.ids.map((_, i) => String(i % 7)) } };
    await scorePairs(withKeys, withKeysB, { threshold: 0.7, blocking: parseBlockingSpec('keys:yob+lsh:bands=8,rows=12'), workers: 1, keyCache: keyed });
    expect(keyed.size).toBe(0);
  });
});
