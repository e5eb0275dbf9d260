/**
 * One CSV row in, one encoded row (or one refusal) out: column lookup,
 * raw-value checks, normalization, clkhash-compatible CLK, keyed blocking
 * values, pass-through columns. Pure given its setup, so the main thread and
 * every worker thread produce identical rows.
 */
import { P20Error } from '../errors.js';
import { NormalizeError } from '../normalize/errors.js';
import { compileSteps, type Normalizer } from '../normalize/steps.js';
import type { LinkageSchema } from '../schema/types.js';
import { createBlocker } from './blocking-keys.js';
import { clkToBase64, createClkEncoder } from './clk.js';
import type { P20linkExtension } from './extension.js';

/** Longest record id accepted (the encoded-file format's limit). */
export const MAX_RECORD_ID_LENGTH = 256;

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
  const featureIndex = schema.features.map((f) => {
    const col = ext.columns[f.identifier]!;
    if (f.ignored) return pos.get(col) ?? -1;
    return need(col, col === f.identifier ? 'feature' : `feature ${f.identifier}`);
  });
  const passIndex = ext.passThrough.map((c) => need(c, 'pass-through'));
  if (missing.length > 0) {
    throw new P20Error(
      'ENCODE_HEADER',
      `the header does not match the schema: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; header has: ${header.join(', ')}` +
        ' (rename the columns, or map them with --map feature=column)',
      { file, line: 1, field: missing.length === 1 ? (missing[0]!.match(/^"(.*)" \(/)?.[1] ?? undefined) : undefined },
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

export type RowResult =
  | { ok: true; id: string; clk: string; extras: string[] }
  | { ok: false; column: string; reason: string };

export interface RowEncoder {
  l: number;
  encodeRow(fields: readonly string[]): RowResult;
}

export interface RowEncoderSetup {
  schema: LinkageSchema;
  ext: P20linkExtension;
  header: string[];
  plan: ColumnPlan;
  secret: Uint8Array;
}

const REPLACEMENT = '\uFFFD';

export function createRowEncoder(setup: RowEncoderSetup): RowEncoder {
  const { schema, ext, header, plan, secret } = setup;
  const enc = createClkEncoder(schema, secret);
  const features = schema.features;
  const normalizers: (Normalizer | null)[] = features.map((f) => {
    const steps = ext.normalize[f.identifier];
    return steps ? compileSteps(steps) : null;
  });
  const featurePos = new Map(features.map((f, i) => [f.identifier, i]));
  const blocker = ext.blocking.length > 0 ? createBlocker(secret, ext.blocking) : null;
  const max = ext.maxValueLength;
  const columnOfFeature = features.map((f) => ext.columns[f.identifier]!);
  const values: string[] = new Array<string>(features.length).fill('');

  return {
    l: enc.l,
    encodeRow(fields) {
      if (fields.length !== header.length) {
        const n = fields.length;
        return n < header.length
          ? { ok: false, column: header[n]!, reason: `row has ${n} field(s) but the header has ${header.length}: missing column "${header[n]}"` }
          : { ok: false, column: header[header.length - 1]!, reason: `row has ${n} fields but the header has ${header.length} (unquoted delimiter in a value?)` };
      }
      for (const { index, column } of plan.checked) {
        const v = fields[index]!;
        if (v.length > max) return { ok: false, column, reason: `value is longer than ${max} characters` };
        if (v.includes(REPLACEMENT)) return { ok: false, column, reason: 'invalid UTF-8 byte sequence (the file must be UTF-8 encoded)' };
      }
      const id = fields[plan.idIndex]!;
      if (id.trim().length === 0) return { ok: false, column: header[plan.idIndex]!, reason: 'record id is empty' };
      if (id.length > MAX_RECORD_ID_LENGTH) return { ok: false, column: header[plan.idIndex]!, reason: `record id is longer than ${MAX_RECORD_ID_LENGTH} characters` };
      for (let k = 0; k < features.length; k++) {
        const idx = plan.featureIndex[k]!;
        const raw = idx >= 0 ? fields[idx]! : '';
        const norm = normalizers[k];
        if (norm) {
          try {
            values[k] = norm(raw);
          } catch (e) {
            if (e instanceof NormalizeError) return { ok: false, column: columnOfFeature[k]!, reason: `${e.message} (feature ${features[k]!.identifier})` };
            throw e;
          }
        } else values[k] = raw;
      }
      const bad = enc.check(values);
      if (bad) return { ok: false, column: columnOfFeature[bad.index] ?? bad.feature, reason: bad.message };
      const clk = clkToBase64(enc.encode(values));
      const extras = blocker ? blocker((f) => values[featurePos.get(f)!]!) : [];
      for (const i of plan.passIndex) extras.push(fields[i]!);
      return { ok: true, id, clk, extras };
    },
  };
}
