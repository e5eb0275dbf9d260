import type { Highs } from 'highs';
import { P20Error } from '../../errors.js';
import { getHighs } from './lp.js';
import { hiddenComponents } from './protect.js';
import { primarySuppression } from './primary.js';
import { publishedViolations, ruleRequirements, type RuleParams } from './rule.js';
import { auditWithRule } from './suppress.js';
import type { CountTable } from './types.js';

/**
 * Exact minimum-cost secondary suppression for small tables (up to a few
 * hundred cells), in the style of Fischetti & Salazar's branch-and-cut:
 *
 * - a master MILP over one binary y[c] per count cell (1 = hidden) that
 *   minimises the cost of the hidden cells: first their number, then their
 *   total (weights 1 + value / (Σ values + 1), so the total only breaks ties);
 *   primary-small and pre-suppressed cells are fixed at 1;
 * - start cuts: in every complete constraint a hidden cell has a hidden
 *   partner (else the constraint pins it);
 * - the master's optimal pattern is checked with the one publication rule,
 *   exactly as suppress and audit-table check it (rule.ts: primary rules on
 *   what is published; LP bounds then exact integer bounds for every hidden
 *   quantity, suppress.ts `auditWithRule`);
 * - each violation adds a cut every protecting pattern satisfies, and the
 *   master is solved again:
 *   - a published x whose complement in a published total T is small:
 *     y[x] + y[T] ≥ 1;
 *   - a hidden cell c whose requirement fails in component K: some published
 *     cell M(K) next to K (sharing a constraint or rate row with it) must be
 *     hidden: Σ_{m ∈ M(K)} y[m] ≥ y[c]. Valid because any pattern hiding none
 *     of M(K) leaves c in a component inside K, where the attacker's
 *     (integer) interval is narrower or equal, so c still fails;
 *   - anything else: a local no-good on the cells deciding it.
 *
 * The first master pattern that passes the check is optimal (every cut is
 * valid for every protecting pattern, and the master minimises over a
 * relaxation). Limits (iterations, time) stop the search: the result is then
 * the `initial` pattern when one was given, flagged not optimal.
 */

export interface ExactParams extends RuleParams {
  /** Verify with exact integer bounds (default true; false: LP bounds only, as `suppress --no-integer-check`). */
  integerCheck?: boolean;
  /** Master solves at most (default 400). */
  maxIterations?: number;
  /** Seconds for the whole search (default 60). */
  timeLimit?: number;
  /**
   * A protecting pattern known in advance (the heuristic's): the incumbent.
   * Its cost bounds the master (only patterns no costlier are searched), and it
   * is returned, flagged not optimal, when a limit stops the search.
   */
  initial?: Uint8Array;
  onProgress?: (iteration: number) => void;
}

export interface ExactResult {
  /** 1 = hidden, per cell. */
  hidden: Uint8Array;
  /** true: a minimum-cost pattern under the rule; false: a limit stopped the search and `hidden` is `initial`. */
  optimal: boolean;
  /** Cells forced hidden by the primary rules (primary-small, pre-suppressed). */
  forced: Uint8Array;
  /** Hidden cells that are not forced (secondary and primary-complement choices), and their total count. */
  secondaryCells: number;
  secondaryTotal: number;
  hiddenCells: number;
  iterations: number;
  cuts: number;
  solves: number;
  /** The largest table size the default limits are meant for (cells); larger tables are refused. */
}

/** Tables above this many cells are refused by the exact mode. */
export const EXACT_MAX_CELLS = 2000;

interface Cut {
  /** Σ coefs·y ≥ rhs */
  vars: number[];
  coefs: number[];
  rhs: number;
}

/**
 * Minimum-cost protecting pattern of `table` under the publication rule
 * (exact mode). Throws TABLE_UNPROTECTABLE (exit 1) when no pattern protects
 * the table, TABLE_OPTIONS (exit 2) when the table is too large.
 */
export async function exactSuppress(table: CountTable, params: ExactParams): Promise<ExactResult> {
  const n = table.rows.length;
  if (n > EXACT_MAX_CELLS) {
    throw new P20Error('TABLE_OPTIONS', `the exact mode is for tables up to ${EXACT_MAX_CELLS} cells (this one has ${n}); use the default method`, { file: table.file });
  }
  const highs = await getHighs();
  const integerCheck = params.integerCheck ?? true;
  const maxIterations = params.maxIterations ?? 400;
  const deadline = performance.now() + (params.timeLimit ?? 60) * 1000;
  const counts = table.counts;

  const primary = primarySuppression(table, params);
  const forced = new Uint8Array(n);
  primary.reason.forEach((r, i) => {
    if (r === 'primary-small' || r === 'pre-suppressed') forced[i] = 1;
  });

  // Cost weights: number of cells first, total count as a tie-break (Σ of the tie-break terms < 1).
  let total = 0;
  for (let i = 0; i < n; i++) if (!Number.isNaN(counts[i]!)) total += counts[i]!;
  const weight = (i: number): number => (forced[i] ? 0 : 1 + (Number.isNaN(counts[i]!) ? 0 : counts[i]!) / (total + 1));

  const cuts: Cut[] = [];
  const cutKeys = new Set<string>();
  const addCut = (c: Cut): void => {
    // Fold fixed variables into the right-hand side; drop cuts already satisfied.
    const vars: number[] = [];
    const coefs: number[] = [];
    let rhs = c.rhs;
    c.vars.forEach((v, i) => {
      if (forced[v]) rhs -= c.coefs[i]!;
      else {
        vars.push(v);
        coefs.push(c.coefs[i]!);
      }
    });
    if (rhs <= 0 && coefs.every((x) => x >= 0)) return;
    const key = vars.map((v, i) => `${v}:${coefs[i]}`).sort().join(',') + `>=${rhs}`;
    if (cutKeys.has(key)) return;
    cutKeys.add(key);
    cuts.push({ vars, coefs, rhs });
  };

  // Start cuts: a hidden cell of a complete constraint needs a hidden partner there.
  for (const con of table.constraints) {
    if (!con.complete) continue;
    const cells = [con.total, ...con.parts];
    for (const i of cells) {
      const others = cells.filter((j) => j !== i);
      addCut({ vars: [...others, i], coefs: [...others.map(() => 1), -1], rhs: 0 });
    }
  }

  // The incumbent (the heuristic's pattern) bounds the master: no costlier pattern is searched.
  if (params.initial) {
    const init = params.initial;
    const vars: number[] = [];
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (forced[i]) continue;
      vars.push(i);
      if (init[i]) c += weight(i);
    }
    addCut({ vars, coefs: vars.map((i) => -weight(i)), rhs: -c - 1e-6 });
  }

  const stats = { solves: 0 };
  const compCache = new Map<string, { failing: number[]; unverified: boolean }>();
  let unverified = false;

  /** Check a pattern; returns the cuts it violates (none: it protects the table). */
  const check = (hidden: Uint8Array): Cut[] => {
    const out: Cut[] = [];
    for (const v of publishedViolations(table, hidden, params)) {
      if (v.rule === 'published-complement' && v.constraint !== undefined) {
        out.push({ vars: [v.row, table.constraints[v.constraint]!.total], coefs: [1, 1], rhs: 1 });
      } else if (v.rule === 'published-complement' && v.extraRow !== undefined) {
        out.push({ vars: [v.row], coefs: [1], rhs: 1 });
      } else if (v.rule === 'published-small' && counts[v.row]! > 0) {
        out.push({ vars: [v.row], coefs: [1], rhs: 1 });
      } else out.push(localNoGood(table, hidden, v.row));
    }
    for (const comp of hiddenComponents(table, hidden)) {
      const sig = comp.join(',');
      let res = compCache.get(sig);
      if (!res) {
        const reqs = ruleRequirements(table, comp, params);
        const outcomes = auditWithRule(highs, table, hidden, comp, reqs, params, stats, { truth: true, full: false, integerCheck });
        const failing = new Set<number>();
        let unv = false;
        for (const o of outcomes) {
          if (o.ok) continue;
          failing.add(o.req.cell);
          if (o.why === 'unverified') unv = true;
        }
        res = { failing: [...failing].sort((a, b) => a - b), unverified: unv };
        compCache.set(sig, res);
      }
      if (res.failing.length === 0) continue;
      if (res.unverified) unverified = true;
      const near = neighbours(table, hidden, comp);
      for (const c of res.failing) {
        out.push({ vars: [...near, c], coefs: [...near.map(() => 1), -1], rhs: 0 });
      }
    }
    return out;
  };

  let iterations = 0;
  let result: Uint8Array | undefined;
  let stopped = false;
  for (;;) {
    if (iterations >= maxIterations || performance.now() > deadline) {
      stopped = true;
      break;
    }
    iterations++;
    params.onProgress?.(iterations);
    const y = solveMaster(highs, n, forced, weight, cuts, Math.max(1, (deadline - performance.now()) / 1000));
    if (y === 'infeasible') {
      // With an incumbent the master only looks at patterns no costlier than it: keep the incumbent.
      if (params.initial) {
        stopped = true;
        break;
      }
      throw new P20Error('TABLE_UNPROTECTABLE', 'no suppression pattern protects this table under the rule (exact search)', { file: table.file });
    }
    if (y === 'limit') {
      stopped = true;
      break;
    }
    const violated = check(y);
    if (violated.length === 0) {
      result = y;
      break;
    }
    const before = cuts.length;
    for (const c of violated) addCut(c);
    if (cuts.length === before) {
      // Nothing new to cut: fail closed with the local no-good of the whole pattern.
      const all = Array.from({ length: n }, (_, i) => i).filter((i) => !forced[i]);
      const key = cuts.length;
      addCut({ vars: all, coefs: all.map((i) => (y[i] ? -1 : 1)), rhs: 1 - all.reduce((a, i) => a + y[i]!, 0) });
      if (cuts.length === key) {
        stopped = true;
        break;
      }
    }
  }

  let optimal = !stopped && !unverified;
  if (!result) {
    if (!params.initial) {
      throw new P20Error('TABLE_UNPROTECTABLE', `the exact search stopped (${iterations} iterations) before finding a protecting pattern`, { file: table.file });
    }
    result = params.initial.slice();
    optimal = false;
  }
  let secondaryCells = 0;
  let secondaryTotal = 0;
  let hiddenCells = 0;
  for (let i = 0; i < n; i++) {
    if (!result[i]) continue;
    hiddenCells++;
    if (!forced[i]) {
      secondaryCells++;
      if (!Number.isNaN(counts[i]!)) secondaryTotal += counts[i]!;
    }
  }
  return { hidden: result, optimal, forced, secondaryCells, secondaryTotal, hiddenCells, iterations, cuts: cuts.length, solves: stats.solves };
}

/** Published cells sharing a constraint or an extra (rate) row with a member of `comp`. */
function neighbours(table: CountTable, hidden: Uint8Array, comp: number[]): number[] {
  const out = new Set<number>();
  for (const c of comp) {
    for (const k of table.cellConstraints[c]!) {
      const con = table.constraints[k]!;
      for (const m of [con.total, ...con.parts]) if (!hidden[m] && !Number.isNaN(table.counts[m]!)) out.add(m);
    }
    for (const k of table.cellExtraRows[c] ?? []) {
      for (const m of table.extraRows[k]!.cells) if (!hidden[m] && !Number.isNaN(table.counts[m]!)) out.add(m);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** A cut excluding every pattern that agrees with `hidden` on the cells deciding cell c's primary rules. */
function localNoGood(table: CountTable, hidden: Uint8Array, c: number): Cut {
  const cells = new Set<number>([c]);
  for (const k of table.cellConstraints[c]!) {
    const con = table.constraints[k]!;
    cells.add(con.total);
    for (const p of con.parts) cells.add(p);
  }
  for (const k of table.cellExtraRows[c] ?? []) for (const m of table.extraRows[k]!.cells) cells.add(m);
  const vars = [...cells].sort((a, b) => a - b);
  // Σ_{j hidden now} (1 − y_j) + Σ_{j published now} y_j ≥ 1
  const coefs = vars.map((j) => (hidden[j] ? -1 : 1));
  const rhs = 1 - vars.reduce((a, j) => a + (hidden[j] ? 1 : 0), 0);
  return { vars, coefs, rhs };
}

/** Solve the master MILP: minimise Σ weight·y subject to the cuts, y binary, forced cells fixed at 1. */
function solveMaster(
  highs: Highs,
  n: number,
  forced: Uint8Array,
  weight: (i: number) => number,
  cuts: Cut[],
  timeLimit: number,
): Uint8Array | 'infeasible' | 'limit' {
  const starts = new Int32Array(cuts.length + 1);
  cuts.forEach((c, i) => {
    starts[i + 1] = starts[i]! + c.vars.length;
  });
  const nnz = starts[cuts.length]!;
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  for (const c of cuts) {
    // Merge repeated columns (HiGHS rejects them).
    const m = new Map<number, number>();
    c.vars.forEach((v, i) => m.set(v, (m.get(v) ?? 0) + c.coefs[i]!));
    for (const [v, x] of m) {
      indices[k] = v;
      values[k] = x;
      k++;
    }
    for (let pad = m.size; pad < c.vars.length; pad++) {
      // shorter after merging: keep CSR consistent with a harmless explicit zero on a new column is not allowed; shift instead
    }
  }
  // Recompute starts after merging.
  let pos = 0;
  cuts.forEach((c, i) => {
    pos += new Set(c.vars).size;
    starts[i + 1] = pos;
  });
  const model = highs.createModel({
    numCols: n,
    numRows: cuts.length,
    colCost: Float64Array.from({ length: n }, (_, i) => weight(i)),
    colLower: Float64Array.from(forced),
    colUpper: new Float64Array(n).fill(1),
    rowLower: Float64Array.from(cuts, (c) => c.rhs),
    rowUpper: new Float64Array(cuts.length).fill(highs.infinity),
    matrix: { format: 'csr', numRows: cuts.length, numCols: n, starts, indices: indices.subarray(0, pos), values: values.subarray(0, pos) },
    integrality: new Int32Array(n).fill(highs.constants.variableType.integer),
  });
  try {
    model.options.set({ output_flag: false, mip_rel_gap: 0, mip_abs_gap: 1e-9, time_limit: timeLimit });
    model.run();
    const st = model.getModelStatus();
    const ms = highs.constants.modelStatus;
    if (st === ms.infeasible) return 'infeasible';
    if (st !== ms.optimal) return 'limit';
    const x = model.getSolution().colValue;
    return Uint8Array.from(x, (v) => (v > 0.5 ? 1 : 0));
  } finally {
    model.dispose();
  }
}
