/** Typed arrays of one kind, one after the other, in a fresh buffer of its own (so it can be transferred to or from a worker). */
export function concatTyped<T extends Uint8Array | Float64Array>(parts: readonly T[], make: (length: number) => T): T {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = make(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
