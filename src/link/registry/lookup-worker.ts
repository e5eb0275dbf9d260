import { parentPort, workerData } from 'node:worker_threads';
import { openLinkerStore } from '../../store/linker-store.js';
import { SqliteRegistryStorage } from './sqlite-storage.js';

/**
 * A second reader of the persistent blocking index (SqliteRegistryStorage.lookupBandKeys
 * with a large key set): opens the store read-only (WAL: it reads beside the
 * main connection), looks up the keys it is sent, and answers with every hit
 * as (key, record number) pairs in one transferred Float64Array.
 */
const { path, cacheMiB } = workerData as { path: string; cacheMiB: number };
const storage = new SqliteRegistryStorage(openLinkerStore(path, { readOnly: true }), { ownsDb: true, cacheMiB });
parentPort!.on('message', (msg: { keys: Float64Array; maxRows?: number }) => {
  let out = new Float64Array(1 << 16);
  let n = 0;
  storage.lookupBandKeysSync(msg.keys, (key, rid) => {
    if (n + 2 > out.length) {
      const grown = new Float64Array(out.length * 2);
      grown.set(out);
      out = grown;
    }
    out[n++] = key;
    out[n++] = rid;
  }, msg.maxRows);
  const hits = out.slice(0, n);
  storage.close();
  parentPort!.postMessage({ hits }, [hits.buffer]);
});
