/**
 * Validators compiled at build time (src/schema/build-validators.mjs) for the
 * JSON Schemas every encode checks, so a run does not spend its first 0.4
 * CPU-s compiling them with ajv. A compiled module is used only when the
 * schema file it was compiled from is byte for byte the one found now (its
 * SHA-256 is recorded in the module); otherwise, or when the build did not
 * make it (an install without dev dependencies), the caller compiles with
 * ajv as before. Either way the same schema decides.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { builtFile } from '../util/worker-url.js';

const require = createRequire(import.meta.url);

/** The compiled validators of `name` (export name -> validator) when they match `schemaText`; else undefined. */
export function precompiledValidators(name: string, schemaText: Buffer | string): Record<string, ValidateFunction> | undefined {
  if (process.env.P20LINK_PRECOMPILED === '0') return undefined; // tests compare both paths
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
