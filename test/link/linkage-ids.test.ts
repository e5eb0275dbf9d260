import { describe, expect, it } from 'vitest';
import { LINKAGE_ID, newLinkageId } from '../../src/link/registry/ids.js';

describe('newLinkageId (pooled CSPRNG bytes)', () => {
  it('mints well-formed, distinct IDs across many pool refills', () => {
    const n = 20_000; // about 49 refills of the 4 KiB pool
    const ids = new Set<string>();
    for (let i = 0; i < n; i++) {
      const id = newLinkageId();
      expect(id).toMatch(LINKAGE_ID);
      ids.add(id);
    }
    expect(ids.size).toBe(n);
  });

  it('uses every character of the alphabet in every position (no byte of the pool reused or stuck)', () => {
    const seen = Array.from({ length: 16 }, () => new Set<string>());
    for (let i = 0; i < 5_000; i++) {
      const id = newLinkageId();
      for (let p = 0; p < 16; p++) seen[p]!.add(id[p + 1]!);
    }
    for (const s of seen) expect(s.size).toBe(32);
  });
});
