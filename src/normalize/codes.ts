/**
 * Coded values: sex and US ZIP codes. These steps can refuse a value
 * (`NormalizeError`), which makes the row a bad row: an unknown code is
 * reported, never hashed as if it were data.
 */
import { NormalizeError } from './errors.js';

const SEX_CODES: Record<string, string> = {
  M: 'M', MALE: 'M', MAN: 'M', BOY: 'M', '1': 'M',
  F: 'F', FEMALE: 'F', WOMAN: 'F', GIRL: 'F', '2': 'F',
  X: 'X', N: 'X', NB: 'X', NONBINARY: 'X', 'NON-BINARY': 'X', 'NON BINARY': 'X', OTHER: 'X', O: 'X',
  U: '', UNKNOWN: '', UNK: '', '0': '', '9': '', NA: '', 'N/A': '', 'NOT STATED': '', '': '',
};

/**
 * Sex / gender code → "M", "F", "X" (non-binary / other), or "" (unknown or
 * not stated: treated as missing). Case-insensitive; digits follow
 * ISO/IEC 5218 (0 unknown, 1 male, 2 female, 9 not applicable).
 */
export function normalizeSex(value: string): string {
  const key = value.trim().toUpperCase().replace(/\s+/g, ' ');
  const v = SEX_CODES[key];
  if (v === undefined) throw new NormalizeError('is not a recognized sex code (expected M/F/X/U, male/female, or ISO 5218 0/1/2/9)');
  return v;
}

/**
 * US ZIP code → five digits. Accepts "12345", "12345-6789", "12345 6789",
 * "123456789" (ZIP+4 dropped), and 3–4 digits whose leading zeros a
 * spreadsheet dropped ("2134" → "02134"), each also as a number a data
 * frame wrote with a zero fraction ("2134.0": a column with blanks read as
 * floats). Empty stays empty (missing).
 */
export function normalizeZip5(value: string): string {
  const v = value.trim().replace(/^(\d{3,9})\.0+$/, '$1');
  if (v === '') return '';
  let m = /^(\d{5})(?:[- ]?\d{4})?$/.exec(v);
  if (m) return m[1]!;
  m = /^\d{3,4}$/.exec(v);
  if (m) return v.padStart(5, '0');
  throw new NormalizeError('is not a US ZIP code (expected 5 digits or ZIP+4)');
}
