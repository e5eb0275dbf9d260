/**
 * Correctness section of `npm run bench:release`: seeded random tables
 * (2-, 3- and 4-way with all margins, school → district → state
 * hierarchies, sparse tables, tables with a rate column), each suppressed
 * with the public `suppressTable` and then attacked by an exact integer
 * attacker that shares no code with the suppress path: it rebuilds the
 * additive constraints from the generator's own structure, adds the bands of
 * published rates, writes the model as CPLEX LP text with every hidden cell
 * integer and solves it with `highs.solve`. It applies the publication rule
 * as documented (docs/suppress.md): a hidden cell must not be pinned and its
 * attacker maximum must reach n; a hidden part's complement in a published
 * total must not be known to be in [1, n − 1] (nor 0 in outcome partitions);
 * published counts and complements are 0 or ≥ n.
 *
 * The default method (auto) runs the exact search itself on tables of at
 * most 200 cells, so the ratio is ≈ 1 there; the greedy rounds alone
 * (--method heuristic) are printed beside it for the record.
 * Small tables (≤ P20_BENCH_EXACT_CELLS cells, default 100) are also solved
 * by the exact mode (`exactSuppress`), the cost reference: the ratio is
 * hidden cells (heuristic) / hidden cells (exact optimum).
 *
 * Last line: {"tables": n, "exposedCells": n, "refusedProtectable": n, "costRatioP90": x}.
 * Env: P20_BENCH_TABLES (default 48: the mix below, scaled), P20_BENCH_SEED.
 */
import highsModule from 'highs';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { exactSuppress } from '../src/release/table/exact.js';
import { prepareTable, suppressTable } from '../src/release/table/suppress.js';
import type { TableSpec } from '../src/release/table/types.js';
import { mulberry32 } from '../src/synth/prng.js';

const N = 10;

export interface BenchCase {
  kind: string;
  header: string[];
  rows: string[][];
  spec: TableSpec;
  /** True count per row. */
  values: number[];
  /** Additive constraints: total = Σ parts (complete) or total ≥ Σ parts. */
  cons: { total: number; parts: number[]; complete: boolean }[];
  /** Rate column: per row the (numerator row, denominator row) or undefined. */
  rate?: { column: number; pairs: ({ num: number; den: number } | undefined)[] };
}

export type Rand = () => number;

/** A small count: skewed so that small cells are common. */
function leaf(rand: Rand, sparse: boolean): number {
  if (sparse && rand() < 0.55) return 0;
  const r = rand();
  if (r < 0.35) return Math.floor(rand() * 10);
  if (r < 0.8) return 10 + Math.floor(rand() * 30);
  return 40 + Math.floor(rand() * 120);
}

/** k-way table with "All" totals along every dimension. */
export function nWay(rand: Rand, sizes: number[], sparse: boolean, kind: string): BenchCase {
  const dims = sizes.length;
  const ext = sizes.map((s) => s + 1);
  const total = ext.reduce((a, b) => a * b, 1);
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
  const idx = (t: number[]): number => t.reduce((a, v, d) => a * ext[d]! + v, 0);
  const isLeaf = (t: number[]): boolean => t.every((v, d) => v < sizes[d]!);
  const values = new Array<number>(total).fill(0);
  for (let i = 0; i < total; i++) if (isLeaf(tuples[i]!)) values[i] = leaf(rand, sparse);
  for (let i = 0; i < total; i++) {
    const t = tuples[i]!;
    if (isLeaf(t)) continue;
    let s = 0;
    for (let j = 0; j < total; j++) {
      const u = tuples[j]!;
      if (isLeaf(u) && u.every((v, d) => t[d] === sizes[d] || t[d] === v)) s += values[j]!;
    }
    values[i] = s;
  }
  const cons: BenchCase['cons'] = [];
  for (let i = 0; i < total; i++) {
    const t = tuples[i]!;
    for (let d = 0; d < dims; d++) {
      if (t[d] !== sizes[d]) continue;
      const parts: number[] = [];
      for (let v = 0; v < sizes[d]!; v++) parts.push(idx(t.map((x, e) => (e === d ? v : x))));
      cons.push({ total: i, parts, complete: true });
    }
  }
  const header = [...sizes.map((_, d) => `d${d}`), 'count'];
  const rows = tuples.map((t, i) => [...t.map((v, d) => (v === sizes[d] ? 'All' : `v${v}`)), String(values[i])]);
  const spec: TableSpec = { version: 1, count: 'count', dimensions: sizes.map((_, d) => ({ column: `d${d}`, total: 'All' })) };
  return { kind, header, rows, spec, values, cons };
}

/** Schools in districts in one state, by grade (with an All-grades total). */
export function hierarchy(rand: Rand): BenchCase {
  const districts = 2 + Math.floor(rand() * 2);
  const grades = 2 + Math.floor(rand() * 2);
  const parents: Record<string, string> = {};
  const schools: string[][] = [];
  for (let d = 0; d < districts; d++) {
    parents[`D${d}`] = 'State';
    const ss: string[] = [];
    const k = 2 + Math.floor(rand() * 2);
    for (let s = 0; s < k; s++) {
      parents[`D${d}S${s}`] = `D${d}`;
      ss.push(`D${d}S${s}`);
    }
    schools.push(ss);
  }
  const units = ['State', ...schools.flatMap((ss, d) => [`D${d}`, ...ss])];
  const gradeNames = [...Array.from({ length: grades }, (_, g) => `G${g}`), 'All'];
  const key = (u: string, g: string): string => `${u}|${g}`;
  const val = new Map<string, number>();
  for (const ss of schools) for (const s of ss) for (let g = 0; g < grades; g++) val.set(key(s, `G${g}`), leaf(rand, false));
  const sumOf = (u: string, g: string): number => {
    if (val.has(key(u, g))) return val.get(key(u, g))!;
    let t = 0;
    if (g === 'All') for (let x = 0; x < grades; x++) t += sumOf(u, `G${x}`);
    else for (const [c, p] of Object.entries(parents)) if (p === u) t += sumOf(c, g);
    val.set(key(u, g), t);
    return t;
  };
  const rows: string[][] = [];
  const values: number[] = [];
  const rowOf = new Map<string, number>();
  for (const u of units) {
    for (const g of gradeNames) {
      const v = sumOf(u, g);
      rowOf.set(key(u, g), rows.length);
      rows.push([u, g, String(v)]);
      values.push(v);
    }
  }
  const cons: BenchCase['cons'] = [];
  for (const u of units) {
    const children = Object.entries(parents).filter(([, p]) => p === u).map(([c]) => c);
    for (const g of gradeNames) {
      if (children.length > 0) cons.push({ total: rowOf.get(key(u, g))!, parts: children.map((c) => rowOf.get(key(c, g))!), complete: true });
    }
    cons.push({ total: rowOf.get(key(u, 'All'))!, parts: gradeNames.slice(0, -1).map((g) => rowOf.get(key(u, g))!), complete: true });
  }
  const spec: TableSpec = {
    version: 1,
    count: 'count',
    dimensions: [
      { column: 'unit', parents },
      { column: 'grade', total: 'All' },
    ],
  };
  return { kind: 'hierarchy', header: ['unit', 'grade', 'count'], rows, spec, values, cons };
}

/** Tested and proficient students by school and sex, with a percent-proficient rate on the tested rows. */
export function rateTable(rand: Rand): BenchCase {
  const schools = 2 + Math.floor(rand() * 3);
  const sexes = ['F', 'M', 'All'];
  const schoolNames = [...Array.from({ length: schools }, (_, s) => `S${s}`), 'All'];
  const tested = new Map<string, number>();
  const prof = new Map<string, number>();
  for (let s = 0; s < schools; s++) {
    for (const x of ['F', 'M']) {
      const t = 5 + Math.floor(rand() * 40);
      const p = Math.floor(t * rand());
      tested.set(`S${s}|${x}`, t);
      prof.set(`S${s}|${x}`, rand() < 0.1 ? t : p);
    }
  }
  const sum = (m: Map<string, number>, s: string, x: string): number => {
    let t = 0;
    for (let i = 0; i < schools; i++) for (const y of ['F', 'M']) if ((s === 'All' || s === `S${i}`) && (x === 'All' || x === y)) t += m.get(`S${i}|${y}`)!;
    return t;
  };
  const rows: string[][] = [];
  const values: number[] = [];
  const rowOf = new Map<string, number>();
  for (const g of ['tested', 'proficient']) {
    for (const s of schoolNames) {
      for (const x of sexes) {
        const v = sum(g === 'tested' ? tested : prof, s, x);
        rowOf.set(`${g}|${s}|${x}`, rows.length);
        rows.push([g, s, x, String(v), '']);
        values.push(v);
      }
    }
  }
  const pairs: ({ num: number; den: number } | undefined)[] = rows.map(() => undefined);
  for (const s of schoolNames) {
    for (const x of sexes) {
      const den = rowOf.get(`tested|${s}|${x}`)!;
      const num = rowOf.get(`proficient|${s}|${x}`)!;
      pairs[den] = { num, den };
      rows[den]![4] = values[den]! > 0 ? ((100 * values[num]!) / values[den]!).toFixed(1) : '';
    }
  }
  const cons: BenchCase['cons'] = [];
  for (const g of ['tested', 'proficient']) {
    for (const s of schoolNames) cons.push({ total: rowOf.get(`${g}|${s}|All`)!, parts: ['F', 'M'].map((x) => rowOf.get(`${g}|${s}|${x}`)!), complete: true });
    for (const x of sexes) cons.push({ total: rowOf.get(`${g}|All|${x}`)!, parts: schoolNames.slice(0, -1).map((s) => rowOf.get(`${g}|${s}|${x}`)!), complete: true });
  }
  for (const s of schoolNames) for (const x of sexes) cons.push({ total: rowOf.get(`tested|${s}|${x}`)!, parts: [rowOf.get(`proficient|${s}|${x}`)!], complete: false });
  const spec: TableSpec = {
    version: 1,
    count: 'n',
    dimensions: [
      { column: 'group', partitions: [{ total: 'tested', parts: ['proficient'], complete: false }] },
      { column: 'school', total: 'All' },
      { column: 'sex', total: 'All' },
    ],
    rates: [{ column: 'pct', numerator: { column: 'group', value: 'proficient' } }],
  };
  return { kind: 'rates', header: ['group', 'school', 'sex', 'n', 'pct'], rows, spec, values, cons, rate: { column: 4, pairs } };
}

type HighsSolve = { solve: (lp: string, o: object) => { Status: string; ObjectiveValue: number } };
let highsP: Promise<HighsSolve> | undefined;
function attackerHighs(): Promise<HighsSolve> {
  const load = (highsModule as unknown as { default?: () => Promise<HighsSolve> }).default ?? (highsModule as unknown as () => Promise<HighsSolve>);
  highsP ??= load();
  return highsP;
}

/** The independent attacker: exposures in a published table (exact integer bounds). */
export async function attack(c: BenchCase, out: string[][], marker: string): Promise<string[]> {
  const h = await attackerHighs();
  const ci = c.header.indexOf(c.spec.count);
  const pub = out.map((r) => (r[ci] === marker ? null : Number(r[ci])));
  const lines: string[] = [];
  const term = (coef: number, id: number): string => `${coef >= 0 ? '+' : '-'} ${Math.abs(coef)} x${id}`;
  c.cons.forEach((k, i) => {
    let rhs = 0;
    const terms: string[] = [];
    for (const [id, coef] of [[k.total, 1], ...k.parts.map((p) => [p, -1])] as [number, number][]) {
      const v = pub[id];
      if (v === null || v === undefined) terms.push(term(coef, id));
      else rhs -= coef * v;
    }
    if (terms.length > 0) lines.push(` c${i}: ${terms.join(' ')} ${k.complete ? '=' : '>='} ${rhs}`);
  });
  // Published rates: numerator ∈ [d·lo/100, d·hi/100] for the printed value ± 0.05 or a coded band.
  if (c.rate) {
    c.rate.pairs.forEach((p, r) => {
      if (!p) return;
      const raw = out[r]![c.rate!.column]!.trim().replace(/%$/, '');
      if (raw === '' || raw === marker) return;
      let lo: number;
      let hi: number;
      if (raw.startsWith('>')) [lo, hi] = [Number(raw.slice(1)), 100];
      else if (raw.startsWith('<')) [lo, hi] = [0, Number(raw.slice(1))];
      else {
        const v = Number(raw);
        const dot = raw.indexOf('.');
        const half = 0.5 * 10 ** -(dot < 0 ? 0 : raw.length - dot - 1);
        [lo, hi] = [Math.max(0, v - half), v + half];
      }
      // 100·num − lo·den ≥ 0 and hi·den − 100·num ≥ 0 (closed bands: a superset of the attacker's knowledge is not used)
      for (const [a, b, name] of [[100, -lo, 'l'], [-100, hi, 'h']] as [number, number, string][]) {
        let rhs = 0;
        const terms: string[] = [];
        for (const [id, coef] of [[p.num, a], [p.den, b]] as [number, number][]) {
          const v = pub[id];
          if (v === null || v === undefined) terms.push(term(coef, id));
          else rhs -= coef * v;
        }
        if (terms.length > 0) lines.push(` r${name}${r}: ${terms.join(' ')} >= ${rhs}`);
        else if (rhs > 1e-9) lines.push(` r${name}${r}: + 0 x${pub.findIndex((v) => v === null)} >= 0`); // published values alone: nothing to learn here
      }
    });
  }
  const hidden = pub.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
  if (hidden.length === 0) return [];
  const solve = (obj: string, constant: number, sense: 'Minimize' | 'Maximize'): number => {
    const lp =
      `${sense}\n obj: ${obj}\nSubject To\n${lines.length ? lines.join('\n') : ` z: + 1 x${hidden[0]} >= 0`}\n` +
      `Bounds\n${hidden.map((i) => ` x${i} >= 0`).join('\n')}\nGeneral\n ${hidden.map((i) => `x${i}`).join(' ')}\nEnd`;
    const r = h.solve(lp, { output_flag: false, mip_rel_gap: 0, time_limit: 60 });
    // The true table is feasible, so 'infeasible or unbounded' is unbounded.
    if (r.Status === 'Unbounded' || r.Status === 'Primal infeasible or unbounded') return sense === 'Maximize' ? Infinity : -Infinity;
    if (r.Status !== 'Optimal') throw new Error(`attacker MIP status ${r.Status}`);
    return constant + Math.round(r.ObjectiveValue);
  };
  const bad: string[] = [];
  for (const x of hidden) {
    const lo = solve(`+ 1 x${x}`, 0, 'Minimize');
    const hi = solve(`+ 1 x${x}`, 0, 'Maximize');
    if (hi - lo < 1) bad.push(`row ${x}: exactly ${lo}`);
    else if (hi < N) bad.push(`row ${x}: known to be in [${lo}, ${hi}]`);
  }
  for (const k of c.cons) {
    if (k.complete && k.parts.length === 1) continue;
    for (const x of k.parts) {
      if (pub[x] !== null) continue;
      const t = pub[k.total];
      const obj = t === null || t === undefined ? `+ 1 x${k.total} - 1 x${x}` : `- 1 x${x}`;
      const constant = t === null || t === undefined ? 0 : t;
      const lo = solve(obj, constant, 'Minimize');
      const hi = solve(obj, constant, 'Maximize');
      const zeroSensitive = !k.complete; // outcome partitions: 100 % is protected
      if (hi <= N - 1 && (hi >= 1 || zeroSensitive)) bad.push(`row ${x}: complement in the total on row ${k.total} is in [${lo}, ${hi}]`);
    }
  }
  // Published counts and complements.
  pub.forEach((v, i) => {
    if (v !== null && v > 0 && v < N) bad.push(`row ${i}: published small count`);
  });
  for (const k of c.cons) {
    const t = pub[k.total];
    if (t === null || t === undefined || t === 0) continue;
    for (const x of k.parts) {
      const v = pub[x];
      if (v === null || v === undefined) continue;
      const comp = t - v;
      if (comp > 0 && comp < N) bad.push(`row ${x}: published complement ${comp} in the total on row ${k.total}`);
    }
  }
  return bad;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return 1;
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

export interface CorrectnessResult {
  tables: number;
  exposedCells: number;
  refusedProtectable: number;
  costRatioP90: number;
}

export async function benchCorrectness(print = true): Promise<CorrectnessResult> {
  const scale = Number(process.env.P20_BENCH_TABLES ?? 48) / 48;
  const rand = mulberry32(Number(process.env.P20_BENCH_SEED ?? 20261202));
  const exactMax = Number(process.env.P20_BENCH_EXACT_CELLS ?? 100);
  const count = (k: number): number => Math.max(1, Math.round(k * scale));
  const cases: BenchCase[] = [];
  const pickSize = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  for (let i = 0; i < count(10); i++) cases.push(nWay(rand, [pickSize(2, 5), pickSize(2, 4)], false, '2-way'));
  for (let i = 0; i < count(10); i++) cases.push(nWay(rand, [pickSize(2, 3), pickSize(2, 3), 2], false, '3-way'));
  for (let i = 0; i < count(8); i++) cases.push(nWay(rand, [2, 2, 2, pickSize(2, 3)], false, '4-way'));
  for (let i = 0; i < count(8); i++) cases.push(hierarchy(rand));
  for (let i = 0; i < count(6); i++) cases.push(nWay(rand, [pickSize(2, 4), pickSize(2, 3), 2], true, 'sparse'));
  for (let i = 0; i < count(6); i++) cases.push(rateTable(rand));

  let exposedCells = 0;
  let refused = 0;
  const ratios: number[] = [];
  const heuristicRatios: number[] = [];
  let noReference = 0;
  const byKind = new Map<string, { tables: number; exposed: number; refused: number; ratios: number[]; hratios: number[]; secs: number }>();
  const t0 = performance.now();
  for (const c of cases) {
    const k = byKind.get(c.kind) ?? { tables: 0, exposed: 0, refused: 0, ratios: [], hratios: [], secs: 0 };
    byKind.set(c.kind, k);
    k.tables++;
    const t1 = performance.now();
    let heuristicCells: number | undefined;
    try {
      const r = await suppressTable({ header: c.header, rows: c.rows, spec: c.spec, minN: N });
      heuristicCells = r.report.cost.hiddenCells;
      const bad = await attack(c, r.table.rows, r.report.marker);
      if (bad.length > 0) {
        exposedCells += bad.length;
        k.exposed += bad.length;
        if (print) console.log(`correctness: EXPOSED ${c.kind} table: ${bad.slice(0, 3).join('; ')}`);
      }
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'TABLE_UNPROTECTABLE') throw e;
      refused++; // hiding every cell always protects a table of known counts: a refusal is of a protectable table
      k.refused++;
    }
    if (c.rows.length <= exactMax && heuristicCells !== undefined) {
      const { table, settings } = prepareTable({ header: c.header, rows: c.rows, spec: c.spec, minN: N });
      // The reference search may stop on its limit (no reference then: the table is left out of the ratio, and counted).
      const ex = await exactSuppress(table, { ...settings, timeLimit: 30 }).catch((e: unknown) => {
        if ((e as { code?: string }).code !== 'TABLE_UNPROTECTABLE') throw e;
        return undefined;
      });
      if (!ex?.optimal) noReference++;
      if (ex?.optimal && ex.hiddenCells > 0) {
        ratios.push(heuristicCells / ex.hiddenCells);
        k.ratios.push(heuristicCells / ex.hiddenCells);
        // For the record: the greedy rounds alone (--method heuristic), without the default's exact step.
        const h = await suppressTable({ header: c.header, rows: c.rows, spec: c.spec, minN: N, method: 'heuristic' }).catch(() => undefined);
        if (h) {
          heuristicRatios.push(h.report.cost.hiddenCells / ex.hiddenCells);
          k.hratios.push(h.report.cost.hiddenCells / ex.hiddenCells);
        }
      }
    }
    k.secs += (performance.now() - t1) / 1000;
  }
  const costRatioP90 = Math.round(quantile(ratios, 0.9) * 1000) / 1000;
  if (print) {
    for (const [kind, k] of byKind) {
      const mean = k.ratios.length ? k.ratios.reduce((a, b) => a + b, 0) / k.ratios.length : NaN;
      console.log(
        `correctness: ${kind}: ${k.tables} tables, ${k.exposed} exposed, ${k.refused} refused, cost ratio vs exact mean ${mean.toFixed(3)} ` +
          `p90 ${quantile(k.ratios, 0.9).toFixed(3)} (${k.ratios.length} small tables; greedy rounds alone p90 ${quantile(k.hratios, 0.9).toFixed(3)}), ${k.secs.toFixed(1)} s`,
      );
    }
    if (noReference > 0) console.log(`correctness: ${noReference} small table(s) without a reference optimum (the exact search hit its 30 s limit), left out of the ratio`);
    console.log(`correctness: greedy rounds alone (--method heuristic): cost ratio p90 ${quantile(heuristicRatios, 0.9).toFixed(3)} over ${heuristicRatios.length} small tables`);
    console.log(`correctness: ${cases.length} tables in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const res: CorrectnessResult = { tables: cases.length, exposedCells, refusedProtectable: refused, costRatioP90 };
  if (print) console.log(JSON.stringify(res));
  return res;
}

// Runnable on its own: node dist/bench/release-correctness.js
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await benchCorrectness(true);
