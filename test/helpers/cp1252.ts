/** `t` saved as windows-1252, for text whose characters are all in Latin-1 (every accented letter of the tests' names). */
export function cp1252(t: string): Buffer {
  const out = Buffer.alloc(t.length);
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c > 0xff) throw new Error(`not in the test's Latin-1 subset: ${t[i]}`);
    out[i] = c;
  }
  return out;
}
