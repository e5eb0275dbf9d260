/**
 * The linker's file contracts in src/format/: links file, review file, truth
 * file and run report, each with a writer and a strict reader.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT, exitStatusOf } from '../../cli/exit-status.js';
import { csvLine } from '../../src/io/csv.js';
import { formatScore, LINKS_HEADER, linksFileName, linksRow, partyOfLinksFile, readLinksFile } from '../../src/format/links.js';
import { readReviewFile, REVIEW_HEADER, reviewRow } from '../../src/format/review.js';
import { readTruth } from '../../src/format/truth.js';
import { parseRunReport, readRunReport, REPORT_FILE } from '../../src/format/run-report.js';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { readRunManifest } from '../../src/link/out-dir.js';
import { readRunReportHistogram } from '../../src/report/histogram.js';
import { runQualityReport } from '../../src/report/index.js';
import { writeEncoded, prng, randomClk, noisy } from '../fixtures/link/make-encoded.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-format-link-');
const out = join(dir, 'out');
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

beforeAll(async () => {
  const rnd = prng(11);
  const people = Array.from({ length: 8 }, () => randomClk(rnd));
  const a = await writeEncoded(join(dir, 'a.enc'), { party: 'k12', rows: people.slice(0, 7).map((c, i) => ({ id: `a${i}`, clk: noisy(rnd, c) })) });
  const b = await writeEncoded(join(dir, 'b.enc'), { party: 'wages', rows: people.slice(1).map((c, i) => ({ id: `b${i + 1}`, clk: noisy(rnd, c) })) });
  await linkFiles({ inputs: [{ file: a }, { file: b }], outDir: out, threshold: 0.9, reviewThreshold: 0.05, blocking: parseBlockingSpec('none') });
});

describe('links file', () => {
  it('is named <party>.links.csv and its party read back from the name', () => {
    expect(linksFileName('k12')).toBe('k12.links.csv');
    expect(partyOfLinksFile('/x/k12.links.csv')).toBe('k12');
    expect(partyOfLinksFile('wages.csv')).toBe('wages');
  });

  it('writer and reader agree (property: any ids, ids and scores come back exactly)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.oneof(fc.constant(Number.NaN), fc.integer({ min: 0, max: 1000 }).map((k) => k / 1000)), { minLength: 8, maxLength: 8 }),
        async (ids, scores) => {
          const rows = ids.map((id, k) => linksRow(id, `L${k}`, scores[k]!));
          const p = file(`prop${n++}.links.csv`, csvLine([...LINKS_HEADER]) + rows.map((r) => csvLine(r)).join(''));
          const f = await readLinksFile(p);
          expect([...f.records.keys()]).toEqual(ids);
          ids.forEach((id, k) => {
            const s = scores[k]!;
            expect(f.records.get(id)).toEqual({ linkageId: `L${k}`, score: Number.isNaN(s) ? undefined : Number(formatScore(s)) });
          });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses an empty linkage id, a repeated record id and a score outside [0, 1], naming file, line and field', async () => {
    const empty = await p20Rejection(readLinksFile(file('e.links.csv', 'record_id,linkage_id,score\nr1,,\n')));
    expect(empty.code).toBe('REPORT_LINKS');
    expect(empty.location).toMatchObject({ line: 2, field: 'linkage_id' });
    expect((await p20Rejection(readLinksFile(file('d.links.csv', 'record_id,linkage_id,score\nr1,L1,\nr1,L2,\n')))).location.line).toBe(3);
    expect((await p20Rejection(readLinksFile(file('s.links.csv', 'record_id,linkage_id,score\nr1,L1,1.5\n')))).location.field).toBe('score');
    expect((await p20Rejection(readLinksFile(file('c.links.csv', 'record_id,score\nr1,0.5\n')))).code).toBe('REPORT_COLUMNS');
  });

  it('reads what the linker wrote', async () => {
    const k = await readLinksFile(join(out, 'k12.links.csv'));
    expect(k.party).toBe('k12');
    expect(k.records.size).toBe(7);
  });
});

describe('review file', () => {
  it('reads back the linker\'s review.csv, and what reviewRow writes', async () => {
    const pairs = await readReviewFile(join(out, 'review.csv'));
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect(p.score).toBeGreaterThanOrEqual(0.05);
    const again = file('review2.csv', csvLine([...REVIEW_HEADER]) + pairs.map((p) => csvLine(reviewRow(p))).join(''));
    expect(await readReviewFile(again)).toEqual(pairs);
  });

  it('refuses another header and empty cells', async () => {
    expect((await p20Rejection(readReviewFile(file('r1.csv', 'a,b,c,d,e\n')))).code).toBe('REVIEW_HEADER');
    expect((await p20Rejection(readReviewFile(file('r2.csv', `${REVIEW_HEADER.join(',')}\nk12,,wages,b1,0.5\n`)))).location).toMatchObject({ line: 2, field: 'record_id_a' });
  });
});

describe('truth file: one reader, one trimming rule (none)', () => {
  it('refuses a value with surrounding white space instead of trimming it (it would not match the links file)', async () => {
    const e = await p20Rejection(readTruth(file('t1.csv', 'entity_id,party,record_id\nE1,k12, a1\n')));
    expect(e.code).toBe('TRUTH_ROW');
    expect(e.location).toMatchObject({ line: 2, field: 'record_id' });
    // the linker refuses it too (it used to trim it and match "a1")
    const e2 = await p20Rejection(
      linkFiles({ inputs: [{ file: join(dir, 'a.enc') }, { file: join(dir, 'b.enc') }], outDir: join(dir, 'out-t'), threshold: 0.9, blocking: parseBlockingSpec('none'), truth: join(dir, 't1.csv') }),
    );
    expect(e2.code).toBe('TRUTH_ROW');
    // and so does the quality report (it used to read it untrimmed and count a1 as unknown)
    expect((await p20Rejection(runQualityReport({ linksDir: out, truthFile: join(dir, 't1.csv') }))).code).toBe('TRUTH_ROW');
  });

  it('reads exact values; refuses missing columns, empty values and a record listed twice', async () => {
    expect(await readTruth(file('t2.csv', 'record_id,entity_id,party,extra\na1,E1,k12,x\nb1,E1,wages,y\n'))).toEqual([
      { entity: 'E1', party: 'k12', id: 'a1' },
      { entity: 'E1', party: 'wages', id: 'b1' },
    ]);
    expect((await p20Rejection(readTruth(file('t3.csv', 'entity_id,record_id\nE1,a1\n')))).code).toBe('TRUTH_HEADER');
    expect((await p20Rejection(readTruth(file('t4.csv', 'entity_id,party,record_id\n,k12,a1\n')))).location.field).toBe('entity_id');
    expect((await p20Rejection(readTruth(file('t5.csv', 'entity_id,party,record_id\nE1,k12,a1\nE2,k12,a1\n')))).location.line).toBe(3);
  });
});

describe('run report', () => {
  it('what the linker writes reads back strictly, as report and as manifest', async () => {
    const r = await readRunReport(join(out, REPORT_FILE), 'REPORT_RUN');
    expect(r.parties.map((p) => p.output)).toEqual(['k12.links.csv', 'wages.links.csv']);
    expect((await readRunManifest(join(out, REPORT_FILE)))!.runId).toBe(r.runId);
  });

  it('a run report that breaks its JSON Schema is refused with the field (it used to be taken as long as a few keys were there)', async () => {
    const good = JSON.parse(readFileSync(join(out, REPORT_FILE), 'utf8')) as Record<string, unknown>;
    const bad = file('bad-report.json', JSON.stringify({ ...good, counts: { ...(good.counts as object), records: -1 } }));
    const e = await p20Rejection(readRunManifest(bad));
    expect(e.code).toBe('LINK_MANIFEST');
    expect(exitStatusOf(e)).toBe(EXIT.badInput);
    expect(e.location.field).toBe('counts.records');
    const extra = file('extra-report.json', JSON.stringify({ ...good, surprise: 1 }));
    expect((await p20Rejection(readRunReportHistogram(extra))).code).toBe('REPORT_RUN');
    expect(() => parseRunReport(JSON.stringify({ ...good, outputs: { ...(good.outputs as object), report: '../x.json' } }), 'r.json', 'REPORT_RUN')).toThrow(/outputs.report/);
  });

  it('the quality report reads the histogram by its own key names, never by guessing', async () => {
    const h = await readRunReportHistogram(join(out, REPORT_FILE));
    expect(h.bins.length).toBe(101);
    expect(h.threshold).toBe(0.9);
    expect(h.reviewThreshold).toBe(0.05);
    // a partial report keeps the run report's own keys
    const counts = Array.from({ length: 101 }, (_, i) => (i >= 80 ? 1 : 0));
    const part = await readRunReportHistogram(file('part.json', JSON.stringify({ parameters: { threshold: 0.8, reviewThreshold: null }, scoreHistogram: { binWidth: 0.01, counts } })));
    expect(part.threshold).toBe(0.8);
    // other key names used to be guessed with regexes ("hist", "matchThreshold" at any depth)
    const guessed = await p20Rejection(readRunReportHistogram(file('guess.json', JSON.stringify({ stats: { myHistogram: { binWidth: 0.01, counts } }, matchThreshold: 0.8 }))));
    expect(guessed.code).toBe('REPORT_RUN');
    expect(guessed.location.field).toBe('scoreHistogram');
    const short = await p20Rejection(readRunReportHistogram(file('short.json', JSON.stringify({ scoreHistogram: { binWidth: 0.01, counts: [1, 2] } }))));
    expect(short.message).toMatch(/scoreHistogram/);
    const t = await p20Rejection(readRunReportHistogram(file('t.json', JSON.stringify({ parameters: { threshold: 2 }, scoreHistogram: { binWidth: 0.01, counts } }))));
    expect(t.location.field).toBe('parameters.threshold');
  });
});
