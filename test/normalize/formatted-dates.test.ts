import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dateNumber, formatDate, formattedDateReader, isValidDate, parseIsoDay } from '../../src/normalize/dates.js';

describe('formattedDateReader: reads back what the date step wrote', () => {
  it('inverts formatDate for every format with %Y, %m, %d (property)', () => {
    const fmt = fc.constantFrom('%Y-%m-%d', '%Y%m%d', '%d/%m/%Y', '%m.%d.%Y', 'Y%Y m%m d%d', '%Y-%m-%d (%y)');
    const day = fc.record({ year: fc.integer({ min: 1, max: 9999 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 28 }) });
    fc.assert(
      fc.property(fmt, day, (f, d) => {
        expect(formattedDateReader(f)!(formatDate(d, f))).toEqual(d);
      }),
    );
  });

  it('refuses formats it cannot read back, values that do not match and dates that do not exist', () => {
    expect(formattedDateReader('%Y-%m')).toBeNull();
    expect(formattedDateReader('%y%m%d')).toBeNull();
    expect(formattedDateReader('%Q')).toBeNull();
    const r = formattedDateReader('%Y-%m-%d')!;
    expect(r('2001-02-29')).toBeNull();
    expect(r('2001-2-3')).toBeNull();
    expect(r('x2001-02-03')).toBeNull();
    expect(r('2000-02-29')).toEqual({ year: 2000, month: 2, day: 29 });
  });

  it('parseIsoDay and dateNumber order dates as the calendar does', () => {
    expect(parseIsoDay('1900-01-01')).toEqual({ year: 1900, month: 1, day: 1 });
    expect(parseIsoDay('1900-02-29')).toBeNull();
    expect(parseIsoDay('today')).toBeNull();
    expect(dateNumber(parseIsoDay('1899-12-31')!)).toBeLessThan(dateNumber(parseIsoDay('1900-01-01')!));
    expect(isValidDate(parseIsoDay('2024-02-29')!)).toBe(true);
  });
});
