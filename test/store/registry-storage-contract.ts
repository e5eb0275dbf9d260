/**
 * The contract every RegistryStorage implementation must meet
 * (src/link/registry/storage.ts). A backend's test calls
 * `registryStorageContract(name, open)` with a function that opens a fresh,
 * empty registry; test/store/registry-storage.test.ts runs it on SQLite.
 */
import { describe, it, expect } from 'vitest';
import type { Assignment } from '../../src/link/registry/assign.js';
import { storedBandKeys } from '../../src/link/registry/band-keys.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import type { EncodingUpdate, RegistryConfig, RegistryStorage } from '../../src/link/registry/storage.js';
import { isP20Error } from '../../src/errors.js';

const BLOCKING = 'keys:yob+lsh:bands=8,rows=4';
const CONFIG: RegistryConfig = {
  keyCheckValue: '0123456789abcdef0123456789abcdef',
  schemaFingerprint: `sha256:${'ab'.repeat(32)}`,
  l: 64,
  blocking: BLOCKING,
  scoring: { kind: 'dice', threshold: 0.8, reviewThreshold: null, maxPerParty: 1 },
};

function clk(seed: number): Uint8Array {
  const out = new Uint8Array(8);
  let x = seed * 2654435761;
  for (let i = 0; i < 8; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) | 0;
    out[i] = x & 0xff;
  }
  return out;
}

function enc(party: string, recordId: string, seed: number, yob = '1990', cfg = CONFIG): EncodingUpdate {
  const c = clk(seed);
  const blocks = { yob };
  return { party, recordId, clk: c, evidence: Uint8Array.of(seed & 0xff, 1, 2), presence: 0b101, blocks, bandKeys: storedBandKeys(parseBlockingSpec(cfg.blocking), cfg.l, c, blocks) };
}

function assignment(created: string[], mergedInto: [string, string][] = [], events: Assignment['events'] = []): Assignment {
  return { clusterId: [], status: [], created, events, mergedInto: new Map(mergedInto) };
}

let runNo = 0;
function run() {
  runNo++;
  const t = new Date(Date.UTC(2026, 0, 1, 0, 0, runNo)).toISOString();
  return { runId: `run-20260101T0000${String(runNo % 60).padStart(2, '0')}Z-${runNo.toString(16).padStart(8, '0')}`, startedAt: t, finishedAt: t, tool: 'contract', inputs: [], parameters: {}, counts: {} };
}

function sorted(keys: readonly number[]): Float64Array {
  return Float64Array.from(keys).sort();
}

async function hitsOf(s: RegistryStorage, keys: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  await s.lookupBandKeys(sorted(keys), (_k, rid) => out.add(rid));
  return out;
}

export function registryStorageContract(name: string, open: () => RegistryStorage): void {
  describe(`RegistryStorage contract: ${name}`, () => {
    /** A registry with two entities: E1 = {k12:a, college:b}, E2 = {k12:c}. */
    function seeded(): { s: RegistryStorage; e1: string; e2: string } {
      const s = open();
      const e1 = s.newId();
      const e2 = s.newId();
      s.writeRun(0, {
        run: run(),
        assignment: assignment([e1, e2]),
        members: [
          { party: 'k12', recordId: 'a', entity: e1 },
          { party: 'college', recordId: 'b', entity: e1 },
          { party: 'k12', recordId: 'c', entity: e2 },
        ],
        encodings: [enc('k12', 'a', 1), enc('college', 'b', 2), enc('k12', 'c', 3, '2001')],
        config: CONFIG,
        audit: { type: 'link-run', detail: { contract: true } },
      });
      return { s, e1, e2 };
    }

    it('starts empty', () => {
      const s = open();
      try {
        expect(s.config()).toBeUndefined();
        expect(s.encodingCount()).toBe(0);
        expect(s.lastRunSeq()).toBe(0);
        expect(s.entityOf('k12', 'a')).toBeUndefined();
        expect(s.encodingOf('k12', 'a')).toBeUndefined();
        expect(s.parties()).toEqual([]);
        expect(s.newId()).toMatch(/^L[0-9A-HJKMNP-TV-Z]{16}$/);
      } finally {
        s.close();
      }
    });

    it('stores a run: configuration, memberships, encodings and their band keys', async () => {
      const { s, e1, e2 } = seeded();
      try {
        expect(s.config()).toEqual(CONFIG);
        expect(s.lastRunSeq()).toBe(1);
        expect(s.encodingCount()).toBe(3);
        expect(s.encodedRecordCount('k12')).toBe(2);
        expect(s.entityOf('k12', 'a')).toBe(e1);
        expect(s.entityOf('college', 'b')).toBe(e1);
        expect(s.entityOf('k12', 'c')).toBe(e2);
        // many at once, in the order given, unknown ones undefined
        expect(
          s.entitiesOf([
            { party: 'k12', recordId: 'c' },
            { party: 'k12', recordId: 'zz' },
            { party: 'college', recordId: 'b' },
            { party: 'k12', recordId: 'a' },
          ]),
        ).toEqual([e2, undefined, e1, e1]);
        expect(s.entitiesOf([])).toEqual([]);
        const a = s.encodingOf('k12', 'a')!;
        expect(a).toMatchObject({ party: 'k12', recordId: 'a', presence: 0b101, blocks: { yob: '1990' }, entity: e1 });
        expect([...a.clk]).toEqual([...clk(1)]);
        expect([...a.evidence!]).toEqual([1, 1, 2]);
        expect(await hitsOf(s, enc('k12', 'a', 1).bandKeys)).toContain(a.rid);
        // the keys part: every 1990 record shares its band key
        const yobKey = enc('x', 'y', 99).bandKeys.slice(-1); // the keys part's band key comes last
        expect(await hitsOf(s, yobKey)).toEqual(new Set([a.rid, s.encodingOf('college', 'b')!.rid]));
        expect(s.recordsByRid([a.rid]).map((r) => r.recordId)).toEqual(['a']);
        expect(s.entitiesOfRecords([a.rid, s.encodingOf('k12', 'c')!.rid, 999999])).toEqual(new Map([[a.rid, e1], [s.encodingOf('k12', 'c')!.rid, e2]]));
        expect(s.membersOfEntities([e1]).map((m) => `${m.party}:${m.recordId}`)).toEqual(['college:b', 'k12:a']);
        // capped: every member, the encoding of the latest registered only
        expect(s.membersOfEntities([e1, e2], { encodingsPerEntity: 1 }).map((m) => `${m.party}:${m.recordId}:${m.record ? 'enc' : '-'}`)).toEqual(['college:b:enc', 'k12:a:-', 'k12:c:enc']);
        // in the order of the entities given; a member's encoding is the stored one, whole
        expect(s.membersOfEntities([e2, e1]).map((m) => `${m.entity === e1 ? 'E1' : 'E2'}:${m.party}:${m.recordId}`)).toEqual(['E2:k12:c', 'E1:college:b', 'E1:k12:a']);
        // every member carries its record number, returned encoding or not; encodedOnly leaves out the others
        expect(s.membersOfEntities([e1], { encodingsPerEntity: 0 }).map((m) => [m.recordId, m.rid, m.record])).toEqual([
          ['b', s.encodingOf('college', 'b')!.rid, null],
          ['a', a.rid, null],
        ]);
        expect(s.membersOfEntities([e1, e2], { encodingsPerEntity: 1, encodedOnly: true }).map((m) => `${m.party}:${m.recordId}`)).toEqual(['college:b', 'k12:c']);
        const ma = s.membersOfEntities([e1]).find((m) => m.recordId === 'a')!.record!;
        expect(ma).toMatchObject({ rid: a.rid, party: 'k12', recordId: 'a', presence: 0b101, blocks: { yob: '1990' }, entity: e1 });
        expect([...ma.clk]).toEqual([...clk(1)]);
        expect([...ma.evidence!]).toEqual([1, 1, 2]);
        expect(s.createdRun(e1)).toBe(1);
        expect([...s.exportParty('k12')]).toEqual([
          { recordId: 'a', entity: e1 },
          { recordId: 'c', entity: e2 },
        ]);
        expect(s.parties()).toEqual(['college', 'k12']);
      } finally {
        s.close();
      }
    });

    it('refuses a run built on a registry state that changed, writing nothing', () => {
      const { s } = seeded();
      try {
        let err: unknown;
        try {
          s.writeRun(0, { run: run(), assignment: assignment([]), members: [], encodings: [enc('k12', 'z', 9)], audit: { type: 'link-run', detail: {} } });
        } catch (e) {
          err = e;
        }
        expect(isP20Error(err) && err.code).toBe('STORE_CHANGED');
        expect(s.encodingOf('k12', 'z')).toBeUndefined();
        expect(s.lastRunSeq()).toBe(1);
      } finally {
        s.close();
      }
    });

    it('an updated encoding replaces the old one and its band keys; an unchanged one is left alone', async () => {
      const { s, e1 } = seeded();
      try {
        const old = s.encodingOf('k12', 'a')!;
        s.writeRun(1, { run: run(), assignment: assignment([]), members: [{ party: 'k12', recordId: 'a', entity: e1 }], encodings: [enc('k12', 'a', 77, '1985'), enc('college', 'b', 2)], audit: { type: 'link-run', detail: {} } });
        const now = s.encodingOf('k12', 'a')!;
        expect(now.rid).toBe(old.rid);
        expect([...now.clk]).toEqual([...clk(77)]);
        expect(s.encodingCount()).toBe(3);
        expect(await hitsOf(s, enc('k12', 'a', 77, '1985').bandKeys)).toContain(now.rid);
        const stale = enc('k12', 'a', 1).bandKeys.filter((k) => !enc('k12', 'a', 77, '1985').bandKeys.includes(k));
        expect((await hitsOf(s, stale)).has(now.rid)).toBe(false);
      } finally {
        s.close();
      }
    });

    it('merges move members to the survivor, with history; merge candidates are kept', () => {
      const { s, e1, e2 } = seeded();
      try {
        s.writeRun(1, {
          run: run(),
          assignment: assignment([], [[e2, e1]], [{ event: 'merge', oldId: e2, newId: e1, records: 1 }]),
          members: [],
          encodings: [],
          mergeCandidates: [{ a: e1, b: e2, score: 0.9 }],
          audit: { type: 'link-run', detail: {} },
        });
        expect(s.entityOf('k12', 'c')).toBe(e1);
        expect(s.entitiesOf([{ party: 'k12', recordId: 'c' }])).toEqual([e1]);
        expect(s.history().map((h) => [h.event, h.oldId, h.newId])).toEqual([['merge', e2, e1]]);
        expect(s.history(e2)).toHaveLength(1);
        expect(s.mergeCandidates().map((c) => [c.a, c.b, c.score])).toEqual([[e1, e2, 0.9]]);
      } finally {
        s.close();
      }
    });

    it('forget removes encodings, band keys and memberships, retires emptied entities', async () => {
      const { s, e1, e2 } = seeded();
      try {
        const c = s.encodingOf('k12', 'c')!;
        const r = s.forget('k12', ['c', 'a', 'nobody'], { fileSha256: `sha256:${'0'.repeat(64)}` });
        expect(r.removed).toBe(2);
        expect(r.unknown).toBe(1);
        expect(r.retired).toEqual([e2]);
        expect(s.isRetired(e2)).toBe(true);
        expect(s.isRetired(e1)).toBe(false);
        expect(s.entityOf('k12', 'c')).toBeUndefined();
        expect(s.encodingOf('k12', 'a')).toBeUndefined();
        expect((await hitsOf(s, enc('k12', 'c', 3, '2001').bandKeys)).has(c.rid)).toBe(false);
        expect(s.encodingCount()).toBe(1);
        expect([...s.exportParty('k12')]).toEqual([]);
      } finally {
        s.close();
      }
    });

    it('keeps the index covering an entity when the record carrying a shared key leaves', async () => {
      const s = open();
      try {
        const e = s.newId();
        const first = enc('k12', 'a', 5);
        const second = enc('college', 'b', 5); // the same CLK and block values: every key shared
        s.writeRun(0, {
          run: run(),
          assignment: assignment([e]),
          members: [
            { party: 'k12', recordId: 'a', entity: e },
            { party: 'college', recordId: 'b', entity: e },
          ],
          // the index is kept per entity: the second record's keys are already carried by the first
          encodings: [first, { ...second, bandKeys: [] }],
          config: CONFIG,
          audit: { type: 'link-run', detail: {} },
        });
        const b = s.encodingOf('college', 'b')!.rid;
        expect((await hitsOf(s, first.bandKeys)).has(b)).toBe(false);
        s.forget('k12', ['a'], { fileSha256: `sha256:${'1'.repeat(64)}` });
        expect(await hitsOf(s, first.bandKeys)).toEqual(new Set([b]));
        // an update that changes the carrying record hands its keys over too
        const c = s.newId();
        s.writeRun(1, {
          run: run(),
          assignment: assignment([c]),
          members: [{ party: 'wage', recordId: 'w', entity: e }],
          encodings: [{ ...enc('wage', 'w', 5), bandKeys: [] }],
          audit: { type: 'link-run', detail: {} },
        });
        s.writeRun(2, { run: run(), assignment: assignment([]), members: [{ party: 'college', recordId: 'b', entity: e }], encodings: [enc('college', 'b', 6, '1970')], audit: { type: 'link-run', detail: {} } });
        const w = s.encodingOf('wage', 'w')!.rid;
        for (const k of first.bandKeys) {
          const hits = await hitsOf(s, [k]);
          expect(hits.has(w) || hits.has(s.encodingOf('college', 'b')!.rid)).toBe(true);
        }
      } finally {
        s.close();
      }
    });

    it('rekey replaces every encoding all-or-nothing and refuses unknown records', async () => {
      const { s, e1 } = seeded();
      try {
        const NEW = { ...CONFIG, keyCheckValue: 'f'.repeat(32) };
        const expectCode = (f: () => unknown, code: string) => {
          let err: unknown;
          try {
            f();
          } catch (e) {
            err = e;
          }
          expect(isP20Error(err) && err.code).toBe(code);
        };
        expectCode(() => s.rekey(NEW, [enc('k12', 'a', 11)], { type: 'registry-rekey', detail: {} }), 'REGISTRY_REKEY_INCOMPLETE');
        expect(s.config()!.keyCheckValue).toBe(CONFIG.keyCheckValue);
        expectCode(() => s.rekey(NEW, [enc('k12', 'zz', 11)], { type: 'registry-rekey', detail: {} }), 'REGISTRY_REKEY_UNKNOWN');
        // every unknown record counted, though the known ones come first
        expect(() => s.rekey(NEW, [enc('k12', 'a', 11), enc('college', 'b', 12), enc('k12', 'c', 13), enc('k12', 'y', 1), enc('k12', 'zz', 2)], { type: 'registry-rekey', detail: {} })).toThrow(
          /: 2 record\(s\) of party "k12" are not registered/,
        );
        expect(s.config()!.keyCheckValue).toBe(CONFIG.keyCheckValue);
        expect([...s.encodingOf('k12', 'a')!.clk]).not.toEqual([...clk(11)]);
        // the encodings read once, one at a time (a generator: a key rotation at a million records holds none of them at once)
        function* given() {
          yield enc('k12', 'a', 11);
          yield enc('college', 'b', 12);
          yield enc('k12', 'c', 13);
        }
        const r = s.rekey(NEW, given(), { type: 'registry-rekey', detail: {} });
        expect(r).toEqual({ records: 3, parties: ['college', 'k12'] });
        expect(s.config()!.keyCheckValue).toBe('f'.repeat(32));
        expect(s.entityOf('k12', 'a')).toBe(e1);
        expect([...s.encodingOf('k12', 'a')!.clk]).toEqual([...clk(11)]);
        expect(await hitsOf(s, enc('k12', 'a', 11).bandKeys)).toContain(s.encodingOf('k12', 'a')!.rid);
      } finally {
        s.close();
      }
    });

    it('reindex rebuilds the blocking index under another blocking', async () => {
      const { s } = seeded();
      try {
        const other = { ...CONFIG, blocking: 'lsh:bands=4,rows=2' };
        s.reindex(other);
        expect(s.config()!.blocking).toBe('lsh:bands=4,rows=2');
        const a = s.encodingOf('k12', 'a')!;
        expect(await hitsOf(s, enc('k12', 'a', 1, '1990', other).bandKeys)).toContain(a.rid);
        // the keys part is gone: no record is indexed under the 1990 key any more
        expect((await hitsOf(s, enc('x', 'y', 99).bandKeys.slice(-1))).size).toBe(0);
      } finally {
        s.close();
      }
    });
  });
}
