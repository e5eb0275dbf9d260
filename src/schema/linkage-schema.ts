/**
 * Reads a linkage schema (clkhash linkage schema version 3) and turns it into
 * the typed LinkageSchema the CLK encoder uses.
 *
 * Two layers of checking, both failing closed with a P20Error that names the
 * file, the JSON path (e.g. "/features/2/hashing/strategy") and what was
 * expected:
 *  1. structure: the JSON Schema protocols/linkage-schema-v3.schema.json (ajv);
 *  2. meaning: things a JSON Schema cannot say but clkhash 0.18.3 would refuse
 *     or get wrong (regular expressions and date formats that do not compile,
 *     blakeHash on a filter length that is not a power of two, BLAKE2b keys
 *     longer than 64 bytes, HKDF output too long, duplicate identifiers...).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LINKAGE_SCHEMA_SPEC, specValidators } from './precompiled.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { P20Error } from '../errors.js';
import { readJsonFile } from '../util/json-spec.js';
import { canonicalJson } from '../format/canonical-json.js';
import { compileStrptime, StrptimeFormatError } from './strptime.js';
import { compilePythonPattern } from './pattern.js';
import type {
  ClkConfig,
  Comparison,
  Feature,
  FeatureFormat,
  HashFunction,
  Hashing,
  LinkageSchema,
  Strategy,
} from './types.js';

export type * from './types.js';

/** Error code of every schema refusal. */
export const E_SCHEMA = 'E_SCHEMA';

/**
 * Resource bounds checked when a schema is loaded (protocols/linkage-schema.md,
 * "Resource limits"). clkhash accepts any positive value; p20link refuses
 * values that would exhaust memory or time, or that fill the filter with
 * ones (a CLK of all ones matches everything). Every clkhash known-answer
 * vector lies inside them.
 */
export const SCHEMA_LIMITS = {
  /** clkConfig.l: CLK length in bits after folding (any integer in range; clkhash allows l not a multiple of 8). */
  minL: 64,
  maxL: 8192,
  /** l x 2^xor_folds: bits hashed into before folding. */
  maxUnfolded: 65536,
  /** strategy.bitsPerToken (k). */
  maxBitsPerToken: 128,
  /** strategy.bitsPerFeature (also at most l x 2^xor_folds). */
  maxBitsPerFeature: 4096,
  /** numeric comparison: 2 x resolution + 1 tokens per value. */
  maxResolution: 64,
} as const;


/** Find protocols/ by walking up from this module (works from src/ and from dist/src/). */
export function findProtocolFile(rel: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, rel);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find ${rel} above ${fileURLToPath(import.meta.url)}`);
}

let validator: ValidateFunction | undefined;
function getValidator(): ValidateFunction {
  validator ??= specValidators(LINKAGE_SCHEMA_SPEC, readFileSync(findProtocolFile(LINKAGE_SCHEMA_SPEC.file))).validate!;
  return validator;
}

function fail(source: string, path: string, message: string): never {
  throw new P20Error(E_SCHEMA, `invalid linkage schema: ${message}`, {
    file: source,
    field: path || '/',
  });
}

function describeAjvError(e: ErrorObject): { path: string; message: string } {
  let path = e.instancePath;
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  const expected = parent && typeof parent['x-expected'] === 'string' ? (parent['x-expected'] as string) : undefined;
  const params = e.params as Record<string, unknown>;
  let detail: string;
  switch (e.keyword) {
    case 'required':
      path = `${path}/${String(params.missingProperty)}`;
      return { path, message: `missing required key "${String(params.missingProperty)}"${expected ? `; expected ${expected}` : ''}` };
    case 'additionalProperties':
      path = `${path}/${String(params.additionalProperty)}`;
      return { path, message: `unknown key "${String(params.additionalProperty)}"${expected ? `; expected ${expected}` : ''}` };
    case 'not': {
      const where = path.split('/');
      return { path, message: `key "${where[where.length - 1]}" is not allowed here${expected ? `; expected ${expected}` : ''}` };
    }
    case 'type':
      detail = `found ${jsonTypeOf(e.data)}`;
      break;
    default:
      detail = `found ${shortJson(e.data)}`;
  }
  return { path, message: `expected ${expected ?? (e.message ?? 'a different value')} (${detail})` };
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${shortJson(v)}`;
}

function shortJson(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Validate a parsed JSON document as a linkage schema and return its typed form.
 * `source` names the file in error messages.
 */
export function parseLinkageSchema(json: unknown, source: string): LinkageSchema {
  const validate = getValidator();
  if (!validate(json)) {
    const first = validate.errors?.[0];
    if (first === undefined) fail(source, '', 'does not match the linkage schema v3 format');
    const { path, message } = describeAjvError(first);
    fail(source, path, message);
  }
  const doc = json as Record<string, any>;
  const featuresIn = doc.features as Record<string, any>[];
  const clkConfig = parseClkConfig(doc.clkConfig, source);
  const features: Feature[] = [];
  const seen = new Map<string, number>();
  featuresIn.forEach((f, i) => {
    const at = `/features/${i}`;
    const identifier = f.identifier as string;
    const prev = seen.get(identifier);
    if (prev !== undefined) {
      fail(source, `${at}/identifier`, `expected a unique identifier; "${identifier}" is already used by /features/${prev}`);
    }
    seen.set(identifier, i);
    const description = typeof f.description === 'string' ? f.description : undefined;
    if (f.ignored === true) {
      features.push({ identifier, ignored: true, ...(description !== undefined ? { description } : {}) });
      return;
    }
    const format = parseFormat(f.format, source, `${at}/format`);
    const hashing = parseHashing(f.hashing, clkConfig, source, `${at}/hashing`);
    features.push({ identifier, ignored: false, ...(description !== undefined ? { description } : {}), format, hashing });
  });

  // HKDF can produce at most 255 hash blocks.
  const hashLen = clkConfig.kdf.hash === 'SHA256' ? 32 : 64;
  const need = 2 * features.length * clkConfig.kdf.keySize;
  if (need > 255 * hashLen) {
    fail(
      source,
      '/clkConfig/kdf/keySize',
      `expected 2 x ${features.length} features x keySize ${clkConfig.kdf.keySize} = ${need} bytes to be at most ${255 * hashLen} (HKDF-${clkConfig.kdf.hash} output limit); use a smaller keySize or SHA512`,
    );
  }

  const schema: LinkageSchema = { version: 3, features, clkConfig, source, raw: json };
  if (doc.p20link !== undefined) schema.p20link = doc.p20link as Record<string, unknown>;
  return schema;
}

function parseClkConfig(c: Record<string, any>, source: string): ClkConfig {
  const kdf = c.kdf as Record<string, any>;
  const xorFolds = typeof c.xor_folds === 'number' ? c.xor_folds : 0;
  const l = c.l as number;
  if (l < SCHEMA_LIMITS.minL || l > SCHEMA_LIMITS.maxL) {
    fail(source, '/clkConfig/l', `expected a CLK length from ${SCHEMA_LIMITS.minL} to ${SCHEMA_LIMITS.maxL} bits (found ${l})`);
  }
  if (l * 2 ** xorFolds > SCHEMA_LIMITS.maxUnfolded) {
    fail(source, '/clkConfig/xor_folds', `expected l x 2^xor_folds to be at most ${SCHEMA_LIMITS.maxUnfolded} bits (found ${l} x 2^${xorFolds})`);
  }
  return {
    l,
    xorFolds,
    kdf: {
      type: 'HKDF',
      hash: kdf.hash === 'SHA512' ? 'SHA512' : 'SHA256',
      salt: typeof kdf.salt === 'string' ? new Uint8Array(Buffer.from(kdf.salt, 'base64')) : new Uint8Array(0),
      info: typeof kdf.info === 'string' ? new Uint8Array(Buffer.from(kdf.info, 'base64')) : new Uint8Array(0),
      keySize: typeof kdf.keySize === 'number' ? kdf.keySize : 64,
    },
  };
}

function parseFormat(f: Record<string, any>, source: string, at: string): FeatureFormat {
  const description = typeof f.description === 'string' ? { description: f.description as string } : {};
  switch (f.type as string) {
    case 'string': {
      const out: FeatureFormat = {
        type: 'string',
        encoding: (f.encoding as 'ascii' | 'utf-8' | 'utf-16' | 'utf-32' | undefined) ?? 'utf-8',
        case: (f.case as 'upper' | 'lower' | 'mixed' | undefined) ?? 'mixed',
        ...description,
      };
      if (typeof f.minLength === 'number') out.minLength = f.minLength;
      if (typeof f.maxLength === 'number') out.maxLength = f.maxLength;
      if (typeof f.pattern === 'string') {
        try {
          compilePythonPattern(f.pattern);
        } catch (e) {
          fail(source, `${at}/pattern`, `expected a regular expression that compiles (${(e as Error).message})`);
        }
        out.pattern = f.pattern;
      }
      return out;
    }
    case 'integer': {
      const out: FeatureFormat = { type: 'integer', ...description };
      if (typeof f.minimum === 'number') out.minimum = f.minimum;
      if (typeof f.maximum === 'number') out.maximum = f.maximum;
      return out;
    }
    case 'date': {
      try {
        compileStrptime(f.format as string);
      } catch (e) {
        if (e instanceof StrptimeFormatError) fail(source, `${at}/format`, `expected a supported strptime format: ${e.message}`);
        throw e;
      }
      return { type: 'date', format: f.format as string, ...description };
    }
    case 'enum':
      return { type: 'enum', values: [...(f.values as string[])], ...description };
    default:
      return fail(source, `${at}/type`, 'expected one of "string", "integer", "date", "enum"');
  }
}

function parseHashing(
  h: Record<string, any>,
  clk: ClkConfig,
  source: string,
  at: string,
): Hashing {
  const c = h.comparison as Record<string, any>;
  let comparison: Comparison;
  if (c.type === 'ngram') {
    comparison = { type: 'ngram', n: c.n as number, positional: c.positional === true };
  } else if (c.type === 'exact') {
    comparison = { type: 'exact' };
  } else {
    const fp = typeof c.fractional_precision === 'number' ? (c.fractional_precision as number) : 0;
    const td = c.thresholdDistance as number;
    if (!Number.isInteger(td * 10 ** fp)) {
      fail(
        source,
        `${at}/comparison/thresholdDistance`,
        `expected thresholdDistance x 10^fractional_precision to be a whole number (found ${td} x 10^${fp})`,
      );
    }
    if ((c.resolution as number) > SCHEMA_LIMITS.maxResolution) {
      fail(source, `${at}/comparison/resolution`, `expected a resolution of at most ${SCHEMA_LIMITS.maxResolution} (found ${c.resolution as number}; each value hashes 2 x resolution + 1 tokens)`);
    }
    comparison = { type: 'numeric', thresholdDistance: td, resolution: c.resolution as number, fractionalPrecision: fp };
  }
  const s = h.strategy as Record<string, number>;
  const strategy: Strategy =
    s.bitsPerToken !== undefined
      ? { type: 'bitsPerToken', bitsPerToken: s.bitsPerToken }
      : { type: 'bitsPerFeature', bitsPerFeature: s.bitsPerFeature! };
  const unfolded = clk.l * 2 ** clk.xorFolds;
  if (strategy.type === 'bitsPerToken' && strategy.bitsPerToken > SCHEMA_LIMITS.maxBitsPerToken) {
    fail(source, `${at}/strategy/bitsPerToken`, `expected at most ${SCHEMA_LIMITS.maxBitsPerToken} bits per token (found ${strategy.bitsPerToken})`);
  }
  if (strategy.type === 'bitsPerFeature' && strategy.bitsPerFeature > Math.min(SCHEMA_LIMITS.maxBitsPerFeature, unfolded)) {
    fail(
      source,
      `${at}/strategy/bitsPerFeature`,
      `expected at most ${Math.min(SCHEMA_LIMITS.maxBitsPerFeature, unfolded)} bits per feature (${SCHEMA_LIMITS.maxBitsPerFeature}, and no more than the ${unfolded} bits of the filter; found ${strategy.bitsPerFeature})`,
    );
  }
  const hh = h.hash as Record<string, any> | undefined;
  const hash: HashFunction =
    hh?.type === 'doubleHash'
      ? { type: 'doubleHash', preventSingularity: hh.prevent_singularity === true }
      : { type: 'blakeHash' };
  if (hash.type === 'blakeHash') {
    const L = clk.l * 2 ** clk.xorFolds;
    if ((L & (L - 1)) !== 0) {
      fail(
        source,
        `${at}/hash`,
        `expected doubleHash: blakeHash needs l x 2^xor_folds to be a power of two (found ${L})`,
      );
    }
    if (clk.kdf.keySize > 64) {
      fail(source, `${at}/hash`, `expected doubleHash: blakeHash keys are at most 64 bytes (clkConfig.kdf.keySize is ${clk.kdf.keySize})`);
    }
  }
  const out: Hashing = { comparison, strategy, hash };
  const mv = h.missingValue as Record<string, string> | undefined;
  if (mv !== undefined) out.missingValue = { sentinel: mv.sentinel!, replaceWith: mv.replaceWith ?? mv.sentinel! };
  return out;
}

/** Read, parse and validate a linkage schema file. */
export async function loadLinkageSchema(path: string): Promise<LinkageSchema> {
  const json = await readJsonFile(path, 'linkage schema', { code: E_SCHEMA, readCode: 'E_IO', stripBom: true });
  return parseLinkageSchema(json, path);
}

/**
 * "sha256:" + hex SHA-256 of the canonical JSON (src/encode/canonical-json.ts)
 * of the whole schema document as read, the "p20link" extension included.
 * Key order and whitespace do not change it; any value change does.
 */
export function schemaFingerprint(schema: LinkageSchema): string {
  return `sha256:${bytesToHex(sha256(new TextEncoder().encode(canonicalJson(schema.raw))))}`;
}
