import { EdgeList } from './edges.js';
import type { ClusterView } from './cluster.js';

/**
 * The corroborated duplicates (docs/match-model.md, "Decision and
 * resolution"): a record that the earlier phases left alone joins a cluster
 * as a second record of its party when its links into that cluster, summed,
 * reach the duplicate bar that one link alone must reach in the duplicate
 * phase. A second record of one person in a file (a copy with a typo, a
 * missing birth date, a nickname) links to that person's record in each
 * other file and to the first copy, each link short of the bar.
 *
 * Not where a link into the cluster has both names agreeing with the birth
 * date (`exact`, name_dob's top level): such a record failed the bar on the
 * rest of the evidence (another ZIP, another initial), its other links
 * repeat the same agreement (the cluster's records share those values), and
 * namesakes with the same names and birth date grow with the files (short
 * name lists, 1,000,000 people: 31 % of the records such sums joined were
 * the same person).
 */

/** Links at or above the decision, each with its match weight, its duplicate bar (the pair's bar of the duplicate phase) and whether both names agree with the birth date. */
export class BarredEdges {
  readonly edges = new EdgeList();
  private bars = new Float32Array(1024);
  private exact = new Uint8Array(1024);

  push(u: number, v: number, weight: number, bar: number, exact: boolean): void {
    const n = this.edges.length;
    if (n === this.bars.length) {
      const b = new Float32Array(n * 2);
      b.set(this.bars);
      this.bars = b;
      const x = new Uint8Array(n * 2);
      x.set(this.exact);
      this.exact = x;
    }
    this.bars[n] = bar;
    this.exact[n] = exact ? 1 : 0;
    this.edges.push(u, v, weight);
  }

  get length(): number {
    return this.edges.length;
  }

  bar(e: number): number {
    return this.bars[e]!;
  }

  isExact(e: number): boolean {
    return this.exact[e] === 1;
  }
}

/** What the phase did (the run report's `model.corroborated`): records that reach the bar, the links summed for them, the records that joined (the caller sets `accepted`). */
export interface CorroboratedPass {
  proposed: number;
  links: number;
  accepted: number;
}

/**
 * The phase's edges: for each record alone in its cluster with links (at or
 * above the decision) into a cluster of two or more records, the cluster
 * whose links' summed weight most exceeds the highest duplicate bar among
 * them; at least two links, none exact, the sum at or above that bar. The edge joins
 * the record to its strongest partner there, scored `score(weight)` of that
 * partner's link (the run's edge score: it orders the phase and is reported
 * as the link's probability). The clustering's caps still apply.
 */
export function corroboratedEdges(links: BarredEdges, view: ClusterView, score: (weight: number) => number, out?: CorroboratedPass): EdgeList {
  const e = links.edges;
  // record alone → cluster root → slot of its sums
  const slot = new Map<number, Map<number, number>>();
  const alone: number[] = [];
  const root: number[] = [];
  const sum: number[] = [];
  const bar: number[] = [];
  const count: number[] = [];
  const best: number[] = [];
  const bestW: number[] = [];
  const exact: boolean[] = [];
  for (let k = 0; k < e.length; k++) {
    const u = e.u[k]!;
    const v = e.v[k]!;
    const au = view.alone(u);
    if (au === view.alone(v)) continue;
    const s = au ? u : v;
    const t = au ? v : u;
    const r = view.root(t);
    let roots = slot.get(s);
    if (!roots) slot.set(s, (roots = new Map()));
    let x = roots.get(r);
    if (x === undefined) {
      x = alone.length;
      roots.set(r, x);
      alone.push(s);
      root.push(r);
      sum.push(0);
      bar.push(Number.NEGATIVE_INFINITY);
      count.push(0);
      best.push(t);
      bestW.push(Number.NEGATIVE_INFINITY);
      exact.push(false);
    }
    if (links.isExact(k)) exact[x] = true;
    const w = e.score[k]!;
    sum[x]! += w;
    count[x]!++;
    if (links.bar(k) > bar[x]!) bar[x] = links.bar(k);
    if (w > bestW[x]! || (w === bestW[x]! && t < best[x]!)) {
      bestW[x] = w;
      best[x] = t;
    }
  }
  // per record alone, the cluster of the largest margin (ties: the smaller root)
  const chosen = new Map<number, number>();
  for (let x = 0; x < alone.length; x++) {
    if (count[x]! < 2 || exact[x] || sum[x]! < bar[x]!) continue;
    const y = chosen.get(alone[x]!);
    const m = sum[x]! - bar[x]!;
    if (y === undefined || m > sum[y]! - bar[y]! || (m === sum[y]! - bar[y]! && root[x]! < root[y]!)) chosen.set(alone[x]!, x);
  }
  const edges = new EdgeList(Math.max(16, chosen.size));
  let nLinks = 0;
  for (const [s, x] of chosen) {
    edges.push(s, best[x]!, score(bestW[x]!));
    nLinks += count[x]!;
  }
  if (out) {
    out.proposed = chosen.size;
    out.links = nLinks;
  }
  return edges;
}
