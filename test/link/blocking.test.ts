import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { P20Error } from '../../src/errors.js';
import {
  DEFAULT_LSH_BANDS,
  DEFAULT_LSH_ROWS,
  formatBlockingSpec,
  parseBlockingSpec,
  validateBlockingConfig,
} from '../../src/link/blocking/config.js';
import { countKeptPairs } from '../../src/link/blocking/index.js';
import { bandCount, fillBandKeys, lshPermutations } from '../../src/link/blocking/keys.js';
import { scorePairs } from '../../src/link/score.js';
import { party, relatedParties, rng } from './score-fixtures.js';
import { p20Thrown } from '../helpers/errors.js';

function code(f: () => unknown): string {
  const e = p20Thrown(f);
  return e.code + ': ' + e.message;
}

describe('parseBlockingSpec', () => {
  it('parses every form', () => {
    expect(parseBlockingSpec('none')).toEqual({ kind: 'none' });
    expect(parseBlockingSpec('lsh')).toEqual({ kind: 'lsh', bands: DEFAULT_LSH_BANDS, rows: DEFAULT_LSH_ROWS });
    expect(parseBlockingSpec('lsh:bands=24,rows=10')).toEqual({ kind: 'lsh', bands: 24, rows: 10 });
    expect(parseBlockingSpec('lsh:rows=8,seed=5')).toEqual({ kind: 'lsh', bands: DEFAULT_LSH_BANDS, rows: 8, seed: 5 });
    expect(parseBlockingSpec('keys:yob')).toEqual({ kind: 'keys', names: ['yob'] });
    expect(parseBlockingSpec('keys:yob,sx+lsh')).toEqual({
      kind: 'union',
      parts: [{ kind: 'keys', names: ['yob', 'sx'] }, { kind: 'lsh', bands: DEFAULT_LSH_BANDS, rows: DEFAULT_LSH_ROWS }],
    });
    expect(parseBlockingSpec(' keys:a + keys:b ')).toEqual({ kind: 'union', parts: [{ kind: 'keys', names: ['a'] }, { kind: 'keys', names: ['b'] }] });
  });

  it('formats back to an equivalent spec', () => {
    for (const s of ['none', 'lsh:bands=3,rows=7', 'lsh:bands=3,rows=7,seed=9', 'keys:a,b', 'keys:yob+lsh:bands=40,rows=16']) {
      expect(formatBlockingSpec(parseBlockingSpec(s))).toBe(s);
      expect(parseBlockingSpec(formatBlockingSpec(parseBlockingSpec(s)))).toEqual(parseBlockingSpec(s));
    }
  });

  it('refuses bad specs with a reason', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /empty/],
      ['   ', /empty/],
      ['minhash', /unknown blocking "minhash"/],
      ['lsh:bands=0', /bands=0 is out of range/],
      ['lsh:rows=33', /rows=33 is out of range/],
      ['lsh:bands=x', /not a whole number/],
      ['lsh:bands=-1', /not a whole number/],
      ['lsh:width=3', /unknown LSH option "width"/],
      ['lsh:bands', /not key=value/],
      ['lsh:bands=2,bands=3', /given twice/],
      ['keys', /needs block names/],
      ['keys:', /needs block names/],
      ['keys:a,,b', /needs block names/],
      ['keys:a,a', /twice/],
      ['lsh+', /empty part/],
      ['+none', /empty part/],
    ];
    for (const [s, re] of bad) {
      const m = code(() => parseBlockingSpec(s));
      expect(m).toMatch(/^LINK_BLOCKING_SPEC: /);
      expect(m).toMatch(re);
    }
  });

  it('validateBlockingConfig refuses configs built in code out of range', () => {
    expect(code(() => validateBlockingConfig({ kind: 'lsh', bands: 2, rows: 0 }))).toMatch(/rows must be/);
    expect(code(() => validateBlockingConfig({ kind: 'keys', names: [] }))).toMatch(/keys needs block names/);
    expect(code(() => validateBlockingConfig({ kind: 'union', parts: [] }))).toMatch(/empty union/);
  });

  it('never throws anything but P20Error on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseBlockingSpec(s);
        } catch (e) {
          expect(e).toBeInstanceOf(P20Error);
        }
      }),
    );
  });
});

describe('band keys', () => {
  it('LSH permutations are seeded permutations of [0, l)', () => {
    const p = lshPermutations(5, 3, 100, 3);
    expect(Array.from(p)).toEqual(Array.from(lshPermutations(5, 3, 100, 3)));
    expect(Array.from(p)).not.toEqual(Array.from(lshPermutations(5, 3, 100, 4)));
    // head-major: permutation h is its LSH_HEAD positions at h*16, then its other 84 at 15*16 + h*84
    for (let h = 0; h < 15; h++) {
      const whole = [...p.subarray(h * 16, (h + 1) * 16), ...p.subarray(15 * 16 + h * 84, 15 * 16 + (h + 1) * 84)];
      expect(whole.sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    }
    // shorter than a head: stored whole, one after the other
    const short = lshPermutations(2, 2, 10, 3);
    for (let h = 0; h < 4; h++) expect(Array.from(short.subarray(h * 10, (h + 1) * 10)).sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('one-row MinHash bands agree with probability close to the Jaccard index', () => {
    // A = bits 0..59, B = bits 20..79: J = 40/80 = 0.5
    const a = new Uint8Array(16);
    const b = new Uint8Array(16);
    for (let i = 0; i < 60; i++) a[i >> 3]! |= 1 << (i & 7);
    for (let i = 20; i < 80; i++) b[i >> 3]! |= 1 << (i & 7);
    const pa = party('a', 128, [a, a]);
    const pb = party('b', 128, [b, new Uint8Array(16)]);
    const bands = 400;
    const ka = new Uint32Array(2 * bands);
    const kb = new Uint32Array(2 * bands);
    fillBandKeys({ kind: 'lsh', bands, rows: 1 }, pa, pb, ka, kb);
    let agree = 0;
    for (let k = 0; k < bands; k++) if (ka[k] === kb[k]) agree++;
    expect(agree / bands).toBeGreaterThan(0.4);
    expect(agree / bands).toBeLessThan(0.6);
    // identical CLKs agree in every band; an empty CLK in none
    for (let k = 0; k < bands; k++) expect(ka[k]).toBe(ka[bands + k]);
    for (let k = 0; k < bands; k++) expect(kb[bands + k]).not.toBe(ka[k]);
  });

  it('bandCount adds up the parts', () => {
    expect(bandCount(parseBlockingSpec('none'))).toBe(0);
    expect(bandCount(parseBlockingSpec('keys:a+lsh:bands=7,rows=3+keys:b,c'))).toBe(9);
  });

  it('countKeptPairs: all kept without blocking; LSH keeps near-identical pairs; keys on missing values keep nothing', () => {
    const { a, b, truth } = relatedParties(200, 200, 1000, 5, 0.01);
    expect(countKeptPairs(a, b, { kind: 'none' }, truth)).toEqual({ total: 100, kept: 100 });
    expect(countKeptPairs(a, b, parseBlockingSpec('lsh'), truth)).toEqual({ total: 100, kept: 100 });
    const withBlocks = (p: typeof a, v: (i: number) => string) => ({ ...p, blocks: { yob: Array.from({ length: p.count }, (_, i) => v(i)) } });
    const a2 = withBlocks(a, () => '1990');
    const b2 = withBlocks(b, () => '');
    expect(countKeptPairs(a2, b2, parseBlockingSpec('keys:yob'), truth)).toEqual({ total: 100, kept: 0 });
    expect(countKeptPairs(a2, withBlocks(b, () => '1990'), parseBlockingSpec('keys:yob'), truth)).toEqual({ total: 100, kept: 100 });
    expect(code(() => countKeptPairs(a, b, parseBlockingSpec('keys:yob'), truth))).toMatch(/LINK_BLOCK_MISSING.*"yob"/);
    expect(code(() => countKeptPairs(a, b, { kind: 'none' }, [[0, 999]]))).toMatch(/LINK_TRUTH_INDEX/);
  });

  it('countKeptPairs agrees with the candidates scorePairs proposes', async () => {
    const { a, b, truth } = relatedParties(300, 300, 512, 8, 0.12);
    const r = rng(1);
    const year = (p: typeof a) => Array.from({ length: p.count }, () => (r() < 0.2 ? '' : String(Math.floor(r() * 3))));
    const a2 = { ...a, blocks: { y: year(a) } };
    const b2 = { ...b, blocks: { y: year(b) } };
    for (const spec of ['lsh:bands=3,rows=4', 'keys:y', 'keys:y+lsh:bands=2,rows=5']) {
      const cfg = parseBlockingSpec(spec);
      const got = await scorePairs(a2, b2, { threshold: 1e-9, blocking: cfg, workers: 1 });
      const proposed = new Set(Array.from(got.a, (x, k) => `${x}:${got.b[k]}`));
      const want = truth.filter(([i, j]) => proposed.has(`${i}:${j}`)).length;
      const kept = countKeptPairs(a2, b2, cfg, truth);
      expect(kept).toEqual({ total: truth.length, kept: want });
      expect(want).toBeGreaterThan(0);
      expect(want).toBeLessThan(truth.length);
    }
  });

  it('a party without the named block column is refused, naming its file', () => {
    const p = party('k12', 16, [Uint8Array.of(1, 2)]);
    expect(code(() => countKeptPairs(p, null, parseBlockingSpec('keys:yob'), []))).toMatch(/k12\.enc.*block column "yob"/);
  });
});

describe('validateBlockingConfig at the library boundary', () => {
  it('refuses what is not a blocking configuration (a bare string, an unknown kind, a union without parts) instead of proposing no pairs', async () => {
    const { validateBlockingConfig } = await import('../../src/link/blocking/config.js');
    for (const bad of ['none', { kind: 'everything' }, { kind: 'union' }, { kind: 'union', parts: [{ kind: 'nope' }] }, null]) {
      expect(() => validateBlockingConfig(bad as never)).toThrow(/blocking configuration|union needs/);
    }
    expect(() => validateBlockingConfig({ kind: 'none' })).not.toThrow();
  });
});
