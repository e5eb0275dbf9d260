import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tool name and version written into every file the toolkit produces. The
 * version is read once from the package's own package.json (the one place it
 * is set), found by walking up from this module: `src/` when run from
 * source, `dist/src/` when built, `node_modules/p20link/dist/src/` when
 * installed.
 */
export const TOOL_NAME = 'p20link';

function readOwnVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === TOOL_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    dir = dirname(dir);
  }
  throw new Error('p20link: cannot find its own package.json (the installation is incomplete)');
}

export const TOOL_VERSION = readOwnVersion();
export const TOOL_ID = `${TOOL_NAME} ${TOOL_VERSION}`;
