/**
 * Types of the aggregate-table disclosure-control module (`p20link suppress`,
 * `p20link audit-table`). See protocols/table-spec.md for the spec format and
 * .readme/suppress.md for the rules.
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
export type SuppressionReason = 'primary-small' | 'primary-complement' | 'primary-denominator' | 'secondary' | 'pre-suppressed';

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
  rates: { column: string; index: number; denominatorIndex: number; scale: number }[];
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
  /** Also hide zero counts (default false: zeros are published). */
  protectZero?: boolean;
  protection?: ProtectionMode;
  marker?: string;
  /** Top/bottom coding of rates (in the rate's own scale, e.g. 95 and 5 for percentages). */
  topCode?: number;
  bottomCode?: number;
  /** Try to publish complements again after the greedy rounds (small components only). Default true. */
  prune?: boolean;
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
  protection: ProtectionMode;
  marker: string;
  cells: number;
  constraints: number;
  hidden: HiddenCell[];
  recoded: { row: number; line: number; column: string; value: number; published: string }[];
  counts: Record<SuppressionReason, number>;
  cost: {
    /** Count cells hidden by complementary (secondary) suppression, and their total count. */
    secondaryCells: number;
    secondaryTotal: number;
    /** All hidden count cells and the total of their (known) values. */
    hiddenCells: number;
    hiddenTotal: number;
  };
  iterations: number;
  lpSolves: number;
  components: number;
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

export interface AuditResult {
  ok: boolean;
  minN: number;
  cells: AuditCell[];
  lpSolves: number;
}
