import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FEBRL_TEST_SECRET, febrlEntity } from '../../bench/eval-febrl.js';
import { encodeFile } from '../../src/encode/index.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { linkFiles } from '../../src/link/link-files.js';
import { fileTempDir } from '../helpers/tmp.js';

const schema = resolve(process.cwd(), 'protocols/schemas/febrl.json');
const dataA = resolve(process.cwd(), '../shared/data/febrl/dataset4a.csv');
const dataB = resolve(process.cwd(), '../shared/data/febrl/dataset4b.csv');
const dir = fileTempDir('p20-febrl-partial-');

/** The rows of a FEBRL file whose entity number passes `keep`, with the header. */
function subset(src: string, dst: string, keep: (entity: number) => boolean): string {
  const [head, ...rows] = readFileSync(src, 'utf8').trim().split('\n');
  writeFileSync(dst, [head, ...rows.filter((r) => keep(Number(febrlEntity(r.slice(0, r.indexOf(',')).trim()))))].join('\n') + '\n');
  return dst;
}

describe('linker warnings on FEBRL files that overlap only partly', () => {
  it.skipIf(!existsSync(dataA) || !existsSync(dataB))(
    '1,000 shared people of 3,000 each, at threshold 0.5 with a review band from 0.45 (far below the hardened schema\'s 0.565): the linker warns',
    async () => {
      // entities 0-999 in both files, 1000-2999 only in A, 3000-4999 only in B
      const a = subset(dataA, join(dir, 'a.csv'), (e) => e < 3000);
      const b = subset(dataB, join(dir, 'b.csv'), (e) => e < 1000 || e >= 3000);
      const encA = join(dir, 'a.enc');
      const encB = join(dir, 'b.enc');
      await encodeFile({ input: a, output: encA, schema, secret: FEBRL_TEST_SECRET, party: 'febrl4a' });
      await encodeFile({ input: b, output: encB, schema, secret: FEBRL_TEST_SECRET, party: 'febrl4b' });
      const r = await linkFiles({ inputs: [{ file: encA }, { file: encB }], outDir: join(dir, 'out'), threshold: 0.5, reviewThreshold: 0.45, blocking: parseBlockingSpec('lsh:bands=200,rows=5') });
      // almost every record gets a link although only a third of them have a true partner
      expect(r.counts.acceptedLinks).toBeGreaterThan(2000);
      expect(r.warnings).toEqual([
        expect.stringMatching(/^febrl4a x febrl4b: [\d,]+ pairs score at or above the threshold 0\.5, more than the 3,000 records of the smaller file/),
        expect.stringMatching(/^febrl4a x febrl4b: the review band \[0\.45, 0\.5\) lists [\d,]+ pairs, more than 10 per record of the smaller file/),
      ]);
    },
    180_000,
  );
});
