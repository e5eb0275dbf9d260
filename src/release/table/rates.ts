import type { CountTable, SuppressionReason } from './types.js';

export interface RateDecision {
  row: number;
  rate: number; // index into table.rates
  reason?: SuppressionReason;
  recoded?: { value: number; published: string };
}

function parseRate(v: string): number | undefined {
  const s = v.trim().replace(/%$/, '');
  if (s === '' || /^[<>]/.test(s)) return undefined;
  const x = Number(s);
  return Number.isFinite(x) ? x : undefined;
}

/**
 * Rate cells: hidden when the denominator is below n (`primary-denominator`)
 * or the denominator count cell itself is hidden (`secondary`); otherwise
 * optionally top/bottom coded (">95", "<5").
 */
export function decideRates(
  table: CountTable,
  hiddenCount: Uint8Array,
  minN: number,
  marker: string,
  topCode?: number,
  bottomCode?: number,
): RateDecision[] {
  const out: RateDecision[] = [];
  table.rates.forEach((rs, ri) => {
    const sameAsCount = rs.denominatorIndex === table.countIndex;
    for (let r = 0; r < table.rows.length; r++) {
      const row = table.rows[r]!;
      const raw = row[rs.index]!.trim();
      if (raw === '' || raw === marker) continue;
      const denomRaw = row[rs.denominatorIndex]!.trim();
      const denom = sameAsCount ? table.counts[r]! : denomRaw === marker ? Number.NaN : Number(denomRaw);
      if (!Number.isNaN(denom) && denom < minN) {
        out.push({ row: r, rate: ri, reason: 'primary-denominator' });
        continue;
      }
      if (Number.isNaN(denom) || (sameAsCount && hiddenCount[r])) {
        out.push({ row: r, rate: ri, reason: 'secondary' });
        continue;
      }
      const v = parseRate(raw);
      if (v === undefined) continue;
      const pct = raw.endsWith('%') ? '%' : '';
      if (topCode !== undefined && v > topCode) out.push({ row: r, rate: ri, recoded: { value: v, published: `>${topCode}${pct}` } });
      else if (bottomCode !== undefined && v < bottomCode) out.push({ row: r, rate: ri, recoded: { value: v, published: `<${bottomCode}${pct}` } });
    }
  });
  return out;
}
