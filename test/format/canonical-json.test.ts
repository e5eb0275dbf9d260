import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson } from '../../src/format/canonical-json.js';
import { loadLinkageSchema, schemaFingerprint } from '../../src/schema/linkage-schema.js';

describe('canonicalJson (the one serializer for fingerprints and signatures)', () => {
  it('refuses undefined, also as an object member, instead of dropping it', () => {
    expect(() => canonicalJson(undefined)).toThrow(expect.objectContaining({ code: 'CANONICAL_JSON' }));
    expect(() => canonicalJson({ a: 1, b: undefined })).toThrow(expect.objectContaining({ code: 'CANONICAL_JSON' }));
    expect(() => canonicalJson([1, undefined])).toThrow(expect.objectContaining({ code: 'CANONICAL_JSON' }));
  });

  it('refuses non-finite numbers, bigints, functions and class instances', () => {
    for (const v of [Number.NaN, Infinity, 1n, () => 1, new Map()]) {
      expect(() => canonicalJson({ v })).toThrow(expect.objectContaining({ code: 'CANONICAL_JSON' }));
    }
  });

  it('known answers: sorted keys, no whitespace', () => {
    expect(canonicalJson({ b: [1, 'x', null, true], a: { d: 1.5, c: -0 } })).toBe('{"a":{"c":0,"d":1.5},"b":[1,"x",null,true]}');
    expect(canonicalJson({ é: 1, z: 2, A: 3 })).toBe('{"A":3,"z":2,"é":1}');
  });

  it('is JSON, and independent of key order, for every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });

  // The schema fingerprint used another serializer before (it skipped undefined members). For
  // every parsed JSON value the two must give the same text, or shipped fingerprints would change.
  it('gives the same text as the fingerprint\'s former serializer, for every JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(formerFingerprintJson(v));
      }),
      { numRuns: 500 },
    );
  });

  it.each(['protocols/schemas/p20w-person.json', 'protocols/compat/p20w-person-clkhash.json', 'protocols/compat/febrl-clkhash.json', 'protocols/schemas/febrl.json'])(
    'the fingerprint of the shipped %s is what the former serializer gave',
    async (file) => {
      const schema = await loadLinkageSchema(file);
      const former = `sha256:${createHash('sha256').update(formerFingerprintJson(schema.raw), 'utf8').digest('hex')}`;
      expect(schemaFingerprint(schema)).toBe(former);
    },
  );

  it('known answer: the test fixture schema\'s fingerprint', async () => {
    expect(schemaFingerprint(await loadLinkageSchema('test/fixtures/encode/person.schema.json'))).toBe(
      'sha256:6464f0fa880a9ffc7e7f595baae9380b4ba6d2ce5e1df15a5f9acef663f7796e',
    );
  });
});

/** The former src/encode/canonical-json.ts, kept here as the reference. */
function formerFingerprintJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(formerFingerprintJson).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort()) {
        if (obj[k] === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${formerFingerprintJson(obj[k])}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError('not JSON');
  }
}
