import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clusterRecords, indexClusters, membersOf } from '../../src/link/resolve/cluster.js';
import { EdgeList } from '../../src/link/resolve/edges.js';

/** Random multi-party graphs: party of each node, edges (within and across parties) with scores. */
const graphArb = fc
  .record({
    parties: fc.integer({ min: 1, max: 4 }),
    nodes: fc.integer({ min: 2, max: 30 }),
  })
  .chain(({ parties, nodes }) =>
    fc.record({
      parties: fc.constant(parties),
      nodeParty: fc.array(fc.nat(parties - 1), { minLength: nodes, maxLength: nodes }),
      edges: fc.array(fc.record({ u: fc.nat(nodes - 1), v: fc.nat(nodes - 1), s: fc.integer({ min: 1, max: 1000 }) }), { maxLength: 120 }),
      caps: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: parties, maxLength: parties }),
      strong: fc.integer({ min: 0, max: 1000 }),
    }),
  );

describe('resolution with per-party caps (deduplicated parties stay 1:1)', () => {
  it('no entity holds more records of a party than its cap, with one phase or 1:1 first and duplicates after', () => {
    fc.assert(
      fc.property(graphArb, ({ parties, nodeParty, edges, caps, strong }) => {
        const all = new EdgeList();
        const dup = new EdgeList();
        for (const e of edges) {
          if (e.u === e.v) continue;
          all.push(e.u, e.v, e.s);
          if (e.s >= strong) dup.push(e.u, e.v, e.s);
        }
        const np = Uint32Array.from(nodeParty);
        for (const problem of [
          { phases: [all] },
          { phases: [all, dup], phaseCaps: [1, caps] },
        ]) {
          const c = clusterRecords({ nodeCount: nodeParty.length, nodeParty: np, partyCount: parties, maxPerParty: caps, ...problem });
          const ci = indexClusters(c.label);
          for (let k = 0; k < ci.count; k++) {
            const per = new Array<number>(parties).fill(0);
            for (const n of membersOf(ci, k)) per[np[n]!]!++;
            per.forEach((x, p) => expect(x).toBeLessThanOrEqual(caps[p]!));
          }
        }
      }),
    );
  });

  it('1:1 first: a duplicate joins only through an edge of the second phase', () => {
    // party 0: records 0 and 1 (the same person twice); party 1: record 2
    const np = Uint32Array.from([0, 0, 1]);
    const first = new EdgeList();
    first.push(0, 2, 0.9);
    first.push(1, 2, 0.8);
    const none = clusterRecords({ nodeCount: 3, nodeParty: np, partyCount: 2, maxPerParty: [2, 1], phases: [first, new EdgeList()], phaseCaps: [1, [2, 1]] });
    expect(none.label[1]).not.toBe(none.label[0]);
    const second = new EdgeList();
    second.push(1, 2, 0.8);
    const joined = clusterRecords({ nodeCount: 3, nodeParty: np, partyCount: 2, maxPerParty: [2, 1], phases: [first, second], phaseCaps: [1, [2, 1]] });
    expect(joined.label[1]).toBe(joined.label[0]);
    // a deduplicated party (cap 1) never takes the duplicate
    const dedup = clusterRecords({ nodeCount: 3, nodeParty: np, partyCount: 2, maxPerParty: [1, 1], phases: [first, second], phaseCaps: [1, [1, 1]] });
    expect(dedup.label[1]).not.toBe(dedup.label[0]);
  });
});
