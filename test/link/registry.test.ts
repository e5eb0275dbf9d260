import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore, type Db } from '../../src/store/db.js';
import { auditMigrations, registryMigrations } from '../../src/store/migrations.js';
import { indexClusters } from '../../src/link/resolve/cluster.js';
import { assignIds } from '../../src/link/registry/assign.js';
import { LINKAGE_ID, newLinkageId, newRunId } from '../../src/link/registry/ids.js';
import {
  createdRunLookup,
  freshIdSource,
  listRuns,
  lookupRecord,
  priorEntities,
  registerRun,
  registryHistory,
} from '../../src/link/registry/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'p20-reg-'));
let n = 0;
const freshDb = (): Db => openSqliteStore(join(dir, `r${n++}.db`), { migrations: [...registryMigrations, ...auditMigrations] });

type Rec = [party: string, id: string];

/** One run of the registry on a given clustering (what linkFiles does after resolution). */
function run(db: Db, clusters: Rec[][]) {
  const nodes: Rec[] = clusters.flat();
  const label = new Uint32Array(nodes.length);
  let k = 0;
  clusters.forEach((c) => {
    const first = k;
    for (let i = 0; i < c.length; i++) label[k++] = first;
  });
  const ci = indexClusters(label);
  const prior = priorEntities(db, (i) => nodes[i]![0], (i) => nodes[i]![1], nodes.length);
  const assignment = assignIds({
    clusters: ci,
    prior,
    createdRun: createdRunLookup(db),
    nodeKey: (i) => `${nodes[i]![0]}\u0000${nodes[i]![1]}`,
    newId: freshIdSource(db),
  });
  db.transaction(() =>
    registerRun(db, {
      run: { runId: newRunId(), startedAt: 't', finishedAt: 't', tool: 'test', inputs: [], parameters: {}, counts: {} },
      clusters: ci,
      assignment,
      nodeParty: (i) => nodes[i]![0],
      nodeId: (i) => nodes[i]![1],
    }),
  )();
  const ids = new Map<string, string>();
  nodes.forEach((r, i) => ids.set(r.join('/'), assignment.clusterId[ci.of[i]!]!));
  return { ids, assignment };
}

describe('linkage IDs', () => {
  it('are "L" + 16 Crockford base32 characters, random and distinct', () => {
    const s = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = newLinkageId();
      expect(id).toMatch(LINKAGE_ID);
      s.add(id);
    }
    expect(s.size).toBe(2000);
  });
});

describe('registry', () => {
  it('IDs persist across runs; a person added in run 2 gets a new ID while run-1 people keep theirs', () => {
    const db = freshDb();
    const r1 = run(db, [[['k12', 'a1'], ['college', 'c1']], [['k12', 'a2'], ['college', 'c2']], [['k12', 'a3']]]);
    expect(r1.ids.get('k12/a1')).toBe(r1.ids.get('college/c1'));
    expect(new Set(r1.ids.values()).size).toBe(3);
    expect(r1.assignment.status).toEqual(['new', 'new', 'new']);
    // run 2: same people plus a new one; k12 a3 now links to a college record
    const r2 = run(db, [[['k12', 'a1'], ['college', 'c1']], [['k12', 'a2'], ['college', 'c2']], [['k12', 'a3'], ['college', 'c3']], [['k12', 'a4']]]);
    for (const k of ['k12/a1', 'college/c1', 'k12/a2', 'college/c2', 'k12/a3']) expect(r2.ids.get(k)).toBe(r1.ids.get(k));
    expect(r2.ids.get('college/c3')).toBe(r1.ids.get('k12/a3'));
    const newcomer = r2.ids.get('k12/a4')!;
    expect(newcomer).toMatch(LINKAGE_ID);
    expect([...r1.ids.values()]).not.toContain(newcomer);
    expect(r2.assignment.status).toEqual(['kept', 'kept', 'kept', 'new']);
    expect(lookupRecord(db, 'college', 'c3')).toBe(r1.ids.get('k12/a3'));
    expect(listRuns(db)).toHaveLength(2);
  });

  it('a new record id of a known person keeps the ID through a link to a registered record of another party', () => {
    const db = freshDb();
    const r1 = run(db, [[['k12', 'a1'], ['wage', 'w1']]]);
    const r2 = run(db, [[['k12', 'a1-2027'], ['wage', 'w1']]]);
    expect(r2.ids.get('k12/a1-2027')).toBe(r1.ids.get('k12/a1'));
    // the old record id stays registered to the same entity
    expect(lookupRecord(db, 'k12', 'a1')).toBe(r1.ids.get('k12/a1'));
  });

  it('records a merge: the older entity survives and the other is merged into it, members included', () => {
    const db = freshDb();
    const r1 = run(db, [[['k12', 'a1']], [['college', 'c1']]]);
    const r2 = run(db, [[['k12', 'a1'], ['college', 'c1']]]);
    const survivor = r2.ids.get('k12/a1')!;
    expect([r1.ids.get('k12/a1'), r1.ids.get('college/c1')]).toContain(survivor);
    const gone = survivor === r1.ids.get('k12/a1') ? r1.ids.get('college/c1')! : r1.ids.get('k12/a1')!;
    expect(r2.assignment.status).toEqual(['merged']);
    expect(registryHistory(db)).toMatchObject([{ event: 'merge', oldId: gone, newId: survivor, records: 1 }]);
    expect(lookupRecord(db, 'college', 'c1')).toBe(survivor);
    expect(lookupRecord(db, 'k12', 'a1')).toBe(survivor);
    // a later run that only sees the merged-away member resolves to the survivor
    const r3 = run(db, [[['college', 'c1']]]);
    expect(r3.ids.get('college/c1')).toBe(survivor);
  });

  it('records a split: the larger part keeps the ID, the other part gets a new one', () => {
    const db = freshDb();
    const r1 = run(db, [[['k12', 'a1'], ['college', 'c1'], ['wage', 'w1']]]);
    const old = r1.ids.get('k12/a1')!;
    const r2 = run(db, [[['k12', 'a1'], ['college', 'c1']], [['wage', 'w1']]]);
    expect(r2.ids.get('k12/a1')).toBe(old);
    const fresh = r2.ids.get('wage/w1')!;
    expect(fresh).not.toBe(old);
    expect(r2.assignment.status).toEqual(['kept', 'split']);
    expect(registryHistory(db, old)).toMatchObject([{ event: 'split', oldId: old, newId: fresh, records: 1 }]);
    expect(lookupRecord(db, 'wage', 'w1')).toBe(fresh);
  });

  it('property: over random run sequences, a record keeps its ID whenever its cluster is unchanged, and IDs of one run are one per cluster', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        (runs) => {
          const db = freshDb();
          let prev: Map<string, string> | undefined;
          let prevGroups: Map<string, string> | undefined;
          for (const groupOf of runs) {
            // 6 people-records, two parties alternating; groupOf assigns a cluster label (one per party per cluster)
            const byLabel = new Map<number, Rec[]>();
            groupOf.forEach((g, i) => {
              const rec: Rec = [i % 2 ? 'b' : 'a', `r${i}`];
              const list = byLabel.get(g) ?? [];
              if (list.some((r) => r[0] === rec[0])) byLabel.set(100 + i, [rec]);
              else byLabel.set(g, [...list, rec]);
            });
            const clusters = [...byLabel.values()];
            const r = run(db, clusters);
            const groups = new Map<string, string>();
            for (const c of clusters) {
              const key = c.map((x) => x.join('/')).sort().join('|');
              for (const x of c) groups.set(x.join('/'), key);
              expect(new Set(c.map((x) => r.ids.get(x.join('/')))).size).toBe(1);
            }
            expect(new Set(clusters.map((c) => r.ids.get(c[0]!.join('/')))).size).toBe(clusters.length);
            if (prev && prevGroups) {
              for (const [rec, key] of groups) if (prevGroups.get(rec) === key) expect(r.ids.get(rec)).toBe(prev.get(rec));
            }
            prev = r.ids;
            prevGroups = groups;
          }
          db.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
