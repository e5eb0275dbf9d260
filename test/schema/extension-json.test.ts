/**
 * The p20link extension's JSON Schema (protocols/p20link-extension.schema.json)
 * and its place in the tree: the shipped schemas satisfy it, parseExtension
 * refuses with its messages and dotted JSON paths, it agrees with the code's
 * vocabularies, and src/schema/ depends on neither the encoder nor the linker.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exitStatusOf } from '../../cli/exit-status.js';
import { P20Error } from '../../src/errors.js';
import { SIMPLE_STEPS } from '../../src/normalize/steps.js';
import { BLOCKING_TRANSFORMS, COLUMN_NAME, parseExtension } from '../../src/schema/extension.js';
import { EXTENSION_JSON_SCHEMA_FILE } from '../../src/schema/extension-json.js';
import { parseHardening } from '../../src/schema/hardening.js';
import { parseLinkageSchema } from '../../src/schema/linkage-schema.js';
import { p20Thrown } from '../helpers/errors.js';

const ROOT = process.cwd();
const jsonSchema = JSON.parse(readFileSync(resolve(ROOT, EXTENSION_JSON_SCHEMA_FILE), 'utf8')) as Record<string, any>;
// the shipped schemas and the clkhash-compatible ones kept beside them (protocols/compat/)
const SHIPPED = resolve(ROOT, 'protocols');
const shipped = ['schemas', 'compat'].flatMap((d) => readdirSync(join(SHIPPED, d)).filter((f) => f.endsWith('.json')).map((f) => `${d}/${f}`));
const base = JSON.parse(readFileSync(resolve(ROOT, 'protocols/compat/p20w-person-clkhash.json'), 'utf8')) as Record<string, unknown>;
const schema = parseLinkageSchema(base, 'p20w-person-clkhash.json');

describe('src/schema/ stands below the pipeline', () => {
  // static imports, re-exports, type imports and dynamic import() of every module in src/schema/
  const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  const files = readdirSync(resolve(ROOT, 'src/schema'), { recursive: true, encoding: 'utf8' }).filter((f) => /\.[cm]?[jt]s$/.test(f));

  it('finds the modules and their imports (the check below would otherwise pass vacuously)', () => {
    expect(files).toEqual(expect.arrayContaining(['extension.ts', 'hardening.ts', 'linkage-schema.ts', 'strptime.ts']));
    const specs = [...readFileSync(resolve(ROOT, 'src/schema/extension.ts'), 'utf8').matchAll(SPEC)].map((m) => m[1]);
    expect(specs).toEqual(expect.arrayContaining(['../errors.js', './hardening.js', '../normalize/steps.js']));
  });

  it('no file in src/schema/ imports from src/encode/ or src/link/', () => {
    const offending: string[] = [];
    for (const f of files) {
      const dir = resolve(ROOT, 'src/schema', f, '..');
      for (const m of readFileSync(resolve(ROOT, 'src/schema', f), 'utf8').matchAll(SPEC)) {
        const spec = m[1]!;
        if (!spec.startsWith('.')) continue;
        const target = resolve(dir, spec);
        if (target.startsWith(resolve(ROOT, 'src/encode')) || target.startsWith(resolve(ROOT, 'src/link'))) offending.push(`${f} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('protocols/p20link-extension.schema.json', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(jsonSchema);

  it('is a draft-07 schema like the project\'s other schemas', () => {
    const v3 = JSON.parse(readFileSync(resolve(ROOT, 'protocols/linkage-schema-v3.schema.json'), 'utf8')) as Record<string, unknown>;
    expect(jsonSchema.$schema).toBe(v3.$schema);
    expect(jsonSchema.$id).toMatch(/\/protocols\/p20link-extension\.schema\.json$/);
  });

  it('ships schemas to check', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(4);
  });

  it.each(shipped)('accepts the p20link extension of the shipped schema %s (by itself and through parseExtension)', (file) => {
    const doc = JSON.parse(readFileSync(join(SHIPPED, file), 'utf8')) as Record<string, unknown>;
    expect(doc.p20link).toBeDefined();
    const ok = validate(doc.p20link);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const s = parseLinkageSchema(doc, file);
    expect(parseExtension(s.p20link, s.source, s).version).toBe(1);
  });

  it('refuses what parseExtension refuses structurally (a typo in a key, a wrong type)', () => {
    expect(validate({ version: 1, recordID: 'x' })).toBe(false);
    expect(validate({ version: 1, link: { threshold: '0.8' } })).toBe(false);
    expect(validate({ version: 1, hardening: { version: 1, eld: { bits: 100, taps: 2 } } })).toBe(false);
    expect(validate({ version: 2 })).toBe(false);
    expect(validate({})).toBe(false);
  });

  it('lists the blocking transforms and the normalization steps the code knows', () => {
    const transform = jsonSchema.definitions.blockingKey.allOf[0].properties.transform;
    expect(transform.enum).toEqual([...BLOCKING_TRANSFORMS]);
    expect(transform['x-message']).toBe(`must be one of ${BLOCKING_TRANSFORMS.join(', ')}`);
    const steps = [...Object.keys(SIMPLE_STEPS), 'date', 'missing'].join(', ');
    expect(jsonSchema.definitions.step.then['x-message']).toMatch(new RegExp(`; steps: ${steps}$`));
    expect(jsonSchema.definitions.step.else['x-message']).toBe(jsonSchema.definitions.step.then['x-message']);
  });

  it('uses COLUMN_NAME, the rule for encoded-file column names (blocking keys, pass-through columns)', () => {
    expect(jsonSchema.properties.blocking.propertyNames.pattern).toBe(COLUMN_NAME.source);
    expect(jsonSchema.properties.passThrough.items.allOf[1].pattern).toBe(COLUMN_NAME.source);
  });
});

describe('parseExtension: structural refusals come from the JSON Schema, with the JSON path and its message', () => {
  const cases: [string, unknown, string, string][] = [
    ['missing version', {}, 'p20link.version', 'must be 1 (this tool reads version 1 of the p20link extension)'],
    ['csv not an object', { version: 1, csv: ';' }, 'p20link.csv', 'must be an object {"delimiter": ",", "trim": false}'],
    ['csv unknown key', { version: 1, csv: { quote: "'" } }, 'p20link.csv.quote', 'unknown key (allowed: delimiter, trim)'],
    ['csv delimiter of two characters', { version: 1, csv: { delimiter: ';;' } }, 'p20link.csv.delimiter', 'must be a single character other than a quote or line break'],
    ['csv trim not a boolean', { version: 1, csv: { trim: 'yes' } }, 'p20link.csv.trim', 'must be true or false'],
    ['columns: an empty column name', { version: 1, columns: { last_name: '' } }, 'p20link.columns.last_name', 'must be a CSV column name'],
    ['normalize not an object', { version: 1, normalize: ['name'] }, 'p20link.normalize', 'must be an object mapping feature identifiers to lists of steps'],
    ['normalize: steps not an array', { version: 1, normalize: { last_name: 'name' } }, 'p20link.normalize.last_name', 'must be an array of normalization steps'],
    ['normalize: a step that is a number', { version: 1, normalize: { last_name: ['name', 7] } }, 'p20link.normalize.last_name[1]', 'must be a step name or an object {"step": name, …}; steps: trim, upper, lower, fold, collapse-space, strip-punctuation, name, particles, drop-suffixes, digits, initial, sex, zip5, date, missing'],
    ['normalize: an object without "step"', { version: 1, normalize: { last_name: [{ to: 'x' }] } }, 'p20link.normalize.last_name[0]', 'must be a step name or an object {"step": name, …}; steps: trim, upper, lower, fold, collapse-space, strip-punctuation, name, particles, drop-suffixes, digits, initial, sex, zip5, date, missing'],
    ['maxValueLength not an integer', { version: 1, maxValueLength: 2.5 }, 'p20link.maxValueLength', 'must be an integer from 1 to 65536 (characters)'],
    ['blocking-key name with a slash (JSON pointer escape)', { version: 1, blocking: { 'a/b': { feature: 'zip', transform: 'exact' } } }, 'p20link.blocking.a/b', 'blocking-key names may use only letters, digits, "_", "." and "-" (at most 64)'],
    ['blocking key not an object', { version: 1, blocking: { by: 'birth_date' } }, 'p20link.blocking.by', 'must be an object {"feature": identifier, "transform": "exact" | "soundex" | "year" | "prefix"}'],
    ['blocking key unknown key', { version: 1, blocking: { by: { feature: 'birth_date', transform: 'year', len: 4 } } }, 'p20link.blocking.by.len', 'unknown key (allowed: feature, transform, length, description)'],
    ['blocking key without transform', { version: 1, blocking: { by: { feature: 'birth_date' } } }, 'p20link.blocking.by.transform', 'must be one of exact, soundex, year, prefix'],
    ['blocking key without feature', { version: 1, blocking: { by: { transform: 'year' } } }, 'p20link.blocking.by.feature', 'must be a feature identifier'],
    ['prefix length out of range', { version: 1, blocking: { p: { feature: 'last_name', transform: 'prefix', length: 65 } } }, 'p20link.blocking.p.length', 'is required for "prefix": an integer from 1 to 64'],
    ['length on another transform', { version: 1, blocking: { p: { feature: 'last_name', transform: 'soundex', length: 3 } } }, 'p20link.blocking.p.length', 'applies only to the "prefix" transform'],
    ['passThrough not an array', { version: 1, passThrough: 'cohort' }, 'p20link.passThrough', 'must be an array of CSV column names'],
    ['passThrough: an empty name', { version: 1, passThrough: ['cohort', ''] }, 'p20link.passThrough[1]', 'must be a CSV column name'],
    ['passThrough: a name with a space', { version: 1, passThrough: ['cohort year'] }, 'p20link.passThrough[0]', 'pass-through column names may use only letters, digits, "_", "." and "-" (at most 64)'],
    ['link not an object', { version: 1, link: 0.8 }, 'p20link.link', 'must be an object {"threshold", "reviewThreshold", "blocking"}'],
    ['link unknown key', { version: 1, link: { treshold: 0.8 } }, 'p20link.link.treshold', 'unknown key (allowed: threshold, reviewThreshold, blocking, lsh, description)'],
    ['link threshold 0', { version: 1, link: { threshold: 0 } }, 'p20link.link.threshold', 'must be a Dice score greater than 0 and at most 1'],
    ['link review threshold a string', { version: 1, link: { reviewThreshold: '0.7' } }, 'p20link.link.reviewThreshold', 'must be a Dice score greater than 0 and at most 1'],
    ['link blocking not an array', { version: 1, link: { blocking: 'birth_year' } }, 'p20link.link.blocking', 'must be an array of blocking-key names (or "a,b" for keys that must all agree)'],
    ['plausibleDates not an object', { version: 1, plausibleDates: true }, 'p20link.plausibleDates', 'must be an object mapping date features to {"min", "max"} (or false to turn the check off)'],
    ['plausibleDates: true instead of false', { version: 1, plausibleDates: { birth_date: true } }, 'p20link.plausibleDates.birth_date', 'must be {"min": "YYYY-MM-DD", "max": "YYYY-MM-DD" or "today"} or false'],
    ['plausibleDates: unknown key', { version: 1, plausibleDates: { birth_date: { from: '1900-01-01' } } }, 'p20link.plausibleDates.birth_date.from', 'unknown key (allowed: min, max, format, description)'],
    ['plausibleDates: a bound in another layout', { version: 1, plausibleDates: { birth_date: { max: '12/31/2020' } } }, 'p20link.plausibleDates.birth_date.max', 'must be a date "YYYY-MM-DD" that exists, or "today"'],
    ['hardening not an object', { version: 1, hardening: true }, 'p20link.hardening', 'must be an object {"version": 1, "salt", "rule90", "eld", "xorFold", "balance", "blip"}'],
    ['hardening without version', { version: 1, hardening: { balance: true } }, 'p20link.hardening.version', 'must be 1'],
    ['hardening eld without taps', { version: 1, hardening: { version: 1, eld: { bits: 1024 } } }, 'p20link.hardening.eld.taps', 'must be an integer from 2 to 16'],
    ['hardening eld bits too small', { version: 1, hardening: { version: 1, eld: { bits: 10, taps: 2 } } }, 'p20link.hardening.eld.bits', 'must be an integer from 64 to 16384'],
    ['hardening salt without transform', { version: 1, hardening: { version: 1, salt: { from: 'birth_date', features: ['zip'] } } }, 'p20link.hardening.salt.transform', 'must be "year", "exact" or "prefix"'],
    ['hardening salt prefix without length', { version: 1, hardening: { version: 1, salt: { from: 'zip', transform: 'prefix', features: ['last_name'] } } }, 'p20link.hardening.salt.length', 'must be an integer from 1 to 64'],
    ['hardening salt with no features', { version: 1, hardening: { version: 1, salt: { from: 'zip', transform: 'exact', features: [] } } }, 'p20link.hardening.salt.features', 'must be a non-empty array of hashed features'],
    ['hardening rule90 out of range', { version: 1, hardening: { version: 1, rule90: 17 } }, 'p20link.hardening.rule90', 'must be an integer from 1 to 16'],
    ['hardening xorFold 0', { version: 1, hardening: { version: 1, xorFold: 0 } }, 'p20link.hardening.xorFold', 'must be an integer from 1 to 4'],
    ['hardening balance not a boolean', { version: 1, hardening: { version: 1, balance: 1 } }, 'p20link.hardening.balance', 'must be true or false'],
    ['hardening blip without f', { version: 1, hardening: { version: 1, blip: {} } }, 'p20link.hardening.blip', 'must be an object {"f": flip probability}'],
  ];
  it.each(cases)('%s', (_n, ext, field, message) => {
    const e = p20Thrown(() => parseExtension(ext, 's.json', schema));
    expect(e.code).toBe('SCHEMA_EXTENSION');
    expect(exitStatusOf(e)).toBe(2);
    expect(e.location).toEqual({ file: 's.json', field });
    expect(e.message).toContain(message);
  });

  it('accepts what the code accepts: free-text descriptions anywhere they were allowed, lsh false, a range turned off', () => {
    const ext = parseExtension(
      {
        version: 1,
        description: 'x',
        blocking: { by: { feature: 'birth_date', transform: 'year', description: 'year of birth' }, p3: { feature: 'last_name', transform: 'prefix', length: 3 } },
        link: { threshold: 0.9, reviewThreshold: 0.8, blocking: ['by,p3'], lsh: false, description: 'y' },
        plausibleDates: { birth_date: false },
        hardening: { version: 1, description: 'z', salt: { from: 'birth_date', transform: 'year', features: ['first_name'] }, blip: { f: 0.25 } },
      },
      's.json',
      schema,
    );
    expect(ext.blocking).toEqual([
      { name: 'by', feature: 'birth_date', transform: 'year' },
      { name: 'p3', feature: 'last_name', transform: 'prefix', length: 3 },
    ]);
    expect(ext.link).toEqual({ threshold: 0.9, reviewThreshold: 0.8, blocking: ['by,p3'], lsh: false });
    expect(ext.plausibleDates).toEqual({ birth_date: false });
    expect(ext.hardening).toEqual({ version: 1, salt: { from: 'birth_date', transform: 'year', features: ['first_name'] }, blip: { f: 0.25 } });
  });

  it('parseHardening by itself validates against the hardening part of the JSON Schema', () => {
    const e = p20Thrown(() => parseHardening({ version: 1, eld: { bits: 1024, taps: 2, rounds: 1 } }, 'h.json', ['a'], 1024));
    expect(e.location).toEqual({ file: 'h.json', field: 'p20link.hardening.eld.rounds' });
    expect(e.message).toContain('unknown key (allowed: bits, taps)');
    expect(p20Thrown(() => parseHardening({ version: 1, eld: { bits: 1024, taps: 16 } }, 'h.json', ['a'], 8)).location.field).toBe('p20link.hardening.eld.taps');
  });

  // the parser reads the document through casts once the JSON Schema has passed: any JSON must end in a result or a SCHEMA_EXTENSION refusal, never a crash
  const SECTIONS: Record<string, string[]> = {
    csv: ['delimiter', 'trim', 'x'],
    link: ['threshold', 'reviewThreshold', 'blocking', 'lsh'],
    hardening: ['version', 'salt', 'rule90', 'eld', 'xorFold', 'balance', 'blip'],
  };
  const KEYS = ['recordId', 'columns', 'normalize', 'maxValueLength', 'blocking', 'passThrough', 'plausibleDates', 'description'];
  const section = (keys: string[]) => fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }));
  const arbExt = fc.record(
    {
      version: fc.oneof(fc.constant(1), fc.jsonValue({ maxDepth: 1 })),
      ...Object.fromEntries(KEYS.map((k) => [k, fc.jsonValue({ maxDepth: 3 })])),
      ...Object.fromEntries(Object.entries(SECTIONS).map(([k, keys]) => [k, section(keys)])),
    },
    { requiredKeys: ['version'] },
  );
  it('never crashes: any JSON gives an extension or a SCHEMA_EXTENSION refusal under "p20link"', () => {
    fc.assert(
      fc.property(arbExt, (ext) => {
        try {
          parseExtension(ext, 's.json', schema);
        } catch (e) {
          if (!(e instanceof P20Error)) throw e;
          expect(e.code).toBe('SCHEMA_EXTENSION');
          expect(e.location.field).toMatch(/^p20link(\.|\[|$)/);
        }
      }),
      { numRuns: 400 },
    );
  });
});
