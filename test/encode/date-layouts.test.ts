/**
 * An agency whose file writes its dates in another layout (SAS's 14MAR1998,
 * 3/14/98, 1998/03/14): refused by the default schema with a hint naming the
 * layout and the option, and encoded with the date-layout option exactly as
 * the same people written in ISO dates (CLK, evidence filters, presence), on
 * the main thread and on workers, under the same schema fingerprint.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMessage } from '../../cli/hints.js';
import { otherLayoutWarning, type EncodeOptions } from '../../src/encode/pipeline.js';
import { runCli } from '../helpers/cli.js';
import { DEFAULT_SCHEMA as SCHEMA, SECRET_TEXT, encodeRows } from '../helpers/encode-rows.js';
import { p20Rejection as refusal } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const HEADER = 'id,first_name,middle_name,last_name,birth_date,sex,zip\n';
const MON = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const FIRST = ['Ann', 'Bo', 'Cy', 'Dee', 'Eli', 'Fay', 'Gus', 'Hal'];
const LAST = ['Lee', 'Kim', 'Ng', 'Ortiz', 'Smith', 'Brown', 'Nguyen', 'Diaz'];

const dir = fileTempDir('p20link-date-layouts-');
let n = 0;

/** 400 people born 1930-2025; each date written by `write` (year, month, day). */
async function extract(write: (y: number, m: number, d: number) => string): Promise<string> {
  let text = HEADER;
  for (let i = 0; i < 400; i++) {
    const y = 1930 + ((i * 7) % 96);
    const m = 1 + ((i * 5) % 12);
    const d = 1 + ((i * 11) % 28);
    text += `${i},${FIRST[i % 8]},${i % 3 ? 'Q' : ''},${LAST[(i >> 3) % 8]},${i % 50 === 7 ? '' : write(y, m, d)},${i % 2 ? 'F' : 'M'},${97000 + (i % 40)}\n`;
  }
  const p = join(dir, `in-${++n}.csv`);
  await writeFile(p, text);
  return p;
}

const encode = (input: string, extra: Partial<EncodeOptions> = {}) => encodeRows(input, join(dir, `out-${++n}.enc`), extra);

const p2 = (x: number) => String(x).padStart(2, '0');
const iso = (y: number, m: number, d: number) => `${y}-${p2(m)}-${p2(d)}`;
const sas = (y: number, m: number, d: number) => `${p2(d)}${MON[m - 1]}${y}`;
const usShort = (y: number, m: number, d: number) => `${m}/${d}/${p2(y % 100)}`;
const yearFirst = (y: number, m: number, d: number) => `${y}/${p2(m)}/${p2(d)} 00:00:00`;
const dayFirst = (y: number, m: number, d: number) => `${p2(d)}/${p2(m)}/${y}`;

describe('date layouts of an agency file', () => {
  it('the default schema refuses SAS dates, naming the layout that reads them and the option, never the value', async () => {
    const e = await refusal(encode(await extract(sas)));
    expect(e.code).toBe('ENCODE_BAD_ROW');
    expect(e.location).toMatchObject({ line: 2, field: 'birth_date' });
    expect(cliMessage(e)).toMatch(/it reads as DDMONYYYY: if the file writes its dates so, name that layout with --date-layout/);
    expect(cliMessage(e)).not.toMatch(/1930|JAN/);
  });

  it('encoded with the layout, every record is the same as from ISO dates (main thread and workers), same fingerprint', async () => {
    const ref = await encode(await extract(iso));
    for (const [write, layouts] of [
      [sas, ['DDMONYYYY']],
      [usShort, ['MM/DD/YY']],
      [yearFirst, ['YYYY/MM/DD', 'YYYY-MM-DD']],
    ] as const) {
      const input = await extract(write);
      const main = await encode(input, { dateLayouts: [...layouts] });
      expect(main.rows).toEqual(ref.rows);
      expect(main.header.schemaFingerprint).toBe(ref.header.schemaFingerprint);
      const workers = await encode(input, { dateLayouts: [...layouts], workers: 2, rangeBytes: 4096 });
      expect(workers.rows).toEqual(ref.rows);
    }
  });

  it('a two-digit year is read up to the year of the run', async () => {
    const input = await extract(usShort);
    const before = await encode(input, { dateLayouts: ['MM/DD/YY'], createdAt: new Date('2020-06-15T12:00:00Z'), dateRange: 'none' });
    const ref = await encode(await extract(iso));
    // 2021-2025 births now read as 1921-1925: exactly those records differ.
    const later = (i: number) => i % 50 !== 7 && 1930 + ((i * 7) % 96) > 2020;
    const differ = before.rows.map((r, i) => r !== ref.rows[i]);
    expect(differ.filter(Boolean).length).toBeGreaterThan(10);
    expect(differ).toEqual(ref.rows.map((_, i) => later(i)));
  });

  it('refused: an unknown layout, month-first with day-first, none, or a schema without a date step', async () => {
    const input = await extract(iso);
    for (const layouts of [['M/D/Y'], ['MM/DD/YYYY', 'DD/MM/YY'], []]) {
      const e = await refusal(encode(input, { dateLayouts: layouts }));
      expect(e.code).toBe('ENCODE_OPTIONS');
      expect(cliMessage(e)).toMatch(/^--date-layout/);
    }
    const noDate = await refusal(encode(input, { dateLayouts: ['DDMONYYYY'], absent: ['birth_date'] }));
    expect(noDate.message).toMatch(/no feature with a "date" normalization step/);
  });

  it('p20link encode --date-layout (comma-separated) on the command line', async () => {
    const sf = join(dir, 'secret');
    await writeFile(sf, SECRET_TEXT);
    await chmod(sf, 0o600);
    const input = await extract(sas);
    const base = ['encode', input, '--schema', SCHEMA, '--party', 'k12', '--secret-file', sf, '--workers', '0'];
    const bad = await runCli([...base, '-o', join(dir, 'cli-bad.enc')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/line 2, field "birth_date": .*it reads as DDMONYYYY: .*--date-layout/);
    const ok = await runCli([...base, '-o', join(dir, 'cli-ok.enc'), '--date-layout', 'DDMONYYYY,YYYY-MM-DD']);
    expect(ok.err).toMatch(/read 400, encoded 400, rejected 0/);
    expect(ok.code).toBe(0);
  });

  it('a day-first file read as month-first under the policies that go on: the summary warns that the accepted dates are swapped', async () => {
    const input = await extract(dayFirst);
    for (const extra of [{ onBadField: 'missing' }, { onBadField: 'missing', workers: 2, rangeBytes: 4096 }, { onBadRow: 'reject', rejectsFile: join(dir, `rejects-${n}.csv`) }] as Partial<EncodeOptions>[]) {
      const { summary } = await encode(input, extra);
      const w = summary.warnings.filter((x) => /^birth_date: \d+ dates/.test(x));
      expect(w, JSON.stringify(extra)).toHaveLength(1);
      expect(w[0]).toMatch(/^birth_date: \d+ dates \(\d+\.\d % of the rows\) were refused, and DD\/MM\/YYYY reads them: .*date-layout option.*day and month swapped/);
      // encoded as missing, the refused dates are also over a tenth of the records: the summary says what the linker then has
      expect(summary.warnings.some((x) => /^birth_date: [\d,]+ of the [\d,]+ records \(\d+ %\) hold none: .*check the column \(--map\) and its date layouts$/.test(x)), JSON.stringify(extra)).toBe(extra.onBadField === 'missing');
    }
    // The same people in US dates with two day/month typos: no warning.
    const typos = (await readFile(await extract((y, m, d) => `${m}/${d}/${y}`), 'utf8')).split('\n');
    typos[5] = typos[5]!.replace(/,(\d+)\/(\d+)\/(\d{4}),/, ',25/$1/$3,');
    typos[9] = typos[9]!.replace(/,(\d+)\/(\d+)\/(\d{4}),/, ',28/$1/$3,');
    const us = join(dir, 'us-typos.csv');
    await writeFile(us, typos.join('\n'));
    const ok = await encode(us, { onBadField: 'missing' });
    expect(ok.summary.missingFields).toEqual({ birth_date: 2 });
    expect(ok.summary.warnings.filter((x) => x.startsWith('birth_date:'))).toEqual([]);
  });

  it('the other-layout warning: thresholds and the swap clause', () => {
    const steps = [{ step: 'date' as const, from: ['YYYY-MM-DD', 'MM/DD/YYYY'] as ('YYYY-MM-DD' | 'MM/DD/YYYY')[], to: '%Y-%m-%d' }];
    const tally = (pairs: [string, number][]) => new Map(pairs);
    expect(otherLayoutWarning('dob', steps, tally([['DD/MM/YYYY', 4]]), 100)).toBeUndefined(); // under 5
    expect(otherLayoutWarning('dob', steps, tally([['DD/MM/YYYY', 9]]), 1000)).toBeUndefined(); // under 1 %
    expect(otherLayoutWarning('dob', steps, tally([['DD/MM/YYYY', 10], ['DD/MM/YY', 3]]), 1000)).toMatch(/^dob: 10 dates \(1\.0 % of the rows\) were refused, and DD\/MM\/YYYY reads them.*swapped\)$/);
    expect(otherLayoutWarning('dob', steps, tally([['DDMONYYYY', 1200]]), 1200)).toMatch(/^dob: 1,200 dates \(100\.0 % .*DDMONYYYY reads them: .*encode again$/);
  });
});
