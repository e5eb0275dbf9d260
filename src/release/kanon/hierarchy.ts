/**
 * Generalization hierarchies: turn a quasi-identifier value into its value at
 * a given level. Level 0 is the original value; the top level (the height) is
 * always "*" (the value is fully suppressed). Every level is a function of the
 * level below it, so a coarser level never splits an equivalence class.
 */
import { hierarchyHeight, hierarchyMaxLevel } from './spec.js';
import type { HierarchySpec } from './types.js';

/** The marker for a fully generalized (suppressed) value. */
export const SUPPRESSED = '*';

/** A value the hierarchy cannot generalize (not a number, not a date, not in the map). */
export class HierarchyValueError extends Error {}

export interface Generalizer {
  readonly qi: string;
  /** Number of levels above the original; the top one is "*". */
  readonly height: number;
  /** Highest level the repair may use. */
  readonly maxLevel: number;
  /** Human description of a level ("original", "bands of 5", "prefix 3", "year", "*"). */
  describe(level: number): string;
  /** Value at `level`; throws HierarchyValueError for a value the hierarchy cannot place. */
  apply(value: string, level: number): string;
}

/** The hierarchy used for a quasi-identifier the spec gives none: original, then "*". */
export const DEFAULT_HIERARCHY: HierarchySpec = { type: 'suppress' };

function formatNumber(x: number): string {
  // Avoid 0.30000000000000004-style noise in band labels.
  return String(Number.parseFloat(x.toPrecision(12)));
}

const DATE_RES: Record<string, RegExp> = {
  'YYYY-MM-DD': /^(\d{4})-(\d{1,2})-(\d{1,2})$/,
  'MM/DD/YYYY': /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/,
  YYYYMMDD: /^(\d{4})(\d{2})(\d{2})$/,
};

function parseDate(value: string, format: string): { y: number; m: number } {
  const re = DATE_RES[format]!;
  const m = re.exec(value);
  if (!m) throw new HierarchyValueError(`"${value}" is not a date in the form ${format}`);
  let y: number;
  let mo: number;
  let d: number;
  if (format === 'MM/DD/YYYY') {
    mo = Number(m[1]);
    d = Number(m[2]);
    y = Number(m[3]);
  } else {
    y = Number(m[1]);
    mo = Number(m[2]);
    d = Number(m[3]);
  }
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > dim) throw new HierarchyValueError(`"${value}" is not a valid calendar date`);
  return { y, m: mo };
}

/** Build the generalizer of one quasi-identifier. */
export function compileHierarchy(qi: string, spec: HierarchySpec | undefined, missingValues: readonly string[]): Generalizer {
  const h = spec ?? DEFAULT_HIERARCHY;
  const height = hierarchyHeight(h);
  const maxLevel = hierarchyMaxLevel(h);
  const missing = new Set(missingValues);
  let levelFn: (value: string, level: number) => string;
  let describeLevel: (level: number) => string;

  switch (h.type) {
    case 'interval': {
      const origin = h.origin ?? 0;
      const integer = h.integer ?? true;
      describeLevel = (lv) => `bands of ${h.widths[lv - 1]}`;
      levelFn = (value, lv) => {
        const t = value.trim();
        const v = t === '' ? Number.NaN : Number(t);
        if (!Number.isFinite(v)) throw new HierarchyValueError(`"${value}" is not a number`);
        if (integer && !Number.isInteger(v)) throw new HierarchyValueError(`"${value}" is not a whole number`);
        const w = h.widths[lv - 1]!;
        const lo = origin + Math.floor((v - origin) / w + 1e-12) * w;
        return integer ? `${lo}-${lo + w - 1}` : `[${formatNumber(lo)},${formatNumber(lo + w)})`;
      };
      break;
    }
    case 'prefix': {
      describeLevel = (lv) => `prefix ${h.keep[lv - 1]}`;
      levelFn = (value, lv) => {
        const n = h.keep[lv - 1]!;
        const chars = [...value];
        return chars.length > n ? chars.slice(0, n).join('') + '*' : value;
      };
      break;
    }
    case 'date': {
      const format = h.format ?? 'YYYY-MM-DD';
      describeLevel = (lv) => h.levels[lv - 1]!;
      levelFn = (value, lv) => {
        const { y, m } = parseDate(value.trim(), format);
        const kind = h.levels[lv - 1]!;
        if (kind === 'year') return String(y);
        if (kind === 'quarter') return `${y}-Q${Math.floor((m - 1) / 3) + 1}`;
        return `${y}-${String(m).padStart(2, '0')}`;
      };
      break;
    }
    case 'map': {
      describeLevel = (lv) => `map level ${lv}`;
      levelFn = (value, lv) => {
        let v = value;
        for (let i = 0; i < lv; i++) {
          const level = h.levels[i]!;
          const next = Object.prototype.hasOwnProperty.call(level.map, v) ? level.map[v] : level.other;
          if (next === undefined) {
            throw new HierarchyValueError(`"${v}" is not listed in map level ${i + 1} (and the level has no "other")`);
          }
          v = next;
        }
        return v;
      };
      break;
    }
    case 'suppress': {
      describeLevel = () => SUPPRESSED;
      levelFn = () => SUPPRESSED;
      break;
    }
  }

  return {
    qi,
    height,
    maxLevel,
    describe(level) {
      if (level === 0) return 'original';
      if (level >= height) return SUPPRESSED;
      return describeLevel(level);
    },
    apply(value, level) {
      if (level <= 0) return value;
      if (level >= height) return SUPPRESSED;
      if (missing.has(value) || value === SUPPRESSED) return value;
      return levelFn(value, level);
    },
  };
}
