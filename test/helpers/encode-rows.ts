import { resolve } from 'node:path';
import { encodeFile, type EncodeOptions } from '../../src/encode/pipeline.js';
import { openEncoded } from '../../src/format/encoded-file.js';
import { collectBatches } from './batches.js';

/** The default schema (hardened, with evidence filters), a secret in the `secret new` format, and a pinned creation time. */
export const DEFAULT_SCHEMA = resolve(import.meta.dirname, '..', '..', 'protocols/schemas/p20w-person.json');
export const SECRET_TEXT = 'q3Jx0kPz8VfL2mN7tR5wY1bC4dE6gH9jK0lM2nO4pQs';
export const SECRET = new TextEncoder().encode(SECRET_TEXT);
export const CREATED_AT = new Date('2026-06-15T12:00:00Z');

/**
 * Encode `input` to `output` (party k12, main thread, the default schema
 * unless `extra` says otherwise) and read it back: each record as one
 * string of its id, CLK, evidence filters and presence byte (to compare two
 * encodings record for record), the summary and the header.
 */
export async function encodeRows(input: string, output: string, extra: Partial<EncodeOptions> = {}) {
  const summary = await encodeFile({ input, output, schema: DEFAULT_SCHEMA, secret: SECRET, party: 'k12', workers: 0, createdAt: CREATED_AT, ...extra });
  const r = await openEncoded(output);
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  const rows = (await collectBatches(r.batches)).map((x) => `${x.id} ${b64(x.clk)} ${(x.evidence ?? []).map(b64).join(' ')} ${x.presence}`);
  return { rows, summary, header: r.header };
}
