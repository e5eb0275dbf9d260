/**
 * One error type for every refusal the toolkit makes. It names where the
 * problem is (file, line, field) so a user can fix the input, and carries a
 * stable `code` that tests and scripts can match on. Messages must never
 * contain secrets or raw identifier values beyond what the user already has.
 */
export interface ErrorLocation {
  file?: string;
  /** 1-based physical line in the file. */
  line?: number;
  /** Column / field name (CSV header name or JSON path). */
  field?: string;
}

export class P20Error extends Error {
  readonly code: string;
  readonly location: ErrorLocation;
  /** Suggested process exit status for the CLI. */
  readonly exitCode: number;

  constructor(code: string, message: string, location: ErrorLocation = {}, exitCode = 1) {
    super(formatLocated(message, location));
    this.name = 'P20Error';
    this.code = code;
    this.location = location;
    this.exitCode = exitCode;
  }
}

export function formatLocated(message: string, loc: ErrorLocation): string {
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file);
  if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.field !== undefined) parts.push(`field "${loc.field}"`);
  return parts.length > 0 ? `${parts.join(', ')}: ${message}` : message;
}

export function isP20Error(e: unknown): e is P20Error {
  return e instanceof P20Error;
}
