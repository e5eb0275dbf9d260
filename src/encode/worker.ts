/**
 * Worker-thread entry of the encode pipeline. It receives the schema,
 * extension, column plan and secret once (workerData, in-process memory
 * only), then encodes batches of CSV rows and posts back one RowResult per
 * row, in order. The pipeline writes batches in submission order, so the
 * output is identical to a single-threaded run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createRowEncoder, type RowEncoderSetup, type RowResult } from './row-encoder.js';

export interface WorkerRequest {
  seq: number;
  rows: string[][];
}

export type WorkerResponse = { seq: number; results: RowResult[] } | { seq: number; error: string };

if (parentPort && (workerData as { kind?: string } | null)?.kind === 'p20link-encode') {
  const port = parentPort;
  let encoder: ReturnType<typeof createRowEncoder> | undefined;
  let setupError: string | undefined;
  try {
    encoder = createRowEncoder((workerData as { setup: RowEncoderSetup }).setup);
  } catch (e) {
    setupError = e instanceof Error ? e.message : 'worker setup failed';
  }
  port.on('message', (msg: WorkerRequest) => {
    if (!encoder) {
      port.postMessage({ seq: msg.seq, error: setupError ?? 'worker setup failed' } satisfies WorkerResponse);
      return;
    }
    try {
      const results = msg.rows.map((r) => encoder!.encodeRow(r));
      port.postMessage({ seq: msg.seq, results } satisfies WorkerResponse);
    } catch (e) {
      port.postMessage({ seq: msg.seq, error: e instanceof Error ? e.message : 'encoding failed' } satisfies WorkerResponse);
    }
  });
}
