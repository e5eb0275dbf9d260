/**
 * The agency's encode job: CSV extract in, encoded file out.
 *
 *   CSV (streamed) → column plan → per row: checks, normalization (p20link
 *   extension), clkhash-compatible CLK, keyed blocking values → encoded file
 *   (temp file, renamed on success).
 *
 * Rows are encoded in batches, by worker threads when there is more than one
 * worker; batches are written strictly in input order, so the output does not
 * depend on the number of workers. A bad row stops the run (default) or goes
 * to a rejects file; nothing is dropped silently, and the summary counts
 * read / encoded / rejected rows.
 */
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { P20Error } from '../errors.js';
import { openAtomic, type AtomicFile } from '../io/atomic-file.js';
import { csvLine, openCsv } from '../io/csv.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { createEncodedWriter, type EncodedWriter } from '../format/encoded-file.js';
import { loadLinkageSchema, schemaFingerprint } from '../schema/linkage-schema.js';
import type { LinkageSchema } from '../schema/types.js';
import { workerUrl } from '../util/worker-url.js';
import { TOOL_ID } from '../version.js';
import { applyColumnMap, parseExtension, type P20linkExtension } from './extension.js';
import { keyCheckValue } from './key-check.js';
import { createRowEncoder, planColumns, type RowEncoderSetup, type RowResult } from './row-encoder.js';
import type { WorkerRequest, WorkerResponse } from './worker.js';

/** Party labels end up in file names downstream (same rule as the linker). */
export const PARTY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Rows per batch handed to a worker. */
const BATCH_ROWS = 2048;
/** Inputs smaller than this are encoded on the main thread when `workers` is not given. */
const SMALL_INPUT_BYTES = 4 << 20;

export type BadRowPolicy = 'fail' | 'reject';

export interface EncodeOptions {
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
  /** Worker threads; 0 = encode on the main thread. Default: 0 for inputs under 4 MiB, else one per core but one (1..8). */
  workers?: number;
  progress?: Progress;
  /** Creation time written into the header (tests pin it; default now). */
  createdAt?: Date;
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
}

export interface PreparedEncode {
  schema: LinkageSchema;
  ext: P20linkExtension;
}

/** Load the schema and its p20link extension, apply --map overrides. */
export async function prepareEncode(schema: LinkageSchema | string, map?: Record<string, string>, idColumn?: string): Promise<PreparedEncode> {
  const s = typeof schema === 'string' ? await loadLinkageSchema(schema) : schema;
  let ext = applyColumnMap(parseExtension(s.p20link, s.source, s), s, map);
  if (idColumn !== undefined) {
    if (idColumn.length === 0) throw new P20Error('ENCODE_OPTIONS', '--id-column: the column name is empty', {}, 2);
    if (ext.passThrough.includes(idColumn)) throw new P20Error('ENCODE_OPTIONS', `--id-column ${idColumn}: that column is already a pass-through column`, {}, 2);
    ext = { ...ext, recordId: idColumn };
  }
  return { schema: s, ext };
}

function checkOptions(opts: EncodeOptions): BadRowPolicy {
  const policy = opts.onBadRow ?? 'fail';
  if (policy !== 'fail' && policy !== 'reject') throw new P20Error('ENCODE_OPTIONS', `--on-bad-row must be "fail" or "reject"`, {}, 2);
  if (policy === 'reject' && !opts.rejectsFile) {
    throw new P20Error('ENCODE_OPTIONS', '--on-bad-row reject needs --rejects FILE (bad rows are written there, never dropped silently)', {}, 2);
  }
  if (policy === 'fail' && opts.rejectsFile) throw new P20Error('ENCODE_OPTIONS', '--rejects is only used with --on-bad-row reject', {}, 2);
  if (!PARTY_NAME.test(opts.party)) {
    throw new P20Error('ENCODE_OPTIONS', `party name ${JSON.stringify(opts.party)} must be letters, digits, "_", "." or "-" (at most 64, starting with a letter or digit)`, {}, 2);
  }
  const paths = [opts.input, opts.output, opts.rejectsFile].filter((p): p is string => p !== undefined).map((p) => resolve(p));
  if (new Set(paths).size !== paths.length) throw new P20Error('ENCODE_OPTIONS', 'input, output and rejects file must be three different files', {}, 2);
  if (opts.workers !== undefined && (!Number.isInteger(opts.workers) || opts.workers < 0 || opts.workers > 64)) {
    throw new P20Error('ENCODE_OPTIONS', '--workers must be an integer from 0 to 64', {}, 2);
  }
  if (opts.secret.length === 0) throw new P20Error('ENCODE_OPTIONS', 'the linkage secret is empty');
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
  // The main thread parses the CSV and writes the output: leave it a core.
  return Math.max(1, Math.min(availableParallelism() - 1, 8));
}

/** Encodes batches on the main thread or on a pool of workers; results come back in submission order. */
interface BatchEncoder {
  submit(rows: string[][]): Promise<RowResult[]>;
  close(): Promise<void>;
}

function inlineEncoder(setup: RowEncoderSetup): BatchEncoder {
  const enc = createRowEncoder(setup);
  return {
    submit: async (rows) => rows.map((r) => enc.encodeRow(r)),
    close: async () => {},
  };
}

function workerPool(setup: RowEncoderSetup, n: number): BatchEncoder {
  const url = workerUrl(import.meta.url, './worker.js');
  const pending = new Map<number, { resolve: (r: RowResult[]) => void; reject: (e: Error) => void }>();
  let seq = 0;
  let broken: Error | undefined;
  const failAll = (e: Error) => {
    broken ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const workers = Array.from({ length: n }, () => {
    const w = new Worker(url, { workerData: { kind: 'p20link-encode', setup } });
    w.on('message', (m: WorkerResponse) => {
      const p = pending.get(m.seq);
      if (!p) return;
      pending.delete(m.seq);
      if ('error' in m) p.reject(new Error(`encode worker: ${m.error}`));
      else p.resolve(m.results);
    });
    w.on('error', (e) => failAll(new Error(`encode worker failed: ${e.message}`)));
    w.on('exit', (code) => {
      if (code !== 0) failAll(new Error(`encode worker exited with status ${code}`));
    });
    return w;
  });
  return {
    submit(rows) {
      if (broken) return Promise.reject(broken);
      const s = seq++;
      return new Promise<RowResult[]>((resolvePromise, reject) => {
        pending.set(s, { resolve: resolvePromise, reject });
        workers[s % n]!.postMessage({ seq: s, rows } satisfies WorkerRequest);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
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

/** A file-system error while writing, as a P20Error naming the file (never a stack trace). */
function writeError(e: unknown, output: string, rejects: string | undefined): unknown {
  if (e instanceof P20Error) return e;
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string' && typeof err.path === 'string') {
    const file = rejects && err.path.includes(rejects.split('/').pop()!) ? rejects : output;
    return new P20Error('ENCODE_WRITE', `cannot write: ${err.code}`, { file });
  }
  return e;
}

/** Encode one CSV extract into an encoded file. See the module comment. */
export async function encodeFile(opts: EncodeOptions): Promise<EncodeSummary> {
  const started = process.hrtime.bigint();
  const policy = checkOptions(opts);
  const { schema, ext } = await prepareEncode(opts.schema, opts.map, opts.idColumn);
  const file = opts.input;
  const progress = opts.progress ?? silentProgress;
  await checkOutputDir(opts.output);
  if (opts.rejectsFile) await checkOutputDir(opts.rejectsFile);

  const table = await openCsv(file, {
    file,
    delimiter: ext.csv.delimiter,
    trim: ext.csv.trim,
    invalidUtf8: 'replace',
    allowRaggedRows: true,
    batchSize: BATCH_ROWS,
  });
  const header = table.header;
  const plan = planColumns(header, schema, ext, file);
  const setup: RowEncoderSetup = { schema, ext, header, plan, secret: opts.secret };
  const nWorkers = await chooseWorkers(opts);
  const encoder = nWorkers === 0 ? inlineEncoder(setup) : workerPool(setup, nWorkers);

  let writer: EncodedWriter | undefined;
  let rejects: AtomicFile | undefined;
  let read = 0;
  let encoded = 0;
  let rejected = 0;
  const seenIds = new Map<string, number>();
  try {
    writer = createEncodedWriter(opts.output, {
      tool: TOOL_ID,
      createdAt: (opts.createdAt ?? new Date()).toISOString(),
      party: opts.party,
      schemaFingerprint: schemaFingerprint(schema),
      keyCheckValue: keyCheckValue(opts.secret),
      l: schema.clkConfig.l,
      blockColumns: ext.blocking.map((b) => b.name),
      passColumns: ext.passThrough,
    });
    if (policy === 'reject') {
      rejects = openAtomic(opts.rejectsFile!, 0o600);
      await rejects.write(csvLine([...REJECT_COLUMNS, ...header]));
    }

    const handle = async (lines: number[], rows: string[][], results: RowResult[]) => {
      for (let i = 0; i < results.length; i++) {
        const r = results[i]!;
        const line = lines[i]!;
        if (r.ok) {
          const prev = seenIds.get(r.id);
          if (prev !== undefined) {
            throw new P20Error('ENCODE_DUPLICATE_ID', `duplicate record id (same id as line ${prev}); record ids must be unique within a file`, {
              file,
              line,
              field: ext.recordId,
            });
          }
          seenIds.set(r.id, line);
          await writer!.writeRow(r.id, r.clk, r.extras);
          encoded++;
        } else if (policy === 'reject') {
          await rejects!.write(csvLine([String(line), r.column, r.reason, ...rows[i]!]));
          rejected++;
        } else {
          throw new P20Error('ENCODE_BAD_ROW', `${r.reason} (fix the row, or run with --on-bad-row reject --rejects FILE)`, { file, line, field: r.column });
        }
      }
      progress.update(read);
    };

    const inflight: { lines: number[]; rows: string[][]; results: Promise<RowResult[]> }[] = [];
    const maxInflight = Math.max(2, nWorkers * 3);
    for await (const batch of table.batches) {
      const lines = batch.map((r) => r.line);
      const rows = batch.map((r) => r.fields);
      read += batch.length;
      const results = encoder.submit(rows);
      results.catch(() => {}); // awaited in order below
      inflight.push({ lines, rows, results });
      while (inflight.length >= maxInflight) {
        const b = inflight.shift()!;
        await handle(b.lines, b.rows, await b.results);
      }
    }
    while (inflight.length > 0) {
      const b = inflight.shift()!;
      await handle(b.lines, b.rows, await b.results);
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
    await encoder.close();
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
  };
}

/** The one-line summary the CLI prints on stderr. */
export function formatSummary(s: EncodeSummary): string {
  const rate = s.seconds > 0 ? Math.round(s.read / s.seconds) : s.read;
  let line = `p20link encode: read ${s.read}, encoded ${s.encoded}, rejected ${s.rejected} → ${s.output} (${s.seconds.toFixed(1)} s, ${rate} rows/s)`;
  if (s.rejectsFile && s.rejected > 0) line += `; rejected rows (with PII — keep on premises) in ${s.rejectsFile}`;
  return line;
}
