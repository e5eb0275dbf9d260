import { it } from 'vitest';
import { runPrivacyEval, formatRows } from '../../bench/eval-privacy.js';
it('bench', async () => {
  const people = Number(process.env.EXP_N ?? 50000);
  const rows = await runPrivacyEval({ root: '/work/main', people, seed: 4101, refSeed: 4102, schemas: process.env.EXP_SCHEMAS!.split(','), workDir: '/tmp/h5/b' + people, log: (s) => console.log(s) });
  console.log(formatRows(rows));
  const base = rows[0]!; const judged = rows.slice(1);
  console.log(JSON.stringify({ maxFirstLast: Math.max(...judged.map((r) => r.assess.worst!.firstLast)), maxFirst: Math.max(...judged.map((r) => r.assess.worst!.first)), f1Loss: Math.max(0, ...judged.map((r) => base.linkage.f1 - r.linkage.f1)) }));
  for (const r of rows) for (const a of r.assess.attacks) console.log(a.attack, a.detail ?? '', JSON.stringify(a.notes), 'prec', a.precision, 'guessedFirst', a.first.guessed);
}, 3600000);
