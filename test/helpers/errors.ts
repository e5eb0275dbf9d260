import { expect } from 'vitest';
import { P20Error } from '../../src/errors.js';

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
