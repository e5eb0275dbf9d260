import { describe, expect, it } from 'vitest';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeFile, type EncodeOptions } from '../../src/encode/pipeline.js';
import { openEncoded } from '../../src/format/encoded-file.js';
import { parseLinkageSchema, schemaFingerprint } from '../../src/schema/linkage-schema.js';
import { keyCheckValue } from '../../src/encode/key-check.js';
import { csvLine } from '../../src/io/csv.js';
import { collectBatches } from '../helpers/batches.js';
import { p20Rejection as refusal } from '../helpers/errors.js';
import { exitStatusOf } from '../../cli/exit-status.js';
import { cliMessage } from '../../cli/hints.js';
import { fileTempDir } from '../helpers/tmp.js';

const FIX = resolve(process.cwd(), 'test/fixtures/encode');
const SCHEMA = join(FIX, 'person.schema.json');
const VECTORS = resolve(process.cwd(), '../shared/vectors/clkhash');
const secret = new TextEncoder().encode('test secret for the pipeline 0123456789');
const HEADER = 'student_id,last_name,first_name,middle_name,birth_date,gender,zip,cohort_year\n';
const FIXED_TIME = new Date('2026-01-02T03:04:05Z');

const dir = fileTempDir('p20link-pipeline-');

let n = 0;
async function csvFile(text: string | Buffer): Promise<string> {
  const p = join(dir, `in-${++n}.csv`);
  await writeFile(p, text);
  return p;
}

async function encode(input: string, extra: Partial<EncodeOptions> = {}) {
  const output = join(dir, `out-${++n}.enc`);
  const summary = await encodeFile({ input, output, schema: SCHEMA, secret, party: 'k12', workers: 0, createdAt: FIXED_TIME, allowUnhardened: true, ...extra });
  return { output, summary };
}

async function readRows(path: string) {
  const r = await openEncoded(path);
  return { header: r.header, rows: await collectBatches(r.batches) };
}

/** No output and no temp file left behind in the test directory for this output name. */
async function expectNoOutput(output: string) {
  const names = await readdir(dir);
  const base = output.split('/').pop()!;
  expect(names.filter((x) => x === base || x.startsWith(`.${base}.`))).toEqual([]);
}

describe('encodeFile: clkhash compatibility (no normalize steps)', () => {
  // encodeFile always validates rows as clkhash does with validate=True, so the one
  // validate=False vector (rows that break their schema on purpose) is left to test/clk.
  const files = readdirSync(VECTORS).filter((f) => f.endsWith('.json') && JSON.parse(readFileSync(join(VECTORS, f), 'utf8')).validate !== false);
  it('covers the clkhash vector files', () => expect(files.length).toBeGreaterThanOrEqual(50));
  it.each(files)('%s: every CLK equals clkhash 0.18.3', async (f) => {
    const v = JSON.parse(readFileSync(join(VECTORS, f), 'utf8')) as {
      schema: unknown; secret: string; header: string[]; rows: string[][]; clks: string[]; validate?: boolean;
    };
    const schema = parseLinkageSchema(v.schema, f);
    const text = csvLine(['__rowid', ...v.header]) + v.rows.map((r, i) => csvLine([`r${i}`, ...r])).join('');
    const input = await csvFile(text);
    const output = join(dir, `vec-${++n}.enc`);
    const s = await encodeFile({ input, output, schema, secret: new TextEncoder().encode(v.secret), party: 'p', idColumn: '__rowid', workers: 0, allowUnhardened: true });
    expect(s).toMatchObject({ read: v.rows.length, encoded: v.rows.length, rejected: 0 });
    const { header, rows } = await readRows(output);
    expect(header.schemaFingerprint).toBe(schemaFingerprint(schema));
    expect(rows.map((r) => Buffer.from(r.clk).toString('base64'))).toEqual(v.clks);
  });
});

describe('encodeFile: normalization, header, blocking, pass-through', () => {
  it('encodes the fixture; differently written records of one person get one CLK and one blocking value', async () => {
    const { output, summary } = await encode(join(FIX, 'people.csv'));
    expect(summary).toMatchObject({ read: 5, encoded: 5, rejected: 0, workers: 0 });
    const { header, rows } = await readRows(output);
    expect(header).toMatchObject({
      format: 'p20link/encoded', version: 1, party: 'k12', l: 1024, rowCount: 5, createdAt: FIXED_TIME.toISOString(),
      keyCheckValue: keyCheckValue(secret),
      columns: ['id', 'clk', 'block:birth_year', 'block:last_soundex', 'pass:cohort_year'],
    });
    expect(rows.map((r) => r.id)).toEqual(['S001', 'S002', 'S003', 'S004', 'S005']);
    const [a, b, c] = rows;
    expect(Buffer.from(a!.clk).equals(Buffer.from(b!.clk))).toBe(true); // "García-López, María J., 03/05/2001" = "garcia lopez, MARIA J, 2001-03-05"
    expect(a!.blocks).toEqual(b!.blocks);
    expect(a!.blocks.birth_year).toMatch(/^[0-9a-f]{32}$/);
    expect(c!.blocks.birth_year).not.toBe(a!.blocks.birth_year);
    expect(rows.map((r) => r.pass.cohort_year)).toEqual(['2019', '2019', '2018', '2018', '2017']);
    // no identifier value is written in clear
    const text = await readFile(output, 'utf8');
    for (const pii of ['Garc', 'GARCIA', 'María', 'MARIA', '2001', '97501', 'Brien', 'BRIEN']) expect(text).not.toContain(pii);
  });

  it('a missing value is written as an empty blocking value', async () => {
    const input = await csvFile(HEADER + 'S1,Smith,Ann,,,F,,2019\n');
    const { rows } = await readRows((await encode(input)).output);
    expect(rows[0]!.blocks.birth_year).toBe('');
    expect(rows[0]!.blocks.last_soundex).toMatch(/^[0-9a-f]{32}$/);
  });

  it('CRLF line ends, a UTF-8 BOM and quoted fields give the same encoding as plain LF', async () => {
    const plain = await readRows((await encode(join(FIX, 'people.csv'))).output);
    const raw = await readFile(join(FIX, 'people.csv'), 'utf8');
    const crlf = await readRows((await encode(await csvFile('\uFEFF' + raw.replace(/\n/g, '\r\n')))).output);
    expect(crlf.rows.map((r) => Buffer.from(r.clk).toString('base64'))).toEqual(plain.rows.map((r) => Buffer.from(r.clk).toString('base64')));
  });

  it('a quoted field with an embedded line break keeps physical line numbers right', async () => {
    const input = await csvFile(HEADER + 'S1,"Smith\nJones",Ann,,2001-03-05,F,97501,2019\nS2,Lee,Bo,,2001-02-30,M,97501,2019\n');
    const e = await refusal(encode(input));
    expect(e.location).toEqual({ file: input, line: 4, field: 'birth_date' });
  });

  it('--map and --id-column read features from other columns', async () => {
    const input = await csvFile('ID,SURNAME,first_name,middle_name,birth_date,gender,zip,cohort_year\nS001,García-López,María,José,03/05/2001,F,97501-1234,2019\n');
    const mapped = await readRows((await encode(input, { map: { last_name: 'SURNAME' }, idColumn: 'ID' })).output);
    const plain = await readRows((await encode(join(FIX, 'people.csv'))).output);
    expect(mapped.rows[0]!.id).toBe('S001');
    expect(Buffer.from(mapped.rows[0]!.clk).equals(Buffer.from(plain.rows[0]!.clk))).toBe(true);
  });

  it('another secret gives other CLKs, blocking values and key check value', async () => {
    const a = await readRows((await encode(join(FIX, 'people.csv'))).output);
    const b = await readRows((await encode(join(FIX, 'people.csv'), { secret: new TextEncoder().encode('another secret, also long enough') })).output);
    expect(b.header.keyCheckValue).not.toBe(a.header.keyCheckValue);
    expect(b.header.schemaFingerprint).toBe(a.header.schemaFingerprint);
    for (let i = 0; i < a.rows.length; i++) {
      expect(Buffer.from(a.rows[i]!.clk).equals(Buffer.from(b.rows[i]!.clk))).toBe(false);
      expect(a.rows[i]!.blocks.last_soundex).not.toBe(b.rows[i]!.blocks.last_soundex);
    }
  });
});

describe('encodeFile: bad input is refused with file, line and column', () => {
  const cases: [string, string | Buffer, { line?: number; field?: string; code: string; msg: RegExp }][] = [
    ['unparseable date', HEADER + 'S1,Smith,Ann,,2001-02-30,F,97501,2019\n', { line: 2, field: 'birth_date', code: 'ENCODE_BAD_ROW', msg: /not a valid date/ }],
    ['unknown sex code', HEADER + 'S1,Smith,Ann,,2001-02-03,Q,97501,2019\n', { line: 2, field: 'gender', code: 'ENCODE_BAD_ROW', msg: /sex code/ }],
    ['bad ZIP', HEADER + 'S1,Smith,Ann,,2001-02-03,F,ABCDE,2019\n', { line: 2, field: 'zip', code: 'ENCODE_BAD_ROW', msg: /ZIP/ }],
    ['over-long value', HEADER + `S1,${'x'.repeat(300)},Ann,,2001-02-03,F,97501,2019\n`, { line: 2, field: 'last_name', code: 'ENCODE_BAD_ROW', msg: /longer than 256/ }],
    ['value over the schema maxLength (clkhash check)', HEADER + `S1,${'x'.repeat(65)},Ann,,2001-02-03,F,97501,2019\n`, { line: 2, field: 'last_name', code: 'ENCODE_BAD_ROW', msg: /./ }],
    ['missing column in a row', HEADER + 'S1,Smith,Ann,,2001-02-03,F,97501\nS2,Lee,Bo,,2001-02-03,M\n', { line: 2, field: 'cohort_year', code: 'ENCODE_BAD_ROW', msg: /missing column "cohort_year"/ }],
    ['invalid UTF-8', Buffer.concat([Buffer.from(HEADER + 'S1,Smith,Ann,,2001-02-03,F,97501,2019\nS2,Sm'), Buffer.from([0xff, 0xfe]), Buffer.from('th,Ann,,2001-02-03,F,97501,2019\n')]), { line: 3, field: 'last_name', code: 'ENCODE_BAD_ROW', msg: /UTF-8/ }],
    ['empty record id', HEADER + ',Smith,Ann,,2001-02-03,F,97501,2019\n', { line: 2, field: 'student_id', code: 'ENCODE_BAD_ROW', msg: /record id is empty/ }],
    ['duplicate record id', HEADER + 'S1,Smith,Ann,,2001-02-03,F,97501,2019\nS1,Lee,Bo,,2001-02-03,M,97501,2019\n', { line: 3, field: 'student_id', code: 'ENCODE_DUPLICATE_ID', msg: /line 2/ }],
    ['empty file', '', { line: 1, code: 'CSV_EMPTY', msg: /empty/ }],
    ['header only', HEADER, { code: 'ENCODE_NO_ROWS', msg: /no data rows/ }],
    ['header that does not match the schema', 'student_id,surname,first_name,middle_name,birth_date,gender,zip,cohort_year\nS1,Smith,Ann,,2001-02-03,F,97501,2019\n', { line: 1, field: 'last_name', code: 'ENCODE_HEADER', msg: /missing column "last_name"/ }],
    ['UTF-16 file', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(HEADER, 'utf16le')]), { line: 1, code: 'CSV_ENCODING', msg: /UTF-16/ }],
    ['unterminated quote', HEADER + 'S1,"Smith,Ann,,2001-02-03,F,97501,2019\n', { line: 2, code: 'CSV_UNTERMINATED_QUOTE', msg: /never closed/ }],
  ];
  it.each(cases)('%s', async (_name, content, want) => {
    const input = await csvFile(content);
    const output = join(dir, `bad-${++n}.enc`);
    const e = await refusal(encodeFile({ input, output, schema: SCHEMA, secret, party: 'k12', workers: 0, allowUnhardened: true }));
    expect(e.code).toBe(want.code);
    expect(e.message).toMatch(want.msg);
    expect(e.location.file).toBe(input);
    if (want.line !== undefined) expect(e.location.line).toBe(want.line);
    if (want.field !== undefined) expect(e.location.field).toBe(want.field);
    expect(exitStatusOf(e)).not.toBe(0);
    await expectNoOutput(output);
  });

  it('a missing input file and option mistakes are refused', async () => {
    expect((await refusal(encode(join(dir, 'nope.csv')))).code).toBe('CSV_OPEN');
    const input = join(FIX, 'people.csv');
    expect(cliMessage(await refusal(encode(input, { onBadRow: 'reject' })))).toMatch(/--rejects/);
    expect((await refusal(encode(input, { party: 'bad party/..' }))).message).toMatch(/party name/);
    expect((await refusal(encode(input, { map: { lastname: 'x' } }))).message).toMatch(/"lastname" is not a feature/);
    expect((await refusal(encode(input, { map: { last_name: 'cohort_year' } }))).message).toMatch(/pass-through/);
    expect((await refusal(encodeFile({ input, output: input, schema: SCHEMA, secret, party: 'k12', allowUnhardened: true }))).message).toMatch(/different files/);
    const noDir = await refusal(encodeFile({ input, output: join(dir, 'no-such-dir', 'x.enc'), schema: SCHEMA, secret, party: 'k12', allowUnhardened: true }));
    expect(noDir.code).toBe('ENCODE_OUTPUT');
    expect(noDir.location.file).toBe(join(dir, 'no-such-dir', 'x.enc'));
  });
});

describe('encodeFile: reject policy', () => {
  it('writes bad rows with line, column and reason to the rejects file (mode 600) and counts them', async () => {
    const input = await csvFile(
      HEADER +
        'S1,Smith,Ann,,2001-02-03,F,97501,2019\n' +
        'S2,Lee,Bo,,02/30/2001,M,97501,2019\n' +
        'S3,"Multi\nLine",Cy,,2001-02-03,M,97501,2019\n' +
        'S4,Kim,Di,,2001-02-03,Q,97501,2019\n' +
        'S5,Short\n' +
        'S6,Ng,Ed,,2001-02-03,M,97501,2019\n',
    );
    const rejectsFile = join(dir, `rejects-${++n}.csv`);
    const { output, summary } = await encode(input, { onBadRow: 'reject', rejectsFile });
    expect(summary).toMatchObject({ read: 6, encoded: 3, rejected: 3, rejectsFile });
    const { rows } = await readRows(output);
    expect(rows.map((r) => r.id)).toEqual(['S1', 'S3', 'S6']);
    const rej = await readFile(rejectsFile, 'utf8');
    const lines = rej.trim().split('\n');
    expect(lines[0]).toBe('rejected_line,rejected_column,rejected_reason,' + HEADER.trim());
    expect(lines[1]).toMatch(/^3,birth_date,.*not a valid date.*,S2,Lee,Bo,,02\/30\/2001,M,97501,2019$/);
    expect(lines[2]).toMatch(/^6,gender,.*sex code.*,S4,Kim/);
    expect(lines[3]).toMatch(/^7,first_name,.*missing column ""first_name"".*,S5,Short$/);
    expect((await stat(rejectsFile)).mode & 0o777).toBe(0o600);
  });

  it('refuses to write an encoded file when every row is rejected, keeping the rejects file', async () => {
    const input = await csvFile(HEADER + 'S2,Lee,Bo,,02/30/2001,M,97501,2019\n');
    const rejectsFile = join(dir, `rejects-${++n}.csv`);
    const output = join(dir, `none-${++n}.enc`);
    const e = await refusal(encodeFile({ input, output, schema: SCHEMA, secret, party: 'k12', onBadRow: 'reject', rejectsFile, workers: 0, allowUnhardened: true }));
    expect(e.code).toBe('ENCODE_ALL_REJECTED');
    await expectNoOutput(output);
    expect(await readFile(rejectsFile, 'utf8')).toMatch(/^rejected_line,.*\n2,birth_date,/);
  });
});

describe('encodeFile: worker threads', () => {
  it('writes exactly the same file with 0, 1 and 3 workers, rejects included', async () => {
    const lines = [HEADER.trimEnd()];
    const names = ['García', 'Smith', 'Nguyễn', "O'Neil", 'de la Cruz', 'Müller', 'Lee'];
    for (let i = 0; i < 7000; i++) {
      const bad = i % 997 === 5;
      lines.push(`S${i},${names[i % 7]},N${i % 131},,${bad ? '2001-13-01' : `${1990 + (i % 20)}-0${1 + (i % 9)}-1${i % 9}`},${i % 2 ? 'M' : 'F'},97${String(i % 1000).padStart(3, '0')},${2010 + (i % 5)}`);
    }
    const input = await csvFile(lines.join('\n') + '\n');
    const outs: Buffer[] = [];
    const rejs: Buffer[] = [];
    for (const workers of [0, 1, 3]) {
      const rejectsFile = join(dir, `wrej-${++n}.csv`);
      const { output, summary } = await encode(input, { workers, onBadRow: 'reject', rejectsFile });
      expect(summary).toMatchObject({ read: 7000, rejected: 8, encoded: 6992, workers });
      outs.push(await readFile(output));
      rejs.push(await readFile(rejectsFile));
    }
    expect(outs[1]!.equals(outs[0]!)).toBe(true);
    expect(outs[2]!.equals(outs[0]!)).toBe(true);
    expect(rejs[1]!.equals(rejs[0]!)).toBe(true);
    expect(rejs[2]!.equals(rejs[0]!)).toBe(true);
  });

  it('a bad row fails the run the same way with workers', async () => {
    const input = await csvFile(HEADER + 'S1,Smith,Ann,,2001-02-03,F,97501,2019\nS2,Lee,Bo,,02/30/2001,M,97501,2019\n');
    const e = await refusal(encode(input, { workers: 2 }));
    expect(e.location).toEqual({ file: input, line: 3, field: 'birth_date' });
  });
});
