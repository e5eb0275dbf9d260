import { describe, expect, it } from 'vitest';
import { calibratePlan, compareCandidates, comparisonPlan, JOINT_LABELS } from '../../../src/link/model/compare.js';
import { NULL_LEVEL } from '../../../src/link/model/types.js';
import type { PartyData } from '../../../src/link/types.js';
import type { EncodedHeader } from '../../../src/format/encoded-file.js';

const L = 256;
const STRIDE = L / 8;
const FEATURES = ['first_name', 'last_name', 'birth_date', 'sex', 'zip', 'middle_name'];
const ALL = 0b111111;

/** A filter with bits [from, from + n) set. */
function bits(from: number, n: number): Uint8Array {
  const f = new Uint8Array(STRIDE);
  for (let i = from; i < from + n; i++) f[i >>> 3]! |= 1 << (i & 7);
  return f;
}
const pop = (f: Uint8Array) => f.reduce((t, b) => t + b.toString(2).replaceAll('0', '').length, 0);

function party(name: string, recs: { clk: Uint8Array; names: Uint8Array; fd: Uint8Array; ld: Uint8Array; presence: number }[]): PartyData {
  const pack = (xs: Uint8Array[]) => {
    const bytes = new Uint8Array(xs.length * STRIDE);
    xs.forEach((x, i) => bytes.set(x, i * STRIDE));
    return { bytes, popcounts: Uint32Array.from(xs.map(pop)) };
  };
  const c = pack(recs.map((r) => r.clk));
  const ev = (['names', 'first_dob', 'last_dob'] as const).map((n, k) => ({ name: n, l: L, stride: STRIDE, ...pack(recs.map((r) => [r.names, r.fd, r.ld][k]!)) }));
  return {
    name,
    file: `${name}.enc`,
    header: { l: L, presence: FEATURES, evidence: ev.map((e) => ({ name: e.name, l: L })) } as unknown as EncodedHeader,
    ids: recs.map((_, i) => `${name}${i}`),
    count: recs.length,
    stride: STRIDE,
    clks: c.bytes,
    popcounts: c.popcounts,
    blocks: {},
    evidence: ev,
    presence: Uint8Array.from(recs.map((r) => r.presence)),
  };
}

// unrelated filters: disjoint bit ranges give Dice 0; identical give 1
const F = bits(0, 40);
const LAST = bits(60, 40);
const OTHER = bits(120, 40);
const rec = (o: Partial<{ clk: Uint8Array; names: Uint8Array; fd: Uint8Array; ld: Uint8Array; presence: number }> = {}) => ({ clk: F, names: F, fd: F, ld: LAST, presence: ALL, ...o });

describe('comparison vectors from evidence filters', () => {
  const A = party('a', [rec(), rec(), rec({ presence: ALL & ~0b100 }), rec()]);
  const B = party('b', [
    rec(), // identical
    rec({ fd: LAST, ld: F }), // first/last swapped
    rec(), // A's birth date missing
    rec({ ld: OTHER, names: OTHER, clk: OTHER }), // last name changed
  ]);
  // baselines from pairs of unrelated records: 0 here (disjoint filters), so absolute bands = relative bands
  const plan = calibratePlan(comparisonPlan(A), A, B, [3], [0]);

  it('plan: clk, names, the joint name_dob and the CLK given one name changed', () => {
    expect(plan.defs.map((d) => d.name)).toEqual(['clk', 'names', 'name_dob', 'clk_one_name']);
    expect(plan.defs[3]!.levels).toEqual(plan.defs[0]!.levels);
    expect(plan.defs[2]!.levels).toEqual([...JOINT_LABELS]);
  });

  it('levels: identical, swap-aware, names only without a birth date, one name changed', () => {
    const v = compareCandidates(plan, A, B, [0, 1, 2, 3], [0, 1, 2, 3]);
    const row = (p: number) => Array.from(v.levels.subarray(p * 4, p * 4 + 4));
    expect(row(0)).toEqual([0, NULL_LEVEL, 0, NULL_LEVEL]); // names left out when both birth dates are there
    expect(row(1)).toEqual([NULL_LEVEL, NULL_LEVEL, 0, NULL_LEVEL]); // the crosswise comparison sees the swap; the order-sensitive CLK says nothing
    expect(row(2)).toEqual([NULL_LEVEL, 0, NULL_LEVEL, NULL_LEVEL]); // birth date missing: names counts, name_dob and the CLK are null
    // one name+dob agrees, the other does not; A's first name + date filter is shared by three of its records: not unique
    expect(row(3)[2]).toBe(JOINT_LABELS.indexOf('first+dob,last low'));
    // the CLK (unrelated) counts as clk_one_name there, not as clk
    expect(row(3)[0]).toBe(NULL_LEVEL);
    expect(row(3)[3]).toBe(6);
    // without the split the CLK is one comparison
    const plain = calibratePlan(comparisonPlan(A, { strata: false }), A, B, [3], [0]);
    expect(plain.defs.map((d) => d.name)).toEqual(['clk', 'names', 'name_dob']);
    expect(compareCandidates(plain, A, B, [3], [3]).levels[0]).toBe(6);
    expect(plan.defs[2]!.ordered).toBe(false);
  });
});

describe('name_dob: which name agrees, and whether its value is unique in both files', () => {
  // distinct name + date filters per record (disjoint bit ranges), so identical means the same value
  const V = (k: number) => bits(k * 12, 12);
  const X = (k: number) => bits(130 + k * 12, 12);
  const r = (fd: Uint8Array, ld: Uint8Array) => rec({ fd, ld, clk: fd, names: fd });
  const A = party('a', [r(V(0), V(1)), r(V(2), V(3)), r(V(4), V(5)), r(V(4), V(6)), r(V(7), V(8))]);
  const B = party('b', [
    r(V(0), X(0)), // A0's first name + date, unique in both; surname changed
    r(X(1), V(3)), // A1's surname + date, unique in both; first name changed
    r(V(4), X(2)), // A2's first name + date, which A3 shares: not unique in A
    r(V(7), X(3)), // A4's first name + date, but B4 has it too: not unique in B
    r(V(7), X(4)),
    r(V(8), X(5)), // swapped order: A4's surname in B's first-name filter, unique
  ]);
  const plan = calibratePlan(comparisonPlan(A), A, B, [0], [1]);
  const level = (i: number, j: number, P = B) => compareCandidates(plan, A, P, [i], [j]).levels[2]!;
  it('unique first name + date, unique surname + date, and crowds', () => {
    expect(level(0, 0)).toBe(JOINT_LABELS.indexOf('first+dob unique,last low'));
    expect(level(1, 1)).toBe(JOINT_LABELS.indexOf('last+dob unique,first low'));
    expect(level(2, 2)).toBe(JOINT_LABELS.indexOf('first+dob,last low'));
    expect(level(4, 3)).toBe(JOINT_LABELS.indexOf('first+dob,last low'));
    expect(level(0, 1)).toBe(JOINT_LABELS.indexOf('both low'));
    // first/last swapped: A4's surname + date sits in B5's first-name filter, once in each
    expect(level(4, 5)).toBe(JOINT_LABELS.indexOf('last+dob unique,first low'));
  });
  it('a near-identical (not identical) filter is not unique', () => {
    const C = party('c', [r(bits(0, 11), X(0))]); // A0's first name + date with one bit less: top band, not identical
    expect(level(0, 0, C)).toBe(JOINT_LABELS.indexOf('first+dob,last low'));
  });
  it('within one file: the pair itself holds the value twice', () => {
    const D = party('d', [r(V(0), V(1)), r(V(0), X(0)), r(V(2), V(3)), r(V(2), X(1)), r(V(2), X(2))]);
    const dplan = calibratePlan(comparisonPlan(D), D, D, [0], [2]);
    const lv = (i: number, j: number) => compareCandidates(dplan, D, D, [i], [j]).levels[2]!;
    expect(lv(0, 1)).toBe(JOINT_LABELS.indexOf('first+dob unique,last low'));
    expect(lv(2, 3)).toBe(JOINT_LABELS.indexOf('first+dob,last low'));
  });
});
