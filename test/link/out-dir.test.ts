import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { listRuns } from '../../src/link/registry/registry.js';
import { auditMigrations, registryMigrations } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/db.js';
import { EXIT, exitStatusOf } from '../../cli/exit-status.js';
import { cliMessage } from '../../cli/hints.js';
import { readLinksDir } from '../../src/report/links-file.js';
import { writeEncoded, prng, randomClk, noisy } from '../fixtures/link/make-encoded.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-outdir-');
const none = parseBlockingSpec('none');
let k12: string, college: string, wage: string;

beforeAll(async () => {
  const rnd = prng(7);
  const people = Array.from({ length: 12 }, () => randomClk(rnd));
  k12 = await writeEncoded(join(dir, 'k12.enc'), { party: 'k12', rows: people.map((c, i) => ({ id: `s${i}`, clk: noisy(rnd, c) })) });
  college = await writeEncoded(join(dir, 'college.enc'), { party: 'college', rows: people.slice(2).map((c, i) => ({ id: `c${i + 2}`, clk: noisy(rnd, c) })) });
  wage = await writeEncoded(join(dir, 'wage.enc'), { party: 'wage', rows: people.slice(4).map((c, i) => ({ id: `w${i + 4}`, clk: noisy(rnd, c) })) });
});

const mode = (p: string): number => statSync(p).mode & 0o777;
const runs = (store: string): number => {
  const db = openSqliteStore(store, { migrations: [...registryMigrations, ...auditMigrations] });
  try {
    return listRuns(db).length;
  } finally {
    db.close();
  }
};

describe('a link run owns its output directory', () => {
  it('a second run of the same store into the same directory leaves no stale links file or review.csv, and report quality reads only this run', async () => {
    const out = join(dir, 'results');
    const store = join(dir, 'same.db');
    await linkFiles({ inputs: [{ file: k12 }, { file: college }, { file: wage }], outDir: out, store, threshold: 0.8, reviewThreshold: 0.5, blocking: none });
    expect(readdirSync(out).sort()).toEqual(['college.links.csv', 'k12.links.csv', 'review.csv', 'run-report.json', 'wage.links.csv']);
    // the second run links two of the parties, without a review band
    const r2 = await linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, store, threshold: 0.8, blocking: none });
    expect(readdirSync(out).sort()).toEqual(['college.links.csv', 'k12.links.csv', 'run-report.json']);
    expect(JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')).runId).toBe(r2.runId);
    const links = await readLinksDir(out);
    expect(links.map((l) => l.party)).toEqual(['college', 'k12']);
    expect(runs(store)).toBe(2);
  });

  it('refuses a non-empty directory that holds no link output, touching nothing and recording no run', async () => {
    const out = join(dir, 'foreign');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    const store = join(dir, 'foreign.db');
    const e = await p20Rejection(linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, store, threshold: 0.8, blocking: none }));
    expect(e.code).toBe('LINK_OUT_DIR_NOT_OURS');
    expect(exitStatusOf(e)).toBe(EXIT.badInput);
    expect(e.message).toMatch(/is not empty .*notes\.txt.*new or empty directory/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
    expect(runs(store)).toBe(0);
  });

  it('refuses the output directory of a run made with another store (or with none)', async () => {
    const out = join(dir, 'other-store');
    await linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, store: join(dir, 'a.db'), threshold: 0.8, blocking: none });
    const before = readFileSync(join(out, 'k12.links.csv'), 'utf8');
    const e = await p20Rejection(linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, store: join(dir, 'b.db'), threshold: 0.8, blocking: none }));
    expect(e.code).toBe('LINK_OUT_DIR_NOT_OURS');
    expect(e.message).toMatch(/has no record of/);
    const e2 = await p20Rejection(linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, threshold: 0.8, blocking: none }));
    expect(cliMessage(e2)).toMatch(/this run has no --store/);
    expect(readFileSync(join(out, 'k12.links.csv'), 'utf8')).toBe(before);
    // runs without a store may replace each other's output
    const free = join(dir, 'no-store');
    await linkFiles({ inputs: [{ file: k12 }, { file: college }, { file: wage }], outDir: free, threshold: 0.8, blocking: none });
    await linkFiles({ inputs: [{ file: k12 }, { file: wage }], outDir: free, threshold: 0.8, blocking: none });
    expect(readdirSync(free).sort()).toEqual(['k12.links.csv', 'run-report.json', 'wage.links.csv']);
  });

  it('--out naming a file is bad input (exit 2), in words', async () => {
    const f = join(dir, 'a-file');
    writeFileSync(f, 'x');
    const e = await p20Rejection(linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: f, threshold: 0.8, blocking: none }));
    expect(e.code).toBe('LINK_OUT_DIR');
    expect(exitStatusOf(e)).toBe(EXIT.badInput);
    const e2 = await p20Rejection(linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: join(f, 'sub'), threshold: 0.8, blocking: none }));
    expect(exitStatusOf(e2)).toBe(EXIT.badInput);
    expect(e2.message).not.toMatch(/ENOTDIR|EEXIST/);
  });

  it('every output is 0600 and a new output directory 0700', async () => {
    const out = join(dir, 'modes');
    await linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: out, store: join(dir, 'modes.db'), threshold: 0.8, reviewThreshold: 0.5, blocking: none });
    expect(mode(out)).toBe(0o700);
    const files = readdirSync(out).sort();
    expect(files).toEqual(['college.links.csv', 'k12.links.csv', 'review.csv', 'run-report.json']);
    for (const f of files) expect([f, mode(join(out, f))]).toEqual([f, 0o600]);
  });

  it('report quality refuses a directory whose files do not match its run report (a mix of runs)', async () => {
    const a = join(dir, 'mix-a');
    const b = join(dir, 'mix-b');
    await linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: a, threshold: 0.8, blocking: none });
    await linkFiles({ inputs: [{ file: k12 }, { file: college }], outDir: b, threshold: 0.95, blocking: none });
    writeFileSync(join(a, 'k12.links.csv'), readFileSync(join(b, 'k12.links.csv')));
    const e = await p20Rejection(readLinksDir(a));
    expect(e.code).toBe('REPORT_LINKS_STALE');
    expect(e.message).toContain(join(a, 'k12.links.csv'));
    expect(existsSync(join(b, 'run-report.json'))).toBe(true);
    // the run report itself may be given instead of the directory
    expect((await readLinksDir(join(b, 'run-report.json'))).map((l) => l.party)).toEqual(['college', 'k12']);
  });
});
