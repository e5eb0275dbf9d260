import { P20Error } from '../errors.js';

/**
 * Canonical JSON, the one serializer behind every fingerprint and signature
 * (linkage-schema fingerprints, package manifests and signatures, audit-log
 * hashes): object keys sorted by UTF-16 code units (as RFC 8785 does), arrays
 * kept in order, no whitespace, strings and numbers as JSON.stringify writes
 * them (the same as RFC 8785 for every number a JSON parser can produce). Two
 * parties that hold the same value produce the same bytes, so hashes and
 * signatures over it are reproducible; any change of a value changes them.
 *
 * `undefined` (also as an object member), functions, symbols, bigints,
 * non-finite numbers and objects other than plain ones are refused
 * (CANONICAL_JSON, an internal error) rather than silently dropped: a value
 * that would vanish from the signed bytes must not vanish unnoticed. A Date is
 * written as its ISO string.
 */
export function canonicalJson(value: unknown, path = '$'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        throw new P20Error('CANONICAL_JSON', `value at ${path} is not a finite number`, {});
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
      }
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new P20Error('CANONICAL_JSON', `value at ${path} is not a plain object`, {});
      }
      const o = value as Record<string, unknown>;
      const keys = Object.keys(o).sort();
      const parts: string[] = [];
      for (const k of keys) parts.push(`${JSON.stringify(k)}:${canonicalJson(o[k], `${path}.${k}`)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      throw new P20Error('CANONICAL_JSON', `value at ${path} has type ${typeof value}, which JSON cannot carry`, {});
  }
}
