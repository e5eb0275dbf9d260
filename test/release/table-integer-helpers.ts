import { constraintRows, highs as testHighs, type TestConstraint } from './table-helpers.js';

/**
 * Independent integer attacker: the model in CPLEX LP text with every hidden
 * cell in a `General` (integer) section, solved by highs.solve. Shares no code
 * with src/release/table/integer.ts.
 */
export async function integerAttack(values: (number | null)[], cons: TestConstraint[], cells: number[], coefs: number[]): Promise<[number, number]> {
  const h = await testHighs();
  const rows = constraintRows(values, cons);
  let constant = 0;
  const obj: string[] = [];
  cells.forEach((c, i) => {
    const v = values[c];
    if (v === null || v === undefined) obj.push(`${coefs[i]! >= 0 ? '+' : '-'} ${Math.abs(coefs[i]!)} x${c}`);
    else constant += coefs[i]! * v;
  });
  const hiddenIds = values.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
  const solve = (sense: 'Minimize' | 'Maximize'): number => {
    if (obj.length === 0) return 0;
    const lp =
      `${sense}\n obj: ${obj.join(' ')}\nSubject To\n${rows.length ? rows.join('\n') : ` c_dummy: x${hiddenIds[0]} >= 0`}\n` +
      `Bounds\n${hiddenIds.map((i) => ` x${i} >= 0`).join('\n')}\nGeneral\n ${hiddenIds.map((i) => `x${i}`).join(' ')}\nEnd`;
    const r = (h as unknown as { solve: (s: string, o: object) => { Status: string; ObjectiveValue: number } }).solve(lp, { output_flag: false, mip_rel_gap: 0 });
    // The true table is feasible, so 'infeasible or unbounded' is unbounded.
    if (r.Status === 'Unbounded' || r.Status === 'Primal infeasible or unbounded') return sense === 'Maximize' ? Infinity : -Infinity;
    if (r.Status !== 'Optimal') throw new Error(`MIP status ${r.Status}`);
    return r.ObjectiveValue;
  };
  return [Math.round(constant + solve('Minimize')), Math.round(constant + solve('Maximize'))];
}

