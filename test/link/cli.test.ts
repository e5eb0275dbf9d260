import { describe, it, expect, vi, afterEach } from 'vitest';
import { readFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPartyOverrides } from '../../cli/commands/link.js';
import { writeEncoded, prng, randomClk, noisy } from '../fixtures/link/make-encoded.js';
import { runCli as run } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('p20-linkcli-');
afterEach(() => vi.restoreAllMocks());

async function files() {
  const rnd = prng(5);
  const people = Array.from({ length: 8 }, () => randomClk(rnd));
  const a = await writeEncoded(join(dir, 'a.enc'), { party: 'k12', rows: people.map((c, i) => ({ id: `a${i}`, clk: noisy(rnd, c) })) });
  const b = await writeEncoded(join(dir, 'b.enc'), { party: 'college', rows: people.slice(2).map((c, i) => ({ id: `b${i + 2}`, clk: noisy(rnd, c) })) });
  return { a, b };
}

describe('p20link link', () => {
  it('links two files, prints a summary and writes the outputs', async () => {
    const { a, b } = await files();
    const out = join(dir, 'out');
    const r = await run(['link', a, b, '--out', out, '--store', join(dir, 'linker.db'), '--blocking', 'none', '--review-threshold', '0.5', '--party', `${b}=college2026`]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/k12: 8 records, 6 linked, 2 unlinked -> k12\.links\.csv/);
    expect(r.out).toMatch(/college2026: 6 records, 6 linked/);
    expect(r.out).toMatch(/registry .*linker\.db: 0 kept, 8 new/);
    const k = readFileSync(join(out, 'k12.links.csv'), 'utf8').trim().split('\n');
    expect(k).toHaveLength(9);
    const c = readFileSync(join(out, 'college2026.links.csv'), 'utf8').trim().split('\n');
    const idOf = (lines: string[], id: string) => lines.find((l) => l.startsWith(id + ','))!.split(',')[1];
    expect(idOf(c, 'b3')).toBe(idOf(k, 'a3'));
    expect(existsSync(join(out, 'review.csv'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'run-report.json'), 'utf8')).parameters.blocking).toBe('none');
  });

  it('refuses a single file and incompatible files with a clear one-line error and non-zero exit', async () => {
    const { a } = await files();
    const one = await run(['link', a, '--out', join(dir, 'x')]);
    expect(one.code).not.toBe(0);
    expect(one.err).toMatch(/^p20link: error: linking needs at least 2 encoded files/);
    const bad = await writeEncoded(join(dir, 'bad.enc'), { party: 'wage', rows: [{ id: 'w', clk: new Uint8Array(128) }], l: 1024, fp: 'sha256:' + '0'.repeat(64) });
    const r = await run(['link', a, bad, '--out', join(dir, 'y')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`p20link: error: ${bad}: was encoded with a different linkage schema`);
    expect(existsSync(join(dir, 'y'))).toBe(false);
    const t = await run(['link', a, bad, '--out', join(dir, 'y'), '--threshold', '1.5']);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/threshold must be a number in \(0, 1\]/);
    const bl = await run(['link', a, bad, '--out', join(dir, 'y'), '--blocking', 'magic']);
    expect(bl.code).not.toBe(0);
    expect(bl.err).toMatch(/unknown blocking "magic"/);
  });

  it('bad input exits 2; an output directory that is not the run\'s own is refused, exit 2', async () => {
    const { a, b } = await files();
    const bad = await writeEncoded(join(dir, 'bad2.enc'), { party: 'wage', rows: [{ id: 'w', clk: new Uint8Array(128) }], l: 1024, fp: 'sha256:' + '1'.repeat(64) });
    const r = await run(['link', a, bad, '--out', join(dir, 'z')]);
    expect(r.code).toBe(2);
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'budget.xlsx'), 'x');
    const f = await run(['link', a, b, '--out', foreign, '--blocking', 'none']);
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/^p20link: error: .*foreign: is not empty .*give --out a new or empty directory/);
    expect(readdirSync(foreign)).toEqual(['budget.xlsx']);
    const dup = await run(['link', a, b, '--out', join(dir, 'dup'), '--party', `${a}=same`, '--party', `${b}=same`]);
    expect(dup.code).toBe(2);
    expect(dup.err).toContain(`give one with --party ${b}=NAME`);
  });

  it('prints warnings on stderr, even with --quiet, when the settings cannot be right for the files', async () => {
    const { a, b } = await files();
    const r = await run(['link', a, b, '--out', join(dir, 'warn'), '--blocking', 'none', '--threshold', '0.2', '--quiet']);
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^p20link: warning: k12 x college: \d+ pairs score at or above the threshold 0\.2, more than the 6 records of the smaller file \(college\)/);
  });

  it('--party overrides must name an input file', () => {
    expect(applyPartyOverrides(['x.enc', 'y.enc'], ['y.enc=wage'])).toEqual([{ file: 'x.enc' }, { file: 'y.enc', party: 'wage' }]);
    expect(() => applyPartyOverrides(['x.enc'], ['z.enc=wage'])).toThrow(/not one of the input files/);
    expect(() => applyPartyOverrides(['x.enc'], ['x.enc'])).toThrow(/FILE=NAME/);
  });

  it('--help documents the flags', async () => {
    const r = await run(['link', '--help']);
    expect(r.code).toBe(0);
    for (const f of ['--out', '--store', '--schema', '--threshold', '--review-threshold', '--blocking', '--max-per-party', '--max-pairs', '--truth', '--workers', '--party']) expect(r.out).toContain(f);
  });
});
