import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/util/format-count.js';

describe('formatCount', () => {
  it("writes whole numbers exactly as toLocaleString('en-US') does", () => {
    for (const n of [0, 7, 999, 1000, 5456, 25_000_000, -1, -1000, -999_999, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => formatCount(n) === n.toLocaleString('en-US')));
  });

  it('hands anything else to toLocaleString', () => {
    for (const n of [-0, 0.5, 1234.5678, 1e21, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    expect(formatCount(5456)).toBe('5,456');
  });
});
