import type { RuleParams } from './rule.js';
import type { CountTable, ExtraRow, SuppressionReason } from './types.js';

/**
 * Rates (percentages or fractions) next to counts. A published rate ρ with
 * denominator d implies its numerator: x ∈ [d·lo/s, d·hi/s] where [lo, hi]
 * is the rate's band — the printed value ± half its last digit, or a
 * top/bottom-coded band ">X" = (X, s], "<Y" = [0, Y). The rule (suppress and
 * audit-table alike, `rateVerdict`):
 * - hide the rate when its denominator is hidden or below n;
 * - hide it when its numerator count cell is hidden (25.0 % × 12 = 3);
 * - hide it when the implied numerator, or its complement d − x, is known to
 *   be below n — including 0 % and 100 % unless extremes are not protected
 *   (13.6 % × 22 → 3; "12 tested, >95 %" means all 12).
 * Top/bottom-coding bands scale with the denominator so that a band always
 * reaches n students on the small side (`codedBand`).
 */

export interface RateBand {
  lo: number;
  hi: number;
  loOpen: boolean;
  hiOpen: boolean;
}

/** The band a published rate stands for, or undefined for an empty / hidden value. */
export function parseRateBand(raw: string, scale: number, marker: string): RateBand | undefined {
  const s0 = raw.trim();
  if (s0 === '' || s0 === marker) return undefined;
  const s = s0.replace(/%$/, '');
  if (s.startsWith('>')) return { lo: Number(s.slice(1)), hi: scale, loOpen: true, hiOpen: false };
  if (s.startsWith('<')) return { lo: 0, hi: Number(s.slice(1)), loOpen: false, hiOpen: true };
  const v = Number(s);
  if (!Number.isFinite(v)) return undefined;
  const dot = s.indexOf('.');
  const h = 0.5 * 10 ** -(dot < 0 ? 0 : s.length - dot - 1);
  return { lo: Math.max(0, v - h), hi: v + h, loOpen: false, hiOpen: false };
}

const EPS = 1e-9;

/** Whole-number interval of the numerator implied by a band and a denominator d. */
export function impliedNumerator(b: RateBand, d: number, scale: number): [number, number] {
  const lo = (d * b.lo) / scale;
  const hi = (d * b.hi) / scale;
  const a = b.loOpen ? Math.floor(lo + EPS) + 1 : Math.ceil(lo - EPS);
  const z = b.hiOpen ? Math.ceil(hi - EPS) - 1 : Math.floor(hi + EPS);
  return [Math.max(0, a), Math.min(d, z)];
}

export interface RateVerdict {
  reason: SuppressionReason;
  why: string;
}

/** Denominator of rate `ri` on row `r`: a count cell's value, a published column's value, or NaN when hidden / unknown. */
export function rateDenominator(table: CountTable, ri: number, r: number, isHidden: (c: number) => boolean, marker: string): number {
  const rs = table.rates[ri]!;
  const cell = rs.denominatorCells[r]!;
  if (cell >= 0) return isHidden(cell) ? Number.NaN : table.counts[cell]!;
  const raw = table.rows[r]![rs.denominatorIndex]!.trim();
  return raw === marker || !/^\d+$/.test(raw) ? Number.NaN : Number(raw);
}

/**
 * The rule for one rate as it would be published (`published`: the printed
 * value or a coded band). Undefined when it may be published.
 */
export function rateVerdict(
  table: CountTable,
  ri: number,
  r: number,
  published: string,
  isHidden: (c: number) => boolean,
  p: RuleParams,
  marker: string,
): RateVerdict | undefined {
  const rs = table.rates[ri]!;
  const d = rateDenominator(table, ri, r, isHidden, marker);
  const dKnown = rateDenominator(table, ri, r, () => false, marker); // the true value when the caller knows it (suppress)
  if (!Number.isNaN(dKnown) && dKnown < p.minN) return { reason: 'primary-denominator', why: `its denominator is below ${p.minN}` };
  if (Number.isNaN(d)) return { reason: 'secondary', why: 'its denominator is hidden' };
  const num = rs.numeratorCells[r]!;
  if (num >= 0 && isHidden(num)) return { reason: 'secondary', why: 'its numerator count is hidden' };
  const band = parseRateBand(published, rs.scale, marker);
  if (!band) return undefined;
  const [a, b] = impliedNumerator(band, d, rs.scale);
  const zero = p.protectZero || p.protectExtremes !== false;
  // The same test as a complement's (protect.ts `verdict`): known to be below n, and not only known to be 0 unless zeros count.
  const knownSmall = (_lo: number, hi: number): boolean => hi <= p.minN - 1 && (hi >= 1 || zero);
  if (knownSmall(a, b)) return { reason: 'primary-numerator', why: `with its denominator it shows the numerator is below ${p.minN}${zero ? ' (or 0)' : ''}` };
  if (knownSmall(d - b, d - a)) return { reason: 'primary-numerator', why: `with its denominator it shows all but fewer than ${p.minN} of the group${zero ? ' (or all)' : ''}` };
  return undefined;
}

/** Top/bottom-coding thresholds for denominator d, widened so the band reaches n students (undefined: no safe band). */
export function codedBand(d: number, scale: number, minN: number, topCode?: number, bottomCode?: number): { top?: number; bottom?: number } {
  const out: { top?: number; bottom?: number } = {};
  if (topCode !== undefined) {
    const x = Math.min(topCode, Math.ceil((scale * (d - minN)) / d - EPS) - 1);
    if (x >= scale / 2) out.top = x;
  }
  if (bottomCode !== undefined) {
    const y = Math.max(bottomCode, Math.floor((scale * minN) / d + EPS) + 1);
    if (y <= scale / 2) out.bottom = y;
  }
  return out;
}

export interface RateDecision {
  row: number;
  rate: number; // index into table.rates
  reason?: SuppressionReason;
  why?: string;
  recoded?: { value: number; published: string };
}

function parseRate(v: string): number | undefined {
  const s = v.trim().replace(/%$/, '');
  if (s === '' || /^[<>]/.test(s)) return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : undefined;
}

/**
 * Decide every rate of a table whose count cells are hidden per `hidden`:
 * hide (with the reason), top/bottom code, or publish as is.
 */
export function decideRates(
  table: CountTable,
  hidden: Uint8Array,
  p: RuleParams,
  marker: string,
  topCode?: number,
  bottomCode?: number,
): RateDecision[] {
  const out: RateDecision[] = [];
  const isHidden = (c: number): boolean => hidden[c] === 1 || Number.isNaN(table.counts[c]!);
  table.rates.forEach((rs, ri) => {
    for (let r = 0; r < table.rows.length; r++) {
      const raw = table.rows[r]![rs.index]!.trim();
      if (raw === '' || raw === marker) continue;
      let published = raw;
      const v = parseRate(raw);
      const d = rateDenominator(table, ri, r, isHidden, marker);
      let recoded: RateDecision['recoded'];
      if (v !== undefined && !Number.isNaN(d) && d > 0) {
        const band = codedBand(d, rs.scale, p.minN, topCode, bottomCode);
        const pct = raw.endsWith('%') ? '%' : '';
        if (topCode !== undefined && v > topCode) {
          recoded = band.top !== undefined && v > band.top ? { value: v, published: `>${band.top}${pct}` } : undefined;
        } else if (bottomCode !== undefined && v < bottomCode) {
          recoded = band.bottom !== undefined && v < band.bottom ? { value: v, published: `<${band.bottom}${pct}` } : undefined;
        }
        if (recoded) published = recoded.published;
      }
      const verdict = rateVerdict(table, ri, r, published, isHidden, p, marker);
      if (verdict) out.push({ row: r, rate: ri, reason: verdict.reason, why: verdict.why });
      else if (recoded) out.push({ row: r, rate: ri, recoded });
    }
  });
  return out;
}

/**
 * Attacker rows from published rates whose numerator or denominator count
 * cell is hidden: d·lo/s ≤ x ≤ d·hi/s (x, d cells or constants). A table
 * suppressed by the rule has none (such rates are hidden); someone else's
 * table may, and the audit's bounds then use them.
 */
export function rateBandRows(table: CountTable, isHidden: (c: number) => boolean, marker: string): ExtraRow[] {
  const rows: ExtraRow[] = [];
  table.rates.forEach((rs, ri) => {
    for (let r = 0; r < table.rows.length; r++) {
      const num = rs.numeratorCells[r]!;
      if (num < 0) continue;
      const den = rs.denominatorCells[r]!;
      if (!isHidden(num) && !(den >= 0 && isHidden(den))) continue;
      const band = parseRateBand(table.rows[r]![rs.index]!, rs.scale, marker);
      if (!band) continue;
      const source = `rate ${rs.column} on line ${table.lines[r]}`;
      if (den === num) continue; // a rate of a count over itself says nothing
      if (den >= 0) {
        // x − (lo/s)·d ≥ 0 and (hi/s)·d − x ≥ 0 (open ends relaxed to closed: the LP is a relaxation).
        rows.push({ cells: [num, den], coefs: [1, -band.lo / rs.scale], rhs: 0, exact: false, source });
        rows.push({ cells: [den, num], coefs: [band.hi / rs.scale, -1], rhs: 0, exact: false, source });
      } else {
        const d = rateDenominator(table, ri, r, isHidden, marker);
        if (Number.isNaN(d)) continue;
        const [a, b] = impliedNumerator(band, d, rs.scale);
        rows.push({ cells: [num], coefs: [1], rhs: a, exact: false, source });
        rows.push({ cells: [num], coefs: [-1], rhs: -b, exact: false, source });
      }
    }
  });
  return rows;
}

/** Add extra rows to a table (and its per-cell index). */
export function addExtraRows(table: CountTable, rows: ExtraRow[]): void {
  for (const x of rows) {
    const k = table.extraRows.length;
    table.extraRows.push(x);
    for (const c of new Set(x.cells)) table.cellExtraRows[c]!.push(k);
  }
}

/**
 * Wide layout: the attacker knows count ≤ the published denominator d of its
 * row, and d − count is a complement the rule protects (an outcome: 0 % and
 * 100 % count). Rows whose published denominator is below n are left out and
 * returned as `small`: such a denominator already tells that its group's
 * counts are below n, which no suppression of the count column can undo (the
 * rate is hidden; suppress warns — publish the denominators as counts of a
 * table that is suppressed too).
 */
export function denominatorRows(table: CountTable, minN: number): { rows: ExtraRow[]; small: number[] } {
  const rows: ExtraRow[] = [];
  const small = new Set<number>();
  for (const rs of table.rates) {
    if (rs.denominatorIndex === table.countIndex) continue;
    for (let r = 0; r < table.rows.length; r++) {
      if (rs.numeratorCells[r] !== r) continue;
      const raw = table.rows[r]![rs.denominatorIndex]!.trim();
      if (!/^\d+$/.test(raw)) continue;
      const d = Number(raw);
      if (d < minN) {
        small.add(r);
        continue;
      }
      const col = table.header[rs.denominatorIndex]!;
      rows.push({ cells: [r], coefs: [-1], rhs: -d, exact: false, source: `${table.countColumn} ≤ ${col} on line ${table.lines[r]}`, complement: { cell: r, total: d } });
    }
  }
  return { rows, small: [...small].sort((a, b) => a - b) };
}

