import type { ClusterIndex } from '../resolve/cluster.js';

/**
 * Linkage-ID assignment: turns this run's clusters plus what the registry
 * knew before into IDs, merges and splits. Pure (no I/O) so it can be tested
 * exhaustively; src/link/registry/registry.ts persists the result.
 *
 * Rules (documented in docs/link.md and protocols/link-output.md):
 * 1. Every node (record of this run) that was registered before carries its
 *    prior entity, found by (party, record id). Registered records absent
 *    from this run keep their entity and take no part.
 * 2. Each prior entity E has one home cluster: the cluster holding most of
 *    E's nodes; ties go to the cluster holding E's smallest (party, record
 *    id) key among the tied ones.
 * 3. A cluster whose home entities are
 *    - none: gets a fresh ID ("new" if none of its nodes had an entity,
 *      otherwise "split": its records left their old entities);
 *    - exactly one: keeps that ID ("kept");
 *    - several: they are merged ("merged"); the survivor is the entity
 *      created in the earliest run, ties by smallest ID; the others are
 *      recorded as merged into it.
 * 4. Nodes of E that ended up outside E's home are recorded as a split
 *    event (old E -> the ID of the cluster they joined).
 */
export type ClusterStatus = 'new' | 'kept' | 'merged' | 'split';

export interface AssignInput {
  clusters: ClusterIndex;
  /** Prior entity of each node (undefined = never registered). */
  prior: readonly (string | undefined)[];
  /** Creation order of a prior entity (smaller = older). */
  createdRun: (id: string) => number;
  /** Stable sort key of a node, e.g. party + "\u0000" + record id. */
  nodeKey: (node: number) => string;
  /** Source of fresh IDs. */
  newId: () => string;
}

export interface IdEvent {
  event: 'merge' | 'split';
  oldId: string;
  newId: string;
  /** Records (nodes) of the old entity involved. */
  records: number;
}

export interface Assignment {
  /** Linkage ID of every cluster. */
  clusterId: string[];
  status: ClusterStatus[];
  events: IdEvent[];
  /** IDs created in this run. */
  created: string[];
  /** Entities merged away: id -> survivor. */
  mergedInto: Map<string, string>;
}

export function assignIds(inp: AssignInput): Assignment {
  const { clusters } = inp;
  // count nodes of each prior entity per cluster
  const perEntity = new Map<string, Map<number, { n: number; minKey: string }>>();
  // members by index (ci.nodes from start[c] to start[c + 1]), in membersOf's order: no view per cluster
  const { start, nodes } = clusters;
  for (let c = 0; c < clusters.count; c++) {
    for (let k = start[c]!; k < start[c + 1]!; k++) {
      const node = nodes[k]!;
      const e = inp.prior[node];
      if (e === undefined) continue;
      let m = perEntity.get(e);
      if (!m) {
        m = new Map();
        perEntity.set(e, m);
      }
      const key = inp.nodeKey(node);
      const got = m.get(c);
      if (!got) m.set(c, { n: 1, minKey: key });
      else {
        got.n++;
        if (key < got.minKey) got.minKey = key;
      }
    }
  }
  const home = new Map<string, number>();
  const claims = new Map<number, string[]>();
  for (const [e, m] of perEntity) {
    let best = -1;
    let bestN = -1;
    let bestKey = '';
    for (const [c, { n, minKey }] of m) {
      if (n > bestN || (n === bestN && minKey < bestKey)) {
        best = c;
        bestN = n;
        bestKey = minKey;
      }
    }
    home.set(e, best);
    let list = claims.get(best);
    if (!list) {
      list = [];
      claims.set(best, list);
    }
    list.push(e);
  }
  const clusterId: string[] = new Array<string>(clusters.count);
  const status: ClusterStatus[] = new Array<ClusterStatus>(clusters.count);
  const created: string[] = [];
  const mergedInto = new Map<string, string>();
  const events: IdEvent[] = [];
  for (let c = 0; c < clusters.count; c++) {
    const mine = claims.get(c);
    if (!mine || mine.length === 0) {
      const id = inp.newId();
      created.push(id);
      clusterId[c] = id;
      let hadPrior = false;
      if (perEntity.size > 0) for (let k = start[c]!; k < start[c + 1]! && !hadPrior; k++) if (inp.prior[nodes[k]!] !== undefined) hadPrior = true;
      status[c] = hadPrior ? 'split' : 'new';
    } else if (mine.length === 1) {
      clusterId[c] = mine[0]!;
      status[c] = 'kept';
    } else {
      const sorted = [...mine].sort((x, y) => inp.createdRun(x) - inp.createdRun(y) || (x < y ? -1 : x > y ? 1 : 0));
      const survivor = sorted[0]!;
      clusterId[c] = survivor;
      status[c] = 'merged';
      for (const e of sorted.slice(1)) {
        mergedInto.set(e, survivor);
        events.push({ event: 'merge', oldId: e, newId: survivor, records: perEntity.get(e)!.get(c)!.n });
      }
    }
  }
  for (const [e, m] of perEntity) {
    const h = home.get(e)!;
    const cs = [...m.keys()].filter((c) => c !== h).sort((x, y) => x - y);
    for (const c of cs) events.push({ event: 'split', oldId: e, newId: clusterId[c]!, records: m.get(c)!.n });
  }
  return { clusterId, status, events, created, mergedInto };
}
