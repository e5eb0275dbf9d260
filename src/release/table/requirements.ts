import type { Requirement } from './protect.js';
import type { CountTable } from './types.js';

/**
 * Requirements for the hidden cells of one component: `strong` for
 * primary-small cells (`small`) and for primary-complement cells on their
 * complement (`complementOf`); `cell` for every other hidden cell; `complement`
 * (T − x not known small) for every hidden part x of every constraint.
 * Audit mode passes no primaries (true values unknown).
 */
export function componentRequirements(
  table: CountTable,
  _hidden: Uint8Array,
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
  return reqs;
}
