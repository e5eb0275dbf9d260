/**
 * Shared plumbing for JSON documents the user hands us (kcheck spec, table
 * spec, linkage schema): read + parse with a P20Error naming the file, and a
 * lazily compiled ajv validator whose first error names the dotted JSON path.
 */
import { readFile } from 'node:fs/promises';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { newAjv } from './lazy-deps.js';
import { type ErrorCode, P20Error, fsError, isEnvironmentError } from '../errors.js';

export interface ReadJsonOptions {
  /** Error code when the text is not JSON (and, without `readCode`, when the file cannot be read). */
  code: ErrorCode;
  /** Error code when the file cannot be read (default: `code`). */
  readCode?: ErrorCode;
  /** Drop a leading UTF-8 byte-order mark before parsing (default false). */
  stripBom?: boolean;
}

/**
 * Read and parse a JSON file. `what` names the document in messages
 * ("cannot read WHAT: ENOENT", "WHAT is not valid JSON: ..."); without it
 * the messages are just "cannot read: ..." and "not valid JSON: ...".
 */
export async function readJsonFile(path: string, what: string | undefined, opts: ReadJsonOptions): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const action = `cannot read${what ? ` ${what}` : ''}`;
    // environment trouble (permissions, I/O, too long a name...) is exit 3 in plain words, like every file error
    if (isEnvironmentError(e)) throw fsError(e, path, action);
    // a missing or unreadable input is bad input (exit 2); the message keeps its errno name, which callers' users grep for
    const reason = (e as NodeJS.ErrnoException).code ?? 'operating-system error';
    throw new P20Error(opts.readCode ?? opts.code, `${action}: ${reason}`, { file: path });
  }
  if (opts.stripBom && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new P20Error(opts.code, `${what ? `${what} is ` : ''}not valid JSON: ${(e as Error).message}`, { file: path });
  }
}

/** A validator for `schema`, compiled on first use. */
export function lazyValidator(schema: object): () => ValidateFunction {
  let validator: ValidateFunction | undefined;
  return () => (validator ??= newAjv({ allErrors: false, strict: false }).compile(schema));
}

/**
 * The first ajv error as a dotted field path ("dimensions.0.column";
 * "(spec)" for the document itself) and a short message.
 */
export function firstAjvError(errors: readonly ErrorObject[] | null | undefined): { field: string; message: string } {
  const e = errors?.[0];
  if (!e) return { field: '(spec)', message: 'is invalid' };
  const field = e.instancePath === '' ? '(spec)' : e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const params = e.params as { additionalProperty?: string; allowedValues?: unknown; allowedValue?: unknown };
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') message = `unknown property "${String(params.additionalProperty)}"`;
  if (e.keyword === 'enum') message = `must be one of ${JSON.stringify(params.allowedValues)}`;
  if (e.keyword === 'const') message = `must be ${JSON.stringify(params.allowedValue)}`;
  return { field, message };
}
