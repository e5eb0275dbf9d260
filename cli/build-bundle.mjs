/**
 * Bundle the compiled CLI (dist/cli/main.js and every project module it
 * imports) into one file, dist/cli/p20link.mjs, which bin/p20link.js runs.
 *
 * Why: Node 20 loads an ES module graph file by file; the CLI's ~200 modules
 * cost about a quarter of a second of every command's start-up, which is most
 * of a small run (FEBRL 5,000 x 5,000 links in well under a second). One file
 * loads in a fraction of that. Packages under node_modules stay external
 * (loaded as usual); only the project's own compiled modules are inlined.
 *
 * Every `import.meta.url` of an inlined module is rewritten to that module's
 * own location in dist/ (relative to the bundle), so files found from a
 * module's location (worker threads, the native kernel, protocols/, the
 * package's version) resolve exactly as from the unbundled modules, which
 * stay in dist/ beside the bundle (worker threads load them).
 *
 * Without esbuild (an install without dev dependencies) the bundle is removed
 * and bin/p20link.js runs dist/cli/main.js instead: same behaviour, slower
 * start.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
const outfile = join(root, 'dist', 'cli', 'p20link.mjs');
const outDir = dirname(outfile);

rmSync(outfile, { force: true }); // never leave a bundle older than dist/
if (!existsSync(entry)) {
  process.stderr.write('build-bundle: dist/cli/main.js is missing: run tsc first\n');
  process.exit(2);
}
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write('build-bundle: esbuild not installed; the CLI runs unbundled (slower start-up)\n');
  process.exit(0);
}

const ownLocation = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      const rel = relative(outDir, args.path).split(sep).join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

await esbuild.build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  plugins: [ownLocation],
  legalComments: 'none',
  logLevel: 'warning',
});
