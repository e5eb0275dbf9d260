/**
 * The agency's encode job: CSV extract in, encoded file out.
 *
 *   CSV (streamed) → column plan → per row: checks, normalization (p20link
 *   extension), clkhash-compatible CLK, keyed blocking values → encoded file
 *   (temp file, renamed on success).
 *
 * On the main thread (workers 0) the CSV is streamed and encoded in batches.
 * With workers, the main thread only finds split points (record boundaries,
 * src/io/csv.ts csvSplitPoints) and each worker reads, parses, normalizes and
 * encodes its own byte range of the file and hands back finished output
 * bytes; ranges are written strictly in input order and their relative line
 * numbers made the file's, so the output (and every message) does not depend
 * on the number of workers. A bad row stops the run (default) or goes
 * to a rejects file; nothing is dropped silently, and the summary counts
 * read / encoded / rejected rows. With badField "missing" a bad value of a
 * feature is encoded as missing instead (counted per feature). Features the
 * agency declares absent are missing in every record and listed in the
 * header. An existing output or rejects file is refused unless `force`.
 * User-facing documentation: docs/encode.md.
 */
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { lstat, stat } from 'node:fs/promises';
import { fsError, P20Error } from '../errors.js';
import { openAtomic, type AtomicFile } from '../io/atomic-file.js';
import { csvLine, csvSplitPoints, openCsv } from '../io/csv.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { createEncodedWriter, EncodedRecordSerializer, type EncodedBody, type EncodedWriter } from '../format/encoded-file.js';
import { PARTY_NAME } from '../format/party.js';
import { loadLinkageSchema, schemaFingerprint } from '../schema/linkage-schema.js';
import type { LinkageSchema } from '../schema/types.js';
import { workerUrl } from '../util/worker-url.js';
import { TOOL_ID } from '../version.js';
import { applyAbsent, applyColumnMap, applyCsvDialect, applyDateLayouts, applyMissingValues, parseExtension, resolveDateChecks, type P20linkExtension } from '../schema/extension.js';
import { createIdSet, type IdSet } from './id-set.js';
import { keyCheckValue } from './key-check.js';
import { hardenedLength } from './harden.js';
import { evidenceHeader } from './evidence.js';
import { createRowEncoder, encodeBatch, mergeFeatureCounts, planColumns, type BadFieldPolicy, type BatchResult, type FeatureCounts, type RowEncoderSetup } from './row-encoder.js';
import { DAY_FIRST_LAYOUTS, MONTH_FIRST_LAYOUTS, type DateLayout } from '../normalize/dates.js';
import type { NormalizeStep } from '../normalize/steps.js';
import { formatCount } from '../util/format-count.js';
import { DATE_FEATURE, manyWithoutDate } from '../schema/evidence.js';
import type { ErrorCode, ErrorHint } from '../errors.js';
import type { RangeResult, RangeTask, WorkerSetup } from './worker.js';
import { WorkerPool } from '../util/worker-pool.js';

/** Rows per batch on the main thread. */
const BATCH_ROWS = 2048;
/**
 * Young-generation size of each encode worker, in MiB. V8's default (about
 * 48 MiB: two 16 MiB semi-spaces and their overhead) is sized for throughput
 * on one thread; with several workers it is paid once per worker and was
 * most of the peak above the main thread's (1,000,000 P-20W rows, 2 workers:
 * 314 MiB with the default, 255 MiB at 12 MiB, 274 MiB at 24 MiB, CPU within
 * the machine's noise). Session 17, two workers without token caches
 * (WORKER_CACHE_SIZE): 8 MiB 287-293 MiB, 39-42 s; 12 MiB 287-292 MiB,
 * 39-41 s; 16 MiB 305 MiB, 35 s.
 */
export const ENCODE_WORKER_YOUNG_GEN_MB = 12;
/**
 * Token-cache entries of each encode worker when the caller sets none: 0.
 * In workers the caches bought no wall time and cost memory per worker
 * (1,000,000 P-20W rows, two workers, 16 MiB young generations: 36.8 s and
 * 392 MiB with half the default budget each, 35.5 s and 305-311 MiB
 * without). On the main thread they pay (100,000 rows: 13,003 rows per
 * CPU-second with, 10,119 without), and it keeps them.
 */
export const WORKER_CACHE_SIZE = 0;
/** Inputs smaller than this are encoded on the main thread when `workers` is not given. */
const SMALL_INPUT_BYTES = 4 << 20;

export type BadRowPolicy = 'fail' | 'reject';
export type { BadFieldPolicy };

/** Mean share of the l bits set per CLK above which the summary warns (a dense filter makes unrelated records look alike). */
export const FILL_WARNING = 0.6;

export interface EncodeOptions extends Omit<AgencyFile, 'pivotYear'> {
  input: string;
  output: string;
  /** A loaded schema or the path of a schema file. */
  schema: LinkageSchema | string;
  secret: Uint8Array;
  party: string;
  /** feature → CSV column overrides (CLI --map). */
  map?: Record<string, string>;
  /** CSV column of the record id, overriding the schema's p20link.recordId (CLI --id-column). */
  idColumn?: string;
  onBadRow?: BadRowPolicy;
  /** Required with onBadRow 'reject'. Holds PII: keep it on premises. */
  rejectsFile?: string;
  /** Worker threads; 0 = encode on the main thread. Default: 0 for inputs under 4 MiB, else one per core (1..8). */
  workers?: number;
  progress?: Progress;
  /** Creation time written into the header (tests pin it; default now). */
  createdAt?: Date;
  /** A feature value that fails normalization or validation: "row" (default) makes the row bad (onBadRow decides); "missing" encodes the feature as missing and counts it. */
  onBadField?: BadFieldPolicy;
  /** Plausible range of date features (CLI --date-range), over the schema's; "none" turns the checks off. */
  dateRange?: { min: string; max: string } | 'none';
  /** Replace an existing output / rejects file (default: refuse). */
  force?: boolean;
  /** Encode with a schema that has no p20link.hardening section (clkhash-compatible, open to the attacks of docs/attacks.md; CLI --allow-unhardened). Default: refuse. */
  allowUnhardened?: boolean;
  /** Encoded-file body: "text" (default, version 1, JSON lines) or "binary" (version 2: the linker loads it without JSON or base64 parsing). protocols/encoded-file.md. */
  body?: EncodedBody;
  /** Per-feature token/value cache size, per thread (default 100,000 on the main thread, WORKER_CACHE_SIZE = 0 in workers; 0 = caches off). */
  cacheSize?: number;
  /** Bytes per worker range (default: about 8 ranges per worker, 256 KiB to 4 MiB; tests use small ranges). */
  rangeBytes?: number;
}

export interface EncodeSummary {
  /** Data rows read from the CSV. */
  read: number;
  encoded: number;
  rejected: number;
  output: string;
  rejectsFile?: string;
  seconds: number;
  /** Worker threads used (0 = main thread). */
  workers: number;
  /** Feature → records whose bad value of it was encoded as missing (onBadField "missing"). */
  missingFields: Record<string, number>;
  /** Features declared absent (encoded as missing in every record). */
  absent: string[];
  /** Mean share of the l bits set per encoded CLK (0..1). */
  meanFill: number;
  /** Things the user should look at (dense filters...); also printed by the CLI. */
  warnings: string[];
  /** False when the schema has no p20link.hardening section (clkhash-compatible CLKs, open to the attacks in docs/attacks.md). */
  hardened?: boolean;
}

export interface PreparedEncode {
  schema: LinkageSchema;
  ext: P20linkExtension;
}

/** What describes one agency's file rather than the shared encoding (none of it is in the schema fingerprint). */
export interface AgencyFile {
  /** Features this agency does not collect: encoded as missing in every record, listed in the header (CLI --absent; --map feature= does the same). */
  absent?: string[];
  /** The agency's CSV dialect, over the schema's p20link.csv (CLI --delimiter, --trim / --no-trim), and its character encoding (CLI --encoding: utf-8, the default, or windows-1252). */
  csv?: { delimiter?: string; trim?: boolean; encoding?: string };
  /**
   * How the agency's file writes its dates (CLI --date-layout): these layouts
   * in place of the schema's `from` for every `date` step (src/normalize/dates.ts
   * DATE_LAYOUTS). The dates hash the same.
   */
  dateLayouts?: string[];
  /** Values that stand for a missing value in the agency's file (CLI --missing-values: NULL, . …): read as empty fields. */
  missingValues?: string[];
  /** The year two-digit years are read up to (default: the current year, UTC; encodeFile: the year of createdAt). */
  pivotYear?: number;
}

/** Load the schema and its p20link extension, apply --map overrides and what describes the agency's file (AgencyFile). */
export async function prepareEncode(schema: LinkageSchema | string, map?: Record<string, string>, idColumn?: string, agency: AgencyFile = {}): Promise<PreparedEncode> {
  const s = typeof schema === 'string' ? await loadLinkageSchema(schema) : schema;
  let ext = applyColumnMap(parseExtension(s.p20link, s.source, s), s, map);
  ext = applyCsvDialect(applyAbsent(ext, s, agency.absent), agency.csv);
  ext = applyDateLayouts(ext, agency.dateLayouts, agency.pivotYear ?? new Date().getUTCFullYear());
  ext = applyMissingValues(ext, agency.missingValues);
  if (idColumn !== undefined) {
    if (idColumn.length === 0) throw new P20Error('ENCODE_OPTIONS', 'the column name is empty', {}, { hint: { id: 'subject', option: 'id-column' } });
    if (ext.passThrough.includes(idColumn)) throw new P20Error('ENCODE_OPTIONS', 'that column is already a pass-through column', {}, { hint: { id: 'subject', option: 'id-column', value: idColumn } });
    ext = { ...ext, recordId: idColumn };
  }
  return { schema: s, ext };
}

function checkOptions(opts: EncodeOptions): BadRowPolicy {
  const policy = opts.onBadRow ?? 'fail';
  if (policy !== 'fail' && policy !== 'reject') throw new P20Error('ENCODE_OPTIONS', 'must be "fail" or "reject"', {}, { hint: { id: 'lead', option: 'on-bad-row' } });
  if (policy === 'reject' && !opts.rejectsFile) {
    throw new P20Error('ENCODE_OPTIONS', 'rejecting bad rows needs a rejects file (bad rows are written there, never dropped silently)', {}, { hint: { id: 'rejects-needed', option: 'rejects' } });
  }
  if (policy === 'fail' && opts.rejectsFile) throw new P20Error('ENCODE_OPTIONS', 'a rejects file is only used when bad rows are rejected', {}, { hint: { id: 'rejects-only-with-reject', option: 'rejects' } });
  if (!PARTY_NAME.test(opts.party)) {
    throw new P20Error('ENCODE_OPTIONS', `party name ${JSON.stringify(opts.party)} must be letters, digits, "_", "." or "-" (at most 64, starting with a letter or digit)`, {});
  }
  const paths = [opts.input, opts.output, opts.rejectsFile].filter((p): p is string => p !== undefined).map((p) => resolve(p));
  if (new Set(paths).size !== paths.length) throw new P20Error('ENCODE_OPTIONS', 'input, output and rejects file must be three different files', {});
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 0 || opts.workers > 64)) {
    throw new P20Error('ENCODE_OPTIONS', 'must be an integer from 0 to 64', {}, { hint: { id: 'lead', option: 'workers' } });
  }
  if (opts.secret.length === 0) throw new P20Error('ENCODE_OPTIONS', 'the linkage secret is empty', {});
  if (opts.body !== undefined && opts.body !== 'text' && opts.body !== 'binary') throw new P20Error('ENCODE_OPTIONS', 'must be "text" or "binary"', {}, { hint: { id: 'lead', option: 'body' } });
  if (opts.onBadField !== undefined && opts.onBadField !== 'row' && opts.onBadField !== 'missing') {
    throw new P20Error('ENCODE_OPTIONS', 'must be "row" or "missing"', {}, { hint: { id: 'lead', option: 'on-bad-field' } });
  }
  return policy;
}

async function chooseWorkers(opts: EncodeOptions): Promise<number> {
  if (opts.workers !== undefined) return opts.workers;
  try {
    const s = await stat(opts.input);
    if (s.size < SMALL_INPUT_BYTES) return 0;
  } catch {
    return 0; // openCsv reports the problem
  }
  // Workers parse their own byte ranges; the main thread only splits, checks ids and writes (a small share of the CPU):
  // one worker per core (1..8). On an idle 2-core machine a second worker took a 181,539-row K-12 file from 21.6 to
  // 13.6 s (session 17); the earlier "one per core but one" had been measured on a machine busy with other work.
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/**
 * Input bytes per worker range. A range's result (its encoded bytes) is held
 * until it is written, and an encoded row can be 25 times its CSV row (CLK
 * and evidence filters in base64 against a short row), so ranges are sized
 * by their output: about 2 MiB of output each once the first ranges have
 * shown the ratio (64 KiB of input until then), at most 4 MiB of input,
 * and about 8 ranges per worker on small inputs. With 2 x workers + 1 ranges
 * in flight that bounds the results held to a few MiB per worker.
 */
class RangeSizer {
  private inBytes = 0;
  private outBytes = 0;
  constructor(
    private readonly size: number,
    private readonly workers: number,
  ) {}
  seen(input: number, output: number): void {
    this.inBytes += input;
    this.outBytes += output;
  }
  target(): number {
    const spread = Math.ceil(this.size / (8 * this.workers));
    const byOutput = this.inBytes > 0 && this.outBytes > 0 ? Math.floor(((2 << 20) * this.inBytes) / this.outBytes) : 64 << 10;
    return Math.max(16 << 10, Math.min(4 << 20, spread, byOutput));
  }
}

const REJECT_COLUMNS = ['rejected_line', 'rejected_column', 'rejected_reason'];

async function checkOutputDir(path: string): Promise<void> {
  const dir = dirname(resolve(path));
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new Error('ENOTDIR');
  } catch {
    throw new P20Error('ENCODE_OUTPUT', `cannot write here: directory ${dir} does not exist`, { file: path });
  }
}

/** One overwrite policy for every output (as unpack, keygen and secret): an existing file is refused unless --force. */
async function checkNotExisting(path: string, what: string, force: boolean | undefined): Promise<void> {
  if (force) return;
  let exists = true;
  try {
    await lstat(path);
  } catch {
    exists = false;
  }
  if (exists) throw new P20Error('ENCODE_OUTPUT_EXISTS', `${what} already exists; refusing to overwrite it`, { file: path }, { hint: { id: 'force-to-replace', option: 'force' } });
}

/** A file-system error while writing, as a P20Error naming the file (never a stack trace): environment errors exit 3. */
function writeError(e: unknown, output: string, rejects: string | undefined): unknown {
  if (e instanceof P20Error) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string' && typeof err.path === 'string') {
    const file = rejects && err.path.includes(rejects.split('/').pop()!) ? rejects : output;
    return fsError(e, file, 'cannot write');
  }
  return e;
}

/**
 * Encode one CSV extract into an encoded file. See the module comment. Its
 * refusals are all of kind `input` (encode has no "check failed" outcome)
 * unless the environment failed.
 */
export async function encodeFile(opts: EncodeOptions): Promise<EncodeSummary> {
  return encodeFileInner(opts);
}

async function encodeFileInner(opts: EncodeOptions): Promise<EncodeSummary> {
  const started = process.hrtime.bigint();
  const policy = checkOptions(opts);
  const { schema, ext } = await prepareEncode(opts.schema, opts.map, opts.idColumn, { ...opts, pivotYear: (opts.createdAt ?? new Date()).getUTCFullYear() });
  if (ext.hardening === undefined && opts.allowUnhardened !== true) {
    throw new P20Error(
      'ENCODE_UNHARDENED',
      'the schema has no p20link.hardening section: its encodings are clkhash-compatible, and a linker holding a similar plaintext population can re-identify many names from them (docs/hardening.md); encode with it only with the allow-unhardened option',
      { ...(typeof opts.schema === 'string' ? { file: opts.schema } : {}), field: 'p20link.hardening' },
      { hint: { id: 'use-option', option: 'allow-unhardened' } },
    );
  }
  const dateChecks = resolveDateChecks(ext, schema, opts.dateRange, opts.createdAt);
  const file = opts.input;
  const progress = opts.progress ?? silentProgress;
  await checkOutputDir(opts.output);
  if (opts.rejectsFile) await checkOutputDir(opts.rejectsFile);
  await checkNotExisting(opts.output, 'the output file', opts.force);
  if (opts.rejectsFile) await checkNotExisting(opts.rejectsFile, 'the rejects file', opts.force);

  const table = await openCsv(file, {
    file,
    delimiter: ext.csv.delimiter,
    trim: ext.csv.trim,
    ...(ext.csv.encoding ? { encoding: ext.csv.encoding } : {}),
    invalidUtf8: 'replace',
    allowRaggedRows: true,
    batchSize: BATCH_ROWS,
  });
  const header = table.header;
  const plan = planColumns(header, schema, ext, file);
  const nWorkers = await chooseWorkers(opts);
  // Workers hash without token caches unless asked (WORKER_CACHE_SIZE: they bought no speed and cost memory per worker).
  const cacheSize = opts.cacheSize ?? (nWorkers > 0 ? WORKER_CACHE_SIZE : undefined);
  const setup: RowEncoderSetup = { schema, ext, header, plan, secret: opts.secret, badField: opts.onBadField ?? 'row', dateChecks, ...(cacheSize !== undefined ? { cacheSize } : {}) };
  const body: EncodedBody = opts.body ?? 'text';

  let writer: EncodedWriter | undefined;
  let rejects: AtomicFile | undefined;
  let pool: WorkerPool<RangeTask, RangeResult> | undefined;
  let read = 0;
  let encoded = 0;
  let rejected = 0;
  // Duplicate ids: a compact set of 64-bit id hashes plus a spill file for the exact check (src/encode/id-set.ts).
  let seenIds: IdSet | undefined;
  const missingCounts = new Array<number>(schema.features.length).fill(0);
  const featureCounts: BatchResult['featureCounts'] = [];
  let ones = 0;
  try {
    writer = createEncodedWriter(opts.output, {
      tool: TOOL_ID,
      createdAt: (opts.createdAt ?? new Date()).toISOString(),
      party: opts.party,
      schemaFingerprint: schemaFingerprint(schema),
      keyCheckValue: keyCheckValue(opts.secret),
      l: hardenedLength(ext.hardening, schema.clkConfig.l),
      blockColumns: ext.blocking.map((b) => b.name),
      passColumns: ext.passThrough,
      ...(ext.absent && ext.absent.length > 0 ? { absentFeatures: ext.absent } : {}),
      ...evidenceHeader(ext), // evidence filters + presence byte (src/encode/evidence.ts): the header must declare what every record carries
    }, opts.body !== undefined ? { body: opts.body } : {});
    seenIds = createIdSet({ near: opts.output });
    if (policy === 'reject') {
      rejects = openAtomic(opts.rejectsFile!, 0o600);
      await rejects.write(csvLine([...REJECT_COLUMNS, ...header]));
    }

    /** One batch or range of rows, in input order: `lineOf(i)` the file line of row i, `fieldsOf(f)` the fields of the f-th bad row. */
    const handle = async (lineOf: (i: number) => number, fieldsOf: (f: number) => readonly string[], n: number, res: BatchResult) => {
      let k = 0;
      let f = 0;
      for (let i = 0; i < n; i++) {
        const line = lineOf(i);
        if (res.ok[i] === 1) {
          const id = res.ids[k++]!;
          const prev = seenIds!.add(id, line);
          if (prev !== undefined) {
            throw new P20Error('ENCODE_DUPLICATE_ID', `duplicate record id (same id as line ${prev}); record ids must be unique within a file`, {
              file,
              line,
              field: ext.recordId,
            });
          }
        } else {
          const r = res.failures[f]!;
          if (policy === 'reject') {
            await rejects!.write(csvLine([String(line), r.column, r.reason, ...fieldsOf(f)]));
            rejected++;
          } else {
            throw new P20Error('ENCODE_BAD_ROW', r.reason, { file, line, field: r.column }, { hint: { id: 'bad-row', option: 'on-bad-row' } });
          }
          f++;
        }
      }
      // The good rows, already serialized (by a worker or inline), in input order.
      await writer!.writeEncoded(res.bytes, res.ids.length);
      encoded += res.ids.length;
      ones += res.ones;
      for (let j = 0; j < res.missing.length; j++) missingCounts[j]! += res.missing[j]!;
      mergeFeatureCounts(featureCounts, res.featureCounts);
      progress.update(read);
    };

    if (nWorkers === 0) {
      // Main thread: stream the CSV, encode batch by batch.
      const enc = createRowEncoder(setup);
      const ser = new EncodedRecordSerializer(body, enc.l);
      const features = setup.schema.features.length;
      for await (const batch of table.batches) {
        read += batch.length;
        const rows = batch.map((r) => r.fields);
        const res = encodeBatch(enc, rows, ser, features, true); // the writer keeps the bytes: no copy
        await handle((i) => batch[i]!.line, (f) => rows[res.failures[f]!.index]!, batch.length, res);
      }
    } else {
      // Workers: each parses and encodes its own byte range; results are handled in order.
      table.close();
      const size = (await stat(file)).size;
      pool = new WorkerPool<RangeTask, RangeResult>(workerUrl(import.meta.url, './worker.js'), nWorkers, {
        name: 'encode worker',
        resourceLimits: { maxYoungGenerationSizeMb: ENCODE_WORKER_YOUNG_GEN_MB },
        workerData: { kind: 'p20link-encode', setup, body, input: resolve(file), file, csv: ext.csv } satisfies WorkerSetup,
      });
      let lineBase = 0; // file line = relative line + lineBase
      const handleRange = async (res: RangeResult) => {
        read += res.rows;
        const base = lineBase;
        await handle((i) => res.lines[i]! + base, (f) => res.badFields[f]!, res.rows, res);
        if (res.error) {
          const loc = res.error.location;
          throw new P20Error(res.error.code as ErrorCode, res.error.detail, { ...loc, ...(loc.line !== undefined ? { line: loc.line + base } : {}) }, res.error.hint !== undefined ? { hint: res.error.hint as ErrorHint } : {});
        }
        lineBase += res.nextLine - 1;
      };
      const inflight: { p: Promise<RangeResult>; bytes: number }[] = [];
      const maxInflight = 2 * nWorkers + 1;
      const sizer = new RangeSizer(size, nWorkers);
      const next = async () => {
        const r = inflight.shift()!;
        const res = await r.p;
        sizer.seen(r.bytes, res.bytes.length);
        await handleRange(res);
      };
      for (const [start, end] of csvSplitPoints(file, opts.rangeBytes ?? (() => sizer.target()))) {
        const p = pool.request({ start, end, header: start === 0 });
        p.catch(() => {}); // awaited in order below
        inflight.push({ p, bytes: end - start });
        while (inflight.length >= maxInflight) await next();
      }
      while (inflight.length > 0) await next();
    }
    if (read === 0) {
      throw new P20Error('ENCODE_NO_ROWS', 'the file has a header but no data rows; nothing to encode', { file, line: 2 });
    }
    if (encoded === 0) {
      // Keep the rejects file: it is what the user needs to fix the extract.
      await rejects?.commit();
      rejects = undefined;
      throw new P20Error('ENCODE_ALL_REJECTED', `all ${read} rows were rejected (see ${opts.rejectsFile}); no encoded file written`, { file });
    }
    await writer.commit();
    if (rejects) await rejects.commit();
  } catch (e) {
    await writer?.abort();
    await rejects?.abort();
    throw writeError(e, opts.output, opts.rejectsFile);
  } finally {
    seenIds?.close();
    table.close();
    await pool?.close();
    progress.finish();
  }
  return {
    read,
    encoded,
    rejected,
    output: opts.output,
    ...(opts.rejectsFile ? { rejectsFile: opts.rejectsFile } : {}),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    workers: nWorkers,
    ...summaryFigures(schema, ext, { missing: missingCounts, ones, read, encoded, features: featureCounts }),
    hardened: ext.hardening !== undefined,
  };
}

/** What the summary says of a run's counts: fields encoded as missing, the CLKs' fill, and the warnings (dense filters, a frequent placeholder, dates in another layout, a frequent date). */
function summaryFigures(
  schema: LinkageSchema,
  ext: P20linkExtension,
  c: { missing: number[]; ones: number; read: number; encoded: number; features: readonly (FeatureCounts | undefined)[] },
): Pick<EncodeSummary, 'missingFields' | 'absent' | 'meanFill' | 'warnings'> {
  const { ones, encoded } = c;
  const l = hardenedLength(ext.hardening, schema.clkConfig.l);
  const missingFields: Record<string, number> = {};
  c.missing.forEach((n, k) => {
    if (n > 0) missingFields[schema.features[k]!.identifier] = n;
  });
  const meanFill = encoded > 0 && l > 0 ? ones / encoded / l : 0;
  const warnings: string[] = [];
  if (meanFill > FILL_WARNING) {
    warnings.push(
      `the CLKs are dense: on average ${(meanFill * 100).toFixed(1)} % of the ${l} bits are set (above ${FILL_WARNING * 100} %), so unrelated records share many bits and score high; ` +
        'lower bitsPerToken / bitsPerFeature or raise clkConfig.l in the schema',
    );
  }
  // the birth date read and left empty in more than a tenth of the records (a feature declared absent is not read: the agency knows)
  const noDate = c.features[schema.features.findIndex((f) => f.identifier === DATE_FEATURE)]?.empty ?? 0;
  if (manyWithoutDate(noDate, encoded)) {
    warnings.push(
      `${DATE_FEATURE}: ${formatCount(noDate)} of the ${formatCount(encoded)} records (${Math.round((100 * noDate) / encoded)} %) hold none: the linker links those records on names, sex, ZIP and middle initial alone, so a changed or misspelt name among them is seldom linked; ` +
        'if the file holds birth dates, check the column (--map) and its date layouts',
    );
  }
  c.features.forEach((d, k) => {
    if (!d) return;
    const feature = schema.features[k]!.identifier;
    const p = placeholderWarning(feature, d.placeholders, c.read);
    if (p) warnings.push(p);
    const w = otherLayoutWarning(feature, ext.normalize[feature] ?? [], d.layouts, c.read);
    if (w) warnings.push(w);
    const f = d.values ? frequentValue(d.values) : undefined;
    if (!f) return;
    warnings.push(
      `${feature}: one value is held by ${f.count} of the ${f.records} records that have one (${((100 * f.count) / f.records).toFixed(1)} %, ` +
        `${f.ratio >= 1000 ? 'over 1,000' : Math.round(f.ratio)} times the average of the others): if it stands for an unknown date, declare it with the missing-values option ` +
        '(or in the schema, a "missing" normalize step before "date"): a placeholder links as a wrong date, which the match model takes as two people (docs/limits.md)',
    );
  });
  return { missingFields, absent: ext.absent ?? [], meanFill, warnings };
}

/** The most frequent key of `counts` with its count, when that count is at least `min` and `atLeast`; else undefined. */
function frequentEnough<K>(counts: ReadonlyMap<K, number>, min: number, atLeast: number): [K, number] | undefined {
  let top: [K, number] | undefined;
  for (const [k, c] of counts) if (top === undefined || c > top[1]) top = [k, c];
  return top !== undefined && top[1] >= min && top[1] >= atLeast ? top : undefined;
}

/** A known placeholder of a missing value (PLACEHOLDERS) hashed as a value or refused in at least PLACEHOLDER_MIN rows and PLACEHOLDER_SHARE of the rows read is named in the summary's warnings. */
export const PLACEHOLDER_MIN = 20;
export const PLACEHOLDER_SHARE = 0.005;

/** The warning of a feature whose most frequent known placeholder passes the bounds, or undefined. It names the placeholder (one of a fixed list, never data). */
export function placeholderWarning(feature: string, placeholders: ReadonlyMap<string, number>, read: number): string | undefined {
  const f = frequentEnough(placeholders, PLACEHOLDER_MIN, PLACEHOLDER_SHARE * read);
  if (!f) return undefined;
  const [top, n] = f;
  return (
    `${feature}: ${formatCount(n)} values (${((100 * n) / read).toFixed(1)} % of the rows) are ${JSON.stringify(top)}, which files write for a missing value; ` +
    'read as a value it is hashed as one (records of different people then agree on it) or refused: if it means "no value" here, declare it with the missing-values option'
  );
}

/** Refused dates that one other layout reads, in at least LAYOUT_MIN rows and LAYOUT_SHARE of the rows read, are named in the summary's warnings (a file in another layout, read under the error policies that go on). */
export const LAYOUT_MIN = 5;
export const LAYOUT_SHARE = 0.01;

/**
 * The warning of a feature whose refused dates another layout reads (the
 * most frequent such layout), or undefined. When that layout reads the
 * day first and the accepted ones the month first (or the reverse), the
 * dates that were accepted are likely wrong too: day and month swapped.
 */
export function otherLayoutWarning(feature: string, steps: readonly NormalizeStep[], layouts: ReadonlyMap<string, number>, read: number): string | undefined {
  const f = frequentEnough(layouts, LAYOUT_MIN, LAYOUT_SHARE * read);
  if (!f) return undefined;
  const [top, n] = f;
  const from = steps.flatMap((st) => (st.step === 'date' ? st.from : []));
  const crossed = (a: readonly DateLayout[], b: readonly DateLayout[]) => a.includes(top as DateLayout) && from.some((l) => b.includes(l));
  const swapped = crossed(DAY_FIRST_LAYOUTS, MONTH_FIRST_LAYOUTS) || crossed(MONTH_FIRST_LAYOUTS, DAY_FIRST_LAYOUTS);
  return (
    `${feature}: ${formatCount(n)} dates (${((100 * n) / read).toFixed(1)} % of the rows) were refused, and ${top} reads them: if the file writes its dates so, name that layout with the date-layout option and encode again` +
    (swapped ? ' (then the dates this run accepted, those whose day is 12 or less, were read with day and month swapped)' : '')
  );
}

/** A value held by at least FREQUENT_MIN records and FREQUENT_FACTOR times the average count of the feature's other values is named in the summary's warnings (a placeholder date). */
export const FREQUENT_MIN = 20;
export const FREQUENT_FACTOR = 10;

/** The most frequent value of `counts` when it stands out (FREQUENT_MIN, FREQUENT_FACTOR): its count, the records counted and its count over the others' average (Infinity: the only value). */
export function frequentValue(counts: ReadonlyMap<unknown, number>): { count: number; records: number; ratio: number } | undefined {
  let top = 0;
  let records = 0;
  for (const n of counts.values()) {
    records += n;
    if (n > top) top = n;
  }
  if (top < FREQUENT_MIN) return undefined;
  const others = counts.size > 1 ? (records - top) / (counts.size - 1) : 0;
  const ratio = others > 0 ? top / others : Number.POSITIVE_INFINITY;
  return ratio >= FREQUENT_FACTOR ? { count: top, records, ratio } : undefined;
}

/** The summary the CLI prints on stderr: one line, then one "p20link: warning: ..." line per warning. */
export function formatSummary(s: EncodeSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.read / s.seconds) : s.read;
  let line = `p20link encode: read ${s.read}, encoded ${s.encoded}, rejected ${s.rejected} → ${s.output} (${s.seconds.toFixed(1)} s, ${rate} rows/s)`;
  if (s.rejectsFile && s.rejected > 0) line += `; rejected rows (with PII — keep on premises) in ${s.rejectsFile}`;
  const missing = Object.entries(s.missingFields ?? {});
  if (missing.length > 0) line += `; bad values encoded as missing: ${missing.map(([f, n]) => `${f} ${n}`).join(', ')}`;
  if (s.absent && s.absent.length > 0) line += `; absent: ${s.absent.join(', ')}`;
  for (const w of s.warnings ?? []) line += `\np20link: warning: ${w}`;
  if (s.hardened === false) line += '\np20link: warning: this schema has no p20link.hardening section: the encodings are clkhash-compatible but a linker holding a similar plaintext population can re-identify many names from them (docs/hardening.md; measure with p20link assess)';
  return line;
}
