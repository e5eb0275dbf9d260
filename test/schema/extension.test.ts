import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyAbsent, applyColumnMap, applyCsvDialect, parseDateRangeArg, parseExtension, parseMapArgs, resolveDateChecks } from '../../src/schema/extension.js';
import { parseLinkageSchema } from '../../src/schema/linkage-schema.js';
import type { P20Error } from '../../src/errors.js';
import { p20Thrown } from '../helpers/errors.js';

const base = JSON.parse(readFileSync(resolve(process.cwd(), 'protocols/compat/p20w-person-clkhash.json'), 'utf8')) as Record<string, unknown>;
const schema = parseLinkageSchema(base, 'p20w-person-clkhash.json');

const refusal = (ext: unknown): P20Error => p20Thrown(() => parseExtension(ext, 's.json', schema));

describe('p20link schema extension', () => {
  it('parses the default schema and fills in defaults', () => {
    const ext = parseExtension(schema.p20link, schema.source, schema);
    expect(ext.recordId).toBe('id');
    expect(ext.csv).toEqual({ delimiter: ',', trim: false });
    expect(ext.columns).toEqual({ first_name: 'first_name', middle_name: 'middle_name', last_name: 'last_name', birth_date: 'birth_date', sex: 'sex', zip: 'zip' });
    expect(ext.blocking.map((b) => b.name)).toEqual(['birth_year', 'last_soundex', 'first_soundex']);
    expect(ext.link).toEqual({ threshold: 0.85, blocking: ['birth_year,first_soundex', 'birth_year,last_soundex'], lsh: 'lsh:bands=64,rows=12' });
    expect(ext.passThrough).toEqual([]);
  });

  it('a schema without the extension gets version-1 defaults (plain clkhash schema)', () => {
    const ext = parseExtension(undefined, 's.json', schema);
    expect(ext).toMatchObject({ recordId: 'id', normalize: {}, blocking: [], passThrough: [], maxValueLength: 256 });
  });

  const cases: [string, unknown, string, RegExp][] = [
    ['not an object', [], 'p20link', /must be an object/],
    ['wrong version', { version: 2 }, 'p20link.version', /must be 1/],
    ['unknown key', { version: 1, recordID: 'x' }, 'p20link.recordID', /unknown key/],
    ['empty recordId', { version: 1, recordId: '' }, 'p20link.recordId', /record id/],
    ['bad delimiter', { version: 1, csv: { delimiter: '"' } }, 'p20link.csv.delimiter', /single character/],
    ['column for unknown feature', { version: 1, columns: { surname: 'x' } }, 'p20link.columns.surname', /not a feature/],
    ['steps for unknown feature', { version: 1, normalize: { dob: ['date'] } }, 'p20link.normalize.dob', /not a feature/],
    ['unknown step', { version: 1, normalize: { last_name: ['name', 'soundex'] } }, 'p20link.normalize.last_name[1]', /unknown normalization step "soundex"/],
    ['bad date output', { version: 1, normalize: { birth_date: [{ step: 'date', to: '%Y-%b' }] } }, 'p20link.normalize.birth_date[0].to', /%b/],
    ['maxValueLength', { version: 1, maxValueLength: 0 }, 'p20link.maxValueLength', /integer from 1/],
    ['blocking name', { version: 1, blocking: { 'birth year': { feature: 'birth_date', transform: 'year' } } }, 'p20link.blocking.birth year', /letters, digits/],
    ['blocking feature', { version: 1, blocking: { by: { feature: 'dob', transform: 'year' } } }, 'p20link.blocking.by.feature', /not a feature/],
    ['blocking transform', { version: 1, blocking: { by: { feature: 'birth_date', transform: 'metaphone' } } }, 'p20link.blocking.by.transform', /one of exact, soundex, year, prefix/],
    ['prefix without length', { version: 1, blocking: { p: { feature: 'last_name', transform: 'prefix' } } }, 'p20link.blocking.p.length', /required/],
    ['pass-through of an identifier column', { version: 1, passThrough: ['last_name'] }, 'p20link.passThrough[0]', /identifier feature "last_name"/],
    ['pass-through of a mapped identifier column', { version: 1, columns: { last_name: 'SURNAME' }, passThrough: ['SURNAME'] }, 'p20link.passThrough[0]', /identifier/],
    ['pass-through of the record id', { version: 1, passThrough: ['id'] }, 'p20link.passThrough[0]', /record id/],
    ['pass-through twice', { version: 1, passThrough: ['cohort', 'cohort'] }, 'p20link.passThrough[1]', /twice/],
    ['link threshold', { version: 1, link: { threshold: 1.5 } }, 'p20link.link.threshold', /Dice score/],
    ['review above threshold', { version: 1, link: { threshold: 0.7, reviewThreshold: 0.8 } }, 'p20link.link.reviewThreshold', /must be below/],
    ['review equal to threshold', { version: 1, link: { threshold: 0.7, reviewThreshold: 0.7 } }, 'p20link.link.reviewThreshold', /must be below/],
    ['link blocking unknown key', { version: 1, link: { blocking: ['birth_year'] } }, 'p20link.link.blocking[0]', /defined in p20link.blocking/],
    ['link blocking unknown key in a conjunction', { version: 1, blocking: { by: { feature: 'birth_date', transform: 'year' } }, link: { blocking: ['by,sx'] } }, 'p20link.link.blocking[0]', /joined by ","/],
    ['link blocking key repeated in a conjunction', { version: 1, blocking: { by: { feature: 'birth_date', transform: 'year' } }, link: { blocking: ['by,by'] } }, 'p20link.link.blocking[0]', /joined by ","/],
    ['link lsh not a spec', { version: 1, link: { lsh: 'keys:by' } }, 'p20link.link.lsh', /LSH blocking spec/],
    ['link lsh true', { version: 1, link: { lsh: true } }, 'p20link.link.lsh', /false \(no LSH\)/],
    ['plausible dates of an unknown feature', { version: 1, plausibleDates: { dob: { min: '1900-01-01' } } }, 'p20link.plausibleDates.dob', /not a feature/],
    ['plausible dates: a date that does not exist', { version: 1, plausibleDates: { birth_date: { min: '1900-02-30' } } }, 'p20link.plausibleDates.birth_date.min', /YYYY-MM-DD/],
    ['plausible dates: min after max', { version: 1, plausibleDates: { birth_date: { min: '2000-01-01', max: '1990-01-01' } } }, 'p20link.plausibleDates.birth_date.min', /after max/],
    ['plausible dates of a text feature without format', { version: 1, plausibleDates: { last_name: { min: '1900-01-01' } } }, 'p20link.plausibleDates.last_name.format', /is required/],
    ['plausible dates: unreadable format', { version: 1, plausibleDates: { zip: { format: '%Y%m' } } }, 'p20link.plausibleDates.zip.format', /%Y, %m and %d/],
  ];
  it.each(cases)('refuses %s, naming the JSON path', (_n, ext, path, msg) => {
    const e = refusal(ext);
    expect(e.code).toBe('SCHEMA_EXTENSION');
    expect(e.location).toEqual({ file: 's.json', field: path });
    expect(e.message).toMatch(msg);
  });

  it('--map overrides columns, refusing unknown features and pass-through columns', () => {
    const ext = parseExtension({ version: 1, passThrough: ['cohort'] }, 's.json', schema);
    expect(applyColumnMap(ext, schema, parseMapArgs(['last_name=SURNAME', 'sex=gender'])).columns).toMatchObject({ last_name: 'SURNAME', sex: 'gender', first_name: 'first_name' });
    expect(() => applyColumnMap(ext, schema, { surname: 'x' })).toThrow(/"surname" is not a feature/);
    expect(() => applyColumnMap(ext, schema, { last_name: 'cohort' })).toThrow(/pass-through/);
    expect(() => parseMapArgs(['last_name'])).toThrow(/expected feature=column/);
  });

  it('the shipped FEBRL schema is valid and reads rec_id with trimming', () => {
    const raw = JSON.parse(readFileSync(resolve(process.cwd(), 'protocols/schemas/febrl.json'), 'utf8'));
    const s = parseLinkageSchema(raw, 'febrl.json');
    const ext = parseExtension(s.p20link, s.source, s);
    expect(ext.recordId).toBe('rec_id');
    expect(ext.csv.trim).toBe(true);
    expect(ext.link?.threshold).toBeGreaterThan(0.5);
  });
});

describe('plausible dates, absent features, CSV dialect (agency-side settings)', () => {
  const ext = parseExtension(schema.p20link, schema.source, schema);
  const now = new Date('2026-03-04T23:59:00Z');

  it('a feature with a date step is checked 1900-01-01..today by default; the schema and --date-range override', () => {
    expect(resolveDateChecks(ext, schema, undefined, now)).toEqual([
      { feature: 'birth_date', reader: { kind: 'formatted', format: '%Y-%m-%d' }, min: '1900-01-01', max: '2026-03-04' },
    ]);
    const custom = parseExtension({ ...(schema.p20link as object), plausibleDates: { birth_date: { min: '1950-01-01', max: '2020-12-31' } } }, 's.json', schema);
    expect(resolveDateChecks(custom, schema, undefined, now)[0]).toMatchObject({ min: '1950-01-01', max: '2020-12-31' });
    expect(resolveDateChecks(custom, schema, parseDateRangeArg('1800-01-01..today'), now)[0]).toMatchObject({ min: '1800-01-01', max: '2026-03-04' });
    expect(resolveDateChecks(ext, schema, parseDateRangeArg('none'), now)).toEqual([]);
    const off = parseExtension({ ...(schema.p20link as object), plausibleDates: { birth_date: false } }, 's.json', schema);
    expect(resolveDateChecks(off, schema, undefined, now)).toEqual([]);
    expect(resolveDateChecks(applyAbsent(ext, schema, ['birth_date']), schema, undefined, now)).toEqual([]);
  });

  it('a plain clkhash schema (no date step) is not checked unless it asks', () => {
    const plain = parseExtension(undefined, 's.json', schema);
    expect(resolveDateChecks(plain, schema, undefined, now)).toEqual([]);
  });

  it('--date-range is MIN..MAX or none', () => {
    expect(parseDateRangeArg('..2000-12-31')).toEqual({ min: '1900-01-01', max: '2000-12-31' });
    expect(() => parseDateRangeArg('1900-01-01-today')).toThrow(/MIN\.\.MAX/);
    expect(() => parseDateRangeArg('2001-01-01..2000-01-01')).toThrow(/after MAX/);
  });

  it('--map feature= declares the feature absent; absent features keep schema order', () => {
    const a = applyColumnMap(ext, schema, parseMapArgs(['sex=', 'middle_name=']));
    expect(a.absent).toEqual(['middle_name', 'sex']);
    expect(() => applyAbsent(ext, schema, ['nope'])).toThrow(/not a feature/);
  });

  it('--delimiter and --trim override the schema dialect', () => {
    expect(applyCsvDialect(ext, { delimiter: ';' }).csv).toEqual({ delimiter: ';', trim: false });
    expect(applyCsvDialect(ext, { delimiter: 'tab', trim: true }).csv).toEqual({ delimiter: '\t', trim: true });
    expect(() => applyCsvDialect(ext, { delimiter: ';;' })).toThrow(/one character/);
  });
});

describe('shipped schemas: link hints are sane', () => {
  const load = (f: string) => {
    const s = parseLinkageSchema(JSON.parse(readFileSync(resolve(process.cwd(), f), 'utf8')), f);
    return parseExtension(s.p20link, s.source, s);
  };
  it('febrl.json (hardened) links at 0.565 with a narrow review band (partial overlap: test/encode/febrl-hints-overlap.test.ts)', () => {
    const l = load('protocols/schemas/febrl.json').link!;
    expect(l.threshold).toBe(0.565);
    expect(l.threshold! - l.reviewThreshold!).toBeLessThanOrEqual(0.02);
  });
  it('p20w-person-clkhash.json: a high threshold, no default review band, conjunctive keys', () => {
    const l = load('protocols/compat/p20w-person-clkhash.json').link!;
    expect(l.threshold).toBeGreaterThanOrEqual(0.8);
    expect(l.reviewThreshold).toBeUndefined();
    expect(l.blocking!.every((b) => b.includes(','))).toBe(true);
  });
});
