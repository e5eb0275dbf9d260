/**
 * Inline SVG charts for the HTML reports (no scripts, no external assets).
 */
import { escapeHtml, prob } from './html.js';
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
  parts.push(`<text x="${m.l + W / 2}" y="${height - 6}" font-size="12" text-anchor="middle">${escapeHtml(h.axis ?? 'similarity score')}</text>`);
  const vline = (t: number, label: string, color: string) => {
    if (t < lo || t > hi) return;
    parts.push(`<line x1="${f(x(t))}" y1="${m.t}" x2="${f(x(t))}" y2="${m.t + H}" stroke="${color}" stroke-width="2" stroke-dasharray="5,4"/>`);
    parts.push(`<text x="${f(x(t) - 4)}" y="${m.t + 12}" font-size="11" text-anchor="end" fill="${color}">${escapeHtml(label)} ${t.toFixed(2)}</text>`);
  };
  if (h.reviewThreshold !== undefined) vline(h.reviewThreshold, 'review', '#bf8700');
  if (h.threshold !== undefined) vline(h.threshold, h.thresholdLabel ?? 'threshold', '#cf222e');
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
export function rateChartSvg(rows: readonly RateBar[], overall: number, margin: number, width = 640, what = 'link rate'): string {
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
  parts.push(`<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(what)} by group">`);
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
  parts.push(`<text x="${m.l + W / 2}" y="${height - 4}" font-size="12" text-anchor="middle">${escapeHtml(what)} (dot) with 95% Wilson interval; shaded: overall ± margin${legend}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

// ── match-model charts (the run report's model section) ─────────────────────

/** Signed number with a real minus sign, for weights. */
const signed = (x: number, digits = 2): string => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(digits)}`;

/** Opening of an accessible chart: role img, a title and a description (numbers in words for screen readers). */
function svgOpen(id: string, width: number, height: number, title: string, desc: string): string {
  return (
    `<svg id="${id}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-t ${id}-d">` +
    `<title id="${id}-t">${escapeHtml(title)}</title><desc id="${id}-d">${escapeHtml(desc)}</desc>`
  );
}

/** Tick step giving about `target` ticks over `span`: 1, 2 or 5 times a power of ten. */
export function niceStep(span: number, target = 6): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const k = raw / p;
  return (k <= 1 ? 1 : k <= 2 ? 2 : k <= 5 ? 5 : 10) * p;
}

export interface WeightLevel {
  label: string;
  m: number;
  u: number;
  weight: number;
}

/**
 * Splink-style chart of one comparison: for each level, m and u (the chance
 * of the level among matches and among non-matches) on the left, and the
 * level's match weight log2(m/u) as a bar from zero on the right (agreement
 * to the right, disagreement to the left). Every number is also printed as
 * text beside its bar.
 */
export function matchWeightsSvg(name: string, levels: readonly WeightLevel[], id: string, width = 720): string {
  const rowH = 26;
  const m = { l: 160, t: 34, b: 36 };
  const muW = 180;
  const gap = 100;
  const wl = m.l + muW + gap;
  const wW = width - wl - 56;
  const H = Math.max(1, levels.length) * rowH;
  const height = H + m.t + m.b;
  const ws = levels.map((l) => l.weight);
  let lo = Math.min(0, ...ws);
  let hi = Math.max(0, ...ws);
  if (hi - lo < 1) hi = lo + 1;
  const step = niceStep(hi - lo, 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const xw = (v: number) => wl + ((v - lo) / (hi - lo)) * wW;
  const xm = (p: number) => m.l + p * muW;
  const desc = levels.map((l) => `${l.label}: m ${prob(l.m)}, u ${prob(l.u)}, weight ${signed(l.weight)}`).join('; ');
  const parts: string[] = [svgOpen(id, width, height, `Match weights of comparison ${name}`, desc)];
  parts.push(`<text x="${xm(0.5)}" y="14" font-size="12" text-anchor="middle">m (matches) and u (non-matches)</text>`);
  parts.push(`<text x="${f(xw((lo + hi) / 2))}" y="14" font-size="12" text-anchor="middle">match weight log2(m/u)</text>`);
  for (const p of [0, 0.5, 1]) {
    parts.push(`<line x1="${f(xm(p))}" y1="${m.t - 4}" x2="${f(xm(p))}" y2="${m.t + H}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${f(xm(p))}" y="${m.t + H + 16}" font-size="11" text-anchor="middle">${p}</text>`);
  }
  for (let v = lo; v <= hi + 1e-9; v += step) {
    parts.push(`<line class="tick" data-value="${+v.toFixed(6)}" x1="${f(xw(v))}" y1="${m.t - 4}" x2="${f(xw(v))}" y2="${m.t + H}" stroke="${Math.abs(v) < 1e-9 ? '#57606a' : '#eaeef2'}"/>`);
    parts.push(`<text x="${f(xw(v))}" y="${m.t + H + 16}" font-size="11" text-anchor="middle">${+v.toFixed(6)}</text>`);
  }
  levels.forEach((l, i) => {
    const y0 = m.t + i * rowH;
    const cy = y0 + rowH / 2;
    parts.push(`<text x="${m.l - 8}" y="${f(cy + 4)}" font-size="12" text-anchor="end">${escapeHtml(l.label)}</text>`);
    // m above, u below, thin bars
    parts.push(`<rect x="${m.l}" y="${f(y0 + 4)}" width="${f(Math.max(0.5, l.m * muW))}" height="8" fill="#2f81f7"><title>${escapeHtml(l.label)}: m ${prob(l.m)}</title></rect>`);
    parts.push(`<rect x="${m.l}" y="${f(y0 + 13)}" width="${f(Math.max(0.5, l.u * muW))}" height="8" fill="#bf8700"><title>${escapeHtml(l.label)}: u ${prob(l.u)}</title></rect>`);
    parts.push(`<text x="${f(m.l + muW + 4)}" y="${f(y0 + 11)}" font-size="9" fill="#0550ae">m ${prob(l.m, 3)}</text>`);
    parts.push(`<text x="${f(m.l + muW + 4)}" y="${f(y0 + 21)}" font-size="9" fill="#7d4e00">u ${prob(l.u, 3)}</text>`);
    const x0 = xw(0);
    const x1 = xw(l.weight);
    const pos = l.weight >= 0;
    parts.push(`<rect x="${f(Math.min(x0, x1))}" y="${f(y0 + 5)}" width="${f(Math.max(0.5, Math.abs(x1 - x0)))}" height="${rowH - 10}" fill="${pos ? '#1a7f37' : '#cf222e'}"><title>${escapeHtml(l.label)}: weight ${signed(l.weight)}</title></rect>`);
    parts.push(`<text x="${f(pos ? Math.max(x0, x1) + 4 : Math.min(x0, x1) - 4)}" y="${f(cy + 4)}" font-size="11" text-anchor="${pos ? 'start' : 'end'}">${signed(l.weight)}</text>`);
  });
  parts.push(`<text x="${width / 2}" y="${height - 4}" font-size="11" text-anchor="middle" fill="#57606a">blue: m, amber: u; green: evidence for a match, red: against; a missing value adds 0</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export interface WeightBin {
  lo: number;
  hi: number;
  pairs: number;
}

/**
 * Histogram of the candidate pairs' total match weights with the decision
 * weight as a dashed line (pairs to its right are linked). Non-matches
 * usually outnumber matches by orders of magnitude, so the count axis is
 * logarithmic when the counts span more than a factor 100 (said on the axis).
 */
export function weightHistogramSvg(bins: readonly WeightBin[], decisionWeight: number, decisionProbability: number, id: string, width = 680, height = 280): string {
  const m = { l: 64, r: 20, t: 28, b: 42 };
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const counts = bins.map((b) => b.pairs);
  const max = Math.max(1, ...counts);
  const minNz = Math.min(max, ...counts.filter((c) => c > 0));
  const log = max / minNz > 100;
  const yv = (c: number) => (log ? Math.log10(1 + c) / Math.log10(1 + max) : c / max);
  let lo = bins.length ? Math.min(...bins.map((b) => b.lo)) : decisionWeight - 1;
  let hi = bins.length ? Math.max(...bins.map((b) => b.hi)) : decisionWeight + 1;
  lo = Math.min(lo, decisionWeight);
  hi = Math.max(hi, decisionWeight);
  if (hi - lo <= 0) hi = lo + 1;
  const x = (v: number) => m.l + ((v - lo) / (hi - lo)) * W;
  const y = (c: number) => m.t + H - yv(c) * H;
  const above = bins.filter((b) => b.lo >= decisionWeight).reduce((s, b) => s + b.pairs, 0);
  const total = counts.reduce((s, c) => s + c, 0);
  const desc = `${total} candidate pairs in ${bins.length} bins from ${lo.toFixed(1)} to ${hi.toFixed(1)}; decision weight ${decisionWeight.toFixed(2)} (match probability ${decisionProbability}); ${above} pairs in bins at or above it.`;
  const parts: string[] = [svgOpen(id, width, height, 'Match-weight histogram with the decision point', desc)];
  parts.push(`<line x1="${m.l}" y1="${m.t + H}" x2="${m.l + W}" y2="${m.t + H}" stroke="#57606a"/>`);
  parts.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + H}" stroke="#57606a"/>`);
  bins.forEach((b, i) => {
    const x0 = x(b.lo);
    const x1 = x(b.hi);
    const linked = b.lo >= decisionWeight - 1e-9;
    // the end bins also hold everything beyond them
    const range = i === 0 && bins.length > 1 ? `below ${b.hi.toFixed(2)}` : i === bins.length - 1 && bins.length > 1 ? `${b.lo.toFixed(2)} or more` : `${b.lo.toFixed(2)} to ${b.hi.toFixed(2)}`;
    parts.push(`<rect x="${f(x0 + 0.5)}" y="${f(y(b.pairs))}" width="${f(Math.max(0.5, x1 - x0 - 1))}" height="${f(m.t + H - y(b.pairs))}" fill="${linked ? '#2f81f7' : '#8c959f'}"><title>weight ${range}: ${b.pairs} pairs</title></rect>`);
  });
  const step = niceStep(hi - lo, 8);
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
    const t = +v.toFixed(6);
    parts.push(`<line class="tick" data-value="${t}" x1="${f(x(v))}" y1="${m.t + H}" x2="${f(x(v))}" y2="${m.t + H + 4}" stroke="#57606a"/>`);
    parts.push(`<text x="${f(x(v))}" y="${m.t + H + 16}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  const yTicks = log ? [0, ...Array.from({ length: Math.floor(Math.log10(max)) }, (_, k) => 10 ** (k + 1))] : [0, 0.25, 0.5, 0.75, 1].map((q) => Math.round(max * q));
  for (const c of [...new Set(yTicks)]) parts.push(`<text x="${m.l - 6}" y="${f(y(c) + 4)}" font-size="11" text-anchor="end">${c}</text>`);
  parts.push(`<text x="${m.l + W / 2}" y="${height - 6}" font-size="12" text-anchor="middle">match weight (log2 of the odds for a match)</text>`);
  parts.push(`<text x="12" y="${m.t + H / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${m.t + H / 2})">pairs${log ? ' (log scale)' : ''}</text>`);
  const dx = x(decisionWeight);
  parts.push(`<line class="decision" data-weight="${decisionWeight}" x1="${f(dx)}" y1="${m.t - 6}" x2="${f(dx)}" y2="${m.t + H}" stroke="#cf222e" stroke-width="2" stroke-dasharray="5,4"/>`);
  const right = dx > m.l + W / 2;
  parts.push(`<text x="${f(right ? dx - 4 : dx + 4)}" y="${m.t - 10}" font-size="11" text-anchor="${right ? 'end' : 'start'}" fill="#cf222e">decision ${signed(decisionWeight)} (p = ${decisionProbability}): ${above} pairs at or above</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export interface BandBar {
  from: number;
  to: number;
  pairs: number;
  expectedPrecision: number;
}

/** Expected precision per match-probability band (bar height), with the band's pair count printed under it. */
export function bandsSvg(bands: readonly BandBar[], id: string, width = 680, height = 240): string {
  const m = { l: 48, r: 12, t: 24, b: 52 };
  const W = width - m.l - m.r;
  const H = height - m.t - m.b;
  const n = Math.max(1, bands.length);
  const bw = W / n;
  const y = (p: number) => m.t + H - p * H;
  const desc = bands.map((b) => `${b.from}–${b.to}: ${b.pairs} pairs, expected precision ${b.expectedPrecision.toFixed(4)}`).join('; ');
  const parts: string[] = [svgOpen(id, width, height, 'Expected precision by match-probability band', desc)];
  for (const p of [0, 0.5, 1]) {
    parts.push(`<line x1="${m.l}" y1="${f(y(p))}" x2="${m.l + W}" y2="${f(y(p))}" stroke="#eaeef2"/>`);
    parts.push(`<text x="${m.l - 6}" y="${f(y(p) + 4)}" font-size="11" text-anchor="end">${p}</text>`);
  }
  bands.forEach((b, i) => {
    const x0 = m.l + i * bw;
    const cx = x0 + bw / 2;
    parts.push(`<rect x="${f(x0 + 2)}" y="${f(y(b.expectedPrecision))}" width="${f(Math.max(0.5, bw - 4))}" height="${f(b.expectedPrecision * H)}" fill="${b.pairs === 0 ? '#d0d7de' : '#2f81f7'}"><title>probability ${b.from}–${b.to}: ${b.pairs} pairs, expected precision ${b.expectedPrecision.toFixed(4)}</title></rect>`);
    parts.push(`<text x="${f(cx)}" y="${f(y(b.expectedPrecision) - 3)}" font-size="9" text-anchor="middle">${b.pairs === 0 ? '' : b.expectedPrecision.toFixed(3)}</text>`);
    parts.push(`<text x="${f(cx)}" y="${m.t + H + 14}" font-size="9" text-anchor="middle">${b.from}–${b.to}</text>`);
    parts.push(`<text x="${f(cx)}" y="${m.t + H + 26}" font-size="9" text-anchor="middle" fill="#57606a">${b.pairs}</text>`);
  });
  parts.push(`<text x="${m.l + W / 2}" y="${height - 6}" font-size="12" text-anchor="middle">match-probability band (pairs under each); bar: expected precision</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
