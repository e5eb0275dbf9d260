import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AJV_OPTIONS, EXTENSION_SPEC, LINKAGE_SCHEMA_SPEC, configureAjv, precompiledValidators, type ValidatorSpec } from '../../src/schema/precompiled.js';

const ROOT = join(import.meta.dirname, '..', '..');
const LINKAGE = join(ROOT, 'protocols', 'linkage-schema-v3.schema.json');
const EXTENSION = join(ROOT, 'protocols', 'p20link-extension.schema.json');

/** The run-time fallback's compilation (src/schema/precompiled.ts specValidators without the build's modules). */
function ajvCompiled(spec: ValidatorSpec, validator: string): ValidateFunction {
  const ajv = new Ajv(AJV_OPTIONS);
  const refs = configureAjv(ajv, spec, JSON.parse(readFileSync(join(ROOT, spec.file), 'utf8')) as { $id?: string });
  return ajv.getSchema(refs[validator]!)!;
}

/** What a caller reads of a validation: the verdict and the first error (with the schema the message comes from). */
function outcome(v: ValidateFunction, doc: unknown) {
  const ok = v(doc);
  const e = v.errors?.[0];
  return { ok, error: e ? { instancePath: e.instancePath, keyword: e.keyword, message: e.message, params: e.params, parentSchema: e.parentSchema } : null };
}

const shipped = [...readdirSync(join(ROOT, 'protocols', 'schemas')).map((f) => join(ROOT, 'protocols', 'schemas', f)), ...readdirSync(join(ROOT, 'protocols', 'compat')).map((f) => join(ROOT, 'protocols', 'compat', f))]
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>);

/** A shipped schema with one value somewhere replaced (a wrong type, a bad number, a missing key): mostly invalid documents. */
const mutated = fc
  .record({
    base: fc.integer({ min: 0, max: shipped.length - 1 }),
    path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
    value: fc.oneof(fc.constant(undefined), fc.string(), fc.integer({ min: -5, max: 100_000 }), fc.double(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({})),
  })
  .map(({ base, path, value }) => {
    const doc = structuredClone(shipped[base]!) as Record<string, unknown>;
    let node: Record<string, unknown> = doc;
    for (let i = 0; i < path.length; i++) {
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const k = keys[path[i]! % keys.length]!;
      const child = node[k];
      if (i === path.length - 1 || typeof child !== 'object' || child === null) {
        if (value === undefined) delete node[k];
        else node[k] = value;
        break;
      }
      node = child as Record<string, unknown>;
    }
    return doc;
  });

describe('validators compiled at build time (src/schema/build-validators.mjs)', () => {
  const linkage = precompiledValidators('linkage-schema-v3', readFileSync(LINKAGE));
  const extension = precompiledValidators('p20link-extension', readFileSync(EXTENSION));

  it('are built for the schema files as they are now, and refused for any other text (a stale build is never used)', () => {
    expect(typeof linkage?.validate).toBe('function');
    expect(typeof extension?.extension).toBe('function');
    expect(typeof extension?.hardening).toBe('function');
    expect(precompiledValidators('linkage-schema-v3', `${readFileSync(LINKAGE, 'utf8')} `)).toBeUndefined();
    expect(precompiledValidators('p20link-extension', '{}')).toBeUndefined();
    expect(precompiledValidators('no-such-schema', '{}')).toBeUndefined();
  });

  it('decide every shipped schema as ajv compiling at run time does', () => {
    const runtimeLinkage = ajvCompiled(LINKAGE_SCHEMA_SPEC, 'validate');
    const runtimeExtension = ajvCompiled(EXTENSION_SPEC, 'extension');
    for (const doc of shipped) {
      expect(outcome(linkage!.validate!, doc)).toEqual(outcome(runtimeLinkage, doc));
      if (doc.p20link !== undefined) expect(outcome(extension!.extension!, doc.p20link)).toEqual(outcome(runtimeExtension, doc.p20link));
    }
  });

  it('give the same verdict and first error as ajv at run time on damaged schemas (property)', () => {
    const runtimeLinkage = ajvCompiled(LINKAGE_SCHEMA_SPEC, 'validate');
    const runtimeExtension = ajvCompiled(EXTENSION_SPEC, 'extension');
    const runtimeHardening = ajvCompiled(EXTENSION_SPEC, 'hardening');
    let invalid = 0;
    fc.assert(
      fc.property(mutated, (doc) => {
        const a = outcome(linkage!.validate!, doc);
        expect(a).toEqual(outcome(runtimeLinkage, doc));
        if (!a.ok) invalid++;
        const ext = doc.p20link as Record<string, unknown> | null | undefined;
        if (ext !== undefined) {
          expect(outcome(extension!.extension!, ext)).toEqual(outcome(runtimeExtension, ext));
          if (typeof ext === 'object' && ext !== null && ext.hardening !== undefined) expect(outcome(extension!.hardening!, ext.hardening)).toEqual(outcome(runtimeHardening, ext.hardening));
        }
      }),
      { numRuns: 400, seed: 20261202 },
    );
    expect(invalid).toBeGreaterThan(50); // the property saw real errors, not only valid documents
  });
});
