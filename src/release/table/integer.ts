import type { Highs } from 'highs';
import { P20Error } from '../../errors.js';
import { withColumnCaps, type LinearExpr } from './lp.js';
import { attackerRows, requirementExprs, verdict, type AttackerRow, type ProtectParams, type ReqOutcome } from './protect.js';
import type { CountTable } from './types.js';

/**
 * Exact integer attacker bounds.
 *
 * The LP relaxation of the attacker (lp.ts, protect.ts) can be wider than what
 * an attacker who knows that counts are whole numbers can conclude: in 4-way
 * tables with all margins a hidden 9 the LP puts in [4, 10] is in [5, 9] over
 * the integers. This module solves the same model as a MIP (HiGHS branch and
 * bound, integrality on every hidden-cell column), so its min / max are the
 * attacker's exact integer bounds.
 *
 * Rows use the same form as `ComponentLp`: Σ coefs·x = rhs (`exact`) or
 * Σ coefs·x ≥ rhs, with x ≥ 0 integer.
 */

/** One model row: Σ coefs[i]·x[vars[i]] = rhs (exact) or ≥ rhs (the attacker rows of protect.ts). */
export type ModelRow = AttackerRow;

export interface MipResult {
  /**
   * optimal: `value` is the integer optimum; unbounded: `value` is ±Infinity;
   * limit: the solver stopped early (time or node limit, or an unclassified
   * stop, HiGHS status 15): `value` is the best integer point found (NaN if
   * none) and `bound` the proven bound on the optimum.
   */
  status: 'optimal' | 'unbounded' | 'limit';
  /** Objective value (constant included) of `point`, the best integer point found; NaN when none. */
  value: number;
  /** Proven bound on the optimum: ≤ it when maximising, ≥ it when minimising (±Infinity when unknown). */
  bound: number;
  point?: Float64Array;
}

export interface MipOptions {
  /** Seconds per solve (default 20). A solve that hits it returns status `limit`. */
  timeLimit?: number;
}

const EPS = 1e-6;
export const DEFAULT_MIP_TIME_LIMIT = 20;

/** Round an integer-valued solver number (removes 8.999999 noise). */
const snap = (v: number): number => (Number.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v);

/**
 * The attacker's integer model of one component: columns are the hidden cells
 * (whole numbers ≥ 0), rows the additive (and any extra) constraints with
 * published values on the right-hand side. One HiGHS model, reused for every
 * objective.
 */
export class ComponentMip {
  private readonly model;
  private readonly numCols: number;
  /** An integer-feasible point seen so far (tells "unbounded" from "infeasible"). */
  private feasible?: Float64Array;
  solves = 0;

  constructor(
    private readonly highs: Highs,
    numCols: number,
    rows: ModelRow[],
    private readonly opts: MipOptions = {},
  ) {
    this.numCols = numCols;
    // HiGHS rejects a column listed twice in one row: merge repeated columns.
    const merged = rows.map((r) => {
      const m = new Map<number, number>();
      r.vars.forEach((v, j) => m.set(v, (m.get(v) ?? 0) + r.coefs[j]!));
      return [...m].filter(([, c]) => c !== 0);
    });
    const starts = new Int32Array(rows.length + 1);
    merged.forEach((r, i) => {
      starts[i + 1] = starts[i]! + r.length;
    });
    const nnz = starts[rows.length]!;
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let k = 0;
    for (const r of merged) {
      for (const [v, c] of r) {
        indices[k] = v;
        values[k] = c;
        k++;
      }
    }
    this.model = highs.createModel({
      numCols,
      numRows: rows.length,
      colCost: new Float64Array(numCols),
      colLower: new Float64Array(numCols),
      colUpper: new Float64Array(numCols).fill(highs.infinity),
      rowLower: Float64Array.from(rows, (r) => r.rhs),
      rowUpper: Float64Array.from(rows, (r) => (r.exact ? r.rhs : highs.infinity)),
      matrix: { format: 'csr', numRows: rows.length, numCols, starts, indices, values },
      integrality: new Int32Array(numCols).fill(highs.constants.variableType.integer),
    });
    this.model.options.set({
      output_flag: false,
      mip_rel_gap: 0,
      mip_abs_gap: 1e-6,
      time_limit: opts.timeLimit ?? DEFAULT_MIP_TIME_LIMIT,
    });
  }

  /** Tell the model a known integer-feasible point (e.g. the true table): used to classify unbounded results. */
  knowFeasible(point: ArrayLike<number>): void {
    this.feasible = Float64Array.from(point as ArrayLike<number>);
  }

  /**
   * Optimise `expr` over the integers (minimise when sense = 1, maximise when
   * -1). Throws TABLE_INCONSISTENT when no non-negative whole numbers fit.
   * `caps` puts temporary upper bounds on some columns (witness search only:
   * the optimum is then not a bound; an infeasible capped model gives
   * status `limit` with no point).
   */
  optimize(expr: LinearExpr, sense: 1 | -1, caps?: { vars: number[]; upper: number[] }): MipResult {
    if (!caps || caps.vars.length === 0) return this.optimizeNow(expr, sense);
    try {
      return withColumnCaps(this.highs, this.model, caps, () => this.optimizeNow(expr, sense, true));
    } catch (e) {
      if (e instanceof P20Error && e.code === 'TABLE_INCONSISTENT') return { status: 'limit', value: Number.NaN, bound: sense === 1 ? -Infinity : Infinity };
      throw e;
    }
  }

  private optimizeNow(expr: LinearExpr, sense: 1 | -1, capped = false): MipResult {
    const cost = new Float64Array(this.numCols);
    for (let j = 0; j < expr.vars.length; j++) cost[expr.vars[j]!]! += expr.coefs[j]!;
    const highs = this.highs;
    const ms = highs.constants.modelStatus;
    this.model.changeColsCost({ kind: 'range', from: 0, to: this.numCols - 1 }, cost);
    this.model.changeObjectiveSense(sense === 1 ? highs.constants.objectiveSense.minimize : highs.constants.objectiveSense.maximize);
    this.model.zeroAllClocks();
    let st: number;
    try {
      this.model.run();
      st = this.model.getModelStatus();
    } catch {
      st = ms.unknown;
    }
    this.solves++;
    const worst = sense === 1 ? -Infinity : Infinity;
    const hasPoint = (): boolean => Number(this.model.info.get('primal_solution_status')) === 2;
    if (st === ms.optimal) {
      const point = this.model.getSolution().colValue;
      this.feasible ??= point;
      const v = snap(expr.constant + this.model.getObjectiveValue());
      return capped ? { status: 'limit', value: v, bound: sense === 1 ? -Infinity : Infinity, point } : { status: 'optimal', value: v, bound: v, point };
    }
    if (st === ms.infeasible) {
      throw new P20Error('TABLE_INCONSISTENT', 'the published values contradict the table totals (no non-negative whole numbers fit the hidden cells)', {});
    }
    if (st === ms.unbounded || st === ms.unboundedOrInfeasible) {
      if (st === ms.unboundedOrInfeasible && !this.feasible) {
        // Decide feasibility with a zero objective.
        const zero = this.optimizeNow({ constant: 0, vars: [], coefs: [] }, 1, capped);
        if (zero.status === 'limit' && !zero.point) return { status: 'limit', value: Number.NaN, bound: worst };
      }
      return { status: 'unbounded', value: worst, bound: worst };
    }
    // Time / iteration limit, HiGHS status 15 ("unknown") and other stops: keep what is proven.
    let point: Float64Array | undefined;
    let value = Number.NaN;
    if (hasPoint()) {
      point = this.model.getSolution().colValue;
      value = snap(expr.constant + this.model.getObjectiveValue());
      this.feasible ??= point;
    }
    const dual = Number(this.model.info.get('mip_dual_bound'));
    const bound = Number.isFinite(dual) ? snap(expr.constant + dual) : worst;
    return { status: 'limit', value, bound, ...(point ? { point } : {}) };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Exact integer minimum (sense = 1) or maximum (sense = -1) of `expr` over the
 * whole numbers x ≥ 0 satisfying `rows` (one-shot; builds and disposes a model).
 */
export async function integerBounds(
  highs: Highs,
  numCols: number,
  rows: ModelRow[],
  expr: LinearExpr,
  sense: 1 | -1,
  opts: MipOptions = {},
): Promise<MipResult> {
  const m = new ComponentMip(highs, numCols, rows, opts);
  try {
    return m.optimize(expr, sense);
  } finally {
    m.dispose();
  }
}

export interface IntegerVerifyOptions {
  /** The true values of the members are known (suppress): the truth is the first integer witness. */
  truth: boolean;
  /** Solve both integer optima of every `cell` requirement (exact bounds for reporting). */
  full?: boolean;
  /** Rows of the component model (default: `attackerRows(table, members)`, the rows the LP audit uses). */
  rows?: ModelRow[];
  timeLimit?: number;
}

interface IState {
  /** Range of the quantity over the integer points seen (witnesses: attained values). */
  seenLo: number;
  seenHi: number;
  /** Exact integer optima where solved to optimality. */
  lower?: number;
  upper?: number;
  /** Solver bounds after a limit stop (outer: the optimum is beyond them). */
  lowerBound?: number;
  upperBound?: number;
}

/**
 * Re-check requirements with the attacker's exact integer bounds.
 *
 * `outcomes` are the LP outcomes of `auditComponent` for the component
 * `members`. A requirement that fails over the LP fails over the integers
 * too (the integer hull lies inside the LP polytope) and is returned as is.
 * Every other one is proven again with integer-feasible witnesses: the true
 * table (suppress), then MIP optima pushing many open quantities up or down
 * at once, then one MIP per quantity still open (exact integer optimum).
 * An LP proof that relied on a fractional optimum (LP maximum 10.08, integer
 * maximum 9) is thus caught. A solve that stops on a limit without proving a
 * requirement fails it (`why: 'unverified'`): the caller hides more.
 *
 * Returns outcomes in the same order. `lower`/`upper` are the integer range
 * proven attained (exact integer optima where `lowerExact`/`upperExact`).
 */
export function verifyRequirementsInteger(
  highs: Highs,
  table: CountTable,
  members: number[],
  outcomes: ReqOutcome[],
  params: ProtectParams,
  stats: { solves: number; mipSolves?: number },
  opts: IntegerVerifyOptions,
): ReqOutcome[] {
  if (!outcomes.some((o) => o.ok)) return outcomes;
  const reqs = outcomes.map((o) => o.req);
  const varOf = new Map<number, number>();
  members.forEach((c, j) => varOf.set(c, j));
  const counts = table.counts;
  const exprs = requirementExprs(members, counts, reqs);
  const states: IState[] = reqs.map(() => ({ seenLo: Infinity, seenHi: -Infinity }));
  const see = (point: ArrayLike<number>): void => {
    exprs.forEach((e, i) => {
      let v = e.constant;
      for (let t = 0; t < e.vars.length; t++) v += e.coefs[t]! * Math.round(point[e.vars[t]!]!);
      const s = states[i]!;
      if (v < s.seenLo) s.seenLo = v;
      if (v > s.seenHi) s.seenHi = v;
    });
  };
  /** Attained integer range: exact optima where solved, else the witnesses' range. */
  const inner = (i: number): [number, number] => {
    const s = states[i]!;
    return [s.lower ?? s.seenLo, s.upper ?? s.seenHi];
  };
  const open = (i: number): string | undefined => (outcomes[i]!.ok ? verdict(reqs[i]!, ...inner(i), params, states[i]!.upper !== undefined) : undefined);

  const truth = opts.truth && members.every((c) => !Number.isNaN(counts[c]!)) ? members.map((c) => counts[c]!) : undefined;
  const mip = new ComponentMip(highs, members.length, opts.rows ?? attackerRows(table, varOf), opts.timeLimit === undefined ? {} : { timeLimit: opts.timeLimit });
  const run = (e: LinearExpr, sense: 1 | -1, caps?: { vars: number[]; upper: number[] }): MipResult => {
    const r = mip.optimize(e, sense, caps);
    stats.solves++;
    stats.mipSolves = (stats.mipSolves ?? 0) + 1;
    if (r.point) see(r.point);
    return r;
  };
  const solve = (i: number, sense: 1 | -1): void => {
    const s = states[i]!;
    const r = run(exprs[i]!, sense);
    if (r.status === 'limit') {
      if (sense === 1) s.lowerBound = r.bound;
      else s.upperBound = r.bound;
    } else if (sense === 1) s.lower = r.value;
    else s.upper = r.value;
  };
  const solved = (i: number, sense: 1 | -1): boolean => {
    const s = states[i]!;
    return sense === 1 ? s.lower !== undefined || s.lowerBound !== undefined : s.upper !== undefined || s.upperBound !== undefined;
  };

  try {
    if (truth) {
      mip.knowFeasible(truth);
      see(truth);
    }
    if (!opts.full && members.length > 1) {
      // Batch witnesses: integer optima pushing every open quantity down
      // (Σ min) or up (Σ max, each cell capped just above what it must reach,
      // so the optimum spreads over many cells). Repeat while it keeps proving.
      for (let round = 0; round < 8; round++) {
        const low = new Set<number>();
        const high = new Set<number>();
        let before = 0;
        reqs.forEach((_, i) => {
          const why = open(i);
          if (why === undefined) return;
          before++;
          const e = exprs[i]!;
          e.vars.forEach((v, t) => {
            const up = why === 'lower' ? e.coefs[t]! < 0 : e.coefs[t]! > 0;
            (up ? high : low).add(v);
          });
        });
        if (before === 0 || low.size + high.size <= 2) break;
        if (high.size > 1) {
          const vars = [...high];
          const upper = vars.map((j) => {
            const t = counts[members[j]!]!;
            return Number.isNaN(t) ? params.minN : Math.max(params.minN, t + 1);
          });
          const r = run({ constant: 0, vars, coefs: vars.map(() => 1) }, -1, { vars, upper });
          if (!r.point) run({ constant: 0, vars, coefs: vars.map(() => 1) }, -1);
        }
        if (low.size > 1) {
          const vars = [...low];
          run({ constant: 0, vars, coefs: vars.map(() => 1) }, 1);
        }
        let after = 0;
        reqs.forEach((_, i) => {
          if (open(i) !== undefined) after++;
        });
        if (after > 0.8 * before) break;
      }
    }
    for (let i = 0; i < reqs.length; i++) {
      if (!outcomes[i]!.ok) continue;
      if (opts.full && reqs[i]!.kind === 'cell') {
        if (!solved(i, -1)) solve(i, -1);
        if (!solved(i, 1)) solve(i, 1);
        continue;
      }
      for (let guard = 0; guard < 2; guard++) {
        const why = verdict(reqs[i]!, ...inner(i), params, states[i]!.upper !== undefined);
        if (why === undefined) break;
        if (why === 'lower') {
          if (solved(i, 1)) break;
          solve(i, 1);
        } else if (!solved(i, -1)) solve(i, -1);
        else if (!solved(i, 1)) solve(i, 1);
        else break;
      }
    }
  } finally {
    mip.dispose();
  }

  return outcomes.map((o, i) => {
    if (!o.ok) return o;
    const s = states[i]!;
    const [a, b] = inner(i);
    let why = verdict(o.req, a, b, params, s.upper !== undefined);
    if (why !== undefined && (s.lowerBound !== undefined || s.upperBound !== undefined)) {
      // A limit stop: refuted only if the outer bounds fail too; otherwise undecided (fail closed).
      const outer = verdict(o.req, s.lower ?? s.lowerBound ?? a, s.upper ?? s.upperBound ?? b, params, true);
      why = outer ?? 'unverified';
    }
    return {
      req: o.req,
      ok: why === undefined,
      lower: Math.ceil(a - EPS) + 0,
      upper: b === Infinity ? Infinity : Math.floor(b + EPS),
      lowerExact: s.lower !== undefined,
      upperExact: s.upper !== undefined,
      ...(why === undefined ? {} : { why }),
    };
  });
}
