/**
 * A second record of one person in a file is a duplicate the linker joins,
 * even when its CLK says less than its fields do. Written with the first and
 * last name swapped, the comparisons read the pair crosswise (`name_dob` at
 * its top level) and leave the CLK null (it is order-sensitive); written with
 * a second surname word and the initial left out, `name_dob` and `place` are
 * at the best the pair can reach and only the CLK, which reads the whole
 * name, falls below its top. The duplicate bar forgives the CLK's shortfall
 * in both (`clkRelief`), as it forgives a middle initial recorded on one
 * side. A pair whose CLK is null because a name is missing, or whose ZIP or
 * birth date differs, is not forgiven.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkFiles, type ModelFit } from '../../../src/link/link-files.js';
import { compareCandidates, comparisonPlan } from '../../../src/link/model/compare.js';
import { NULL_LEVEL, clkRelief, clkReliefOf, type FittedModel } from '../../../src/link/model/index.js';
import { PARTIES } from '../../../src/synth/agencies.js';
import { encodeAgencies } from '../../helpers/agency.js';
import { encodedParties, type Rec } from './encoded-party.js';

const root = join(import.meta.dirname, '../../..');
const secret = new TextEncoder().encode('p20link swapped duplicate test secret (synthetic data only)');
const dir = mkdtempSync(join(tmpdir(), 'p20-swapdup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The two wage files with copies: names swapped, or a second surname word with the initial left out. */
type Kind = 'swapped' | 'compound';
const enc = (kind: Kind, p: string) => join(dir, kind, `${p}.enc`);

/** Per kind: wage record id → its copy's id. */
const copies: Record<Kind, Map<string, string>> = { swapped: new Map(), compound: new Map() };

/**
 * The example wage file with a copy of 12 records whose person has a K-12
 * record, a birth date and an initial: with the first and last name swapped,
 * or with a second surname word (another record's surname, which only the
 * CLK reads) and the initial left out.
 */
async function encodeWithCopies(kind: Kind): Promise<void> {
  const truth = readFileSync(join(root, 'examples/data/truth.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const entityOf = new Map(truth.map(([e, p, r]) => [`${p}:${r}`, e!]));
  const inK12 = new Set(truth.filter(([, p]) => p === 'k12').map(([e]) => e!));
  const lines = readFileSync(join(root, 'examples/data/wages.csv'), 'utf8').trim().split('\n');
  const h = lines[0]!.split(',');
  const [iId, iLast, iFirst, iMi, iDob] = ['WRK_ID', 'LAST_NAME', 'FIRST_NAME', 'MI', 'DOB'].map((c) => h.indexOf(c)) as [number, number, number, number, number];
  const rows = lines.slice(1);
  const made = copies[kind];
  const added: string[] = [];
  rows.forEach((l, x) => {
    const f = l.split(',');
    const e = entityOf.get(`wages:${f[iId]}`);
    if (made.size === 12 || e === undefined || !inK12.has(e) || f[iMi] === '' || f[iDob] === '') return;
    const copy = [...f];
    if (kind === 'swapped') {
      if (f[iFirst] === f[iLast]) return;
      copy[iFirst] = f[iLast]!;
      copy[iLast] = f[iFirst]!;
    } else {
      const second = rows[(x + 7) % rows.length]!.split(',')[iLast]!;
      if (f[iLast]!.includes(' ') || second.includes(' ') || second === f[iLast]) return;
      copy[iLast] = `${f[iLast]} ${second}`;
      copy[iMi] = '';
    }
    copy[iId] = `WCOPY${made.size}`;
    made.set(f[iId]!, copy[iId]!);
    added.push(copy.join(','));
  });
  mkdirSync(join(dir, kind));
  writeFileSync(join(dir, kind, 'wages.csv'), `${lines.join('\n')}\n${added.join('\n')}\n`);
  await encodeAgencies((p) => (p === 'wages' ? join(dir, kind, 'wages.csv') : join(root, `examples/data/${p}.csv`)), (p) => enc(kind, p), secret, { onBadField: 'missing' });
}

beforeAll(async () => {
  await encodeWithCopies('swapped');
  await encodeWithCopies('compound');
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

/** How many of a kind's copies share the linkage ID of the record they copy. */
const joined = (kind: Kind, out: string): number => {
  const ids = linkage(out, 'wages');
  return [...copies[kind]].filter(([orig, copy]) => ids.get(copy) === ids.get(orig)).length;
};

describe('a duplicate within a file whose CLK says less than its fields', () => {
  it('a swapped copy joins its person: it shares the linkage ID of the record it copies', async () => {
    expect(copies.swapped.size).toBe(12);
    let fit: ModelFit | undefined;
    await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc('swapped', p) })), outDir: join(dir, 'swapped', 'out'), workers: 1, model: 'fs', onModelFit: (f) => (fit = f) });
    expect(joined('swapped', join(dir, 'swapped', 'out'))).toBe(12);
    // what the bar forgives such a pair: DUPLICATE_SHARE of the CLK's top weight, a large part of the bar
    const s = clkRelief(fit!.model, fit!.plan)!;
    expect(s.weight).toBeGreaterThan(5);
  });

  it('a copy with a second surname word and no initial joins its person', async () => {
    expect(copies.compound.size).toBe(12);
    await linkFiles({ inputs: PARTIES.map((p) => ({ file: enc('compound', p) })), outDir: join(dir, 'compound', 'out'), workers: 1, model: 'fs' });
    expect(joined('compound', join(dir, 'compound', 'out'))).toBe(12);
  });
});

describe('a duplicate in a file linked as an increment on a registry', () => {
  for (const kind of ['swapped', 'compound'] as const)
    it(`a ${kind} copy joins its person as a full run joins it: the registry lowers the bar alike`, async () => {
      const store = join(dir, kind, 'registry.db');
      await linkFiles({ inputs: [{ file: enc(kind, 'k12') }, { file: enc(kind, 'college') }], outDir: join(dir, kind, 'full'), store, workers: 1, model: 'fs' });
      const out = join(dir, kind, 'increment');
      await linkFiles({ inputs: [{ file: enc(kind, 'wages') }], outDir: out, store, workers: 1 });
      expect(joined(kind, out)).toBe(12);
    });
});

describe('clkRelief and clkReliefOf on compared records', () => {
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
  const s = clkRelief(model, plan)!;
  const have = (x: number) => A.presence![0]! & B.presence![x]!;

  it('a swapped copy: its CLK null and name_dob at its top, every field recorded: relieved by the CLK\'s top weight', () => {
    expect(v.levels[kClk]).toBe(NULL_LEVEL);
    expect(v.defs[kJoint]!.levels[v.levels[kJoint]!]).toBe('both>=top');
    expect(s.weight).toBeCloseTo(Math.log2(9), 12);
    expect(clkReliefOf(s, v.levels, 0, have(0))).toBeCloseTo(Math.log2(9), 12);
  });

  it('not a copy with the first name missing (its CLK is null and name_dob at its top too), a swap with another date, nor an unswapped copy', () => {
    expect(v.levels[K + kClk]).toBe(NULL_LEVEL);
    expect(v.defs[kJoint]!.levels[v.levels[K + kJoint]!]).toBe('both>=top');
    expect(clkReliefOf(s, v.levels, K, have(1))).toBe(0);
    expect(clkReliefOf(s, v.levels, 2 * K, have(2))).toBe(0);
    expect(v.levels[3 * K + kClk]).not.toBe(NULL_LEVEL);
    const unswapped = v.levels.slice(3 * K, 4 * K);
    unswapped[kClk] = 0; // these parties' CLK is empty: an unswapped copy's CLK is at its top
    expect(clkReliefOf(s, unswapped, 0, have(3))).toBe(0);
    // without presence bytes every field counts as recorded
    expect(clkReliefOf(s, v.levels, 0, 0xff)).toBeCloseTo(Math.log2(9), 12);
  });

  // the unswapped copy's levels (name_dob at its top, place at zip5+mi) with the CLK and place set as a pair could show them
  // (these parties' CLK is empty, so its levels are set here, not compared)
  const kPlace = v.defs.findIndex((d) => d.name === 'place');
  const at = (clk: number, place: string, joint = 'both>=top'): Uint8Array => {
    const l = v.levels.slice(3 * K, 4 * K);
    l[kClk] = clk;
    l[kPlace] = v.defs[kPlace]!.levels.indexOf(place);
    l[kJoint] = v.defs[kJoint]!.levels.indexOf(joint);
    return l;
  };

  it("a CLK below its top while name_dob is at its top and place at the best its pair can reach: relieved by the CLK's shortfall", () => {
    // known answer: every level below the CLK's top weighs log2(1/9), so the shortfall is 2·log2(9)
    expect(s.shortfall[0]).toBe(0);
    for (const place of ['zip5+mi', 'zip5,mi ?']) for (const clk of [1, 3, v.defs[kClk]!.levels.length - 1]) expect(clkReliefOf(s, at(clk, place), 0, have(3))).toBeCloseTo(2 * Math.log2(9), 12);
    expect(clkReliefOf(s, at(0, 'zip5+mi'), 0, have(3))).toBe(0);
  });

  it('not when place is below its reach (another ZIP, another initial) or name_dob below its top', () => {
    for (const place of ['zip5,mi differs', 'zip3+mi', 'zip3,mi ?', 'mi only', 'neither,mi ?', 'neither']) expect(clkReliefOf(s, at(2, place), 0, have(3))).toBe(0);
    for (const joint of ['both<=2nd', 'first+dob unique,last low', 'both,day/month swapped']) expect(clkReliefOf(s, at(2, 'zip5+mi', joint), 0, have(3))).toBe(0);
    const noPlace = at(2, 'zip5+mi');
    noPlace[kPlace] = NULL_LEVEL;
    expect(clkReliefOf(s, noPlace, 0, have(3))).toBe(0);
  });
});
