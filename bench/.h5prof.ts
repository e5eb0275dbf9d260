import { benchTableRows } from './release-table.ts';
import { suppressTable } from '../src/release/table/suppress.ts';
const d = Number(process.argv[2] ?? 3);
const { header, rows } = benchTableRows(d);
const t0 = performance.now();
let last = 0;
const r = await suppressTable({ header, rows, onProgress: (a, b) => { if (a === b) { console.log('round done', a, ((performance.now()-t0)/1000).toFixed(2)); } } });
console.log((r as any).report, 0) ; console.log(rows.length, ((performance.now() - t0) / 1000).toFixed(2), r.report.counts, r.report.cost, r.report.lpSolves, r.report.iterations, r.report.components);
