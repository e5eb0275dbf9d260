import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * House rules of the tree: one owner per concern, nothing written twice, no
 * references to files that no longer exist.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');

function files(dir: string, exts: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      if (f === 'node_modules' || f === 'fixtures' || f.startsWith('.')) continue;
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (exts.some((e) => f.endsWith(e))) out.push(p);
    }
  };
  walk(join(ROOT, dir));
  return out;
}

const SRC = files('src', ['.ts']).filter((f) => !f.includes('/kernel/assembly/'));
const rel = (f: string) => relative(ROOT, f).replaceAll('\\', '/');
/** Files of src/ whose text matches `re`. */
const where = (re: RegExp, among: readonly string[] = SRC) => among.filter((f) => re.test(readFileSync(f, 'utf8'))).map(rel).sort();

describe('one of each', () => {
  it('finds a definition when there is one (so the checks below can fail)', () => {
    expect(where(/export function canonicalJson\(/)).toHaveLength(1);
  });

  it('one canonicalJson, in src/format/', () => {
    expect(where(/function canonicalJson\(/)).toEqual(['src/format/canonical-json.ts']);
  });

  it('one party-name rule, in src/format/party.ts', () => {
    expect(where(/\[A-Za-z0-9\]\[A-Za-z0-9_\.-\]/)).toEqual(['src/format/party.ts']);
  });

  it('one splitmix32, in src/util/prng.ts', () => {
    expect(where(/0x9e3779b9/)).toEqual(['src/util/prng.ts']);
  });

  it('the secret writer and reader in one file', () => {
    expect(where(/export (async )?function (newSecret|loadSecret)\(/)).toEqual(['src/transfer/secret.ts']);
  });

  it('the pipeline folders exist and the old name is gone', () => {
    const dirs = readdirSync(join(ROOT, 'src'));
    for (const d of ['normalize', 'encode', 'transfer', 'link', 'release', 'report', 'format', 'schema', 'store', 'io']) expect(dirs).toContain(d);
    expect(dirs).not.toContain('package');
    expect(where(/from '[./]*package\//)).toEqual([]);
  });
});

describe('one owner for the store', () => {
  it('every migration is in src/store/migrations.ts', () => {
    expect(where(/const \w+:\s*(readonly )?Migration\[\]\s*=/)).toEqual(['src/store/migrations.ts']);
    expect(where(/CREATE TABLE (?!IF NOT EXISTS schema_migrations)/)).toEqual(['src/store/migrations.ts']);
  });

  it('only src/store/ opens SQLite; link and transfer go through openLinkerStore', () => {
    expect(where(/from 'better-sqlite3'/).filter((f) => !f.startsWith('src/store/'))).toEqual([]);
    expect(where(/openSqliteStore\(|openStore\(/).filter((f) => !f.startsWith('src/store/'))).toEqual([]);
    // link-files opens the run's store; the registry's lookup worker is a second, read-only reader of that store in its own thread
    expect(where(/openLinkerStore\(/, SRC.filter((f) => rel(f).startsWith('src/link/')))).toEqual(['src/link/link-files.ts', 'src/link/registry/lookup-worker.ts']);
  });

  it('the store depends on neither link nor transfer', () => {
    const store = SRC.filter((f) => rel(f).startsWith('src/store/'));
    expect(where(/from '\.\.\/(link|transfer|encode)\//, store)).toEqual([]);
  });
});

describe('transfer: record framing has one owner', () => {
  it('unpack-file.ts neither parses record prefixes nor runs AES-GCM itself (envelope.ts does)', () => {
    const text = readFileSync(join(ROOT, 'src/transfer/unpack-file.ts'), 'utf8');
    expect(text).not.toMatch(/readUInt32BE\(1\)|createDecipheriv|setAuthTag|nonceFor\(|aadFor\(/);
    const env = readFileSync(join(ROOT, 'src/transfer/envelope.ts'), 'utf8');
    expect(env).toMatch(/export function parseRecordPrefix/);
  });

  it('the unpack orchestrator reads at a glance (under 40 lines)', () => {
    const text = readFileSync(join(ROOT, 'src/transfer/unpack-file.ts'), 'utf8');
    const start = text.indexOf('async function unpackInner(');
    expect(start).toBeGreaterThan(0);
    const end = text.indexOf('\n}\n', start);
    expect(text.slice(start, end).split('\n').length).toBeLessThan(40);
  });
});

describe('hygiene', () => {
  const stale = ['.readme' + '/', 'candidates' + '.ts', 'encode.worker' + '.js'];
  it.each(stale)('no reference to the removed %s in src/, cli/, test/, protocols/', (s) => {
    const all = [...SRC, ...files('cli', ['.ts']), ...files('test', ['.ts', '.mjs']), ...files('protocols', ['.md', '.json'])];
    expect(all.filter((f) => readFileSync(f, 'utf8').includes(s)).map(rel)).toEqual([]);
  });
});
