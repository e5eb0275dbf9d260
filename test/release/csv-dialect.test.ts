/**
 * kcheck, suppress and audit-table read a file written in another dialect
 * (semicolons or tabs, saved as windows-1252) as they read its twin in
 * comma-separated UTF-8, through the library and the command line; what
 * they write is comma-separated UTF-8. Read in the wrong dialect, the file
 * is refused with the option it needs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMessage } from '../../cli/hints.js';
import { auditFile, kcheckFile, repairFile, suppressFile } from '../../src/index.js';
import { runCli as run } from '../helpers/cli.js';
import { cp1252 } from '../helpers/cp1252.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-release-dialect-');
let n = 0;

/** `text` (comma-separated, UTF-8) written as UTF-8, and again with `delimiter` saved as windows-1252. */
function twins(text: string, delimiter: string): { utf8: string; other: string } {
  const utf8 = join(dir, `utf8-${++n}.csv`);
  const other = join(dir, `other-${n}.csv`);
  writeFileSync(utf8, text);
  writeFileSync(other, cp1252(text.replaceAll(',', delimiter)));
  return { utf8, other };
}

/** The kcheck fixture with accented school names. */
const STUDENTS = readFileSync(resolve(process.cwd(), 'test/fixtures/release/kanon/students.csv'), 'utf8').replaceAll('Adams', 'Núñez').replaceAll('Baker', 'Peña');
/** The 2 × 2 table fixture with accented row labels. */
const TABLE = readFileSync(resolve(process.cwd(), 'test/fixtures/release/table/two-by-two.csv'), 'utf8').replaceAll('r1', 'Niños').replaceAll('r2', 'Niñas');

const QI = { qi: ['school', 'grade', 'sex'], sensitive: ['frl'], k: 3, l: 2 };
const without = <T extends { input: string; seconds: number }>(r: T) => ({ ...r, input: '', seconds: 0 });

describe('kcheck in another dialect', () => {
  it('a tab-separated windows-1252 file checks as its UTF-8 twin; the repaired copy is the twin\'s, comma-separated UTF-8', async () => {
    const { utf8, other } = twins(STUDENTS, '\t');
    const csv = { delimiter: 'tab', encoding: 'cp1252' };
    const ref = await kcheckFile({ input: utf8, ...QI, listSmall: 5 });
    const got = await kcheckFile({ input: other, ...QI, listSmall: 5, csv });
    expect(ref.passed).toBe(false);
    expect(without(got)).toEqual(without(ref));
    expect(got.smallClasses?.[0]?.values.school).toBe('Peña');
    const out1 = join(dir, 'rep-utf8.csv');
    const out2 = join(dir, 'rep-other.csv');
    await repairFile({ input: utf8, output: out1, ...QI });
    await repairFile({ input: other, output: out2, ...QI, csv });
    expect(readFileSync(out2, 'utf8')).toBe(readFileSync(out1, 'utf8'));
  });

  it('read in the wrong dialect it is refused with the option it needs', async () => {
    const { other } = twins(STUDENTS, ';');
    const enc = await p20Rejection(kcheckFile({ input: other, ...QI, csv: { delimiter: ';' } }));
    expect(enc.code).toBe('CSV_ENCODING');
    expect(cliMessage(enc)).toMatch(/with --encoding windows-1252\)$/);
    const e = await p20Rejection(kcheckFile({ input: other, ...QI, csv: { encoding: 'latin1' } }));
    expect(e.code).toBe('KCHECK_COLUMN');
    expect(cliMessage(e)).toMatch(/is not in the header \(columns: .*\)\. The header is one single column containing ";": read it with --delimiter ';'$/);
  });
});

describe('suppress and audit-table in another dialect', () => {
  it('a semicolon-separated windows-1252 table is suppressed as its UTF-8 twin, and its published twin audits alike', async () => {
    const { utf8, other } = twins(TABLE, ';');
    const csv = { delimiter: ';', encoding: 'latin1' };
    const out1 = join(dir, 'pub-utf8.csv');
    const out2 = join(dir, 'pub-other.csv');
    const r1 = await suppressFile({ input: utf8, output: out1 });
    await suppressFile({ input: other, output: out2, csv });
    expect(r1.report.hidden.length).toBeGreaterThan(0);
    expect(readFileSync(out2, 'utf8')).toBe(readFileSync(out1, 'utf8'));
    expect(readFileSync(out1, 'utf8')).toContain('Niños,');
    const pub = twins(readFileSync(out1, 'utf8'), ';');
    const a1 = await auditFile({ input: pub.utf8 });
    const a2 = await auditFile({ input: pub.other, csv });
    expect(a1.ok).toBe(true);
    expect({ ...a2, file: '' }).toEqual({ ...a1, file: '' });
  });

  it('a table read as one single column is refused with the delimiter it holds', async () => {
    const { other } = twins(TABLE, ';');
    const e = await p20Rejection(suppressFile({ input: other, output: join(dir, 'never.csv'), csv: { encoding: 'latin1' } }));
    expect(e.code).toBe('CSV_HEADER');
    expect(cliMessage(e)).toMatch(/line 1: a table needs dimension columns and a count column, and the header has one\. The header is one single column containing ";": read it with --delimiter ';'$/);
  });
});

describe('the command line', () => {
  it('kcheck, suppress and audit-table take --delimiter and --encoding, and say which one a file needs', async () => {
    const k = twins(STUDENTS, '\t');
    const args = ['--qi', 'school,grade,sex', '--sensitive', 'frl', '--k', '3', '--l', '2', '--json'];
    const ref = await run(['kcheck', k.utf8, ...args]);
    const got = await run(['kcheck', k.other, ...args, '--delimiter', 'tab', '--encoding', 'windows-1252']);
    expect(got.code).toBe(1);
    expect(without(JSON.parse(got.out))).toEqual(without(JSON.parse(ref.out)));
    const refused = await run(['kcheck', k.other, ...args, '--delimiter', 'tab']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/with --encoding windows-1252\)\n$/);

    const t = twins(TABLE, ';');
    const out1 = join(dir, 'cli-utf8.csv');
    const out2 = join(dir, 'cli-other.csv');
    expect((await run(['suppress', t.utf8, '-o', out1])).code).toBe(0);
    expect((await run(['suppress', t.other, '-o', out2, '--delimiter', ';', '--encoding', 'latin1'])).code).toBe(0);
    expect(readFileSync(out2, 'utf8')).toBe(readFileSync(out1, 'utf8'));
    const pub = twins(readFileSync(out1, 'utf8'), ';');
    const audit = await run(['audit-table', pub.other, '--delimiter', ';', '--encoding', 'cp1252']);
    expect(audit.code).toBe(0);
    expect(audit.out).toMatch(/OK, none recoverable/);
    const one = await run(['audit-table', pub.other, '--encoding', 'cp1252']);
    expect(one.code).toBe(2);
    expect(one.err).toMatch(/read it with --delimiter ';'\n$/);
  });
});
