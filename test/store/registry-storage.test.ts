import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { storedBandKeys } from '../../src/link/registry/band-keys.js';
import type { EncodingUpdate, RegistryConfig } from '../../src/link/registry/storage.js';
import { openLinkerStore } from '../../src/store/linker-store.js';
import { SqliteRegistryStorage } from '../../src/link/registry/sqlite-storage.js';
import { tempDir } from '../helpers/tmp.js';
import { registryStorageContract } from './registry-storage-contract.js';

const dir = tempDir('p20-registry-storage-');
let n = 0;
registryStorageContract('SQLite (linker store)', () => new SqliteRegistryStorage(openLinkerStore(join(dir, `r${++n}.db`)), { ownsDb: true }));

describe('SqliteRegistryStorage: parallel index lookups', () => {
  it('a worker connection looking up half the keys returns exactly the hits of one connection, each key’s rows together', async () => {
    const cfg: RegistryConfig = {
      keyCheckValue: '0123456789abcdef0123456789abcdef',
      schemaFingerprint: `sha256:${'ab'.repeat(32)}`,
      l: 64,
      blocking: 'lsh:bands=8,rows=2',
      scoring: { kind: 'dice', threshold: 0.8, reviewThreshold: null, maxPerParty: 1 },
    };
    const path = join(dir, 'parallel.db');
    const s = new SqliteRegistryStorage(openLinkerStore(path), { ownsDb: true, parallelLookupKeys: 1 });
    try {
      const blocking = parseBlockingSpec(cfg.blocking);
      const encodings: EncodingUpdate[] = [];
      const members: { party: string; recordId: string; entity: string }[] = [];
      const created: string[] = [];
      for (let i = 0; i < 400; i++) {
        const clk = new Uint8Array(8);
        for (let b = 0; b < 8; b++) clk[b] = (Math.imul(i + 1, 2654435761 + b * 97) >>> (b + 3)) & 0xff;
        const id = s.newId();
        created.push(id);
        members.push({ party: 'k12', recordId: `r${i}`, entity: id });
        encodings.push({ party: 'k12', recordId: `r${i}`, clk, evidence: null, presence: null, blocks: null, bandKeys: storedBandKeys(blocking, cfg.l, clk, null) });
      }
      const t = new Date().toISOString();
      s.writeRun(0, {
        run: { runId: 'run-20260101T000000Z-00000001', startedAt: t, finishedAt: t, tool: 'test', inputs: [], parameters: {}, counts: {} },
        assignment: { clusterId: [], status: [], created, events: [], mergedInto: new Map() },
        members,
        encodings,
        config: cfg,
        audit: { type: 'link-run', detail: {} },
      });
      const keys = Float64Array.from(new Set(encodings.flatMap((e) => e.bandKeys))).sort();
      const one: [number, number][] = [];
      s.lookupBandKeysSync(keys, (k, rid) => one.push([k, rid]));
      const two: [number, number][] = [];
      await s.lookupBandKeys(keys, (k, rid) => two.push([k, rid]));
      expect(s.parallelLookups).toBe(1);
      expect(two.length).toBeGreaterThan(400);
      const byKey = (x: [number, number], y: [number, number]) => x[0] - y[0] || x[1] - y[1];
      expect([...two].sort(byKey)).toEqual([...one].sort(byKey));
      // each key's rows come together, keys ascending
      for (let i = 1; i < two.length; i++) expect(two[i]![0]).toBeGreaterThanOrEqual(two[i - 1]![0]);
      // maxRows: exactly the rows of the keys held by at most that many records, on either path
      const rowsOf = new Map<number, number>();
      for (const [k] of one) rowsOf.set(k, (rowsOf.get(k) ?? 0) + 1);
      const counts = [...new Set(rowsOf.values())].sort((a, b) => a - b);
      expect(counts.length).toBeGreaterThan(2);
      for (const max of [counts[0]!, counts[1]!, counts[counts.length - 1]! - 1]) {
        const want = one.filter(([k]) => rowsOf.get(k)! <= max).sort(byKey);
        const sync: [number, number][] = [];
        s.lookupBandKeysSync(keys, (k, rid) => sync.push([k, rid]), max);
        const par: [number, number][] = [];
        await s.lookupBandKeys(keys, (k, rid) => par.push([k, rid]), max);
        expect(sync.sort(byKey)).toEqual(want);
        expect(par.sort(byKey)).toEqual(want);
        expect(want.length).toBeLessThan(one.length);
      }
      expect(s.parallelLookups).toBe(4);
    } finally {
      s.close();
    }
  });
});

describe('SqliteRegistryStorage: large reads and writes', () => {
  it('membersOfEntities over more entities than one statement reads, given out of order: each entity’s members together, in the order given, (party, record id) within', () => {
    const cfg: RegistryConfig = {
      keyCheckValue: '0123456789abcdef0123456789abcdef',
      schemaFingerprint: `sha256:${'ab'.repeat(32)}`,
      l: 64,
      blocking: 'lsh:bands=4,rows=4',
      scoring: { kind: 'dice', threshold: 0.8, reviewThreshold: null, maxPerParty: 1 },
    };
    const s = new SqliteRegistryStorage(openLinkerStore(join(dir, 'many.db')), { ownsDb: true, cacheMiB: 8, commitCacheMiB: 32 });
    try {
      const blocking = parseBlockingSpec(cfg.blocking);
      const created: string[] = [];
      const members: { party: string; recordId: string; entity: string }[] = [];
      const encodings: EncodingUpdate[] = [];
      for (let i = 0; i < 2500; i++) {
        const id = s.newId();
        created.push(id);
        // two or three records per entity, written in an order unlike the entity order
        for (const party of i % 3 === 0 ? ['wages', 'college', 'k12'] : ['wages', 'k12']) {
          const clk = new Uint8Array(8);
          for (let b = 0; b < 8; b++) clk[b] = (Math.imul(i + 1 + party.length * 7919, 2654435761 + b * 97) >>> (b + 3)) & 0xff;
          members.push({ party, recordId: `r${2500 - i}`, entity: id });
          encodings.push({ party, recordId: `r${2500 - i}`, clk, evidence: null, presence: null, blocks: null, bandKeys: storedBandKeys(blocking, cfg.l, clk, null) });
        }
      }
      const t = new Date().toISOString();
      s.writeRun(0, {
        run: { runId: 'run-20260101T000000Z-00000002', startedAt: t, finishedAt: t, tool: 'test', inputs: [], parameters: {}, counts: {} },
        assignment: { clusterId: [], status: [], created, events: [], mergedInto: new Map() },
        members,
        encodings,
        config: cfg,
        audit: { type: 'link-run', detail: {} },
      });
      // the page cache of a large write is given back afterwards; the write's parts are timed
      expect(s.db.pragma('cache_size', { simple: true })).toBe(-8 * 1024);
      expect(Object.keys(s.commitTimings)).toEqual(['entities', 'records', 'bandKeys', 'members', 'coverage', 'commit']);
      const order = [...created].sort().reverse();
      const got = s.membersOfEntities(order, { encodingsPerEntity: 2 });
      expect(got.length).toBe(members.length);
      const want: string[] = [];
      for (const e of order) {
        const mine = members.filter((m) => m.entity === e).map((m) => `${m.party}:${m.recordId}`);
        want.push(...mine.sort().map((x) => `${e}:${x}`));
      }
      expect(got.map((m) => `${m.entity}:${m.party}:${m.recordId}`)).toEqual(want);
      // the representatives: the two most recently registered records of each entity
      for (const e of order.slice(0, 50)) {
        const mine = got.filter((m) => m.entity === e);
        const rids = mine.map((m) => m.rid!).sort((a, b) => b - a);
        expect(mine.filter((m) => m.record !== null).map((m) => m.rid).sort((a, b) => b! - a!)).toEqual(rids.slice(0, 2));
      }
    } finally {
      s.close();
    }
  });
});
