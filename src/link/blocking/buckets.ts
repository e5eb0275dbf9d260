/**
 * Per-band bucket tables: sort each party's records by their key in one
 * band (LSD radix sort, two 16-bit passes, stable) and join the two sorted
 * lists. Each bucket (aStart, aLen, bStart, bLen) indexes the sorted orders;
 * within-party, a bucket is a run of >= 2 equal keys in the one order.
 */

export class RadixScratch {
  col: Uint32Array;
  tmp: Uint32Array;
  readonly count = new Uint32Array(65537);
  constructor(n: number) {
    this.col = new Uint32Array(n);
    this.tmp = new Uint32Array(n);
  }
  ensure(n: number): void {
    if (this.col.length < n) {
      this.col = new Uint32Array(n);
      this.tmp = new Uint32Array(n);
    }
  }
}

/** order[0..n) = record indices sorted by keys[i*nb + band]; sorted[0..n) = their keys in that order. */
export function sortBand(keys: Uint32Array, keysBase: number, n: number, nb: number, band: number, order: Uint32Array, sorted: Uint32Array, s: RadixScratch): void {
  s.ensure(n);
  const col = s.col;
  const tmp = s.tmp;
  const count = s.count;
  for (let i = 0; i < n; i++) col[i] = keys[keysBase + i * nb + band]!;
  // pass 1: low 16 bits, identity -> tmp
  count.fill(0);
  for (let i = 0; i < n; i++) count[(col[i]! & 0xffff) + 1]!++;
  for (let v = 0; v < 65536; v++) count[v + 1]! += count[v]!;
  for (let i = 0; i < n; i++) tmp[count[col[i]! & 0xffff]!++] = i;
  // pass 2: high 16 bits, tmp -> order
  count.fill(0);
  for (let i = 0; i < n; i++) count[(col[i]! >>> 16) + 1]!++;
  for (let v = 0; v < 65536; v++) count[v + 1]! += count[v]!;
  for (let x = 0; x < n; x++) {
    const i = tmp[x]!;
    const k = col[i]!;
    const at = count[k >>> 16]!++;
    order[at] = i;
    sorted[at] = k;
  }
}

/** End (exclusive) of the run of keys equal to keys[from], within the first n. */
function runEnd(keys: Uint32Array, from: number, n: number): number {
  const k = keys[from];
  let end = from + 1;
  while (end < n && keys[end] === k) end++;
  return end;
}

/** Write one bucket entry (aStart, aLen, bStart, bLen) at table[e..e+3]. */
function putBucket(table: Uint32Array, e: number, aStart: number, aLen: number, bStart: number, bLen: number): void {
  table[e] = aStart;
  table[e + 1] = aLen;
  table[e + 2] = bStart;
  table[e + 3] = bLen;
}

/**
 * Join the sorted keys of A and B (cross-party), writing bucket entries
 * (aStart, aLen, bStart, bLen) to table from tableBase. Returns the number of buckets.
 */
export function joinCross(sa: Uint32Array, nA: number, sb: Uint32Array, nB: number, table: Uint32Array, tableBase: number): number {
  let x = 0;
  let y = 0;
  let nt = 0;
  while (x < nA && y < nB) {
    const ka = sa[x]!;
    const kb = sb[y]!;
    if (ka < kb) x++;
    else if (kb < ka) y++;
    else {
      const x2 = runEnd(sa, x, nA);
      const y2 = runEnd(sb, y, nB);
      putBucket(table, tableBase + nt * 4, x, x2 - x, y, y2 - y);
      nt++;
      x = x2;
      y = y2;
    }
  }
  return nt;
}

/** Within-party: runs of >= 2 equal keys in one sorted key list. */
export function joinWithin(sa: Uint32Array, n: number, table: Uint32Array, tableBase: number): number {
  let x = 0;
  let nt = 0;
  while (x < n) {
    const x2 = runEnd(sa, x, n);
    if (x2 - x >= 2) {
      putBucket(table, tableBase + nt * 4, x, x2 - x, x, x2 - x);
      nt++;
    }
    x = x2;
  }
  return nt;
}
