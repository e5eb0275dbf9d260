import type { EncodedHeader } from '../../src/format/encoded-file.js';
import { makePartyData } from '../../src/link/pack.js';
import type { PartyData } from '../../src/link/types.js';
import { mulberry32 } from '../../src/synth/prng.js';

/** Test fixtures for the similarity engine: parties of random / related CLKs. */
export function fakeHeader(l: number, party = 'p'): EncodedHeader {
  return {
    format: 'p20link/encoded',
    version: 1,
    tool: 'test',
    createdAt: '2026-01-01T00:00:00Z',
    party,
    schemaFingerprint: 'sha256:00',
    keyCheckValue: 'kcv',
    l,
    columns: ['id', 'clk'],
    rowCount: 0,
  } as EncodedHeader;
}

/** Deterministic PRNG (mulberry32; the shared one in src/synth/prng.ts). */
export const rng = mulberry32;

export function randomClk(l: number, fill: number, r: () => number): Uint8Array {
  const c = new Uint8Array(Math.ceil(l / 8));
  for (let i = 0; i < l; i++) if (r() < fill) c[i >> 3]! |= 0x80 >> (i & 7); // big-endian bit order, as the encoded-file format
  return c;
}

/** Copy of c with each bit flipped with probability p (bits < l only). */
export function corrupt(c: Uint8Array, l: number, p: number, r: () => number): Uint8Array {
  const d = Uint8Array.from(c);
  for (let i = 0; i < l; i++) if (r() < p) d[i >> 3]! ^= 0x80 >> (i & 7);
  return d;
}

export function party(name: string, l: number, clks: Uint8Array[], blocks: Record<string, string[]> = {}): PartyData {
  return makePartyData({ name, file: `${name}.enc`, header: fakeHeader(l, name), ids: clks.map((_, i) => `${name}${i}`), clks, blocks });
}

/** Two parties: nb/2 of B are noisy copies of A records, the rest random. Returns true pairs. */
export function relatedParties(nA: number, nB: number, l: number, seed: number, flip = 0.03): { a: PartyData; b: PartyData; truth: Array<[number, number]> } {
  const r = rng(seed);
  const ca = Array.from({ length: nA }, () => randomClk(l, 0.3 + 0.2 * r(), r));
  const cb: Uint8Array[] = [];
  const truth: Array<[number, number]> = [];
  for (let j = 0; j < nB; j++) {
    if (j % 2 === 0 && nA > 0) {
      const i = Math.floor(r() * nA);
      cb.push(corrupt(ca[i]!, l, flip, r));
      truth.push([i, j]);
    } else cb.push(randomClk(l, 0.3 + 0.2 * r(), r));
  }
  return { a: party('a', l, ca), b: party('b', l, cb), truth };
}
