/**
 * Linkage schema reader: defaults, refusals that name the JSON path and what
 * was expected, the p20link extension hook, and the schema fingerprint.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadLinkageSchema, parseLinkageSchema, schemaFingerprint } from '../../src/schema/linkage-schema.js';
import { exitStatusOf } from '../../cli/exit-status.js';
import { P20Error } from '../../src/errors.js';

const vectors = path.resolve(process.cwd(), '../shared/vectors/clkhash');
const people = () => structuredClone(JSON.parse(readFileSync(path.join(vectors, 'people_l1024.json'), 'utf8')).schema) as Record<string, any>;

function refusal(doc: unknown): P20Error {
  try {
    parseLinkageSchema(doc, 'my-schema.json');
  } catch (e) {
    expect(e).toBeInstanceOf(P20Error);
    const err = e as P20Error;
    expect(err.code).toBe('E_SCHEMA');
    expect(err.location.file).toBe('my-schema.json');
    expect(err.message).toContain('my-schema.json');
    return err;
  }
  throw new Error('schema was accepted');
}

describe('parseLinkageSchema: typed form and defaults', () => {
  it('fills in clkhash defaults and keeps ignored features in order', () => {
    const s = parseLinkageSchema(people(), 'people');
    expect(s.features.map((f) => f.identifier)).toEqual(['id', 'given_name', 'surname', 'dob', 'sex', 'postcode', 'email']);
    expect(s.features[0]).toEqual({ identifier: 'id', ignored: true });
    const given = s.features[1]!;
    expect(given.ignored).toBe(false);
    if (!given.ignored) {
      expect(given.format).toEqual({ type: 'string', encoding: 'utf-8', case: 'mixed' });
      expect(given.hashing.comparison).toEqual({ type: 'ngram', n: 2, positional: false });
      expect(given.hashing.strategy).toEqual({ type: 'bitsPerFeature', bitsPerFeature: 100 });
      expect(given.hashing.hash).toEqual({ type: 'blakeHash' });
    }
    const dob = s.features[3]!;
    if (!dob.ignored) {
      expect(dob.hashing.hash).toEqual({ type: 'doubleHash', preventSingularity: true });
      expect(dob.hashing.missingValue).toEqual({ sentinel: '', replaceWith: '' });
    }
    expect(s.clkConfig.l).toBe(1024);
    expect(s.clkConfig.xorFolds).toBe(0);
    expect(s.clkConfig.kdf.keySize).toBe(64);
    expect(Buffer.from(s.clkConfig.kdf.info).toString()).toBe('schema_example');
    expect(s.p20link).toBeUndefined();
  });

  it('every clkhash vector schema is accepted', () => {
    for (const f of ['docs_example_schema.json', 'docs_febrl_schema_v3_final.json', 'xor_folds_camelcase_ignored.json', 'kdf_sha512_no_salt_no_info.json']) {
      const s = parseLinkageSchema(JSON.parse(readFileSync(path.join(vectors, f), 'utf8')).schema, f);
      expect(s.features.length).toBeGreaterThan(0);
    }
  });

  it('xorFolds (camelCase) is ignored as clkhash ignores it; xor_folds is read', () => {
    const a = people();
    a.clkConfig.xorFolds = 2;
    expect(parseLinkageSchema(a, 'a').clkConfig.xorFolds).toBe(0);
    const b = people();
    b.clkConfig.xor_folds = 2;
    expect(parseLinkageSchema(b, 'b').clkConfig.xorFolds).toBe(2);
  });

  it('keeps a top-level p20link extension object for the encode pipeline', () => {
    const doc = people();
    doc.p20link = { passThrough: ['id'] };
    expect(parseLinkageSchema(doc, 'x').p20link).toEqual({ passThrough: ['id'] });
  });
});

describe('parseLinkageSchema: refusals name the JSON path and what was expected', () => {
  const cases: [string, (d: Record<string, any>) => unknown, string, RegExp][] = [
    ['not an object', () => [1, 2], '/', /expected/],
    ['missing clkConfig', (d) => { delete d.clkConfig; return d; }, '/clkConfig', /missing required key "clkConfig"/],
    ['version 2', (d) => { d.version = 2; return d; }, '/version', /the number 3/],
    ['unknown top-level key', (d) => { d.extra = 1; return d; }, '/extra', /unknown key "extra"/],
    ['both strategies', (d) => { d.features[2].hashing.strategy = { bitsPerToken: 5, bitsPerFeature: 9 }; return d; }, '/features/2/hashing/strategy', /exactly one of/],
    ['unknown strategy key', (d) => { d.features[2].hashing.strategy = { k: 5 }; return d; }, '/features/2/hashing/strategy/k', /unknown key "k"/],
    ['empty strategy', (d) => { d.features[2].hashing.strategy = {}; return d; }, '/features/2/hashing/strategy', /exactly one of/],
    ['bitsPerToken 0', (d) => { d.features[2].hashing.strategy = { bitsPerToken: 0 }; return d; }, '/features/2/hashing/strategy/bitsPerToken', /positive integer/],
    ['ngram without n', (d) => { delete d.features[1].hashing.comparison.n; return d; }, '/features/1/hashing/comparison/n', /missing required key "n"/],
    ['bad comparison type', (d) => { d.features[1].hashing.comparison = { type: 'fuzzy' }; return d; }, '/features/1/hashing/comparison/type', /"ngram", "exact", "numeric"/],
    ['bad format type', (d) => { d.features[3].format.type = 'datetime'; return d; }, '/features/3/format/type', /one of "string", "integer", "date", "enum"/],
    ['date without format', (d) => { delete d.features[3].format.format; return d; }, '/features/3/format/format', /missing required key "format"/],
    ['unsupported strptime directive', (d) => { d.features[3].format.format = '%Y-%m-%d %Z'; return d; }, '/features/3/format/format', /%Z is not supported/],
    ['bad regex', (d) => { d.features[1].format.pattern = '([A-Z'; return d; }, '/features/1/format/pattern', /regular expression that compiles/],
    ['pattern with case', (d) => { d.features[1].format.pattern = '[A-Z]+'; d.features[1].format.case = 'upper'; return d; }, '/features/1/format/case', /no "case" next to "pattern"/],
    ['bad encoding', (d) => { d.features[1].format.encoding = 'latin-1'; return d; }, '/features/1/format/encoding', /"ascii", "utf-8", "utf-16", "utf-32"/],
    ['prevent_singularity on blakeHash', (d) => { d.features[1].hashing.hash = { type: 'blakeHash', prevent_singularity: true }; return d; }, '/features/1/hashing/hash/prevent_singularity', /unknown key/],
    ['blakeHash with l = 1000', (d) => { d.clkConfig.l = 1000; return d; }, '/features/1/hashing/hash', /power of two/],
    ['blakeHash with 100-byte keys', (d) => { d.clkConfig.kdf.keySize = 100; return d; }, '/features/1/hashing/hash', /at most 64 bytes/],
    ['kdf type', (d) => { d.clkConfig.kdf.type = 'PBKDF2'; return d; }, '/clkConfig/kdf/type', /"HKDF"/],
    ['salt not base64', (d) => { d.clkConfig.kdf.salt = 'not base64!'; return d; }, '/clkConfig/kdf/salt', /base64/],
    ['l as string', (d) => { d.clkConfig.l = '1024'; return d; }, '/clkConfig/l', /positive integer/],
    ['HKDF output too long', (d) => { d.clkConfig.kdf.keySize = 64; for (let i = 0; i < 60; i++) d.features.push({ identifier: `x${i}`, ignored: true }); return d; }, '/clkConfig/kdf/keySize', /HKDF-SHA256 output limit/],
    ['duplicate identifiers', (d) => { d.features[2].identifier = 'given_name'; return d; }, '/features/2/identifier', /unique identifier/],
    ['ignored feature with an unknown key', (d) => { d.features[0].hashin = {}; return d; }, '/features/0/hashin', /unknown key "hashin"/],
    ['hashed feature without hashing', (d) => { delete d.features[4].hashing; return d; }, '/features/4/hashing', /missing required key "hashing"/],
    ['missingValue without sentinel', (d) => { d.features[3].hashing.missingValue = { replaceWith: 'x' }; return d; }, '/features/3/hashing/missingValue/sentinel', /missing required key "sentinel"/],
    ['numeric threshold not whole at the precision', (d) => { d.features[5].hashing.comparison = { type: 'numeric', thresholdDistance: 0.25, resolution: 2, fractional_precision: 1 }; return d; }, '/features/5/hashing/comparison/thresholdDistance', /whole number/],
    ['p20link not an object', (d) => { d.p20link = 5; return d; }, '/p20link', /an object/],
    ['empty features', (d) => { d.features = []; return d; }, '/features', /non-empty array/],
  ];
  for (const [label, mutate, where, what] of cases) {
    it(label, () => {
      const err = refusal(mutate(people()));
      expect(err.location.field).toBe(where);
      expect(err.message).toContain(where);
      expect(err.message).toMatch(what);
    });
  }
});

describe('loadLinkageSchema', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'p20-schema-'));

  it('reads a file (BOM tolerated) and names the file in errors', async () => {
    const ok = path.join(dir, 'ok.json');
    writeFileSync(ok, '\ufeff' + JSON.stringify(people(), null, 2));
    const s = await loadLinkageSchema(ok);
    expect(s.source).toBe(ok);
    expect(s.features.length).toBe(7);

    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{"version": 3,');
    await expect(loadLinkageSchema(broken)).rejects.toThrow(/broken\.json.*not valid JSON/);

    const bad = path.join(dir, 'bad.json');
    const d = people();
    d.features[2].hashing.strategy = { bitsPerToken: -1 };
    writeFileSync(bad, JSON.stringify(d));
    await expect(loadLinkageSchema(bad)).rejects.toThrow(/bad\.json.*\/features\/2\/hashing\/strategy\/bitsPerToken/);

    await expect(loadLinkageSchema(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'E_IO' });
  });
});

describe('schemaFingerprint', () => {
  it('is sha256: + 64 hex, independent of key order and whitespace', () => {
    const a = parseLinkageSchema(people(), 'a');
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)]))
          : v;
    const reordered = reverseKeys(people());
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(people()));
    const text = JSON.stringify(people(), null, 4);
    const b = parseLinkageSchema(reordered, 'b');
    const c = parseLinkageSchema(JSON.parse(text), 'c');
    expect(schemaFingerprint(a)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(schemaFingerprint(b)).toBe(schemaFingerprint(a));
    expect(schemaFingerprint(c)).toBe(schemaFingerprint(a));
  });

  it('changes with any value, the p20link extension included', () => {
    const base = schemaFingerprint(parseLinkageSchema(people(), 'a'));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.string(), (k, note) => {
        const d = people();
        d.features[2].hashing.strategy.bitsPerToken = 15 + k;
        expect(schemaFingerprint(parseLinkageSchema(d, 'x'))).not.toBe(base);
        const e = people();
        e.p20link = { note };
        expect(schemaFingerprint(parseLinkageSchema(e, 'y'))).not.toBe(base);
      }),
      { numRuns: 50 },
    );
  });
});

describe('parseLinkageSchema: resource limits (SCHEMA_LIMITS) refuse what would exhaust memory or fill the filter', () => {
  const cases: [string, (d: Record<string, any>) => unknown, string, RegExp][] = [
    ['l = 2^30 (ran out of memory)', (d) => { d.clkConfig.l = 2 ** 30; return d; }, '/clkConfig/l', /from 64 to 8192 bits \(found 1073741824\)/],
    ['l = 32', (d) => { d.clkConfig.l = 32; return d; }, '/clkConfig/l', /from 64 to 8192/],
    ['l = 16384', (d) => { d.clkConfig.l = 16384; return d; }, '/clkConfig/l', /from 64 to 8192/],
    ['xor_folds making 2^20 bits', (d) => { d.clkConfig.xor_folds = 10; return d; }, '/clkConfig/xor_folds', /at most 65536 bits/],
    ['bitsPerFeature 10^6 (all-ones CLKs)', (d) => { d.features[1].hashing.strategy = { bitsPerFeature: 1_000_000 }; return d; }, '/features/1/hashing/strategy/bitsPerFeature', /at most 1024 bits per feature/],
    ['bitsPerFeature above the filter', (d) => { d.features[1].hashing.strategy = { bitsPerFeature: 2000 }; return d; }, '/features/1/hashing/strategy/bitsPerFeature', /no more than the 1024 bits/],
    ['bitsPerToken 1000', (d) => { d.features[2].hashing.strategy = { bitsPerToken: 1000 }; return d; }, '/features/2/hashing/strategy/bitsPerToken', /at most 128 bits per token/],
    ['numeric resolution 10^5', (d) => { d.features[5].hashing.comparison = { type: 'numeric', thresholdDistance: 1, resolution: 100_000 }; return d; }, '/features/5/hashing/comparison/resolution', /at most 64/],
  ];
  for (const [label, mutate, where, what] of cases) {
    it(label, () => {
      const err = refusal(mutate(people()));
      expect(err.location.field).toBe(where);
      expect(exitStatusOf(err)).toBe(2);
      expect(err.message).toMatch(what);
    });
  }

  it('the bounds themselves are accepted (l 64 and 8192, 128 bits per token, bitsPerFeature = l)', () => {
    const a = people();
    a.clkConfig.l = 8192;
    a.features[2].hashing.strategy = { bitsPerToken: 128 };
    a.features[1].hashing.strategy = { bitsPerFeature: 4096 };
    expect(parseLinkageSchema(a, 'a').clkConfig.l).toBe(8192);
    const b = people();
    b.clkConfig.l = 64;
    for (const f of b.features) if (f.hashing?.strategy?.bitsPerFeature !== undefined) f.hashing.strategy = { bitsPerFeature: 64 };
    expect(parseLinkageSchema(b, 'b').clkConfig.l).toBe(64);
  });

  it('every shipped schema and every clkhash vector lies inside the bounds', () => {
    for (const f of ['protocols/schemas/p20w-person.json', 'protocols/schemas/febrl.json']) {
      expect(() => parseLinkageSchema(JSON.parse(readFileSync(path.resolve(process.cwd(), f), 'utf8')), f)).not.toThrow();
    }
  });
});
