import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { reportError } from '../../cli/main.js';
import { P20Error } from '../../src/errors.js';
import { EXIT } from '../../cli/exit-status.js';
import { runCli } from '../helpers/cli.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-enverr-');
afterEach(() => vi.restoreAllMocks());

/** What reportError prints and returns for one error. */
function report(e: unknown): { code: number; err: string } {
  let err = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  const code = reportError(e);
  vi.restoreAllMocks();
  return { code, err };
}

const errno = (code: string, path?: string, syscall = 'write') => Object.assign(new Error(`${code}: raw text, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, ...(path ? { path } : {}) });

describe('the CLI maps environment errors to exit 3 with words, never "internal error" 70', () => {
  it.each([
    ['ENOSPC', 'no space left on device'],
    ['EACCES', 'permission denied'],
    ['EROFS', 'read-only file system'],
    ['ENAMETOOLONG', 'file name too long'],
    ['EMFILE', 'too many open files'],
  ])('a raw %s from Node', (code, words) => {
    const r = report(errno(code, '/srv/results/k12.links.csv'));
    expect(r.code).toBe(EXIT.environment);
    expect(r.err).toBe(`p20link: error: /srv/results/k12.links.csv: cannot write: ${words}\n`);
    expect(report(errno(code, '/srv/in.csv', 'open')).err).toBe(`p20link: error: /srv/in.csv: cannot open: ${words}\n`);
  });

  it('a busy SQLite store (SqliteError SQLITE_BUSY) is exit 3 and says so', () => {
    const e = Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' });
    const r = report(e);
    expect(r.code).toBe(EXIT.environment);
    expect(r.err).toMatch(/^p20link: error: .*in use by another process/);
    expect(r.err).not.toMatch(/internal error|SQLITE_BUSY/);
  });

  it('a P20Error keeps its status; a bug is still an internal error, 70', () => {
    expect(report(new P20Error('CSV_HEADER', 'bad thing', { file: 'f.csv' }))).toEqual({ code: 2, err: 'p20link: error: f.csv: bad thing\n' });
    expect(report(new TypeError('x is undefined'))).toEqual({ code: EXIT.internal, err: 'p20link: internal error: x is undefined\n' });
  });

  it('end to end: an output name too long for the file system exits 3 naming the file', async () => {
    const links = join(dir, 'links');
    mkdirSync(links);
    writeFileSync(join(links, 'a.links.csv'), 'record_id,linkage_id\nr1,L1\n');
    writeFileSync(join(links, 'b.links.csv'), 'record_id,linkage_id\nq1,L1\n');
    const truth = join(dir, 'truth.csv');
    writeFileSync(truth, 'entity_id,party,record_id\nE1,a,r1\nE1,b,q1\n');
    const html = join(dir, `${'q'.repeat(300)}.html`);
    const r = await runCli(['report', 'quality', '--links', links, '--truth', truth, '--html', html]);
    expect(r.code).toBe(EXIT.environment);
    expect(r.err).toContain(`p20link: error: ${html}: cannot write: file name too long`);
    expect(r.err).not.toMatch(/internal error|ENAMETOOLONG/);
  });
});
