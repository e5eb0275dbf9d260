/**
 * The WebAssembly hashing path of the CLK encoder and of the keyed blocking
 * values gives the same bytes as the JavaScript path (@noble/hashes): random
 * schemas (ngram / exact / numeric, bitsPerToken / bitsPerFeature, doubleHash
 * with and without preventSingularity, blakeHash, UTF-8 / UTF-16 / UTF-32,
 * l that is not a power of two, folds), random values (non-ASCII, tokens
 * longer than a hash block), hardening salts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBlockMac } from '../../src/encode/bloom-hash.js';
import { keyedBlockValue } from '../../src/encode/blocking-keys.js';
import { clkToBase64, createClkEncoder } from '../../src/encode/clk.js';
import { parseLinkageSchema } from '../../src/schema/linkage-schema.js';

const te = new TextEncoder();

const feature = fc.record({
  comparison: fc.oneof(
    fc.record({ type: fc.constant('ngram'), n: fc.integer({ min: 1, max: 4 }), positional: fc.boolean() }),
    fc.constant({ type: 'exact' }),
  ),
  strategy: fc.oneof(fc.record({ bitsPerToken: fc.integer({ min: 1, max: 90 }) }), fc.record({ bitsPerFeature: fc.integer({ min: 1, max: 300 }) })),
  hash: fc.oneof(fc.constant({ type: 'blakeHash' }), fc.record({ type: fc.constant('doubleHash'), prevent_singularity: fc.boolean() })),
  encoding: fc.constantFrom('utf-8', 'utf-8', 'utf-16', 'utf-32'),
});

const value = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'abcdefghij KLM-é漢'.split('')), maxLength: 14 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 100, maxLength: 300 }),
);

function schemaOf(feats: { comparison: object; strategy: object; hash: { type: string }; encoding: string }[], l: number, folds: number) {
  const raw = {
    version: 3,
    clkConfig: { l, ...(folds > 0 ? { xor_folds: folds } : {}), kdf: { type: 'HKDF', hash: 'SHA256', salt: 'c2FsdA==', info: 'aW5mbw==', keySize: 64 } },
    features: feats.map((f, i) => ({
      identifier: `f${i}`,
      format: { type: 'string', encoding: f.encoding },
      hashing: { comparison: f.comparison, strategy: f.strategy, hash: f.hash },
    })),
  };
  return parseLinkageSchema(raw, 'random schema');
}

describe('CLK hashing: WebAssembly kernel = JavaScript', () => {
  it('same CLK bytes for random schemas and values (caches on and off, salts)', () => {
    fc.assert(
      fc.property(
        fc.array(feature, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(512, 1000, 1024),
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.array(value, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', 'salt1'),
        (feats, l0, folds, rows, salt) => {
          // blakeHash needs l * 2^folds to be a power of two
          const l = feats.some((f) => f.hash.type === 'blakeHash') ? (l0 === 1000 ? 1024 : l0) : l0;
          const schema = schemaOf(feats, l, folds);
          const secret = te.encode('kernel vs js');
          const wasm = createClkEncoder(schema, secret, { cacheSize: 0 });
          const wasmCached = createClkEncoder(schema, secret);
          const js = createClkEncoder(schema, secret, { cacheSize: 0, wasm: false });
          for (const r of rows) {
            const vals = feats.map((_, i) => r[i]!);
            const salts = feats.map(() => salt);
            let want: string;
            try {
              want = clkToBase64(js.encode(vals, undefined, salts));
            } catch (e) {
              expect(() => wasm.encode(vals, undefined, salts)).toThrow((e as Error).message);
              continue;
            }
            expect(clkToBase64(wasm.encode(vals, undefined, salts))).toBe(want);
            expect(clkToBase64(wasmCached.encode(vals, undefined, salts))).toBe(want);
            for (let i = 0; i < feats.length; i++) expect(wasm.bitsOf(i, vals[i]!)).toEqual(js.bitsOf(i, vals[i]!));
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('the value cache admitting only a sample of mostly-distinct values never changes a CLK', () => {
    const schema = schemaOf([{ comparison: { type: 'ngram', n: 2, positional: false }, strategy: { bitsPerToken: 20 }, hash: { type: 'blakeHash' }, encoding: 'utf-8' }], 1024, 0);
    const secret = te.encode('admission');
    const cached = createClkEncoder(schema, secret, { cacheSize: 50_000 });
    const plain = createClkEncoder(schema, secret, { cacheSize: 0 });
    // 20,000 distinct values (admission drops to a sample), then recurring ones (it comes back)
    const values = [...Array.from({ length: 20_000 }, (_, i) => `v${i}`), ...Array.from({ length: 30_000 }, (_, i) => `r${i % 50}`), ...Array.from({ length: 2_000 }, (_, i) => `v${i * 7}`)];
    for (const v of values) expect(clkToBase64(cached.encode([v]))).toBe(clkToBase64(plain.encode([v])));
  });

  it('keyed blocking values: the kernel path equals keyedBlockValue', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 80 }), fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 80 }), (key, name, plain) => {
        const want = keyedBlockValue(key, name, plain);
        expect(createBlockMac(key)(name, plain)).toBe(want);
        expect(createBlockMac(key, false)(name, plain)).toBe(want);
      }),
      { numRuns: 300 },
    );
  });
});
