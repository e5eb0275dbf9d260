import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvText, openCsv, csvEscape, csvLine, firstInvalidUtf8, neutraliseFormula, restoreFormula } from '../../src/io/csv.js';
import { collectBatches } from '../helpers/batches.js';
import { p20Rejection as errorOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('p20-csv-');
async function readAll(path: string, opts = {}) {
  const t = await openCsv(path, opts);
  return { header: t.header, rows: await collectBatches(t.batches) };
}

describe('CSV reader', () => {
  it('parses quoted fields with delimiters, quotes and newlines, with exact line numbers', async () => {
    const r = await parseCsvText('a,b\r\n"x,1","he said ""hi"""\n"multi\nline",z\n\nlast,row', { file: 't' });
    expect(r).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['x,1', 'he said "hi"'], line: 2 },
      { fields: ['multi\nline', 'z'], line: 3 },
      { fields: ['last', 'row'], line: 6 },
    ]);
  });

  it('trims unquoted fields only when asked (FEBRL ", " layout)', async () => {
    expect((await parseCsvText('a, b ," c "', { file: 't', trim: true }))[0]!.fields).toEqual(['a', 'b', ' c ']);
    expect((await parseCsvText('a, b', { file: 't' }))[0]!.fields).toEqual(['a', ' b']);
  });

  it('skips a UTF-8 BOM and handles CRLF', async () => {
    const p = join(dir, 'bom.csv');
    writeFileSync(p, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,name\r\n1,Zoë\r\n')]));
    const { header, rows } = await readAll(p);
    expect(header).toEqual(['id', 'name']);
    expect(rows).toEqual([{ fields: ['1', 'Zoë'], line: 2 }]);
  });

  it('refuses an empty file, a UTF-16 file and invalid UTF-8 with file and line', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    expect((await errorOf(readAll(empty))).code).toBe('CSV_EMPTY');
    const u16 = join(dir, 'u16.csv');
    writeFileSync(u16, Buffer.from('\ufeffid\n1\n', 'utf16le'));
    const e16 = await errorOf(readAll(u16));
    expect(e16.code).toBe('CSV_ENCODING');
    expect(e16.message).toContain('UTF-16');
    const bad = join(dir, 'latin1.csv');
    writeFileSync(bad, Buffer.concat([Buffer.from('id,name\n1,ok\n2,Jos'), Buffer.from([0xe9]), Buffer.from('\n')]));
    const e = await errorOf(readAll(bad));
    expect(e.code).toBe('CSV_ENCODING');
    expect(e.location).toMatchObject({ file: bad, line: 3 });
  });

  it('refuses an unterminated quote naming the line it opened on', async () => {
    const e = await errorOf(parseCsvText('a,b\n1,"open\n2,3\n', { file: 'q.csv' }));
    expect(e.code).toBe('CSV_UNTERMINATED_QUOTE');
    expect(e.location.line).toBe(2);
  });

  it('refuses rows whose width differs from the header, naming the missing column', async () => {
    const p = join(dir, 'short.csv');
    writeFileSync(p, 'id,first,last\n1,a,b\n2,c\n');
    const e = await errorOf(readAll(p));
    expect(e.code).toBe('CSV_ROW_WIDTH');
    expect(e.location.line).toBe(3);
    expect(e.message).toContain('"last"');
  });

  it('refuses duplicate and empty header names', async () => {
    const p = join(dir, 'dup.csv');
    writeFileSync(p, 'id,id\n1,2\n');
    expect((await errorOf(readAll(p))).code).toBe('CSV_HEADER');
  });

  it('round-trips any table through csvLine, whatever the chunking', async () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é', '😀') });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((w) => fc.array(fc.array(field, { minLength: w, maxLength: w }), { minLength: 1, maxLength: 8 })),
        fc.integer({ min: 1, max: 7 }),
        async (rows, chunk) => {
          // a row of one empty field is a blank line, which the reader skips by design
          const kept = rows.filter((r) => !(r.length === 1 && r[0] === ''));
          const text = kept.map((r) => csvLine(r)).join('');
          async function* chunks() {
            for (let i = 0; i < text.length; i += chunk) yield text.slice(i, i + chunk);
          }
          const { parseCsv } = await import('../../src/io/csv.js');
          const out: string[][] = [];
          for await (const b of parseCsv(chunks(), { file: 'p', batchSize: 3 })) out.push(...b.map((r) => r.fields));
          expect(out).toEqual(kept);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('neutralises spreadsheet formulas on output: a leading apostrophe, plain numbers left alone', () => {
    expect(csvLine(['=HYPERLINK("http://x.example","click")', '@SUM(A1)', '+1+1', '-cmd', '\tx', 'A1070'])).toBe(
      `"'=HYPERLINK(""http://x.example"",""click"")",'@SUM(A1),'+1+1,'-cmd,'\tx,A1070\n`,
    );
    expect(csvLine(['-3', '+1.5', '-0.25e-3', '0.950000', '-'])).toBe("-3,+1.5,-0.25e-3,0.950000,'-\n");
    // an apostrophe the value really starts with survives the round trip
    expect(neutraliseFormula("'=x")).toBe("''=x");
    expect(restoreFormula("''=x")).toBe("'=x");
    expect(restoreFormula("'abc")).toBe("'abc");
  });

  it('formula-like values round-trip through the writer and reader, and no written cell starts a formula (property)', async () => {
    const field = fc.string({ unit: fc.constantFrom("'", '=', '+', '-', '@', '\t', '\r', '1', '.', 'e', 'a', ',', '"', ' '), maxLength: 6 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(field, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 6 }), async (rows) => {
        const text = rows.map((r) => csvLine(r)).join('');
        const back = (await parseCsvText(text, { file: 'p' })).map((r) => r.fields);
        expect(back).toEqual(rows);
        const raw = (await parseCsvText(text, { file: 'p', formulaPrefix: false })).flatMap((r) => r.fields);
        for (const cell of raw) {
          if (/^[=+\-@\t\r]/.test(cell)) expect(cell).toMatch(/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('finds the first invalid UTF-8 byte', () => {
    expect(firstInvalidUtf8(Buffer.from('héllo'))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xff, 0x62]))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3]))).toBe(-1); // incomplete at the end: wait for more
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).toBe(0); // overlong
  });
});

describe('csvEscape: the quick check for plain values', () => {
  // what csvEscape wrote before it had the quick check: the output must be the same for every value
  const reference = (v: string, delimiter = ','): string => {
    v = neutraliseFormula(v);
    if (v.includes('"') || v.includes(delimiter) || v.includes('\n') || v.includes('\r') || /^\s|\s$/.test(v)) return `"${v.replace(/"/g, '""')}"`;
    return v;
  };
  const tricky = ['', 'abc', 'L0123456789abcdef', '0.9531', '-3', '+1.5e-3', '=SUM(A1)', "'=x", "''+1", '@x', '-x', 'a,b', 'a"b', 'a\tb', ' a', 'a ',
    'a\u00a0', '\u3000x', 'x\u2028', '\ufeffx', '\u1680', 'é', '日本', 'a b', 'a;b', "it's", 'x\u0085', '\t-1'];
  it('gives what the full path gives, for tricky values and delimiters', () => {
    for (const d of [',', ';', '\t', '|']) for (const v of tricky) expect(csvEscape(v, d)).toBe(reference(v, d));
  });
  it('gives what the full path gives, for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.constantFrom(',', ';', '\t'), (v, d) => csvEscape(v, d) === reference(v, d)), { numRuns: 2000 });
  });
});
