import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalName,
  collapseWhitespace,
  compileSteps,
  dropSuffixes,
  foldDiacritics,
  formatDate,
  joinParticles,
  normalizeSex,
  normalizeZip5,
  NormalizeError,
  parseDate,
  parseSteps,
} from '../../src/normalize/index.js';
import { P20Error } from '../../src/errors.js';

describe('text normalization', () => {
  it('folds diacritics and letters NFKD leaves alone', () => {
    expect(foldDiacritics('García-López')).toBe('Garcia-Lopez');
    expect(foldDiacritics('Zoë')).toBe('Zoe');
    expect(foldDiacritics('Zoe\u0308')).toBe('Zoe');
    expect(foldDiacritics('Łukasz Müller')).toBe('Lukasz Muller');
    expect(foldDiacritics('Straße')).toBe('Strasse');
    expect(foldDiacritics('Søren Ærø')).toBe('Soren AEro');
    expect(foldDiacritics('ﬁ')).toBe('fi'); // compatibility ligature
    expect(foldDiacritics('ＡＢＣ')).toBe('ABC'); // full-width
  });
  it('canonical names: case, punctuation, hyphenated and compound surnames', () => {
    expect(canonicalName('García-López')).toBe('GARCIA LOPEZ');
    expect(canonicalName('garcia lopez')).toBe('GARCIA LOPEZ');
    expect(canonicalName("O'Brien")).toBe('OBRIEN');
    expect(canonicalName('O’Brien')).toBe('OBRIEN');
    expect(canonicalName('  anne\u00a0 marie\t')).toBe('ANNE MARIE');
    expect(canonicalName('Smith, Jr.')).toBe('SMITH JR');
    expect(canonicalName('Nguyễn')).toBe('NGUYEN');
    expect(canonicalName('Zo\u200Be')).toBe('ZOE'); // zero-width space removed
    expect(canonicalName('')).toBe('');
  });
  it('joins particles and drops suffixes', () => {
    expect(joinParticles(canonicalName('de la Cruz'))).toBe('DELACRUZ');
    expect(joinParticles(canonicalName('De La Cruz'))).toBe(joinParticles(canonicalName('Delacruz')));
    expect(joinParticles('VAN DER BERG')).toBe('VANDERBERG');
    expect(joinParticles(canonicalName('Mc Donald'))).toBe('MCDONALD');
    expect(joinParticles('GARCIA LOPEZ')).toBe('GARCIA LOPEZ');
    expect(joinParticles(canonicalName('Saint John'))).toBe(joinParticles(canonicalName('St. John')));
    expect(joinParticles('LA')).toBe('LA');
    expect(joinParticles('JOHN DE')).toBe('JOHN DE');
    expect(dropSuffixes('SMITH JR')).toBe('SMITH');
    expect(dropSuffixes('KING III')).toBe('KING');
    expect(dropSuffixes('JR')).toBe('JR');
  });
  it('collapseWhitespace is idempotent and leaves no double or edge spaces', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const c = collapseWhitespace(s);
        expect(collapseWhitespace(c)).toBe(c);
        expect(c).not.toMatch(/\s\s|^\s|\s$/u);
      }),
    );
  });
  it('canonicalName is idempotent and case/diacritic insensitive', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const c = canonicalName(s);
        expect(canonicalName(c)).toBe(c);
        expect(canonicalName(s.toLowerCase())).toBe(canonicalName(s.toUpperCase()));
      }),
      { numRuns: 2000 },
    );
    expect(canonicalName('ᾀ')).toBe(canonicalName('ᾀ'.toUpperCase()));
  });
});

describe('dates', () => {
  it('parses the common layouts to one canonical form', () => {
    for (const v of ['2001-03-05', '03/05/2001', '3/5/2001', '20010305', '2001-3-5', '2001-03-05T00:00:00', '2001-03-05 00:00']) {
      const d = parseDate(v);
      expect(d, v).toEqual({ year: 2001, month: 3, day: 5 });
      expect(formatDate(d!, '%Y-%m-%d')).toBe('2001-03-05');
      expect(formatDate(d!, '%Y%m%d')).toBe('20010305');
    }
    expect(parseDate('05/03/2001', ['DD/MM/YYYY'])).toEqual({ year: 2001, month: 3, day: 5 });
  });
  it('refuses dates that do not exist or do not match', () => {
    for (const v of ['2023-02-29', '2001-13-01', '02/30/2001', '2001/03/05x', '05-Mar-2001', '', '1900-02-29', '20010230', '0000-01-01']) {
      expect(parseDate(v), v).toBeNull();
    }
    expect(parseDate('2000-02-29')).toEqual({ year: 2000, month: 2, day: 29 });
  });
  it('round-trips every valid date through every layout', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }), (dt) => {
        const d = { year: dt.getUTCFullYear(), month: dt.getUTCMonth() + 1, day: dt.getUTCDate() };
        expect(parseDate(formatDate(d, '%Y-%m-%d'))).toEqual(d);
        expect(parseDate(formatDate(d, '%m/%d/%Y'))).toEqual(d);
        expect(parseDate(formatDate(d, '%Y%m%d'))).toEqual(d);
      }),
    );
  });
});

describe('codes', () => {
  it('sex codes', () => {
    expect(['m', 'Male', ' MALE ', '1'].map(normalizeSex)).toEqual(['M', 'M', 'M', 'M']);
    expect(['f', 'Female', '2'].map(normalizeSex)).toEqual(['F', 'F', 'F']);
    expect(['x', 'Non-binary'].map(normalizeSex)).toEqual(['X', 'X']);
    expect(['', 'U', 'unknown', '0', '9'].map(normalizeSex)).toEqual(['', '', '', '', '']);
    expect(() => normalizeSex('Q')).toThrow(NormalizeError);
  });
  it('ZIP codes to five digits', () => {
    expect(normalizeZip5('97501')).toBe('97501');
    expect(normalizeZip5('97501-1234')).toBe('97501');
    expect(normalizeZip5('975011234')).toBe('97501');
    expect(normalizeZip5(' 2134 ')).toBe('02134');
    expect([normalizeZip5('97501.0'), normalizeZip5('2134.00'), normalizeZip5('975011234.0')]).toEqual(['97501', '02134', '97501']);
    for (const v of ['97501.5', '97501.', '.0', '97501-1234.0']) expect(() => normalizeZip5(v), v).toThrow(NormalizeError);
    expect(normalizeZip5('')).toBe('');
    expect(() => normalizeZip5('9750')).not.toThrow();
    expect(() => normalizeZip5('ABCDE')).toThrow(NormalizeError);
    expect(() => normalizeZip5('975012')).toThrow(NormalizeError);
  });
});

describe('step lists', () => {
  const ctx = { source: 's.json', path: 'p20link.normalize.dob' };
  it('compiles a pipeline of steps in order', () => {
    const f = compileSteps(parseSteps(['name', 'particles', 'drop-suffixes'], ctx));
    expect(f('  de la Cruz-Núñez, Jr. ')).toBe('DELACRUZ NUNEZ');
    const d = compileSteps(parseSteps([{ step: 'date', to: '%Y%m%d' }], ctx));
    expect(d('3/5/2001')).toBe('20010305');
    expect(d(' ')).toBe('');
    expect(() => d('2001-02-30')).toThrow(/not a valid date/);
    const m = compileSteps(parseSteps([{ step: 'missing', values: ['NA', 'unknown'] }, 'name'], ctx));
    expect(m('na')).toBe('');
    expect(m('Unknown ')).toBe('');
    expect(m('Nadia')).toBe('NADIA');
  });
  it('a date step defaults to the feature date format', () => {
    const d = compileSteps(parseSteps(['date'], { ...ctx, featureDateFormat: '%Y-%m-%d' }));
    expect(d('20010305')).toBe('2001-03-05');
  });
  it('errors name the JSON path', () => {
    const err = (raw: unknown, c = ctx): P20Error => {
      try {
        parseSteps(raw, c);
      } catch (e) {
        return e as P20Error;
      }
      throw new Error('no error');
    };
    expect(err(['nmae']).location.field).toBe('p20link.normalize.dob[0]');
    expect(err(['nmae']).message).toMatch(/unknown normalization step "nmae"/);
    expect(err('name').location.field).toBe('p20link.normalize.dob');
    expect(err(['date']).location.field).toBe('p20link.normalize.dob[0].to');
    expect(err([{ step: 'date', to: '%Y-%j' }]).location.field).toBe('p20link.normalize.dob[0].to');
    expect(err([{ step: 'date', to: '%Y', from: ['MM/DD/YYYY', 'DD/MM/YYYY'] }]).message).toMatch(/ambiguous/);
    expect(err([{ step: 'date', to: '%Y', from: ['DD.MM.YY'] }]).location.field).toBe('p20link.normalize.dob[0].from[0]');
    expect(err([{ step: 'name', x: 1 }]).location.field).toBe('p20link.normalize.dob[0].x');
    expect(err([{ step: 'missing' }]).location.field).toBe('p20link.normalize.dob[0].values');
  });
  it('a failing value is not cached as a success', () => {
    const f = compileSteps(parseSteps(['zip5'], ctx));
    expect(() => f('bad')).toThrow(NormalizeError);
    expect(() => f('bad')).toThrow(NormalizeError);
  });
});
