import { describe, expect, it } from 'vitest';
import { compilePythonPattern } from '../../src/schema/pattern.js';

describe('compilePythonPattern (re.fullmatch semantics)', () => {
  it('matches the whole value only', () => {
    const re = compilePythonPattern('[0-9]{4}');
    expect(re.test('0800')).toBe(true);
    expect(re.test('08001')).toBe(false);
    expect(re.test('x0800')).toBe(false);
    expect(compilePythonPattern('a|bc').test('abc')).toBe(false);
    expect(compilePythonPattern('a|bc').test('bc')).toBe(true);
  });
  it('translates Python-only syntax', () => {
    const re = compilePythonPattern('(?P<d>[0-9])-(?P=d)\\Z');
    expect(re.test('7-7')).toBe(true);
    expect(re.test('7-8')).toBe(false);
    expect(compilePythonPattern('\\A[A-Z]+').test('ABC')).toBe(true);
  });
  it('counts code points, not UTF-16 units', () => {
    expect(compilePythonPattern('.{2}').test('😀😀')).toBe(true);
    expect(compilePythonPattern('.{4}').test('😀😀')).toBe(false);
  });
  it('throws on a pattern that does not compile', () => {
    expect(() => compilePythonPattern('([A-Z')).toThrow();
  });
});
