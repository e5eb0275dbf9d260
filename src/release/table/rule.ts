import type { ProtectParams, Requirement } from './protect.js';
import type { CountTable } from './types.js';

/**
 * The publication rule, one implementation used by `suppress` (to decide and
 * to verify) and by `audit-table` (on someone else's table):
 *
 * 1. Primary rules on what is published: every published count is 0 or ≥ n
 *    (0 is sensitive with --protect-zero, and in outcome partitions when
 *    extremes are protected); every published part x of a published total T
 *    has T − x equal to 0 or ≥ n (a complement of 0 — "40 of 40" — is
 *    sensitive under the same conditions). Rates: see rates.ts (`rateRule`).
 * 2. Every hidden quantity (hidden cell, complement of a hidden part) meets
 *    `verdict` in protect.ts over the attacker's bounds.
 */

/** Is a value sensitive by itself? (0, n), and 0 when zeros are sensitive. */
export function isSensitive(x: number, minN: number, zeroSensitive: boolean): boolean {
  return x < minN && (x > 0 || (zeroSensitive && x === 0));
}

export interface RuleParams extends ProtectParams {
  /** Outcome partitions (`complete: false`, e.g. proficient ⊂ tested) and rates protect 0 % and 100 %. Default true. */
  protectExtremes?: boolean;
}

/** Is the constraint one where a zero complement discloses everyone (100 %)? */
export function zeroComplementSensitive(table: CountTable, k: number, p: RuleParams): boolean {
  const con = table.constraints[k]!;
  return p.protectZero || (p.protectExtremes !== false && !con.complete);
}

/** A complement T − x that is the same cell structurally (one-part complete partition: T ≡ x) carries no information. */
export function structuralComplement(table: CountTable, k: number): boolean {
  const con = table.constraints[k]!;
  return con.complete && con.parts.length === 1;
}

/** Are zero counts of this cell sensitive? --protect-zero, or a part of an outcome partition (extremes protected) whose total is not a published 0. */
export function zeroCellSensitive(table: CountTable, c: number, p: RuleParams, isHidden: (c: number) => boolean): boolean {
  if (p.protectZero) return true;
  if (p.protectExtremes === false) return false;
  for (const k of table.cellConstraints[c]!) {
    const con = table.constraints[k]!;
    if (con.complete || con.total === c) continue;
    const t = table.counts[con.total]!;
    if (isHidden(con.total) || Number.isNaN(t) || t > 0) return true;
  }
  return false;
}

export type PublishedRule = 'published-small' | 'published-complement' | 'published-rate';

export interface PublishedViolation {
  /** Cell (row) that must not be published as is. */
  row: number;
  rule: PublishedRule;
  /** For complements: the constraint whose total is used (or the extra row of a published denominator), and the complement's value. */
  constraint?: number;
  extraRow?: number;
  /** For rates: the rate column (index into table.rates) and why. */
  rate?: number;
  why?: string;
  value: number;
}

/**
 * Primary rules applied to the published cells (`hidden[c]` = 0 and a known
 * value). In suppress the values are the truth; in the audit the published
 * values: the rule reads only published cells, so both see the same thing.
 */
export function publishedViolations(table: CountTable, hidden: Uint8Array, p: RuleParams, around?: number): PublishedViolation[] {
  const out: PublishedViolation[] = [];
  const counts = table.counts;
  const isHidden = (c: number): boolean => hidden[c] === 1 || Number.isNaN(counts[c]!);
  // `around`: only what publishing that one cell can break (its value, its constraints, its extra rows).
  const cells = around === undefined ? counts.keys() : new Set([around, ...table.cellConstraints[around]!.flatMap((k) => table.constraints[k]!.parts)]).values();
  for (const c of cells) {
    if (isHidden(c)) continue;
    const x = counts[c]!;
    if (isSensitive(x, p.minN, x === 0 && zeroCellSensitive(table, c, p, isHidden))) out.push({ row: c, rule: 'published-small', value: x });
  }
  const cons = around === undefined ? table.constraints.keys() : table.cellConstraints[around]!.values();
  for (const k of cons) {
    const con = table.constraints[k]!;
    if (isHidden(con.total) || structuralComplement(table, k)) continue;
    const t = counts[con.total]!;
    if (t === 0) continue; // nobody in the group
    const zero = zeroComplementSensitive(table, k, p);
    for (const x of con.parts) {
      if (isHidden(x)) continue;
      const comp = t - counts[x]!;
      if (isSensitive(comp, p.minN, zero)) out.push({ row: x, rule: 'published-complement', constraint: k, value: comp });
    }
  }
  // Wide-layout rates: count ≤ a published denominator column; the difference is a complement (outcome: extremes count).
  const xrows = around === undefined ? table.extraRows.keys() : (table.cellExtraRows[around] ?? []).values();
  for (const k of xrows) {
    const x = table.extraRows[k]!;
    if (!x.complement || isHidden(x.complement.cell)) continue;
    const d = x.complement.total;
    if (d === 0) continue;
    const comp = d - counts[x.complement.cell]!;
    if (isSensitive(comp, p.minN, p.protectZero || p.protectExtremes !== false)) {
      out.push({ row: x.complement.cell, rule: 'published-complement', extraRow: k, value: comp });
    }
  }
  return out;
}

/**
 * Requirements for the hidden cells `members` of one component: `cell` for
 * every hidden cell, `complement` (T − x) for every hidden part x of every
 * constraint (skipping structural one-part partitions). The same list in
 * suppress and in the audit.
 */
export function ruleRequirements(table: CountTable, members: number[], p: RuleParams): Requirement[] {
  const reqs: Requirement[] = [];
  for (const c of members) {
    reqs.push({ kind: 'cell', cell: c, cells: [c], coefs: [1] });
    for (const k of table.cellConstraints[c]!) {
      const con = table.constraints[k]!;
      if (con.total === c || structuralComplement(table, k)) continue;
      const zero = zeroComplementSensitive(table, k, p);
      reqs.push({ kind: 'complement', cell: c, constraint: k, cells: [con.total, c], coefs: [1, -1], ...(zero ? { zeroSensitive: true } : {}) });
    }
    for (const k of table.cellExtraRows[c] ?? []) {
      const x = table.extraRows[k]!;
      if (!x.complement || x.complement.cell !== c || x.complement.total === 0) continue;
      // d − x with d a published denominator column. `constraint` is -1 - k (an extra row, not an additive constraint).
      reqs.push({
        kind: 'complement',
        cell: c,
        constraint: -1 - k,
        cells: [c],
        coefs: [-1],
        constant: x.complement.total,
        ...(p.protectZero || p.protectExtremes !== false ? { zeroSensitive: true } : {}),
      });
    }
  }
  return reqs;
}
