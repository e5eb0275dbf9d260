import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvRows } from '../helpers/csv-rows.js';
import { dobLevel, evaluate, Interner, jaroWinkler, parseAbsent, quality, readClusters, readPlain, readTruthCompact, recordOf, stepEncode, type Truth } from '../../bench/eval-quality.js';
import { readEncodedHeader } from '../../src/format/encoded-file.js';
import { PARTIES } from '../../src/synth/agencies.js';
import { generateExtracts } from '../../src/synth/generate.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A hand-made truth: records 0..n-1 with their party, entity, group, sex and family root. */
function handTruth(party: number[], entity: number[], opts: { group?: number[]; sex?: number[]; family?: number[] } = {}): Truth {
  const n = party.length;
  const people = Math.max(...entity) + 1;
  return {
    n,
    offset: [0, 0, 0],
    ids: [new Float64Array(), new Float64Array(), new Float64Array()],
    entity: Int32Array.from(entity),
    party: Uint8Array.from(party),
    trouble: new Uint32Array(n),
    troubleKinds: [],
    group: Uint8Array.from(opts.group ?? new Array(people).fill(0)),
    sex: Uint8Array.from(opts.sex ?? new Array(people).fill(0)),
    family: Int32Array.from(opts.family ?? Array.from({ length: people }, (_, i) => i)),
  };
}

/**
 * People 0..n-1, each with a K-12 and a wages record (a true pair), from `person`: the person's group and sex,
 * whether the pair is linked, and the trouble bits of the wages record.
 */
function k12WagesPairs(n: number, person: (p: number) => { group: number; sex?: number; linked: boolean; trouble?: number }): { t: Truth; cluster: Float64Array } {
  const people = Array.from({ length: n }, (_, p) => person(p));
  const pair = <T>(f: (p: number) => [T, T]): T[] => people.flatMap((_, p) => f(p));
  const t = handTruth(
    pair(() => [0, 2]),
    pair((p) => [p, p]),
    { group: people.map((x) => x.group), sex: people.map((x) => x.sex ?? 0) },
  );
  return {
    t: { ...t, trouble: Uint32Array.from(pair((p) => [0, people[p]!.trouble ?? 0])) },
    cluster: Float64Array.from(pair((p) => [2 * p, people[p]!.linked ? 2 * p : 2 * p + 1])),
  };
}

describe('eval:quality pairwise measures', () => {
  it('counts true, linked and correct pairs across and within files (known answer)', () => {
    // entity 0: k12, college, wages, and a second wages record; entity 1: k12, wages; entity 2: college
    const t = handTruth([0, 1, 2, 2, 0, 2, 1], [0, 0, 0, 0, 1, 1, 2]);
    // clusters: {0,1,2} (entity 0 without its duplicate), {3} alone, {4,5,6} (entity 1 plus entity 2's college record)
    const e = evaluate(t, Float64Array.from([10, 10, 10, 11, 12, 12, 12]));
    // true pairs: entity 0 has 4 records -> 6 pairs; entity 1 -> 1 pair
    expect(e.truePairs).toBe(7);
    // linked pairs: 3 + 0 + 3
    expect(e.linkedPairs).toBe(6);
    // correct: 3 (entity 0) + 1 (entity 1)
    expect(e.tp).toBe(4);
    expect(e.precision).toBeCloseTo(4 / 6);
    expect(e.recall).toBeCloseTo(4 / 7);
    const within = e.byPartyPair.find((x) => x.pair === 'within wages')!;
    expect(within.truePairs).toBe(1);
    expect(within.tp).toBe(0);
    const kw = e.byPartyPair.find((x) => x.pair === 'k12×wages')!;
    // k12×wages true: (0,2), (0,3), (4,5); linked: (0,2), (4,5); correct both
    expect([kw.truePairs, kw.linkedPairs, kw.tp]).toEqual([3, 2, 2]);
  });

  it('recall by group and sex, and the gap only over groups with enough pairs', () => {
    // 120 people of group 0 (all linked), 120 of group 1 (half linked), 5 of group 2 (none linked)
    const { t, cluster } = k12WagesPairs(245, (p) => {
      const group = p < 120 ? 0 : p < 240 ? 1 : 2;
      return { group, sex: p % 2, linked: group === 0 || (group === 1 && p % 2 === 0) };
    });
    const e = evaluate(t, cluster);
    expect(e.byGroup[0]!.recall).toBe(1);
    expect(e.byGroup[1]!.recall).toBe(0.5);
    expect(e.byGroup[2]!.recall).toBe(0);
    // group 2 has 5 pairs: left out of the gap
    expect(e.raceGap).toBeCloseTo(50);
    // men are the odd people: linked in group 0 only
    expect(e.bySex[1]!.recall).toBeCloseTo(60 / 122);
    expect(e.sexGap).toBeGreaterThan(0);
    expect(e.precision).toBe(1);
  });

  it('the gaps on the pairs without one trouble say which trouble a gap comes from (known answer)', () => {
    // group 0: 480 people, all linked; group 1: 480 people, of whom the 160 with trouble "a" on the wages record (all
    // women) are all missed and the rest linked; trouble "b" on every fourth person of both groups; the others'
    // sex alternates
    const { t, cluster } = k12WagesPairs(960, (p) => {
      const group = p < 480 ? 0 : 1;
      const a = group === 1 && p % 3 === 0;
      return { group, sex: a ? 0 : p % 2, linked: !a, trouble: (a ? 1 : 0) | (p % 4 === 0 ? 2 : 0) };
    });
    const e = evaluate({ ...t, troubleKinds: ['a', 'b'] }, cluster);
    expect(e.raceGap).toBeCloseTo(100 / 3);
    // women: 560, of whom 160 missed; men: 400, all linked
    expect(e.sexGap).toBeCloseTo(100 * (160 / 560));
    const without = Object.fromEntries(e.gapsWithout.map((x) => [x.trouble, x]));
    // without "a" every pair left is linked; without "b" group 1 still misses 120 of its 360 pairs
    expect([without.a!.raceGap, without.a!.sexGap]).toEqual([0, 0]);
    expect(without.b!.raceGap).toBeCloseTo(100 / 3);
    expect(without.b!.sexGap).toBeGreaterThan(0);
  });

  it('counts false pairs between members of one family', () => {
    // entities 0 and 1 are twins (family root 0), linked together; entity 2 wrongly linked to 3 (no family)
    const t = handTruth([0, 2, 0, 2], [0, 1, 2, 3], { family: [0, 0, 2, 3] });
    const e = evaluate(t, Float64Array.from([1, 1, 2, 2]));
    expect(e.linkedPairs).toBe(2);
    expect(e.tp).toBe(0);
    expect(e.falseFamily).toBe(1);
  });

  it('quality of no pairs is precision 1, recall 1', () => {
    expect(quality({ truePairs: 0, linkedPairs: 0, tp: 0 })).toMatchObject({ precision: 1, recall: 1, f1: 1 });
  });

  it('birth-date levels of the plaintext reference: exact, day/month swapped, one part off, year only, other', () => {
    expect(dobLevel(20030415, 20030415)).toBe(0);
    expect(dobLevel(20030405, 20030504)).toBe(1);
    expect(dobLevel(20030415, 20040415)).toBe(2);
    expect(dobLevel(20030415, 20030416)).toBe(2);
    expect(dobLevel(20030415, 20031116)).toBe(3);
    expect(dobLevel(20030415, 20041116)).toBe(4);
  });

  it('--absent: PARTY:FEATURE pairs, each once and sorted; anything else refused, naming the part', () => {
    expect(parseAbsent('wages:zip, wages:middle_name,wages:zip')).toEqual(['wages:middle_name', 'wages:zip']);
    expect(parseAbsent('k12:sex')).toEqual(['k12:sex']);
    for (const bad of ['wages', 'payroll:zip', 'wages:ssn', 'wages:zip:x', 'wages:zip,']) {
      expect(() => parseAbsent(bad), bad).toThrow(/--absent: ".*" is not PARTY:FEATURE/);
    }
    expect(() => parseAbsent('wages:zip,wages:ssn')).toThrow('"wages:ssn"');
  });

  it('Jaro–Winkler known values', () => {
    expect(jaroWinkler('MARTHA', 'MARHTA')).toBeCloseTo(0.9611, 4);
    expect(jaroWinkler('DWAYNE', 'DUANE')).toBeCloseTo(0.84, 2);
    expect(jaroWinkler('DIXON', 'DICKSONX')).toBeCloseTo(0.8133, 4);
    expect(jaroWinkler('SAME', 'SAME')).toBe(1);
    expect(jaroWinkler('ABC', '')).toBe(0);
  });
});

describe('eval:quality on generated data', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p20-evalq-'));
    dirs.push(dir);
    await generateExtracts({ people: 1500, seed: 44, outDir: dir, realism: 'full' });
  });

  async function writeLinks(out: string, linkage: (party: string, id: string, entity: string) => string): Promise<void> {
    await mkdir(out, { recursive: true });
    const truth = (await csvRows(join(dir, 'truth.csv'))).data;
    for (const p of PARTIES) {
      const lines = ['record_id,linkage_id,score'];
      for (const [e, party, id] of truth) if (party === p) lines.push(`${id},${linkage(p, id!, e!)},`);
      await writeFile(join(out, `${p}.links.csv`), `${lines.join('\n')}\n`);
    }
  }

  it('a clustering equal to the truth scores 1, every record alone scores recall 0', async () => {
    const t = await readTruthCompact(dir);
    expect(t.n).toBeGreaterThan(3000);
    expect(t.troubleKinds).toContain('duplicate_record');
    const perfect = join(dir, 'perfect');
    await writeLinks(perfect, (_p, _id, e) => `L-${e}`);
    const e = evaluate(t, await readClusters(t, perfect));
    expect([e.precision, e.recall, e.f1]).toEqual([1, 1, 1]);
    expect(e.raceGap).toBe(0);
    expect(e.byPartyPair.find((x) => x.pair === 'within college')!.truePairs).toBeGreaterThan(0);
    const alone = join(dir, 'alone');
    await writeLinks(alone, (p, id) => `${p}-${id}`);
    const a = evaluate(t, await readClusters(t, alone));
    expect(a.recall).toBe(0);
    expect(a.linkedPairs).toBe(0);
    expect(a.truePairs).toBe(e.truePairs);
  });

  it('--absent: that party is encoded and read without the feature, the other parties with it', async () => {
    const absent = parseAbsent('wages:middle_name');
    const names = new Interner();
    const wages = await readPlain(dir, 'wages', names, absent);
    const wagesAll = await readPlain(dir, 'wages', names);
    const k12 = await readPlain(dir, 'k12', names, absent);
    expect(wages.middle.every((x) => x === -1)).toBe(true);
    expect(wagesAll.middle.filter((x) => x !== -1).length).toBeGreaterThan(100);
    expect(k12.middle.filter((x) => x !== -1).length).toBeGreaterThan(100);
    expect(Array.from(wages.zip)).toEqual(Array.from(wagesAll.zip));
    const out = join(dir, 'absent');
    await mkdir(out, { recursive: true });
    for (const p of PARTIES) await writeFile(join(out, `${p}.csv`), await readFile(join(dir, `${p}.csv`)));
    await stepEncode(out, 1, absent);
    expect((await readEncodedHeader(join(out, 'wages.enc'))).absentFeatures).toEqual(['middle_name']);
    expect((await readEncodedHeader(join(out, 'k12.enc'))).absentFeatures).toBeUndefined();
  });

  it('finds every record of the truth by party and id', async () => {
    const t = await readTruthCompact(dir);
    const truth = (await csvRows(join(dir, 'truth.csv'))).data;
    const seen = new Set<number>();
    for (const [e, p, id] of truth) {
      const r = recordOf(t, PARTIES.indexOf(p as (typeof PARTIES)[number]), id!);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(t.entity[r]).toBe(Number(e!.slice(1)) - 1);
      seen.add(r);
    }
    expect(seen.size).toBe(t.n);
    expect(recordOf(t, 0, '999')).toBe(-1);
  });
});
