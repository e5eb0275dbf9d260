import { expect } from 'vitest';
import { P20Error } from '../../src/errors.js';
import { exitStatusOf } from '../../cli/exit-status.js';
import { cliMessage } from '../../cli/hints.js';

/** The P20Error a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function p20Rejection(p: Promise<unknown>): Promise<P20Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(P20Error);
    return e as P20Error;
  }
  throw new Error('expected a P20Error');
}

/** The P20Error a function throws; fails the test if it returns or throws anything else. */
export function p20Thrown(f: () => unknown): P20Error {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(P20Error);
    return e as P20Error;
  }
  throw new Error('expected a P20Error');
}

/**
 * An error as the command line reports it: its code, the exit status its kind
 * maps to (cli/exit-status.ts) and the CLI's wording of its message, with
 * hints said as flags (cli/hints.ts).
 */
export function asCli(e: unknown): { code: string | undefined; exitCode: number; message: string } {
  return {
    code: e instanceof P20Error ? e.code : undefined,
    exitCode: exitStatusOf(e),
    message: e instanceof P20Error ? cliMessage(e) : String((e as Error)?.message ?? e),
  };
}
