import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Worker threads need plain JavaScript. In the built package a worker module
 * sits beside its caller as `.js`. When the caller runs from TypeScript source
 * (vitest), map `<root>/src/x/y.ts` to the compiled `<root>/dist/src/x/y.js`;
 * `npm test` builds before testing, so that file exists.
 *
 *   new Worker(workerUrl(import.meta.url, './worker.js'))
 */
export function workerUrl(callerUrl: string, relative: string): URL {
  const found = builtFile(callerUrl, relative);
  if (found !== undefined) return pathToFileURL(found);
  throw new Error(`worker module ${relative} not found beside ${callerUrl}; run \`npm run build\` first`);
}

/**
 * A file the build puts beside the compiled module `callerUrl` (a worker
 * module, a precompiled validator): its path, found the same way from dist/
 * and from the TypeScript sources; undefined when it is not there.
 */
export function builtFile(callerUrl: string, relative: string): string | undefined {
  const directPath = fileURLToPath(new URL(relative, callerUrl));
  if (existsSync(directPath)) return directPath;
  const m = /^(.*)[\\/](src|cli|bench|examples)[\\/](.*)$/.exec(directPath);
  if (m) {
    const compiled = `${m[1]}/dist/${m[2]}/${m[3]}`;
    if (existsSync(compiled)) return compiled;
  }
  return undefined;
}
