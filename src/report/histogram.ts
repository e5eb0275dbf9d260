/**
 * Score histograms for the quality report: read from the linker's run report
 * (run-report.json, through its contract src/format/run-report.ts) when one
 * is given, otherwise built from the scores in the links files.
 */
import { readFile } from 'node:fs/promises';
import { P20Error, fsError } from '../errors.js';
import { LINK_REPORT_FORMAT, parseRunReport, runReportProblem } from '../format/run-report.js';
import { modelSectionsOf, type ModelSection } from './model.js';

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
  /** What the scores are (x-axis label): "similarity score" unless the run says otherwise. */
  axis?: string;
  /** What the threshold line is called ("threshold"; "decision" with the match model). */
  thresholdLabel?: string;
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
    if (counts?.every((c) => num(c) !== undefined)) {
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

/** What the quality report takes from a run report: the score histogram and thresholds, and the match model's sections. */
export interface RunReportForQuality {
  /** Undefined for a partial report that carries only a model section. */
  histogram: Histogram | undefined;
  model: ModelSection[];
}

/** Read the score histogram (and thresholds) from a linker run report (see readRunReportForQuality). */
export async function readRunReportHistogram(path: string): Promise<Histogram> {
  const r = await readRunReportForQuality(path);
  if (!r.histogram) throw new P20Error('REPORT_RUN', 'no scoreHistogram in the run report', { file: path, field: 'scoreHistogram' });
  return r.histogram;
}

/**
 * Read the score histogram (and thresholds) and the match model's sections
 * from a linker run report. A document with `format` "p20link/link-report"
 * is read as a whole run report (validated against
 * protocols/link-report.schema.json); a partial report (kept by hand,
 * without `format`) must still carry the run report's own `scoreHistogram`
 * or `model`, and may carry `parameters.threshold` and
 * `parameters.reviewThreshold`, each checked against the same schema's
 * definitions. No other key names are accepted. The model section is read
 * by modelSectionsOf (every number checked) in both cases.
 */
export async function readRunReportForQuality(path: string): Promise<RunReportForQuality> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fsError(e, path, 'cannot read the run report', 'REPORT_RUN');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new P20Error('REPORT_RUN', 'the run report is not JSON', { file: path });
  }
  let histogram: unknown;
  let threshold: unknown;
  let reviewThreshold: unknown;
  let axis: string | undefined;
  if (json !== null && typeof json === 'object' && (json as { format?: unknown }).format === LINK_REPORT_FORMAT) {
    const r = parseRunReport(text, path, 'REPORT_RUN');
    histogram = r.scoreHistogram;
    threshold = r.parameters.threshold;
    reviewThreshold = r.parameters.reviewThreshold;
    // with the match model, the scores are match probabilities
    if (r.parameters.model === 'fs') axis = 'match probability';
  } else {
    const top = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
    if (top.scoreHistogram === undefined && top.model === undefined) {
      throw new P20Error('REPORT_RUN', 'no scoreHistogram and no model in the run report', { file: path, field: 'scoreHistogram' });
    }
    const params = top.parameters !== null && typeof top.parameters === 'object' ? (top.parameters as Record<string, unknown>) : {};
    histogram = top.scoreHistogram;
    threshold = params.threshold;
    reviewThreshold = params.reviewThreshold;
    // each piece is checked against the part of the run report's JSON Schema that defines it
    for (const [field, value, pointer] of [
      ['scoreHistogram', histogram, '/definitions/histogram'],
      ['parameters.threshold', threshold, '/properties/parameters/properties/threshold'],
      ['parameters.reviewThreshold', reviewThreshold, '/properties/parameters/properties/reviewThreshold'],
    ] as const) {
      if (value === undefined) continue;
      const p = runReportProblem(value, pointer);
      if (p) throw new P20Error('REPORT_RUN', `${field}${p.field === '(spec)' ? '' : `.${p.field}`} ${p.message}`, { file: path, field });
    }
  }
  const model = modelSectionsOf(json, path);
  if (histogram === undefined) return { histogram: undefined, model };
  // with the match model, pairs are linked at the decision probability (parameters.threshold is the unused Dice threshold)
  const decision = axis !== undefined && model.length === 1 ? model[0]!.summary.decision.probability : undefined;
  if (decision !== undefined) threshold = decision;
  const bins = asBins(histogram)!;
  const out: Histogram = { bins, source: path, ...(axis !== undefined ? { axis } : {}), ...(decision !== undefined ? { thresholdLabel: 'decision' } : {}) };
  if (typeof threshold === 'number') out.threshold = threshold;
  if (typeof reviewThreshold === 'number') out.reviewThreshold = reviewThreshold;
  return { histogram: out, model };
}
