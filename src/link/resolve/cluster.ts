import type { EdgeList } from './edges.js';

/**
 * Constrained greedy clustering (the resolution step for any number of
 * parties). Nodes are records, each belonging to one party. Edges are
 * similarity scores already at or above the match threshold.
 *
 * 1. `groups` are united unconditionally first (records of one registered
 *    entity that are not in this run's files: their link is history, not
 *    something this run has evidence about).
 * 2. Each edge list in `phases` is processed in turn, every list in the
 *    order score descending, then lower endpoint, then higher endpoint. An
 *    edge joins the clusters of its endpoints unless that would put two
 *    records of the same party into one cluster (parties in
 *    `duplicatesAllowed` are exempt). This is union-find with a
 *    per-cluster party set; with two parties and no exemptions it is exactly
 *    greedy one-to-one matching.
 *
 * A cluster's score is the lowest edge score used to build it (its weakest
 * link); a cluster built from no edge has no score (NaN).
 */
export interface ClusterProblem {
  nodeCount: number;
  /** Party index of every node. */
  nodeParty: Uint32Array;
  /** Party indices that may occur more than once in one cluster. */
  duplicatesAllowed?: ReadonlySet<number>;
  /** Node groups united unconditionally before any edge. */
  groups?: readonly (readonly number[])[];
  /** Edge lists, processed one after the other. */
  phases: readonly EdgeList[];
}

export interface Clustering {
  /** Representative node of each node's cluster (equal labels = same cluster). */
  label: Uint32Array;
  /** Weakest edge used, per node, for its cluster (NaN when the cluster used no edge). */
  score: Float32Array;
  /** Edges that joined two clusters. */
  accepted: number;
  /** Edges refused because the joined cluster would hold two records of one party. */
  refused: number;
}

export function clusterRecords(p: ClusterProblem): Clustering {
  const n = p.nodeCount;
  const parent = new Uint32Array(n);
  const size = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    parent[i] = i;
    size[i] = 1;
  }
  const minScore = new Float32Array(n).fill(NaN);
  const dup = p.duplicatesAllowed ?? new Set<number>();
  /** Constrained parties of multi-record clusters, by root. */
  const parties = new Map<number, number[]>();

  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r]!;
    while (parent[x] !== r) {
      const next = parent[x]!;
      parent[x] = r;
      x = next;
    }
    return r;
  };
  const partiesOf = (r: number): number[] => {
    const got = parties.get(r);
    if (got) return got;
    const party = p.nodeParty[r]!;
    return dup.has(party) ? [] : [party];
  };
  const conflict = (ra: number, rb: number): boolean => {
    const pa = partiesOf(ra);
    if (pa.length === 0) return false;
    const pb = partiesOf(rb);
    for (const x of pb) if (pa.includes(x)) return true;
    return false;
  };
  const union = (ra: number, rb: number, score: number): void => {
    let big = ra;
    let small = rb;
    if (size[big]! < size[small]!) {
      big = rb;
      small = ra;
    }
    const merged = partiesOf(big).concat(partiesOf(small));
    parent[small] = big;
    size[big] = size[big]! + size[small]!;
    parties.delete(small);
    parties.set(big, merged);
    const sb = minScore[big]!;
    const ss = minScore[small]!;
    let m = Number.isNaN(sb) ? ss : Number.isNaN(ss) ? sb : Math.min(sb, ss);
    if (!Number.isNaN(score)) m = Number.isNaN(m) ? score : Math.min(m, score);
    minScore[big] = m;
  };

  for (const g of p.groups ?? []) {
    for (let k = 1; k < g.length; k++) {
      const ra = find(g[0]!);
      const rb = find(g[k]!);
      if (ra !== rb) union(ra, rb, NaN);
    }
  }
  let accepted = 0;
  let refused = 0;
  for (const edges of p.phases) {
    const order = edges.order();
    for (let k = 0; k < order.length; k++) {
      const e = order[k]!;
      const ra = find(edges.u[e]!);
      const rb = find(edges.v[e]!);
      if (ra === rb) continue;
      if (conflict(ra, rb)) {
        refused++;
        continue;
      }
      union(ra, rb, edges.score[e]!);
      accepted++;
    }
  }
  const label = new Uint32Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = find(i);
    label[i] = r;
    score[i] = minScore[r]!;
  }
  return { label, score, accepted, refused };
}

/**
 * Clusters as compact arrays (no per-cluster objects, so millions of
 * singletons stay cheap): cluster c holds nodes[start[c] .. start[c+1]),
 * ascending; clusters are numbered in the order of their smallest node.
 */
export interface ClusterIndex {
  count: number;
  start: Uint32Array;
  nodes: Uint32Array;
  /** Cluster number of every node. */
  of: Uint32Array;
}

export function indexClusters(label: Uint32Array): ClusterIndex {
  const n = label.length;
  const of = new Uint32Array(n);
  const rootToCluster = new Map<number, number>();
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = label[i]!;
    let c = rootToCluster.get(r);
    if (c === undefined) {
      c = sizes.length;
      rootToCluster.set(r, c);
      sizes.push(0);
    }
    of[i] = c;
    sizes[c]!++;
  }
  const count = sizes.length;
  const start = new Uint32Array(count + 1);
  for (let c = 0; c < count; c++) start[c + 1] = start[c]! + sizes[c]!;
  const fill = start.slice(0, count);
  const nodes = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const c = of[i]!;
    nodes[fill[c]!++] = i;
  }
  return { count, start, nodes, of };
}

export function membersOf(ci: ClusterIndex, c: number): Uint32Array {
  return ci.nodes.subarray(ci.start[c]!, ci.start[c + 1]!);
}
