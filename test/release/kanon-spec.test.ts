import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { P20Error } from '../../src/errors.js';
import { compileHierarchy, KCHECK_SPEC_SCHEMA, loadSpec, parseSpec, resolveSettings } from '../../src/release/index.js';

const FIX = resolve(process.cwd(), 'test/fixtures/release/kanon');

describe('kcheck spec', () => {
  it('the published JSON Schema is the one the code validates with', () => {
    const published = JSON.parse(readFileSync(resolve(process.cwd(), 'protocols/kcheck-spec.schema.json'), 'utf8'));
    expect(published).toEqual(JSON.parse(JSON.stringify(KCHECK_SPEC_SCHEMA)));
  });

  it('loads the fixture spec; flags override it', async () => {
    const s = await resolveSettings({ spec: join(FIX, 'spec.json') });
    expect(s).toMatchObject({ qi: ['school', 'grade', 'sex', 'birth_date', 'zip'], sensitive: ['frl'], k: 3, l: 2, maxSuppressedFraction: 0.25 });
    const o = await resolveSettings({ spec: join(FIX, 'spec.json'), k: 7, suppression: 'records' });
    expect(o).toMatchObject({ k: 7, suppression: 'records' });
  });

  it('defaults: k = 5, l = 2 with sensitive attributes, 1 without; 5% suppression, auto search, local', async () => {
    expect(await resolveSettings({ qi: ['a'] })).toMatchObject({ k: 5, l: 1, maxSuppressedFraction: 0.05, strategy: 'auto', suppression: 'local' });
    expect(await resolveSettings({ qi: ['a'], sensitive: ['b'] })).toMatchObject({ l: 2 });
  });

  const bad: [string, unknown, RegExp, string][] = [
    ['missing version', { k: 5 }, /version/, '(spec)'],
    ['wrong version', { version: 2 }, /must be 1/, 'version'],
    ['unknown property', { version: 1, kk: 5 }, /unknown property "kk"/, '(spec)'],
    ['k not integer', { version: 1, k: 2.5 }, /integer/, 'k'],
    ['bad hierarchy type', { version: 1, hierarchies: { a: { type: 'round' } } }, /must be one of/, 'hierarchies.a.type'],
    ['interval without widths', { version: 1, hierarchies: { a: { type: 'interval' } } }, /widths/, 'hierarchies.a'],
    ['bands that do not nest', { version: 1, hierarchies: { a: { type: 'interval', widths: [5, 12] } } }, /whole multiple/, 'hierarchies.a.widths.1'],
    ['prefix lengths not decreasing', { version: 1, hierarchies: { z: { type: 'prefix', keep: [3, 3] } } }, /strictly decrease/, 'hierarchies.z.keep.1'],
    ['date levels out of order', { version: 1, hierarchies: { d: { type: 'date', levels: ['year', 'month'] } } }, /fine to coarse/, 'hierarchies.d.levels.1'],
    ['maxLevel above top', { version: 1, hierarchies: { d: { type: 'suppress', maxLevel: 2 } } }, /above the top level/, 'hierarchies.d.maxLevel'],
  ];
  for (const [name, spec, msg, field] of bad) {
    it(`refuses a bad spec: ${name}`, () => {
      let err: unknown;
      try {
        parseSpec(spec, 'x.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(P20Error);
      expect((err as P20Error).message).toMatch(msg);
      expect((err as P20Error).location).toMatchObject({ file: 'x.json', field });
    });
  }

  it('refuses a hierarchy for a column that is not a QI, and unreadable / non-JSON files', async () => {
    await expect(resolveSettings({ spec: { version: 1, quasiIdentifiers: ['a'], hierarchies: { b: { type: 'suppress' } } } })).rejects.toThrow(
      /not a quasi-identifier/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'p20-kspec-'));
    writeFileSync(join(dir, 's.json'), '{ "version": 1, ');
    await expect(loadSpec(join(dir, 's.json'))).rejects.toMatchObject({ code: 'KCHECK_SPEC' });
    await expect(loadSpec(join(dir, 'none.json'))).rejects.toThrow(/cannot read spec: ENOENT/);
  });
});

describe('hierarchies (known answers)', () => {
  it('interval: bands of 5 then 10, then "*"; missing values kept below "*"', () => {
    const g = compileHierarchy('age', { type: 'interval', widths: [5, 10] }, ['']);
    expect(g.height).toBe(3);
    expect([0, 1, 2, 3].map((l) => g.apply('17', l))).toEqual(['17', '15-19', '10-19', '*']);
    expect(g.apply('-3', 1)).toBe('-5--1');
    expect(g.apply('', 1)).toBe('');
    expect(g.apply('', 3)).toBe('*');
    expect(() => g.apply('seventeen', 1)).toThrow(/not a number/);
    expect(() => g.apply('17.5', 1)).toThrow(/whole number/);
    const b = compileHierarchy('birth_year', { type: 'interval', widths: [2], origin: 2001 }, ['']);
    expect(b.apply('2004', 1)).toBe('2003-2004');
    const r = compileHierarchy('gpa', { type: 'interval', widths: [0.5], integer: false }, ['']);
    expect(r.apply('3.7', 1)).toBe('[3.5,4)');
  });

  it('prefix: ZIP 02139 → 021* → 0* → *', () => {
    const g = compileHierarchy('zip', { type: 'prefix', keep: [3, 1] }, ['']);
    expect([0, 1, 2, 3].map((l) => g.apply('02139', l))).toEqual(['02139', '021*', '0*', '*']);
    expect(g.apply('02', 1)).toBe('02');
  });

  it('date: month, quarter, year in three input layouts', () => {
    const g = compileHierarchy('dob', { type: 'date', levels: ['month', 'quarter', 'year'] }, ['']);
    expect([1, 2, 3, 4].map((l) => g.apply('2011-05-03', l))).toEqual(['2011-05', '2011-Q2', '2011', '*']);
    const us = compileHierarchy('dob', { type: 'date', levels: ['year'], format: 'MM/DD/YYYY' }, ['']);
    expect(us.apply('12/31/2010', 1)).toBe('2010');
    const compact = compileHierarchy('dob', { type: 'date', levels: ['quarter'], format: 'YYYYMMDD' }, ['']);
    expect(compact.apply('20101001', 1)).toBe('2010-Q4');
    expect(() => g.apply('2011-02-30', 1)).toThrow(/not a valid calendar date/);
    expect(() => g.apply('May 3 2011', 1)).toThrow(/not a date/);
  });

  it('map: chained levels with "other"; an unlisted value without "other" is refused', () => {
    const g = compileHierarchy(
      'race',
      {
        type: 'map',
        levels: [{ map: { Asian: 'Asian/PI', 'Pacific Islander': 'Asian/PI', White: 'White' }, other: 'Other' }, { map: { White: 'White' } , other: 'Non-white' }],
      },
      [''],
    );
    expect([0, 1, 2, 3].map((l) => g.apply('Pacific Islander', l))).toEqual(['Pacific Islander', 'Asian/PI', 'Non-white', '*']);
    expect(g.apply('Black', 1)).toBe('Other');
    const strict = compileHierarchy('race', { type: 'map', levels: [{ map: { A: 'x' } }] }, ['']);
    expect(() => strict.apply('B', 1)).toThrow(/not listed/);
  });

  it('a QI with no hierarchy has one level: "*"', () => {
    const g = compileHierarchy('school', undefined, ['']);
    expect(g.height).toBe(1);
    expect(g.apply('Adams', 1)).toBe('*');
    expect(g.describe(1)).toBe('*');
  });
});
