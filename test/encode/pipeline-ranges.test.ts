/**
 * Workers that parse their own byte ranges give exactly the single-threaded
 * output: the same encoded-file bytes (text and binary bodies), the same
 * rejects file, the same summary, and the same first error with the same
 * file, line and field, whatever the range size (runs through dist/: the
 * workers load the compiled worker module).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeFile, type EncodeOptions } from '../../src/encode/pipeline.js';
import { P20Error } from '../../src/errors.js';
import { syntheticCsv } from '../../bench/encode.js';
import { fileTempDir } from '../helpers/tmp.js';

const SCHEMA = resolve(process.cwd(), 'protocols/schemas/p20w-person.json');
const secret = new TextEncoder().encode('ranges test secret 0123456789');
const FIXED_TIME = new Date('2026-01-02T03:04:05Z');
const dir = fileTempDir('p20link-ranges-');

let n = 0;
async function csvFile(text: string): Promise<string> {
  const p = join(dir, `in-${++n}.csv`);
  await writeFile(p, text);
  return p;
}

async function run(input: string, extra: Partial<EncodeOptions>) {
  const output = join(dir, `out-${++n}.enc`);
  const rejectsFile = extra.onBadRow === 'reject' ? join(dir, `rej-${n}.csv`) : undefined;
  try {
    const s = await encodeFile({ input, output, schema: SCHEMA, secret, party: 'k12', createdAt: FIXED_TIME, ...(rejectsFile ? { rejectsFile } : {}), ...extra });
    const { seconds: _s, output: _o, rejectsFile: _r, workers: _w, ...summary } = s;
    return { out: await readFile(output), rejects: rejectsFile ? await readFile(rejectsFile, 'utf8') : undefined, summary };
  } catch (e) {
    if (!(e instanceof P20Error)) throw e;
    return { error: { code: e.code, message: e.message, location: e.location } };
  }
}

/** Synthetic people plus rows with quoted line breaks, CRLF ends, blank lines and bad values, spread over the file. */
function people(rows: number, extra: string[]): string {
  const lines = syntheticCsv(rows, 5).trimEnd().split('\n');
  const out = [lines[0]!];
  for (let i = 1; i < lines.length; i++) {
    out.push(lines[i]!);
    if (i % 37 === 0 && extra.length > 0) out.push(extra[(i / 37) % extra.length]!.replace('{i}', String(i)));
  }
  return out.join('\n') + '\n';
}

const QUIRKS = [
  'Q1{i},"Ann\nMarie",,Smith,2001-02-03,F,97501', // quoted line break
  'Q2{i},Bob,"",Jones,2002-03-04,M,97502\r', // CRLF
  '', // blank line
  'Q3{i},"Zoë ""Z""",,"de la\r\nCruz",2003-04-05,F,', // quoted CRLF and escaped quotes
];

describe('encode workers: byte ranges = one thread', () => {
  it('same output, rejects and summary for 1 and 2 workers and small ranges (text and binary)', async () => {
    const bad = [...QUIRKS, ',Nobody,,None,2001-01-01,F,97501', 'B2{i},Ann,,Lee,not a date,F,97501', '=X{i},Ann,,Lee,2001-01-01,F,97501'];
    const input = await csvFile(people(300, bad));
    for (const body of ['text', 'binary'] as const) {
      const base = await run(input, { workers: 0, body, onBadRow: 'reject', onBadField: 'row' });
      expect(base.error).toBeUndefined();
      expect(base.summary!.rejected).toBeGreaterThan(0);
      for (const [workers, rangeBytes] of body === 'text' ? ([[1, 500], [2, 2500], [2, undefined]] as const) : ([[2, 2500]] as const)) {
        const got = await run(input, { workers, rangeBytes, body, onBadRow: 'reject' });
        expect(got.error).toBeUndefined();
        expect(got.out!.equals(base.out!)).toBe(true);
        expect(got.rejects).toBe(base.rejects);
        expect(got.summary).toEqual(base.summary);
      }
    }
  });

  it('the first bad row, a duplicate id or a CSV error is reported with the same line as one thread', async () => {
    const rows = people(260, QUIRKS).split('\n');
    const cases = [
      // a bad row late in the file
      [...rows.slice(0, 200), 'B9,Ann,,Lee,not a date,F,97501', ...rows.slice(200)],
      // a duplicate id far from the first
      [...rows, rows[5]!],
      // a quote inside an unquoted field, then an unterminated quote
      [...rows.slice(0, 230), 'C1,Ann,x"y,Lee,2001-01-01,F,97501', ...rows.slice(230)],
      [...rows.slice(0, -1), 'C2,"Ann,,Lee,2001-01-01,F,97501', ''],
    ];
    const codes: string[] = [];
    for (const c of cases) {
      const input = await csvFile(c.join('\n'));
      const base = await run(input, { workers: 0 });
      codes.push(base.error!.code);
      for (const rangeBytes of [700]) {
        const got = await run(input, { workers: 2, rangeBytes });
        expect(got.error).toEqual(base.error);
      }
    }
    expect(codes).toEqual(['ENCODE_BAD_ROW', 'ENCODE_DUPLICATE_ID', 'CSV_QUOTE', 'CSV_UNTERMINATED_QUOTE']);
  });
});
