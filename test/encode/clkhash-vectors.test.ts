/**
 * Known-answer vectors made with clkhash 0.18.3 (../shared/vectors/clkhash/,
 * see its README.md): every file, every row, every CLK must be bit-identical.
 * Also checks the per-feature derived keys and, where the file has a trace,
 * the formatted values and the bit positions of each feature.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLinkageSchema } from '../../src/schema/linkage-schema.js';
import { clkToBase64, createClkEncoder } from '../../src/encode/clk.js';
import { deriveFeatureKeys } from '../../src/encode/bloom-hash.js';

const dir = path.resolve(process.cwd(), '../shared/vectors/clkhash');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

interface TraceFeature {
  identifier: string;
  ignored?: boolean;
  formatted?: string;
  positions?: number[][];
}
interface VectorFile {
  description: string;
  schema: unknown;
  secret: string;
  header: string[];
  rows: string[][];
  clks: string[];
  validate?: boolean;
  derived_keys_hex?: [string, string][];
  trace?: TraceFeature[][];
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('clkhash 0.18.3 known-answer vectors', () => {
  it('the vector folder holds the 57 files its README lists', () => {
    expect(files.length).toBe(57);
  });

  for (const file of files) {
    it(file, () => {
      const v = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as VectorFile;
      const schema = parseLinkageSchema(v.schema, file);
      const secret = new TextEncoder().encode(v.secret);
      const enc = createClkEncoder(schema, secret);
      expect(enc.featureNames).toEqual(v.header);
      expect(v.rows.length).toBe(v.clks.length);
      expect(v.rows.length).toBeGreaterThan(0);

      if (v.derived_keys_hex) {
        const keys = deriveFeatureKeys(secret, schema.clkConfig.kdf, schema.features.length);
        expect(keys.map(([a, b]) => [hex(a), hex(b)])).toEqual(v.derived_keys_hex);
      }

      v.rows.forEach((row, r) => {
        if (v.validate !== false) expect(enc.check(row), `row ${r} passes validation`).toBeNull();
        const clk = enc.encode(row);
        expect(clk.length).toBe(Math.ceil(schema.clkConfig.l / 8));
        expect(clkToBase64(clk, enc.l), `${file} row ${r}`).toBe(v.clks[r]);
      });

      // Every set bit of every CLK is explained by some feature's bitsOf().
      v.rows.forEach((row) => {
        const clk = enc.encode(row);
        const union = new Set<number>();
        row.forEach((value, i) => enc.bitsOf(i, value).forEach((p) => union.add(p)));
        for (let i = 0; i < enc.l; i++) {
          if (clk[i >> 3]! & (0x80 >> (i & 7))) expect(union.has(i)).toBe(true);
        }
      });
    });
  }
});

describe('vector traces: per-feature positions', () => {
  for (const file of files) {
    const v = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as VectorFile;
    if (!v.trace) continue;
    it(`${file}: bitsOf matches the traced positions`, () => {
      const schema = parseLinkageSchema(v.schema, file);
      const enc = createClkEncoder(schema, new TextEncoder().encode(v.secret));
      const l = schema.clkConfig.l;
      v.trace!.forEach((features, r) => {
        features.forEach((t, i) => {
          if (t.ignored) {
            expect(enc.bitsOf(i, v.rows[r]![i]!)).toEqual([]);
            return;
          }
          const want = [...new Set((t.positions ?? []).flat().map((p) => p % l))].sort((a, b) => a - b);
          expect(enc.bitsOf(i, v.rows[r]![i]!), `${file} row ${r} ${t.identifier}`).toEqual(want);
        });
      });
    });
  }
});
