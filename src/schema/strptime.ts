/**
 * Python `datetime.strptime` (CPython 3.11, C locale) for the directives a
 * date-of-birth column can use, and clkhash's re-formatting of a parsed date
 * as "%Y%m%d" (glibc strftime: the year is not zero-padded below 1000).
 *
 * Matching follows CPython's _strptime: every directive becomes the same
 * regular expression CPython builds (including its alternation order, so a
 * "%d" reads one or two digits exactly as Python does), whitespace in the
 * format matches one or more whitespace characters, matching is
 * case-insensitive, the whole input must be consumed, and the resulting date
 * must exist (1900 is the default year, so "%m%d" refuses "0229").
 *
 * Supported directives: SUPPORTED_DIRECTIVES (%Y %y %m %d %j %b %B %a %A %H
 * %I %M %S %f %p %%). Anything else is refused when the schema is loaded,
 * never guessed at encode time.
 */

import { MONTH_NAMES } from '../normalize/dates.js';

export const SUPPORTED_DIRECTIVES = 'YymdjbBaAHIMSfp%';

const DIGIT = '\\p{Nd}';
const MONTHS = MONTH_NAMES;
const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

function alternation(words: readonly string[]): string {
  // CPython sorts by length, longest first, so "june" wins over "jun".
  const sorted = [...words].sort((a, b) => b.length - a.length);
  return sorted.join('|');
}

const DIRECTIVE_RE: Record<string, string> = {
  d: `3[0-1]|[1-2]${DIGIT}|0[1-9]|[1-9]| [1-9]`,
  f: '[0-9]{1,6}',
  H: `2[0-3]|[0-1]${DIGIT}|${DIGIT}`,
  I: '1[0-2]|0[1-9]|[1-9]',
  j: `36[0-6]|3[0-5]${DIGIT}|[1-2]${DIGIT}${DIGIT}|0[1-9]${DIGIT}|00[1-9]|[1-9]${DIGIT}|0[1-9]|[1-9]`,
  m: '1[0-2]|0[1-9]|[1-9]',
  M: `[0-5]${DIGIT}|${DIGIT}`,
  S: `6[0-1]|[0-5]${DIGIT}|${DIGIT}`,
  y: `${DIGIT}${DIGIT}`,
  Y: `${DIGIT}${DIGIT}${DIGIT}${DIGIT}`,
  B: alternation(MONTHS),
  b: alternation(MONTHS.map((m) => m.slice(0, 3))),
  A: alternation(DAYS),
  a: alternation(DAYS.map((d) => d.slice(0, 3))),
  p: 'am|pm',
  '%': '%',
};

export interface ParsedDate {
  year: number;
  month: number;
  day: number;
}

export type DateParser = (value: string) => ParsedDate | null;

/** Thrown (as a plain Error) for a format CPython would refuse or we do not support. */
export class StrptimeFormatError extends Error {}

/** Compile a strptime format. Throws StrptimeFormatError naming the directive. */
export function compileStrptime(format: string): DateParser {
  let re = '';
  const groups: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%') {
      const d = format[i + 1];
      if (d === undefined) throw new StrptimeFormatError(`stray % at the end of date format "${format}"`);
      const body = DIRECTIVE_RE[d];
      if (body === undefined) {
        throw new StrptimeFormatError(
          `date format "${format}": directive %${d} is not supported (supported: ${[...SUPPORTED_DIRECTIVES].map((x) => '%' + x).join(' ')})`,
        );
      }
      if (d === '%') re += '%';
      else {
        re += `(${body})`;
        groups.push(d);
      }
      i++;
    } else if (/\s/u.test(c)) {
      while (i + 1 < format.length && /\s/u.test(format[i + 1]!)) i++;
      re += '\\s+';
    } else {
      re += c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
    }
  }
  const regex = new RegExp(`^(?:${re})$`, 'iu');
  return (value: string) => {
    const m = regex.exec(value);
    if (m === null) return null;
    let year = 1900;
    let month = 1;
    let day = 1;
    let julian = -1;
    for (let g = 0; g < groups.length; g++) {
      const text = m[g + 1]!;
      switch (groups[g]) {
        case 'Y':
          year = digitsValue(text);
          break;
        case 'y': {
          const v = digitsValue(text);
          year = v <= 68 ? 2000 + v : 1900 + v;
          break;
        }
        case 'm':
          month = digitsValue(text);
          break;
        case 'd':
          day = digitsValue(text.trim());
          break;
        case 'j':
          julian = digitsValue(text);
          break;
        case 'B':
          month = MONTHS.indexOf(text.toLowerCase()) + 1;
          break;
        case 'b':
          month = MONTHS.findIndex((n) => n.startsWith(text.toLowerCase())) + 1;
          break;
        default:
          break; // time and weekday fields do not change the date
      }
    }
    if (year < 1 || year > 9999) return null;
    if (julian !== -1) {
      // CPython: a day of the year overrides month and day: Jan 1 + (julian - 1) days.
      const t = new Date(Date.UTC(2000, 0, 1));
      t.setUTCFullYear(year, 0, julian);
      const y = t.getUTCFullYear();
      if (y > 9999) return null;
      return { year: y, month: t.getUTCMonth() + 1, day: t.getUTCDate() };
    }
    if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
    return { year, month, day };
  };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Value of a string of Unicode decimal digits (Nd), like Python int(). */
export function digitsValue(text: string): number {
  let v = 0;
  for (const ch of text) v = v * 10 + digitValue(ch.codePointAt(0)!);
  return v;
}

const ND = /^\p{Nd}$/u;
/**
 * Decimal value of a Unicode Nd code point. Every Nd block is a run of ten
 * consecutive code points 0..9 and runs start on a zero, so the value is the
 * distance from the start of the run modulo 10.
 */
export function digitValue(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

/** clkhash's output format "%Y%m%d" (glibc strftime: year not zero-padded). */
export function formatYmd(d: ParsedDate): string {
  return `${d.year}${d.month < 10 ? '0' : ''}${d.month}${d.day < 10 ? '0' : ''}${d.day}`;
}
