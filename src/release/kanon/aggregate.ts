/**
 * The repair works on the distinct quasi-identifier tuples of a file, not on
 * its rows: one pass collects each distinct tuple with its record count and
 * sensitive-value counts, and every generalization level of every distinct
 * value (so a value a hierarchy cannot place is refused at the first line it
 * occurs on, before anything is written).
 */
import { P20Error } from '../../errors.js';
import { compileHierarchy, HierarchyValueError, type Generalizer } from './hierarchy.js';
import type { KSettings } from './types.js';

export class Aggregate {
  readonly generalizers: Generalizer[];
  /** Per QI: distinct original values, by id. */
  readonly values: string[][];
  readonly valueIds: Map<string, number>[];
  /** gen[q][level][valueId]: the value at each level up to the QI's maxLevel. */
  readonly gen: string[][][];
  /** Tuple key (value ids joined by ",") → tuple index. */
  readonly tupleIndex = new Map<string, number>();
  /** Value ids of tuple t are tupleIds[t * nq .. t * nq + nq). */
  readonly tupleIds: number[] = [];
  readonly tupleCount: number[] = [];
  /** tupleSens[t][j]: sensitive value → count for attribute j. */
  readonly tupleSens: Map<string, number>[][] = [];
  rows = 0;
  private readonly ids: number[];

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
    this.ids = new Array<number>(qiIdx.length);
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
      throw new P20Error('KCHECK_VALUE', 'value contains a NUL character', { file: this.file, line, field: this.settings.qi[q] }, 2);
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
          }, 2);
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

  /** Tuple index of a row's quasi-identifier values; `register` adds unseen values/tuples. */
  tupleOf(fields: readonly string[], line: number, register: boolean): number {
    const ids = this.ids;
    for (let q = 0; q < this.qiIdx.length; q++) {
      const v = fields[this.qiIdx[q]!]!;
      if (register) {
        ids[q] = this.valueId(q, v, line);
      } else {
        const id = this.valueIds[q]!.get(v);
        if (id === undefined) {
          throw new P20Error('KCHECK_CHANGED', 'the input changed while it was being repaired (a value not seen in the first pass)', {
            file: this.file,
            line,
            field: this.settings.qi[q],
          }, 2);
        }
        ids[q] = id;
      }
    }
    const key = ids.join(',');
    let t = this.tupleIndex.get(key);
    if (t === undefined) {
      if (!register) {
        throw new P20Error('KCHECK_CHANGED', 'the input changed while it was being repaired (a tuple not seen in the first pass)', {
          file: this.file,
          line,
        }, 2);
      }
      t = this.tupleCount.length;
      this.tupleIndex.set(key, t);
      for (const id of ids) this.tupleIds.push(id);
      this.tupleCount.push(0);
      this.tupleSens.push(this.sensIdx.map(() => new Map()));
    }
    return t;
  }

  add(fields: readonly string[], line: number): void {
    const t = this.tupleOf(fields, line, true);
    this.rows++;
    this.tupleCount[t]!++;
    const sens = this.tupleSens[t]!;
    for (let j = 0; j < this.sensIdx.length; j++) {
      const v = fields[this.sensIdx[j]!]!;
      const m = sens[j]!;
      m.set(v, (m.get(v) ?? 0) + 1);
    }
  }
}
