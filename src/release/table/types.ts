/**
 * Types of the aggregate-table disclosure-control module (`p20link suppress`,
 * `p20link audit-table`). See protocols/table-spec.md for the spec format and
 * docs/suppress.md for the rules.
 */

/** How one dimension's totals are built from its other values. */
export interface DimensionSpec {
  /** CSV column holding this dimension's value. */
  column: string;
  /** Label of the total row: every other value of this column adds up to it. */
  total?: string;
  /** Hierarchy inside one column: child value → parent value (e.g. school → district → state). */
  parents?: Record<string, string>;
  /** Explicit partitions: `total` = sum of `parts` (several may share a total, e.g. sex and race both partition "All students"). */
  partitions?: { total: string; parts: string[]; complete?: boolean }[];
}

export interface RateSpec {
  /** CSV column holding a rate or percentage. */
  column: string;
  /** Column holding the rate's denominator (a count). Default: the table's count column. */
  denominator?: string;
  /** 100 for percentages (default), 1 for fractions. */
  scale?: number;
  /**
   * Long layout: the rate's numerator is the count of the row with `value` in
   * dimension `column` and the same other dimension values (e.g. the rate on a
   * `tested` row counts the `proficient` row). Default: the row's own count
   * when `denominator` is another column (wide layout), else not identified
   * (then only the implied-numerator rules apply).
   */
  numerator?: { column: string; value: string };
}

export interface TableSpec {
  format?: 'p20link-table-spec';
  version: 1;
  /** Column holding the (non-negative integer) count. */
  count: string;
  /** Dimension columns. Columns not named here, nor count/rate/denominator columns, are carried through unchanged. */
  dimensions: DimensionSpec[];
  rates?: RateSpec[];
  minN?: number;
  marker?: string;
}

/** Why a cell was hidden. */
export type SuppressionReason =
  | 'primary-small'
  | 'primary-complement'
  | 'primary-denominator'
  /** A rate whose implied numerator (rate × denominator) or its complement is small, or 0 % / 100 %. */
  | 'primary-numerator'
  | 'secondary'
  | 'pre-suppressed';

/** An extra attacker row over cells: Σ coefs·cell ≥ rhs (= rhs when `exact`). Published cells are constants. */
export interface ExtraRow {
  cells: number[];
  coefs: number[];
  rhs: number;
  exact: boolean;
  /** Where it comes from (messages). */
  source: string;
  /** A numerator cell with its published denominator d: d − cell is a complement (the rule protects it like T − x). */
  complement?: { cell: number; total: number };
}

export interface RateColumn {
  column: string;
  index: number;
  denominatorIndex: number;
  scale: number;
  /** Per row: the count cell holding the numerator, or -1 when not identified. */
  numeratorCells: Int32Array;
  /** Per row: the count cell holding the denominator (denominator = count column), or -1 (another column). */
  denominatorCells: Int32Array;
}

/** One additive constraint: cell `total` = sum of cells `parts`. Ids are cell (row) indices. */
export interface Constraint {
  total: number;
  parts: number[];
  /** Dimension column along which the parts vary. */
  dimension: string;
  /** true: total = Σ parts; false: total ≥ Σ parts (a remainder is not published, e.g. proficient ⊂ tested). */
  complete: boolean;
}

/** A parsed, validated table of counts. One CSV data row = one cell. */
export interface CountTable {
  file: string;
  header: string[];
  /** Raw fields of every data row (output copies them, replacing hidden values). */
  rows: string[][];
  /** 1-based physical line of each data row. */
  lines: number[];
  /** Count per row; NaN where the input already carried the marker (value unknown). */
  counts: Float64Array;
  countColumn: string;
  countIndex: number;
  dimensionColumns: string[];
  constraints: Constraint[];
  /** For each cell, the constraints it takes part in (as total or part). */
  cellConstraints: number[][];
  rates: RateColumn[];
  /** Attacker rows beyond the additive constraints (rate bands, numerators ≤ a published denominator column). */
  extraRows: ExtraRow[];
  /** For each cell, the extra rows it takes part in. */
  cellExtraRows: number[][];
  /** The spec actually used (declared or inferred). */
  spec: TableSpec;
}

/** How wide the attacker's interval for a protected cell must be. */
export type ProtectionMode =
  /** Default: the interval contains values on both sides of the threshold: upper ≥ n (the true value, < n, is inside). */
  | 'threshold'
  /** Stricter: the interval covers the whole sensitive range: lower ≤ 0 and upper ≥ n. */
  | 'range';

export interface SuppressOptions {
  /** Minimum publishable count n. Default 10. Counts in (0, n) are hidden. */
  minN?: number;
  /** Also hide zero counts and zero complements (100 %) everywhere (default false: zeros are published). */
  protectZero?: boolean;
  /**
   * Protect 0 % and 100 % in outcome partitions (`complete: false`, e.g.
   * proficient ⊂ tested) and rates: a published 0 part, or a part equal to
   * its total, discloses every student of the group. Default true.
   */
  protectExtremes?: boolean;
  /** Verify LP-proven requirements with exact integer bounds (HiGHS MIP). Default true. */
  integerCheck?: boolean;
  /** Components with more hidden cells than this keep the LP proof only (default 500: MIPs there take minutes). */
  integerCheckMaxCells?: number;
  /** Put the true value of each hidden cell in the report (and its totals in `cost`). Default false: the report could undo the suppression. */
  reportHiddenValues?: boolean;
  protection?: ProtectionMode;
  marker?: string;
  /** Top/bottom coding of rates (in the rate's own scale, e.g. 95 and 5 for percentages). */
  topCode?: number;
  bottomCode?: number;
  /** Try to publish complements again after the greedy rounds (small components only). Default true. */
  prune?: boolean;
  /**
   * `auto` (default): greedy rounds and pruning, then on tables of at most
   * `exactMaxCells` cells the exact search (exact.ts) with a short time limit,
   * keeping the cheaper of the two protecting patterns; `heuristic`: greedy
   * rounds and pruning only; `exact`: the minimum-cost pattern only. In every
   * method a table the greedy rounds cannot protect goes to the exact search
   * (tables up to `exactMaxCells` cells) before `TABLE_UNPROTECTABLE`.
   */
  method?: 'auto' | 'heuristic' | 'exact';
  /** Largest table (cells) for the exact step of `auto` and the exact fallback. Default 200 (EXACT_AUTO_MAX_CELLS). */
  exactMaxCells?: number;
  /** Seconds for the exact search: default 10 in `auto` and the fallback, 60 with `method: 'exact'`. */
  exactTimeLimit?: number;
  /** Greedy rounds before the heuristic gives up and falls back to the exact search (default unlimited; tuning and tests). */
  maxRounds?: number;
  /** Progress callback (components audited so far). */
  onProgress?: (done: number, total?: number) => void;
}

export interface HiddenCell {
  /** 0-based data-row index. */
  row: number;
  /** 1-based line in the input file. */
  line: number;
  column: string;
  reason: SuppressionReason;
  /** The hidden value (absent for cells that arrived already hidden). */
  value?: number;
  /** Attacker's interval the audit proved: the true LP bounds contain at least [lower, upper] (absent for rates). */
  lower?: number;
  upper?: number;
}

export interface SuppressReport {
  format: 'p20link-suppress-report';
  version: 1;
  input: string;
  minN: number;
  protectZero: boolean;
  protectExtremes: boolean;
  protection: ProtectionMode;
  marker: string;
  /** true when `hidden[].value` and the cost totals are included (--report-hidden-values). */
  hiddenValues: boolean;
  cells: number;
  constraints: number;
  hidden: HiddenCell[];
  /** Top/bottom-coded rates (`value`, the exact rate, only with hidden values). */
  recoded: { row: number; line: number; column: string; value?: number; published: string }[];
  counts: Record<SuppressionReason, number>;
  cost: {
    /** Count cells hidden by complementary (secondary) suppression, and their total count. */
    secondaryCells: number;
    /** Only with hidden values (it can reveal a hidden cell). */
    secondaryTotal?: number;
    /** All hidden count cells and the total of their (known) values (the total only with hidden values). */
    hiddenCells: number;
    hiddenTotal?: number;
  };
  /** What the rule cannot protect but the publisher should know (e.g. a published denominator column below n). */
  warnings: string[];
  /** Audits whose LP proof was verified with integer bounds, and those skipped for size (LP proof only). */
  integerCheck: { enabled: boolean; components: number; skippedLarge: number };
  iterations: number;
  lpSolves: number;
  components: number;
  /**
   * Present when the published pattern comes from the exact search: with
   * `method: 'exact'`, when `auto` found a cheaper pattern than the greedy
   * rounds, or as the fallback of a table the greedy rounds could not protect
   * (`exactFallback: true`). `optimal` false when a search limit stopped it.
   */
  method?: 'exact';
  optimal?: boolean;
  exactFallback?: boolean;
}

export interface SuppressResult {
  /** Output table: header and rows with hidden values replaced by the marker. */
  table: { header: string[]; rows: string[][] };
  report: SuppressReport;
}

export interface AuditCell {
  row: number;
  line: number;
  col: string;
  /** Attacker's LP bounds (integer-rounded); upper may be Infinity. */
  lower: number;
  upper: number;
  /** true: [lower, upper] are the LP optima; false: a proven inner range (the true interval is at least this wide). */
  exact: boolean;
  recoverable: boolean;
  /** Why it is recoverable: exact, known-small, complement-small. */
  why?: string;
}

/** A published value the primary rules forbid (a small count, a small complement, an unsafe rate). */
export interface AuditPublished {
  row: number;
  line: number;
  col: string;
  rule: string;
  /** What is wrong, without the value when that value is the disclosure. */
  why: string;
}

export interface AuditResult {
  ok: boolean;
  minN: number;
  cells: AuditCell[];
  /** Published cells and rates that break the primary rules (the table was not (fully) suppressed). */
  published: AuditPublished[];
  /** Components whose LP bounds were verified with integer bounds, and those skipped for size. */
  integerCheck?: { enabled: boolean; components: number; skippedLarge: number };
  lpSolves: number;
}
