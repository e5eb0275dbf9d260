import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/util/worker-pool.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-pool-');

/** A worker speaking the pool's protocol: squares numbers, fails on negatives, dies on 13; optional init. */
function workerFile(withInit: boolean): URL {
  const file = join(dir, withInit ? 'init-worker.mjs' : 'worker.mjs');
  writeFileSync(
    file,
    `import { parentPort, workerData, resourceLimits } from 'node:worker_threads';
let offset = ${withInit ? 'undefined' : '(workerData && workerData.offset) || 0'};
parentPort.on('message', (m) => {
  if (m.type === 'init') { offset = m.offset + m.slot * 0; parentPort.postMessage({ type: 'ready' }); return; }
  if (m.task === 13) process.exit(3);
  if (m.task === 'limits') { parentPort.postMessage({ type: 'result', id: m.id, result: resourceLimits.maxYoungGenerationSizeMb }); return; }
  if (m.task < 0) { parentPort.postMessage({ type: 'error', id: m.id, message: 'negative' }); return; }
  setTimeout(() => parentPort.postMessage({ type: 'result', id: m.id, result: m.task * m.task + offset }), (m.task * 7) % 5);
});
`,
  );
  return pathToFileURL(file);
}

describe('WorkerPool (the one worker pool of encode and link)', () => {
  it('runs every task once and resolves each request with its own result, in any completion order', async () => {
    const pool = new WorkerPool<number, number>(workerFile(false), 3, { name: 'test worker', workerData: { offset: 1 } });
    try {
      const xs = Array.from({ length: 40 }, (_, i) => i + 20);
      expect(await Promise.all(xs.map((x) => pool.request(x)))).toEqual(xs.map((x) => x * x + 1));
    } finally {
      await pool.close();
    }
  });

  it('sends each worker its init message and waits for ready', async () => {
    const pool = new WorkerPool<number, number>(workerFile(true), 2, { name: 'test worker', init: (slot) => ({ type: 'init', slot, offset: 100 }) });
    try {
      await pool.ready();
      expect(await pool.request(3)).toBe(109);
    } finally {
      await pool.close();
    }
  });

  it('a task error rejects that request only; a crashed worker fails every pending and later request', async () => {
    const pool = new WorkerPool<number, number>(workerFile(false), 2, { name: 'test worker' });
    try {
      await expect(pool.request(-1)).rejects.toThrow(/test worker: negative/);
      expect(await pool.request(4)).toBe(16);
      await expect(pool.request(13)).rejects.toThrow(/exited with status 3/);
      await expect(pool.request(2)).rejects.toThrow(/exited with status 3/);
    } finally {
      await pool.close();
    }
  });

  it('gives each worker the V8 heap limits it is asked for (the encoder caps the young generation)', async () => {
    const pool = new WorkerPool<number | string, number>(workerFile(false), 2, { name: 'test worker', resourceLimits: { maxYoungGenerationSizeMb: 12 } });
    try {
      expect(await Promise.all([pool.request('limits'), pool.request('limits')])).toEqual([12, 12]);
    } finally {
      await pool.close();
    }
  });
});
