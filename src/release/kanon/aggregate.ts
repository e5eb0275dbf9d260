/**
 * The repair works on the distinct quasi-identifier tuples of a file, not on
 * its rows: one pass collects each distinct tuple with its record count and
 * sensitive-value counts, and every generalization level of every distinct
 * value (so a value a hierarchy cannot place is refused at the first line it
 * occurs on, before anything is written).
 */
import { P20Error } from '../../errors.js';
import { classKey } from './classes.js';
import { compileHierarchy, HierarchyValueError, type Generalizer } from './hierarchy.js';
import type { KSettings } from './types.js';

export class Aggregate {
  readonly generalizers: Generalizer[];
  /** Per QI: distinct original values, by id. */
  readonly values: string[][];
  readonly valueIds: Map<string, number>[];
  /** gen[q][level][valueId]: the value at each level up to the QI's maxLevel. */
  readonly gen: string[][][];
  /** Tuple key (the class key of the original values) → tuple index. */
  readonly tupleIndex = new Map<string, number>();
  /** Value ids of tuple t are tupleIds[t * nq .. t * nq + nq). */
  readonly tupleIds: number[] = [];
  readonly tupleCount: number[] = [];
  /** Per sensitive attribute: value → id. */
  readonly sensIds: Map<string, number>[];
  /** Per row: its tuple, and per sensitive attribute its value id (growable; valid up to `rows`). */
  private rowTuple: Int32Array = new Int32Array(1024);
  private rowSens: Int32Array[];
  /**
   * After freeze(): per sensitive attribute j, the distinct values of tuple t
   * with their counts are tsVal[j] / tsCnt[j] at [tsOff[j][t], tsOff[j][t + 1]).
   */
  tsOff: Int32Array[] = [];
  tsVal: Int32Array[] = [];
  tsCnt: Int32Array[] = [];
  private frozen = false;
  rows = 0;
  private readonly raw: string[];

  constructor(
    readonly settings: KSettings,
    readonly qiIdx: readonly number[],
    readonly sensIdx: readonly number[],
    readonly file: string,
  ) {
    this.generalizers = settings.qi.map((q) => compileHierarchy(q, settings.hierarchies[q], settings.missingValues));
    this.values = settings.qi.map(() => []);
    this.valueIds = settings.qi.map(() => new Map());
    this.gen = this.generalizers.map((g) => Array.from({ length: g.maxLevel + 1 }, () => []));
    this.raw = new Array<string>(qiIdx.length);
    this.sensIds = sensIdx.map(() => new Map());
    this.rowSens = sensIdx.map(() => new Int32Array(1024));
  }

  /** Number of distinct values of sensitive attribute j. */
  sensValues(j: number): number {
    return this.sensIds[j]!.size;
  }

  get nq(): number {
    return this.qiIdx.length;
  }

  get tuples(): number {
    return this.tupleCount.length;
  }

  /** Id of a quasi-identifier value, registering (and generalizing) it when new. */
  private valueId(q: number, v: string, line: number): number {
    const m = this.valueIds[q]!;
    let id = m.get(v);
    if (id !== undefined) return id;
    if (v.includes('\u0000')) {
      throw new P20Error('KCHECK_VALUE', 'value contains a NUL character', { file: this.file, line, field: this.settings.qi[q] });
    }
    const g = this.generalizers[q]!;
    const levels = this.gen[q]!;
    for (let lv = 0; lv <= g.maxLevel; lv++) {
      let out: string;
      try {
        out = g.apply(v, lv);
      } catch (e) {
        if (e instanceof HierarchyValueError) {
          throw new P20Error('KCHECK_HIERARCHY', `${e.message} (hierarchy of "${g.qi}", level ${lv}: ${g.describe(lv)})`, {
            file: this.file,
            line,
            field: g.qi,
          });
        }
        throw e;
      }
      levels[lv]!.push(out);
    }
    id = this.values[q]!.length;
    this.values[q]!.push(v);
    m.set(v, id);
    return id;
  }

  /** The last key computed by tupleOf (the row's class key at level 0). */
  lastKey = '';

  /** Tuple index of a row's quasi-identifier values; `register` adds unseen values/tuples. */
  tupleOf(fields: readonly string[], line: number, register: boolean): number {
    const raw = this.raw;
    for (let q = 0; q < this.qiIdx.length; q++) raw[q] = fields[this.qiIdx[q]!]!;
    const key = classKey(raw, this.file, line, this.settings.qi);
    this.lastKey = key;
    const known = this.tupleIndex.get(key);
    if (known !== undefined) return known;
    if (!register) {
      throw new P20Error('KCHECK_CHANGED', 'the input changed while it was being repaired (a row not seen in the first pass)', {
        file: this.file,
        line,
      });
    }
    const t = this.tupleCount.length;
    this.tupleIndex.set(key, t);
    for (let q = 0; q < raw.length; q++) this.tupleIds.push(this.valueId(q, raw[q]!, line));
    this.tupleCount.push(0);
    return t;
  }

  /** Add a row; returns its class key (for a ClassAccumulator fed the same rows). */
  add(fields: readonly string[], line: number): string {
    if (this.frozen) throw new Error('Aggregate.add after freeze');
    const t = this.tupleOf(fields, line, true);
    const i = this.rows++;
    this.tupleCount[t]!++;
    if (i >= this.rowTuple.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.rowTuple = grow(this.rowTuple);
      this.rowSens = this.rowSens.map(grow);
    }
    this.rowTuple[i] = t;
    for (let j = 0; j < this.sensIdx.length; j++) {
      const v = fields[this.sensIdx[j]!]!;
      const m = this.sensIds[j]!;
      let id = m.get(v);
      if (id === undefined) {
        id = m.size;
        m.set(v, id);
      }
      this.rowSens[j]![i] = id;
    }
    return this.lastKey;
  }

  /** Build the per-tuple sensitive-value counts (call once, after the last add). */
  freeze(): void {
    if (this.frozen) return;
    this.frozen = true;
    const nt = this.tuples;
    const n = this.rows;
    // rows grouped by tuple (counting sort)
    const start = new Int32Array(nt + 1);
    for (let i = 0; i < n; i++) start[this.rowTuple[i]! + 1]!++;
    for (let t = 0; t < nt; t++) start[t + 1]! += start[t]!;
    const fill = start.slice(0, nt);
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[this.rowTuple[i]!]!++] = i;
    for (let j = 0; j < this.sensIdx.length; j++) {
      const rs = this.rowSens[j]!;
      const stamp = new Int32Array(this.sensValues(j)).fill(-1);
      const slot = new Int32Array(this.sensValues(j));
      const off = new Int32Array(nt + 1);
      const vals: number[] = [];
      const cnts: number[] = [];
      for (let t = 0; t < nt; t++) {
        off[t] = vals.length;
        for (let p = start[t]!; p < start[t + 1]!; p++) {
          const v = rs[order[p]!]!;
          if (stamp[v] !== t) {
            stamp[v] = t;
            slot[v] = vals.length;
            vals.push(v);
            cnts.push(1);
          } else {
            cnts[slot[v]!]!++;
          }
        }
      }
      off[nt] = vals.length;
      this.tsOff.push(off);
      this.tsVal.push(Int32Array.from(vals));
      this.tsCnt.push(Int32Array.from(cnts));
    }
    this.rowTuple = new Int32Array(0);
    this.rowSens = [];
  }
}
