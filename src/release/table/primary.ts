import { isSensitive, publishedViolations, type RuleParams } from './rule.js';
import type { CountTable, SuppressionReason } from './types.js';

export interface PrimaryResult {
  /** Reason per cell, or undefined when the cell may be published on its own. */
  reason: (SuppressionReason | undefined)[];
  /** Primary-complement cells: the constraints in which their complement is small. */
  complementOf: Map<number, number[]>;
}

/** Is a count sensitive by itself? Counts in (0, n); zero too when protectZero. */
export function isSmall(x: number, minN: number, protectZero: boolean): boolean {
  return isSensitive(x, minN, protectZero);
}

/**
 * Primary suppression of count cells: the cells the publication rule
 * (rule.ts `publishedViolations`, the same the audit applies) forbids to
 * publish when nothing else is hidden:
 * - `pre-suppressed`: the input already carried the marker;
 * - `primary-small`: count in (0, n) (0 too with protectZero, and in outcome
 *   partitions when extremes are protected);
 * - `primary-complement`: a published part x of a total T with T − x in (0, n)
 *   (98 "proficient" of 100 reveals the 2), or 0 where 100 % is protected.
 *   Not applied when the complement is one non-zero sibling cell: that cell is
 *   primary-small and protecting it is the same requirement (the final check
 *   of the rule catches any case where it is not).
 */
export function primarySuppression(table: CountTable, params: RuleParams): PrimaryResult {
  const { counts } = table;
  const reason: (SuppressionReason | undefined)[] = new Array(counts.length).fill(undefined);
  const hidden = new Uint8Array(counts.length);
  for (let i = 0; i < counts.length; i++) {
    if (Number.isNaN(counts[i]!)) {
      reason[i] = 'pre-suppressed';
      hidden[i] = 1;
    }
  }
  const first = publishedViolations(table, hidden, params);
  for (const v of first) {
    if (v.rule === 'published-small') {
      reason[v.row] = 'primary-small';
      hidden[v.row] = 1;
    }
  }
  const complementOf = new Map<number, number[]>();
  for (const v of publishedViolations(table, hidden, params)) {
    if (v.rule !== 'published-complement' || reason[v.row] !== undefined && reason[v.row] !== 'primary-complement') continue;
    if (v.constraint !== undefined) {
      const c = table.constraints[v.constraint]!;
      if (c.complete && c.parts.filter((q) => q !== v.row && counts[q] !== 0).length === 1 && v.value > 0) continue;
      const l = complementOf.get(v.row) ?? [];
      l.push(v.constraint);
      complementOf.set(v.row, l);
    }
    reason[v.row] = 'primary-complement';
  }
  return { reason, complementOf };
}
