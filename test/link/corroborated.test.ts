import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { linkFiles, type ModelFit } from '../../src/link/link-files.js';
import { sureLevel } from '../../src/link/model/compare.js';
import { PARTIES } from '../../src/synth/agencies.js';
import { generateExtracts } from '../../src/synth/generate.js';
import { clusterRecords, type ClusterView } from '../../src/link/resolve/cluster.js';
import { BarredEdges, corroboratedEdges, type CorroboratedPass } from '../../src/link/resolve/corroborated.js';
import { EdgeList } from '../../src/link/resolve/edges.js';
import { edgeScoreOfWeight } from '../../src/link/model/predict.js';
import { encodeAgencies } from '../helpers/agency.js';

/**
 * The corroborated duplicates (src/link/resolve/corroborated.ts): a record
 * the one-to-one and duplicate phases left alone joins a cluster when its
 * links into it (two or more, each at or above the decision, none with both
 * names agreeing with the birth date) sum to the highest duplicate bar
 * among them.
 */

/** u, v, weight, bar, and (optional) whether both names agree with the birth date. */
type Link = [number, number, number, number, boolean?];

const barred = (list: readonly Link[]): BarredEdges => {
  const b = new BarredEdges();
  for (const [u, v, w, bar, exact] of list) b.push(u, v, w, bar, exact === true);
  return b;
};

/** The model's resolution without the residual pass: one to one, then a single link at its bar, then (optionally) the corroborated phase. */
function resolve(nodeParty: Uint32Array, partyCount: number, links: readonly Link[], cap: number | readonly number[], corroborate: boolean, report?: CorroboratedPass) {
  const edges = new EdgeList();
  const dup = new EdgeList();
  for (const [u, v, w, bar] of links) {
    edges.push(u, v, edgeScoreOfWeight(w));
    if (w >= bar) dup.push(u, v, edgeScoreOfWeight(w));
  }
  const b = barred(links);
  const phases = [edges, dup, ...(corroborate ? [(view: ClusterView) => corroboratedEdges(b, view, edgeScoreOfWeight, report)] : [])];
  return clusterRecords({ nodeCount: nodeParty.length, nodeParty, partyCount, maxPerParty: cap, phases, phaseCaps: [1, cap, cap] });
}

describe('corroboratedEdges', () => {
  // parties: k12 = nodes 0-1, college = 2-3, wages = 4-8
  const nodeParty = Uint32Array.from([0, 0, 1, 1, 2, 2, 2, 2, 2]);

  it('known answer: a second wage record whose links into the person\'s cluster sum to the bar joins; one strong link alone, or a sum short of the highest bar, does not', () => {
    const links: Link[] = [
      // the person: K-12 0, college 2, wages 4 (one to one)
      [0, 2, 30, 33],
      [0, 4, 31, 33],
      [2, 4, 29, 33],
      // wages 5: a second record of the person, each link short of its bar (cross 33, within the file 28); 14 + 12 + 9 = 35 >= 33
      [0, 5, 14, 33],
      [2, 5, 12, 33],
      [4, 5, 9, 28],
      // wages 6: one link of 30.5, below its bar of 33, and no other: stays alone (one link is the duplicate phase's to judge)
      [0, 6, 30.5, 33],
      // wages 7: two links summing to 30 < 33 (the highest bar among them, not the within-file 28)
      [2, 7, 20, 33],
      [4, 7, 10, 28],
      // wages 8: 20 + 20 = 40, but its link to K-12 0 has both names agreeing with the date (a namesake's pattern): not summed
      [0, 8, 20, 33, true],
      [2, 8, 20, 33],
    ];
    const report: CorroboratedPass = { proposed: 0, links: 0, accepted: 0 };
    const c = resolve(nodeParty, 3, links, 5, true, report);
    expect(c.label[5]).toBe(c.label[0]);
    expect(c.label[6]).not.toBe(c.label[0]);
    expect(c.label[7]).not.toBe(c.label[0]);
    expect(c.label[8]).not.toBe(c.label[0]);
    expect(c.acceptedPerPhase).toEqual([2, 0, 1]);
    expect(report).toEqual({ proposed: 1, links: 3, accepted: 0 });
    // the joining edge is the record's strongest link into the cluster, scored as that link
    expect(c.best[5]).toBeCloseTo(edgeScoreOfWeight(14), 4);
    // without the phase wages 5 stays alone
    const before = resolve(nodeParty, 3, links, 5, false);
    expect(before.label[5]).toBe(5);
  });

  it('a record with sums into two clusters joins the one whose sum most exceeds its bar; a party capped at 1 takes no second record', () => {
    const links: Link[] = [
      // cluster A: k12 0 + wages 4; cluster B: k12 1 + college 3 + wages 6
      [0, 4, 30, 33],
      [1, 3, 30, 33],
      [3, 6, 30, 33],
      // wages 5 into A: 20 + 15 = 35 (margin 2); into B: 18 + 12 + 10 = 40 (margin 7)
      [0, 5, 20, 33],
      [4, 5, 15, 28],
      [1, 5, 18, 33],
      [3, 5, 12, 33],
      [5, 6, 10, 28],
    ];
    const c = resolve(nodeParty, 3, links, 5, true);
    expect(c.label[5]).toBe(c.label[1]);
    expect(c.label[5]).not.toBe(c.label[0]);
    // wages declared deduplicated (cap 1): the proposal is refused by the clustering
    const capped = resolve(nodeParty, 3, links, [5, 5, 1], true);
    expect(capped.label[5]).toBe(5);
    expect(capped.acceptedPerPhase[2]).toBe(0);
  });

  it('links between two records alone, or between records already in clusters, are not summed', () => {
    const view = (aloneNodes: readonly number[], roots: readonly number[]): ClusterView => ({
      holds: () => false,
      together: () => false,
      alone: (n) => aloneNodes.includes(n),
      root: (n) => roots[n]!,
    });
    const links = barred([
      [0, 1, 40, 10],
      [0, 2, 40, 10],
      [1, 2, 40, 10],
    ]);
    // all alone: nothing; none alone: nothing
    expect(corroboratedEdges(links, view([0, 1, 2], [0, 1, 2]), edgeScoreOfWeight).length).toBe(0);
    expect(corroboratedEdges(links, view([], [0, 0, 0]), edgeScoreOfWeight).length).toBe(0);
    // 0 alone, 1 and 2 one cluster: 0 joins (40 + 40 >= 10)
    const e = corroboratedEdges(links, view([0], [0, 1, 1]), edgeScoreOfWeight);
    expect(e.length).toBe(1);
    // 0 alone, 1 and 2 in two clusters: one link into each is no corroboration (one link is the duplicate phase's to judge)
    expect(corroboratedEdges(links, view([0], [0, 1, 2]), edgeScoreOfWeight).length).toBe(0);
  });

  it('property: the phase only adds records left alone to earlier clusters, each with two or more links into it, none exact, summing to at least their highest bar, and no better such cluster; a record left alone had none with room', () => {
    const N = 9;
    const nodeParty = Uint32Array.from([0, 0, 0, 1, 1, 1, 2, 2, 2]);
    const link = fc.tuple(fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 20, max: 40 }), fc.boolean());
    fc.assert(
      fc.property(fc.array(link, { maxLength: 24 }), fc.integer({ min: 1, max: 3 }), (raw, cap) => {
        const seen = new Set<number>();
        const links: Link[] = [];
        for (const [u, v, w, bar, exact] of raw) {
          const key = Math.min(u, v) * N + Math.max(u, v);
          if (u === v || seen.has(key)) continue;
          seen.add(key);
          links.push([u, v, w, bar, exact]);
        }
        const before = resolve(nodeParty, 3, links, cap, false).label;
        const after = resolve(nodeParty, 3, links, cap, true).label;
        const members = (label: Uint32Array, n: number) => [...label.keys()].filter((x) => label[x] === label[n]);
        const alone = (n: number) => members(before, n).length === 1;
        /** The margin of record s's links into earlier cluster k (NaN: it does not qualify). */
        const margin = (s: number, k: readonly number[]) => {
          const into = links.filter(([u, v]) => (u === s && k.includes(v)) || (v === s && k.includes(u)));
          const m = into.reduce((t, l) => t + l[2], 0) - Math.max(...into.map((l) => l[3]));
          return into.length >= 2 && m >= 0 && !into.some((l) => l[4]) ? m : Number.NaN;
        };
        const clusters = [...new Set([...before.keys()].filter((n) => !alone(n)).map((n) => before[n]!))].map((l) => members(before, before.indexOf(l)));
        for (const k of clusters) {
          const now = members(after, k[0]!);
          for (const n of k) expect(now).toContain(n);
          for (const s of now.filter((n) => !k.includes(n))) {
            expect(alone(s)).toBe(true);
            const m = margin(s, k);
            expect(Number.isNaN(m)).toBe(false);
            for (const other of clusters) if (!Number.isNaN(margin(s, other))) expect(margin(s, other)).toBeLessThanOrEqual(m);
          }
        }
        for (let s = 0; s < N; s++) {
          if (!alone(s) || members(after, s).length > 1) continue;
          // left alone: its best qualifying cluster (if any) is full for its party
          const ms = clusters.map((k) => margin(s, k));
          const best = Math.max(...ms.filter((m) => !Number.isNaN(m)));
          clusters.forEach((k, x) => {
            if (ms[x] === best) expect(members(after, k[0]!).filter((n) => nodeParty[n] === nodeParty[s]).length).toBeGreaterThanOrEqual(cap);
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('the corroborated duplicates on generated data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'p20-corroborated-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('10,000 people with realistic names: the records the phase joins are second records of the same person, and the run report counts them', async () => {
    await generateExtracts({ people: 10_000, seed: 9002, outDir: dir, realism: 'full', names: 'long-tail' });
    const secret = new TextEncoder().encode('p20link corroborated test secret (synthetic data only)');
    await encodeAgencies((p) => join(dir, `${p}.csv`), (p) => join(dir, `${p}.enc`), secret);
    let fit: ModelFit | undefined;
    const r = await linkFiles({ inputs: PARTIES.map((p) => ({ file: join(dir, `${p}.enc`) })), outDir: join(dir, 'out'), truth: join(dir, 'truth.csv'), workers: 1, model: 'fs', onModelFit: (f) => (fit = f) });
    const f = fit!;
    // the entity of every record (the truth file lists every generated record)
    const entity = new Map<string, string>();
    for (const l of readFileSync(join(dir, 'truth.csv'), 'utf8').trim().split('\n').slice(1)) {
      const [e, party, id] = l.split(',');
      entity.set(`${party}:${id}`, e!);
    }
    const n = f.parties.reduce((t, p) => t + p.ids.length, 0);
    const nodeParty = new Uint32Array(n);
    const ent: string[] = [];
    f.parties.forEach((p, i) => p.ids.forEach((id, x) => ((nodeParty[p.offset + x] = i), (ent[p.offset + x] = entity.get(`${p.name}:${id}`)!))));
    // the phase on the run's links (the job's duplicate bar; the run lowers it a little where an initial is missing)
    const runLinks: Link[] = [];
    const K = f.vectors.defs.length;
    const sure = sureLevel(f.vectors.defs);
    let at = 0;
    f.jobs.forEach(([i, j], k) => {
      const c = f.candidates[k]!;
      for (let x = 0; x < c.a.length; x++, at++) {
        const w = f.weights[at]!;
        if (w >= f.decisionW) runLinks.push([f.parties[i]!.offset + c.a[x]!, f.parties[j]!.offset + c.b[x]!, w, f.bars[k]!, f.vectors.levels[at * K + sure.k] === sure.top]);
      }
    });
    const before = resolve(nodeParty, f.parties.length, runLinks, 5, false).label;
    const after = resolve(nodeParty, f.parties.length, runLinks, 5, true).label;
    const sizes = (label: Uint32Array) => {
      const m = new Map<number, number[]>();
      label.forEach((l, x) => (m.get(l) ?? m.set(l, []).get(l)!).push(x));
      return m;
    };
    const was = sizes(before);
    const now = sizes(after);
    let joined = 0;
    let right = 0;
    for (let s = 0; s < n; s++) {
      if (was.get(before[s]!)!.length !== 1 || now.get(after[s]!)!.length === 1) continue;
      joined++;
      // a second record of its party, of the person of the cluster
      const mates = now.get(after[s]!)!.filter((x) => x !== s);
      expect(mates.some((x) => nodeParty[x] === nodeParty[s])).toBe(true);
      if (mates.some((x) => ent[x] === ent[s])) right++;
    }
    expect(joined).toBeGreaterThan(5);
    expect(right).toBeGreaterThanOrEqual(0.8 * joined);
    // the run's own phase found records to join too, and its report says how many
    expect(r.model!.corroborated!.accepted).toBeGreaterThan(5);
    expect(r.model!.corroborated!.accepted).toBeLessThanOrEqual(r.model!.corroborated!.proposed);
  }, 120_000);
});
