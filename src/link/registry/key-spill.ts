import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempPathFor } from '../../io/atomic-file.js';

/** A key's bucket: its band (key / 2^32) and the top 4 bits of its 32-bit hash, so buckets in order are keys in order. */
const BUCKET = 2 ** 28;
/** Rows a bucket holds in memory before they are appended to its file. */
const BUFFER_ROWS = 4096;
/** Rows of one bucket sorted at a time (within a bucket, 2^25 row numbers stay exact beside 28 bits of key). */
const MAX_BUCKET_ROWS = 2 ** 25;

interface Bucket {
  path: string;
  buf: Float64Array;
  n: number;
  rows: number;
}

/**
 * Index rows (key, rid) held back and given back in key order with bounded
 * memory: each row goes to a bucket by its key's band and the top bits of
 * its hash, buckets are spilled to files in a private temp directory (beside
 * the store, 0700; removed by close(), or as a stale temp directory by the
 * next run if the process died), and each bucket is read back and sorted on
 * its own. A full run's store step at a million people holds about 85
 * million rows: sorted in one piece by SQLite they cost more than they
 * save, inserted part by part at random they write the index's pages again
 * and again. The rows are band keys (keyed hashes) and row numbers, no PII.
 */
export class KeySpill {
  private readonly dir: string;
  private readonly buckets = new Map<number, Bucket>();
  rows = 0;

  /** `beside`: the store's file (the directory is made beside it), or undefined for the system's temp directory. */
  constructor(beside: string | undefined) {
    this.dir = tempPathFor(beside ?? join(tmpdir(), 'p20link-index'));
    mkdirSync(this.dir, { mode: 0o700 });
  }

  add(key: number, rid: number): void {
    const id = Math.floor(key / BUCKET);
    let b = this.buckets.get(id);
    if (!b) {
      b = { path: join(this.dir, String(id)), buf: new Float64Array(2 * BUFFER_ROWS), n: 0, rows: 0 };
      this.buckets.set(id, b);
    }
    b.buf[2 * b.n] = key;
    b.buf[2 * b.n + 1] = rid;
    b.n++;
    b.rows++;
    this.rows++;
    if (b.n === BUFFER_ROWS) this.spill(b);
  }

  private spill(b: Bucket): void {
    if (b.n === 0) return;
    const fd = openSync(b.path, 'a', 0o600);
    try {
      const bytes = new Uint8Array(b.buf.buffer, 0, 16 * b.n);
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    } finally {
      closeSync(fd);
    }
    b.n = 0;
  }

  /**
   * Every row held, in ascending key order (rows of one key in the order
   * given), a bucket at a time: `fn(keys, rids, n)` with the bucket's rows
   * sorted. Memory: one bucket.
   */
  forEachSorted(fn: (keys: Float64Array, rids: Float64Array, n: number) => void): void {
    for (const id of [...this.buckets.keys()].sort((a, b) => a - b)) {
      const b = this.buckets.get(id)!;
      const rows = new Float64Array(2 * b.rows);
      const spilled = b.rows - b.n;
      if (spilled > 0) {
        const fd = openSync(b.path, 'r');
        try {
          const bytes = new Uint8Array(rows.buffer, 0, 16 * spilled);
          for (let off = 0; off < bytes.length; ) {
            const got = readSync(fd, bytes, off, bytes.length - off, off);
            if (got === 0) throw new Error(`index spill file ${b.path} is shorter than written`);
            off += got;
          }
        } finally {
          closeSync(fd);
        }
      }
      rows.set(b.buf.subarray(0, 2 * b.n), 2 * spilled);
      const base = id * BUCKET;
      const keys = new Float64Array(b.rows);
      const rids = new Float64Array(b.rows);
      for (let from = 0; from < b.rows; from += MAX_BUCKET_ROWS) {
        // key's low 28 bits × 2^25 + row number within the slice: exact in a double, one native sort
        const n = Math.min(MAX_BUCKET_ROWS, b.rows - from);
        const order = new Float64Array(n);
        for (let i = 0; i < n; i++) order[i] = (rows[2 * (from + i)]! - base) * MAX_BUCKET_ROWS + i;
        order.sort();
        for (let i = 0; i < n; i++) {
          const x = order[i]! % MAX_BUCKET_ROWS;
          keys[i] = rows[2 * (from + x)]!;
          rids[i] = rows[2 * (from + x) + 1]!;
        }
        fn(keys, rids, n);
      }
      rmSync(b.path, { force: true });
      this.buckets.delete(id);
    }
    this.rows = 0;
  }

  /** Remove the directory and everything in it. */
  close(): void {
    this.buckets.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
