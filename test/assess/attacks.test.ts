/**
 * Every attack of the harness must be able to fail a schema: each one
 * re-identifies names from deliberately weak encodings (one name per
 * filter, no hardening: test/assess/fixtures/weak-first-name.json), and
 * none does on random bits of the same density.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { blockingFrequencyAttack, encodingFrequencyAttack, graphMatchingAttack, patternMiningAttack, scoreAttack, type AttackInput, type PlainRecord } from '../../src/assess/index.js';
import { encodeForAttack, people, randomLike } from './helpers.js';

const WEAK = 'test/assess/fixtures/weak-first-name.json';
const score = (inp: AttackInput, truth: PlainRecord[], a: typeof patternMiningAttack) => a.run(inp).map((r) => scoreAttack(r, truth, inp.targets));

let disjoint: { input: AttackInput; truth: PlainRecord[] };
let leaked: { input: AttackInput; truth: PlainRecord[] };
let unique: { input: AttackInput; truth: PlainRecord[] };

beforeAll(async () => {
  const victims = people(31, 3000);
  disjoint = await encodeForAttack(WEAK, victims, people(32, 3000));
  leaked = await encodeForAttack(WEAK, victims, victims);
  const seen = new Set<string>();
  const u: string[][] = [];
  for (const r of people(41, 30000)) {
    const k = r[1]!.toUpperCase();
    if (!seen.has(k)) {
      seen.add(k);
      u.push(r);
    }
  }
  unique = await encodeForAttack(WEAK, u, u);
}, 120_000);

describe('pattern mining (bit positions ↔ bigrams)', () => {
  it('re-identifies most first names from one-name-per-filter encodings with a disjoint reference', () => {
    const [s] = score(disjoint.input, disjoint.truth, patternMiningAttack);
    expect(s!.first.share).toBeGreaterThan(0.3);
    expect(s!.first.precision!).toBeGreaterThan(0.8);
  });
  it('learns nothing from random bits', () => {
    const [s] = score({ ...disjoint.input, clks: randomLike(disjoint.input.clks, 5) }, disjoint.truth, patternMiningAttack);
    expect(s!.first.share).toBeLessThan(0.01);
  });
});

describe('frequency attacks', () => {
  it('whole encodings: identical names give identical encodings, read by frequency rank from a leaked copy', () => {
    const [s] = score(leaked.input, leaked.truth, encodingFrequencyAttack);
    expect(s!.first.share).toBeGreaterThan(0.5);
    expect(s!.first.precision!).toBeGreaterThan(0.9);
  });
  it('whole encodings: nothing to read in random bits', () => {
    const [s] = score({ ...leaked.input, clks: randomLike(leaked.input.clks, 9) }, leaked.truth, encodingFrequencyAttack);
    expect(s!.first.guessed).toBe(0);
  });
  it('keyed Soundex blocking values: frequency ranks name the most common first name of each code', () => {
    const [s] = score(leaked.input, leaked.truth, blockingFrequencyAttack);
    expect(s!.detail).toBe('block:first_soundex');
    expect(s!.first.share).toBeGreaterThan(0.3);
  });
  it('keyed blocking values shuffled at random tell nothing', () => {
    const col = leaked.input.blocks.first_soundex!;
    const fake = col.map((_, i) => `v${(i * 7919) % col.length}`);
    const [s] = score({ ...leaked.input, blocks: { first_soundex: fake } }, leaked.truth, blockingFrequencyAttack);
    expect(s!.first.guessed).toBe(0);
  });
});

describe('graph matching (similarity graph alignment)', () => {
  it('re-identifies names whose place in the similarity graph is distinctive (leaked copy, distinct names)', () => {
    const [s] = score(unique.input, unique.truth, graphMatchingAttack);
    expect(s!.first.share).toBeGreaterThan(0.05);
    expect(s!.first.precision!).toBeGreaterThan(0.3);
  });
  it('learns nothing from random bits', () => {
    const [s] = score({ ...unique.input, clks: randomLike(unique.input.clks, 5) }, unique.truth, graphMatchingAttack);
    expect(s!.first.share).toBeLessThan(0.01);
  });
});

describe('the attacker never sees the victims', () => {
  it('an attack gives the same guesses whatever the truth used for scoring', () => {
    const a = encodingFrequencyAttack.run(leaked.input)[0]!;
    const b = encodingFrequencyAttack.run({ ...leaked.input })[0]!;
    expect(JSON.stringify(a.guesses)).toBe(JSON.stringify(b.guesses));
    expect(Object.keys(leaked.input)).not.toContain('truth');
  });
});
