/**
 * A normalization step refused a value. The message says what was expected
 * and never repeats the value itself (it is identifying data); the caller
 * adds the file, line and column.
 */
export class NormalizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NormalizeError';
  }
}
