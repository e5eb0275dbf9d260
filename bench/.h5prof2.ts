import { benchTableRows } from './release-table.ts';
import { buildCountTable } from '../src/release/table/model.ts';
import { inferTableSpec } from '../src/release/table/spec.ts';
import { primarySuppression } from '../src/release/table/primary.ts';
import { hiddenComponents } from '../src/release/table/protect.ts';
import { ComponentLp, getHighs } from '../src/release/table/lp.ts';
const { header, rows } = benchTableRows(1, 20, 13, 13);
const spec = inferTableSpec(header, rows, 'x');
const t = buildCountTable({ file: 'x', header, rows }, spec);
const p = primarySuppression(t, 10, false);
const hidden = new Uint8Array(rows.length); p.reason.forEach((r, i) => { if (r) hidden[i] = 1; });
const comps = hiddenComponents(t, hidden);
console.log('cells', rows.length, 'hidden', hidden.reduce((a, b) => a + b, 0), 'comps', comps.map(c => c.length).sort((a,b)=>b-a).slice(0,5));
const comp = comps.sort((a,b)=>b.length-a.length)[0]!;
const varOf = new Map<number, number>(); comp.forEach((c, j) => varOf.set(c, j));
const ks = new Set<number>(); for (const c of comp) for (const k of t.cellConstraints[c]!) ks.add(k);
const rowsLp = [...ks].map(k => { const con = t.constraints[k]!; const r = { vars: [] as number[], coefs: [] as number[], rhs: 0, exact: true };
 const add = (id: number, co: number) => { const j = varOf.get(id); if (j === undefined) r.rhs -= co * t.counts[id]!; else { r.vars.push(j); r.coefs.push(co); } };
 add(con.total, 1); for (const q of con.parts) add(q, -1); return r; });
const highs = await getHighs();
const lp = new ComponentLp(highs, comp.length, rowsLp);
console.log('lp vars', comp.length, 'rows', rowsLp.length);
let t0 = performance.now();
for (let i = 0; i < 2; i++) lp.optimize({ constant: 0, vars: [i], coefs: [1] }, -1);
console.log('20 max solves ms', performance.now() - t0);
t0 = performance.now();
for (let i = 0; i < 2; i++) lp.optimize({ constant: 0, vars: [i], coefs: [1] }, 1);
console.log('20 min solves ms', performance.now() - t0);
const m = (lp as any).model;
for (const i of [0,1,2,3]) {
  for (const sense of [-1, 1] as const) {
    const t1 = performance.now(); lp.optimize({ constant: 0, vars: [i], coefs: [1] }, sense);
    console.log(i, sense, (performance.now()-t1).toFixed(1), 'iters', m.info.get('simplex_iteration_count'));
  }
}
