/** The bias report reads birth dates with the toolkit's one date parser (src/normalize/dates.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATE_LAYOUTS, parseDate as normalizeDate } from '../../src/normalize/dates.js';
import { parseDate } from '../../src/report/age.js';

describe('report dates', () => {
  it('agree with the normalizer\'s parser on every string (property), spaces around aside', () => {
    const digits = fc.stringMatching(/^[0-9]{1,4}$/);
    const dateLike = fc.tuple(digits, fc.constantFrom('-', '/', '.', ''), digits, fc.constantFrom('-', '/', '.', ''), digits).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.oneof(dateLike, fc.string({ maxLength: 12 })), (s) => {
        const n = normalizeDate(s.trim(), DEFAULT_DATE_LAYOUTS);
        expect(parseDate(` ${s} `)).toEqual(n === null ? undefined : { y: n.year, m: n.month, d: n.day });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses year 0000 and impossible days, like the normalizer', () => {
    expect(parseDate('0000-01-01')).toBeUndefined();
    expect(parseDate('2023-02-29')).toBeUndefined();
    expect(parseDate('2024-02-29')).toEqual({ y: 2024, m: 2, d: 29 });
  });
});
