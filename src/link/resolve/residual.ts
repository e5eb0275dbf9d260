import { edgeScoreOfWeight as edgeScore } from '../model/predict.js';
import type { ClusterView } from './cluster.js';
import { EdgeList } from './edges.js';

/**
 * The match model's residual pass (docs/match-model.md, "Decision and
 * resolution"): the last phase of fs resolution, between records the
 * one-to-one and duplicate phases left free of each other's party.
 */

/**
 * The residual pass weighs a pair again with at most this many bits: the
 * shift −log2(f_ij · f_ji) for free shares down to a product of 1/1024 (a
 * run whose parties are nearly all linked to each other). Pairs further
 * below the decision are not kept for it.
 */
export const RESIDUAL_MAX_SHIFT = 10;

/** What the residual pass did, per party pair (i < j): the free shares, the shift in bits, the edges it proposed and how many joined. */
export interface ResidualPass {
  pairs: { partyA: string; partyB: string; freeA: number; freeB: number; shift: number; proposed: number }[];
  accepted: number;
}

/**
 * The residual pass's edges (docs/match-model.md, "Decision and resolution"),
 * built on the clusters the one-to-one and duplicate phases left: a pair of
 * records of parties i and j whose clusters hold no record of the other's
 * party. A true pair left apart keeps both its records free; two unrelated
 * records are both free only as often as the records of their parties are,
 * f_ij · f_ji (f_ij: the share of party i's records whose cluster holds no
 * record of party j, measured on this run). `near`: candidate pairs of two
 * parties, score = match weight (the caller keeps those within
 * RESIDUAL_MAX_SHIFT of the decision). So the pair's weight gains
 * −log2(f_ij · f_ji) bits (at most RESIDUAL_MAX_SHIFT). A record has at most
 * one partner in the other party, so the pair's odds o are then set against
 * "no partner, or another of the free candidates of either record": weight
 * log2(o / (1 + Σ the others' odds)) (the pair alone: unchanged). It links,
 * one to one, when that reaches the decision. `given`: the free shares to use
 * instead of measuring them on the nodes (an increment, whose nodes are a
 * few entities of the registry, takes the full run's stored shares; a pair
 * without one takes no part).
 */
export function residualEdges(
  parties: readonly { name: string; count: number }[],
  nodeParty: Uint32Array,
  near: EdgeList,
  decisionW: number,
  view: ClusterView,
  out?: ResidualPass,
  given?: (i: number, j: number) => number | undefined,
): EdgeList {
  const P = parties.length;
  let share: (i: number, j: number) => number | undefined = given ?? ((): undefined => undefined);
  if (!given) {
    const free = new Float64Array(P * P);
    for (let n = 0; n < nodeParty.length; n++) {
      const i = nodeParty[n]!;
      for (let j = 0; j < P; j++) if (j !== i && !view.holds(n, j)) free[i * P + j]!++;
    }
    share = (i, j) => free[i * P + j]! / parties[i]!.count;
  }
  // a party pair without both shares (an increment's pair the full run never had) takes no part: NaN
  const shift = new Float64Array(P * P).fill(Number.NaN);
  for (let i = 0; i < P; i++) {
    for (let j = 0; j < P; j++) {
      const fi = share(i, j);
      const fj = share(j, i);
      if (i !== j && fi !== undefined && fj !== undefined) shift[i * P + j] = Math.min(RESIDUAL_MAX_SHIFT, -Math.log2(fi * fj));
    }
  }
  // the free pairs and their weights given both records free
  const fu = new EdgeList(Math.max(16, near.length >>> 4));
  const odds = new Float64Array(nodeParty.length * P);
  for (let e = 0; e < near.length; e++) {
    const u = near.u[e]!;
    const v = near.v[e]!;
    const i = nodeParty[u]!;
    const j = nodeParty[v]!;
    if (view.together(u, v) || view.holds(u, j) || view.holds(v, i)) continue;
    const w = near.score[e]! + shift[i * P + j]!;
    if (Number.isNaN(w)) continue;
    fu.push(u, v, w);
    const o = 2 ** w;
    odds[u * P + j]! += o;
    odds[v * P + i]! += o;
  }
  // a record has at most one partner in the other party: the pair against "none, or another of its free candidates"
  const proposed = new Float64Array(P * P);
  const edges = new EdgeList();
  for (let e = 0; e < fu.length; e++) {
    const u = fu.u[e]!;
    const v = fu.v[e]!;
    const i = nodeParty[u]!;
    const j = nodeParty[v]!;
    const w = fu.score[e]!;
    const o = 2 ** w;
    const others = Math.max(0, odds[u * P + j]! - o) + Math.max(0, odds[v * P + i]! - o);
    const wn = w - Math.log2(1 + others);
    if (!(wn >= decisionW)) continue;
    edges.push(u, v, edgeScore(wn));
    proposed[Math.min(i, j) * P + Math.max(i, j)]!++;
  }
  if (out) {
    out.pairs = [];
    for (let i = 0; i < P; i++) {
      for (let j = i + 1; j < P; j++) {
        const freeA = share(i, j);
        const freeB = share(j, i);
        if (freeA !== undefined && freeB !== undefined) out.pairs.push({ partyA: parties[i]!.name, partyB: parties[j]!.name, freeA, freeB, shift: shift[i * P + j]!, proposed: proposed[i * P + j]! });
      }
    }
  }
  return edges;
}

