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
   * The edges in resolution order (score desc, u asc, v asc) as new arrays.
   * LSD radix sort of the (u, v, score) tuples on three 32-bit keys (v,
   * then u, then the inverted float32 bit pattern of the score, which
   * orders like the score for non-negative scores), 11 bits per pass. The
   * tuples move together, so every pass reads sequentially: tens of millions
   * of edges sort in a few seconds and the resolution loop that follows
   * reads them in order.
   */
  sorted(): { u: Uint32Array; v: Uint32Array; score: Float32Array } {
    const n = this.length;
    let u = this.u.slice(0, n);
    let v = this.v.slice(0, n);
    let s = this.score.slice(0, n);
    if (n < 2) return { u, v, score: s };
    let u2 = new Uint32Array(n);
    let v2 = new Uint32Array(n);
    let s2 = new Float32Array(n);
    const count = new Uint32Array(1 << RADIX_BITS);
    let maxV = 0;
    let maxU = 0;
    for (let i = 0; i < n; i++) {
      if (v[i]! > maxV) maxV = v[i]!;
      if (u[i]! > maxU) maxU = u[i]!;
    }
    // 11-bit digits: 2048 buckets keep the scattered writes cache friendly
    const passes: [0 | 1 | 2, number][] = [];
    for (let sh = 0; sh === 0 || (sh < 32 && maxV >>> sh !== 0); sh += RADIX_BITS) passes.push([0, sh]);
    for (let sh = 0; sh === 0 || (sh < 32 && maxU >>> sh !== 0); sh += RADIX_BITS) passes.push([1, sh]);
    for (let sh = 0; sh < 32; sh += RADIX_BITS) passes.push([2, sh]);
    for (const [which, shift] of passes) {
      const key = which === 0 ? v : which === 1 ? u : new Uint32Array(s.buffer, s.byteOffset, n);
      radixPass(key, which === 2 ? 0xffffffff : 0, shift, u, v, s, u2, v2, s2, count);
      [u, u2] = [u2, u];
      [v, v2] = [v2, v];
      [s, s2] = [s2, s];
    }
    return { u, v, score: s };
  }
}

const RADIX_BITS = 11;
const RADIX_MASK = (1 << RADIX_BITS) - 1;

/** One stable counting-sort pass on RADIX_BITS bits of `key` (xor `inv`), moving the (u, v, s) tuples. */
function radixPass(
  key: Uint32Array,
  inv: number,
  shift: number,
  u: Uint32Array,
  v: Uint32Array,
  s: Float32Array,
  u2: Uint32Array,
  v2: Uint32Array,
  s2: Float32Array,
  count: Uint32Array,
): void {
  const n = key.length < u.length ? key.length : u.length;
  count.fill(0);
  for (let k = 0; k < n; k++) count[((key[k]! ^ inv) >>> shift) & RADIX_MASK]!++;
  let sum = 0;
  for (let d = 0; d <= RADIX_MASK; d++) {
    const c = count[d]!;
    count[d] = sum;
    sum += c;
  }
  for (let k = 0; k < n; k++) {
    const p = count[((key[k]! ^ inv) >>> shift) & RADIX_MASK]!++;
    u2[p] = u[k]!;
    v2[p] = v[k]!;
    s2[p] = s[k]!;
  }
}
