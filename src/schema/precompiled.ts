/**
 * The JSON Schemas every encode checks, and their validators: compiled at
 * build time (src/schema/build-validators.mjs) so a run does not spend its
 * first 0.3 CPU-s compiling them with ajv. A compiled module is used only when
 * the schema file it was compiled from is byte for byte the one found now (its
 * SHA-256 is recorded in the module); otherwise, or when the build did not
 * make it, the same schema is compiled here with ajv, with the same options
 * and keywords (configureAjv, which the build uses too). Either way the same
 * schema decides.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Ajv, Options as AjvOptions, ValidateFunction } from 'ajv';
import { newAjv } from '../util/lazy-deps.js';
import { builtFile } from '../util/worker-url.js';

const require = createRequire(import.meta.url);

/** One schema file and the validators taken from it. */
export interface ValidatorSpec {
  /** Name of the compiled module, dist/src/schema/validators/<name>.cjs. */
  name: string;
  /** The schema file, relative to the package root. */
  file: string;
  /** Annotation keywords the schema uses (messages for our errors; ajv must not reject them). */
  keywords: readonly (readonly [keyword: string, schemaType: 'string' | 'object'])[];
  /** Validator name -> JSON pointer into the schema ('' for the whole schema). */
  exports: Readonly<Record<string, string>>;
}

export const LINKAGE_SCHEMA_SPEC: ValidatorSpec = {
  name: 'linkage-schema-v3',
  file: 'protocols/linkage-schema-v3.schema.json',
  keywords: [['x-expected', 'string']],
  exports: { validate: '' },
};

export const EXTENSION_SPEC: ValidatorSpec = {
  name: 'p20link-extension',
  file: 'protocols/p20link-extension.schema.json',
  keywords: [
    ['x-message', 'string'],
    ['x-missing', 'object'],
  ],
  exports: { extension: '', hardening: '#/definitions/hardening' },
};

export const VALIDATOR_SPECS: readonly ValidatorSpec[] = [LINKAGE_SCHEMA_SPEC, EXTENSION_SPEC];

/** ajv options of every validator here (verbose: errors carry the schema their message comes from). */
export const AJV_OPTIONS: AjvOptions = { allErrors: false, verbose: true, strict: false };

/** Give `ajv` the spec's keywords and `schema`; returns the schema references of the spec's validators. */
export function configureAjv(ajv: Ajv, spec: ValidatorSpec, schema: { $id?: string }): Record<string, string> {
  for (const [keyword, schemaType] of spec.keywords) ajv.addKeyword({ keyword, schemaType });
  const id = schema.$id ?? spec.name;
  ajv.addSchema(schema, id);
  return Object.fromEntries(Object.entries(spec.exports).map(([k, pointer]) => [k, `${id}${pointer}`]));
}

/** The spec's validators for the schema file's bytes `schemaText`: the build's when they match it, else compiled with ajv now. */
export function specValidators(spec: ValidatorSpec, schemaText: Buffer): Record<string, ValidateFunction> {
  const built = precompiledValidators(spec.name, schemaText);
  if (built !== undefined) return built;
  const ajv = newAjv(AJV_OPTIONS);
  const refs = configureAjv(ajv, spec, JSON.parse(schemaText.toString('utf8')) as { $id?: string });
  const out: Record<string, ValidateFunction> = {};
  for (const [k, ref] of Object.entries(refs)) {
    const v = ajv.getSchema(ref);
    if (v === undefined) throw new Error(`${spec.file}: no schema at ${ref}`);
    out[k] = v;
  }
  return out;
}

/** The compiled validators of `name` (export name -> validator) when they match `schemaText`; else undefined. */
export function precompiledValidators(name: string, schemaText: Buffer | string): Record<string, ValidateFunction> | undefined {
  if (process.env.P20LINK_PRECOMPILED === '0') return undefined;
  const file = builtFile(import.meta.url, `./validators/${name}.cjs`);
  if (file === undefined) return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = require(file) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (mod.schemaSha256 !== createHash('sha256').update(schemaText).digest('hex')) return undefined;
  const out: Record<string, ValidateFunction> = {};
  for (const [k, v] of Object.entries(mod)) if (typeof v === 'function') out[k] = v as ValidateFunction;
  return out;
}
