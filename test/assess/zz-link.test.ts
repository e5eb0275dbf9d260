import { it } from 'vitest';
import { runPrivacyEval, formatRows } from '../../bench/eval-privacy.js';
it('link', async () => {
  const people = Number(process.env.EXP_N ?? 10000);
  const rows = await runPrivacyEval({ root: '/work/main', people, seed: 11, refSeed: 12, schemas: process.env.EXP_SCHEMAS!.split(','), workDir: '/tmp/h5/w' + people, log: (s) => console.log(s) });
  console.log(formatRows(rows));
  for (const r of rows) for (const a of r.assess.attacks) console.log(a.attack, a.detail ?? '', JSON.stringify(a.notes));
}, 3600000);
