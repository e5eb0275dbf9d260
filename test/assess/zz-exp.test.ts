import { it } from 'vitest';
import { encodeForAttack, people } from './helpers.js';
import { patternMiningAttack, graphMatchingAttack, encodingFrequencyAttack, blockingFrequencyAttack, scoreAttack } from '../../src/assess/index.js';
it('exp', async () => {
  const schema = process.env.EXP_SCHEMA!; const n = Number(process.env.EXP_N ?? 5000);
  const e = await encodeForAttack(schema, people(31, n), people(32, n));
  for (const a of [patternMiningAttack, encodingFrequencyAttack, blockingFrequencyAttack, graphMatchingAttack]) {
    const t0 = Date.now();
    for (const r of a.run(e.input)) { const s = scoreAttack(r, e.truth, e.input.targets); console.log(a.name, r.detail??'', 'first', s.first.share.toFixed(3), s.first.precision?.toFixed(3), 'last', s.last.share.toFixed(3), 'both', s.both.share.toFixed(3), 'year', s.year.share.toFixed(3), JSON.stringify(r.notes), (Date.now()-t0)/1000); }
  }
}, 600000);
