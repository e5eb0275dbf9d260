/**
 * A string feature's "pattern" is a Python regular expression that the whole
 * value must match (clkhash compiles it with re.fullmatch semantics). Python
 * and JavaScript share the syntax that matters for identifier formats
 * (classes, quantifiers, groups, anchors); the Python-only spellings are
 * translated: (?P<name>...) -> (?<name>...), (?P=name) -> \k<name>,
 * \A -> ^, \Z -> $. Matching is by code point (the "u" flag), like Python str
 * patterns; when a pattern is not valid in JavaScript's stricter Unicode mode
 * it is compiled without the flag.
 */
export function compilePythonPattern(pattern: string): RegExp {
  const js = pattern
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])\\A/g, '$1^')
    .replace(/(^|[^\\])\\Z/g, '$1$');
  const body = `^(?:${js})$`;
  try {
    return new RegExp(body, 'u');
  } catch {
    return new RegExp(body);
  }
}
