/**
 * Attribute inference from labelled records (docs/attacks.md, "A field read
 * from labelled records"). A two-valued field hashed as a token of its own
 * (sex in the default CLK and `names` filter) sets the same keyed positions
 * in half the records; hardening scatters them, but the bits it mixes them
 * into still set more often in one half than in the other. An attacker who
 * knows the value for some records learns that per bit and reads it for
 * every other record.
 *
 * The linker can get such labels without any plaintext: the pairs it links
 * with the first name and birth date agreeing and the surname changed are
 * nearly all women (docs/match-model.md, session 29). So the attack is given
 * records known to hold the value (one class only) and the value's share of
 * the population, and scores each record by naive Bayes over its bits:
 * p(bit | value) counted on the labelled records, p(bit | other) from the
 * whole file's frequency, p(bit) = s p(bit | value) + (1 − s) p(bit | other).
 */

/** Per record: 1 when the attack reads the value, else 0. */
export function labelledBitsAttack(rows: readonly Uint8Array[], labelled: readonly number[], share: number): Uint8Array {
  const n = rows.length;
  const bytes = n > 0 ? rows[0]!.length : 0;
  const L = bytes * 8;
  const all = new Float64Array(L);
  const inClass = new Float64Array(L);
  const count = (row: Uint8Array, into: Float64Array): void => {
    for (let b = 0; b < L; b++) into[b]! += (row[b >> 3]! >> (b & 7)) & 1;
  };
  for (const row of rows) count(row, all);
  for (const i of labelled) count(rows[i]!, inClass);
  // log odds per bit when set and when clear; a frequency at 0 or 1 is kept off the edge
  const clamp = (p: number): number => Math.min(1 - 1e-3, Math.max(1e-3, p));
  const set = new Float64Array(L);
  const clear = new Float64Array(L);
  for (let b = 0; b < L; b++) {
    const pv = clamp((inClass[b]! + 1) / (labelled.length + 2));
    const po = clamp((all[b]! / Math.max(1, n) - share * pv) / (1 - share));
    set[b] = Math.log(pv / po);
    clear[b] = Math.log((1 - pv) / (1 - po));
  }
  const prior = Math.log(share / (1 - share));
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    let z = prior;
    for (let b = 0; b < L; b++) z += (row[b >> 3]! >> (b & 7)) & 1 ? set[b]! : clear[b]!;
    out[i] = z > 0 ? 1 : 0;
  }
  return out;
}
