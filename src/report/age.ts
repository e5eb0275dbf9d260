/**
 * Birth dates to ages and age bands for the bias report. Dates are read by
 * the toolkit's one date parser (src/normalize/dates.ts), by default in the
 * layouts agencies use most (YYYY-MM-DD, MM/DD/YYYY, YYYYMMDD), or in the
 * agency's own (the bias report's date layouts, as `encode` takes them).
 */
import { DEFAULT_DATE_LAYOUTS, parseDate as parseCalendarDate, type DateLayout } from '../normalize/dates.js';

export interface Ymd {
  y: number;
  m: number;
  d: number;
}

/** A date in one of `layouts` (surrounding spaces ignored; two-digit years up to `pivotYear`), or undefined when it is none or does not exist. */
export function parseDate(s: string, layouts: readonly DateLayout[] = DEFAULT_DATE_LAYOUTS, pivotYear?: number): Ymd | undefined {
  const c = parseCalendarDate(s.trim(), layouts, pivotYear);
  return c === null ? undefined : { y: c.year, m: c.month, d: c.day };
}

/** Whole years from birth to the reference date (undefined if birth is after it). */
export function ageOn(birth: Ymd, on: Ymd): number | undefined {
  let a = on.y - birth.y;
  if (on.m < birth.m || (on.m === birth.m && on.d < birth.d)) a--;
  return a < 0 ? undefined : a;
}

/** Lower edges of the age bands (the last band is open). */
export const AGE_BAND_EDGES = [0, 18, 21, 25, 30, 35, 45, 55, 65] as const;

export function ageBand(age: number): string {
  const e = AGE_BAND_EDGES;
  for (let i = e.length - 1; i >= 0; i--) {
    if (age >= e[i]!) {
      if (i === e.length - 1) return `${e[i]}+`;
      if (i === 0) return `under ${e[1]}`;
      return `${e[i]}-${e[i + 1]! - 1}`;
    }
  }
  return 'unknown';
}

export function ageBandOrder(label: string): number {
  const m = /^(\d+)/.exec(label);
  return label.startsWith('under') ? -1 : m ? Number(m[1]) : 1e9;
}
