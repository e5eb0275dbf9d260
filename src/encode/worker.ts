/**
 * Worker-thread entry of the encode pipeline. It receives the schema,
 * extension, column plan, secret, input path and CSV dialect once
 * (workerData, in-process memory only). Each task is a byte range of the
 * input that starts at a record boundary (src/io/csv.ts csvSplitPoints): the
 * worker reads and parses that range itself, normalizes and encodes its rows
 * and posts back the finished encoded-file body bytes of the good rows
 * (transferred, not copied), their ids and relative line numbers, and the
 * bad rows. Line numbers are relative to the range (the first line of the
 * range is 1) and the pipeline, which handles ranges strictly in order,
 * turns them into the file's; so the output and every message are the same
 * as a single-threaded run's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { P20Error } from '../errors.js';
import { openCsvRange, type CsvEncoding } from '../io/csv.js';
import { EncodedRecordSerializer, type EncodedBody } from '../format/encoded-file.js';
import { createRowEncoder, encodeBatch, mergeFeatureCounts, type BatchResult, type RowEncoderSetup } from './row-encoder.js';
import type { PoolReply, PoolTaskMessage } from '../util/worker-pool.js';
import { concatTyped } from '../util/typed-arrays.js';

/** One byte range of the input: [start, end); `header` when it holds the header record (dropped). */
export interface RangeTask {
  start: number;
  end: number;
  header: boolean;
}

/** A P20Error raised while parsing a range, with its line relative to the range. */
export interface RangeParseError {
  code: string;
  detail: string;
  location: { file?: string; line?: number; field?: string };
  hint?: unknown;
}

/** What a range gives back: the batch result of its rows, their relative lines, the raw fields of its bad rows. */
export interface RangeResult extends BatchResult {
  /** Data rows read in the range. */
  rows: number;
  /** Relative line of every row (1 = the range's first line). */
  lines: Uint32Array;
  /** The fields of each bad row (failures order), for the rejects file. */
  badFields: string[][];
  /** The line after the range, relative (the next range's first line is this minus 1 plus this range's first). */
  nextLine: number;
  /** A parse error after the rows above (the run stops there). */
  error?: RangeParseError;
}

export type WorkerRequest = PoolTaskMessage<RangeTask>;
export type WorkerResponse = PoolReply<RangeResult>;

/** What the pipeline gives each worker once. */
export interface WorkerSetup {
  kind: 'p20link-encode';
  setup: RowEncoderSetup;
  body: EncodedBody;
  input: string;
  /** Name used in messages (the input path as given). */
  file: string;
  csv: { delimiter: string; trim: boolean; encoding?: CsvEncoding };
}

/** Records per parser batch inside a range. */
const PARSE_BATCH = 2048;

/** Parse and encode one range (also used on the main thread by tests). */
export async function encodeRange(
  wd: WorkerSetup,
  enc: ReturnType<typeof createRowEncoder>,
  ser: EncodedRecordSerializer,
  task: RangeTask,
): Promise<RangeResult> {
  const features = wd.setup.schema.features.length;
  // Encoded batch by batch as the parser yields them (rows die young), then joined.
  const bytes: Uint8Array[] = [];
  const ok: Uint8Array[] = [];
  const ids: string[] = [];
  const failures: RangeResult['failures'] = [];
  const badFields: string[][] = [];
  const missing = new Array<number>(features).fill(0);
  const featureCounts: RangeResult['featureCounts'] = [];
  const lines: number[] = [];
  let ones = 0;
  let rows = 0;
  let nextLine = 1;
  let error: RangeParseError | undefined;
  let header = task.header;
  const encode = (batch: readonly string[][]) => {
    const res = encodeBatch(enc, batch, ser, features);
    bytes.push(res.bytes);
    ok.push(res.ok);
    for (const id of res.ids) ids.push(id);
    for (const f of res.failures) {
      failures.push({ ...f, index: f.index + rows });
      badFields.push(batch[f.index]!);
    }
    for (let j = 0; j < features; j++) missing[j]! += res.missing[j]!;
    mergeFeatureCounts(featureCounts, res.featureCounts);
    ones += res.ones;
    rows += batch.length;
  };
  try {
    const batches = openCsvRange(wd.input, task.start, task.end, {
      file: wd.file,
      delimiter: wd.csv.delimiter,
      trim: wd.csv.trim,
      ...(wd.csv.encoding ? { encoding: wd.csv.encoding } : {}),
      invalidUtf8: 'replace',
      batchSize: PARSE_BATCH,
      startLine: 1,
      onEnd: (n) => {
        nextLine = n;
      },
    });
    for await (const batch of batches) {
      const fields: string[][] = [];
      for (const r of batch) {
        if (header) {
          header = false;
          continue;
        }
        fields.push(r.fields);
        lines.push(r.line);
      }
      encode(fields);
    }
  } catch (e) {
    if (!(e instanceof P20Error)) throw e;
    error = { code: e.code, detail: e.detail, location: { ...e.location }, ...(e.hint !== undefined ? { hint: e.hint } : {}) };
  }
  return {
    bytes: join(bytes),
    ok: join(ok),
    ids,
    failures,
    ones,
    missing,
    featureCounts,
    rows,
    lines: Uint32Array.from(lines),
    badFields,
    nextLine,
    ...(error ? { error } : {}),
  };
}

/** The arrays one after the other, in a fresh buffer (transferable). */
function join(parts: readonly Uint8Array[]): Uint8Array {
  return concatTyped(parts, (n) => new Uint8Array(n));
}

if (parentPort && (workerData as { kind?: string } | null)?.kind === 'p20link-encode') {
  const port = parentPort;
  const wd = workerData as WorkerSetup;
  let encoder: ReturnType<typeof createRowEncoder> | undefined;
  let ser: EncodedRecordSerializer | undefined;
  let setupError: string | undefined;
  try {
    encoder = createRowEncoder(wd.setup);
    ser = new EncodedRecordSerializer(wd.body, encoder.l);
  } catch (e) {
    setupError = e instanceof Error ? e.message : 'worker setup failed';
  }
  port.on('message', (msg: WorkerRequest) => {
    if (!encoder) {
      port.postMessage({ type: 'error', id: msg.id, message: setupError ?? 'worker setup failed' } satisfies WorkerResponse);
      return;
    }
    encodeRange(wd, encoder, ser!, msg.task).then(
      (result) => port.postMessage({ type: 'result', id: msg.id, result } satisfies WorkerResponse, [result.bytes.buffer as ArrayBuffer, result.lines.buffer as ArrayBuffer]),
      (e: unknown) => port.postMessage({ type: 'error', id: msg.id, message: e instanceof Error ? e.message : 'encoding failed' } satisfies WorkerResponse),
    );
  });
}
