/**
 * planIncrement at the level of its counts (src/link/registry/incremental.ts):
 * the representative set, the per-party limit over every member, the
 * scored pairs against brute-force Dice, and batched lookups of prior
 * entities. Small in-memory data (packed parties, a temporary store).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { join } from 'node:path';
import type { EncodedHeader } from '../../src/format/encoded-file.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { makePackedPartyData, strideFor } from '../../src/link/pack.js';
import { BAND_CROWD, commitIncrement, groupBy, planIncrement, type IncrementSettings } from '../../src/link/registry/incremental.js';
import { SqliteRegistryStorage } from '../../src/link/registry/sqlite-storage.js';
import type { PartyData } from '../../src/link/types.js';
import { openLinkerStore } from '../../src/store/linker-store.js';
import { FP, KCV, noisy, prng, randomClk } from '../fixtures/link/make-encoded.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('p20-incremental-plan-');
let n = 0;
const L = 1024;
const stride = strideFor(L);

function party(name: string, rows: { id: string; clk: Uint8Array }[]): PartyData {
  const clks = new Uint8Array(rows.length * stride);
  rows.forEach((r, i) => clks.set(r.clk, i * stride));
  const header = { format: 'p20link/encoded', version: 1, tool: 'test', createdAt: '2026-01-01T00:00:00Z', party: name, schemaFingerprint: FP, keyCheckValue: KCV, l: L, columns: ['id', 'clk'], rowCount: rows.length } as EncodedHeader;
  return makePackedPartyData({ name, file: `${name}.enc`, header, ids: rows.map((r) => r.id), clks, blocks: {} });
}

function dice(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let pa = 0;
  let pb = 0;
  for (let i = 0; i < a.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const x = (a[i]! >> bit) & 1;
      const y = (b[i]! >> bit) & 1;
      inter += x & y;
      pa += x;
      pb += y;
    }
  }
  return pa + pb === 0 ? 0 : (2 * inter) / (pa + pb);
}

const settings = (over: Partial<IncrementSettings> = {}): IncrementSettings => ({ blocking: parseBlockingSpec('lsh'), threshold: 0.8, reviewThreshold: 0.5, maxPerParty: 1, ...over });

async function link(storage: SqliteRegistryStorage, parties: PartyData[], s: IncrementSettings) {
  const plan = await planIncrement(storage, parties, s);
  const t = new Date().toISOString();
  commitIncrement(storage, plan, { runId: `run-${++n}`, startedAt: t, finishedAt: t, tool: 'test', inputs: [], parameters: {}, counts: {} }, {});
  return plan;
}

describe('planIncrement', () => {
  it('compares a new record with the representative set only, while every member counts for the per-party limit', async () => {
    const rnd = prng(11);
    const person = randomClk(rnd, L);
    const storage = new SqliteRegistryStorage(openLinkerStore(join(dir, `reps-${++n}.db`)), { ownsDb: true });
    try {
      // one person registered yearly under six labels
      for (let y = 0; y < 6; y++) await link(storage, [party(`k12-${y}`, [{ id: 'k1', clk: noisy(rnd, person, 0.01, L) }])], settings({ representatives: 2 }));
      expect(storage.encodingCount()).toBe(6);
      const one = storage.entityOf('k12-0', 'k1')!;
      for (let y = 1; y < 6; y++) expect(storage.entityOf(`k12-${y}`, 'k1')).toBe(one);
      // a new label: compared with the two most recent records only (k12-4, k12-5)
      const plan = await planIncrement(storage, [party('k12-6', [{ id: 'k1', clk: noisy(rnd, person, 0.01, L) }])], settings({ representatives: 2 }));
      expect(plan.registeredCompared).toBe(2);
      expect(plan.pairStats.map((p) => p.partyB).sort()).toEqual(['k12-4', 'k12-5']);
      expect(plan.ids[0]).toBe(one);
      expect(plan.status).toEqual({ kept: 1, new: 0, merged: 0, split: 0 });
      // a second record of a label the entity already holds (k12-0, not a representative) cannot join it, though it matches:
      // the whole membership of an entity a record links to counts for the limit of records per party
      const again = await planIncrement(storage, [party('k12-0', [{ id: 'k2', clk: noisy(rnd, person, 0.01, L) }])], settings({ representatives: 2 }));
      expect(again.registeredCompared).toBe(2);
      expect(again.pairStats.reduce((t, p) => t + p.aboveThreshold, 0)).toBe(2);
      expect(again.ids[0]).not.toBe(one);
      expect(again.status.new).toBe(1);
      // the same record under a label the entity lacks joins it
      const other = await planIncrement(storage, [party('wages-0', [{ id: 'w2', clk: noisy(rnd, person, 0.01, L) }])], settings({ representatives: 2 }));
      expect(other.ids[0]).toBe(one);
    } finally {
      storage.close();
    }
  });

  it('scores every compared pair exactly as Dice (pairs that cannot reach the review band are skipped, none lost)', async () => {
    const rnd = prng(5);
    // people of different densities (so popcounts differ widely), one block value for all: every pair is a candidate
    const people = Array.from({ length: 40 }, (_v, i) => randomClk(rnd, L, 0.05 + (i % 8) * 0.08));
    const storage = new SqliteRegistryStorage(openLinkerStore(join(dir, `dice-${++n}.db`)), { ownsDb: true });
    const all = (rows: { id: string; clk: Uint8Array }[], name: string) => ({ ...party(name, rows), blocks: { all: rows.map(() => 'x') } });
    // a low review threshold: dense unrelated people land in the band, while sparse against dense cannot reach it
    const s = settings({ blocking: parseBlockingSpec('keys:all'), reviewThreshold: 0.3 });
    try {
      const first = people.map((p, i) => ({ id: `a${i}`, clk: noisy(rnd, p, 0.02, L) }));
      await link(storage, [all(first, 'a')], s);
      expect(storage.encodingCount()).toBe(40);
      // noisier copies: some links, some in the review band, some below it
      const second = people.map((p, i) => ({ id: `b${i}`, clk: noisy(rnd, p, 0.02 + (i % 5) * 0.05, L) }));
      const plan = await planIncrement(storage, [all(second, 'b')], s);
      expect(plan.registeredCompared).toBe(40 * 40);
      const want: number[] = [];
      for (const rec of second) for (const reg of first) {
        const d = Math.fround(dice(rec.clk, reg.clk));
        if (d >= Math.fround(0.3)) want.push(d);
      }
      expect(want.length).toBeGreaterThan(100);
      expect(want.length).toBeLessThan(1600);
      expect([...plan.scores].sort()).toEqual(want.sort());
      for (const r of plan.reviewPairs) expect(r.score).toBe(Math.fround(dice(second[Number(r.idA.slice(1))]!.clk, first[Number(r.idB.slice(1))]!.clk)));
      expect(plan.pairStats.reduce((t, p) => t + p.aboveThreshold + p.reviewBand, 0)).toBe(plan.scores.length);
    } finally {
      storage.close();
    }
  });

  it('finds the prior entity of every registered record given again, in one batch', async () => {
    const rnd = prng(3);
    const people = Array.from({ length: 12 }, () => randomClk(rnd, L));
    const storage = new SqliteRegistryStorage(openLinkerStore(join(dir, `prior-${++n}.db`)), { ownsDb: true });
    try {
      const rows = people.map((p, i) => ({ id: `r${i}`, clk: noisy(rnd, p, 0.01, L) }));
      const plan1 = await link(storage, [party('p', rows)], settings());
      expect(storage.entitiesOf(rows.map((r) => ({ party: 'p', recordId: r.id })))).toEqual(plan1.ids);
      // given again (re-encoded): updates, each keeps its ID
      const plan2 = await link(storage, [party('p', people.map((p, i) => ({ id: `r${i}`, clk: noisy(rnd, p, 0.01, L) })))], settings());
      expect(plan2.ids).toEqual(plan1.ids);
      expect(plan2.status.kept).toBe(12);
      expect(storage.encodingCount()).toBe(12);
    } finally {
      storage.close();
    }
  });
});

/**
 * A look-alike of a CLK: each set bit kept with probability `keep`, clear bits set so the popcount stays about the same
 * (Jaccard about keep / (2 - keep) to the original, Dice about keep: below the threshold, never linked).
 */
function lookAlike(rnd: () => number, clk: Uint8Array, keep: number, density = 0.3): Uint8Array {
  const out = new Uint8Array(clk.length);
  const add = ((1 - keep) * density) / (1 - density);
  for (let i = 0; i < clk.length * 8; i++) {
    const set = (clk[i >> 3]! & (0x80 >> (i & 7))) !== 0;
    if (set ? rnd() < keep : rnd() < add) out[i >> 3]! |= 0x80 >> (i & 7);
  }
  return out;
}

describe('candidate entities from the persistent index (DEFAULT_MIN_BAND_HITS)', () => {
  it('stay about one a record while the registry grows with look-alikes and the true matches stay fixed', async () => {
    const rnd = prng(23);
    const people = Array.from({ length: 20 }, () => randomClk(rnd, L));
    const perStage: Record<number, number[]> = { 1: [], 2: [] };
    const storage = new SqliteRegistryStorage(openLinkerStore(join(dir, `growth-${++n}.db`)), { ownsDb: true });
    const s = settings({ reviewThreshold: undefined });
    try {
      const truth = people.map((p, i) => ({ id: `t${i}`, clk: noisy(rnd, p, 0.01, L) }));
      const plan0 = await link(storage, [party('truth', truth)], s);
      // three stages, each adding 60 look-alikes of every person (Jaccard about 0.4, Dice about 0.57): 1,200 more
      // registered entities a stage, none of which is a match
      for (let stage = 0; stage < 3; stage++) {
        const rows = people.flatMap((p, i) => Array.from({ length: 60 }, (_v, j) => ({ id: `s${stage}-${i}-${j}`, clk: lookAlike(rnd, p, 0.57) })));
        await link(storage, [party(`look-${stage}`, rows)], s);
        const fresh = party('new', people.map((p, i) => ({ id: `n${i}`, clk: noisy(rnd, p, 0.01, L) })));
        for (const m of [1, 2]) {
          const plan = await planIncrement(storage, [fresh], settings({ reviewThreshold: undefined, minBandHits: m }));
          // the true matches are found either way
          expect(plan.ids).toEqual(plan0.ids);
          perStage[m]!.push(plan.candidates / people.length);
        }
      }
      expect(storage.encodingCount()).toBe(20 + 3 * 1200);
      // two shared bands: about one candidate a record (its own entity) at every size
      for (const c of perStage[2]!) expect(c).toBeLessThanOrEqual(1.5);
      expect(Math.max(...perStage[2]!) - Math.min(...perStage[2]!)).toBeLessThanOrEqual(0.5);
      // one shared band (a full run's LSH rule): the spurious candidates grow with the registry
      expect(perStage[1]![2]!).toBeGreaterThan(perStage[1]![0]! + 2);
      expect(perStage[1]![2]!).toBeGreaterThan(3 * perStage[2]![2]!);
    } finally {
      storage.close();
    }
  });

  it('need no more bands than the blocking has, and a keys part\'s value is enough alone', async () => {
    const rnd = prng(29);
    const people = Array.from({ length: 10 }, () => randomClk(rnd, L));
    for (const spec of ['lsh:bands=1,rows=2', 'keys:yob']) {
      const storage = new SqliteRegistryStorage(openLinkerStore(join(dir, `one-band-${++n}.db`)), { ownsDb: true });
      const withYob = (p: PartyData) => ({ ...p, blocks: { yob: p.ids.map((id) => `y${id.slice(1)}`) } });
      const s = settings({ blocking: parseBlockingSpec(spec), reviewThreshold: undefined, minBandHits: 2 });
      try {
        const first = await link(storage, [withYob(party('a', people.map((p, i) => ({ id: `a${i}`, clk: p }))))], s);
        const plan = await planIncrement(storage, [withYob(party('b', people.map((p, i) => ({ id: `b${i}`, clk: p }))))], s);
        // the same CLKs again: one shared band (or block value) each, which is all the blocking can give
        expect(plan.candidates).toBe(10);
        expect(plan.ids).toEqual(first.ids);
      } finally {
        storage.close();
      }
    }
  });
});

describe('the lookup in parts (LOOKUP_RECORDS)', () => {
  it('gives the same plan whatever the part size: candidates, hits, comparisons, links and the band keys kept', async () => {
    const rnd = prng(37);
    const people = Array.from({ length: 30 }, () => randomClk(rnd, L));
    const storage = new SqliteRegistryStorage(openLinkerStore(join(dir, `parts-${++n}.db`)), { ownsDb: true });
    const s = settings();
    try {
      // registered: the people, and look-alikes of them (spurious hits across parts)
      await link(storage, [party('reg', people.map((p, i) => ({ id: `r${i}`, clk: p })))], s);
      await link(storage, [party('look', people.flatMap((p, i) => Array.from({ length: 4 }, (_v, j) => ({ id: `l${i}-${j}`, clk: lookAlike(rnd, p, 0.7) }))))], s);
      const registered = new Set((await planIncrement(storage, [party('reg', people.map((p, i) => ({ id: `r${i}`, clk: p })))], s)).ids);
      // new: noisy copies of most people (two records of some), and strangers
      const rows = [...people.slice(0, 25).map((p, i) => ({ id: `n${i}`, clk: noisy(rnd, p, 0.02, L) })), ...people.slice(0, 5).map((p, i) => ({ id: `d${i}`, clk: noisy(rnd, p, 0.03, L) })), ...Array.from({ length: 6 }, (_v, i) => ({ id: `x${i}`, clk: randomClk(rnd, L) }))];
      const fresh = party('new', rows);
      const shape = (plan: Awaited<ReturnType<typeof planIncrement>>) => {
        const first = new Map<string, number>();
        return {
          ids: plan.ids.map((id) => (registered.has(id) ? id : `new${first.get(id) ?? first.set(id, first.size).get(id)}`)),
          candidates: plan.candidates,
          indexHits: plan.indexHits,
          compared: plan.registeredCompared,
          scores: plan.scores,
          kept: plan.encodings.map((e) => e.bandKeys),
        };
      };
      const whole = shape(await planIncrement(storage, [fresh], s));
      // hits well beyond the candidates (look-alikes sharing one band), and the people found again
      expect(whole.indexHits).toBeGreaterThan(10 * whole.candidates);
      expect(whole.ids.filter((id) => registered.has(id)).length).toBeGreaterThanOrEqual(25);
      for (const size of [1, 4, 7]) expect(shape(await planIncrement(storage, [fresh], { ...s, lookupRecords: size }))).toEqual(whole);
    } finally {
      storage.close();
    }
  });
});

describe('crowded band keys (BAND_CROWD)', () => {
  // k registered records of one party with one CLK: k entities (one record of a party each), every LSH key held by all k
  async function crowdOf(k: number, spec: string, over: Partial<IncrementSettings>): Promise<number> {
    const rnd = prng(31);
    const clk = randomClk(rnd, L);
    const withYob = (p: PartyData) => ({ ...p, blocks: { yob: p.ids.map(() => 'y1990') } });
    const storage = new SqliteRegistryStorage(openLinkerStore(join(dir, `crowd-${++n}.db`)), { ownsDb: true });
    const s = settings({ blocking: parseBlockingSpec(spec), reviewThreshold: undefined });
    try {
      const reg = await link(storage, [withYob(party('reg', Array.from({ length: k }, (_v, i) => ({ id: `r${i}`, clk }))))], s);
      expect(new Set(reg.ids).size).toBe(k);
      const plan = await planIncrement(storage, [withYob(party('new', [{ id: 'n0', clk }]))], { ...s, ...over });
      return plan.candidates;
    } finally {
      storage.close();
    }
  }

  it('a band key held by up to the bound proposes its holders, one more and it proposes none', async () => {
    expect(await crowdOf(4, 'lsh', { bandCrowd: 4 })).toBe(4);
    expect(await crowdOf(4, 'lsh', { bandCrowd: 3 })).toBe(0);
    expect(await crowdOf(4, 'lsh', {})).toBe(4);
    expect(BAND_CROWD).toBeGreaterThanOrEqual(4);
  });

  it("does not bound a keys part's values (blocks by design)", async () => {
    expect(await crowdOf(4, 'keys:yob', { bandCrowd: 1 })).toBe(4);
    // with LSH beside them, the LSH bands are bounded and the block still proposes
    expect(await crowdOf(4, 'keys:yob+lsh', { bandCrowd: 1 })).toBe(4);
  });
});

describe('groupBy (the increment\'s typed-array grouping of hits, representatives and members)', () => {
  it('lists every item once, under its key, in item order within a key', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }).chain((k) => fc.tuple(fc.constant(k), fc.array(fc.integer({ min: 0, max: k - 1 }), { maxLength: 200 }))), ([k, keys]) => {
        const { start, items } = groupBy(Int32Array.from(keys), keys.length, k);
        expect(start[0]).toBe(0);
        expect(start[k]).toBe(keys.length);
        for (let g = 0; g < k; g++) {
          const want = keys.flatMap((x, i) => (x === g ? [i] : []));
          expect(Array.from(items.subarray(start[g]!, start[g + 1]!))).toEqual(want);
        }
      }),
      { numRuns: 200 },
    );
  });
});
