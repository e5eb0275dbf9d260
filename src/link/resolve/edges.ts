/**
 * A growable list of weighted edges between global node numbers, and the
 * one ordering every resolution step uses: score descending, then the
 * smaller endpoint ascending, then the larger endpoint ascending. The order
 * is total, so resolution is deterministic for the same inputs in the same
 * order.
 */
export class EdgeList {
  u: Uint32Array;
  v: Uint32Array;
  score: Float32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.u = new Uint32Array(capacity);
    this.v = new Uint32Array(capacity);
    this.score = new Float32Array(capacity);
  }

  push(u: number, v: number, score: number): void {
    if (this.length === this.u.length) this.grow();
    const lo = u < v ? u : v;
    const hi = u < v ? v : u;
    this.u[this.length] = lo;
    this.v[this.length] = hi;
    this.score[this.length] = score;
    this.length++;
  }

  /** Make room for `extra` more edges at once (avoids repeated doubling). */
  reserve(extra: number): void {
    if (this.length + extra > this.u.length) this.grow(this.length + extra);
  }

  private grow(min = 0): void {
    const cap = Math.max(1024, this.u.length * 2, min);
    const u = new Uint32Array(cap);
    u.set(this.u);
    const v = new Uint32Array(cap);
    v.set(this.v);
    const s = new Float32Array(cap);
    s.set(this.score);
    this.u = u;
    this.v = v;
    this.score = s;
  }

  /**
   * Indices 0..length-1 in resolution order (score desc, u asc, v asc).
   * LSD radix sort on three 32-bit keys (v, then u, then the inverted
   * float32 bit pattern of the score, which orders like the score for
   * non-negative scores), 16 bits per pass: linear time, so tens of millions
   * of edges sort in about a second.
   */
  order(): Uint32Array {
    const n = this.length;
    let idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    if (n < 2) return idx;
    const bits = new Uint32Array(this.score.buffer, this.score.byteOffset, this.score.length);
    let tmp = new Uint32Array(n);
    const count = new Uint32Array(65536);
    const pass = (key: (i: number) => number, shift: number): void => {
      count.fill(0);
      for (let k = 0; k < n; k++) count[(key(idx[k]!) >>> shift) & 0xffff]!++;
      let sum = 0;
      for (let d = 0; d < 65536; d++) {
        const c = count[d]!;
        count[d] = sum;
        sum += c;
      }
      for (let k = 0; k < n; k++) {
        const i = idx[k]!;
        tmp[count[(key(i) >>> shift) & 0xffff]!++] = i;
      }
      const t = idx;
      idx = tmp;
      tmp = t;
    };
    const { u, v } = this;
    const byV = (i: number) => v[i]!;
    const byU = (i: number) => u[i]!;
    // scores are >= 0: their IEEE bit patterns order like the values; invert for descending
    const byScore = (i: number) => ~bits[i]! >>> 0;
    let maxV = 0;
    let maxU = 0;
    for (let i = 0; i < n; i++) {
      if (v[i]! > maxV) maxV = v[i]!;
      if (u[i]! > maxU) maxU = u[i]!;
    }
    pass(byV, 0);
    if (maxV > 0xffff) pass(byV, 16);
    pass(byU, 0);
    if (maxU > 0xffff) pass(byU, 16);
    pass(byScore, 0);
    pass(byScore, 16);
    return idx;
  }
}
