import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cliMessage } from '../../cli/hints.js';
import { computeBias, largestGap, parseGroupSpecs } from '../../src/report/bias.js';
import { createEncodedWriter } from '../../src/format/encoded-file.js';
import { readLinksFile, type LinksFile } from '../../src/format/links.js';
import { runBiasReport } from '../../src/report/index.js';
import { biasHtml, biasText } from '../../src/report/render-bias.js';
import { newcombe, wilson } from '../../src/report/wilson.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';
import { expectSelfContained } from './html-checks.js';

const dir = fileTempDir('p20-bias-gaps-');

/**
 * A tiny run with known answers. Party x: group A 40 records (36 linked),
 * group B 40 (30 linked), group C 5 (all linked). Truth: A0..A19, B0..B19,
 * B30..B39 and C0..C4 have a counterpart Y<id> in party y. y's links file
 * puts every counterpart in its x record's cluster except those of A18 and
 * A19 (linked, but to someone else).
 */
const ids = { A: 40, B: 40, C: 5 } as const;
const linkedX = (g: string, i: number) => (g === 'A' ? i < 36 : g === 'B' ? i < 30 : true);
const hasCp = (g: string, i: number) => (g === 'A' ? i < 20 : g === 'B' ? i < 20 || i >= 30 : true);
let csv = 'sid,grp\n';
let xl = 'record_id,linkage_id,score\n';
let yl = 'record_id,linkage_id,score\n';
const truth: { entity: string; party: string; id: string }[] = [];
for (const [g, n] of Object.entries(ids)) {
  for (let i = 0; i < n; i++) {
    const id = `${g}${i}`;
    csv += `${id},${g}\n`;
    xl += linkedX(g, i) ? `${id},L${id},0.95\n` : `${id},S${id},\n`;
    truth.push({ entity: `E${id}`, party: 'x', id });
    if (hasCp(g, i)) {
      truth.push({ entity: `E${id}`, party: 'y', id: `Y${id}` });
      const wrong = id === 'A18' || id === 'A19';
      yl += linkedX(g, i) && !wrong ? `Y${id},L${id},0.95\n` : `Y${id},W${id},${wrong ? '0.9' : ''}\n`;
      // ...A18 and A19 are linked to someone else in y
      if (wrong) yl += `Z${id},L${id},0.9\n`;
    }
  }
}
// group D (5 records, under the small-group size): D0 and D1 are linked to each other only (duplicates in x's own file)
for (let i = 0; i < 5; i++) {
  csv += `D${i},D\n`;
  xl += i < 2 ? `D${i},DUP,0.97\n` : `D${i},SD${i},\n`;
  truth.push({ entity: i < 2 ? 'ED' : `ED${i}`, party: 'x', id: `D${i}` });
}
const run = join(dir, 'run');
mkdirSync(run);
writeFileSync(join(dir, 'x.csv'), csv);
writeFileSync(join(run, 'x.links.csv'), xl);
writeFileSync(join(run, 'y.links.csv'), yl);

const load = async (): Promise<[LinksFile, LinksFile]> => [await readLinksFile(join(run, 'x.links.csv')), await readLinksFile(join(run, 'y.links.csv'))];

describe('Newcombe interval for a difference of proportions', () => {
  it('matches the published values (Newcombe 1998, method 10)', () => {
    const a = newcombe(56, 70, 48, 80);
    expect(a.lo).toBeCloseTo(0.0524, 4);
    expect(a.hi).toBeCloseTo(0.3339, 4);
    const b = newcombe(9, 10, 3, 10);
    expect(b.lo).toBeCloseTo(0.1705, 4);
    expect(b.hi).toBeCloseTo(0.809, 3);
  });

  it('holds the difference, lies in [-1, 1], and is antisymmetric', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (n1, n2, q1, q2) => {
        const x1 = Math.round(q1 * n1);
        const x2 = Math.round(q2 * n2);
        const ci = newcombe(x1, n1, x2, n2);
        const d = x1 / n1 - x2 / n2;
        expect(ci.lo).toBeLessThanOrEqual(d + 1e-12);
        expect(ci.hi).toBeGreaterThanOrEqual(d - 1e-12);
        expect(ci.lo).toBeGreaterThanOrEqual(-1);
        expect(ci.hi).toBeLessThanOrEqual(1);
        const r = newcombe(x2, n2, x1, n1);
        expect(r.lo).toBeCloseTo(-ci.hi, 12);
        expect(r.hi).toBeCloseTo(-ci.lo, 12);
      }),
      { numRuns: 200 },
    );
  });
});

describe('largest gap between groups', () => {
  it('takes the highest and lowest rate among groups of at least the small-group size', () => {
    const g = largestGap([{ value: 'A', hits: 36, n: 40 }, { value: 'B', hits: 30, n: 40 }, { value: 'C', hits: 5, n: 5 }], 10, 0.015)!;
    expect(g.high).toBe('A');
    expect(g.low).toBe('B');
    expect(g.gap).toBeCloseTo(0.15, 12);
    expect(g.ci).toEqual(newcombe(36, 40, 30, 40));
    expect(g.flagged).toBe(true);
    expect(g.groups).toBe(2);
    expect(largestGap([{ value: 'A', hits: 36, n: 40 }, { value: 'C', hits: 5, n: 5 }], 10, 0.015)).toBeUndefined();
    // exactly at the limit is not above it
    expect(largestGap([{ value: 'A', hits: 115, n: 1000 }, { value: 'B', hits: 100, n: 1000 }], 10, 0.015)!.flagged).toBe(false);
    expect(largestGap([{ value: 'A', hits: 116, n: 1000 }, { value: 'B', hits: 100, n: 1000 }], 10, 0.015)!.flagged).toBe(true);
  });
});

describe('link rate and recall per group on a tiny run with known answers', () => {
  it('link rates per group and the largest link-rate gap, flagged above 1.5 points', async () => {
    const [x] = await load();
    const r = await computeBias({ links: x, dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), minGroupSize: 10, asOf: '2026-01-01' });
    const g = Object.fromEntries(r.dimensions[0]!.groups.map((y) => [y.value, y]));
    expect([g.A!.linked, g.A!.n, g.B!.linked, g.B!.n, g.C!.linked, g.C!.n]).toEqual([36, 40, 30, 40, 5, 5]);
    expect(g.A!.ci).toEqual(wilson(36, 40));
    const gap = r.dimensions[0]!.linkRateGap!;
    expect([gap.high, gap.low]).toEqual(['A', 'B']); // C (5 records) is below the small-group size
    expect(gap.gap).toBeCloseTo(0.15, 12);
    expect(gap.flagged).toBe(true);
    expect(r.dimensions[0]!.recallGap).toBeUndefined();
    expect(r.recall).toBeUndefined();
    expect(r.gapFlaggedCount).toBe(1);
    expect(r.maxGap).toBe(0.015);
    const wide = await computeBias({ links: x, dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), minGroupSize: 10, maxGap: 0.2, asOf: '2026-01-01' });
    expect(wide.dimensions[0]!.linkRateGap!.flagged).toBe(false);
    expect(wide.gapFlaggedCount).toBe(0);
  });

  it('recall per group: with the other parties\' links only links to a true counterpart count', async () => {
    const [x, y] = await load();
    const base = { links: x, dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), minGroupSize: 10, truth, asOf: '2026-01-01' };
    const exact = await computeBias({ ...base, otherLinks: [y] });
    const g = Object.fromEntries(exact.dimensions[0]!.groups.map((z) => [z.value, z]));
    expect(g.A!.recall).toEqual({ hits: 18, of: 20, rate: 0.9, ci: wilson(18, 20) });
    expect(g.B!.recall).toEqual({ hits: 20, of: 30, rate: 20 / 30, ci: wilson(20, 30) });
    expect(g.C!.recall!.hits).toBe(5);
    expect(exact.recall).toMatchObject({ hits: 43, of: 55, exact: true });
    // a counterpart in a party that was not in the run does not count (A39 is only in z)
    const withZ = await computeBias({ ...base, truth: [...truth, { entity: 'EA39', party: 'z', id: 'ZA39' }], otherLinks: [y] });
    expect(withZ.recall).toMatchObject({ hits: 43, of: 55 });
    expect((await computeBias({ ...base, truth: [...truth, { entity: 'EA39', party: 'z', id: 'ZA39' }] })).recall).toMatchObject({ of: 56 });
    const rg = exact.dimensions[0]!.recallGap!;
    expect([rg.high, rg.low]).toEqual(['A', 'B']);
    expect(rg.gap).toBeCloseTo(0.9 - 20 / 30, 12);
    expect(rg.ci).toEqual(newcombe(18, 20, 20, 30));
    expect(rg.flagged).toBe(true);
    expect(exact.gapFlaggedCount).toBe(1); // link rates A 20/40 and B 20/40: no gap
    // with only x's own file, a link to the wrong person counts as recalled
    const any = await computeBias(base);
    const h = Object.fromEntries(any.dimensions[0]!.groups.map((z) => [z.value, z]));
    expect(h.A!.recall!.hits).toBe(20);
    expect(any.recall).toMatchObject({ hits: 45, of: 55, exact: false });
    const t = biasText(exact);
    // with y's file, A's records linked to no one in y are not linked to another party: 20 of 40
    expect(t).toMatch(/A\s+40\s+20\s+50\.0%.*18\/20\s+90\.0%/);
    expect(biasText(any)).toContain('largest link-rate gap: 15.0 pt (A 90.0% vs B 75.0%; 95% CI');
    expect(t).toContain('largest recall gap:    23.3 pt (A 90.0% vs B 66.7%');
    expect(t).toContain('GAP FLAG: above 1.5 pt');
    expect(t).toContain('1 gap(s) between two groups above 1.5 pt.');
    const html = biasHtml(exact);
    expectSelfContained(html);
    expect(html).toContain('aria-label="recall by group"');
    expect(html).toContain('<p class="flag">Largest recall gap: 23.3 pt');
  });

  it('a record linked only to a duplicate in its own file counts as linked only when the other files are not given', async () => {
    const [x, y] = await load();
    const base = { links: x, dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), minGroupSize: 10, asOf: '2026-01-01' };
    const own = await computeBias(base);
    const all = await computeBias({ ...base, otherLinks: [y] });
    const d = (r: typeof own) => r.dimensions[0]!.groups.find((g) => g.value === 'D')!;
    expect(d(own).linked).toBe(2);
    expect(own.crossPartyChecked).toBe(false);
    expect(d(all).linked).toBe(0);
    expect(all.crossPartyChecked).toBe(true);
    // linked to y: A0..A19 (A18 and A19 to the wrong people), B0..B19, C0..C4
    expect(own.linked).toBe(36 + 30 + 5 + 2);
    expect(all.linked).toBe(20 + 20 + 5);
    expect(biasText(all)).toContain('linked: shares its linkage ID with a record of another party');
    expect(biasText(own)).toContain('a record linked only to a duplicate in its own file counts too');
  });

  it('the run\'s directory with a party name gives exact recall; without the name it is refused', async () => {
    const { result } = await runBiasReport({ linksFile: run, party: 'x', dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: 'grp', minGroupSize: 10, asOf: '2026-01-01', truthFile: await truthFile() });
    expect(result.recall).toMatchObject({ hits: 43, of: 55, exact: true });
    const e = await p20Rejection(runBiasReport({ linksFile: run, dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: 'grp' }));
    expect(e.code).toBe('BIAS_ARGS');
    expect(cliMessage(e)).toMatch(/run: holds the links files of several parties \(x, y\): name the party to report on \(--party\)/);
    const e2 = await p20Rejection(runBiasReport({ linksFile: run, party: 'z', dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: 'grp' }));
    expect(e2.message).toContain('has no links file of party "z" (it has: x, y)');
  });

  it('groups by a pass-through column of the party\'s encoded file', async () => {
    const enc = join(dir, 'x.enc');
    const w = createEncodedWriter(enc, { tool: 't', createdAt: '2026-01-01T00:00:00.000Z', party: 'x', schemaFingerprint: `sha256:${'ab'.repeat(32)}`, keyCheckValue: '0123456789abcdef0123456789abcdef', l: 64, passColumns: ['grp'] });
    for (const line of csv.trim().split('\n').slice(1)) {
      const [id, g] = line.split(',');
      await w.writeRow(id!, Buffer.alloc(8).toString('base64'), [g!]);
    }
    await w.commit();
    const [x] = await load();
    const fromCsv = await computeBias({ links: x, dataFile: join(dir, 'x.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), minGroupSize: 10, asOf: '2026-01-01' });
    const fromEnc = await computeBias({ links: x, dataFile: enc, by: parseGroupSpecs('pass:grp'), minGroupSize: 10, asOf: '2026-01-01' });
    expect(fromEnc.dimensions[0]!.groups).toEqual(fromCsv.dimensions[0]!.groups);
    expect(fromEnc.dimensions[0]!.linkRateGap).toEqual(fromCsv.dimensions[0]!.linkRateGap);
    const e = await p20Rejection(computeBias({ links: x, dataFile: enc, by: parseGroupSpecs('race'), asOf: '2026-01-01' }));
    expect(e.message).toContain('group column "race" is not a pass-through column of the encoded file (it has: grp)');
    const e2 = await p20Rejection(computeBias({ links: x, dataFile: join(dir, 'x.csv'), by: parseGroupSpecs('grp') }));
    expect(cliMessage(e2)).toContain('name the record id column of the extract (--id-column)');
  });
});

async function truthFile(): Promise<string> {
  const f = join(dir, 'truth.csv');
  writeFileSync(f, `entity_id,party,record_id\n${truth.map((t) => `${t.entity},${t.party},${t.id}`).join('\n')}\n`);
  return f;
}
