/**
 * Bundle the compiled CLI (dist/cli/main.js and every project module it
 * imports) into dist/cli/p20link.mjs, which bin/p20link.js runs, plus one
 * chunk file per command (dist/cli/p20link-chunk-*.mjs), loaded only when
 * that command runs.
 *
 * Why: Node 20 loads an ES module graph file by file; the CLI's ~200 modules
 * cost about a quarter of a second of every command's start-up, which is most
 * of a small run (FEBRL 5,000 x 5,000 links in well under a second). One file
 * loads in a fraction of that, and a command's chunk holds only the code that
 * command can reach (cli/commands/index.ts imports each command on demand).
 *
 * Packages under node_modules:
 *  - INLINE (pure JavaScript, needed by most commands: yargs and its
 *    dependencies, @noble/hashes) are bundled too: their ~40 files otherwise
 *    cost more start-up than the whole project;
 *    (string-width, which only help output calls, is evaluated on first call:
 *    DEFERRED);
 *  - LAZY (better-sqlite3's native addon, the HiGHS WebAssembly solver) stay
 *    external but are loaded on first use, through a small stand-in module,
 *    instead of at start-up (a link run without --store needs neither);
 *  - every other package stays external (loaded as usual; ajv and node-forge
 *    are already loaded on first use by src/util/lazy-deps.ts).
 *
 * Every `import.meta.url` of an inlined project module is rewritten to that
 * module's own location in dist/ (relative to the bundle), so files found from
 * a module's location (worker threads, the native kernel, protocols/, the
 * package's version) resolve exactly as from the unbundled modules, which
 * stay in dist/ beside the bundle (worker threads load them). In an inlined
 * package's module it is rewritten to where Node finds that module at run
 * time (import.meta.resolve of the package: an installed p20link's
 * dependencies may sit in the application's node_modules, not its own), so
 * yargs still finds its locales.
 *
 * Without esbuild (an install without dev dependencies) the bundle is removed
 * and bin/p20link.js runs dist/cli/main.js instead: same behaviour, slower
 * start.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
const outDir = join(root, 'dist', 'cli');
const outfile = join(outDir, 'p20link.mjs');
/** Chunk files: `p20link-chunk-<hash>.mjs` beside the bundle (the import.meta.url rewrite assumes one folder). */
const CHUNK_PREFIX = 'p20link-chunk-';

/** Packages bundled into the CLI (with everything they import). */
export const INLINE = ['yargs', '@noble/hashes'];
/** Packages loaded on first use through a stand-in: name -> the stand-in's source (`REQ` = a require() from the package's importer). */
export const LAZY = {
  // a CommonJS class: `new Database(...)`, and its statics, reach the real one
  'better-sqlite3': `let real;
const load = () => (real ??= REQ('better-sqlite3'));
export default new Proxy(function Database() {}, {
  construct: (_t, args) => new (load())(...args),
  apply: (_t, self, args) => Reflect.apply(load(), self, args),
  get: (_t, p) => load()[p],
  has: (_t, p) => p in load(),
});
`,
  // a loader returning a promise: the ES module build, as a static import would give
  highs: `export default (...args) => import('highs').then((m) => (m.default ?? m)(...args));
`,
};
/**
 * Inlined packages whose module set-up is costly and which a run that prints
 * no help never calls: bundled, but evaluated on first call (the stand-in's
 * require() of the package; esbuild defers a required module's evaluation).
 * string-width builds ICU emoji sets and an Intl.Segmenter when loaded (about
 * 5% of a FEBRL link); only yargs' help layout measures text with it.
 * name -> the stand-in's source (`SPEC` = the package as its importer names it).
 */
export const DEFERRED = {
  'string-width': `let f;
export default function stringWidth(...args) {
  f ??= require(SPEC).default;
  return f(...args);
}
`,
};
/**
 * Inlined transitive dependencies that use import.meta.url only in ways where
 * the bundle's own location serves as well (yargs-parser: a require() of
 * absolute config paths). Any other use in a transitive dependency fails the
 * build, so that no file lookup silently moves.
 */
const LOCATION_FREE = new Set(['yargs-parser']);

for (const f of existsSync(outDir) ? readdirSync(outDir) : []) {
  if (f === 'p20link.mjs' || (f.startsWith(CHUNK_PREFIX) && f.endsWith('.mjs'))) rmSync(join(outDir, f), { force: true }); // never leave a bundle older than dist/
}
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

/** Package name of a bare specifier ("@noble/hashes/sha2.js" -> "@noble/hashes"). */
const packageOf = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const nodeModules = `${sep}node_modules${sep}`;

/** The package a file under node_modules belongs to, and the file's path inside it. */
function packagePath(file) {
  const at = file.lastIndexOf(nodeModules);
  const rest = file.slice(at + nodeModules.length).split(sep);
  const n = rest[0].startsWith('@') ? 2 : 1;
  return { name: rest.slice(0, n).join('/'), dir: file.slice(0, at + nodeModules.length) + rest.slice(0, n).join(sep), inside: rest.slice(n).join('/') };
}

/** What the packages' main entries resolve to at build time (their import.meta.url is rebuilt from the run-time one). */
const entryOf = new Map();

const distSrc = join(root, 'dist', 'src') + sep;
const barrel = join(distSrc, 'index.js');

/**
 * Where each name the library's index (dist/src/index.js) exports is defined:
 * name -> [module, its name there], following the index's `export { … } from`
 * lists through the folder indexes (src/link/index.ts, …). A name that comes
 * through `export *` keeps the folder index as its module.
 */
function exportOrigins() {
  const origins = new Map();
  const lists = (file) => [...readFileSync(file, 'utf8').matchAll(/export\s*\{([^}]*)\}\s*from\s*'([^']+)'/g)];
  const follow = (file, name, depth) => {
    if (depth > 8 || !file.endsWith(`${sep}index.js`)) return [file, name];
    for (const [, names, from] of lists(file)) {
      for (const item of names.split(',').map((x) => x.trim()).filter(Boolean)) {
        const [orig, as = orig] = item.split(/\s+as\s+/);
        if (as === name) return follow(join(dirname(file), from), orig, depth + 1);
      }
    }
    return [file, name];
  };
  for (const [, names, from] of lists(barrel)) {
    for (const item of names.split(',').map((x) => x.trim()).filter(Boolean)) {
      const [orig, as = orig] = item.split(/\s+as\s+/);
      origins.set(as, follow(join(distSrc, from), orig, 0));
    }
  }
  return origins;
}

/**
 * The command line imports the library through its index (a rule of the
 * sources: test/public-api/surface.test.ts). In the bundle every such import
 * is rewritten to the modules that define the names, so that a command's
 * chunk holds the modules that command reaches, not the whole library (the
 * index re-exports everything: through it, every module would be shared by
 * every command). Same bindings, same modules; only fewer of them loaded.
 */
function directImports(text, file) {
  const origins = exportOrigins();
  return text.replace(/import\s*\{([^}]*)\}\s*from\s*(['"])([^'"]*\/src\/index\.js)\2;?/g, (whole, names, _q, spec) => {
    if (join(dirname(file), spec) !== barrel) return whole;
    const byModule = new Map();
    for (const item of names.split(',').map((x) => x.trim()).filter(Boolean)) {
      const [name, local = name] = item.split(/\s+as\s+/);
      const [module, orig] = origins.get(name) ?? [barrel, name];
      if (!byModule.has(module)) byModule.set(module, []);
      byModule.get(module).push(orig === local ? orig : `${orig} as ${local}`);
    }
    return [...byModule].map(([module, items]) => `import { ${items.join(', ')} } from ${JSON.stringify(module)};`).join('\n');
  });
}

const packages = {
  name: 'p20link-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.pluginData?.skip) return undefined;
      if (args.namespace === 'lazy') return { path: args.path, external: true }; // the stand-in's own import of the package
      if (args.namespace === 'deferred') return undefined; // the stand-in's require(): bundled as usual
      const name = packageOf(args.path);
      if (Object.hasOwn(DEFERRED, name) && args.importer.includes(nodeModules)) {
        return { path: `${args.path}@${args.resolveDir}`, namespace: 'deferred', pluginData: { spec: args.path, name, resolveDir: args.resolveDir } };
      }
      if (Object.hasOwn(LAZY, name)) return { path: name, namespace: 'lazy', pluginData: { importer: args.importer } };
      // project modules inline only INLINE packages; inside an inlined package, everything it imports is inlined
      const fromPackage = args.importer.includes(nodeModules);
      if (!fromPackage && !INLINE.includes(name)) return { path: args.path, external: true };
      if (!fromPackage && !entryOf.has(name)) {
        const r = await build.resolve(name, { kind: 'import-statement', resolveDir: args.resolveDir, pluginData: { skip: true } });
        if (r.errors.length === 0) entryOf.set(name, r.path);
      }
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
      const rel = relative(outDir, args.pluginData.importer).split(sep).join('/');
      const head = `import { createRequire } from 'node:module';\nconst REQ = createRequire(new URL(${JSON.stringify(rel)}, import.meta.url));\n`;
      return { contents: head + LAZY[args.path], loader: 'js', resolveDir: outDir };
    });
    build.onLoad({ filter: /.*/, namespace: 'deferred' }, (args) => {
      const { spec, name, resolveDir } = args.pluginData;
      return { contents: DEFERRED[name].replace('SPEC', JSON.stringify(spec)), loader: 'js', resolveDir };
    });
    build.onLoad({ filter: /\.(m?js|cjs)$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      if (args.path.startsWith(join(outDir, sep)) && text.includes('/src/index.js')) text = directImports(text, args.path);
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
      let url;
      if (!args.path.includes(nodeModules)) {
        const rel = relative(outDir, args.path).split(sep).join('/');
        url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      } else {
        const pkg = packagePath(args.path);
        const main = entryOf.get(pkg.name);
        if (main !== undefined && main.startsWith(pkg.dir + sep)) {
          const rel = relative(dirname(main), args.path).split(sep).join('/');
          url = `new URL(${JSON.stringify(rel)}, import.meta.resolve(${JSON.stringify(pkg.name)})).href`;
        } else if (LOCATION_FREE.has(pkg.name)) {
          url = 'import.meta.url';
        } else {
          throw new Error(`${pkg.name}/${pkg.inside} uses import.meta.url: add ${pkg.name} to INLINE or LOCATION_FREE after checking how`);
        }
      }
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};

await esbuild.build({
  entryPoints: { p20link: entry },
  outdir: outDir,
  outExtension: { '.js': '.mjs' },
  chunkNames: `${CHUNK_PREFIX}[hash]`,
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [packages],
  legalComments: 'none',
  logLevel: 'warning',
});
// an inlined CommonJS module calling require() would fail at run time (an ES module has none): refuse such a bundle
for (const f of readdirSync(outDir).filter((x) => x === 'p20link.mjs' || x.startsWith(CHUNK_PREFIX))) {
  if (readFileSync(join(outDir, f), 'utf8').includes('Dynamic require of')) {
    process.stderr.write(`build-bundle: ${f} calls require() from an inlined CommonJS module; keep that package external\n`);
    process.exit(70);
  }
}
if (!existsSync(outfile)) {
  process.stderr.write('build-bundle: esbuild wrote no dist/cli/p20link.mjs\n');
  process.exit(70);
}
