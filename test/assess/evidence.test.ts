/**
 * Evidence filters go through the harness like the CLK: the template's slot
 * values are what the attacker tokenizes, and the cluster-frequency attack
 * (identical filters ↔ frequent plaintext keys) defeats a filter of a single
 * field while a filter mixing fields leaves it nothing to read.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { prepareEncode } from '../../src/encode/pipeline.js';
import { clusterFrequencyAttack, evidenceAttackInput, frequencyBaseline, scoreAttack, templateRecord, type AttackInput } from '../../src/assess/index.js';
import { encodeForAttack, people, randomLike } from './helpers.js';

const WEAK = 'test/assess/fixtures/weak-first-name.json';
const DEFAULT = 'protocols/schemas/p20w-person.json';

/** A deterministic 1024-bit "filter" of the given fields (identical values give identical filters, as a keyed encoding does). */
const filterOf = (fields: string[]) => new Uint8Array(createHash('sha512').update(fields.join('\u0001')).digest());

describe('cluster-frequency attack', () => {
  it('re-identifies first names from a filter of the first name alone (above the frequency baseline), and nothing from one of first + last + birth date', async () => {
    const victims = people(51, 10000);
    const { input, truth } = await encodeForAttack(WEAK, victims, people(52, 10000));
    const single: AttackInput = { ...input, l: 512, clks: truth.map((t) => filterOf([t.first_name ?? ''])) };
    const [s] = clusterFrequencyAttack.run(single).map((r) => scoreAttack(r, truth, input.targets));
    expect(s!.notes.key).toBe('first');
    // frequency ranks of near-equal names swap, so precision is modest, but far above guessing the most frequent name
    const base = frequencyBaseline(input.reference, truth, input.targets);
    expect(s!.first.share).toBeGreaterThan(0.05);
    expect(s!.first.precision!).toBeGreaterThan(2 * base.first);
    const mixed: AttackInput = { ...input, l: 512, clks: victims.map((v) => filterOf([v[1]!, v[3]!, v[4]!])) };
    const [m] = clusterFrequencyAttack.run(mixed).map((r) => scoreAttack(r, truth, input.targets));
    expect(m!.first.share).toBeLessThan(0.01);
    const [r] = clusterFrequencyAttack.run({ ...single, clks: randomLike(single.clks, 3) }).map((x) => scoreAttack(x, truth, input.targets));
    expect(r!.first.guessed).toBe(0);
  });
});

describe('evidence filters as attack inputs', () => {
  it('the attacker tokenizes the template: a slot of several features holds their values in a fixed order', async () => {
    const { ext } = await prepareEncode(DEFAULT);
    const cfg = ext.evidence!;
    const f = cfg.filters.find((x) => x.name === 'names')!;
    const t = cfg.templates.find((x) => x.name === f.template)!;
    const a = templateRecord(t, f, { first_name: 'ANA', last_name: 'GARCIA', sex: 'F', birth_date: '2010-03-04' });
    const b = templateRecord(t, f, { first_name: 'GARCIA', last_name: 'ANA', sex: 'F', birth_date: '2010-03-04' });
    expect(a['name:bigrams']).toBe(b['name:bigrams']);
    expect(a['sex:exact']).toBe('F');
  });

  it('every evidence filter of the default schema becomes an input on its own column', async () => {
    const { input } = await encodeForAttack(WEAK, people(53, 50), people(54, 50));
    const { ext } = await prepareEncode(DEFAULT);
    for (const f of ext.evidence!.filters) {
      const ev = evidenceAttackInput({ ...input, ext }, ext, { name: f.name, l: 1024, rows: input.clks })!;
      expect(ev.column).toBe(`ev:${f.name}`);
      expect(ev.schema.features.length).toBeGreaterThan(1);
      expect(ev.reference).toHaveLength(50);
      expect(ev.clusterKeys![0]!.name).toMatch(/^template\(/);
    }
    expect(evidenceAttackInput(input, ext, { name: 'no-such', l: 1024, rows: [] })).toBeUndefined();
  });
});
