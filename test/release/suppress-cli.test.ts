import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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
    expect(r.out).not.toMatch(/hiding 74/); // no hidden totals unless --report-hidden-values
    const report = JSON.parse(readFileSync(rep, 'utf8'));
    expect(report.format).toBe('p20link-suppress-report');
    expect(report.hidden.map((h: { line: number; reason: string }) => `${h.line}:${h.reason}`)).toEqual(['2:primary-small', '3:secondary', '8:secondary', '9:secondary']);
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

  it('--report carries no hidden values; --report-hidden-values adds them, mode 0600, with a warning', async () => {
    const d = tmp();
    const out = join(d, 'public.csv');
    const rep = join(d, 'report.json');
    const args = ['suppress', join(FIX, 'hierarchy.csv'), '-o', out, '--spec', join(FIX, 'hierarchy.spec.json'), '--report', rep];
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.err).not.toMatch(/warning/);
    const text = readFileSync(rep, 'utf8');
    const report = JSON.parse(text);
    expect(report.hiddenValues).toBe(false);
    for (const h of report.hidden) expect(h).not.toHaveProperty('value');
    expect(report.cost).not.toHaveProperty('secondaryTotal');
    expect(report.cost).not.toHaveProperty('hiddenTotal');
    expect(statSync(rep).mode & 0o777).toBe(0o600);
    // The true value of the primary cell (S1 grade 3 = 4) appears nowhere in the default report.
    expect(text).not.toMatch(/"value"/);
    const json = await run([...args.slice(0, -2), '--json']);
    expect(JSON.parse(json.out).hidden.some((h: object) => 'value' in h)).toBe(false);

    const rep2 = join(d, 'report-values.json');
    const w = await run([...args.slice(0, -1), rep2, '--report-hidden-values']);
    expect(w.code).toBe(0);
    expect(w.err).toMatch(/p20link: warning: .*report-values\.json holds the true value of every hidden cell/);
    const withValues = JSON.parse(readFileSync(rep2, 'utf8'));
    expect(withValues.hiddenValues).toBe(true);
    expect(withValues.hidden[0]).toMatchObject({ line: 2, reason: 'primary-small', value: 4 });
    // auto: the exact search's pattern (S1/4, S3/3, S3/4), cheaper than the greedy one (77)
    expect(withValues.cost.secondaryTotal).toBe(30 + 18 + 26);
    expect(statSync(rep2).mode & 0o777).toBe(0o600);
  });

  it('a header-only table is bad input (exit 2) for suppress and audit-table; nothing is written', async () => {
    const d = tmp();
    const empty = join(d, 'empty.csv');
    writeFileSync(empty, 'g,n\n');
    const out = join(d, 'o.csv');
    const s = await run(['suppress', empty, '-o', out]);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/empty\.csv, line 2: the table has a header but no data rows/);
    expect(existsSync(out)).toBe(false);
    const a = await run(['audit-table', empty]);
    expect(a.code).toBe(2);
    expect(a.out).not.toMatch(/OK/);
  });

  it('exit codes: suppress 2 for bad input (as audit-table); audit-table 1 on a never-suppressed table', async () => {
    const d = tmp();
    const out = join(d, 'o.csv');
    expect((await run(['suppress', join(FIX, 'bad-count.csv'), '-o', out])).code).toBe(2);
    expect((await run(['suppress', join(FIX, 'bad-totals.csv'), '-o', out])).code).toBe(2);
    expect((await run(['suppress', join(FIX, 'two-by-two.csv'), '-o', join(FIX, 'two-by-two.csv')])).code).toBe(2);
    expect((await run(['suppress', join(FIX, 'two-by-two.csv'), '-o', out, '--spec', join(d, 'missing.json')])).code).toBe(2);
    expect((await run(['suppress', join(FIX, 'two-by-two.csv'), '-o', out, '--min-n', '0'])).code).toBe(2);
    expect((await run(['audit-table', join(FIX, 'two-by-two.csv'), '--min-n', '0'])).code).toBe(2);
    // a published denominator below n: the rate is hidden, suppress warns (exit 0)
    const cap = join(d, 'cap.csv');
    writeFileSync(cap, 'g,tested,proficient,pct\na,5,3,60.0\nb,40,20,50.0\nc,30,12,40.0\nAll,75,35,46.7\n');
    const spec = join(d, 'cap.json');
    writeFileSync(spec, JSON.stringify({ version: 1, count: 'proficient', dimensions: [{ column: 'g', total: 'All' }], rates: [{ column: 'pct', denominator: 'tested' }] }));
    const u = await run(['suppress', cap, '-o', out, '--spec', spec]);
    expect(u.code).toBe(0);
    expect(u.out).toMatch(/warning: line 2: its published denominator is below n = 10/);
    // never suppressed: the published 3 fails the primary rule (exit 1, not "OK")
    const a = await run(['audit-table', join(FIX, 'two-by-two.csv')]);
    expect(a.code).toBe(1);
    expect(a.out).toMatch(/UNSAFE PUBLISHED/);
    expect(a.out).toMatch(/two-by-two\.csv:2: n published — the published count 3 is below n = 10/);
  });
});
