import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wilson } from '../../src/report/wilson.js';

describe('Wilson 95% interval', () => {
  it('matches published values', () => {
    // 1 of 10: 0.0179 – 0.4042; 0 of 10: 0 – 0.2775; 5 of 10: 0.2366 – 0.7634
    const a = wilson(1, 10);
    expect(a.lo).toBeCloseTo(0.0179, 4);
    expect(a.hi).toBeCloseTo(0.4042, 4);
    const b = wilson(0, 10);
    expect(b.lo).toBe(0);
    expect(b.hi).toBeCloseTo(0.2775, 4);
    const c = wilson(5, 10);
    expect(c.lo).toBeCloseTo(0.2366, 4);
    expect(c.hi).toBeCloseTo(0.7634, 4);
    const d = wilson(10, 10);
    expect(d.lo).toBeCloseTo(0.7225, 4);
    expect(d.hi).toBe(1);
    // 81 of 263 (Wilson 1927 style example): 0.2553 – 0.3662
    const e = wilson(81, 263);
    expect(e.lo).toBeCloseTo(0.2553, 3);
    expect(e.hi).toBeCloseTo(0.3662, 3);
  });

  it('contains the observed rate, lies in [0,1], and mirrors k -> n-k', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.min(n, Math.floor(f * (n + 1)));
        const ci = wilson(k, n);
        const m = wilson(n - k, n);
        expect(ci.lo).toBeGreaterThanOrEqual(0);
        expect(ci.hi).toBeLessThanOrEqual(1);
        expect(ci.lo).toBeLessThanOrEqual(k / n + 1e-12);
        expect(ci.hi).toBeGreaterThanOrEqual(k / n - 1e-12);
        expect(ci.lo).toBeCloseTo(1 - m.hi, 9);
        expect(ci.hi).toBeCloseTo(1 - m.lo, 9);
      }),
    );
  });

  it('narrows as n grows at a fixed rate', () => {
    const w = (n: number) => {
      const c = wilson(n / 2, n);
      return c.hi - c.lo;
    };
    expect(w(20)).toBeGreaterThan(w(200));
    expect(w(200)).toBeGreaterThan(w(2000));
  });

  it('refuses impossible counts', () => {
    expect(() => wilson(11, 10)).toThrow(RangeError);
    expect(() => wilson(-1, 10)).toThrow(RangeError);
    expect(wilson(0, 0)).toEqual({ lo: 0, hi: 1 });
  });
});
