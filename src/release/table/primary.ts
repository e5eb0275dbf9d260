import type { CountTable, SuppressionReason } from './types.js';

export interface PrimaryResult {
  /** Reason per cell, or undefined when the cell may be published on its own. */
  reason: (SuppressionReason | undefined)[];
  /** Primary-complement cells: the constraints in which their complement is small. */
  complementOf: Map<number, number[]>;
}

/** Is a count sensitive by itself? Counts in (0, n); zero too when protectZero. */
export function isSmall(x: number, minN: number, protectZero: boolean): boolean {
  return x < minN && (x > 0 || (protectZero && x === 0));
}

/**
 * Primary suppression of count cells:
 * - `pre-suppressed`: the input already carried the marker;
 * - `primary-small`: count in (0, n) (or [0, n) with protectZero);
 * - `primary-complement`: a published part x of a total T with T − x in (0, n)
 *   (98 "proficient" of 100 reveals the 2 who were not). Not applied when the
 *   complement is one published sibling cell: that cell is primary-small and
 *   protecting it is the same requirement.
 */
export function primarySuppression(table: CountTable, minN: number, protectZero: boolean): PrimaryResult {
  const { counts } = table;
  const reason: (SuppressionReason | undefined)[] = new Array(counts.length).fill(undefined);
  for (let i = 0; i < counts.length; i++) {
    const x = counts[i]!;
    if (Number.isNaN(x)) reason[i] = 'pre-suppressed';
    else if (isSmall(x, minN, protectZero)) reason[i] = 'primary-small';
  }
  const complementOf = new Map<number, number[]>();
  table.constraints.forEach((c, k) => {
    const t = counts[c.total]!;
    if (Number.isNaN(t)) return;
    for (const p of c.parts) {
      const x = counts[p]!;
      if (Number.isNaN(x) || reason[p] === 'primary-small' || reason[p] === 'pre-suppressed') continue;
      const comp = t - x;
      // In a complete partition whose complement is a single non-zero sibling, that
      // sibling is itself primary-small and its protection is the same requirement.
      if (c.complete && c.parts.filter((q) => q !== p && counts[q] !== 0).length === 1) continue;
      if (comp > 0 && comp < minN) {
        reason[p] = 'primary-complement';
        const l = complementOf.get(p) ?? [];
        l.push(k);
        complementOf.set(p, l);
      }
    }
  });
  return { reason, complementOf };
}
