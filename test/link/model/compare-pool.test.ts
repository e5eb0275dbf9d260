import { afterAll, describe, expect, it } from 'vitest';
import { ComparePool, COMPARE_TASK_PAIRS } from '../../../src/link/model/compare-pool.js';
import { calibratePlan, compareCandidates, comparisonPlan } from '../../../src/link/model/compare.js';
import type { PartyData } from '../../../src/link/types.js';
import { splitmix32Stream } from '../../../src/util/prng.js';
import { isShared, sharedBytes, sharedU32 } from '../../../src/util/typed-arrays.js';
import { encodedParties, FIRST, LAST, type Rec } from './encoded-party.js';

/**
 * The compare pool (src/link/model/compare-pool.ts) gives the levels the
 * main thread gives, byte for byte, across task boundaries and between
 * parties; it is not used when a party's arrays are not in shared memory.
 */

const party = encodedParties('compare pool test secret');
const rnd = splitmix32Stream(9090);
const pick = (n: number) => Math.floor((rnd() / 2 ** 32) * n);
const p2 = (x: number) => String(x).padStart(2, '0');

/** Records with every kind of agreement: namesakes, one name changed, missing fields, day/month swaps, first/last swaps. */
function records(n: number): Rec[] {
  return Array.from({ length: n }, () => {
    const r: Rec = {
      first_name: FIRST[pick(FIRST.length)]!,
      last_name: LAST[pick(LAST.length)]!,
      middle_name: 'ABCDE'[pick(5)]!,
      birth_date: `${2000 + pick(3)}-${p2(1 + pick(3))}-${p2(1 + pick(3))}`,
      sex: pick(2) ? 'F' : 'M',
      zip: String(10000 + pick(3) * 101),
    };
    const t = pick(10);
    if (t === 0) delete r.birth_date;
    if (t === 1) delete r.zip;
    if (t === 2) delete r.middle_name;
    if (t === 3) [r.first_name, r.last_name] = [r.last_name, r.first_name];
    return r;
  });
}

/** The same party with every array copied into shared memory (what the loader gives). */
function shared(p: PartyData): PartyData {
  const bytes = (a: Uint8Array) => {
    const s = sharedBytes(a.length);
    s.set(a);
    return s;
  };
  const u32 = (a: Uint32Array) => {
    const s = sharedU32(a.length);
    s.set(a);
    return s;
  };
  return {
    ...p,
    clks: bytes(p.clks),
    popcounts: u32(p.popcounts),
    ...(p.presence ? { presence: bytes(p.presence) } : {}),
    ...(p.evidence ? { evidence: p.evidence.map((e) => ({ ...e, bytes: bytes(e.bytes), popcounts: u32(e.popcounts) })) } : {}),
  };
}

describe('compare pool', () => {
  const A = shared(party('a', records(400)));
  const B = shared(party('b', records(300)));
  const all = (n: number, m: number) => ({ a: Uint32Array.from({ length: n * m }, (_, x) => Math.floor(x / m)), b: Uint32Array.from({ length: n * m }, (_, x) => x % m) });
  const plan = calibratePlan(comparisonPlan(A), A, B, all(20, 20).a, all(20, 20).b);
  const pool = ComparePool.open(plan, [A, B], 2);
  afterAll(() => pool?.close());

  it('opens over shared parties with two workers', () => {
    expect(isShared(A.clks) && isShared(A.evidence![0]!.bytes)).toBe(true);
    expect(pool).toBeDefined();
  });

  it('gives the main thread levels byte for byte, across tasks and within a party', async () => {
    const x = all(400, 300); // 120,000 pairs: two tasks
    expect(x.a.length).toBeGreaterThan(COMPARE_TASK_PAIRS);
    const want = compareCandidates(plan, A, B, x.a, x.b).levels;
    expect(pool!.started).toBe(false); // no thread before a job needs one
    expect(new Set(want).size).toBeGreaterThan(8); // many levels of many comparisons, nulls among them
    const got = await pool!.compare(0, 1, x.a, x.b, 0);
    expect(pool!.started).toBe(true);
    expect(got.length).toBe(want.length);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
    // within party A (pairs i < j), some of them across the unique-value rule's identical filters
    const w = all(400, 400);
    const keep = Array.from({ length: w.a.length }, (_, k) => k).filter((k) => w.a[k]! < w.b[k]!);
    const wa = Uint32Array.from(keep, (k) => w.a[k]!);
    const wb = Uint32Array.from(keep, (k) => w.b[k]!);
    const wantW = compareCandidates(plan, A, A, wa, wb).levels;
    expect(Buffer.from(await pool!.compare(0, 0, wa, wb, 0)).equals(Buffer.from(wantW))).toBe(true);
  });

  it('compares a small job in the calling thread, with the same levels', async () => {
    const x = all(10, 10);
    expect(Buffer.from(await pool!.compare(1, 0, x.a, x.b)).equals(Buffer.from(compareCandidates(plan, B, A, x.a, x.b).levels))).toBe(true);
  });

  it('is not opened when a party is not in shared memory, or for one worker', () => {
    const plain = party('p', records(10));
    expect(isShared(plain.clks)).toBe(false);
    expect(ComparePool.open(plan, [A, plain], 2)).toBeUndefined();
    expect(ComparePool.open(plan, [A, B], 1)).toBeUndefined();
  });
});
