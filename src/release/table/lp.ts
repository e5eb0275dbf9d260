import highsModule, { type Highs } from 'highs';
import { P20Error } from '../../errors.js';

// `highs` ships CommonJS typings for an ESM build: the default import is the
// loader at run time, but TypeScript (NodeNext) sees the CommonJS namespace.
type Loader = () => Promise<Highs>;
const loadHighs: Loader =
  (highsModule as unknown as { default?: Loader }).default ?? (highsModule as unknown as Loader);

/**
 * HiGHS (WebAssembly) loaded once per process and reused by every audit.
 */
let highsPromise: Promise<Highs> | undefined;
export function getHighs(): Promise<Highs> {
  if (!highsPromise) highsPromise = loadHighs();
  return highsPromise;
}

/** A linear expression over a component's variables: constant + Σ coef·x[var]. */
export interface LinearExpr {
  constant: number;
  vars: number[];
  coefs: number[];
}

/**
 * The attacker's model of one connected component of hidden cells:
 * variables = hidden cells (≥ 0), rows = additive constraints (= for complete
 * partitions, ≥ for incomplete ones) with the
 * published cells moved to the right-hand side. Minimises / maximises linear
 * expressions over it, reusing one HiGHS instance (warm-started).
 */
export class ComponentLp {
  private readonly model;
  private readonly numCols: number;
  solves = 0;

  constructor(
    private readonly highs: Highs,
    numCols: number,
    rows: { vars: number[]; coefs: number[]; rhs: number; exact: boolean }[],
  ) {
    this.numCols = numCols;
    const starts = new Int32Array(rows.length + 1);
    let nnz = 0;
    rows.forEach((r, i) => {
      nnz += r.vars.length;
      starts[i + 1] = nnz;
    });
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let k = 0;
    for (const r of rows) {
      for (let j = 0; j < r.vars.length; j++) {
        indices[k] = r.vars[j]!;
        values[k] = r.coefs[j]!;
        k++;
      }
    }
    const rhs = Float64Array.from(rows, (r) => r.rhs);
    this.model = highs.createModel({
      numCols,
      numRows: rows.length,
      colCost: new Float64Array(numCols),
      colLower: new Float64Array(numCols),
      colUpper: new Float64Array(numCols).fill(highs.infinity),
      rowLower: rhs,
      rowUpper: Float64Array.from(rows, (r) => (r.exact ? r.rhs : highs.infinity)),
      matrix: { format: 'csr', numRows: rows.length, numCols, starts, indices, values },
    });
    // Primal simplex: later solves only change the objective (or caps), so the previous
    // optimal basis stays primal feasible and re-solves take few iterations.
    this.model.options.set({ output_flag: false, presolve: 'off', solver: 'simplex', simplex_strategy: 4 });
  }

  /**
   * Optimise `expr` (minimise when sense = 1, maximise when -1). Returns the
   * optimum (±Infinity when unbounded) and an optimal point when one exists.
   */
  optimize(expr: LinearExpr, sense: 1 | -1, caps?: { vars: number[]; upper: number[] }): { value: number; point?: Float64Array } {
    if (!caps || caps.vars.length === 0) return this.optimizeNow(expr, sense);
    // Temporary upper bounds (witness search only; the optimum is then not a bound).
    try {
      return withColumnCaps(this.highs, this.model, caps, () => this.optimizeNow(expr, sense));
    } catch (e) {
      // Caps can make the witness LP infeasible (a hidden cell must exceed its cap), and
      // HiGHS may then stop with status "unknown" instead of "infeasible": no witness.
      if (e instanceof P20Error && (e.code === 'TABLE_INCONSISTENT' || e.code === 'TABLE_LP')) return { value: Number.NaN };
      throw e;
    }
  }

  private optimizeNow(expr: LinearExpr, sense: 1 | -1): { value: number; point?: Float64Array } {
    const cost = new Float64Array(this.numCols);
    for (let j = 0; j < expr.vars.length; j++) cost[expr.vars[j]!]! += expr.coefs[j]!;
    const highs = this.highs;
    this.model.changeColsCost({ kind: 'range', from: 0, to: this.numCols - 1 }, cost);
    this.model.changeObjectiveSense(sense === 1 ? highs.constants.objectiveSense.minimize : highs.constants.objectiveSense.maximize);
    this.model.run();
    this.solves++;
    let st = this.model.getModelStatus();
    const ms = highs.constants.modelStatus;
    if (st !== ms.optimal && st !== ms.infeasible && st !== ms.unbounded && st !== ms.unboundedOrInfeasible) {
      // Status "unknown" (15) or a solver stop: solve once more from scratch, with presolve.
      this.model.clearSolver();
      this.model.options.set({ presolve: 'on' });
      try {
        this.model.run();
        this.solves++;
        st = this.model.getModelStatus();
      } finally {
        this.model.options.set({ presolve: 'off' });
      }
    }
    if (st === ms.optimal) {
      const point = this.model.getSolution().colValue;
      return { value: expr.constant + this.model.getObjectiveValue(), point };
    }
    if (st === ms.unbounded || st === ms.unboundedOrInfeasible) {
      // The published values are feasible by construction (checked before), so this is unboundedness.
      return { value: sense === 1 ? -Infinity : Infinity };
    }
    if (st === ms.infeasible) {
      throw new P20Error('TABLE_INCONSISTENT', 'the published values contradict the table totals (no non-negative values fit the hidden cells)');
    }
    // Not a verdict on the table: callers that only look for witnesses treat it as "no witness".
    throw new P20Error('TABLE_LP', `LP solver stopped with status ${String(st)}`, {});
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Run `fn` with temporary upper bounds on some columns of a HiGHS model, then
 * lift them again (witness searches of the LP and integer audits). HiGHS wants
 * the selected columns strictly increasing: the smallest cap per column is kept.
 */
export function withColumnCaps<T>(
  highs: Highs,
  model: { changeColsBounds(sel: { kind: 'set'; indices: Int32Array }, lower: Float64Array, upper: Float64Array): void },
  caps: { vars: number[]; upper: number[] },
  fn: () => T,
): T {
  const byCol = new Map<number, number>();
  caps.vars.forEach((j, i) => byCol.set(j, Math.min(byCol.get(j) ?? Infinity, caps.upper[i]!)));
  const cols = [...byCol.keys()].sort((a, b) => a - b);
  const sel = { kind: 'set' as const, indices: Int32Array.from(cols) };
  model.changeColsBounds(sel, new Float64Array(cols.length), Float64Array.from(cols, (j) => byCol.get(j)!));
  try {
    return fn();
  } finally {
    model.changeColsBounds(sel, new Float64Array(cols.length), new Float64Array(cols.length).fill(highs.infinity));
  }
}
