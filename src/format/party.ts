import { P20Error } from '../errors.js';

/**
 * The one party-name rule. A party name labels an agency everywhere: the
 * encoded file's header, `--party`, package senders and recipients, the
 * allow-list, the result ledger, and the linker's output file names
 * (`<party>.links.csv`), so it is kept plain: 1–64 letters, digits, "_", "."
 * or "-", starting with a letter or digit (no path separators, no "..", no
 * leading dot or dash).
 */
export const PARTY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The rule in words, for messages. */
export const PARTY_NAME_RULE = '1-64 letters, digits, "_", "." or "-", starting with a letter or digit';

export function isValidPartyName(name: string): boolean {
  return PARTY_NAME.test(name);
}

/** Return `name` if it is a valid party name; otherwise BAD_NAME (exit 2) naming `what`. */
export function checkPartyName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || !isValidPartyName(name)) {
    throw new P20Error('BAD_NAME', `${what} must be ${PARTY_NAME_RULE} (got ${JSON.stringify(name)})`, { field: what });
  }
  return name;
}
