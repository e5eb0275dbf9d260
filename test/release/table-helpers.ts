/**
 * Independent attacker for the tests: builds the LP in CPLEX LP text from the
 * test's own list of constraints and solves it with highs.solve (not the
 * module's ComponentLp), returning integer-rounded [min, max] of one cell.
 */
import highsModule from 'highs';

type Highs = { solve: (lp: string, opts?: Record<string, unknown>) => { Status: string; ObjectiveValue: number } };
let hp: Promise<Highs> | undefined;
export function highs(): Promise<Highs> {
  const load = ((highsModule as unknown as { default?: () => Promise<Highs> }).default ?? (highsModule as unknown as () => Promise<Highs>));
  hp ??= load();
  return hp;
}

export interface TestConstraint {
  total: number;
  parts: number[];
  complete?: boolean;
}

/** The additive constraints as CPLEX LP rows over the hidden cells (x<id>), published values moved to the right. */
export function constraintRows(values: (number | null)[], cons: TestConstraint[]): string[] {
  const rows: string[] = [];
  cons.forEach((c, i) => {
    let rhs = 0;
    const terms: string[] = [];
    const add = (id: number, coef: number): void => {
      const v = values[id];
      if (v === null || v === undefined) terms.push(`${coef > 0 ? '+' : '-'} x${id}`);
      else rhs -= coef * v;
    };
    add(c.total, 1);
    for (const p of c.parts) add(p, -1);
    if (terms.length === 0) return;
    rows.push(` c${i}: ${terms.join(' ')} ${c.complete === false ? '>=' : '='} ${rhs}`);
  });
  return rows;
}

/** Bounds of cell `target` given values (null = hidden) and constraints. */
export async function attackerBounds(values: (number | null)[], cons: TestConstraint[], target: number): Promise<[number, number]> {
  const h = await highs();
  const rows = constraintRows(values, cons);
  const hiddenIds = values.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
  const bounds = hiddenIds.map((i) => ` x${i} >= 0`).join('\n');
  const solve = (sense: 'Minimize' | 'Maximize'): number => {
    const lp = `${sense}\n obj: x${target}\nSubject To\n${rows.length ? rows.join('\n') : ' c_dummy: x' + target + ' >= 0'}\nBounds\n${bounds}\nEnd`;
    const r = h.solve(lp, { output_flag: false });
    if (r.Status === 'Unbounded') return sense === 'Maximize' ? Infinity : -Infinity;
    if (r.Status !== 'Optimal') throw new Error(`LP status ${r.Status}`);
    return r.ObjectiveValue;
  };
  return [Math.ceil(solve('Minimize') - 1e-6) + 0, Math.floor(solve('Maximize') + 1e-6)];
}

/** A random additive table with "All" totals along every dimension, in long format. */
export function additiveTable(sizes: readonly number[], leaves: number[]): { header: string[]; rows: string[][]; cons: TestConstraint[]; values: number[] } {
  const dims = sizes.length;
  const ext = sizes.map((s) => s + 1); // last index = All
  const total = ext.reduce((a, b) => a * b, 1);
  const idx = (t: number[]): number => t.reduce((a, v, d) => a * ext[d]! + v, 0);
  const tuples: number[][] = [];
  for (let i = 0; i < total; i++) {
    const t: number[] = [];
    let r = i;
    for (let d = dims - 1; d >= 0; d--) {
      t[d] = r % ext[d]!;
      r = Math.floor(r / ext[d]!);
    }
    tuples.push(t);
  }
  const values = new Array<number>(total).fill(0);
  let li = 0;
  for (let i = 0; i < total; i++) {
    const t = tuples[i]!;
    if (t.every((v, d) => v < sizes[d]!)) values[i] = leaves[li++ % leaves.length]!;
  }
  // Fill totals by summing leaves.
  for (let i = 0; i < total; i++) {
    const t = tuples[i]!;
    if (t.every((v, d) => v < sizes[d]!)) continue;
    let s = 0;
    for (let j = 0; j < total; j++) {
      const u = tuples[j]!;
      if (u.every((v, d) => v < sizes[d]!) && u.every((v, d) => t[d] === sizes[d] || t[d] === v)) s += values[j]!;
    }
    values[i] = s;
  }
  const cons: TestConstraint[] = [];
  for (let i = 0; i < total; i++) {
    const t = tuples[i]!;
    for (let d = 0; d < dims; d++) {
      if (t[d] !== sizes[d]) continue;
      const parts: number[] = [];
      for (let v = 0; v < sizes[d]!; v++) parts.push(idx(t.map((x, e) => (e === d ? v : x))));
      cons.push({ total: i, parts });
    }
  }
  const header = [...sizes.map((_, d) => `d${d}`), 'count'];
  const rows = tuples.map((t, i) => [...t.map((v, d) => (v === sizes[d] ? 'All' : `v${v}`)), String(values[i])]);
  return { header, rows, cons, values };
}
