/**
 * The structural pass over a linkage schema's "p20link" extension: the JSON
 * Schema protocols/p20link-extension.schema.json, run with ajv. The first
 * error becomes a SCHEMA_EXTENSION refusal naming the file and the dotted
 * JSON path ("p20link.blocking.by.transform", "p20link.passThrough[0]"), with
 * the message the schema gives for the failing object:
 *
 *   x-message  on a subschema: the message when that subschema fails;
 *   x-missing  {key: message} beside "required": the message (at the key's
 *              path) when that key is absent; without it a missing key is
 *              reported with the enclosing object's x-message, at its path;
 *   additionalProperties: false  is reported as "unknown key (allowed: ...)",
 *              listing the subschema's properties in order.
 *
 * What a JSON Schema cannot say (references to the schema's features and
 * blocking keys, normalization step arguments, dates that exist, hardening
 * lengths that depend on the CLK length) is checked afterwards in
 * src/schema/extension.ts and src/schema/hardening.ts.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { EXTENSION_SPEC, specValidators } from './precompiled.js';
import { P20Error } from '../errors.js';
import { findProtocolFile } from './linkage-schema.js';

/** The extension's JSON Schema, relative to the package root. */
export const EXTENSION_JSON_SCHEMA_FILE = EXTENSION_SPEC.file;

/** Which part of the extension to validate: the whole object, or its `hardening` section alone. */
export type ExtensionPart = 'extension' | 'hardening';

const PREFIX: Record<ExtensionPart, string> = { extension: 'p20link', hardening: 'p20link.hardening' };

let validators: Record<string, ValidateFunction> | undefined;

function validatorFor(part: ExtensionPart): ValidateFunction {
  validators ??= specValidators(EXTENSION_SPEC, readFileSync(findProtocolFile(EXTENSION_JSON_SCHEMA_FILE)));
  const v = validators[part];
  if (v === undefined) throw new Error(`${EXTENSION_JSON_SCHEMA_FILE}: no schema for ${part}`);
  return v;
}

/**
 * Validate `raw` (the "p20link" object, or its "hardening" section) against
 * the JSON Schema; throws SCHEMA_EXTENSION (exit 2) at the first error.
 */
export function checkExtensionJson(raw: unknown, source: string, part: ExtensionPart): void {
  const validate = validatorFor(part);
  if (validate(raw)) return;
  const { pointer, message } = describe(validate.errors ?? []);
  throw new P20Error('SCHEMA_EXTENSION', message, { file: source, field: dottedPath(raw, pointer, PREFIX[part]) });
}

type SchemaObj = Record<string, unknown>;
const isObj = (v: unknown): v is SchemaObj => typeof v === 'object' && v !== null && !Array.isArray(v);

const escapePointer = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** The first error ajv reports that the schema gives a message for (errors of composite keywords follow their branches' errors). */
function describe(errors: readonly ErrorObject[]): { pointer: string; message: string } {
  for (const e of errors) {
    const parent = isObj(e.parentSchema) ? e.parentSchema : {};
    const params = e.params as Record<string, unknown>;
    const own = typeof parent['x-message'] === 'string' ? (parent['x-message'] as string) : undefined;
    let at = e.instancePath;
    if (typeof e.propertyName === 'string') at = `${at}/${escapePointer(e.propertyName)}`;
    if (e.keyword === 'additionalProperties') {
      const key = String(params.additionalProperty);
      const allowed = isObj(parent.properties) ? Object.keys(parent.properties).join(', ') : 'none';
      return { pointer: `${at}/${escapePointer(key)}`, message: `unknown key (allowed: ${allowed})` };
    }
    if (e.keyword === 'required') {
      const key = String(params.missingProperty);
      const missing = isObj(parent['x-missing']) ? parent['x-missing'][key] : undefined;
      if (typeof missing === 'string') return { pointer: `${at}/${escapePointer(key)}`, message: missing };
      if (own !== undefined) return { pointer: at, message: own };
      continue;
    }
    if (own !== undefined) return { pointer: at, message: own };
  }
  // every subschema that can fail carries a message; this is the fallback for one that does not
  const e = errors[0];
  return { pointer: e?.instancePath ?? '', message: e?.message ?? 'is invalid' };
}

/** A JSON pointer into `root` as the dotted path of today's messages: object keys after ".", array indexes in brackets. */
function dottedPath(root: unknown, pointer: string, prefix: string): string {
  let out = prefix;
  let node: unknown = root;
  if (pointer === '') return out;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out += `[${seg}]`;
      node = node[Number(seg)];
    } else {
      out += `.${seg}`;
      node = isObj(node) ? node[seg] : undefined;
    }
  }
  return out;
}
