import { getHighs } from './lp.js';
import { hiddenComponents, type AuditStats } from './protect.js';
import { addExtraRows, rateBandRows, rateVerdict } from './rates.js';
import { publishedViolations, ruleRequirements } from './rule.js';
import { auditWithRule, INTEGER_CHECK_MAX_CELLS, prepareTable, type TableInput } from './suppress.js';
import type { AuditCell, AuditPublished, AuditResult, SuppressOptions } from './types.js';

export interface AuditTableOptions
  extends TableInput,
    Pick<SuppressOptions, 'minN' | 'marker' | 'protectZero' | 'protectExtremes' | 'protection' | 'integerCheck' | 'integerCheckMaxCells'> {
  /** Solve both LPs for every hidden cell (exact bounds for all; slower). Default: exact bounds only where needed. */
  exactBounds?: boolean;
}

/**
 * The attacker's view of a published table: every marker cell is unknown.
 * The audit applies the publication rule suppress applies (rule.ts), with
 * the same implementation:
 *
 * 1. published cells: every published count is 0 or ≥ n, every published
 *    part's complement within a published total is 0 or ≥ n (0 is sensitive
 *    too with protectZero, and in outcome partitions with extremes
 *    protected); every published rate has a published denominator ≥ n and a
 *    published numerator, and its implied numerator is not known small
 *    (rates.ts). A table that was never suppressed fails here.
 * 2. hidden cells: for each one the attacker bounds [lower, upper] over all
 *    non-negative fillings consistent with the published cells, totals and
 *    rate bands (LP, then verified with integer bounds). A cell fails when it
 *    is pinned (upper − lower < 1) or known to be below n (upper < n); a
 *    hidden part fails when its complement T − x is known to be small.
 *
 * Without `exactBounds`, a cell's [lower, upper] is exact where the solver
 * had to be run — always for recoverable cells — and otherwise an inner range
 * proven by feasible points (`exact: false`): the attacker's interval is at
 * least that wide, which is all safety needs.
 */
export async function auditTable(opts: AuditTableOptions): Promise<AuditResult> {
  const { settings, table } = prepareTable(opts);
  const highs = await getHighs();
  const hidden = new Uint8Array(table.rows.length);
  table.counts.forEach((v, i) => {
    if (Number.isNaN(v)) hidden[i] = 1;
  });
  const isHidden = (c: number): boolean => hidden[c] === 1;
  // Published rates next to hidden counts are attacker knowledge.
  addExtraRows(table, rateBandRows(table, isHidden, settings.marker));

  const published: AuditPublished[] = [];
  for (const v of publishedViolations(table, hidden, settings)) {
    const where =
      v.constraint !== undefined
        ? `its complement within the total on line ${table.lines[table.constraints[v.constraint]!.total]} is ${v.value}`
        : v.extraRow !== undefined
          ? `its complement within the published denominator (${table.extraRows[v.extraRow]!.source}) is ${v.value}`
          : `the published count ${v.value} is below n = ${settings.minN}`;
    published.push({ row: v.row, line: table.lines[v.row]!, col: table.countColumn, rule: v.rule, why: `${where}${v.value === 0 ? ' (0 % / 100 % is protected)' : ''}` });
  }
  table.rates.forEach((rs, ri) => {
    for (let r = 0; r < table.rows.length; r++) {
      const raw = table.rows[r]![rs.index]!.trim();
      if (raw === '' || raw === settings.marker) continue;
      const v = rateVerdict(table, ri, r, raw, isHidden, settings, settings.marker);
      if (v) published.push({ row: r, line: table.lines[r]!, col: rs.column, rule: 'published-rate', why: `rate published though ${v.why}` });
    }
  });
  published.sort((a, b) => a.row - b.row || a.col.localeCompare(b.col));

  const stats: AuditStats = { solves: 0 };
  const cells = new Map<number, AuditCell>();
  for (const comp of hiddenComponents(table, hidden)) {
    const reqs = ruleRequirements(table, comp, settings);
    const outcomes = auditWithRule(highs, table, hidden, comp, reqs, settings, stats, {
      truth: false,
      full: opts.exactBounds ?? false,
      integerCheck: opts.integerCheck ?? true,
      integerMaxCells: opts.integerCheckMaxCells ?? INTEGER_CHECK_MAX_CELLS,
    });
    for (const o of outcomes) {
      const c = o.req.cell;
      if (o.req.kind !== 'complement') {
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
        const k = o.req.constraint!;
        const against = k >= 0 ? `the total on line ${table.lines[table.constraints[k]!.total]}` : `the published denominator (${table.extraRows[-1 - k]!.source})`;
        const why = `complement within ${against} is known to be in [${o.lower}, ${o.upper}]`;
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
  return {
    ok: list.every((c) => !c.recoverable) && published.length === 0,
    minN: settings.minN,
    cells: list,
    published,
    integerCheck: { enabled: opts.integerCheck ?? true, components: stats.integerChecked ?? 0, skippedLarge: stats.integerSkipped ?? 0 },
    lpSolves: stats.solves,
  };
}
