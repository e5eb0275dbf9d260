import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { greedyOneToOne } from '../../src/link/resolve/one-to-one.js';
import { clusterRecords, indexClusters, membersOf } from '../../src/link/resolve/cluster.js';
import { EdgeList } from '../../src/link/resolve/edges.js';

const pairsArb = (na: number, nb: number) =>
  fc.array(fc.record({ a: fc.nat(na - 1), b: fc.nat(nb - 1), s: fc.integer({ min: 0, max: 100 }) }), { maxLength: 80 }).map((ps) => {
    // one score per (a, b) pair, as the kernel produces
    const m = new Map<string, { a: number; b: number; s: number }>();
    for (const p of ps) m.set(`${p.a},${p.b}`, p);
    const list = [...m.values()];
    return {
      a: Uint32Array.from(list.map((p) => p.a)),
      b: Uint32Array.from(list.map((p) => p.b)),
      score: Float32Array.from(list.map((p) => p.s / 100)),
    };
  });

describe('greedy one-to-one matching', () => {
  it('known answer: highest score first, each record used once, ties by lower index', () => {
    const pairs = {
      a: Uint32Array.from([0, 0, 1, 1, 2]),
      b: Uint32Array.from([0, 1, 0, 1, 2]),
      score: Float32Array.from([0.9, 0.95, 0.95, 0.85, 0.79]),
    };
    const m = greedyOneToOne(pairs, 0.8);
    // 0.95 ties: (0,1) before (1,0) (lower A first); both accepted; (0,0) and (1,1) conflict; (2,2) below threshold
    expect([...m.a]).toEqual([0, 1]);
    expect([...m.b]).toEqual([1, 0]);
  });

  it('a pair exactly at the threshold is linked even though 0.7 is not exact in float32', () => {
    const m = greedyOneToOne({ a: Uint32Array.of(0), b: Uint32Array.of(0), score: Float32Array.of(0.7) }, 0.7);
    expect(m.a.length).toBe(1);
  });

  it('property: output is a maximal matching above the threshold', () => {
    fc.assert(
      fc.property(pairsArb(12, 12), fc.integer({ min: 0, max: 100 }), (pairs, t100) => {
        const t = t100 / 100;
        const m = greedyOneToOne(pairs, t);
        expect(new Set(m.a).size).toBe(m.a.length);
        expect(new Set(m.b).size).toBe(m.b.length);
        for (const s of m.score) expect(s).toBeGreaterThanOrEqual(Math.fround(t));
        // every accepted pair exists in the input with that score
        for (let k = 0; k < m.a.length; k++) {
          const idx = [...pairs.a.keys()].find((i) => pairs.a[i] === m.a[k] && pairs.b[i] === m.b[k]);
          expect(idx).toBeDefined();
          expect(pairs.score[idx!]).toBe(m.score[k]);
        }
        // maximal: an unused pair above threshold touches a used record
        const ua = new Set(m.a);
        const ub = new Set(m.b);
        for (let i = 0; i < pairs.a.length; i++) {
          if (pairs.score[i]! >= Math.fround(t)) expect(ua.has(pairs.a[i]!) || ub.has(pairs.b[i]!)).toBe(true);
        }
      }),
    );
  });

  it('property: equals a plain reference (comparator sort, sets)', () => {
    fc.assert(
      fc.property(pairsArb(30, 30), fc.integer({ min: 0, max: 100 }), (pairs, t100) => {
        const t = Math.fround(t100 / 100);
        const idx = [...pairs.a.keys()].filter((i) => pairs.score[i]! >= t);
        idx.sort((x, y) => pairs.score[y]! - pairs.score[x]! || pairs.a[x]! - pairs.a[y]! || pairs.b[x]! - pairs.b[y]!);
        const ua = new Set<number>();
        const ub = new Set<number>();
        const ref: string[] = [];
        for (const i of idx) {
          if (ua.has(pairs.a[i]!) || ub.has(pairs.b[i]!)) continue;
          ua.add(pairs.a[i]!);
          ub.add(pairs.b[i]!);
          ref.push(`${pairs.a[i]},${pairs.b[i]},${pairs.score[i]}`);
        }
        const m = greedyOneToOne(pairs, t100 / 100);
        expect(Array.from(m.a, (a, k) => `${a},${m.b[k]},${m.score[k]}`)).toEqual(ref);
      }),
    );
  });

  it('property: two-party clustering with max one per party equals greedy matching', () => {
    fc.assert(
      fc.property(pairsArb(10, 10), (pairs) => {
        const t = 0.5;
        const m = greedyOneToOne(pairs, t);
        const e = new EdgeList(4);
        for (let i = 0; i < pairs.a.length; i++) if (pairs.score[i]! >= Math.fround(t)) e.push(pairs.a[i]!, 10 + pairs.b[i]!, pairs.score[i]!);
        const nodeParty = new Uint32Array(20);
        nodeParty.fill(1, 10);
        const c = clusterRecords({ nodeCount: 20, nodeParty, partyCount: 2, phases: [e] });
        const linked: string[] = [];
        for (let a = 0; a < 10; a++) for (let b = 0; b < 10; b++) if (c.label[a] === c.label[10 + b]) linked.push(`${a},${b}`);
        const greedy = [...m.a].map((a, k) => `${a},${m.b[k]}`);
        expect(linked.sort()).toEqual(greedy.sort());
        expect(c.accepted).toBe(m.a.length);
      }),
    );
  });
});

describe('multi-party clustering', () => {
  it('known answer: three parties chain into one cluster; a second record of a party is refused', () => {
    // nodes 0,1 party 0; 2 party 1; 3 party 2
    const e = new EdgeList();
    e.push(0, 2, 0.95);
    e.push(2, 3, 0.9);
    e.push(1, 3, 0.85); // would put 0 and 1 (both party 0) together: refused
    const c = clusterRecords({ nodeCount: 4, nodeParty: Uint32Array.from([0, 0, 1, 2]), partyCount: 3, phases: [e] });
    expect(c.label[0]).toBe(c.label[2]);
    expect(c.label[0]).toBe(c.label[3]);
    expect(c.label[1]).not.toBe(c.label[0]);
    expect(c.refused).toBe(1);
    expect(c.accepted).toBe(2);
    expect(c.best[3]).toBeCloseTo(0.9, 6);
    expect(c.clusterScore[0]).toBeCloseTo(0.9, 6);
    expect(Number.isNaN(c.best[1]!)).toBe(true);
    // with two per party allowed the edge is accepted
    const c2 = clusterRecords({ nodeCount: 4, nodeParty: Uint32Array.from([0, 0, 1, 2]), partyCount: 3, maxPerParty: 2, phases: [e] });
    expect(c2.label[1]).toBe(c2.label[0]);
  });

  it('property: clusters never exceed max-per-party, and edges are deterministic in order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.tuple(fc.nat(23), fc.nat(23), fc.integer({ min: 50, max: 100 })), { maxLength: 60 }),
        (P, max, raw) => {
          const n = 24;
          const nodeParty = Uint32Array.from({ length: n }, (_, i) => i % P);
          const e = new EdgeList(2);
          for (const [u, v, s] of raw) if (u !== v && (max > 1 || nodeParty[u] !== nodeParty[v])) e.push(u, v, s / 100);
          const c = clusterRecords({ nodeCount: n, nodeParty, partyCount: P, maxPerParty: max, phases: [e] });
          const ci = indexClusters(c.label);
          for (let k = 0; k < ci.count; k++) {
            const counts = new Map<number, number>();
            for (const node of membersOf(ci, k)) counts.set(nodeParty[node]!, (counts.get(nodeParty[node]!) ?? 0) + 1);
            for (const v of counts.values()) expect(v).toBeLessThanOrEqual(max);
          }
          expect(c.accepted + c.refused + c.redundant).toBe(e.length);
          // same edges pushed in reverse order give the same clustering
          const r = new EdgeList(2);
          for (let k = e.length - 1; k >= 0; k--) r.push(e.v[k]!, e.u[k]!, e.score[k]!);
          const c2 = clusterRecords({ nodeCount: n, nodeParty, partyCount: P, maxPerParty: max, phases: [r] });
          const same = (x: Uint32Array) => Array.from(x, (_, i) => Array.from(x, (__, j) => x[i] === x[j]));
          expect(same(c2.label)).toEqual(same(c.label));
        },
      ),
    );
  });
});

describe('edge order', () => {
  it('property: radix-sorted edges equal sorting by (score desc, u asc, v asc)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(200_000), fc.nat(200_000), fc.integer({ min: 0, max: 1000 })), { maxLength: 300 }),
        (raw) => {
          const e = new EdgeList(1);
          for (const [u, v, s] of raw) e.push(u, v, s / 1000);
          const expected = Array.from({ length: e.length }, (_, i) => i).sort(
            (x, y) => e.score[y]! - e.score[x]! || e.u[x]! - e.u[y]! || e.v[x]! - e.v[y]!,
          );
          const got = e.sorted();
          const key = (i: number) => `${e.score[i]},${e.u[i]},${e.v[i]}`;
          expect(Array.from(got.u, (_, k) => `${got.score[k]},${got.u[k]},${got.v[k]}`)).toEqual(expected.map(key));
        },
      ),
    );
  });
});
