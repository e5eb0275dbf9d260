import type { Highs } from 'highs';
import { EXACT_MAX_CELLS, exactSuppress, type ExactResult } from './exact.js';
import { verifyRequirementsInteger } from './integer.js';
import { getHighs } from './lp.js';
import { buildCountTable } from './model.js';
import { primarySuppression } from './primary.js';
import { attackerRows, auditComponent, hiddenComponents, type AuditStats, type ProtectParams, type Requirement, type ReqOutcome } from './protect.js';
import { addExtraRows, decideRates, denominatorRows } from './rates.js';
import { publishedViolations, ruleRequirements, type RuleParams } from './rule.js';
import { inferTableSpec } from './spec.js';
import type { CountTable, HiddenCell, SuppressOptions, SuppressReport, SuppressResult, SuppressionReason, TableSpec } from './types.js';
import { P20Error } from '../../errors.js';

export const DEFAULT_MIN_N = 10;
export const DEFAULT_MARKER = '*';
/**
 * Components up to this many hidden cells get the integer check (default; `integerCheckMaxCells`).
 * Larger ones (a district block of a state table: ~1,400 hidden cells) keep the LP proof:
 * each MIP there takes seconds to minutes.
 */
export const INTEGER_CHECK_MAX_CELLS = 500;
/**
 * Tables up to this many cells get the exact search after the greedy rounds
 * (method `auto`, the default) and as the fallback before a refusal
 * (`exactMaxCells`). Larger tables keep the heuristic's pattern.
 */
export const EXACT_AUTO_MAX_CELLS = 200;
/** Seconds the exact search may take in `auto` and in the fallback (`exactTimeLimit`). */
export const EXACT_AUTO_SECONDS = 10;
/** Components up to this many hidden cells get the pruning pass (each try is one component audit). */
const PRUNE_MAX_COMPONENT = 400;

/** Connected components among `cells` (hidden) through shared constraints and extra rows. */
function componentsOf(table: CountTable, hidden: Uint8Array, cells: number[]): number[][] {
  const seen = new Set<number>();
  const out: number[][] = [];
  for (const start of cells) {
    if (seen.has(start)) continue;
    seen.add(start);
    const comp = [start];
    for (let q = 0; q < comp.length; q++) {
      const ids: number[] = [];
      for (const k of table.cellConstraints[comp[q]!]!) {
        const con = table.constraints[k]!;
        ids.push(con.total, ...con.parts);
      }
      for (const k of table.cellExtraRows[comp[q]!] ?? []) ids.push(...table.extraRows[k]!.cells);
      for (const id of ids) {
        if (hidden[id] && !seen.has(id)) {
          seen.add(id);
          comp.push(id);
        }
      }
    }
    out.push(comp.sort((a, b) => a - b));
  }
  return out;
}

/**
 * The rule's audit of one component of hidden cells: LP bounds (protect.ts),
 * then every requirement the LP proved is verified with exact integer bounds
 * (integer.ts) unless `integerCheck` is false. Used by suppress and audit-table.
 */
export function auditWithRule(
  highs: Highs,
  table: CountTable,
  hidden: Uint8Array,
  comp: number[],
  reqs: Requirement[],
  params: ProtectParams,
  stats: AuditStats,
  opts: { truth: boolean; full: boolean; integerCheck: boolean; integerMaxCells?: number },
): ReqOutcome[] {
  const outcomes = auditComponent(highs, table, hidden, comp, reqs, params, stats, { truth: opts.truth, full: opts.full });
  if (!opts.integerCheck) return outcomes;
  if (comp.length > (opts.integerMaxCells ?? INTEGER_CHECK_MAX_CELLS)) {
    // MIPs over thousands of hidden cells take minutes each: LP proof only (reported).
    stats.integerSkipped = (stats.integerSkipped ?? 0) + 1;
    return outcomes;
  }
  stats.integerChecked = (stats.integerChecked ?? 0) + 1;
  // Only what the LP proved with a fractional point needs integer bounds (an integral
  // point is an integer witness); in full mode every cell's exact integer bounds are wanted.
  const open = outcomes.map((o, i) => (o.ok && (!o.integral || (opts.full && o.req.kind === 'cell')) ? i : -1)).filter((i) => i >= 0);
  if (open.length === 0) return outcomes;
  const varOf = new Map<number, number>();
  comp.forEach((c, j) => varOf.set(c, j));
  const checked = verifyRequirementsInteger(
    highs,
    table,
    comp,
    open.map((i) => outcomes[i]!),
    params,
    stats,
    { truth: opts.truth, full: opts.full, rows: attackerRows(table, varOf) },
  );
  const out = outcomes.slice();
  open.forEach((i, k) => {
    out[i] = checked[k]!;
  });
  return out;
}

/** A table handed in as CSV header and rows, with or without a declared structure. */
export interface TableInput {
  /** Name used in messages and the report. */
  file?: string;
  header: string[];
  rows: string[][];
  /** 1-based line of each row (default: index + 2). */
  lines?: number[];
  /** Declared structure; inferred from "All"/"Total" rows when absent. */
  spec?: TableSpec;
  /** Count column when inferring. */
  countColumn?: string;
}

export interface SuppressTableOptions extends SuppressOptions, TableInput {}

export function resolveSettings(spec: TableSpec, o: SuppressOptions): RuleParams & { marker: string; protectExtremes: boolean } {
  const minN = o.minN ?? spec.minN ?? DEFAULT_MIN_N;
  if (!Number.isInteger(minN) || minN < 1) throw new P20Error('TABLE_OPTIONS', `minimum n must be a whole number ≥ 1 (got ${minN})`);
  const marker = o.marker ?? spec.marker ?? DEFAULT_MARKER;
  if (marker.trim() === '' || /^\d/.test(marker.trim())) throw new P20Error('TABLE_OPTIONS', `marker ${JSON.stringify(marker)} must be non-empty and not start with a digit`);
  return {
    minN,
    protectZero: o.protectZero ?? false,
    protectExtremes: o.protectExtremes ?? true,
    protection: o.protection ?? 'threshold',
    marker: marker.trim(),
  };
}

/** The spec (declared or inferred), the settings and the count table of a table input. */
export function prepareTable(
  opts: TableInput & SuppressOptions,
): { file: string; settings: ReturnType<typeof resolveSettings>; table: CountTable; warnings: string[] } {
  const file = opts.file ?? '<table>';
  const spec = opts.spec ?? inferTableSpec(opts.header, opts.rows, file, opts.countColumn);
  const settings = resolveSettings(spec, opts);
  const table = buildCountTable({ file, header: opts.header, rows: opts.rows, ...(opts.lines ? { lines: opts.lines } : {}) }, spec, settings.marker);
  const den = denominatorRows(table, settings.minN);
  addExtraRows(table, den.rows);
  const warnings = den.small.map(
    (r) =>
      `line ${table.lines[r]}: its published denominator is below n = ${settings.minN}, which already shows its count is below n; ` +
      'its rate is hidden, but only suppressing the denominators too (as the counts of a table of their own) protects it',
  );
  return { file, settings, table, warnings };
}

/** Cost of a pattern: hidden cells first, their total as a tie-break (as the exact mode's master). */
function patternCost(table: CountTable, hidden: Uint8Array): number {
  let cells = 0;
  let total = 0;
  let all = 0;
  for (let i = 0; i < hidden.length; i++) {
    const v = table.counts[i]!;
    if (!Number.isNaN(v)) all += v;
    if (!hidden[i]) continue;
    cells++;
    if (!Number.isNaN(v)) total += v;
  }
  return cells + total / (all + 1);
}

/** Published cost score of hiding cell m next: (zero?, change in singly-hidden constraints, value). */
function scoreOf(table: CountTable, hiddenInCon: Int32Array, m: number): [number, number, number] {
  let delta = 0;
  for (const k of table.cellConstraints[m]!) {
    if (!table.constraints[k]!.complete) continue; // an inequality never pins a cell by itself
    const h = hiddenInCon[k]!;
    if (h === 0) delta++;
    else if (h === 1) delta--;
  }
  const v = table.counts[m]!;
  return [v === 0 ? 1 : 0, delta, v];
}

function better(a: [number, number, number], b: [number, number, number]): boolean {
  if (a[0] !== b[0]) return a[0] < b[0];
  if (a[1] !== b[1]) return a[1] < b[1];
  return a[2] < b[2];
}

/**
 * Primary plus complementary suppression of a table of counts, proven by the
 * attacker's LP bounds (see protect.ts). Deterministic: same input, same output.
 */
export async function suppressTable(opts: SuppressTableOptions): Promise<SuppressResult> {
  const { file, settings, table, warnings } = prepareTable(opts);
  const { minN, protectZero, marker } = settings;
  const rule: RuleParams = settings;
  const integerCheck = opts.integerCheck ?? true;
  const highs = await getHighs();
  const n = table.rows.length;

  const primary = primarySuppression(table, rule);
  const reason = primary.reason.slice();
  const hidden = new Uint8Array(n);
  reason.forEach((r, i) => {
    if (r) hidden[i] = 1;
  });
  const hiddenInCon = new Int32Array(table.constraints.length);
  table.constraints.forEach((c, k) => {
    let h = hidden[c.total]!;
    for (const p of c.parts) h += hidden[p]!;
    hiddenInCon[k] = h;
  });
  const hide = (m: number, why: SuppressionReason = 'secondary'): void => {
    hidden[m] = 1;
    reason[m] = why;
    for (const k of table.cellConstraints[m]!) hiddenInCon[k]!++;
  };

  const pick = (pool: Iterable<number>): number => {
    let best = -1;
    let bestScore: [number, number, number] = [Infinity, Infinity, Infinity];
    for (const k of pool) {
      const con = table.constraints[k]!;
      for (const m of [con.total, ...con.parts]) {
        if (hidden[m] || Number.isNaN(table.counts[m]!)) continue;
        const s = scoreOf(table, hiddenInCon, m);
        if (best < 0 || better(s, bestScore) || (!better(bestScore, s) && m < best)) {
          best = m;
          bestScore = s;
        }
      }
    }
    return best;
  };

  // Structural pre-pass (no LP): a constraint with exactly one hidden cell pins
  // it exactly, so hide one more cell there; repeat until no constraint pins.
  {
    const queue: number[] = [];
    hiddenInCon.forEach((h, k) => {
      if (h === 1 && table.constraints[k]!.complete) queue.push(k);
    });
    while (queue.length > 0) {
      const k = queue.pop()!;
      if (hiddenInCon[k] !== 1) continue;
      const m = pick([k]);
      if (m < 0) continue; // only unknown cells left; the LP audit decides
      hide(m);
      for (const k2 of table.cellConstraints[m]!) if (hiddenInCon[k2] === 1 && table.constraints[k2]!.complete) queue.push(k2);
    }
  }

  const method = opts.method ?? 'auto';
  const exactFits = n <= Math.min(opts.exactMaxCells ?? EXACT_AUTO_MAX_CELLS, EXACT_MAX_CELLS);
  const adopt = (e: ExactResult): void => {
    for (let i = 0; i < n; i++) {
      hidden[i] = e.hidden[i]!;
      reason[i] = e.hidden[i] ? (primary.reason[i] ?? 'secondary') : undefined;
    }
  };
  // Exact mode (exact.ts): a minimum-cost pattern under the same rule replaces the greedy rounds.
  let exact =
    method === 'exact'
      ? await exactSuppress(table, { ...rule, integerCheck, ...(opts.exactTimeLimit !== undefined ? { timeLimit: opts.exactTimeLimit } : {}) })
      : undefined;
  let exactFallback = false;
  if (exact) adopt(exact);
  const passed = new Set<string>();
  const proven = new Set<string>();
  const reqKey = (r: Requirement): string => `${r.kind}:${r.cell}:${r.constraint ?? ''}`;
  const bounds = new Map<number, ReqOutcome>();
  const stats: AuditStats = { solves: 0 };
  const auditOpts = { truth: true, full: false, integerCheck, integerMaxCells: opts.integerCheckMaxCells ?? INTEGER_CHECK_MAX_CELLS };
  let iterations = 0;
  let finalComponents = 0;
  let fallbacks = 0;
  for (; !exact; ) {
    iterations++;
    // The publication rule on what is published (the audit applies the same).
    let changed = false;
    for (const v of publishedViolations(table, hidden, rule)) {
      if (hidden[v.row]) continue;
      hide(v.row, 'primary-complement');
      changed = true;
    }
    const comps = hiddenComponents(table, hidden);
    finalComponents = comps.length;
    const failingCells = new Set<number>();
    const compOf = new Map<number, number[]>();
    let done = 0;
    for (const comp of comps) {
      done++;
      const sig = comp.join(',');
      if (passed.has(sig)) continue;
      // Hiding more cells only widens the attacker's intervals (old feasible points stay
      // feasible), so a requirement proven in an earlier round stays proven.
      const reqs = ruleRequirements(table, comp, rule).filter((r) => !proven.has(reqKey(r)));
      const outcomes = auditWithRule(highs, table, hidden, comp, reqs, settings, stats, auditOpts);
      let ok = true;
      for (const o of outcomes) {
        if (o.req.constraint === undefined) bounds.set(o.req.cell, o);
        if (o.ok) proven.add(reqKey(o.req));
        else {
          ok = false;
          failingCells.add(o.req.cell);
          compOf.set(o.req.cell, comp);
        }
      }
      if (ok) passed.add(sig);
      opts.onProgress?.(done, comps.length);
    }
    if (failingCells.size === 0) {
      if (changed) continue;
      break;
    }
    // Complementary suppression: for each failing cell hide the cheapest published
    // cell sharing a constraint with it, preferring constraints where it is the only
    // hidden cell (those pin it exactly) and cells that close other such constraints.
    let hiddenThisRound = 0;
    let stuck = -1;
    for (const c of [...failingCells].sort((a, b) => a - b)) {
      const cons = table.cellConstraints[c]!;
      const pinned = cons.filter((k) => hiddenInCon[k] === 1 && table.constraints[k]!.complete);
      let m = pinned.length > 0 ? pick(pinned) : -1;
      if (m < 0) m = pick(cons);
      if (m < 0) m = pick(new Set(compOf.get(c)!.flatMap((x) => table.cellConstraints[x]!)));
      if (m < 0) {
        // Nothing published is left next to the component: widen to the whole table
        // (hiding more never makes a proven requirement fail) before giving up.
        fallbacks++;
        m = pick(table.constraints.keys());
      }
      if (m < 0) {
        if (stuck < 0) stuck = c;
        continue;
      }
      hide(m);
      hiddenThisRound++;
    }
    // Cells hidden in this round may already protect the rest: re-audit before refusing.
    if (hiddenThisRound > 0 && (opts.maxRounds === undefined || iterations < opts.maxRounds)) continue;
    // The greedy rounds are stuck (or out of rounds): a complete search decides
    // before refusing, on tables within the exact mode's size limit.
    if (exactFits) {
      exact = await exactSuppress(table, { ...rule, integerCheck, timeLimit: opts.exactTimeLimit ?? EXACT_AUTO_SECONDS });
      exactFallback = true;
      adopt(exact);
      bounds.clear();
      break;
    }
    const at = stuck >= 0 ? stuck : Math.min(...failingCells);
    throw new P20Error(
      'TABLE_UNPROTECTABLE',
      stuck >= 0
        ? `cannot protect the cell on line ${table.lines[at]}: every cell that could widen its interval is already hidden`
        : `cannot protect the cell on line ${table.lines[at]} within ${opts.maxRounds} greedy rounds`,
      { file, line: table.lines[at]! },
    );
  }

  // Pruning: the greedy rounds may leave complements that later ones made
  // unnecessary. On small components, try to publish each complement again
  // (largest count first) and keep it published if the rule still holds.
  if (opts.prune !== false && !exact) {
    for (const comp of hiddenComponents(table, hidden)) {
      if (comp.length > PRUNE_MAX_COMPONENT) continue;
      const secs = comp.filter((c) => reason[c] === 'secondary').sort((a, b) => table.counts[b]! - table.counts[a]! || a - b);
      for (const m of secs) {
        hidden[m] = 0;
        let ok = publishedViolations(table, hidden, rule, m).length === 0;
        const rest = comp.filter((c) => hidden[c]);
        const outcomesAll: ReqOutcome[] = [];
        if (ok) {
          for (const sub of componentsOf(table, hidden, rest)) {
            const reqs = ruleRequirements(table, sub, rule);
            const outcomes = auditWithRule(highs, table, hidden, sub, reqs, settings, stats, auditOpts);
            outcomesAll.push(...outcomes);
            if (outcomes.some((o) => !o.ok)) {
              ok = false;
              break;
            }
          }
        }
        if (ok) {
          reason[m] = undefined;
          for (const k of table.cellConstraints[m]!) hiddenInCon[k]!--;
          bounds.delete(m);
          for (const o of outcomesAll) if (o.req.constraint === undefined) bounds.set(o.req.cell, o);
        } else hidden[m] = 1;
      }
    }
    finalComponents = hiddenComponents(table, hidden).length;
  }
  void fallbacks;

  // Auto: on small tables the exact search, with the heuristic's pattern as the
  // incumbent (its cost bounds the master), may find a cheaper protecting
  // pattern; both pass the same rule, the cheaper one is published. A time-out
  // keeps the heuristic's pattern.
  if (!exact && method === 'auto' && exactFits) {
    const heur = hidden.slice();
    let e: ExactResult | undefined;
    try {
      e = await exactSuppress(table, { ...rule, integerCheck, timeLimit: opts.exactTimeLimit ?? EXACT_AUTO_SECONDS, initial: heur });
    } catch (err) {
      // The heuristic's pattern protects the table, so a refusal here is a limit of the search: keep the pattern.
      if (!(err instanceof P20Error && err.code === 'TABLE_UNPROTECTABLE')) throw err;
    }
    if (e?.optimal && patternCost(table, e.hidden) < patternCost(table, heur)) {
      exact = e;
      adopt(e);
      bounds.clear();
    }
  }

  // Rates: hidden with a hidden or small denominator, a hidden numerator, or an implied numerator that is small.
  const rateDecisions = decideRates(table, hidden, rule, marker, opts.topCode, opts.bottomCode);

  // Output table.
  const outRows = table.rows.map((r) => r.slice());
  const hiddenCells: HiddenCell[] = [];
  const withValues = opts.reportHiddenValues === true;
  const countsBy: Record<SuppressionReason, number> = {
    'primary-small': 0,
    'primary-complement': 0,
    'primary-denominator': 0,
    'primary-numerator': 0,
    secondary: 0,
    'pre-suppressed': 0,
  };
  let secondaryCells = 0;
  let secondaryTotal = 0;
  let hiddenTotal = 0;
  for (let i = 0; i < n; i++) {
    if (!hidden[i]) continue;
    const r = reason[i]!;
    outRows[i]![table.countIndex] = marker;
    countsBy[r]++;
    const v = table.counts[i]!;
    if (!Number.isNaN(v)) hiddenTotal += v;
    if (r === 'secondary') {
      secondaryCells++;
      secondaryTotal += v;
    }
    const b = bounds.get(i);
    hiddenCells.push({
      row: i,
      line: table.lines[i]!,
      column: table.countColumn,
      reason: r,
      ...(Number.isNaN(v) || !withValues ? {} : { value: v }),
      ...(b ? { lower: b.lower, upper: b.upper } : {}),
    });
  }
  const recoded: SuppressReport['recoded'] = [];
  for (const d of rateDecisions) {
    const rs = table.rates[d.rate]!;
    if (d.reason) {
      outRows[d.row]![rs.index] = marker;
      countsBy[d.reason]++;
      hiddenCells.push({ row: d.row, line: table.lines[d.row]!, column: rs.column, reason: d.reason });
    } else if (d.recoded) {
      outRows[d.row]![rs.index] = d.recoded.published;
      recoded.push({ row: d.row, line: table.lines[d.row]!, column: rs.column, published: d.recoded.published, ...(withValues ? { value: d.recoded.value } : {}) });
    }
  }
  hiddenCells.sort((a, b) => a.row - b.row || a.column.localeCompare(b.column));

  const report: SuppressReport = {
    format: 'p20link-suppress-report',
    version: 1,
    input: file,
    minN,
    protectZero,
    protectExtremes: settings.protectExtremes,
    protection: settings.protection,
    marker,
    hiddenValues: withValues,
    cells: n,
    constraints: table.constraints.length,
    hidden: hiddenCells,
    recoded,
    counts: countsBy,
    cost: {
      secondaryCells,
      ...(withValues ? { secondaryTotal } : {}),
      hiddenCells: hidden.reduce((a, b) => a + b, 0),
      ...(withValues ? { hiddenTotal } : {}),
    },
    warnings,
    integerCheck: { enabled: integerCheck, components: stats.integerChecked ?? 0, skippedLarge: stats.integerSkipped ?? 0 },
    iterations,
    lpSolves: stats.solves,
    components: exact ? hiddenComponents(table, hidden).length : finalComponents,
    ...(exact ? { method: 'exact' as const, optimal: exact.optimal } : {}),
    ...(exactFallback ? { exactFallback: true } : {}),
  };
  return { table: { header: table.header.slice(), rows: outRows }, report };
}
