import { P20Error } from '../../errors.js';
import type { EdgeList } from './edges.js';

/**
 * Constrained greedy clustering: the resolution step for any number of
 * parties (documented in protocols/link-output.md, "Resolution").
 *
 * Nodes are records; every node belongs to one party. Edges are similarity
 * scores already at or above the match threshold (between parties, and
 * within a party when that party may hold duplicates).
 *
 * 1. `groups` (optional) are united unconditionally first.
 * 2. Each edge list in `phases` is processed in turn, each in the order
 *    score descending, then smaller endpoint, then larger endpoint (a total
 *    order, so the result is deterministic). An edge joins the clusters of
 *    its endpoints unless the joined cluster would then hold more than
 *    `maxPerParty` records of some party (one cap for all parties, or one
 *    per party: a party declared deduplicated has cap 1); such an edge is
 *    refused.
 *
 * This is union-find with a per-cluster count of records per party
 * (allocated only for clusters of two or more records, so millions of
 * singletons stay cheap). With two parties and maxPerParty = 1 it is exactly
 * greedy one-to-one matching (see greedyOneToOne; a test checks they agree).
 * A cluster never contains two records joined only through a refused edge;
 * because edges are taken strongest first, every record is attached through
 * its strongest admissible link.
 */
export interface ClusterProblem {
  nodeCount: number;
  /** Party index (0..partyCount-1) of every node. */
  nodeParty: Uint32Array;
  partyCount: number;
  /** Most records of one party allowed in one cluster (default 1): one number for every party, or one per party index. */
  maxPerParty?: number | readonly number[];
  /** Node groups united unconditionally before any edge. */
  groups?: readonly (readonly number[])[];
  /**
   * Edge lists, processed one after the other. A function is called when its
   * phase begins, with the clusters as the earlier phases left them, and
   * returns that phase's edges (the match model's residual pass).
   */
  phases: readonly (EdgeList | ((view: ClusterView) => EdgeList))[];
  /** Per phase, a cap replacing maxPerParty in that phase (e.g. 1:1 first, duplicates later). */
  phaseCaps?: readonly (number | readonly number[] | undefined)[];
}

/** The clusters as the earlier phases left them (ClusterProblem.phases). */
export interface ClusterView {
  /** Whether the cluster of `node` holds a record of `party`. */
  holds(node: number, party: number): boolean;
  /** Whether two nodes are in one cluster. */
  together(u: number, v: number): boolean;
  /** Whether `node` is alone in its cluster (no record joined it). */
  alone(node: number): boolean;
  /** The node that represents the cluster of `node` (while the phase's edges are made). */
  root(node: number): number;
}

export interface Clustering {
  /** Representative node of each node's cluster (equal labels = same cluster). */
  label: Uint32Array;
  /** Weakest accepted edge of each node's cluster (NaN when the cluster used no edge). */
  clusterScore: Float32Array;
  /** Strongest accepted edge touching each node (NaN when none: the record was not linked). */
  best: Float32Array;
  /** Edges that joined two clusters. */
  accepted: number;
  /** The same, per phase. */
  acceptedPerPhase: number[];
  /** Edges refused because the joined cluster would exceed maxPerParty for some party. */
  refused: number;
  /** Edges whose endpoints were already in one cluster. */
  redundant: number;
}

export function clusterRecords(p: ClusterProblem): Clustering {
  const n = p.nodeCount;
  const P = p.partyCount;
  const capsOf = (given: number | readonly number[]): number[] => {
    const caps = typeof given === 'number' ? new Array<number>(P).fill(given) : [...given];
    if (caps.length !== P) throw new Error('clusterRecords: maxPerParty has a length other than partyCount');
    for (const max of caps) {
      if (!Number.isInteger(max) || max < 1) {
        throw new P20Error('LINK_MAX_PER_PARTY', `max-per-party must be a positive integer, got ${max}`);
      }
    }
    return caps;
  };
  const baseCaps = capsOf(p.maxPerParty ?? 1);
  let maxOf = baseCaps;
  if (p.nodeParty.length !== n) throw new Error('clusterRecords: nodeParty length differs from nodeCount');
  const parent = new Uint32Array(n);
  const size = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    parent[i] = i;
    size[i] = 1;
  }
  const minScore = new Float32Array(n).fill(NaN);
  const best = new Float32Array(n).fill(NaN);
  /** Records per party of multi-record clusters, by root (undefined: a single record). */
  const counts: (Uint32Array | undefined)[] = new Array<Uint32Array | undefined>(n);
  const np = p.nodeParty;

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
  /** Would uniting the clusters of roots ra and rb exceed max records of some party? (no allocation) */
  const conflict = (ra: number, rb: number): boolean => {
    const ca = counts[ra];
    const cb = counts[rb];
    if (!ca && !cb) return np[ra] === np[rb] && maxOf[np[ra]!]! < 2;
    if (!ca) return cb![np[ra]!]! + 1 > maxOf[np[ra]!]!;
    if (!cb) return ca[np[rb]!]! + 1 > maxOf[np[rb]!]!;
    for (let k = 0; k < P; k++) if (ca[k]! + cb[k]! > maxOf[k]!) return true;
    return false;
  };
  const union = (ra: number, rb: number, score: number): void => {
    let big = ra;
    let small = rb;
    if (size[big]! < size[small]!) {
      big = rb;
      small = ra;
    }
    let merged = counts[big];
    if (!merged) {
      merged = new Uint32Array(P);
      merged[np[big]!] = 1;
    }
    const other = counts[small];
    if (other) for (let k = 0; k < P; k++) merged[k] = merged[k]! + other[k]!;
    else merged[np[small]!]!++;
    parent[small] = big;
    size[big] = size[big]! + size[small]!;
    counts[small] = undefined;
    counts[big] = merged;
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
  const acceptedPerPhase: number[] = [];
  let refused = 0;
  let redundant = 0;
  const view: ClusterView = {
    holds: (node, party) => {
      const r = find(node);
      const c = counts[r];
      return c ? c[party]! > 0 : np[r] === party;
    },
    together: (u, v) => find(u) === find(v),
    alone: (node) => size[find(node)] === 1,
    root: (node) => find(node),
  };
  for (const [ph, given] of p.phases.entries()) {
    const pc = p.phaseCaps?.[ph];
    maxOf = pc === undefined ? baseCaps : capsOf(pc);
    const edges = typeof given === 'function' ? given(view) : given;
    acceptedPerPhase[ph] = 0;
    const sorted = edges.sorted();
    for (let e = 0; e < sorted.u.length; e++) {
      const u = sorted.u[e]!;
      const v = sorted.v[e]!;
      const s = sorted.score[e]!;
      const ra = find(u);
      const rb = find(v);
      if (ra === rb) {
        redundant++;
        continue;
      }
      if (conflict(ra, rb)) {
        refused++;
        continue;
      }
      union(ra, rb, s);
      accepted++;
      acceptedPerPhase[ph]!++;
      if (!(best[u]! >= s)) best[u] = s;
      if (!(best[v]! >= s)) best[v] = s;
    }
  }
  const label = new Uint32Array(n);
  const clusterScore = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = find(i);
    label[i] = r;
    clusterScore[i] = minScore[r]!;
  }
  return { label, clusterScore, best, accepted, acceptedPerPhase, refused, redundant };
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

/** Number of clusters of each size, keyed by size ("1": singletons, "2": pairs, ...). */
export function clusterSizes(ci: ClusterIndex): Record<string, number> {
  const out: Record<string, number> = {};
  for (let c = 0; c < ci.count; c++) {
    const s = String(ci.start[c + 1]! - ci.start[c]!);
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}
