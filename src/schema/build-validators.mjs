/**
 * Build step: compile the JSON Schemas that every encode and schema check
 * validates against into standalone validator modules (ajv's standalone
 * code), dist/src/schema/validators/<name>.cjs.
 *
 * Why: compiling these schemas with ajv at run time cost about 0.4 CPU-s at
 * the start of every encode (a tenth of encoding 100,000 rows). The compiled
 * modules load in milliseconds. Each records the SHA-256 of the schema file
 * it was compiled from; src/schema/precompiled.ts uses it only while that
 * file is unchanged and otherwise compiles with ajv as before, so a stale
 * build can never validate against an old schema.
 *
 * The specs, ajv options and keywords come from src/schema/precompiled.ts,
 * the same the run-time fallback compiles with; the test
 * test/schema/precompiled.test.ts checks both agree on valid and invalid
 * documents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The specs, options and keywords are the run time's own (compiled by tsc just before this step).
const { AJV_OPTIONS, VALIDATOR_SPECS, configureAjv } = await import(pathToFileURL(join(root, 'dist', 'src', 'schema', 'precompiled.js')).href);
const outDir = join(root, 'dist', 'src', 'schema', 'validators');

mkdirSync(outDir, { recursive: true });
for (const spec of VALIDATOR_SPECS) {
  const text = readFileSync(join(root, spec.file));
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const refs = configureAjv(ajv, spec, JSON.parse(text.toString('utf8')));
  const code = standaloneCode.default(ajv, refs);
  const sha = createHash('sha256').update(text).digest('hex');
  const out = join(outDir, `${spec.name}.cjs`);
  writeFileSync(`${out}.tmp`, `${code}\nexports.schemaSha256 = ${JSON.stringify(sha)};\n`);
  renameSync(`${out}.tmp`, out);
}
