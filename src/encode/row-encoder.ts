/**
 * One CSV row in, one encoded row (or one refusal) out: column lookup,
 * raw-value checks, normalization, clkhash-compatible CLK, evidence filters
 * and presence byte (src/encode/evidence.ts, when the schema has
 * p20link.evidence), keyed blocking values, pass-through columns. Pure given its setup, so the main thread and
 * every worker thread produce identical rows.
 */
import { type ErrorHint, P20Error } from '../errors.js';
import { dialectNote, INVALID_UTF8_ADVICE } from '../io/csv.js';
import { NormalizeError } from '../normalize/errors.js';
import { PLACEHOLDERS, PLACEHOLDER_LENGTH, placeholderKey } from '../normalize/placeholders.js';
import { compileSteps, type Normalizer } from '../normalize/steps.js';
import type { LinkageSchema } from '../schema/types.js';
import { createIndexedBlocker } from './blocking-keys.js';
import { clkToBase64, createClkEncoder } from './clk.js';
import type { DateCheck, P20linkExtension } from '../schema/extension.js';
import { compileStrptime } from '../schema/strptime.js';
import { dateNumber, formattedDateReader, parseIsoDay, type CalendarDate } from '../normalize/dates.js';
import { createHardener, hardenedLength, saltValue } from './harden.js';
import type { EncodedRecordSerializer, EvidenceFilterInfo, RecordEvidence } from '../format/encoded-file.js';
import { createEvidenceEncoder } from './evidence.js';
import { popcountBytes } from '../util/popcount.js';
import { fmix32, murmurStep } from '../util/murmur.js';

/** Longest record id accepted (the encoded-file format's limit). */
export const MAX_RECORD_ID_LENGTH = 256;

/**
 * First characters that make a spreadsheet run a cell as a formula (CSV
 * injection): "=", "+", "-", "@", and tab / carriage return. Record ids end
 * up in the linker's CSV outputs, which people open in spreadsheets, so an
 * id starting with one of them is a bad row (never rewritten: the agency
 * must be able to join the id back to its own records).
 */
export const FORMULA_START = /^[=+\-@\t\r]/;

/** What the encoder does with a feature value that fails normalization or validation: make the row bad (default), or encode the feature as missing. */
export type BadFieldPolicy = 'row' | 'missing';

/** Where each value comes from in the CSV header. */
export interface ColumnPlan {
  /** Header index of the record id column. */
  idIndex: number;
  /** Per schema feature (ignored ones included): header index, or -1 (ignored feature without a column: hashed as ""). */
  featureIndex: number[];
  /** Header index of each pass-through column. */
  passIndex: number[];
  /** Header indexes of every column the encoder reads (for raw-value checks), with their names. */
  checked: { index: number; column: string }[];
}

/**
 * Match the CSV header against the schema and extension. A missing record
 * id, hashed-feature or pass-through column is an error naming the file and
 * the column.
 */
export function planColumns(header: readonly string[], schema: LinkageSchema, ext: P20linkExtension, file: string): ColumnPlan {
  const pos = new Map(header.map((h, i) => [h, i]));
  const missing: string[] = [];
  const need = (col: string, why: string): number => {
    const i = pos.get(col);
    if (i === undefined) missing.push(`"${col}" (${why})`);
    return i ?? -1;
  };
  const idIndex = need(ext.recordId, 'record id');
  const absent = new Set(ext.absent ?? []);
  const featureIndex = schema.features.map((f) => {
    const col = ext.columns[f.identifier]!;
    if (f.ignored || absent.has(f.identifier)) return pos.get(col) ?? -1;
    return need(col, col === f.identifier ? 'feature' : `feature ${f.identifier}`);
  });
  const passIndex = ext.passThrough.map((c) => need(c, 'pass-through'));
  if (missing.length > 0) {
    const dialect = dialectHint(header, ext);
    throw new P20Error(
      'ENCODE_HEADER',
      `the header does not match the schema: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; header has: ${header.join(', ')}${dialect?.note ?? ''}`,
      { file, line: 1, field: missing.length === 1 ? (missing[0]!.match(/^"(.*)" \(/)?.[1] ?? undefined) : undefined },
      // the advice (map the columns, declare absent features, fix the dialect) is the caller's to word
      { hint: dialect?.hint ?? { id: 'header-map', option: 'map', value: 'feature=column' } },
    );
  }
  const checked: { index: number; column: string }[] = [];
  const seen = new Set<number>();
  const add = (i: number) => {
    if (i >= 0 && !seen.has(i)) {
      seen.add(i);
      checked.push({ index: i, column: header[i]! });
    }
  };
  add(idIndex);
  schema.features.forEach((f, k) => {
    if (!f.ignored) add(featureIndex[k]!);
  });
  passIndex.forEach(add);
  return { idIndex, featureIndex, passIndex, checked };
}

/**
 * A note and a hint for a header that does not match because of the CSV
 * dialect (dialectNote): the encoder's own hint ids, which the CLI words
 * with its advice on the header.
 */
export function dialectHint(header: readonly string[], ext: P20linkExtension): { note: string; hint: ErrorHint } | undefined {
  const d = dialectNote(header, ext.csv);
  if (d === undefined) return undefined;
  return { note: d.note, hint: { id: d.option === 'trim' ? 'header-trim' : 'header-delimiter', option: d.option, ...(d.value !== undefined ? { value: d.value } : {}) } };
}

/** Why a row is bad: the column and the reason. */
export interface RowFailure {
  ok: false;
  column: string;
  reason: string;
}

export type RowResult =
  | {
      ok: true;
      id: string;
      /** Base64 of the final CLK bytes. */
      clk: string;
      /** The final CLK bytes. */
      bytes: Uint8Array;
      extras: string[];
      /** Bits set in the final CLK (for the fill measurement). */
      ones: number;
      /** Features whose bad value was encoded as missing (badField "missing"), by index. */
      missing?: number[];
      /** Evidence filters and presence byte (schema with p20link.evidence). */
      evidence?: RecordEvidence;
    }
  | RowFailure;

export interface RowEncoder {
  l: number;
  /** The evidence filters every row carries (header.evidence), when the schema has p20link.evidence. */
  evidence?: EvidenceFilterInfo[];
  /** The presence byte's features (header.presence), when the schema declares them. */
  presence?: string[];
  encodeRow(fields: readonly string[]): RowResult;
  /** encodeRow, with the good row appended to `ser` (no base64 text or result object in between): the same bytes ser.add would write from encodeRow's result. */
  encodeInto(fields: readonly string[], ser: EncodedRecordSerializer): RowFailure | { ok: true; id: string; ones: number; missing: number[] | undefined };
  /** The counts of each feature read (FeatureCounts) since the last call, per feature (undefined: absent or ignored); the counts restart. */
  takeFeatureCounts(): (FeatureCounts | undefined)[];
}

export interface RowEncoderSetup {
  schema: LinkageSchema;
  ext: P20linkExtension;
  header: string[];
  plan: ColumnPlan;
  secret: Uint8Array;
  /** Default "row". */
  badField?: BadFieldPolicy;
  /** Plausibility checks of date features (resolveDateChecks). */
  dateChecks?: DateCheck[];
  /** Per-feature cache size of the CLK encoder (default 100,000; 0 = caches off, for benchmarks). */
  cacheSize?: number;
}

const REPLACEMENT = '\uFFFD';

export function createRowEncoder(setup: RowEncoderSetup): RowEncoder {
  const { schema, ext, header, plan, secret } = setup;
  const enc = createClkEncoder(schema, secret, setup.cacheSize !== undefined ? { cacheSize: setup.cacheSize } : {});
  const features = schema.features;
  const normalizers: (Normalizer | null)[] = features.map((f) => {
    const steps = ext.normalize[f.identifier];
    return steps ? compileSteps(steps) : null;
  });
  const featurePos = new Map(features.map((f, i) => [f.identifier, i]));
  const blocker = ext.blocking.length > 0 ? createIndexedBlocker(secret, ext.blocking, ext.blocking.map((b) => featurePos.get(b.feature)!)) : null;
  const max = ext.maxValueLength;
  const columnOfFeature = features.map((f) => ext.columns[f.identifier]!);
  const values: string[] = new Array<string>(features.length).fill('');
  const toMissing = setup.badField === 'missing';
  const absent = features.map((f) => (ext.absent ?? []).includes(f.identifier));
  /** What a missing value of each feature is: its sentinel (hashed as replaceWith, as clkhash does), or no bits at all when it has none. */
  const sentinel = features.map((f) => (f.ignored ? undefined : f.hashing.missingValue?.sentinel));
  const skip: boolean[] = new Array<boolean>(features.length).fill(false);
  // Header index -> features read from that column (a bad raw value there is a bad field, not a bad row, under "missing").
  const featuresAt = new Map<number, number[]>();
  features.forEach((f, k) => {
    const i = plan.featureIndex[k]!;
    if (f.ignored || absent[k] || i < 0) return;
    featuresAt.set(i, [...(featuresAt.get(i) ?? []), k]);
  });
  const rowLevel = new Set([plan.idIndex, ...plan.passIndex]);
  const dateChecks: ({ read: (v: string) => CalendarDate | null; min: number; max: number; range: string } | null)[] = features.map((f) => {
    const c = setup.dateChecks?.find((d) => d.feature === f.identifier);
    if (!c) return null;
    const read = c.reader.kind === 'strptime' ? compileStrptime(c.reader.format) : formattedDateReader(c.reader.format);
    if (!read) return null;
    return { read, min: dateNumber(parseIsoDay(c.min)!), max: dateNumber(parseIsoDay(c.max)!), range: `${c.min}..${c.max}` };
  });
  const hardener = createHardener(ext.hardening, enc.l, secret);
  const salt = ext.hardening?.salt;
  const saltFrom = salt ? featurePos.get(salt.from)! : -1;
  const salted = features.map((f) => salt?.features.includes(f.identifier) ?? false);
  const salts: string[] = new Array<string>(features.length).fill('');
  const evidence = ext.evidence ? createEvidenceEncoder(schema, ext.evidence, secret, setup.cacheSize !== undefined ? { cacheSize: setup.cacheSize } : {}) : null;
  const isMissing: boolean[] = new Array<boolean>(features.length).fill(false);
  // Counted per feature read (FeatureCounts): the good rows without a value; placeholders of a missing value; with a `date` step also its good rows' values (the summary's frequent-value warning: a placeholder date) and the other layouts of refused dates
  const dated = features.map((f) => !f.ignored && (ext.normalize[f.identifier] ?? []).some((st) => st.step === 'date'));
  const freshCounts = (): (FeatureCounts | undefined)[] =>
    features.map((f, k) => (f.ignored || absent[k] ? undefined : { empty: 0, ...(dated[k] ? { values: new Map<number, number>() } : {}), layouts: new Map<string, number>(), placeholders: new Map<string, number>() }));
  // The agency's own placeholders of a missing value (the missing-values option): read as an empty field
  const declared = new Set((ext.missingValues ?? []).map(placeholderKey));
  // A raw value is looked up only when its first character may start one (most names, every date and ZIP skip the lookup)
  const firstChars = new Uint8Array(128);
  for (const p of [...PLACEHOLDERS, ...declared]) {
    for (const ch of [p[0]!, p[0]!.toLowerCase()]) if (ch.charCodeAt(0) < 128) firstChars[ch.charCodeAt(0)] = 1;
  }
  firstChars[0x20] = firstChars[0x09] = 1; // surrounding spaces
  const mayBePlaceholder = (raw: string) => {
    const c = raw.charCodeAt(0);
    return raw.length <= PLACEHOLDER_LENGTH && (c >= 128 || firstChars[c] === 1);
  };
  let featureCounts: (FeatureCounts | undefined)[] = freshCounts();

  // The row being encoded (run() fills these; encodeRow and encodeInto read them).
  let id = '';
  let final: Uint8Array = new Uint8Array(0);
  let extras: string[] = [];
  let ev: RecordEvidence | undefined;
  let missing: number[] | undefined;
  const setMissing = (k: number) => {
    values[k] = sentinel[k] ?? '';
    skip[k] = sentinel[k] === undefined;
    if (!absent[k]) (missing ??= []).push(k);
  };

  /** Encode one row into the variables above: null, or why the row is bad. `reuse`: the CLK bytes may be a buffer the next row overwrites. */
  const clkBuf = new Uint8Array(Math.ceil(enc.l / 8));
  const run = (fields: readonly string[], reuse: boolean): RowFailure | null => {
    if (fields.length !== header.length) {
      const n = fields.length;
      return n < header.length
        ? { ok: false, column: header[n]!, reason: `row has ${n} field(s) but the header has ${header.length}: missing column "${header[n]}"` }
        : { ok: false, column: header[header.length - 1]!, reason: `row has ${n} fields but the header has ${header.length} (unquoted delimiter in a value?)` };
    }
    missing = undefined;
    for (let k = 0; k < features.length; k++) skip[k] = false;
    for (const { index, column } of plan.checked) {
      const v = fields[index]!;
      let reason: string | undefined;
      if (v.length > max) reason = `value is longer than ${max} characters`;
      else if (v.includes(REPLACEMENT)) reason = INVALID_UTF8_ADVICE;
      if (reason === undefined) continue;
      if (!toMissing || rowLevel.has(index)) return { ok: false, column, reason };
      for (const k of featuresAt.get(index) ?? []) skip[k] = true; // marked here, made missing below
    }
    id = fields[plan.idIndex]!.trim();
    const idColumn = header[plan.idIndex]!;
    if (id.length === 0) return { ok: false, column: idColumn, reason: 'record id is empty' };
    if (id.length > MAX_RECORD_ID_LENGTH) return { ok: false, column: idColumn, reason: `record id is longer than ${MAX_RECORD_ID_LENGTH} characters` };
    if (FORMULA_START.test(id)) {
      return { ok: false, column: idColumn, reason: `record id starts with "${id[0] === '\t' ? '\\t' : id[0]}", which spreadsheets run as a formula; record ids must not start with =, +, -, @` };
    }
    for (let k = 0; k < features.length; k++) {
      if (absent[k] || skip[k]) {
        setMissing(k);
        continue;
      }
      const idx = plan.featureIndex[k]!;
      let raw = idx >= 0 ? fields[idx]! : '';
      // A known placeholder (not declared) is counted when it is hashed as a value or refused: the summary's warning
      const ph = raw !== '' && mayBePlaceholder(raw) ? placeholderKey(raw) : undefined;
      if (ph !== undefined && declared.has(ph)) raw = '';
      const known = ph !== undefined && raw !== '' && PLACEHOLDERS.has(ph) ? ph : undefined;
      const norm = normalizers[k];
      if (norm) {
        try {
          values[k] = norm(raw);
        } catch (e) {
          if (!(e instanceof NormalizeError)) throw e;
          const t = featureCounts[k];
          if (t && e.layouts) for (const l of e.layouts) t.layouts.set(l, (t.layouts.get(l) ?? 0) + 1);
          if (t && known !== undefined) t.placeholders.set(known, (t.placeholders.get(known) ?? 0) + 1);
          if (!toMissing) {
            const hint = known !== undefined ? ` (${JSON.stringify(known)} is what many files write for a missing value: if it is here, declare it with the missing-values option)` : '';
            return { ok: false, column: columnOfFeature[k]!, reason: `${e.message}${hint} (feature ${features[k]!.identifier})` };
          }
          setMissing(k);
          continue;
        }
      } else values[k] = raw;
      if (known !== undefined && values[k] !== '' && values[k] !== sentinel[k]) {
        const t = featureCounts[k]!.placeholders;
        t.set(known, (t.get(known) ?? 0) + 1);
      }
      const dc = dateChecks[k];
      if (dc && values[k] !== '' && values[k] !== sentinel[k]) {
        const d = dc.read(values[k]!);
        const n = d === null ? null : dateNumber(d);
        if (n !== null && (n < dc.min || n > dc.max)) {
          if (!toMissing) return { ok: false, column: columnOfFeature[k]!, reason: `date outside the plausible range ${dc.range} (feature ${features[k]!.identifier}; see the date-range option)` };
          setMissing(k);
        }
      }
    }
    for (;;) {
      const bad = enc.check(values, skip);
      if (!bad) break;
      if (!toMissing || absent[bad.index]) return { ok: false, column: columnOfFeature[bad.index] ?? bad.feature, reason: bad.message };
      setMissing(bad.index); // a sentinel skips validation; a feature without one is skipped: the loop ends
    }
    if (salt) {
      const sv = saltValue(salt, values[saltFrom]!);
      for (let k = 0; k < features.length; k++) salts[k] = salted[k] ? sv : '';
    }
    const bits = enc.encode(values, skip, salt ? salts : undefined, reuse ? clkBuf : undefined); // reuse: the bytes are serialized before the next row
    final = hardener ? hardener(bits) : bits;
    ev = undefined;
    if (evidence) {
      for (let k = 0; k < features.length; k++) isMissing[k] = absent[k]! || skip[k]! || values[k] === '' || values[k] === sentinel[k];
      ev = evidence.encode(values, isMissing);
    }
    extras = blocker ? blocker(values) : [];
    for (const i of plan.passIndex) extras.push(fields[i]!);
    for (let k = 0; k < features.length; k++) {
      const c = featureCounts[k];
      if (!c) continue;
      const v = values[k]!;
      if (skip[k] || v === '' || v === sentinel[k]) c.empty++;
      else if (c.values) {
        const key = valueKey(v);
        c.values.set(key, (c.values.get(key) ?? 0) + 1);
      }
    }
    return null;
  };

  return {
    l: hardenedLength(ext.hardening, enc.l),
    ...(evidence ? { evidence: evidence.filters } : {}),
    ...(evidence?.presence ? { presence: evidence.presence } : {}),
    encodeRow(fields) {
      const bad = run(fields, false);
      if (bad) return bad;
      return { ok: true, id, clk: clkToBase64(final), bytes: final, extras, ones: popcountBytes(final), ...(missing ? { missing } : {}), ...(ev ? { evidence: ev } : {}) };
    },
    encodeInto(fields, ser) {
      const bad = run(fields, true);
      if (bad) return bad;
      ser.add(id, final, undefined, extras, ev);
      return { ok: true, id, ones: popcountBytes(final), missing };
    },
    takeFeatureCounts() {
      const out = featureCounts;
      featureCounts = freshCounts();
      return out;
    },
  };
}

/**
 * A counted value's key: a 31-bit hash (small integers stay unboxed in a
 * Map, and no value is kept). Two values sharing a key add up; for the one
 * use, a value held 10 times as often as the others, that never matters.
 */
export function valueKey(v: string): number {
  let h = v.length;
  for (let i = 0; i < v.length; i++) h = murmurStep(h, v.charCodeAt(i));
  return fmix32(h) >>> 1;
}

/**
 * What the encoder counts of a feature it reads: the known placeholders of a
 * missing value (PLACEHOLDERS) it hashed as a value or refused; with a
 * `date` step also its good rows' values (keyed by valueKey: no value kept)
 * and, of the dates no accepted layout reads, the other layouts that read
 * them.
 */
export interface FeatureCounts {
  /** Good rows encoded without a value of the feature (empty, its sentinel, or made missing). */
  empty: number;
  values?: Map<number, number>;
  layouts: Map<string, number>;
  placeholders: Map<string, number>;
}

/** Add the feature counts `add` (takeFeatureCounts) into `into`, feature by feature. */
export function mergeFeatureCounts(into: (FeatureCounts | undefined)[], add: readonly (FeatureCounts | undefined)[]): void {
  const sum = <K>(to: Map<K, number>, from: ReadonlyMap<K, number>) => {
    for (const [v, n] of from) to.set(v, (to.get(v) ?? 0) + n);
  };
  add.forEach((c, k) => {
    if (!c) return;
    const t = (into[k] ??= { empty: 0, ...(c.values ? { values: new Map() } : {}), layouts: new Map(), placeholders: new Map() });
    t.empty += c.empty;
    if (c.values) sum((t.values ??= new Map()), c.values);
    sum(t.layouts, c.layouts);
    sum(t.placeholders, c.placeholders);
  });
}

/**
 * A batch of rows encoded and serialized: what a worker hands back (no
 * per-row objects cross threads). `bytes` holds the encoded-file body of the
 * batch's good rows, in order; the pipeline checks `ids` for duplicates and
 * writes `bytes` as they are, so the output is the same whoever encoded it.
 */
export interface BatchResult {
  /** Body bytes (text lines or binary records) of the good rows. */
  bytes: Uint8Array;
  /** 1 per good row, 0 per bad row, in input order. */
  ok: Uint8Array;
  /** Ids of the good rows, in order. */
  ids: string[];
  /** The bad rows, in order. */
  failures: { index: number; column: string; reason: string }[];
  /** Bits set over the good rows' CLKs. */
  ones: number;
  /** Per feature: good rows whose bad value of it was encoded as missing. */
  missing: number[];
  /** Per feature read: its counts (RowEncoder.takeFeatureCounts). */
  featureCounts: (FeatureCounts | undefined)[];
}

/** `detach`: BatchResult.bytes is the serializer's own buffer (EncodedRecordSerializer.take), not a copy. */
export function encodeBatch(enc: RowEncoder, rows: readonly (readonly string[])[], ser: EncodedRecordSerializer, features: number, detach = false): BatchResult {
  const ok = new Uint8Array(rows.length);
  const ids: string[] = [];
  const failures: BatchResult['failures'] = [];
  const missing = new Array<number>(features).fill(0);
  let ones = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = enc.encodeInto(rows[i]!, ser);
    if (r.ok) {
      ok[i] = 1;
      ids.push(r.id);
      ones += r.ones;
      if (r.missing) for (const k of r.missing) missing[k]!++;
    } else failures.push({ index: i, column: r.column, reason: r.reason });
  }
  return { bytes: ser.take(detach).bytes, ok, ids, failures, ones, missing, featureCounts: enc.takeFeatureCounts() };
}
