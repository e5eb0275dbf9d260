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

  private grow(): void {
    const cap = Math.max(1024, this.u.length * 2);
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

  /** Indices 0..length-1 in resolution order (score desc, u asc, v asc). */
  order(): Uint32Array {
    const idx = new Uint32Array(this.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    const { u, v, score } = this;
    idx.sort((x, y) => {
      const d = score[y]! - score[x]!;
      if (d !== 0) return d;
      const du = u[x]! - u[y]!;
      if (du !== 0) return du;
      return v[x]! - v[y]!;
    });
    return idx;
  }
}
