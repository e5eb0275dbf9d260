/**
 * Normalization steps as data (declared per feature in the schema's
 * "p20link" extension) and their compilation into one function per feature.
 *
 * A step is a name ("name", "zip5", …) or an object {"step": name, …options}.
 * Steps run in the order given. `compileSteps` returns a pure function that
 * either returns the normalized value or throws NormalizeError (bad row).
 */
import { P20Error } from '../errors.js';
import { normalizeSex, normalizeZip5 } from './codes.js';
import {
  DEFAULT_DATE_LAYOUTS,
  DATE_LAYOUTS,
  checkDateLayouts,
  checkDateOutputFormat,
  formatDate,
  isDateLayout,
  layoutsReading,
  parseDate,
  type DateLayout,
} from './dates.js';
import { NormalizeError } from './errors.js';
import { canonicalName, collapseWhitespace, dropSuffixes, foldDiacritics, joinParticles, stripPunctuation } from './text.js';

export type SimpleStepName =
  | 'trim'
  | 'upper'
  | 'lower'
  | 'fold'
  | 'collapse-space'
  | 'strip-punctuation'
  | 'name'
  | 'particles'
  | 'drop-suffixes'
  | 'digits'
  | 'initial'
  | 'sex'
  | 'zip5';

export type NormalizeStep =
  | { step: SimpleStepName }
  | {
      step: 'date';
      from: DateLayout[];
      to: string;
      /** The year two-digit years are read up to (never from the schema: the encode run sets it, `applyDateLayouts`; default the current year). */
      pivotYear?: number;
    }
  | { step: 'missing'; values: string[] };

/** What each simple step does (shown in errors and docs). */
export const SIMPLE_STEPS: Record<SimpleStepName, string> = {
  trim: 'remove leading and trailing whitespace',
  upper: 'upper case',
  lower: 'lower case',
  fold: 'Unicode NFKD, diacritics removed (é → e, ß → ss, Ø → O)',
  'collapse-space': 'control/format characters removed, runs of whitespace → one space, trimmed',
  'strip-punctuation': "apostrophes removed, other punctuation and symbols → space, whitespace collapsed",
  name: 'fold + upper + strip-punctuation ("García-López" → "GARCIA LOPEZ")',
  particles: 'join surname particles to the next word ("DE LA CRUZ" → "DELACRUZ")',
  'drop-suffixes': 'drop trailing JR, SR, II, III, IV',
  digits: 'keep only the digits 0-9',
  initial: 'keep only the first character (after "name": the initial, e.g. for middle names)',
  sex: 'sex code → M, F, X or "" (unknown); other codes are bad rows',
  zip5: 'US ZIP / ZIP+4 → 5 digits; anything else is a bad row',
};

const ALL_STEPS = [...Object.keys(SIMPLE_STEPS), 'date', 'missing'];

export interface StepContext {
  /** Where the steps come from (schema file), for errors. */
  source: string;
  /** JSON path of the step list, e.g. "p20link.normalize.dob". */
  path: string;
  /** The feature's own date format (clkhash strptime format) if it is a date feature. */
  featureDateFormat?: string;
}

function fail(ctx: StepContext, path: string, message: string): never {
  throw new P20Error('SCHEMA_EXTENSION', message, { file: ctx.source, field: path });
}

/** Validate a step list from JSON. Errors name the JSON path. */
export function parseSteps(raw: unknown, ctx: StepContext): NormalizeStep[] {
  if (!Array.isArray(raw)) fail(ctx, ctx.path, 'must be an array of normalization steps');
  return raw.map((item, i) => parseStep(item, ctx, `${ctx.path}[${i}]`));
}

function parseStep(item: unknown, ctx: StepContext, path: string): NormalizeStep {
  const name = typeof item === 'string' ? item : typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>).step : undefined;
  if (typeof name !== 'string') {
    fail(ctx, path, `must be a step name or an object {"step": name, …}; steps: ${ALL_STEPS.join(', ')}`);
  }
  const opts = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
  const allowKeys = (keys: string[]) => {
    for (const k of Object.keys(opts)) if (k !== 'step' && !keys.includes(k)) fail(ctx, `${path}.${k}`, `unknown option of step "${name}" (allowed: ${keys.join(', ') || 'none'})`);
  };
  if (name in SIMPLE_STEPS) {
    allowKeys([]);
    return { step: name as SimpleStepName };
  }
  if (name === 'date') {
    allowKeys(['from', 'to']);
    let from: DateLayout[] = [...DEFAULT_DATE_LAYOUTS];
    if (opts.from !== undefined) {
      if (!Array.isArray(opts.from) || opts.from.length === 0) fail(ctx, `${path}.from`, `must be a non-empty array of date layouts (${DATE_LAYOUTS.join(', ')})`);
      from = (opts.from as unknown[]).map((l, j) => {
        if (!isDateLayout(l)) fail(ctx, `${path}.from[${j}]`, `must be one of ${DATE_LAYOUTS.join(', ')}`);
        return l;
      });
      const ambiguous = checkDateLayouts(from);
      if (ambiguous) fail(ctx, `${path}.from`, ambiguous);
    }
    let to = opts.to;
    if (to === undefined) {
      if (ctx.featureDateFormat === undefined) fail(ctx, `${path}.to`, 'is required: the feature is not a date feature, so give the output format (e.g. "%Y%m%d")');
      to = ctx.featureDateFormat;
    }
    if (typeof to !== 'string') fail(ctx, `${path}.to`, 'must be a date format string such as "%Y-%m-%d"');
    const bad = checkDateOutputFormat(to);
    if (bad) fail(ctx, `${path}.to`, bad);
    return { step: 'date', from, to };
  }
  if (name === 'missing') {
    allowKeys(['values']);
    if (!Array.isArray(opts.values) || !opts.values.every((v) => typeof v === 'string')) {
      fail(ctx, `${path}.values`, 'must be an array of strings (values that mean "missing", compared case-insensitively after trimming)');
    }
    return { step: 'missing', values: opts.values as string[] };
  }
  return fail(ctx, path, `unknown normalization step ${JSON.stringify(name)}; steps: ${ALL_STEPS.join(', ')}`);
}

export type Normalizer = (value: string) => string;

const identity: Normalizer = (v) => v;

function compileStep(s: NormalizeStep): Normalizer {
  switch (s.step) {
    case 'trim':
      return (v) => v.trim();
    case 'upper':
      return (v) => v.toUpperCase();
    case 'lower':
      return (v) => v.toLowerCase();
    case 'fold':
      return foldDiacritics;
    case 'collapse-space':
      return collapseWhitespace;
    case 'strip-punctuation':
      return stripPunctuation;
    case 'name':
      return canonicalName;
    case 'particles':
      return joinParticles;
    case 'drop-suffixes':
      return dropSuffixes;
    case 'digits':
      return (v) => v.replace(/[^0-9]/g, '');
    case 'initial':
      return (v) => {
        const t = v.trim();
        return t === '' ? '' : String.fromCodePoint(t.codePointAt(0)!);
      };
    case 'sex':
      return normalizeSex;
    case 'zip5':
      return normalizeZip5;
    case 'missing': {
      const set = new Set(s.values.map((x) => x.trim().toUpperCase()));
      return (v) => (set.has(v.trim().toUpperCase()) ? '' : v);
    }
    case 'date': {
      const { from, to, pivotYear } = s;
      const layouts = from.join(', ');
      return (v) => {
        const t = v.trim();
        if (t === '') return '';
        const d = parseDate(t, from, pivotYear);
        if (d === null) {
          const other = layoutsReading(t, from, pivotYear);
          throw new NormalizeError(`is not a valid date in any accepted layout (${layouts})${otherLayoutsHint(other)}`, other);
        }
        return formatDate(d, to);
      };
    }
  }
}

/**
 * The hint of a date that no accepted layout reads: the layouts that would
 * read it (the file may write its dates in one of them). Names layouts only,
 * never the value.
 */
function otherLayoutsHint(other: readonly DateLayout[]): string {
  if (other.length === 0) return '';
  return `; it reads as ${other.join(' or ')}: if the file writes its dates so, name that layout with the date-layout option`;
}

/** One function applying all steps in order; the identity when there are none. Memoizes up to 65,536 distinct inputs (then starts over). */
export function compileSteps(steps: readonly NormalizeStep[], cacheSize = 1 << 16): Normalizer {
  if (steps.length === 0) return identity;
  const fns = steps.map(compileStep);
  const run: Normalizer = (v) => {
    let x = v;
    for (const f of fns) x = f(x);
    return x;
  };
  if (cacheSize <= 0) return run;
  const cache = new Map<string, string>();
  return (v) => {
    const hit = cache.get(v);
    if (hit !== undefined) return hit;
    const out = run(v); // throws for a bad value: nothing cached
    if (cache.size >= cacheSize) cache.clear();
    cache.set(v, out);
    return out;
  };
}
