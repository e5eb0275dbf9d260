import type { Requirement } from './protect.js';
import type { CountTable } from './types.js';

/**
 * Requirements for the hidden cells of one component. `primary` tells which
 * cells carry a known sensitive value (suppress mode); audit mode passes none.
 */
export function componentRequirements(
  table: CountTable,
  hidden: Uint8Array,
  members: number[],
  small: (c: number) => boolean,
  complementOf: Map<number, number[]>,
): Requirement[] {
  const reqs: Requirement[] = [];
  for (const c of members) {
    if (small(c)) reqs.push({ kind: 'strong', cell: c, cells: [c], coefs: [1] });
    else reqs.push({ kind: 'cell', cell: c, cells: [c], coefs: [1] });
    const strongFor = complementOf.get(c) ?? [];
    for (const k of table.cellConstraints[c]!) {
      const con = table.constraints[k]!;
      if (con.total === c) continue;
      reqs.push({ kind: strongFor.includes(k) ? 'strong' : 'complement', cell: c, constraint: k, cells: [con.total, c], coefs: [1, -1] });
    }
  }
  void hidden;
  return reqs;
}
