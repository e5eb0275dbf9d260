/**
 * Worker-thread entry of the encode pipeline. It receives the schema,
 * extension, column plan and secret once (workerData, in-process memory
 * only), then encodes batches of CSV rows and posts back, per batch, the
 * finished encoded-file body bytes of its good rows (transferred, not
 * copied) with their ids and the bad rows (encodeBatch). The pipeline writes batches in submission order, so the
 * output is identical to a single-threaded run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EncodedRecordSerializer, type EncodedBody } from '../format/encoded-file.js';
import { createRowEncoder, encodeBatch, type BatchResult, type RowEncoderSetup } from './row-encoder.js';
import type { PoolReply, PoolTaskMessage } from '../util/worker-pool.js';

/** A task is one batch of CSV rows; the result its encoded bytes (src/util/worker-pool.ts protocol). */
export type WorkerRequest = PoolTaskMessage<string[][]>;
export type WorkerResponse = PoolReply<BatchResult>;

/** What the pipeline gives each worker once. */
export interface WorkerSetup {
  kind: 'p20link-encode';
  setup: RowEncoderSetup;
  body: EncodedBody;
}

if (parentPort && (workerData as { kind?: string } | null)?.kind === 'p20link-encode') {
  const port = parentPort;
  let encoder: ReturnType<typeof createRowEncoder> | undefined;
  let ser: EncodedRecordSerializer | undefined;
  let features = 0;
  let setupError: string | undefined;
  try {
    const wd = workerData as WorkerSetup;
    encoder = createRowEncoder(wd.setup);
    ser = new EncodedRecordSerializer(wd.body, encoder.l);
    features = wd.setup.schema.features.length;
  } catch (e) {
    setupError = e instanceof Error ? e.message : 'worker setup failed';
  }
  port.on('message', (msg: WorkerRequest) => {
    if (!encoder) {
      port.postMessage({ type: 'error', id: msg.id, message: setupError ?? 'worker setup failed' } satisfies WorkerResponse);
      return;
    }
    try {
      const result = encodeBatch(encoder, msg.task, ser!, features);
      port.postMessage({ type: 'result', id: msg.id, result } satisfies WorkerResponse, [result.bytes.buffer as ArrayBuffer]);
    } catch (e) {
      port.postMessage({ type: 'error', id: msg.id, message: e instanceof Error ? e.message : 'encoding failed' } satisfies WorkerResponse);
    }
  });
}
