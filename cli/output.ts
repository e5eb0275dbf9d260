/**
 * Printing results, shared by the commands.
 */

/** Print `value` as indented JSON when `json` is set, else the text summary. */
export function printResult(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text());
}
