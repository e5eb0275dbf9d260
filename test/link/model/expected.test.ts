import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CandidateOdds, expectedQuality, missingFieldMatches, oneToOneMatches, oneToOneWeights } from '../../../src/link/model/expected.js';
import { edgeScoreOfWeight, probabilityOfWeight } from '../../../src/link/model/predict.js';
import { EdgeList } from '../../../src/link/resolve/edges.js';

// nodes 0-2 party 0, 3-5 party 1, 6 party 2
const nodeParty = Uint32Array.from([0, 0, 0, 1, 1, 1, 2]);

describe('CandidateOdds', () => {
  it('a pair alone keeps its match probability; a crowd shares one partner', () => {
    const o = new CandidateOdds(nodeParty, 3);
    o.add(0, 3, 2);
    expect(o.probability(0, 3, 2)).toBeCloseTo(probabilityOfWeight(2), 12);
    // node 1 has two candidates in party 1 at odds 4 and 2: 4 / (1 + 4 + 2)
    o.add(1, 4, 2);
    o.add(1, 5, 1);
    expect(o.probability(1, 4, 2)).toBeCloseTo(4 / 7, 12);
    expect(o.probability(1, 5, 1)).toBeCloseTo(2 / 7, 12);
    // the competitor of the other record counts too: node 4 also meets node 2 at odds 8
    o.add(2, 4, 3);
    expect(o.probability(1, 4, 2)).toBeCloseTo(4 / (1 + 4 + 2 + 8), 12);
    // candidates in another party do not compete (a record has one partner per party)
    o.add(0, 6, 5);
    expect(o.probability(0, 3, 2)).toBeCloseTo(probabilityOfWeight(2), 12);
  });

  it('within one file the record competes with its other within-file candidates', () => {
    const o = new CandidateOdds(nodeParty, 3);
    o.add(0, 1, 1);
    o.add(0, 2, 1);
    expect(o.probability(0, 1, 1)).toBeCloseTo(2 / (1 + 2 + 2), 12);
  });

  it('huge weights give 1 and never NaN', () => {
    const o = new CandidateOdds(nodeParty, 3);
    o.add(0, 3, 1e6);
    o.add(0, 4, 1e6);
    o.add(1, 5, -1e6);
    expect(o.probability(1, 5, -1e6)).toBe(0);
    const p = o.probability(0, 3, 1e6);
    expect(Number.isFinite(p)).toBe(true);
    expect(p).toBeCloseTo(0.5, 12);
  });

  it('the expected matches never exceed one partner per record and party, and equal Σ p without crowds', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 3, max: 5 }), fc.double({ min: -20, max: 20, noNaN: true })), { minLength: 1, maxLength: 12 }), (pairs) => {
        const seen = new Set<number>();
        const uniq = pairs.filter(([u, v]) => !seen.has(u * 8 + v) && seen.add(u * 8 + v));
        const o = new CandidateOdds(nodeParty, 3);
        for (const [u, v, w] of uniq) o.add(u, v, w);
        const perRecord = new Float64Array(7);
        for (const [u, v, w] of uniq) {
          const p = o.probability(u, v, w);
          perRecord[u]! += p;
          perRecord[v]! += p;
        }
        for (const s of perRecord) expect(s).toBeLessThanOrEqual(1 + 1e-9);
        const lone = uniq.every(([u, v]) => uniq.filter(([a, b]) => a === u || b === v).length === 1);
        if (lone) for (const [u, v, w] of uniq) expect(o.probability(u, v, w)).toBeCloseTo(probabilityOfWeight(w), 9);
      }),
    );
  });
});

describe('oneToOneWeights', () => {
  const weighOf = (pairs: readonly (readonly [number, number, number])[], duplicateW = 0): Float64Array => {
    const each = (f: (u: number, v: number, w: number) => void): void => {
      for (const [u, v, w] of pairs) f(u, v, w);
    };
    const o = new CandidateOdds(nodeParty, 3);
    each((u, v, w) => o.add(u, v, w));
    return oneToOneWeights(o, each, duplicateW);
  };

  it('two equal candidates of one record share it: neither reaches the decision alone', () => {
    // record 0 meets records 3 and 4 of party 1 at weight 3 (odds 8): each 8 / (1 + 8 + 8)
    const w = weighOf([
      [0, 3, 3],
      [0, 4, 3],
    ]);
    expect(w[0]).toBeCloseTo(3 - Math.log2(9), 12);
    expect(w[1]).toBeCloseTo(3 - Math.log2(9), 12);
    expect(probabilityOfWeight(w[0]!)).toBeCloseTo(8 / 17, 12);
    // a pair alone keeps its weight
    expect(weighOf([[0, 3, 3]])[0]).toBe(3);
  });

  it("a likely duplicate of the other record is no rival; a within-file pair below duplicateW is, and within-file weights stay", () => {
    // records 3 and 4 of party 1 are within-file candidates at weight 2
    const pairs: [number, number, number][] = [
      [0, 3, 3],
      [0, 4, 3],
      [3, 4, 2],
    ];
    const dup = weighOf(pairs, 2);
    expect(dup[0]).toBe(3);
    expect(dup[1]).toBe(3);
    expect(dup[2]).toBe(2);
    const rival = weighOf(pairs, 2.5);
    expect(rival[0]).toBeCloseTo(3 - Math.log2(9), 12);
    expect(rival[2]).toBe(2);
    // the duplicate is left out on both sides: record 3's duplicate 4 is no rival of 3's partner 0 either
    const both = weighOf([
      [0, 3, 3],
      [4, 0, 3],
      [3, 4, 2],
      [1, 3, 1],
    ], 2);
    expect(both[0]).toBeCloseTo(3 - Math.log2(1 + 2), 12);
    expect(both[1]).toBeCloseTo(3, 12);
  });

  it('no weight rises; a lone pair and a within-file pair keep theirs; without likely duplicates the weight is the one-to-one probability\'s', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.double({ min: -20, max: 20, noNaN: true })), { minLength: 1, maxLength: 14 }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        (raw, duplicateW) => {
          const seen = new Set<number>();
          const pairs = raw.filter(([u, v]) => u !== v && !seen.has(Math.min(u, v) * 8 + Math.max(u, v)) && seen.add(Math.min(u, v) * 8 + Math.max(u, v)));
          const o = new CandidateOdds(nodeParty, 3);
          for (const [u, v, w] of pairs) o.add(u, v, w);
          const w1 = weighOf(pairs, duplicateW);
          const noDuplicates = !pairs.some(([u, v, w]) => nodeParty[u] === nodeParty[v] && w >= duplicateW);
          pairs.forEach(([u, v, w], x) => {
            expect(w1[x]!).toBeLessThanOrEqual(w);
            const lone = pairs.filter(([a, b]) => (a === u || b === u || a === v || b === v) && nodeParty[a] !== nodeParty[b]).length === 1;
            if (nodeParty[u] === nodeParty[v] || lone) expect(w1[x]).toBe(w);
            else if (noDuplicates) expect(probabilityOfWeight(w1[x]!)).toBeCloseTo(o.probability(u, v, w), 9);
          });
        },
      ),
    );
  });
});

describe('expectedQuality', () => {
  it('counts the linked pairs the resolution weighed (at one-to-one weights) at their own probabilities, a residual pair at the pass probability', () => {
    // 0-3 strong, 1-4 strong, 2-5 below the decision, linked by the residual pass; 0-4 a namesake not linked
    const cands: [number, number, number][] = [
      [0, 3, 10],
      [1, 4, 3],
      [2, 5, -2],
      [0, 4, 1],
    ];
    const one = oneToOneMatches(nodeParty, 3, (f) => {
      for (const [u, v, w] of cands) f(u, v, w);
    }, 0);
    // the one-to-one weight's probability is the pair's one-to-one probability: 0-4 rivals 0-3 (odds 1024) and 1-4 (odds 8)
    cands.forEach(([u, v, w], x) => expect(probabilityOfWeight(one.weights[x]!)).toBeCloseTo(one.odds.probability(u, v, w), 12));
    expect(one.weights[3]).toBeCloseTo(1 - Math.log2(1 + 1024 + 8), 12);
    let matches = 0;
    for (const [u, v, w] of cands) matches += one.odds.probability(u, v, w);
    expect(one.matches).toBeCloseTo(matches, 12);
    const residual = new EdgeList();
    residual.push(2, 5, edgeScoreOfWeight(1.5));
    // entities {0,3}, {1,4}, {2,5}, {6}; the residual pass weighs pairs down to 10 bits below the decision
    const label = Uint32Array.from([0, 1, 2, 0, 1, 2, 6]);
    const q = expectedQuality(label, one, 0, -10, residual);
    expect(q.links).toBe(3);
    expect(q.matches).toBeCloseTo(matches, 12);
    const pass = probabilityOfWeight(Math.fround(edgeScoreOfWeight(1.5)) - 256);
    expect(q.precision).toBeCloseTo((probabilityOfWeight(10) + probabilityOfWeight(3) + pass) / 3, 12);
    const linked = one.odds.probability(0, 3, 10) + one.odds.probability(1, 4, 3) + one.odds.probability(2, 5, -2);
    expect(q.recall).toBeCloseTo(linked / matches, 12);
    // without the pass's proposal, the pair counts at its own probability
    const q2 = expectedQuality(label, one, 0, -10, null);
    expect(q2.precision).toBeCloseTo((probabilityOfWeight(10) + probabilityOfWeight(3) + probabilityOfWeight(-2)) / 3, 12);
    // without the residual pass only the pairs at or above the decision were weighed
    expect(expectedQuality(label, one, 0, Number.POSITIVE_INFINITY, null).links).toBe(2);
    // nothing linked: precision 1 by convention, recall 0
    const apart = Uint32Array.from([0, 1, 2, 3, 4, 5, 6]);
    expect(expectedQuality(apart, one, 0, -10, residual)).toEqual({ precision: 1, recall: 0, links: 0, matches: one.matches });
  });
});

describe('matches of records without a birth date beyond their candidates', () => {
  // party 0: nodes 0-3 with the date, 4-5 without; party 1: nodes 6-9, all with it; node 10 (party 1) unknown
  const parties = Uint32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  const missing = Uint8Array.from([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2]);

  it('expects as many partners per record of the records without it as of those with it, per ordered party pair', () => {
    // S per (A, B, class): party 0 towards 1, with the date 3 over 4 records, without 0.5 over 2 records
    const partners = new Float64Array(2 * 2 * 2);
    partners[(0 * 2 + 1) * 2] = 3;
    partners[(0 * 2 + 1) * 2 + 1] = 0.5;
    // party 1 has no record without the date: nothing to add there
    partners[(1 * 2 + 0) * 2] = 3.5;
    expect(missingFieldMatches(parties, 2, partners, missing)).toBeCloseTo((2 * 3) / 4 - 0.5, 12);
    // records without the date that hold more than their share add nothing (never below 0)
    partners[(0 * 2 + 1) * 2 + 1] = 2;
    expect(missingFieldMatches(parties, 2, partners, missing)).toBe(0);
  });

  it('oneToOneMatches adds them to the expected matches, and only across files', () => {
    const pairs: [number, number, number][] = [
      [0, 6, 30],
      [1, 7, 30],
      [2, 8, 30],
      [3, 9, 30],
      [4, 10, 30], // a record without the date meets the unknown one: counted for party 0's records without it
      [0, 1, -30], // within one file: never a deficit
    ];
    const each = (f: (u: number, v: number, w: number) => void) => {
      for (const [u, v, w] of pairs) f(u, v, w);
    };
    const plain = oneToOneMatches(parties, 2, each, 0);
    const withMissing = oneToOneMatches(parties, 2, each, 0, missing);
    expect(plain.missingField).toBe(0);
    // party 0 with the date: 4 partners over 4 records; without: node 4 holds 1, node 5 none -> 2 · 1 − 1 = 1
    expect(withMissing.missingField).toBeCloseTo(1, 6);
    expect(withMissing.matches).toBeCloseTo(plain.matches + 1, 6);
    expect(withMissing.bandMatches).toEqual(plain.bandMatches);
  });

  it('is never negative and is 0 when no record lacks the field', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { minLength: 8, maxLength: 8 }), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 11, maxLength: 11 }), (s, m) => {
        const partners = Float64Array.from(s);
        const miss = Uint8Array.from(m);
        expect(missingFieldMatches(parties, 2, partners, miss)).toBeGreaterThanOrEqual(0);
        expect(missingFieldMatches(parties, 2, partners, miss.map((x) => (x === 1 ? 0 : x)))).toBe(0);
      }),
    );
  });
});
