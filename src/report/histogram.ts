/**
 * Score histograms for the quality report: read from the linker's run report
 * (run-report.json) when one is given, otherwise built from the scores in the
 * links files. The run-report reader is tolerant about shape (bins as
 * {lo,hi,count} objects, or edges + counts, or counts over [0,1]) so the
 * report keeps working as the linker's report evolves.
 */
import { readFile } from 'node:fs/promises';
import { P20Error, fsError } from '../errors.js';

export interface HistogramBin {
  lo: number;
  hi: number;
  count: number;
}

export interface Histogram {
  bins: HistogramBin[];
  /** Match threshold of the run, when known. */
  threshold?: number;
  /** Lower (review) threshold, when known. */
  reviewThreshold?: number;
  source: string;
}

/** Equal-width histogram of values in [lo, hi]. */
export function histogramOf(values: Iterable<number>, binCount = 20, lo = 0, hi = 1): HistogramBin[] {
  const width = (hi - lo) / binCount;
  const bins: HistogramBin[] = Array.from({ length: binCount }, (_, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, count: 0 }));
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    const i = Math.min(binCount - 1, Math.max(0, Math.floor((v - lo) / width)));
    bins[i]!.count++;
  }
  return bins;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function pick(o: Record<string, unknown>, keys: readonly string[]): number | undefined {
  for (const k of keys) {
    const v = num(o[k]);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Interpret one candidate value as a histogram, or undefined. */
export function asBins(h: unknown): HistogramBin[] | undefined {
  if (Array.isArray(h)) {
    if (h.length > 0 && h.every((x) => num(x) !== undefined)) {
      const n = h.length;
      return (h as number[]).map((c, i) => ({ lo: i / n, hi: (i + 1) / n, count: c }));
    }
    if (h.length > 0 && h.every((x) => x !== null && typeof x === 'object')) {
      const bins: HistogramBin[] = [];
      for (const x of h as Record<string, unknown>[]) {
        const lo = pick(x, ['lo', 'from', 'min', 'start', 'lower', 'low']);
        const hi = pick(x, ['hi', 'to', 'max', 'end', 'upper', 'high']);
        const count = pick(x, ['count', 'n', 'pairs', 'value']);
        if (lo === undefined || hi === undefined || count === undefined) return undefined;
        bins.push({ lo, hi, count });
      }
      return bins;
    }
    return undefined;
  }
  if (h !== null && typeof h === 'object') {
    const o = h as Record<string, unknown>;
    const counts = Array.isArray(o.counts) ? (o.counts as unknown[]) : undefined;
    if (counts && counts.every((c) => num(c) !== undefined)) {
      const edges = (Array.isArray(o.edges) ? o.edges : Array.isArray(o.bounds) ? o.bounds : undefined) as unknown[] | undefined;
      if (edges && edges.length === counts.length + 1 && edges.every((e) => num(e) !== undefined)) {
        return counts.map((c, i) => ({ lo: edges[i] as number, hi: edges[i + 1] as number, count: c as number }));
      }
      const lo = pick(o, ['min', 'lo', 'from', 'start']) ?? 0;
      const width = pick(o, ['binWidth', 'width', 'step']) ?? ((pick(o, ['max', 'hi', 'to', 'end']) ?? 1) - lo) / counts.length;
      return counts.map((c, i) => ({ lo: lo + i * width, hi: lo + (i + 1) * width, count: c as number }));
    }
    if (Array.isArray(o.bins)) return asBins(o.bins);
  }
  return undefined;
}

function findKey(o: unknown, re: RegExp, depth = 0): unknown {
  if (depth > 6 || o === null || typeof o !== 'object') return undefined;
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) if (re.test(k)) return v;
  for (const v of Object.values(o as Record<string, unknown>)) {
    const r = findKey(v, re, depth + 1);
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Read the score histogram (and thresholds) from a linker run report. */
export async function readRunReportHistogram(path: string): Promise<Histogram> {
  let json: unknown;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fsError(e, path, 'cannot read the run report', 'REPORT_RUN');
  }
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new P20Error('REPORT_RUN', `the run report is not JSON: ${(e as Error).message}`, { file: path });
  }
  const top = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {};
  const h = top.scoreHistogram ?? findKey(json, /hist/i);
  const bins = asBins(h);
  if (!bins) throw new P20Error('REPORT_RUN', 'no score histogram found in the run report', { file: path, field: 'histogram' });
  const out: Histogram = { bins, source: path };
  const t = num(findKey(json, /^(threshold|matchThreshold|match_threshold)$/));
  if (t !== undefined) out.threshold = t;
  const r = num(findKey(json, /^(reviewThreshold|review_threshold|lowerThreshold|reviewLower)$/));
  if (r !== undefined) out.reviewThreshold = r;
  return out;
}
