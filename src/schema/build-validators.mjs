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
 * The options and keywords here must match the run-time fallback's
 * (src/schema/linkage-schema.ts, src/schema/extension-json.ts); the test
 * test/schema/precompiled.test.ts checks both agree on valid and invalid
 * documents.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'dist', 'src', 'schema', 'validators');

/** name, schema file, annotation keywords, exported validators (export name -> schema ref; the file's $id when ref is ''). */
export const SPECS = [
  { name: 'linkage-schema-v3', file: 'protocols/linkage-schema-v3.schema.json', keywords: [['x-expected', 'string']], exports: { validate: '' } },
  {
    name: 'p20link-extension',
    file: 'protocols/p20link-extension.schema.json',
    keywords: [['x-message', 'string'], ['x-missing', 'object']],
    exports: { extension: '', hardening: '#/definitions/hardening' },
  },
];

mkdirSync(outDir, { recursive: true });
for (const spec of SPECS) {
  const text = readFileSync(join(root, spec.file));
  const schema = JSON.parse(text.toString('utf8'));
  const ajv = new Ajv({ allErrors: false, verbose: true, strict: false, code: { source: true } });
  for (const [keyword, schemaType] of spec.keywords) ajv.addKeyword({ keyword, schemaType });
  const id = schema.$id ?? spec.name;
  ajv.addSchema(schema, id);
  const refs = Object.fromEntries(Object.entries(spec.exports).map(([k, ref]) => [k, `${id}${ref}`]));
  const code = standaloneCode.default(ajv, refs);
  const sha = createHash('sha256').update(text).digest('hex');
  const out = join(outDir, `${spec.name}.cjs`);
  writeFileSync(`${out}.tmp`, `${code}\nexports.schemaSha256 = ${JSON.stringify(sha)};\n`);
  renameSync(`${out}.tmp`, out);
}
