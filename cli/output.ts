/**
 * Printing results and choosing exit statuses, shared by the commands.
 */
import { isP20Error } from '../src/errors.js';

/** Print `value` as indented JSON when `json` is set, else the text summary. */
export function printResult(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text());
}

/**
 * Run a command's work so that a refusal of its input (a P20Error with the
 * default exit status 1) exits with `badInput` instead: for commands whose
 * status 1 means "the check failed", bad input must never look like that.
 */
export async function withBadInputExit<T>(badInput: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isP20Error(e) && e.exitCode === 1) (e as { exitCode: number }).exitCode = badInput;
    throw e;
  }
}
