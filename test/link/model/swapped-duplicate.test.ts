/**
 * A second record of one person in a file, written with the first and last
 * name swapped, is a duplicate the linker joins. The comparisons read such
 * a pair crosswise (`name_dob` at its top level) and leave the CLK null
 * (it is order-sensitive), so the pair lacks the CLK's top weight that the
 * duplicate bar counts; the bar forgives that share, as it forgives a
 * middle initial recorded on one side (`swapRelief`). A pair whose CLK is
 * null because a name is missing is not forgiven.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkFiles, type ModelFit } from '../../../src/link/link-files.js';
import { compareCandidates, comparisonPlan } from '../../../src/link/model/compare.js';
import { NULL_LEVEL, swapRelief, swapReliefOf, type FittedModel } from '../../../src/link/model/index.js';
import { PARTIES } from '../../../src/synth/agencies.js';
import { encodeAgencies } from '../../helpers/agency.js';
import { encodedParties, type Rec } from './encoded-party.js';

const root = join(import.meta.dirname, '../../..');
const secret = new TextEncoder().encode('p20link swapped duplicate test secret (synthetic data only)');
const dir = mkdtempSync(join(tmpdir(), 'p20-swapdup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const enc = (p: string) => join(dir, `${p}.enc`);

/** Wage record id → its swapped copy's id. */
const copies = new Map<string, string>();

beforeAll(async () => {
  // the wage file with a swapped copy of 12 records whose person has a K-12 record, a birth date and an initial
  const truth = readFileSync(join(root, 'examples/data/truth.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const entityOf = new Map(truth.map(([e, p, r]) => [`${p}:${r}`, e!]));
  const inK12 = new Set(truth.filter(([, p]) => p === 'k12').map(([e]) => e!));
  const lines = readFileSync(join(root, 'examples/data/wages.csv'), 'utf8').trim().split('\n');
  const h = lines[0]!.split(',');
  const [iId, iLast, iFirst, iMi, iDob] = ['WRK_ID', 'LAST_NAME', 'FIRST_NAME', 'MI', 'DOB'].map((c) => h.indexOf(c)) as [number, number, number, number, number];
  const added: string[] = [];
  for (const l of lines.slice(1)) {
    const f = l.split(',');
    const e = entityOf.get(`wages:${f[iId]}`);
    if (copies.size === 12 || e === undefined || !inK12.has(e) || f[iMi] === '' || f[iDob] === '' || f[iFirst] === f[iLast]) continue;
    const copy = [...f];
    copy[iId] = `WSWAP${copies.size}`;
    copy[iFirst] = f[iLast]!;
    copy[iLast] = f[iFirst]!;
    copies.set(f[iId]!, copy[iId]!);
    added.push(copy.join(','));
  }
  writeFileSync(join(dir, 'wages.csv'), `${lines.join('\n')}\n${added.join('\n')}\n`);
  await encodeAgencies((p) => (p === 'wages' ? join(dir, 'wages.csv') : join(root, `examples/data/${p}.csv`)), enc, secret, { onBadField: 'missing' });
}, 120_000);

/** record id → linkage id, for one party's links file. */
const linkage = (out: string, p: string): Map<string, string> =>
  new Map(
    readFileSync(join(out, `${p}.links.csv`), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',') as [string, string]),
  );

describe('a swapped duplicate within a file', () => {
  it('joins its person: the copy shares the linkage ID of the record it copies', async () => {
    expect(copies.size).toBe(12);
    const out = join(dir, 'out');
    let fit: ModelFit | undefined;
    await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc(p) })), outDir: out, workers: 1, model: 'fs', onModelFit: (f) => (fit = f) });
    const ids = linkage(out, 'wages');
    const joined = [...copies].filter(([orig, copy]) => ids.get(copy) === ids.get(orig));
    expect(joined.length).toBe(12);
    // what the bar forgives such a pair: DUPLICATE_SHARE of the CLK's top weight, a large part of the bar
    const s = swapRelief(fit!.model, fit!.plan)!;
    expect(s.weight).toBeGreaterThan(5);
  });
});

describe('a swapped duplicate in a file linked as an increment on a registry', () => {
  it('joins its person as a full run joins it: the registry lowers the bar alike', async () => {
    const store = join(dir, 'registry.db');
    await linkFiles({ inputs: [{ file: enc('k12') }, { file: enc('college') }], outDir: join(dir, 'full'), store, workers: 1, model: 'fs' });
    const out = join(dir, 'increment');
    await linkFiles({ inputs: [{ file: enc('wages') }], outDir: out, store, workers: 1 });
    const ids = linkage(out, 'wages');
    expect([...copies].filter(([orig, copy]) => ids.get(copy) === ids.get(orig)).length).toBe(12);
  });
});

describe('swapRelief and swapReliefOf on compared records', () => {
  const party = encodedParties('swap relief test secret');
  const rec: Required<Rec> = { first_name: 'ANANYA', last_name: 'PHAM', middle_name: 'J', birth_date: '1997-10-25', sex: 'F', zip: '97503' };
  const { first_name: _first, ...noFirst } = rec;
  const A = party('a', [rec, rec, rec, rec]);
  // the same person swapped; the same with the first name missing (not swapped); swapped with another birth date; unswapped
  const B = party('b', [
    { ...rec, first_name: rec.last_name, last_name: rec.first_name },
    noFirst,
    { ...rec, first_name: rec.last_name, last_name: rec.first_name, birth_date: '1971-02-03' },
    rec,
  ]);
  const plan = comparisonPlan(A);
  const v = compareCandidates(plan, A, B, [0, 1, 2, 3], [0, 1, 2, 3]);
  const K = v.defs.length;
  const kClk = v.defs.findIndex((d) => d.name === 'clk');
  const kJoint = v.defs.findIndex((d) => d.name === 'name_dob');
  // known answer: a model whose CLK weighs log2(0.9 / 0.1) at its top level
  const model: FittedModel = {
    defs: v.defs,
    lambda: 0.1,
    m: v.defs.map((d) => d.levels.map((_, l) => (l === 0 ? 0.9 : 0.1 / (d.levels.length - 1)))),
    u: v.defs.map((d) => d.levels.map((_, l) => (l === 0 ? 0.1 : 0.9 / (d.levels.length - 1)))),
    iterations: 1,
    converged: true,
  };
  const s = swapRelief(model, plan)!;
  const have = (x: number) => A.presence![0]! & B.presence![x]!;

  it('a swapped copy: its CLK null and name_dob at its top, every field recorded: relieved by the CLK\'s top weight', () => {
    expect(v.levels[kClk]).toBe(NULL_LEVEL);
    expect(v.defs[kJoint]!.levels[v.levels[kJoint]!]).toBe('both>=top');
    expect(s.weight).toBeCloseTo(Math.log2(9), 12);
    expect(swapReliefOf(s, v.levels, 0, have(0))).toBeCloseTo(Math.log2(9), 12);
  });

  it('not a copy with the first name missing (its CLK is null and name_dob at its top too), a swap with another date, nor an unswapped copy', () => {
    expect(v.levels[K + kClk]).toBe(NULL_LEVEL);
    expect(v.defs[kJoint]!.levels[v.levels[K + kJoint]!]).toBe('both>=top');
    expect(swapReliefOf(s, v.levels, K, have(1))).toBe(0);
    expect(swapReliefOf(s, v.levels, 2 * K, have(2))).toBe(0);
    expect(v.levels[3 * K + kClk]).not.toBe(NULL_LEVEL);
    expect(swapReliefOf(s, v.levels, 3 * K, have(3))).toBe(0);
    // without presence bytes every field counts as recorded
    expect(swapReliefOf(s, v.levels, 0, 0xff)).toBeCloseTo(Math.log2(9), 12);
  });
});
