import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Module specifiers a TypeScript file imports (static imports and re-exports). */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:import|export)\s[^'";]*?from\s+'([^']+)'/g)].map((m) => m[1]!);
}

describe('the public surface', () => {
  it('finds imports in a sample (so the check below can fail)', () => {
    expect(importsOf("import { a } from '../../src/link/load.js';\nexport { b } from './x.js';")).toEqual(['../../src/link/load.js', './x.js']);
  });

  it('the command line imports the library only through src/index.ts', () => {
    const offenders: string[] = [];
    for (const file of tsFiles(join(ROOT, 'cli'))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (/(^|\/)src\//.test(spec) && !/(^|\/)src\/index\.js$/.test(spec)) offenders.push(`${file.slice(ROOT.length + 1)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('exports one entry point per pipeline stage', () => {
    for (const name of ['encodeFile', 'packageFile', 'unpackFile', 'linkFiles', 'assessEncodings', 'suppressFile', 'auditFile', 'kcheckFile', 'runQualityReport', 'runBiasReport', 'openLinkerStore', 'loadLinkageSchema']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
