/**
 * Inline SVG charts for the HTML reports (no scripts, no external assets).
 */
import { escapeHtml } from './html.js';
import type { Histogram } from './histogram.js';
import type { Interval } from './wilson.js';

const f = (x: number) => (Math.round(x * 10) / 10).toString();

/** Bar chart of a score histogram with a dashed line at the threshold (and the review threshold). */
export function histogramSvg(h: Histogram, width = 640, height = 260): string {
  const m = { l: 56, r: 16, t: 16, b: 40 };
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const bins = h.bins;
  // zoom to where the scores are (scores below the lowest threshold are never kept), but keep the threshold in view
  const nonzero = bins.filter((b) => b.count > 0);
  let lo = bins.length ? Math.min(...bins.map((b) => b.lo)) : 0;
  if (nonzero.length > 0) {
    const first = Math.min(...nonzero.map((b) => b.lo), h.reviewThreshold ?? Infinity, h.threshold ?? Infinity);
    lo = Math.max(lo, Math.floor((first - 0.05) * 20) / 20);
  }
  const shown = bins.filter((b) => b.hi > lo + 1e-9);
  const hi = bins.length ? Math.max(...bins.map((b) => b.hi)) : 1;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const x = (v: number) => m.l + ((v - lo) / (hi - lo || 1)) * W;
  const y = (c: number) => m.t + H - (c / max) * H;
  const parts: string[] = [];
  parts.push(`<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="score histogram">`);
  parts.push(`<line x1="${m.l}" y1="${m.t + H}" x2="${m.l + W}" y2="${m.t + H}" stroke="#57606a"/>`);
  parts.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + H}" stroke="#57606a"/>`);
  for (const b of shown) {
    const x0 = x(b.lo);
    const x1 = x(b.hi);
    const above = h.threshold !== undefined && b.lo >= h.threshold - 1e-9;
    parts.push(`<rect x="${f(x0 + 0.5)}" y="${f(y(b.count))}" width="${f(Math.max(0.5, x1 - x0 - 1))}" height="${f(m.t + H - y(b.count))}" fill="${above ? '#2f81f7' : '#8c959f'}"><title>${b.lo.toFixed(3)}–${b.hi.toFixed(3)}: ${b.count}</title></rect>`);
  }
  const span = hi - lo;
  const step = span <= 0.3 ? 0.05 : span <= 0.6 ? 0.1 : 0.2;
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) {
    parts.push(`<line x1="${f(x(v))}" y1="${m.t + H}" x2="${f(x(v))}" y2="${m.t + H + 4}" stroke="#57606a"/>`);
    parts.push(`<text x="${f(x(v))}" y="${m.t + H + 16}" font-size="11" text-anchor="middle">${v.toFixed(2)}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const c = (max * i) / 4;
    parts.push(`<text x="${m.l - 6}" y="${f(y(c) + 4)}" font-size="11" text-anchor="end">${Math.round(c)}</text>`);
  }
  parts.push(`<text x="${m.l + W / 2}" y="${height - 6}" font-size="12" text-anchor="middle">similarity score</text>`);
  const vline = (t: number, label: string, color: string) => {
    if (t < lo || t > hi) return;
    parts.push(`<line x1="${f(x(t))}" y1="${m.t}" x2="${f(x(t))}" y2="${m.t + H}" stroke="${color}" stroke-width="2" stroke-dasharray="5,4"/>`);
    parts.push(`<text x="${f(x(t) - 4)}" y="${m.t + 12}" font-size="11" text-anchor="end" fill="${color}">${escapeHtml(label)} ${t.toFixed(2)}</text>`);
  };
  if (h.reviewThreshold !== undefined) vline(h.reviewThreshold, 'review', '#bf8700');
  if (h.threshold !== undefined) vline(h.threshold, 'threshold', '#cf222e');
  parts.push('</svg>');
  return parts.join('\n');
}

export interface RateBar {
  label: string;
  rate: number;
  ci: Interval;
  flagged: boolean;
  n: number;
  /** Evaluation only: the rate perfect linkage would give (drawn as a hollow diamond). */
  trueRate?: number;
}

/**
 * Dot-and-whisker chart of link rates by group, with the overall rate as a
 * dashed line and overall ± margin as a band. The axis is zoomed to the data
 * (in steps of 10 points) so differences of a few points are visible.
 */
export function rateChartSvg(rows: readonly RateBar[], overall: number, margin: number, width = 640): string {
  const rowH = 24;
  const m = { l: 190, r: 70, t: 24, b: 34 };
  const H = rows.length * rowH;
  const height = H + m.t + m.b;
  const W = width - m.l - m.r;
  const bandLo = Math.max(0, overall - margin);
  const bandHi = Math.min(1, overall + margin);
  const values = [bandLo, bandHi, ...rows.flatMap((r) => [r.ci.lo, r.ci.hi, ...(r.trueRate !== undefined ? [r.trueRate] : [])])];
  let lo = Math.max(0, Math.floor(Math.min(...values) * 10 - 1e-9) / 10);
  let hi = Math.min(1, Math.ceil(Math.max(...values) * 10 + 1e-9) / 10);
  if (hi - lo < 0.2) {
    if (hi < 1) hi = Math.min(1, lo + 0.2);
    else lo = Math.max(0, hi - 0.2);
  }
  const span = hi - lo;
  const step = span > 0.5 ? 0.2 : span > 0.25 ? 0.1 : 0.05;
  const x = (v: number) => m.l + ((v - lo) / span) * W;
  const parts: string[] = [];
  parts.push(`<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="link rate by group">`);
  parts.push(`<rect x="${f(x(bandLo))}" y="${m.t}" width="${f(x(bandHi) - x(bandLo))}" height="${H}" fill="#ddf4ff"/>`);
  for (let v = lo; v <= hi + 1e-9; v += step) {
    parts.push(`<line x1="${f(x(v))}" y1="${m.t}" x2="${f(x(v))}" y2="${m.t + H}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${f(x(v))}" y="${m.t + H + 16}" font-size="11" text-anchor="middle">${Math.round(v * 100)}%</text>`);
  }
  parts.push(`<line x1="${f(x(overall))}" y1="${m.t - 6}" x2="${f(x(overall))}" y2="${m.t + H}" stroke="#0969da" stroke-width="1.5" stroke-dasharray="4,3"/>`);
  parts.push(`<text x="${f(x(overall))}" y="${m.t - 10}" font-size="11" text-anchor="middle" fill="#0969da">overall ${(overall * 100).toFixed(1)}%</text>`);
  rows.forEach((r, i) => {
    const cy = m.t + i * rowH + rowH / 2;
    const color = r.flagged ? '#cf222e' : '#1f2328';
    parts.push(`<text x="${m.l - 8}" y="${f(cy + 4)}" font-size="12" text-anchor="end" fill="${color}">${escapeHtml(r.label)} (n=${r.n})</text>`);
    parts.push(`<line x1="${f(x(r.ci.lo))}" y1="${f(cy)}" x2="${f(x(r.ci.hi))}" y2="${f(cy)}" stroke="${color}" stroke-width="1.5"/>`);
    for (const e of [r.ci.lo, r.ci.hi]) parts.push(`<line x1="${f(x(e))}" y1="${f(cy - 5)}" x2="${f(x(e))}" y2="${f(cy + 5)}" stroke="${color}" stroke-width="1.5"/>`);
    if (r.trueRate !== undefined) {
      const tx = x(r.trueRate);
      parts.push(`<path d="M${f(tx)} ${f(cy - 6)} L${f(tx + 6)} ${f(cy)} L${f(tx)} ${f(cy + 6)} L${f(tx - 6)} ${f(cy)} Z" fill="none" stroke="#8250df" stroke-width="1.5"><title>${escapeHtml(r.label)}: true rate ${(r.trueRate * 100).toFixed(1)}%</title></path>`);
    }
    parts.push(`<circle cx="${f(x(r.rate))}" cy="${f(cy)}" r="4" fill="${color}"><title>${escapeHtml(r.label)}: ${(r.rate * 100).toFixed(1)}% (95% CI ${(r.ci.lo * 100).toFixed(1)}–${(r.ci.hi * 100).toFixed(1)}%)</title></circle>`);
    parts.push(`<text x="${m.l + W + 8}" y="${f(cy + 4)}" font-size="11" fill="${color}">${(r.rate * 100).toFixed(1)}%${r.flagged ? ' ⚑' : ''}</text>`);
  });
  const legend = rows.some((r) => r.trueRate !== undefined) ? '; ◇ true rate' : '';
  parts.push(`<text x="${m.l + W / 2}" y="${height - 4}" font-size="12" text-anchor="middle">link rate (dot) with 95% Wilson interval; shaded: overall ± margin${legend}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
