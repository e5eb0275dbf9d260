import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = resolve(process.cwd(), 'test/fixtures/release/table');

const tmp = (): string => tempDir('p20-suppress-');

describe('p20link suppress / audit-table (end to end)', () => {
  it('suppress then audit-table passes; report names the rule of every hidden cell', async () => {
    const d = tmp();
    const out = join(d, 'public.csv');
    const rep = join(d, 'report.json');
    const r = await run(['suppress', join(FIX, 'hierarchy.csv'), '-o', out, '--spec', join(FIX, 'hierarchy.spec.json'), '--report', rep]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/primary-small\s+1/);
    expect(r.out).toMatch(/secondary\s+3/);
    expect(r.out).toMatch(/cost: 3 complementary cell\(s\); 4 count cell\(s\) hidden in all/);
    expect(r.out).not.toMatch(/hiding 77/); // no hidden totals unless --report-hidden-values
    const report = JSON.parse(readFileSync(rep, 'utf8'));
    expect(report.format).toBe('p20link-suppress-report');
    expect(report.hidden.map((h: { line: number; reason: string }) => `${h.line}:${h.reason}`)).toEqual(['2:primary-small', '3:secondary', '5:secondary', '6:secondary']);
    expect(readFileSync(out, 'utf8').split('\n')[1]).toBe('S1,3,*');
    const a = await run(['audit-table', out, '--spec', join(FIX, 'hierarchy.spec.json'), '--min-n', '10']);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/OK, none recoverable/);
  });

  it('a naive table with only primary suppression fails audit-table with a non-zero exit and the cell bounds', async () => {
    const d = tmp();
    const naive = join(d, 'naive.csv');
    writeFileSync(naive, readFileSync(join(FIX, 'two-by-two.csv'), 'utf8').replace('r1,c1,3', 'r1,c1,*'));
    const a = await run(['audit-table', naive]);
    expect(a.code).toBe(1);
    expect(a.out).toContain(`${naive}:2: n in [3, 3] — exact`);
    const j = await run(['audit-table', naive, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out).cells[0]).toMatchObject({ line: 2, lower: 3, upper: 3, recoverable: true });
  });

  it('inferred structure with --min-n and a custom marker', async () => {
    const d = tmp();
    const out = join(d, 'o.csv');
    const r = await run(['suppress', join(FIX, 'two-by-two.csv'), '-o', out, '--min-n', '3', '--marker', 'S']);
    expect(r.code).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toContain('S\n'); // 3 is not below n = 3: nothing hidden
    const r2 = await run(['suppress', join(FIX, 'two-by-two.csv'), '-o', out, '--marker', 'S', '--json']);
    expect(JSON.parse(r2.out).marker).toBe('S');
    expect(readFileSync(out, 'utf8').split('\n')[1]).toBe('r1,c1,S');
    expect((await run(['audit-table', out, '--marker', 'S'])).code).toBe(0);
  });

  it('bad input: clear located error, non-zero exit, no output written', async () => {
    const d = tmp();
    const out = join(d, 'o.csv');
    const r = await run(['suppress', join(FIX, 'bad-count.csv'), '-o', out]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/^p20link: error: .*bad-count\.csv, line 3, field "n": count "twenty" is not a number/);
    expect(existsSync(out)).toBe(false);
    const t = await run(['suppress', join(FIX, 'bad-totals.csv'), '-o', out]);
    expect(t.code).not.toBe(0);
    expect(t.err).toMatch(/2 total\(s\) do not match the sum of their parts/);
    const badAudit = await run(['audit-table', join(FIX, 'bad-totals.csv')]);
    expect(badAudit.code).toBe(2);
    const same = await run(['suppress', join(FIX, 'two-by-two.csv'), '-o', join(FIX, 'two-by-two.csv')]);
    expect(same.code).not.toBe(0);
    expect(same.err).toMatch(/overwrite the input/);
  });

  it('--help documents both commands', async () => {
    // runCli captures console.log (where yargs prints help) into out
    const text = (await run(['suppress', '--help'])).out + (await run(['audit-table', '--help'])).out;
    expect(text).toMatch(/--min-n/);
    expect(text).toMatch(/--protection/);
    expect(text).toMatch(/recoverable/);
  });
});
