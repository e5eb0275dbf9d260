/**
 * Types of the record-level disclosure check (k-anonymity, l-diversity) and
 * its optional repair. The JSON spec format is documented in
 * protocols/kcheck-spec.md and protocols/kcheck-spec.schema.json.
 */

/** Bands of numeric values (ages, birth years, scores): level i uses widths[i-1]. */
export interface IntervalHierarchy {
  type: 'interval';
  /** Band widths, each a whole multiple of the one before (so bands nest). */
  widths: number[];
  /** Start of the first band (default 0): band = origin + floor((v - origin) / w) * w. */
  origin?: number;
  /** Values are whole numbers and bands print as "lo-hi" (default true); else "[lo,hi)". */
  integer?: boolean;
  maxLevel?: number;
}

/** Keep a shrinking prefix (ZIP 02139 → 021* → 02* → 0*). */
export interface PrefixHierarchy {
  type: 'prefix';
  /** Characters kept at each level, strictly decreasing, each ≥ 1. */
  keep: number[];
  maxLevel?: number;
}

/** Dates to month / quarter / year. */
export interface DateHierarchy {
  type: 'date';
  /** Levels in order, each coarser than the last: any increasing subsequence of month, quarter, year. */
  levels: ('month' | 'quarter' | 'year')[];
  /** Input layout (default "YYYY-MM-DD"). */
  format?: 'YYYY-MM-DD' | 'MM/DD/YYYY' | 'YYYYMMDD';
  maxLevel?: number;
}

/** One level of an explicit value map. */
export interface MapLevel {
  /** Value at the level below → value at this level. */
  map: Record<string, string>;
  /** Value for anything the map does not list; without it an unlisted value is an error. */
  other?: string;
}

/** Explicit categorical recoding, chained level by level (race → coarser groups). */
export interface MapHierarchy {
  type: 'map';
  levels: MapLevel[];
  maxLevel?: number;
}

/** No intermediate levels: the only generalization is "*". */
export interface SuppressHierarchy {
  type: 'suppress';
  maxLevel?: number;
}

export type HierarchySpec = IntervalHierarchy | PrefixHierarchy | DateHierarchy | MapHierarchy | SuppressHierarchy;

/**
 * How the repair searches the lattice of generalization levels. "optimal"
 * evaluates every level vector and keeps the valid one with the best
 * precision; "greedy" and "datafly" walk up one level at a time (for lattices
 * too large to enumerate); "auto" is optimal up to OPTIMAL_LATTICE_LIMIT
 * level vectors, greedy above.
 */
export type RepairStrategy = 'auto' | 'optimal' | 'greedy' | 'datafly';

/**
 * What happens to records still in too-small (or not l-diverse) classes after
 * generalization: "local" replaces all their quasi-identifier values with "*"
 * (they stay in the file, as one more class that must itself meet k and l);
 * "records" drops them from the output.
 */
export type SuppressionMode = 'local' | 'records';

/** The JSON spec file (version 1). Every field but `version` is optional; CLI flags override it. */
export interface KCheckSpec {
  format?: 'p20link-kcheck-spec';
  version: 1;
  quasiIdentifiers?: string[];
  sensitive?: string[];
  k?: number;
  l?: number;
  entropyL?: boolean;
  /** Strings that mean "missing"; kept as-is by every hierarchy level below "*". Default [""]. */
  missingValues?: string[];
  hierarchies?: Record<string, HierarchySpec>;
  repair?: {
    /** Largest fraction of records whose quasi-identifiers may be suppressed (default 0.05). */
    maxSuppressedFraction?: number;
    strategy?: RepairStrategy;
    suppression?: SuppressionMode;
  };
}

/** Fully resolved settings (spec + flags + defaults), validated. */
export interface KSettings {
  qi: string[];
  sensitive: string[];
  k: number;
  l: number;
  entropyL: boolean;
  missingValues: string[];
  hierarchies: Record<string, HierarchySpec>;
  maxSuppressedFraction: number;
  strategy: RepairStrategy;
  suppression: SuppressionMode;
}

/** Settings as a caller gives them: a spec (object or path) and/or direct values. */
export interface KSettingsInput {
  /** Path of a JSON spec file, or the parsed spec. */
  spec?: string | KCheckSpec;
  qi?: string[];
  sensitive?: string[];
  k?: number;
  l?: number;
  entropyL?: boolean;
  maxSuppressedFraction?: number;
  strategy?: RepairStrategy;
  suppression?: SuppressionMode;
}

export interface SizeBucket {
  /** Equivalence-class size. */
  size: number;
  classes: number;
  records: number;
}

/** One bar of the class-size histogram: classes whose size is in [from, to]. */
export interface HistogramBucket {
  from: number;
  to: number;
  classes: number;
  records: number;
}

export interface DiversityResult {
  attribute: string;
  /** Distinct l-diversity: fewest distinct values of the attribute in any class. */
  distinctL: number;
  /**
   * True when every class had at least `distinctL` values and counting stopped
   * there (distinct values are counted up to max(l + 1, 10) per class to bound
   * memory); distinctL is then a lower bound ("≥").
   */
  distinctLCapped: boolean;
  /** Entropy l-diversity: min over classes of exp(entropy of the attribute in the class); null unless asked for. */
  entropyL: number | null;
  /** Classes (and their records) that fail the required l (distinct, and entropy if asked). */
  classesBelowL: number;
  recordsBelowL: number;
}

export interface SmallClass {
  size: number;
  /** QI name → value. Identifying: only produced when asked for (listSmall). */
  values: Record<string, string>;
}

export interface KCheckResult {
  input: string;
  rows: number;
  qi: string[];
  sensitive: string[];
  requiredK: number;
  requiredL: number;
  entropyLRequired: boolean;
  /** Smallest equivalence-class size (the file is k-anonymous for this k). */
  k: number;
  classes: number;
  classesBelowK: number;
  recordsBelowK: number;
  /** Classes smaller than the required k, by size (sdcMicro: fk < k). */
  smallSizes: SizeBucket[];
  /** Size histogram of all classes: sizes below k one by one, then doubling ranges [k, 2k−1], [2k, 4k−1], … */
  histogram: HistogramBucket[];
  diversity: DiversityResult[];
  passed: boolean;
  /** One line per failed requirement (no data values). */
  failures: string[];
  smallClasses?: SmallClass[];
  seconds: number;
}

export interface QiLoss {
  qi: string;
  /** Generalization level chosen (0 = original values). */
  level: number;
  /** Top level of the hierarchy ("*"); 0 when the QI has no hierarchy. */
  height: number;
  /** What the level means, e.g. "original", "bands of 5", "prefix 3", "year", "*". */
  description: string;
  /** Distinct values before and after generalization. */
  distinctBefore: number;
  distinctAfter: number;
}

export interface InformationLoss {
  perQi: QiLoss[];
  /** Records whose quasi-identifiers were all replaced with "*". */
  suppressedRecords: number;
  /** suppressedRecords × number of QIs. */
  suppressedValues: number;
  suppressedFraction: number;
  /** Sweeney's precision: 1 − mean over records and QIs of level/height (suppressed = 1). 1 = no loss. */
  precision: number;
  /** Discernibility metric (Bayardo & Agrawal): Σ|E|² over kept classes + suppressed × rows. */
  discernibility: number;
  /** Normalized average class size (N / classes) / k; 1 is ideal. */
  averageClassSizeRatio: number;
}

export interface RepairResult {
  input: string;
  output: string;
  /** Whether the output was written (false when no repair within the limits meets k and l). */
  written: boolean;
  /** The strategy asked for, and the one used ("auto" resolves to optimal or greedy). */
  strategy: RepairStrategy;
  strategyUsed: Exclude<RepairStrategy, 'auto'>;
  /** Number of level vectors in the lattice (product of (max level + 1) over the QIs). */
  latticeSize: number;
  /** Level vectors evaluated by the search. */
  evaluated: number;
  suppression: SuppressionMode;
  /** The check of the input before repair. */
  before: KCheckResult;
  /** The check of the written output (re-read from disk before it was committed); null when nothing was written. */
  after: KCheckResult | null;
  /** Why nothing was written, when written is false. */
  reason?: string;
  loss: InformationLoss;
  /** Walk strategies: level vectors tried, in order. Optimal: each new best valid vector. */
  steps: { levels: Record<string, number>; recordsInFailingClasses: number; suppressNeeded: number }[];
  seconds: number;
}
