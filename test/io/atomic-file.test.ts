import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { P20Error, describeErrno, fsError } from '../../src/errors.js';
import { EXIT, exitStatusOf } from '../../cli/exit-status.js';
import {
  NAME_MAX,
  PUBLIC_FILE_MODE,
  cleanStaleTemps,
  openAtomic,
  parseTempName,
  setStaleTempReporter,
  tempName,
  tempPathFor,
  withAtomicFile,
  writeFileAtomic,
} from '../../src/io/atomic-file.js';
import { abortAll, commitAll, StagedFile } from '../../src/link/output.js';
import { runCli } from '../helpers/cli.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const root = fileTempDir('p20-atomic-');
let n = 0;
/** A new empty directory for one test. */
const fresh = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

const mode = (p: string): number => statSync(p).mode & 0o777;
const temps = (d: string): string[] => readdirSync(d).filter((f) => f.includes('p20link-tmp'));

let restore: ReturnType<typeof setStaleTempReporter> | undefined;
afterEach(() => {
  if (restore) setStaleTempReporter(restore);
  restore = undefined;
});

describe('atomic files: modes', () => {
  it('creates every output 0600 by default (writeFileAtomic, withAtomicFile, openAtomic)', async () => {
    const d = fresh();
    await writeFileAtomic(join(d, 'a.csv'), 'x\n');
    await withAtomicFile(join(d, 'b.csv'), async (f) => f.write('y\n'));
    const f = openAtomic(join(d, 'c.enc'));
    await f.write('z');
    await f.commit();
    for (const x of ['a.csv', 'b.csv', 'c.enc']) expect(mode(join(d, x))).toBe(0o600);
  });

  it('replacing a world-readable file leaves a 0600 file', async () => {
    const d = fresh();
    const p = join(d, 'old.csv');
    writeFileSync(p, 'old\n', { mode: 0o644 });
    expect(mode(p)).toBe(0o644);
    await writeFileAtomic(p, 'new\n');
    expect(mode(p)).toBe(0o600);
  });

  it('makes a public file only when asked (PUBLIC_FILE_MODE)', async () => {
    const d = fresh();
    await writeFileAtomic(join(d, 'table.csv'), 'x\n', PUBLIC_FILE_MODE);
    expect(mode(join(d, 'table.csv'))).toBe(0o644 & ~process.umask());
  });
});

describe('public outputs: the suppressed table', () => {
  it('suppress writes the table meant for publication 0644 and its report 0600', async () => {
    const d = fresh();
    const fix = join(process.cwd(), 'test/fixtures/release/table');
    const out = join(d, 'public.csv');
    const rep = join(d, 'report.json');
    const r = await runCli(['suppress', join(fix, 'hierarchy.csv'), '-o', out, '--spec', join(fix, 'hierarchy.spec.json'), '--report', rep]);
    expect(r.code).toBe(0);
    expect(mode(out)).toBe(0o644 & ~process.umask());
    expect(mode(rep)).toBe(0o600);
  });
});

describe('atomic files: temp names', () => {
  it('a legal 250-byte file name is written (the temp name does not push it over NAME_MAX)', async () => {
    const d = fresh();
    const name = 'n'.repeat(246) + '.csv';
    expect(name.length).toBe(250);
    await writeFileAtomic(join(d, name), 'ok\n');
    expect(readdirSync(d)).toEqual([name]);
  });

  it('temp names never exceed NAME_MAX bytes and are recognised as ours (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 255 }), fc.integer({ min: 1, max: 4_194_304 }), (base, pid) => {
        const clean = base.replace(/[/\0]/g, 'x');
        fc.pre(Buffer.byteLength(clean) <= NAME_MAX);
        const t = tempName(clean, pid);
        expect(Buffer.byteLength(t)).toBeLessThanOrEqual(NAME_MAX);
        expect(parseTempName(t)?.pid).toBe(pid);
      }),
    );
  });

  it('a name that is too long even for the file system is an environment error naming the file, exit 3', async () => {
    const d = fresh();
    const p = join(d, 'x'.repeat(300));
    const e = await p20Rejection(writeFileAtomic(p, 'x'));
    expect(e.code).toBe('ENV_NAME_TOO_LONG');
    expect(exitStatusOf(e)).toBe(EXIT.environment);
    expect(e.message).toContain(p);
    expect(e.message).toContain('file name too long');
    expect(e.message).not.toMatch(/ENAMETOOLONG/);
    expect(temps(d)).toEqual([]);
  });

  it('a missing directory is the user\'s mistake: exit 2, in words', async () => {
    const d = fresh();
    const e = await p20Rejection(writeFileAtomic(join(d, 'missing', 'x.csv'), 'x'));
    expect(exitStatusOf(e)).toBe(EXIT.badInput);
    expect(e.message).toMatch(/missing\/x\.csv: cannot write: no such file or directory/);
  });
});

describe('atomic files: stale temp files of killed runs', () => {
  /** A process that sleeps until killed; its pid stands for a run that is killed while writing. */
  async function sleeper(): Promise<{ pid: number; kill: () => Promise<void> }> {
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise<void>((r) => c.once('spawn', () => r()));
    return {
      pid: c.pid!,
      kill: () =>
        new Promise<void>((r) => {
          c.once('exit', () => r());
          c.kill('SIGKILL');
        }),
    };
  }

  it('the next write into the directory removes a killed run\'s temp file (also .rejects.csv ones) and reports it', async () => {
    const d = fresh();
    const run = await sleeper();
    const left = join(d, tempName('rejects.csv', run.pid));
    writeFileSync(left, 'names and SSNs\n', { mode: 0o600 });
    expect(left).toMatch(/\/\.rejects\.csv\.p20link-tmp-/);
    // while that run is alive its temp file is left alone
    const seen: string[] = [];
    restore = setStaleTempReporter((r) => seen.push(...r));
    expect(cleanStaleTemps(d, { force: true })).toEqual([]);
    expect(existsSync(left)).toBe(true);
    await run.kill();
    await writeFileAtomic(join(d, 'out.csv'), 'x\n');
    expect(existsSync(left)).toBe(false);
    expect(seen).toEqual([left]);
    expect(temps(d)).toEqual([]);
  });

  it('the default report is one line on stderr naming the file', async () => {
    const d = fresh();
    const run = await sleeper();
    await run.kill();
    const left = join(d, tempName('k12.links.csv', run.pid));
    writeFileSync(left, 'x');
    const lines: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((c: string) => (lines.push(String(c)), true)) as typeof process.stderr.write;
    try {
      tempPathFor(join(d, 'k12.links.csv'));
    } finally {
      process.stderr.write = orig;
    }
    expect(lines.join('')).toBe(`p20link: removed a temporary file left by an interrupted run: ${left}\n`);
  });

  it('temp files of the old name format go by age; other files are never touched', () => {
    const d = fresh();
    restore = setStaleTempReporter(() => undefined);
    const old = join(d, '.a.csv.p20link-tmp-0123456789ab');
    const young = join(d, '.b.csv.p20link-tmp-ba9876543210');
    const mine = join(d, tempName('c.csv'));
    const other = join(d, '.hidden-notes');
    for (const p of [old, young, mine, other]) writeFileSync(p, 'x');
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000);
    utimesSync(old, hoursAgo(2), hoursAgo(2));
    utimesSync(other, hoursAgo(48), hoursAgo(48));
    expect(cleanStaleTemps(d, { force: true })).toEqual([old]);
    expect(existsSync(young) && existsSync(mine) && existsSync(other)).toBe(true);
  });
});

describe('file-system errors in words', () => {
  it.each([
    ['ENOSPC', 'ENV_DISK_FULL', 'no space left on device', EXIT.environment],
    ['EACCES', 'ENV_PERMISSION', 'permission denied', EXIT.environment],
    ['EROFS', 'ENV_READ_ONLY', 'read-only file system', EXIT.environment],
    ['ENAMETOOLONG', 'ENV_NAME_TOO_LONG', 'file name too long', EXIT.environment],
    ['EMFILE', 'ENV_TOO_MANY_FILES', 'too many open files', EXIT.environment],
    ['SQLITE_BUSY', 'STORE_BUSY', 'in use by another process', EXIT.environment],
    ['SQLITE_IOERR_WRITE', 'ENV_IO', 'input/output error', EXIT.environment],
    ['ENOENT', 'FILE_NOT_USABLE', 'no such file or directory', EXIT.badInput],
    ['ENOTDIR', 'FILE_NOT_USABLE', 'not a directory', EXIT.badInput],
  ])('%s -> %s (%s), exit %i, the file named, no raw code', (code, p20, words, exit) => {
    const raw = Object.assign(new Error(`${code}: something, write`), { code });
    const e = fsError(raw, '/data/out/k12.links.csv', 'cannot write') as P20Error;
    expect(e).toBeInstanceOf(P20Error);
    expect(e.code).toBe(p20);
    expect(exitStatusOf(e)).toBe(exit);
    expect(e.message).toContain('/data/out/k12.links.csv: cannot write: ');
    expect(e.message).toContain(words);
    expect(e.message).not.toContain(code);
    expect(describeErrno(code)).toContain(words);
  });

  it('leaves P20Errors and errors without an errno code alone', () => {
    const p = new P20Error('LINK_OPTION', 'y');
    expect(fsError(p, 'f')).toBe(p);
    const bug = new TypeError('undefined is not a function');
    expect(fsError(bug, 'f')).toBe(bug);
  });
});

describe('atomic files: prepare, then commit (several files published together)', () => {
  it('prepare makes the temp file whole and durable but publishes nothing; commit only renames', async () => {
    const d = fresh();
    const f = openAtomic(join(d, 'a.csv'));
    await f.write('x,y\n');
    await f.patch(0, new TextEncoder().encode('X'));
    await f.prepare();
    await f.prepare(); // idempotent
    expect(existsSync(join(d, 'a.csv'))).toBe(false);
    expect(temps(d)).toHaveLength(1);
    await f.commit();
    expect(readFileSync(join(d, 'a.csv'), 'utf8')).toBe('X,y\n');
    expect(temps(d)).toEqual([]);
  });

  it('commitAll publishes no file when one of them cannot be made whole, and abortAll leaves no temp file', async () => {
    const d = fresh();
    const good = new StagedFile(d, 'good.csv');
    const bad = new StagedFile(d, 'bad.csv');
    await good.text('a\n');
    await bad.text('b\n');
    bad.file.stream.destroy(new Error('disk gone'));
    await expect(commitAll([good, bad])).rejects.toThrow();
    await abortAll([good, bad]);
    expect(readdirSync(d)).toEqual([]);
  });

  it('an aborted prepared file leaves nothing behind', async () => {
    const d = fresh();
    const f = openAtomic(join(d, 'c.csv'));
    await f.write('c\n');
    await f.prepare();
    await f.abort();
    expect(readdirSync(d)).toEqual([]);
  });
});
