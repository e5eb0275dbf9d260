import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encodeFile } from '../../src/encode/index.js';
import { PARTIES } from '../../src/synth/agencies.js';
import { DEFAULT_SCHEMA } from './encode-rows.js';

/** An example agency's settings (examples/agencies/<party>.json): its id column and the schema features' columns in its extract. */
export function agencySettings(party: string): { idColumn: string; map: Record<string, string> } {
  return JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', 'examples/agencies', `${party}.json`), 'utf8')) as { idColumn: string; map: Record<string, string> };
}

/**
 * Encode each example agency's extract (`input(party)`: the bundled
 * example files or generated ones) into `output(party)` with the default
 * schema and the agency's settings, on the main thread. `onBadField:
 * 'missing'` encodes a value that fails normalization as missing (the
 * bundled example files hold a few, as the demo encodes them).
 */
export async function encodeAgencies(input: (party: string) => string, output: (party: string) => string, secret: Uint8Array, opts: { onBadField?: 'row' | 'missing' } = {}): Promise<void> {
  for (const p of PARTIES) {
    const agency = agencySettings(p);
    await encodeFile({ input: input(p), output: output(p), schema: DEFAULT_SCHEMA, secret, party: p, map: agency.map, idColumn: agency.idColumn, workers: 0, ...(opts.onBadField ? { onBadField: opts.onBadField } : {}) });
  }
}
