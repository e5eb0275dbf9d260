/**
 * Dates in the layouts agencies actually export, turned into the one form a
 * linkage schema hashes. Parsing is strict: the whole value must match a
 * layout and the date must exist (2023-02-29 is refused), so a typo is a bad
 * row, never a silently different date.
 */

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/**
 * Input layouts. M and D accept one or two digits, Y exactly four, YY
 * exactly two, MON a month's English name or its three-letter abbreviation
 * (any case, an optional dot; SEPT too).
 * - "YYYY-MM-DD": ISO 8601 (an optional time part "T..." or " hh:mm[:ss]" after it is ignored).
 * - "MM/DD/YYYY": US order (also with "-" or "." as separator).
 * - "DD/MM/YYYY": day-first order (also "-" or "."); never combined with MM/DD/YYYY.
 * - "YYYYMMDD": eight digits (the FEBRL form, and clkhash's own "%Y%m%d").
 * - "YYYY/MM/DD": year first with slashes.
 * - "DDMONYYYY": day, month name, year: SAS's DATE9 ("14MAR1998"), Oracle's
 *   "14-MAR-1998", "14 March 1998" (separators "-", " ", "/", "." or none).
 * - "MON DD YYYY": "Mar 14, 1998", "March 14 1998" (the comma optional).
 * - "MM/DD/YY", "DD/MM/YY", "DDMONYY": the same with a two-digit year, read
 *   as the latest year ending in those digits that is not after the pivot
 *   year (the year the encoding runs: in 2026, 26 → 2026, 27 → 1927).
 * The slash layouts and DDMONYYYY / DDMONYY also take a time of day after
 * the date (" 00:00:00", " 12:00:00 AM", SAS's ":00:00:00"), ignored.
 */
export const DATE_LAYOUTS = [
  'YYYY-MM-DD',
  'MM/DD/YYYY',
  'DD/MM/YYYY',
  'YYYYMMDD',
  'YYYY/MM/DD',
  'DDMONYYYY',
  'MON DD YYYY',
  'MM/DD/YY',
  'DD/MM/YY',
  'DDMONYY',
] as const;
export type DateLayout = (typeof DATE_LAYOUTS)[number];

/** Default input layouts of the `date` step: ISO, US and compact. */
export const DEFAULT_DATE_LAYOUTS: readonly DateLayout[] = ['YYYY-MM-DD', 'MM/DD/YYYY', 'YYYYMMDD'];

/** Layouts that read the month first in digits, and those that read the day first: never accepted together (03/04/2001). */
export const MONTH_FIRST_LAYOUTS: readonly DateLayout[] = ['MM/DD/YYYY', 'MM/DD/YY'];
export const DAY_FIRST_LAYOUTS: readonly DateLayout[] = ['DD/MM/YYYY', 'DD/MM/YY'];

/** A time of day after a date (ignored): " hh:mm[:ss[.fff]] [AM|PM]", "Thh:mm…", or SAS's ":hh:mm:ss". */
const TIME = String.raw`(?:(?:[T ]+|:)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AaPp]\.?[Mm]\.?)?)?`;
const MON = String.raw`([A-Za-z]{3,9})\.?`;

/** Group numbers of year, month, day; `named`: the month group is a name; `yy`: a two-digit year. */
interface Pattern {
  re: RegExp;
  y: number;
  m: number;
  d: number;
  named?: true;
  yy?: true;
}

const PATTERNS: Record<DateLayout, Pattern> = {
  'YYYY-MM-DD': { re: /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/, y: 1, m: 2, d: 3 },
  'MM/DD/YYYY': { re: new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})${TIME}$`), y: 4, m: 1, d: 3 },
  'DD/MM/YYYY': { re: new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})${TIME}$`), y: 4, m: 3, d: 1 },
  YYYYMMDD: { re: /^(\d{4})(\d{2})(\d{2})$/, y: 1, m: 2, d: 3 },
  'YYYY/MM/DD': { re: new RegExp(String.raw`^(\d{4})\/(\d{1,2})\/(\d{1,2})${TIME}$`), y: 1, m: 2, d: 3 },
  DDMONYYYY: { re: new RegExp(String.raw`^(\d{1,2})[-/. ]?${MON}[-/., ]? ?(\d{4})${TIME}$`), y: 3, m: 2, d: 1, named: true },
  'MON DD YYYY': { re: new RegExp(String.raw`^${MON} +(\d{1,2}),? +(\d{4})${TIME}$`), y: 3, m: 1, d: 2, named: true },
  'MM/DD/YY': { re: new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2(\d{2})${TIME}$`), y: 4, m: 1, d: 3, yy: true },
  'DD/MM/YY': { re: new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2(\d{2})${TIME}$`), y: 4, m: 3, d: 1, yy: true },
  DDMONYY: { re: new RegExp(String.raw`^(\d{1,2})[-/. ]?${MON}[-/. ]?(\d{2})${TIME}$`), y: 3, m: 2, d: 1, named: true, yy: true },
};

/** The months' English names, lower case (also strptime's %B / %b, src/schema/strptime.ts). */
export const MONTH_NAMES: readonly string[] = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** A month's name or abbreviation (JAN, SEPT, March; any case) → 1..12, or 0. */
export function monthOfName(s: string): number {
  const u = s.toLowerCase();
  if (u === 'sept') return 9;
  const k = MONTH_NAMES.findIndex((m) => (u.length === 3 ? m.startsWith(u) : m === u));
  return k + 1;
}

/** The latest year ending in the two digits `yy` that is not after `pivot`. */
export function fullYear(yy: number, pivot: number): number {
  return pivot - ((((pivot - yy) % 100) + 100) % 100);
}

export function isDateLayout(s: unknown): s is DateLayout {
  return typeof s === 'string' && (DATE_LAYOUTS as readonly string[]).includes(s);
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
}

export function isValidDate(d: CalendarDate): boolean {
  return (
    Number.isInteger(d.year) && d.year >= 1 && d.year <= 9999 &&
    Number.isInteger(d.month) && d.month >= 1 && d.month <= 12 &&
    Number.isInteger(d.day) && d.day >= 1 && d.day <= daysInMonth(d.year, d.month)
  );
}

/** `value` read in one layout: the date; null if the date does not exist; undefined if the value does not match the layout. */
function readLayout(value: string, layout: DateLayout, pivotYear: number): CalendarDate | null | undefined {
  const p = PATTERNS[layout];
  const m = p.re.exec(value);
  if (!m) return undefined;
  const month = p.named ? monthOfName(m[p.m]!) : Number(m[p.m]);
  const year = p.yy ? fullYear(Number(m[p.y]), pivotYear) : Number(m[p.y]);
  const d = { year, month, day: Number(m[p.d]) };
  return isValidDate(d) ? d : null;
}

/**
 * Parse `value` (already trimmed) with the first layout that matches; null if
 * none matches or the date does not exist. `pivotYear` reads two-digit years
 * (default: the current year, UTC).
 */
export function parseDate(value: string, layouts: readonly DateLayout[] = DEFAULT_DATE_LAYOUTS, pivotYear?: number): CalendarDate | null {
  const pivot = pivotYear ?? new Date().getUTCFullYear();
  for (const layout of layouts) {
    const d = readLayout(value, layout, pivot);
    if (d !== undefined) return d;
  }
  return null;
}

/** The layouts other than `tried` that read `value` as a date that exists (for an error's hint: the file's layout may be another). */
export function layoutsReading(value: string, tried: readonly DateLayout[], pivotYear?: number): DateLayout[] {
  const pivot = pivotYear ?? new Date().getUTCFullYear();
  return DATE_LAYOUTS.filter((l) => !tried.includes(l) && readLayout(value, l, pivot));
}

/**
 * Layout names given by a user (an option) as layouts, or why not: none
 * given, a name that is not a layout (`name`), month-first and day-first
 * together.
 */
export function readDateLayouts(names: readonly string[]): { layouts: DateLayout[] } | { error: string; name?: string } {
  if (names.length === 0) return { error: `expected one or more date layouts (${DATE_LAYOUTS.join(', ')})` };
  const bad = names.find((l) => !isDateLayout(l));
  if (bad !== undefined) return { error: `is not a date layout (layouts: ${DATE_LAYOUTS.join(', ')})`, name: bad };
  const layouts = [...new Set(names as DateLayout[])];
  const ambiguous = checkDateLayouts(layouts);
  return ambiguous ? { error: ambiguous } : { layouts };
}

/** Why a set of input layouts is refused (month-first and day-first digits together), or null. */
export function checkDateLayouts(layouts: readonly DateLayout[]): string | null {
  const mf = layouts.find((l) => MONTH_FIRST_LAYOUTS.includes(l));
  const df = layouts.find((l) => DAY_FIRST_LAYOUTS.includes(l));
  return mf && df ? `cannot accept both ${mf} and ${df} (03/04/2001 would be ambiguous); pick one` : null;
}

/** Output directives: %Y (4 digits), %m, %d (2 digits), %y (2 digits), %%; anything else is literal. */
export const OUTPUT_DIRECTIVES = 'Ymdy%';

/** Check an output format; returns a message or null. */
export function checkDateOutputFormat(format: string): string | null {
  if (format.length === 0) return 'the output date format is empty';
  let directives = 0;
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') continue;
    const d = format[i + 1];
    if (d === undefined || !OUTPUT_DIRECTIVES.includes(d)) {
      return `output date format "${format}" uses %${d ?? ''}; only %Y %m %d %y %% are supported`;
    }
    if (d !== '%') directives++;
    i++;
  }
  return directives === 0 ? `output date format "${format}" has no %Y/%m/%d directive` : null;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** Format a date with a strftime-style format (%Y %m %d %y %%). */
export function formatDate(d: CalendarDate, format: string): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const dir = format[++i];
    if (dir === 'Y') out += pad(d.year, 4);
    else if (dir === 'm') out += pad(d.month, 2);
    else if (dir === 'd') out += pad(d.day, 2);
    else if (dir === 'y') out += pad(d.year % 100, 2);
    else if (dir === '%') out += '%';
    else out += '%' + (dir ?? '');
  }
  return out;
}

/** A calendar date as one sortable number, YYYYMMDD. */
export function dateNumber(d: CalendarDate): number {
  return d.year * 10000 + d.month * 100 + d.day;
}

/** "YYYY-MM-DD" (exactly) → date, or null if it is not one or does not exist. */
export function parseIsoDay(s: string): CalendarDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isValidDate(d) ? d : null;
}

/** The date as "YYYY-MM-DD". */
export function isoDay(d: CalendarDate): string {
  return formatDate(d, '%Y-%m-%d');
}

/**
 * A reader for values written with an output format of the `date` step
 * (%Y %m %d, plus %y and literals): the inverse of formatDate. Returns null
 * when the format lacks one of %Y, %m, %d (the full date cannot be read
 * back). The reader returns null for a value that does not match or a date
 * that does not exist.
 */
export function formattedDateReader(format: string): ((value: string) => CalendarDate | null) | null {
  if (checkDateOutputFormat(format) !== null) return null;
  let re = '^';
  const groups: ('Y' | 'm' | 'd' | 'y')[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      re += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      continue;
    }
    const dir = format[++i]!;
    if (dir === '%') re += '%';
    else {
      re += dir === 'Y' ? '(\\d{4})' : '(\\d{2})';
      groups.push(dir as 'Y' | 'm' | 'd' | 'y');
    }
  }
  if (!groups.includes('Y') || !groups.includes('m') || !groups.includes('d')) return null;
  const rx = new RegExp(re + '$');
  return (value) => {
    const m = rx.exec(value);
    if (!m) return null;
    const d: CalendarDate = { year: 0, month: 0, day: 0 };
    groups.forEach((g, k) => {
      const n = Number(m[k + 1]);
      if (g === 'Y') d.year = n;
      else if (g === 'm') d.month = n;
      else if (g === 'd') d.day = n;
    });
    return isValidDate(d) ? d : null;
  };
}
