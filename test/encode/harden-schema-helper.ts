/** Load a linkage schema from an in-memory document (written to a temp file, then read as the CLI would). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLinkageSchema } from '../../src/schema/linkage-schema.js';

let n = 0;
export async function loadLinkageSchemaFromObject(doc: unknown, dir: string) {
  const p = join(dir, `schema-${n++}.json`);
  writeFileSync(p, JSON.stringify(doc));
  return loadLinkageSchema(p);
}
