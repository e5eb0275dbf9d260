import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asBins } from '../../src/report/histogram.js';
import type { LinksFile } from '../../src/format/links.js';
import type { TruthRecord as TruthRow } from '../../src/format/truth.js';
import { computeQuality } from '../../src/report/quality.js';

function links(party: string, rows: [string, string, number?][]): LinksFile {
  return { party, file: `${party}.links.csv`, hasScore: true, records: new Map(rows.map(([id, l, s]) => [id, { linkageId: l, score: s }])) };
}
const truth = (rows: [string, string, string][]): TruthRow[] => rows.map(([entity, party, id]) => ({ entity, party, id }));

describe('quality over pairs: a case worked by hand', () => {
  // truth: E1 = a1 b1 c1; E2 = a2 b2; E3 = a3 c3; E4 = c2
  const T = truth([
    ['E1', 'a', '1'], ['E1', 'b', '1'], ['E1', 'c', '1'],
    ['E2', 'a', '2'], ['E2', 'b', '2'],
    ['E3', 'a', '3'], ['E3', 'c', '3'],
    ['E4', 'c', '2'],
  ]);
  // linker: L1 = a1 b1; L9 = c1 alone; L2 = a2 b2 c2 (c2 wrongly); a3, c3 alone
  const L = [
    links('a', [['1', 'L1', 0.95], ['2', 'L2', 0.9], ['3', 'L3']]),
    links('b', [['1', 'L1', 0.95], ['2', 'L2', 0.9]]),
    links('c', [['1', 'L9'], ['2', 'L2', 0.81], ['3', 'L4']]),
  ];
  const q = computeQuality(L, T);

  it('counts pairs, precision, recall and F1', () => {
    // true pairs: a1b1 a1c1 b1c1 a2b2 a3c3 = 5; linked: a1b1 a2b2 a2c2 b2c2 = 4; correct: a1b1 a2b2
    expect(q.truePairs).toBe(5);
    expect(q.linkedPairs).toBe(4);
    expect(q.tp).toBe(2);
    expect(q.fp).toBe(2);
    expect(q.fn).toBe(3);
    expect(q.precision).toBeCloseTo(0.5, 12);
    expect(q.recall).toBeCloseTo(0.4, 12);
    expect(q.f1).toBeCloseTo(4 / 9, 12);
    expect(q.linkedRecords).toEqual({ a: 2, b: 2, c: 1 });
  });

  it('classifies the wrong pairs', () => {
    expect(q.missedByKind).toEqual({ 'unlinked-both': 1, 'unlinked-one': 2, split: 0, absent: 0 });
    expect(q.falseByKind).toEqual({ 'different-people': 2, 'not-in-truth': 0 });
    const falses = q.wrong.filter((w) => w.kind === 'false').map((w) => `${w.a.party}${w.a.id}-${w.b.party}${w.b.id}`);
    expect(falses.sort()).toEqual(['a2-c2', 'b2-c2']);
    const f = q.wrong.find((w) => w.kind === 'false' && w.a.party === 'a')!;
    expect(f.score).toBeCloseTo(0.81, 6);
    expect(f.entityA).toBe('E2');
    expect(f.entityB).toBe('E4');
    const missed = q.wrong.filter((w) => w.kind === 'missed').map((w) => `${w.detail}:${w.a.party}${w.a.id}-${w.b.party}${w.b.id}`);
    expect(missed.sort()).toEqual(['unlinked-both:a3-c3', 'unlinked-one:a1-c1', 'unlinked-one:b1-c1']);
  });

  it('counts by party pair', () => {
    const by = Object.fromEntries(q.byPartyPair.map((p) => [p.parties.join('|'), [p.truePairs, p.linkedPairs, p.tp]]));
    expect(by).toEqual({ 'a|b': [2, 2, 2], 'a|c': [2, 1, 0], 'b|c': [1, 1, 0] });
  });

  it('reports split clusters and records missing from the links files', () => {
    const q2 = computeQuality(
      [links('a', [['1', 'X', 0.9], ['5', 'Y', 0.9]]), links('b', [['1', 'Y', 0.9], ['9', 'X', 0.9]])],
      truth([['E1', 'a', '1'], ['E1', 'b', '1'], ['E9', 'b', '9'], ['E5', 'a', '5'], ['E7', 'a', '7'], ['E7', 'b', '7']]),
    );
    // a1-b1 missed (a1 with b9, b1 with a5: both linked elsewhere) -> split; a7-b7 absent
    expect(q2.missedByKind.split).toBe(1);
    expect(q2.missedByKind.absent).toBe(1);
    expect(q2.fp).toBe(2);
  });

  it('breaks true, missed and false pairs down by the trouble their records carry', () => {
    const trouble = new Map<string, string[]>([
      ['c\u00001', ['nickname']],
      ['a\u00003', ['typo', 'nickname']],
      ['c\u00002', ['typo']],
    ]);
    const qt = computeQuality(L, T, { trouble });
    const by = Object.fromEntries(qt.byTrouble!.map((r) => [r.kind, [r.truePairs, r.missed, r.falsePairs]]));
    // nickname: a1c1, b1c1 (missed), a3c3 (missed) -> 3 true, 3 missed; typo: a3c3 true+missed, a2c2 and b2c2 false
    expect(by.nickname).toEqual([3, 3, 0]);
    expect(by.typo).toEqual([1, 1, 2]);
    expect(by['(none)']).toEqual([2, 0, 0]);
    expect(qt.byTrouble![0]!.missRate).toBe(1);
  });

  it('counts linked pairs by score band (the lower of the two records\' scores), with their precision', () => {
    // linked pairs: a1b1 (0.95, 0.95), a2b2 (0.9, 0.9) right; a2c2 and b2c2 (lower score 0.81) wrong
    const qb = computeQuality(L, T, { scoreBands: [{ from: 0, to: 0.5 }, { from: 0.5, to: 0.9 }, { from: 0.9, to: 1 }] });
    expect(qb.byScoreBand).toEqual([
      { from: 0, to: 0.5, linked: 0, correct: 0, precision: 0 },
      { from: 0.5, to: 0.9, linked: 2, correct: 0, precision: 0 },
      { from: 0.9, to: 1, linked: 2, correct: 2, precision: 1 },
    ]);
    expect(q.byScoreBand).toBeUndefined();
  });

  it('ignores truth records of parties that were not linked', () => {
    const q3 = computeQuality([L[0]!, L[1]!], T);
    expect(q3.truePairs).toBe(2);
    expect(q3.f1).toBe(1);
  });
});

describe('quality properties', () => {
  it('perfect links give F1 = 1; counts always add up', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), fc.boolean()), { minLength: 1, maxLength: 120 }), (rows) => {
        const parties = ['p', 'q', 'r'];
        const T: TruthRow[] = [];
        const perfect: Record<string, [string, string, number?][]> = { p: [], q: [], r: [] };
        const noisy: Record<string, [string, string, number?][]> = { p: [], q: [], r: [] };
        const seen = new Set<string>();
        rows.forEach(([ent, other, flip], i) => {
          const party = parties[i % 3]!;
          const id = String(i);
          if (seen.has(party + id)) return;
          seen.add(party + id);
          T.push({ entity: `E${ent}`, party, id });
          perfect[party]!.push([id, `L${ent}`, 0.9]);
          noisy[party]!.push([id, `L${flip ? other : ent}`, 0.9]);
        });
        const mk = (m: typeof perfect) => parties.map((p) => links(p, m[p]!));
        const a = computeQuality(mk(perfect), T);
        expect(a.fp).toBe(0);
        expect(a.fn).toBe(0);
        if (a.truePairs > 0) expect(a.f1).toBe(1);
        const b = computeQuality(mk(noisy), T);
        expect(b.tp + b.fn).toBe(b.truePairs);
        expect(b.tp + b.fp).toBe(b.linkedPairs);
        expect(b.wrong.length).toBe(b.fp + b.fn);
        for (const x of [b.precision, b.recall, b.f1]) expect(x >= 0 && x <= 1).toBe(true);
        const sum = b.byPartyPair.reduce((s, p) => s + p.tp, 0);
        expect(sum).toBe(b.tp);
      }),
    );
  });
});

describe('run-report histograms', () => {
  it('reads the linker format (binWidth 0.01, 101 counts) and other shapes', () => {
    const counts = new Array(101).fill(0);
    counts[85] = 7;
    counts[100] = 2;
    const bins = asBins({ binWidth: 0.01, counts })!;
    expect(bins.length).toBe(101);
    expect(bins[85]!.lo).toBeCloseTo(0.85, 10);
    expect(bins[85]!.count).toBe(7);
    expect(asBins([{ lo: 0, hi: 0.5, count: 1 }, { lo: 0.5, hi: 1, count: 3 }])!.map((b) => b.count)).toEqual([1, 3]);
    expect(asBins({ edges: [0, 0.5, 1], counts: [4, 5] })![1]).toEqual({ lo: 0.5, hi: 1, count: 5 });
    expect(asBins('nope')).toBeUndefined();
  });
});
