import { it } from 'vitest';
import { mulberry32 } from '../../src/synth/prng.js';
import { additiveTable, highs, type TestConstraint } from './table-helpers.js';
import { integerAttack } from './table-integer-helpers.js';

async function lpRaw(values: (number | null)[], cons: TestConstraint[], target: number): Promise<[number, number]> {
  const h = await highs();
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
    rows.push(` c${i}: ${terms.join(' ')} = ${rhs}`);
  });
  const hiddenIds = values.map((v, i) => (v === null ? i : -1)).filter((i) => i >= 0);
  const bounds = hiddenIds.map((i) => ` x${i} >= 0`).join('\n');
  const solve = (sense: string): number => {
    const lp = `${sense}\n obj: x${target}\nSubject To\n${rows.join('\n')}\nBounds\n${bounds}\nEnd`;
    const r = h.solve(lp, { output_flag: false });
    if (r.Status !== 'Optimal') return sense === 'Maximize' ? Infinity : -Infinity;
    return r.ObjectiveValue;
  };
  return [solve('Minimize'), solve('Maximize')];
}

it('search', async () => {
  const t0 = Date.now();
  let foundA = false, foundB = false, c = 0;
  for (let seed = 1; seed < 100000 && Date.now() - t0 < 240_000 && !(foundA && foundB); seed++) {
    const rand = mulberry32(seed);
    const leaves = Array.from({ length: 16 }, () => (rand() < 0.4 ? Math.floor(rand() * 10) : 8 + Math.floor(rand() * 33)));
    const t = additiveTable([2, 2, 2, 2], leaves);
    const hideP = 0.2 + 0.3 * rand();
    const values: (number | null)[] = t.values.map((v, i) => (i < t.values.length - 1 && rand() < hideP ? null : v));
    for (let cell = 0; cell < values.length; cell++) {
      if (values[cell] !== null) continue;
      const v = t.values[cell]!;
      const [a, b] = await lpRaw(values, t.cons, cell);
      const lA = Math.ceil(a - 1e-6), lB = Math.floor(b + 1e-6);
      if (lB < 10) continue;
      const [ia, ib] = await integerAttack(values, t.cons, [cell], [1]);
      if (ib >= 10) continue;
      c++;
      const tag = v === 9 && lA === 4 && lB === 10 && ia === 5 && ib === 9 ? 'A' : v === 3 && b > 10 && b < 10.5 && ib === 9 ? 'B' : 'C';
      if (tag === 'A') foundA = true;
      if (tag === 'B') foundB = true;
      if (tag !== 'C' || c < 5) console.log(`FOUND ${tag} seed=${seed} cell=${cell} v=${v} lp=[${a},${b}] int=[${ia},${ib}]`);
    }
  }
  console.log('done', Date.now() - t0, c);
}, 300_000);
