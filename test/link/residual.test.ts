import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clusterRecords, type ClusterView } from '../../src/link/resolve/cluster.js';
import { EdgeList } from '../../src/link/resolve/edges.js';
import { RESIDUAL_MAX_SHIFT, residualEdges, type ResidualPass } from '../../src/link/resolve/residual.js';
import { edgeScoreOfWeight, probabilityOfEdgeScore } from '../../src/link/model/predict.js';

/**
 * The match model's residual pass (src/link/resolve/residual.ts): after the
 * one-to-one and duplicate phases, a pair of records still free of each
 * other's party gains −log2(f_ij · f_ji) bits.
 */

const edges = (list: [number, number, number][]): EdgeList => {
  const e = new EdgeList();
  for (const [u, v, s] of list) e.push(u, v, s);
  return e;
};

describe('clusterRecords: a phase built from the clusters the earlier phases left', () => {
  it('the view says which parties a cluster holds and which nodes are together; accepted edges are counted per phase', () => {
    // parties: 0 = nodes 0-2, 1 = nodes 3-5
    const nodeParty = Uint32Array.from([0, 0, 0, 1, 1, 1]);
    let seen: boolean[] = [];
    const c = clusterRecords({
      nodeCount: 6,
      nodeParty,
      partyCount: 2,
      phases: [
        edges([[0, 3, 0.9]]),
        (view: ClusterView) => {
          seen = [view.holds(0, 1), view.holds(3, 0), view.holds(1, 1), view.holds(1, 0), view.together(0, 3), view.together(1, 4)];
          return edges([[1, 4, 0.5], [2, 4, 0.4]]);
        },
      ],
    });
    expect(seen).toEqual([true, true, false, true, true, false]);
    expect(c.acceptedPerPhase).toEqual([1, 1]);
    expect(c.label[1]).toBe(c.label[4]);
    expect(c.label[2]).not.toBe(c.label[4]);
  });
});

describe('residualEdges', () => {
  // two parties of 4 records (nodes 0-3, 4-7); the first phase linked 0-4 and 1-5, so half of each party is free
  const parties = [{ name: 'a', count: 4 }, { name: 'b', count: 4 }];
  const nodeParty = Uint32Array.from([0, 0, 0, 0, 1, 1, 1, 1]);
  const run = (near: [number, number, number][], report?: ResidualPass) =>
    clusterRecords({ nodeCount: 8, nodeParty, partyCount: 2, phases: [edges([[0, 4, 1], [1, 5, 1]]), (v) => residualEdges(parties, nodeParty, edges(near), 0, v, report)], phaseCaps: [1, 1] });

  it('known answer: free shares 1/2 and 1/2 give 2 bits; a pair of free records at -1.5 links (weight 0.5), one at -2.5 does not, a linked record is not free', () => {
    const report: ResidualPass = { pairs: [], accepted: 0 };
    const c = run([[2, 6, -1.5], [3, 7, -2.5], [0, 6, 3], [2, 5, 5]], report);
    expect(report.pairs).toEqual([{ partyA: 'a', partyB: 'b', freeA: 0.5, freeB: 0.5, shift: 2, proposed: 1 }]);
    expect(c.acceptedPerPhase).toEqual([2, 1]);
    expect(c.label[2]).toBe(c.label[6]);
    expect(c.label[3]).not.toBe(c.label[7]);
    // the link's score is the weight given both records free
    expect(probabilityOfEdgeScore(c.best[2]!)).toBeCloseTo(2 ** 0.5 / (1 + 2 ** 0.5), 6);
    expect(c.best[2]).toBeCloseTo(edgeScoreOfWeight(0.5), 5);
  });

  it("given shares (an increment's, stored by the full run) replace the measured ones; a party pair without them takes no part", () => {
    // three parties: a (0-3), b (4-7), c (8); the measured shares would be 1/2 and 1/2 (2 bits)
    const np = Uint32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2]);
    const ps = [{ name: 'a', count: 0 }, { name: 'b', count: 0 }, { name: 'c', count: 0 }];
    const given = (i: number, j: number): number | undefined => (i < 2 && j < 2 ? 0.25 : undefined);
    const report: ResidualPass = { pairs: [], accepted: 0 };
    // -3.5 links only with the given 4 bits (0.5 given both free), -4.5 not; the pair with c (no shares) stays apart at any weight below the decision
    const c = clusterRecords({
      nodeCount: 9,
      nodeParty: np,
      partyCount: 3,
      phases: [edges([[0, 4, 1], [1, 5, 1]]), (v) => residualEdges(ps, np, edges([[2, 6, -3.5], [3, 7, -4.5], [3, 8, -0.1]]), 0, v, report, given)],
      phaseCaps: [1, 1],
    });
    expect(report.pairs).toEqual([{ partyA: 'a', partyB: 'b', freeA: 0.25, freeB: 0.25, shift: 4, proposed: 1 }]);
    expect(c.label[2]).toBe(c.label[6]);
    expect(c.label[3]).not.toBe(c.label[7]);
    expect(c.label[3]).not.toBe(c.label[8]);
    expect(c.best[2]).toBeCloseTo(edgeScoreOfWeight(0.5), 5);
  });

  it('a record has at most one partner: each pair is set against the other free candidates of its records (known answers)', () => {
    // weights 1 and 1.5 given both free: 1.5 - log2(1 + 2) < 0 and 1 - log2(1 + 2^1.5) < 0, neither links
    const crowd = run([[2, 6, -1], [3, 6, -0.5]]);
    expect(crowd.acceptedPerPhase[1]).toBe(0);
    // weights 2.5 and -1: the first links at 2.5 - log2(1 + 0.5), the second stays apart
    const c = run([[2, 6, 0.5], [3, 6, -3]]);
    expect(c.label[2]).toBe(c.label[6]);
    expect(c.label[3]).not.toBe(c.label[6]);
    expect(c.best[2]).toBeCloseTo(edgeScoreOfWeight(2.5 - Math.log2(1.5)), 5);
  });

  it('property: the shift is -log2 of the free shares, at most RESIDUAL_MAX_SHIFT, and never links a record already holding the other party', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.double({ min: -12, max: 2, noNaN: true })), { maxLength: 12 }), fc.subarray([0, 1, 2, 3]), (near, linked) => {
        const first = linked.map((x) => [x, 4 + x, 1] as [number, number, number]);
        const report: ResidualPass = { pairs: [], accepted: 0 };
        const c = clusterRecords({ nodeCount: 8, nodeParty, partyCount: 2, phases: [edges(first), (v) => residualEdges(parties, nodeParty, edges(near.map(([a, b, w]) => [a, 4 + b, w])), 0, v, report)], phaseCaps: [1, 1] });
        const f = (4 - linked.length) / 4;
        const p = report.pairs[0]!;
        expect(p.freeA).toBe(f);
        expect(p.freeB).toBe(f);
        expect(p.shift).toBeCloseTo(Math.min(RESIDUAL_MAX_SHIFT, -Math.log2(f * f)), 12);
        // a record linked in the first phase keeps its one partner
        for (const x of linked) for (let y = 4; y < 8; y++) if (y !== 4 + x) expect(c.label[x]).not.toBe(c.label[y]);
        // one to one: no cluster holds two records of a party
        const seen = new Map<number, number>();
        for (let n = 0; n < 8; n++) {
          const k = c.label[n]! * 2 + nodeParty[n]!;
          seen.set(k, (seen.get(k) ?? 0) + 1);
        }
        for (const n of seen.values()) expect(n).toBe(1);
      }),
    );
  });
});
