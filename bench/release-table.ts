/**
 * Benchmark of `p20link suppress`: a ~100,000-cell table (districts ×
 * schools × grades × subgroups, with "All" totals along every dimension),
 * suppressed with n = 10. Prints seconds, peak RSS and the cells hidden.
 * Called by bench/release.ts (benchTable) and runnable on its own:
 *   npx tsc -p . && node dist/bench/release-table.js
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suppressTable } from '../src/release/table/suppress.js';
import { mulberry32 } from '../src/synth/prng.js';

export interface BenchTableResult {
  cells: number;
  seconds: number;
  peakRssMiB: number;
  hidden: number;
  primary: number;
  secondary: number;
  lpSolves: number;
}

/** Deterministic table: counts at school × grade × subgroup level, totals summed up. */
export function benchTableRows(districts = 25, schoolsPerDistrict = 28, grades = 13, subgroups = 9, seed = 42): { header: string[]; rows: string[][] } {
  const rand = mulberry32(seed);
  // Subgroup shares: a few large groups, several small ones (small cells are common).
  const shares = Array.from({ length: subgroups }, (_, i) => 1 / (i + 1) ** 0.8);
  const sumShares = shares.reduce((a, b) => a + b, 0);
  const G = grades + 1;
  const Sg = subgroups + 1;
  const nSchools = districts * schoolsPerDistrict;
  // leaf[school][grade][sub]
  const leaf = new Float64Array(nSchools * grades * subgroups);
  for (let sc = 0; sc < nSchools; sc++) {
    const size = 40 + Math.floor(rand() * 200);
    for (let g = 0; g < grades; g++) {
      const enrol = Math.max(0, Math.round(size * (0.6 + rand() * 0.8)));
      for (let k = 0; k < subgroups; k++) {
        const mean = (enrol * shares[k]!) / sumShares;
        leaf[(sc * grades + g) * subgroups + k] = Math.max(0, Math.round(mean * (0.5 + rand())));
      }
    }
  }
  const rows: string[][] = [];
  const gradeName = (g: number): string => (g === grades ? 'All' : `G${String(g).padStart(2, '0')}`);
  const subName = (k: number): string => (k === subgroups ? 'All' : `SG${String(k).padStart(2, '0')}`);
  const sumOver = (schools: number[], g: number, k: number): number => {
    let t = 0;
    for (const sc of schools) {
      for (let gg = 0; gg < grades; gg++) {
        if (g !== grades && gg !== g) continue;
        for (let kk = 0; kk < subgroups; kk++) {
          if (k !== subgroups && kk !== k) continue;
          t += leaf[(sc * grades + gg) * subgroups + kk]!;
        }
      }
    }
    return t;
  };
  const emit = (district: string, school: string, schools: number[]): void => {
    for (let g = 0; g < G; g++) for (let k = 0; k < Sg; k++) rows.push([district, school, gradeName(g), subName(k), String(sumOver(schools, g, k))]);
  };
  const all: number[] = [];
  for (let d = 0; d < districts; d++) {
    const dn = `D${String(d).padStart(2, '0')}`;
    const ds: number[] = [];
    for (let j = 0; j < schoolsPerDistrict; j++) {
      const sc = d * schoolsPerDistrict + j;
      ds.push(sc);
      all.push(sc);
      emit(dn, `${dn}-S${String(j).padStart(2, '0')}`, [sc]);
    }
    emit(dn, 'All', ds);
  }
  emit('All', 'All', all);
  return { header: ['district', 'school', 'grade', 'subgroup', 'count'], rows };
}

export async function benchTable(print = true): Promise<BenchTableResult> {
  const { header, rows } = benchTableRows();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const t0 = performance.now();
  const r = await suppressTable({ header, rows, file: 'bench-table', reportHiddenValues: true });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const c = r.report.counts;
  const res: BenchTableResult = {
    cells: rows.length,
    seconds,
    peakRssMiB: Math.round(peak / 2 ** 20),
    hidden: r.report.cost.hiddenCells,
    primary: c['primary-small'] + c['primary-complement'],
    secondary: c.secondary,
    lpSolves: r.report.lpSolves,
  };
  if (print) {
    process.stdout.write(
      `suppress: ${res.cells} cells (${r.report.constraints} constraints) in ${seconds.toFixed(2)} s, peak RSS ${res.peakRssMiB} MiB; ` +
        `hidden ${res.hidden} (primary ${res.primary}, secondary ${res.secondary}, hiding ${r.report.cost.secondaryTotal} count), ` +
        `${res.lpSolves} LP solves in ${r.report.components} components, ${r.report.iterations} rounds\n`,
    );
  }
  return res;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchTable();
}
