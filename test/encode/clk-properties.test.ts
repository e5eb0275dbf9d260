/**
 * Properties of the CLK encoder (fast-check): determinism, key separation,
 * every set bit explained by a token of some feature, XOR folding, caches
 * that never change a result; and refusals of values that cannot be hashed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLinkageSchema } from '../../src/schema/linkage-schema.js';
import { clkToBase64, createClkEncoder } from '../../src/encode/clk.js';
import { P20Error } from '../../src/errors.js';

const vectors = path.resolve(process.cwd(), '../shared/vectors/clkhash');
const peopleRaw = JSON.parse(readFileSync(path.join(vectors, 'people_l1024.json'), 'utf8')).schema as Record<string, any>;
const people = parseLinkageSchema(peopleRaw, 'people_l1024.json');
const enc = (s: string) => new TextEncoder().encode(s);

/** A small person schema (doubleHash, blakeHash, date, enum) with a given l and xor_folds. */
function personSchema(l: number, xorFolds: number) {
  const raw = structuredClone(peopleRaw);
  raw.clkConfig.l = l;
  if (xorFolds > 0) raw.clkConfig.xor_folds = xorFolds;
  return parseLinkageSchema(raw, `people l=${l} folds=${xorFolds}`);
}

const name = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzéñ -'.split('')), minLength: 0, maxLength: 12 });
const date = fc
  .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2030-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const row = fc.tuple(
  fc.nat(99999).map(String),
  name,
  name,
  fc.oneof(date, fc.constant('')),
  fc.constantFrom('M', 'F', 'O', ''),
  fc.oneof(fc.integer({ min: 0, max: 9999 }).map(String), fc.constant('')),
  name,
);
const secret = fc.string({ minLength: 1, maxLength: 40 });

function popcount(b: Uint8Array): number {
  let n = 0;
  for (const x of b) for (let v = x; v; v &= v - 1) n++;
  return n;
}
function dice(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  for (let i = 0; i < a.length; i++) for (let v = a[i]! & b[i]!; v; v &= v - 1) both++;
  const total = popcount(a) + popcount(b);
  return total === 0 ? 0 : (2 * both) / total;
}

describe('CLK encoder properties', () => {
  it('same key and row give the same CLK (fresh encoders, cache or no cache)', () => {
    fc.assert(
      fc.property(secret, row, (s, r) => {
        const a = createClkEncoder(people, enc(s));
        const b = createClkEncoder(people, enc(s), { cacheSize: 0 });
        const first = a.encode(r);
        expect(a.check(r)).toBeNull();
        expect(clkToBase64(a.encode(r))).toBe(clkToBase64(first));
        expect(clkToBase64(b.encode(r))).toBe(clkToBase64(first));
      }),
      { numRuns: 200 },
    );
  });

  it('a tiny cache (constant eviction) gives the same CLKs as a large one', () => {
    fc.assert(
      fc.property(secret, fc.array(row, { minLength: 1, maxLength: 30 }), (s, rows) => {
        const small = createClkEncoder(people, enc(s), { cacheSize: 2 });
        const big = createClkEncoder(people, enc(s));
        for (const r of [...rows, ...rows]) expect(clkToBase64(small.encode(r))).toBe(clkToBase64(big.encode(r)));
      }),
      { numRuns: 50 },
    );
  });

  it('another key gives an unrelated CLK (low Dice), the same key a Dice of 1', () => {
    fc.assert(
      fc.property(secret, secret, row, (s1, s2, r) => {
        fc.pre(s1 !== s2);
        fc.pre(r[1].length + r[2].length >= 4);
        const a = createClkEncoder(people, enc(s1)).encode(r);
        const b = createClkEncoder(people, enc(s2)).encode(r);
        expect(dice(a, a)).toBe(1);
        expect(dice(a, b)).toBeLessThan(0.6);
      }),
      { numRuns: 150 },
    );
  });

  it('every set bit is explained by a token of some feature (bitsOf)', () => {
    for (const folds of [0, 1, 2]) {
      const schema = personSchema(1024 >> folds, folds);
      fc.assert(
        fc.property(secret, row, (s, r) => {
          const e = createClkEncoder(schema, enc(s));
          const clk = e.encode(r);
          const union = new Set<number>();
          r.forEach((v, i) => e.bitsOf(i, v).forEach((p) => union.add(p)));
          for (let i = 0; i < e.l; i++) if (clk[i >> 3]! & (0x80 >> (i & 7))) expect(union.has(i)).toBe(true);
          if (folds === 0) {
            // Without folding nothing cancels: the CLK is exactly the union.
            expect(popcount(clk)).toBe(union.size);
          }
        }),
        { numRuns: 60 },
      );
    }
  });

  it('XOR folding halves the length: folded CLK = first half XOR second half of the unfolded one', () => {
    const unfolded = personSchema(1024, 0);
    const folded = personSchema(512, 1);
    fc.assert(
      fc.property(secret, row, (s, r) => {
        const u = createClkEncoder(unfolded, enc(s)).encode(r);
        const f = createClkEncoder(folded, enc(s)).encode(r);
        expect(f.length).toBe(u.length / 2);
        const want = new Uint8Array(u.length / 2);
        for (let i = 0; i < want.length; i++) want[i] = u[i]! ^ u[i + want.length]!;
        expect(Buffer.from(f).equals(Buffer.from(want))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('l not a multiple of 8: the trailing bits of the last byte stay 0', () => {
    const raw = JSON.parse(readFileSync(path.join(vectors, 'hash_double_l1001.json'), 'utf8')).schema;
    const schema = parseLinkageSchema(raw, 'l1001');
    fc.assert(
      fc.property(secret, fc.array(name, { minLength: 1, maxLength: 3 }), (s, names) => {
        const e = createClkEncoder(schema, enc(s));
        const values = e.featureNames.map((_, i) => names[i % names.length]!);
        const clk = e.encode(values);
        expect(clk.length).toBe(126);
        expect(clk[125]! & 0x7f).toBe(0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('CLK encoder refusals', () => {
  const e = createClkEncoder(people, enc('secret'));
  const good = ['1', 'Ann', 'Lee', '1980-02-29', 'F', '2600', 'a@b.c'];

  it('check() names the feature and what was expected, without quoting the value', () => {
    expect(e.check(good)).toBeNull();
    const bad = [...good];
    bad[3] = '1981-02-29';
    const p = e.check(bad);
    expect(p).toMatchObject({ index: 3, feature: 'dob' });
    expect(p!.message).toContain('%Y-%m-%d');
    expect(p!.message).not.toContain('1981');
    bad[3] = '';
    expect(e.check(bad)).toBeNull(); // the sentinel skips validation
    bad[5] = '12345';
    expect(e.check(bad)).toMatchObject({ index: 5, feature: 'postcode', message: 'expected an integer of at most 9999' });
    bad[5] = '26OO';
    expect(e.check(bad)).toMatchObject({ index: 5, message: 'expected an integer' });
    bad[5] = '2600';
    bad[4] = 'X';
    expect(e.check(bad)).toMatchObject({ index: 4, feature: 'sex' });
  });

  it('encode() refuses a value it cannot hash, and a wrong number of values', () => {
    const bad = [...good];
    bad[3] = '29/02/1980';
    expect(() => e.encode(bad)).toThrow(P20Error);
    try {
      e.encode(bad);
    } catch (err) {
      expect((err as P20Error).code).toBe('E_VALUE');
      expect((err as P20Error).location.field).toBe('dob');
      expect((err as Error).message).not.toContain('1980');
    }
    expect(() => e.encode(good.slice(1))).toThrow(/expected 7 values/);
    expect(e.check(good.slice(1))).toMatchObject({ message: 'expected 7 values, found 6' });
  });

  it('an empty secret is refused', () => {
    expect(() => createClkEncoder(people, new Uint8Array(0))).toThrow(/secret is empty/);
  });

  it('ascii encoding refuses non-ASCII text in check() and encode()', () => {
    const raw = JSON.parse(readFileSync(path.join(vectors, 'encoding_ascii.json'), 'utf8')).schema;
    const a = createClkEncoder(parseLinkageSchema(raw, 'ascii'), enc('k'));
    const values = a.featureNames.map(() => 'Zoë');
    expect(a.check(values)?.message).toMatch(/ASCII/);
    expect(() => a.encode(values)).toThrow(/non-ASCII/);
  });

  it('a numeric comparison refuses text that is not a number', () => {
    const raw = JSON.parse(readFileSync(path.join(vectors, 'comparison_numeric_float.json'), 'utf8')).schema;
    const n = createClkEncoder(parseLinkageSchema(raw, 'numeric'), enc('k'));
    expect(n.check(['1.5', '2'])).toBeNull();
    expect(n.check(['abc', '2'])).toMatchObject({ index: 0, message: 'expected a finite decimal number' });
    expect(n.check(['1', 'inf'])).toMatchObject({ index: 1 });
    expect(() => n.encode(['abc', '2'])).toThrow(P20Error);
  });

  it('bitsOf of an ignored feature is empty; out-of-range index throws', () => {
    expect(e.bitsOf(0, 'anything')).toEqual([]);
    expect(() => e.bitsOf(7, 'x')).toThrow(RangeError);
  });
});
