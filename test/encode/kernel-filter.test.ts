import { describe, expect, it } from 'vitest';
import { clkToBase64, createClkEncoder } from '../../src/encode/clk.js';
import { parseLinkageSchema } from '../../src/schema/linkage-schema.js';

const te = new TextEncoder();

/** One doubleHash feature with preventSingularity: with L = 512 a long value often has a token with h2 = 0, where the kernel gives up mid-value. */
const schema = parseLinkageSchema(
  {
    version: 3,
    clkConfig: { l: 512, kdf: { type: 'HKDF', hash: 'SHA256', salt: 'c2FsdA==', info: 'aW5mbw==', keySize: 64 } },
    features: [
      {
        identifier: 'f0',
        format: { type: 'string', encoding: 'utf-8' },
        hashing: { comparison: { type: 'ngram', n: 3, positional: true }, strategy: { bitsPerToken: 1 }, hash: { type: 'doubleHash', prevent_singularity: true } },
      },
    ],
  },
  'kernel filter test',
);

describe("the kernel's record filter (caches off: positions OR-ed straight into it)", () => {
  it('is left clean after a value the kernel gives up on (h2 = 0 under preventSingularity): the next record is not polluted', () => {
    const secret = te.encode('kernel vs js');
    const wasm = createClkEncoder(schema, secret, { cacheSize: 0 });
    const js = createClkEncoder(schema, secret, { cacheSize: 0, wasm: false });
    const long = `${'a'.repeat(68)}b${'a'.repeat(33)}`;
    const rows = [[long], [''], ['a'.repeat(100)], [''], ['abc'], [long], ['x']];
    for (const salt of ['salt1', '']) {
      for (const r of rows) expect(clkToBase64(wasm.encode(r, undefined, [salt])), `${salt} ${r[0]!.length}`).toBe(clkToBase64(js.encode(r, undefined, [salt])));
    }
  });
});
