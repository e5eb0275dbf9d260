#!/usr/bin/env node
// Thin launcher: the CLI is compiled from TypeScript into dist/ by `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// dist/cli/p20link.mjs is the same CLI bundled into one file (cli/build-bundle.mjs): a faster start.
const bundle = fileURLToPath(new URL('../dist/cli/p20link.mjs', import.meta.url));
const unbundled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const main = existsSync(bundle) ? bundle : unbundled;
if (!existsSync(main)) {
  process.stderr.write('p20link: not built yet. Run `npm run build` in the project folder first.\n');
  process.exit(2);
}
const { main: run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
