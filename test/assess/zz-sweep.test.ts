import { it } from 'vitest';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
it('sweep', async () => {
  const w = process.env.EXP_W!; const name = process.env.EXP_NAME!;
  for (const spec of process.env.EXP_BLOCK!.split(';')) for (const t of process.env.EXP_T!.split(',').map(Number)) {
    const r = await linkFiles({ inputs: [{ file: `${w}/k12-${name}.enc` }, { file: `${w}/wages-${name}.enc` }], outDir: `${w}/sweep`, threshold: t, blocking: parseBlockingSpec(spec), truth: `${w}/victims-${process.env.EXP_N}-11/truth.csv` });
    const q = r.truth!;
    console.log(spec, t, 'P', q.precision.toFixed(4), 'R', q.recall.toFixed(4), 'F1', q.f1.toFixed(4), 'blockRecall', q.blockingRecall.toFixed(4), 'cands', r.counts.candidates);
  }
}, 3600000);
