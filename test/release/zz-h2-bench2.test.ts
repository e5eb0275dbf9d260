import { it } from 'vitest';
import { benchTableRows } from '../../bench/release-table.js';
import { suppressTable } from '../../src/release/table/index.js';
it('bench-small', async () => {
  const { header, rows } = benchTableRows(3, 28, 13, 9, 42);
  for (const integerCheck of [false, true]) {
    const t0 = performance.now();
    const r = await suppressTable({ header, rows, file: 'b', integerCheck });
    console.log(JSON.stringify({ integerCheck, cells: rows.length, s: (performance.now() - t0) / 1000, hidden: r.report.cost.hiddenCells, sec: r.report.counts.secondary, solves: r.report.lpSolves, it: r.report.iterations, comps: r.report.components }));
  }
}, 3_600_000);
