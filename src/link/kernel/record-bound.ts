/**
 * A running bound of k pairs per record over the pairs a candidate pass
 * hands in (the match model's passes, `candidatePairs`): per
 * record, the k best pairs seen so far in bestPerRecord's order (score
 * descending, then the partner's index ascending), on each side, and with
 * `side` the same among the pairs whose field is missing on exactly one
 * side, ranked there by sideRank. A pair that is not among them when it
 * arrives is outranked on each of its records by k pairs that were (each
 * was when it arrived), so the pass's own bound could not keep it: the
 * score workers drop it before it is held (`ScoreOptions.bound`), and
 * `taskKeep` again per task.
 */
import { filterWords, wordsDice } from '../dice.js';

/** Presence of one field on each side: bit `bit` of pa[a] and pb[b]. */
export interface MissingSide {
  pa: Uint8Array;
  pb: Uint8Array;
  bit: number;
  /**
   * A second filter (a packed matrix per side, its own stride) whose Dice
   * is added to the pass's score to rank the pairs with the field missing
   * on exactly one side among themselves (sideRank).
   */
  rank?: RankFilter;
}

/** A filter matrix of each side (within one file: the same twice) with its popcounts. */
export interface RankFilter {
  a: Uint8Array;
  b: Uint8Array;
  popA: Uint32Array;
  popB: Uint32Array;
  stride: number;
}

/**
 * The score that ranks a pair among the pairs with the field missing on
 * exactly one side: the pass's score v, plus the Dice of `rank` when there
 * is one (float32, as the scores are held). The `names` pass ranks them by
 * `names` + `place`: against a record without a birth date every namesake
 * scores alike on `names` (the filter's light date token is all that
 * differs), so the pass's own score ranked them by record order and the
 * filters' popcounts; `place` (ZIP and middle initial, the date absent on
 * one side) tells the namesake in the record's ZIP from the rest.
 */
export function sideRank(m: MissingSide): (ra: number, rb: number, v: number) => number {
  const r = m.rank;
  if (!r) return (_ra, _rb, v) => v;
  const A = filterWords(r.a, r.stride, r.popA);
  const B = r.b === r.a ? A : filterWords(r.b, r.stride, r.popB);
  return (ra, rb, v) => Math.fround(v + wordsDice(A, ra, B, rb));
}

/** Whether records ra and rb hold the field on exactly one side. */
export function missingOnOneSide(m: MissingSide, ra: number, rb: number): boolean {
  return ((m.pa[ra]! & m.bit) === 0) !== ((m.pb[rb]! & m.bit) === 0);
}

/** What a RecordBound is made from (plain data: it crosses to the score workers). */
export interface RecordBoundSpec {
  /** Records on the A side and the B side (within one file: the same). */
  nA: number;
  nB: number;
  k: number;
  side?: MissingSide;
}

/** The k best pairs of each record seen so far: score descending, then the partner's index ascending. */
class TopScores {
  private readonly top: Float32Array;
  private readonly partner: Uint32Array;
  private readonly count: Uint8Array;
  constructor(
    n: number,
    private readonly k: number,
  ) {
    this.top = new Float32Array(n * k);
    this.partner = new Uint32Array(n * k);
    this.count = new Uint8Array(n);
  }
  add(r: number, v: number, q: number): void {
    const k = this.k;
    const base = r * k;
    const c = this.count[r]!;
    let y = c < k ? c : k - 1;
    if (c >= k && !this.before(base + y, v, q)) return;
    while (y > 0 && this.before(base + y - 1, v, q)) {
      this.top[base + y] = this.top[base + y - 1]!;
      this.partner[base + y] = this.partner[base + y - 1]!;
      y--;
    }
    this.top[base + y] = v;
    this.partner[base + y] = q;
    if (c < k) this.count[r] = c + 1;
  }
  /** Whether (v, q) comes before the entry at slot i. */
  private before(i: number, v: number, q: number): boolean {
    const t = this.top[i]!;
    return v > t || (v === t && q < this.partner[i]!);
  }
  /** Whether r's pair with partner q, scored v, is among r's k best (r has fewer than k: every pair is). */
  holds(r: number, v: number, q: number): boolean {
    if (this.count[r]! < this.k) return true;
    const i = r * this.k + this.k - 1;
    const t = this.top[i]!;
    return v > t || (v === t && q <= this.partner[i]!);
  }
}

export class RecordBound {
  private readonly a: TopScores;
  private readonly b: TopScores;
  private readonly side: { m: MissingSide; a: TopScores; b: TopScores; rank: (ra: number, rb: number, v: number) => number } | undefined;
  constructor(spec: RecordBoundSpec) {
    this.a = new TopScores(spec.nA, spec.k);
    this.b = new TopScores(spec.nB, spec.k);
    this.side = spec.side ? { m: spec.side, a: new TopScores(spec.nA, spec.k), b: new TopScores(spec.nB, spec.k), rank: sideRank(spec.side) } : undefined;
  }
  /** The pair's rank among those missing the field on one side (sideRank), or NaN when it is not one of them. */
  private sideScore(ra: number, rb: number, v: number): number {
    const s = this.side;
    return s !== undefined && missingOnOneSide(s.m, ra, rb) ? s.rank(ra, rb, v) : Number.NaN;
  }
  private count(ra: number, rb: number, v: number, w: number): void {
    this.a.add(ra, v, rb);
    this.b.add(rb, v, ra);
    if (!Number.isNaN(w)) {
      this.side!.a.add(ra, w, rb);
      this.side!.b.add(rb, w, ra);
    }
  }
  private held(ra: number, rb: number, v: number, w: number): boolean {
    if (this.a.holds(ra, v, rb) || this.b.holds(rb, v, ra)) return true;
    return !Number.isNaN(w) && (this.side!.a.holds(ra, w, rb) || this.side!.b.holds(rb, w, ra));
  }
  /** Counts the pair among its records' pairs. */
  add(ra: number, rb: number, v: number): void {
    this.count(ra, rb, v, this.sideScore(ra, rb, v));
  }
  /** Whether the pair is among the k best of its a or of its b so far (or of those missing the field on one side, by sideRank). */
  holds(ra: number, rb: number, v: number): boolean {
    return this.held(ra, rb, v, this.sideScore(ra, rb, v));
  }
  /** add, then holds: whether a pair arriving now is to be kept. */
  admit(ra: number, rb: number, v: number): boolean {
    const w = this.sideScore(ra, rb, v);
    this.count(ra, rb, v, w);
    return this.held(ra, rb, v, w);
  }
}
