import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** An example agency's settings (examples/agencies/<party>.json): its id column and the schema features' columns in its extract. */
export function agencySettings(party: string): { idColumn: string; map: Record<string, string> } {
  return JSON.parse(readFileSync(resolve(import.meta.dirname, '..', '..', 'examples/agencies', `${party}.json`), 'utf8')) as { idColumn: string; map: Record<string, string> };
}
