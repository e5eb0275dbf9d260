/**
 * KeySpill (src/link/registry/key-spill.ts): index rows held back on disk
 * and given back in key order, a bucket at a time.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { KeySpill } from '../../src/link/registry/key-spill.js';

const dir = mkdtempSync(join(tmpdir(), 'p20-key-spill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TWO32 = 2 ** 32;

function drain(s: KeySpill): [number, number][] {
  const out: [number, number][] = [];
  s.forEachSorted((keys, rids, n) => {
    for (let i = 0; i < n; i++) out.push([keys[i]!, rids[i]!]);
  });
  return out;
}

describe('KeySpill', () => {
  it('gives back every row held, keys ascending, rows of one key in the order given', () => {
    // keys from a few bands (as band × 2^32 + 32-bit hash, evidence band 0xffff too), many repeats
    const key = fc.tuple(fc.constantFrom(0, 1, 7, 0xffff), fc.integer({ min: 0, max: 2 ** 32 - 1 })).map(([b, h]) => b * TWO32 + h);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(key, fc.constantFrom(5, TWO32 + 9)), fc.integer({ min: 1, max: 2 ** 31 })), { maxLength: 300 }), (rows) => {
        const s = new KeySpill(join(dir, 'store.db'));
        try {
          rows.forEach(([k, r]) => s.add(k, r));
          expect(s.rows).toBe(rows.length);
          const got = drain(s);
          // a stable sort by key: what a sort of the rows given by key alone gives
          expect(got).toEqual([...rows].sort((a, b) => a[0] - b[0]));
          expect(s.rows).toBe(0);
        } finally {
          s.close();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('spills buckets larger than its buffer to a private directory beside the store, removed by close', () => {
    const s = new KeySpill(join(dir, 'big.db'));
    const spills = () => readdirSync(dir).filter((f) => f.startsWith('.big.db.p20link-tmp-'));
    expect(spills()).toHaveLength(1);
    const at = join(dir, spills()[0]!);
    expect(statSync(at).mode & 0o777).toBe(0o700);
    // 20,000 rows in one bucket (buffer 4,096), descending, and 3 in another
    const n = 20_000;
    for (let i = n - 1; i >= 0; i--) s.add(3 * TWO32 + i * 7, i);
    for (const k of [2 * TWO32 + 5, 2 * TWO32 + 1, 2 * TWO32 + 3]) s.add(k, 1);
    expect(readdirSync(at).length).toBeGreaterThan(0);
    const got = drain(s);
    expect(got.length).toBe(n + 3);
    expect(got.slice(0, 3)).toEqual([
      [2 * TWO32 + 1, 1],
      [2 * TWO32 + 3, 1],
      [2 * TWO32 + 5, 1],
    ]);
    for (let i = 0; i < n; i++) expect(got[3 + i]).toEqual([3 * TWO32 + i * 7, i]);
    s.close();
    expect(existsSync(at)).toBe(false);
  });
});
