/**
 * Byte ranges of a CSV file (csvSplitPoints + openCsvRange): parsed range by
 * range, with each range's relative line numbers shifted by the lines of the
 * ranges before it, a file gives exactly the records (fields and lines) of
 * one whole-file parse: quoted line breaks, "" escapes, CRLF, blank lines,
 * multi-byte UTF-8, invalid UTF-8, any split size.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { csvSplitPoints, openCsvRange, parseCsvText, type CsvRecord } from '../../src/io/csv.js';
import { P20Error } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'p20-csv-ranges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plain = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '漢', ' ', '-'), maxLength: 6 });
const quoted = fc
  .string({ unit: fc.constantFrom('a', ',', '\n', '\r\n', '""', 'é', ' '), maxLength: 6 })
  .map((s) => `"${s}"`);
const field = fc.oneof(plain, plain, quoted);
const record = fc.array(field, { minLength: 3, maxLength: 3 }).map((f) => f.join(','));
const eol = fc.constantFrom('\n', '\r\n', '\n\n');
const csv = fc
  .array(fc.tuple(record, eol), { minLength: 1, maxLength: 30 })
  .map((rs) => 'a,b,c\n' + rs.map(([r, e]) => r + e).join(''));

let n = 0;
async function byRanges(bytes: Uint8Array, target: number): Promise<{ records: CsvRecord[]; error?: string }> {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, bytes);
  const records: CsvRecord[] = [];
  let base = 0;
  try {
    for (const [start, end] of csvSplitPoints(path, target)) {
      let next = 1;
      for await (const batch of openCsvRange(path, start, end, { file: 'f.csv', invalidUtf8: 'replace', batchSize: 7, onEnd: (l) => (next = l) })) {
        for (const r of batch) records.push({ fields: r.fields, line: r.line + base });
      }
      base += next - 1;
    }
  } catch (e) {
    if (!(e instanceof P20Error)) throw e;
    return { records, error: `${e.code} ${(e.location.line ?? 0) + base}` };
  }
  return { records };
}

async function whole(text: string): Promise<{ records: CsvRecord[]; error?: string }> {
  try {
    return { records: await parseCsvText(text, { file: 'f.csv' }) };
  } catch (e) {
    if (!(e instanceof P20Error)) throw e;
    return { records: [], error: `${e.code} ${e.location.line}` };
  }
}

describe('CSV byte ranges', () => {
  it('ranges parsed one by one give the whole-file records and lines, for any split size', async () => {
    await fc.assert(
      fc.asyncProperty(csv, fc.integer({ min: 1, max: 64 }), async (text, target) => {
        const want = await whole(text);
        const got = await byRanges(new TextEncoder().encode(text), target);
        expect(got.records).toEqual(want.records);
      }),
      { numRuns: 100 },
    );
  });

  it('ranges cover the file exactly, end after a line feed outside quotes, and never split a quoted line break', () => {
    const text = 'h1,h2\n"a\nb",c\n"x""\n""y",z\r\nlast,row';
    const path = join(dir, 'cover.csv');
    writeFileSync(path, text);
    const ranges = [...csvSplitPoints(path, 1)];
    expect(ranges[0]![0]).toBe(0);
    expect(ranges.at(-1)![1]).toBe(Buffer.byteLength(text));
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBe(ranges[i - 1]![1]);
    const cuts = ranges.slice(1).map(([s]) => text.slice(0, s));
    expect(cuts).toEqual(['h1,h2\n', 'h1,h2\n"a\nb",c\n', 'h1,h2\n"a\nb",c\n"x""\n""y",z\r\n']);
  });

  it('a BOM is skipped only at the start of the file; invalid UTF-8 is replaced in any range', async () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n1,2\n'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x,y\n'), Buffer.from([0xc3, 0x0a])]);
    const got = await byRanges(bytes, 1);
    expect(got.records.map((r) => r.fields)).toEqual([['a', 'b'], ['1', '2'], ['\uFEFFx', 'y'], ['\uFFFD']]);
    expect(got.records.map((r) => r.line)).toEqual([1, 2, 3, 4]);
  });

  it('a parse error names the same line as a whole-file parse', async () => {
    const text = 'a,b\n1,2\n"3\n4",5\n6,7"\n8,9\n';
    const got = await byRanges(new TextEncoder().encode(text), 2);
    const want = await whole(text);
    expect(want.error).toBe('CSV_QUOTE 5');
    expect(got.error).toBe(want.error);
  });
});
