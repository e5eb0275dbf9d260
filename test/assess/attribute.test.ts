/**
 * Attribute inference from labelled records (src/assess/attribute.ts): a
 * two-valued field hashed as a token of its own is read back from the
 * hardened default CLK by an attacker who knows it for a tenth of the
 * records of one value; random bits of the same density give it nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { labelledBitsAttack } from '../../src/assess/attribute.js';
import { encodeForAttack, people, randomLike, type Encoded } from './helpers.js';

const DEFAULT = 'protocols/schemas/p20w-person.json';
let enc: Encoded;
let women: number[];
let sexF: boolean[];

beforeAll(async () => {
  enc = await encodeForAttack(DEFAULT, people(51, 3000), people(52, 100));
  sexF = enc.truth.map((r) => r.sex === 'F');
  // the attacker knows 150 women (from its married-name links)
  women = sexF.flatMap((f, i) => (f ? [i] : [])).slice(0, 150);
}, 120_000);

/** Share of the records outside `labelled` whose sex the attack reads right. */
function readRight(read: Uint8Array, labelled: readonly number[]): number {
  const known = new Set(labelled);
  let ok = 0;
  let all = 0;
  sexF.forEach((f, i) => {
    if (known.has(i)) return;
    all++;
    if ((read[i] === 1) === f) ok++;
  });
  return ok / all;
}

describe('a field read from labelled records', () => {
  it('reads the sex of most records from the hardened default CLK, given 150 known women', () => {
    expect(women.length).toBe(150);
    const share = sexF.filter(Boolean).length / sexF.length;
    expect(readRight(labelledBitsAttack(enc.input.clks, women, share), women)).toBeGreaterThan(0.85);
  });

  it('reads nothing from random bits of the same density', () => {
    const share = sexF.filter(Boolean).length / sexF.length;
    const r = readRight(labelledBitsAttack(randomLike(enc.input.clks, 9), women, share), women);
    expect(r).toBeGreaterThan(0.4);
    expect(r).toBeLessThan(0.6);
  });
});
