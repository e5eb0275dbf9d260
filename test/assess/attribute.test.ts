/**
 * Attribute inference from labelled records (src/assess/attribute.ts): a
 * two-valued field hashed as a token of its own sets the same keyed
 * positions in half the records, and an attacker who knows it for a few
 * records of one value reads it back for the rest. Both the
 * clkhash-compatible CLK and the ELD-hardened default give the sex away so
 * (docs/attacks.md, "A field read from labelled records"); random bits of
 * the same density give the attack nothing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { labelledBitsAttack } from '../../src/assess/attribute.js';
import { encodeForAttack, people, randomLike, type Encoded } from './helpers.js';

const DEFAULT = 'protocols/schemas/p20w-person.json';
const COMPAT = 'protocols/compat/p20w-person-clkhash.json';
let plain: Encoded;
let hardened: Encoded;
let women: number[];
let sexF: boolean[];
let share: number;

beforeAll(async () => {
  const victims = people(51, 3000);
  plain = await encodeForAttack(COMPAT, victims, people(52, 100));
  hardened = await encodeForAttack(DEFAULT, victims, people(52, 100));
  sexF = hardened.truth.map((r) => r.sex === 'F');
  share = sexF.filter(Boolean).length / sexF.length;
  // the attacker knows 150 women (from its married-name links)
  women = sexF.flatMap((f, i) => (f ? [i] : [])).slice(0, 150);
}, 120_000);

/** Share of the records outside `women` whose sex the attack reads right. */
function readRight(clks: readonly Uint8Array[]): number {
  const read = labelledBitsAttack(clks, women, share);
  const known = new Set(women);
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
  it('reads the sex of nearly every record from the clkhash-compatible CLK, given 150 known women', () => {
    expect(women.length).toBe(150);
    expect(readRight(plain.input.clks)).toBeGreaterThan(0.95);
  });

  it('reads it from the ELD-hardened default CLK too: diffusion scatters the token, it does not hide it', () => {
    expect(readRight(hardened.input.clks)).toBeGreaterThan(0.9);
  });

  it('reads nothing from random bits of the same density', () => {
    const r = readRight(randomLike(hardened.input.clks, 9));
    expect(r).toBeGreaterThan(0.4);
    expect(r).toBeLessThan(0.6);
  });
});
