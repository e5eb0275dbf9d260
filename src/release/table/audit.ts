import { getHighs } from './lp.js';
import { auditComponent, hiddenComponents } from './protect.js';
import { componentRequirements } from './requirements.js';
import { prepareTable, type TableInput } from './suppress.js';
import type { AuditCell, AuditResult, SuppressOptions } from './types.js';

export interface AuditTableOptions extends TableInput, Pick<SuppressOptions, 'minN' | 'marker' | 'protectZero' | 'protection'> {
  /** Solve both LPs for every hidden cell (exact bounds for all; slower). Default: exact bounds only where needed. */
  exactBounds?: boolean;
}

/**
 * The attacker's view of a published table: every marker cell is unknown.
 * For each one, the LP bounds [lower, upper] over all non-negative fillings
 * consistent with the published cells and totals. A cell is recoverable when
 * the bounds pin it (upper − lower < 1), show it is small (1 ≤ lower and
 * upper ≤ n − 1; with protectZero, upper ≤ n − 1), or show that its
 * complement within a published total is small.
 *
 * Without `exactBounds`, a cell's [lower, upper] is exact (LP optimum) where
 * the LP had to be solved — always for recoverable cells — and otherwise an
 * inner range proven by feasible points (`exact: false`): the attacker's
 * interval is at least that wide, which is all safety needs.
 */
export async function auditTable(opts: AuditTableOptions): Promise<AuditResult> {
  const { settings, table } = prepareTable(opts);
  const highs = await getHighs();
  const hidden = new Uint8Array(table.rows.length);
  table.counts.forEach((v, i) => {
    if (Number.isNaN(v)) hidden[i] = 1;
  });
  const stats = { solves: 0 };
  const cells = new Map<number, AuditCell>();
  for (const comp of hiddenComponents(table, hidden)) {
    const reqs = componentRequirements(table, hidden, comp, () => false, new Map());
    const outcomes = auditComponent(highs, table, hidden, comp, reqs, settings, stats, { truth: false, full: opts.exactBounds ?? false });
    for (const o of outcomes) {
      const c = o.req.cell;
      if (o.req.kind === 'cell') {
        const prev = cells.get(c);
        cells.set(c, {
          row: c,
          line: table.lines[c]!,
          col: table.countColumn,
          lower: o.lower,
          upper: o.upper,
          exact: o.lowerExact && o.upperExact,
          recoverable: (prev?.recoverable ?? false) || !o.ok,
          ...(prev?.why ? { why: prev.why } : o.why ? { why: o.why } : {}),
        });
      } else if (!o.ok) {
        const prev = cells.get(c);
        const why = `complement within the total on line ${table.lines[table.constraints[o.req.constraint!]!.total]} is known to be in [${o.lower}, ${o.upper}]`;
        if (prev) {
          prev.recoverable = true;
          prev.why ??= why;
        } else {
          cells.set(c, { row: c, line: table.lines[c]!, col: table.countColumn, lower: NaN, upper: NaN, exact: false, recoverable: true, why });
        }
      }
    }
  }
  const list = [...cells.values()].sort((a, b) => a.row - b.row);
  return { ok: list.every((c) => !c.recoverable), minN: settings.minN, cells: list, lpSolves: stats.solves };
}
