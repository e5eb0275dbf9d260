/**
 * The "p20link" top-level extension of a linkage schema: everything an agency
 * needs besides clkhash's features to turn its CSV extract into an encoded
 * file. clkhash ignores it; p20link validates it here, so every mistake is
 * reported with the JSON path that causes it: first its structure against the
 * JSON Schema protocols/p20link-extension.schema.json (src/schema/extension-json.ts),
 * then what a JSON Schema cannot say (features and blocking keys the entries
 * refer to, normalization step arguments, dates that exist, date formats,
 * hardening lengths).
 *
 *   "p20link": {
 *     "version": 1,
 *     "recordId": "student_id",                  // CSV column with the record id (default "id")
 *     "csv": { "delimiter": ",", "trim": false }, // how to read the extract
 *     "columns": { "last_name": "LAST_NM" },      // feature -> CSV column (default: same name)
 *     "normalize": { "last_name": ["name", "particles"], "dob": [{"step": "date"}] },
 *     "maxValueLength": 256,                      // longer raw values are bad rows
 *     "blocking": { "birth_year": { "feature": "dob", "transform": "year" } },
 *     "passThrough": ["cohort_year"],             // copied verbatim: only what is listed
 *     "plausibleDates": { "birth_date": { "min": "1900-01-01", "max": "today" } },
 *     "link": { "threshold": 0.8, "reviewThreshold": 0.7, "blocking": ["birth_year,last_soundex"], "lsh": "lsh:bands=64,rows=12" },
 *     "hardening": { "version": 1, "eld": { "bits": 1024, "taps": 2 } },  // src/schema/hardening.ts
 *     "evidence": { "version": 1, "templates": [...], "filters": [...], "presence": [...] }  // src/schema/evidence.ts
 *   }
 */
import { P20Error } from '../errors.js';
import { type CsvDialect, type CsvEncoding, readCsvDialect } from '../io/csv.js';
import { PLACEHOLDER_LENGTH } from '../normalize/placeholders.js';
import { formattedDateReader, isoDay, parseIsoDay, readDateLayouts, type DateLayout } from '../normalize/dates.js';
import { parseSteps, type NormalizeStep } from '../normalize/steps.js';
import { checkExtensionJson } from './extension-json.js';
import { parseEvidence, type EvidenceConfig } from './evidence.js';
import { parseHardening, type HardeningConfig } from './hardening.js';
import type { HashedFeature, LinkageSchema } from './types.js';

export const EXTENSION_VERSION = 1;
/** Names usable for blocking keys and pass-through columns (they become encoded-file column names). */
export const COLUMN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const DEFAULT_MAX_VALUE_LENGTH = 256;

export type BlockingTransform = 'exact' | 'soundex' | 'year' | 'prefix';
/** The transforms of a blocking key (the JSON Schema's enum lists the same). */
export const BLOCKING_TRANSFORMS: readonly BlockingTransform[] = ['exact', 'soundex', 'year', 'prefix'];

/** One blocking key of p20link.blocking. */
export interface BlockingDef {
  /** Name of the key; the encoded file's column is "block:<name>". */
  name: string;
  /** Feature whose (normalized) value is used. */
  feature: string;
  transform: BlockingTransform;
  /** Characters kept by "prefix". */
  length?: number;
}

export interface LinkHints {
  /** Dice score at or above which a pair is a link. */
  threshold?: number;
  /** Dice score at or above which (and below threshold) a pair goes to clerical review. */
  reviewThreshold?: number;
  /**
   * Blocking keys the linker should use: each entry is one key name, or several
   * joined by "," (a pair must agree on all of them); a pair is a candidate if
   * it satisfies any entry.
   */
  blocking?: string[];
  /** LSH part added to the keys: a linker spec such as "lsh:bands=64,rows=12" (default "lsh"), or false for none. */
  lsh?: string | false;
}

export interface P20linkExtension {
  version: 1;
  /** CSV column holding the record id. */
  recordId: string;
  /** How to read the extract: delimiter and trimming from the schema (or the agency's run), the character encoding only from the agency's run (default UTF-8). */
  csv: { delimiter: string; trim: boolean; encoding?: CsvEncoding };
  /** Feature identifier -> CSV column, for every feature (defaults filled in). */
  columns: Record<string, string>;
  /** Feature identifier -> normalization steps (features without steps are absent). */
  normalize: Record<string, NormalizeStep[]>;
  maxValueLength: number;
  blocking: BlockingDef[];
  /** CSV columns copied verbatim into the encoded file (as "pass:<column>"). */
  passThrough: string[];
  link?: LinkHints;
  /** Plausibility ranges declared per feature (false: no check); features not listed get the default where it applies. */
  plausibleDates?: Record<string, DateRangeSpec | false>;
  /**
   * Features this agency does not collect (CLI --absent, or --map feature=):
   * no CSV column is read for them, every record encodes them as missing, and
   * the encoded file's header lists them. Set per run, never by the schema.
   */
  absent?: string[];
  /**
   * Values that stand for "no value" in this agency's file (CLI
   * --missing-values: NULL, ., N/A …), compared trimmed and case-insensitively
   * with every feature's raw value and read as an empty field. Set per run,
   * never by the schema: not part of the fingerprint.
   */
  missingValues?: string[];
  /** Hardening of the encodings (src/schema/hardening.ts, applied by src/encode/harden.ts; protocols/hardening.md); absent = clkhash-compatible CLKs. */
  hardening?: HardeningConfig;
  /** Evidence filters and presence byte sent beside the CLK (src/schema/evidence.ts, computed by src/encode/evidence.ts); absent = CLK only. */
  evidence?: EvidenceConfig;
}

/** A plausibility range of a date feature: bounds are "YYYY-MM-DD" or "today" (the day the encoding runs, UTC). */
export interface DateRangeSpec {
  min: string;
  max: string;
  /** How to read the normalized value, e.g. "%Y%m%d" (needed only for a feature that is neither a date feature nor has a date step). */
  format?: string;
}

/** The range every feature with a `date` normalization step gets unless the schema or the CLI says otherwise. */
export const DEFAULT_DATE_RANGE: Readonly<DateRangeSpec> = { min: '1900-01-01', max: 'today' };

/** One resolved plausibility check, as the row encoder runs it (plain data: it goes to worker threads). */
export interface DateCheck {
  feature: string;
  /** strptime: the feature's clkhash date format; formatted: a `date` step output format ("%Y-%m-%d"). */
  reader: { kind: 'strptime' | 'formatted'; format: string };
  /** Inclusive bounds, "YYYY-MM-DD" ("today" already resolved). */
  min: string;
  max: string;
}

type Obj = Record<string, unknown>;

export function parseExtension(raw: unknown, source: string, schema: LinkageSchema): P20linkExtension {
  const fail = (path: string, message: string): never => {
    throw new P20Error('SCHEMA_EXTENSION', message, { file: source, field: path });
  };
  const ext = (raw === undefined ? { version: EXTENSION_VERSION } : raw) as Obj;
  // structure: keys, types, ranges, patterns (the JSON Schema)
  checkExtensionJson(ext, source, 'extension');

  // meaning: what refers to the linkage schema or needs code to check
  const features = schema.features;
  const byId = new Map(features.map((f) => [f.identifier, f]));
  const featureList = () => features.map((f) => f.identifier).join(', ');
  const hashedFeature = (feat: string, path: string, why: string): HashedFeature => {
    const f = byId.get(feat);
    if (!f) return fail(path, `is not a feature of the schema (features: ${featureList()})`);
    if (f.ignored) return fail(path, why);
    return f;
  };

  const recordId = (ext.recordId as string | undefined) ?? 'id';
  const csvIn = (ext.csv ?? {}) as { delimiter?: string; trim?: boolean };
  const csv = { delimiter: csvIn.delimiter ?? ',', trim: csvIn.trim ?? false };

  const columns: Record<string, string> = {};
  for (const f of features) columns[f.identifier] = f.identifier;
  for (const [feat, col] of Object.entries((ext.columns ?? {}) as Record<string, string>)) {
    if (!byId.has(feat)) fail(`p20link.columns.${feat}`, `is not a feature of the schema (features: ${featureList()})`);
    columns[feat] = col;
  }

  const normalize: Record<string, NormalizeStep[]> = {};
  for (const [feat, steps] of Object.entries((ext.normalize ?? {}) as Obj)) {
    const path = `p20link.normalize.${feat}`;
    const f = hashedFeature(feat, path, 'is an ignored feature: it is not hashed, so it has nothing to normalize');
    const parsed = parseSteps(steps, { source, path, ...(f.format.type === 'date' ? { featureDateFormat: f.format.format } : {}) });
    if (parsed.length > 0) normalize[feat] = parsed;
  }

  const maxValueLength = (ext.maxValueLength as number | undefined) ?? DEFAULT_MAX_VALUE_LENGTH;

  const blocking: BlockingDef[] = [];
  for (const [name, def] of Object.entries((ext.blocking ?? {}) as Record<string, { feature: string; transform: BlockingTransform; length?: number }>)) {
    const path = `p20link.blocking.${name}.feature`;
    const f = byId.get(def.feature);
    if (!f) fail(path, `"${def.feature}" is not a feature of the schema`);
    if (f!.ignored) fail(path, `"${def.feature}" is an ignored feature; blocking keys must come from hashed features`);
    blocking.push({ name, feature: def.feature, transform: def.transform, ...(def.length !== undefined ? { length: def.length } : {}) });
  }

  const featureColumns = new Map<string, string>();
  for (const f of features) featureColumns.set(columns[f.identifier]!, f.identifier);
  const passThrough: string[] = [];
  ((ext.passThrough ?? []) as string[]).forEach((col, i) => {
    const path = `p20link.passThrough[${i}]`;
    const feat = featureColumns.get(col);
    if (feat !== undefined) {
      fail(path, `column "${col}" holds the identifier feature "${feat}"; identifiers are never copied into the encoded file`);
    }
    if (col === recordId) fail(path, `column "${col}" is the record id, which the encoded file already carries`);
    if (passThrough.includes(col)) fail(path, `column "${col}" is listed twice`);
    passThrough.push(col);
  });

  let link: LinkHints | undefined;
  if (ext.link !== undefined) {
    const l = ext.link as { threshold?: number; reviewThreshold?: number; blocking?: string[]; lsh?: string | false };
    link = {};
    if (l.threshold !== undefined) link.threshold = l.threshold;
    if (l.reviewThreshold !== undefined) {
      link.reviewThreshold = l.reviewThreshold;
      if (link.threshold !== undefined && link.reviewThreshold >= link.threshold) fail('p20link.link.reviewThreshold', 'must be below link.threshold');
    }
    if (l.blocking !== undefined) {
      link.blocking = l.blocking.map((b, i) => {
        const names = b.split(',');
        if (!names.every((n) => blocking.some((d) => d.name === n)) || new Set(names).size !== names.length) {
          fail(`p20link.link.blocking[${i}]`, `must name a key defined in p20link.blocking, or several joined by "," (defined: ${blocking.map((d) => d.name).join(', ') || 'none'})`);
        }
        return b;
      });
    }
    if (l.lsh !== undefined) link.lsh = l.lsh;
  }

  const plausibleDates: Record<string, DateRangeSpec | false> = {};
  for (const [feat, spec] of Object.entries((ext.plausibleDates ?? {}) as Record<string, { min?: string; max?: string; format?: string } | false>)) {
    const path = `p20link.plausibleDates.${feat}`;
    const f = hashedFeature(feat, path, 'is an ignored feature: it is not read, so it has nothing to check');
    if (spec === false) {
      plausibleDates[feat] = false;
      continue;
    }
    const bound = (v: string | undefined, key: 'min' | 'max'): string => {
      if (v === undefined) return DEFAULT_DATE_RANGE[key];
      if (v === 'today' || parseIsoDay(v) !== null) return v;
      return fail(`${path}.${key}`, 'must be a date "YYYY-MM-DD" that exists, or "today"');
    };
    const out: DateRangeSpec = { min: bound(spec.min, 'min'), max: bound(spec.max, 'max') };
    if (out.min !== 'today' && out.max !== 'today' && out.min > out.max) fail(`${path}.min`, 'must not be after max');
    if (spec.format !== undefined) {
      if (formattedDateReader(spec.format) === null) fail(`${path}.format`, 'must be a date format using %Y, %m and %d (e.g. "%Y%m%d")');
      out.format = spec.format;
    } else if (dateReaderOf(f, normalize[feat]) === null) {
      fail(`${path}.format`, 'is required: the feature is neither a date feature nor normalized by a "date" step with %Y, %m and %d, so say how its values are written (e.g. "%Y%m%d")');
    }
    plausibleDates[feat] = out;
  }

  const hardening = ext.hardening === undefined ? undefined : parseHardening(ext.hardening, source, features.filter((f) => !f.ignored).map((f) => f.identifier), schema.clkConfig.l);
  const evidence = ext.evidence === undefined ? undefined : parseEvidence(ext.evidence, source, schema);
  return { version: 1, recordId, csv, columns, normalize, maxValueLength, blocking, passThrough, ...(link ? { link } : {}), ...(Object.keys(plausibleDates).length > 0 ? { plausibleDates } : {}), ...(hardening ? { hardening } : {}), ...(evidence ? { evidence } : {}) };
}

/** How a feature's normalized value can be read as a date without extra configuration: its last `date` step's output, or its clkhash date format. */
function dateReaderOf(f: HashedFeature, steps: readonly NormalizeStep[] | undefined): DateCheck['reader'] | null {
  const dateSteps = (steps ?? []).filter((s): s is Extract<NormalizeStep, { step: 'date' }> => s.step === 'date');
  const last = dateSteps[dateSteps.length - 1];
  if (last !== undefined) return formattedDateReader(last.to) !== null ? { kind: 'formatted', format: last.to } : null;
  if (f.format.type === 'date') return { kind: 'strptime', format: f.format.format };
  return null;
}

/** A date range from the command line: "MIN..MAX" (each "YYYY-MM-DD" or "today"; an empty side keeps the default) or "none". */
export function parseDateRangeArg(arg: string): { min: string; max: string } | 'none' {
  if (arg === 'none') return 'none';
  const m = /^([^.]*)\.\.([^.]*)$/.exec(arg);
  const ok = (v: string) => v === '' || v === 'today' || parseIsoDay(v) !== null;
  if (!m || !ok(m[1]!) || !ok(m[2]!)) {
    throw new P20Error('ENCODE_OPTIONS', 'expected MIN..MAX with dates YYYY-MM-DD or "today" (e.g. 1900-01-01..today), or "none"', {}, { hint: { id: 'subject', option: 'date-range', value: arg } });
  }
  const r = { min: m[1] || DEFAULT_DATE_RANGE.min, max: m[2] || DEFAULT_DATE_RANGE.max };
  if (r.min !== 'today' && r.max !== 'today' && r.min > r.max) throw new P20Error('ENCODE_OPTIONS', 'MIN is after MAX', {}, { hint: { id: 'subject', option: 'date-range', value: arg } });
  return r;
}

/**
 * The plausibility checks of one run. A feature is checked when the schema
 * declares a range for it (p20link.plausibleDates) or, by default, when it
 * has a `date` normalization step (range DEFAULT_DATE_RANGE). Features the
 * agency declared absent are not checked. `override` (CLI --date-range)
 * replaces every range, or turns all checks off ("none"). "today" becomes
 * the UTC date of `now`.
 */
export function resolveDateChecks(ext: P20linkExtension, schema: LinkageSchema, override?: { min: string; max: string } | 'none', now = new Date()): DateCheck[] {
  if (override === 'none') return [];
  const today = isoDay({ year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() });
  const day = (v: string) => (v === 'today' ? today : v);
  const out: DateCheck[] = [];
  for (const f of schema.features) {
    if (f.ignored || ext.absent?.includes(f.identifier)) continue;
    const spec = ext.plausibleDates?.[f.identifier];
    if (spec === false) continue;
    const steps = ext.normalize[f.identifier] ?? [];
    if (spec === undefined && !steps.some((s) => s.step === 'date')) continue;
    const reader = spec?.format !== undefined ? { kind: 'formatted' as const, format: spec.format } : dateReaderOf(f, steps);
    if (reader === null) continue;
    const range = override ?? spec ?? DEFAULT_DATE_RANGE;
    const min = day(range.min);
    const max = day(range.max);
    if (min > max) {
      throw new P20Error('ENCODE_OPTIONS', `the plausible range of ${f.identifier} is empty (${min}..${max})`, { file: schema.source, field: `p20link.plausibleDates.${f.identifier}` });
    }
    out.push({ feature: f.identifier, reader, min, max });
  }
  return out;
}

/**
 * Apply the agency's CSV dialect from the command line (--delimiter,
 * --trim / --no-trim, --encoding; CsvDialect) over the schema's p20link.csv.
 * The dialect describes the agency's file, not the shared encoding: nothing
 * the linker compares depends on it.
 */
export function applyCsvDialect(ext: P20linkExtension, dialect: CsvDialect | undefined): P20linkExtension {
  // the encoder refuses a row, not the file, on invalid UTF-8 (its own advice: INVALID_UTF8_ADVICE)
  const { encodingOption: _, ...d } = readCsvDialect(dialect, 'ENCODE_OPTIONS');
  if (Object.keys(d).length === 0) return ext;
  return { ...ext, csv: { ...ext.csv, ...d } };
}

/**
 * The agency's date layouts (CLI --date-layout) in place of the schema's
 * `from` for every `date` step, and the year two-digit years are read up to
 * (`pivotYear`: the year the encoding runs) on every one. Like the CSV
 * dialect, the layouts describe how the agency's file writes its dates, not
 * the shared encoding: the step's output (`to`) is the schema's, so a date
 * read in another layout hashes the same, and the schema fingerprint is
 * unchanged. Refused: an unknown layout, month-first and day-first digits
 * together, or layouts for a schema without a `date` step (they would be
 * ignored).
 */
export function applyDateLayouts(ext: P20linkExtension, layouts: readonly string[] | undefined, pivotYear: number): P20linkExtension {
  const hint = (value?: string) => ({ hint: { id: 'subject' as const, option: 'date-layout', ...(value !== undefined ? { value } : {}) } });
  let from: DateLayout[] | undefined;
  if (layouts !== undefined) {
    const r = readDateLayouts(layouts);
    if ('error' in r) throw new P20Error('ENCODE_OPTIONS', r.error, {}, hint(r.name !== undefined ? JSON.stringify(r.name) : undefined));
    from = r.layouts;
    const dated = Object.entries(ext.normalize).some(([feat, steps]) => !(ext.absent ?? []).includes(feat) && steps.some((st) => st.step === 'date'));
    if (!dated) throw new P20Error('ENCODE_OPTIONS', 'the schema reads no feature with a "date" normalization step, so there are no dates to read in these layouts', {}, hint());
  }
  const normalize: Record<string, NormalizeStep[]> = {};
  for (const [feat, steps] of Object.entries(ext.normalize)) {
    normalize[feat] = steps.map((st) => (st.step === 'date' ? { ...st, ...(from ? { from } : {}), pivotYear } : st));
  }
  return { ...ext, normalize };
}

/**
 * The agency's placeholders of a missing value (CLI --missing-values): each
 * non-empty, at most PLACEHOLDER_LENGTH characters, with no comma (the
 * option's separator).
 */
export function applyMissingValues(ext: P20linkExtension, values: readonly string[] | undefined): P20linkExtension {
  if (values === undefined) return ext;
  const fail = (message: string, value?: string): never => {
    throw new P20Error('ENCODE_OPTIONS', message, {}, { hint: { id: 'subject', option: 'missing-values', ...(value !== undefined ? { value: JSON.stringify(value) } : {}) } });
  };
  if (values.length === 0) fail('expected one or more values that stand for a missing value (e.g. NULL,.)');
  for (const v of values) {
    if (v.trim() === '') fail('an empty value is missing already; give the placeholders the file writes (e.g. NULL,.)');
    if (v.trim().length > PLACEHOLDER_LENGTH) fail(`a placeholder is at most ${PLACEHOLDER_LENGTH} characters`, v.slice(0, 20));
  }
  return { ...ext, missingValues: [...new Set(values.map((v) => v.trim()))] };
}

/**
 * Declare features absent for this agency (CLI --absent, or --map feature=
 * with an empty column). Each must be a hashed feature of the schema; at
 * least one hashed feature must stay present.
 */
export function applyAbsent(ext: P20linkExtension, schema: LinkageSchema, absent: readonly string[] | undefined): P20linkExtension {
  if (!absent || absent.length === 0) return ext;
  const all = new Set(ext.absent ?? []);
  for (const feat of absent) {
    const f = schema.features.find((x) => x.identifier === feat);
    if (!f) {
      throw new P20Error('ENCODE_ABSENT', `"${feat}" is not a feature of the schema (features: ${schema.features.map((x) => x.identifier).join(', ')})`, {}, { hint: { id: 'subject', option: 'absent', value: feat } });
    }
    if (f.ignored) throw new P20Error('ENCODE_ABSENT', `"${feat}" is an ignored feature; it is never read, so it need not be declared absent`, {}, { hint: { id: 'subject', option: 'absent', value: feat } });
    all.add(feat);
  }
  if (schema.features.every((f) => f.ignored || all.has(f.identifier))) {
    throw new P20Error('ENCODE_ABSENT', 'every hashed feature would be absent; nothing would be encoded', {}, { hint: { id: 'subject', option: 'absent' } });
  }
  return { ...ext, absent: schema.features.map((f) => f.identifier).filter((id) => all.has(id)) };
}

/**
 * Apply command-line `--map feature=column` overrides. Refuses unknown
 * features and a mapping that would make a pass-through column an identifier.
 * `--map feature=` (empty column) declares the feature absent (applyAbsent).
 */
export function applyColumnMap(ext: P20linkExtension, schema: LinkageSchema, map: Record<string, string> | undefined): P20linkExtension {
  if (!map || Object.keys(map).length === 0) return ext;
  const columns = { ...ext.columns };
  const absent: string[] = [];
  for (const [feat, col] of Object.entries(map)) {
    if (!(feat in columns)) {
      throw new P20Error('ENCODE_MAP', `"${feat}" is not a feature of the schema (features: ${schema.features.map((f) => f.identifier).join(', ')})`, {}, { hint: { id: 'subject', option: 'map', value: `${feat}=${col}` } });
    }
    if (col.length === 0) {
      absent.push(feat);
      continue;
    }
    if (ext.passThrough.includes(col)) {
      throw new P20Error('ENCODE_MAP', `column "${col}" is a pass-through column; identifiers are never copied into the encoded file`, {}, { hint: { id: 'subject', option: 'map', value: `${feat}=${col}` } });
    }
    columns[feat] = col;
  }
  return applyAbsent({ ...ext, columns }, schema, absent);
}

/** Parse "feature=column" strings (the CLI's --map values). */
export function parseMapArgs(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new P20Error('ENCODE_MAP', 'expected feature=column', {}, { hint: { id: 'subject', option: 'map', value: item } });
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
