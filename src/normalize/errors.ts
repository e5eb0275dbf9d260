/**
 * A normalization step refused a value. The message says what was expected
 * and never repeats the value itself (it is identifying data); the caller
 * adds the file, line and column.
 */
export class NormalizeError extends Error {
  /** A date no accepted layout reads: the other layouts that read it (the encode summary tallies them). */
  readonly layouts?: readonly string[];
  constructor(message: string, layouts?: readonly string[]) {
    super(message);
    this.name = 'NormalizeError';
    if (layouts && layouts.length > 0) this.layouts = layouts;
  }
}
