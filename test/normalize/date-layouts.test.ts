/**
 * The input date layouts an agency's file may use (src/normalize/dates.ts
 * DATE_LAYOUTS): SAS's DATE9 and Oracle's DD-MON-YYYY, month names,
 * two-digit years read up to a pivot year, a time of day after the date;
 * the refusal of month-first and day-first digits together; and the hint of
 * a date no accepted layout reads (the layouts that would, never the value).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATE_LAYOUTS,
  DEFAULT_DATE_LAYOUTS,
  checkDateLayouts,
  compileSteps,
  fullYear,
  layoutsReading,
  monthOfName,
  parseDate,
  parseSteps,
  type CalendarDate,
  type DateLayout,
} from '../../src/normalize/index.js';
import { plainBlockValue } from '../../src/encode/blocking-keys.js';

const D = (year: number, month: number, day: number): CalendarDate => ({ year, month, day });
const MON = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const MONTH = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** A date written in a layout, the way a system exporting it would. */
function write(d: CalendarDate, layout: DateLayout): string {
  const y = String(d.year).padStart(4, '0');
  const yy = p2(d.year % 100);
  switch (layout) {
    case 'YYYY-MM-DD':
      return `${y}-${p2(d.month)}-${p2(d.day)}`;
    case 'MM/DD/YYYY':
      return `${d.month}/${d.day}/${y}`;
    case 'DD/MM/YYYY':
      return `${p2(d.day)}.${p2(d.month)}.${y}`;
    case 'YYYYMMDD':
      return `${y}${p2(d.month)}${p2(d.day)}`;
    case 'YYYY/MM/DD':
      return `${y}/${p2(d.month)}/${p2(d.day)}`;
    case 'DDMONYYYY':
      return `${p2(d.day)}${MON[d.month - 1]}${y}`;
    case 'MON DD YYYY':
      return `${MONTH[d.month - 1]} ${d.day}, ${y}`;
    case 'MM/DD/YY':
      return `${p2(d.month)}/${p2(d.day)}/${yy}`;
    case 'DD/MM/YY':
      return `${p2(d.day)}/${p2(d.month)}/${yy}`;
    case 'DDMONYY':
      return `${p2(d.day)}-${MON[d.month - 1]!.toLowerCase()}-${yy}`;
  }
}

describe('input date layouts', () => {
  it('known answers: SAS, Oracle, month names, two-digit years, times of day', () => {
    const cases: [string, DateLayout, CalendarDate][] = [
      ['14MAR1998', 'DDMONYYYY', D(1998, 3, 14)],
      ['14-Mar-1998', 'DDMONYYYY', D(1998, 3, 14)],
      ['4 march 1998', 'DDMONYYYY', D(1998, 3, 4)],
      ['14 Sept. 1998', 'DDMONYYYY', D(1998, 9, 14)],
      ['14MAR1998:00:00:00', 'DDMONYYYY', D(1998, 3, 14)],
      ['Mar 14, 1998', 'MON DD YYYY', D(1998, 3, 14)],
      ['DECEMBER 1 2001', 'MON DD YYYY', D(2001, 12, 1)],
      ['3/14/98', 'MM/DD/YY', D(1998, 3, 14)],
      ['03-14-26', 'MM/DD/YY', D(2026, 3, 14)],
      ['03-14-27', 'MM/DD/YY', D(1927, 3, 14)],
      ['14/03/00', 'DD/MM/YY', D(2000, 3, 14)],
      ['14-MAR-98', 'DDMONYY', D(1998, 3, 14)],
      ['03/14/1998 12:00:00 AM', 'MM/DD/YYYY', D(1998, 3, 14)],
      ['3/14/1998 0:00', 'MM/DD/YYYY', D(1998, 3, 14)],
      ['1998/03/14 00:00:00.000', 'YYYY/MM/DD', D(1998, 3, 14)],
      ['14.03.1998 13:45', 'DD/MM/YYYY', D(1998, 3, 14)],
    ];
    for (const [v, layout, d] of cases) {
      expect(parseDate(v, [layout], 2026), v).toEqual(d);
      expect(parseDate(v, DEFAULT_DATE_LAYOUTS.filter((l) => l !== 'MM/DD/YYYY'), 2026), `${v} is not read by the other defaults`).toBeNull();
    }
  });

  it('refuses what does not exist or is not a month', () => {
    for (const [v, layout] of [
      ['31FEB1998', 'DDMONYYYY'],
      ['14MRZ1998', 'DDMONYYYY'],
      ['14MA1998', 'DDMONYYYY'],
      ['Ma 14 1998', 'MON DD YYYY'],
      ['02/29/01', 'MM/DD/YY'],
      ['3/14/998', 'MM/DD/YY'],
      ['03/14/1998 25', 'MM/DD/YYYY'],
      ['03/14/1998x', 'MM/DD/YYYY'],
      ['14MAR98', 'DDMONYYYY'],
      ['14MAR1998', 'DDMONYY'],
    ] as [string, DateLayout][]) {
      expect(parseDate(v, [layout], 2026), v).toBeNull();
    }
    expect(monthOfName('Sept')).toBe(9);
    expect(monthOfName('Ju')).toBe(0);
    expect(monthOfName('Juni')).toBe(0);
  });

  it('a two-digit year is the latest year with those digits not after the pivot', () => {
    expect([fullYear(26, 2026), fullYear(27, 2026), fullYear(0, 2026), fullYear(99, 2026), fullYear(99, 2099), fullYear(0, 2100)]).toEqual([2026, 1927, 2000, 1999, 2099, 2100]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1100, max: 9999 }), (yy, pivot) => {
        const y = fullYear(yy, pivot);
        expect(y % 100).toBe(yy);
        expect(y).toBeLessThanOrEqual(pivot);
        expect(y).toBeGreaterThan(pivot - 100);
      }),
    );
  });

  it('every layout reads back every date written in it (two-digit years: within the century up to the pivot)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1927-01-01T00:00:00Z'), max: new Date('2026-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom(...DATE_LAYOUTS),
        (dt, layout) => {
          const d = D(dt.getUTCFullYear(), dt.getUTCMonth() + 1, dt.getUTCDate());
          expect(parseDate(write(d, layout), [layout], 2026)).toEqual(d);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('month-first and day-first digits are never accepted together', () => {
    expect(checkDateLayouts(['MM/DD/YYYY', 'DD/MM/YY'])).toMatch(/both MM\/DD\/YYYY and DD\/MM\/YY .*ambiguous/);
    expect(checkDateLayouts(['MM/DD/YY', 'DD/MM/YYYY'])).toMatch(/ambiguous/);
    expect(checkDateLayouts(['MM/DD/YYYY', 'MM/DD/YY', 'DDMONYYYY', 'YYYY-MM-DD'])).toBeNull();
    expect(() => parseSteps([{ step: 'date', to: '%Y', from: ['DD/MM/YY', 'MM/DD/YYYY'] }], { source: 's.json', path: 'p' })).toThrow(/ambiguous/);
  });

  it('the layouts that would read a refused date (a hint), never the value', () => {
    expect(layoutsReading('14MAR1998', DEFAULT_DATE_LAYOUTS)).toEqual(['DDMONYYYY']);
    expect(layoutsReading('13/04/2001', DEFAULT_DATE_LAYOUTS)).toEqual(['DD/MM/YYYY']);
    expect(layoutsReading('3/4/98', DEFAULT_DATE_LAYOUTS)).toEqual(['MM/DD/YY', 'DD/MM/YY']);
    expect(layoutsReading('2001-02-30', DEFAULT_DATE_LAYOUTS)).toEqual([]);
    const step = compileSteps(parseSteps([{ step: 'date', to: '%Y-%m-%d' }], { source: 's.json', path: 'p' }));
    const message = (v: string) => {
      try {
        step(v);
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(message('14MAR1998')).toMatch(/not a valid date in any accepted layout \(YYYY-MM-DD, MM\/DD\/YYYY, YYYYMMDD\); it reads as DDMONYYYY: .*date-layout/);
    expect(message('14MAR1998')).not.toMatch(/14|1998/);
    expect(message('Feb 30, 2001')).not.toMatch(/reads as/);
  });

  it('a date step reads two-digit years up to its pivot year', () => {
    const at = (pivotYear: number) => compileSteps([{ step: 'date', from: ['MM/DD/YY'], to: '%Y-%m-%d', pivotYear }]);
    expect(at(2026)('1/2/27')).toBe('1927-01-02');
    expect(at(2030)('1/2/27')).toBe('2027-01-02');
  });

  it('the year of a blocking value or salt is read as before the slash layouts took a time of day', () => {
    const year = (v: string) => plainBlockValue({ name: 'y', feature: 'birth_date', transform: 'year' }, v);
    expect(['1998-03-14', '1998-03-14T00:00', '03/14/1998', '19980314', '1998/03/14'].map(year)).toEqual(['1998', '1998', '1998', '1998', '1998']);
    expect(['03/14/1998 00:00', '1998/03/14 00:00:00', '14MAR1998', '3/14/98', '14/03/1998'].map(year)).toEqual(['', '', '', '', '']);
  });
});
