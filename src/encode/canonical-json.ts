/**
 * Canonical JSON text of a parsed JSON value, used for fingerprints: object
 * keys sorted recursively (by UTF-16 code units, as Array.prototype.sort and
 * RFC 8785 do), arrays kept in order, no whitespace, strings and numbers as
 * JSON.stringify writes them (the same as RFC 8785 for every number a JSON
 * parser can produce). Two documents that differ only in key order or
 * whitespace have the same canonical text; any change of a value changes it.
 */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts, '');
  return parts.join('');
}

function write(value: unknown, out: string[], path: string): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number at ${path || '/'}`);
      out.push(JSON.stringify(value));
      return;
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[');
        value.forEach((item, i) => {
          if (i > 0) out.push(',');
          write(item, out, `${path}/${i}`);
        });
        out.push(']');
        return;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      out.push('{');
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        if (!first) out.push(',');
        first = false;
        out.push(JSON.stringify(k), ':');
        write(v, out, `${path}/${k}`);
      }
      out.push('}');
      return;
    }
    default:
      throw new TypeError(`canonicalJson: ${typeof value} is not a JSON value at ${path || '/'}`);
  }
}
