/**
 * Placeholders of a missing value in agencies' files. A placeholder hashed
 * as if it were a name gives every such record the same "name" (NULL, NMN's
 * initial N): records of different people agree on it, and the person's
 * other records disagree with it. The encoder counts the known ones
 * (`PLACEHOLDERS`) and warns; an agency declares its own with the
 * missing-values option.
 */

/**
 * Values export tools and data-entry conventions write for "no value": SQL's
 * NULL, spreadsheets' N/A and #N/A, SAS's ".", "no middle name" (NMN, NMI),
 * "first / last name unknown" (FNU, LNU). Never declared missing by
 * default (NA is a surname too): the summary warns when one is frequent.
 */
export const PLACEHOLDERS: ReadonlySet<string> = new Set(['NULL', 'NA', 'N/A', '#N/A', 'NAN', 'NONE', 'UNKNOWN', 'UNK', '.', '-', '--', '?', 'NMN', 'NMI', 'FNU', 'LNU', 'MISSING', 'BLANK']);
/** Longest raw value looked up as a placeholder (the longest one, and a declared one, is shorter). */
export const PLACEHOLDER_LENGTH = 64;

/** How a raw value is compared with the placeholders: trimmed, upper case. */
export function placeholderKey(raw: string): string {
  return raw.trim().toUpperCase();
}
