import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { P20Error } from '../../src/errors.js';
import { ageBand, ageOn, parseDate } from '../../src/report/age.js';
import { computeBias, parseGroupSpecs } from '../../src/report/bias.js';
import { readLinksFile } from '../../src/format/links.js';
import { runBiasReport } from '../../src/report/index.js';
import { cliMessage } from '../../cli/hints.js';
import { runCli } from '../helpers/cli.js';
import { cp1252 } from '../helpers/cp1252.js';
import { p20Rejection } from '../helpers/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p20-bias-'));
  // group A: 100 records, 90 linked; B: 100 records, 60 linked; C: 10 records, all linked
  let data = 'sid,grp,sex,dob\n';
  let links = 'record_id,linkage_id,score\n';
  let n = 0;
  const add = (grp: string, count: number, linked: number) => {
    for (let i = 0; i < count; i++) {
      const id = `S${n++}`;
      // born 2000-06-15 (age 26 on 2026-11-24) or 2008-01-01 (age 18)
      data += `${id},${grp},${i % 2 ? 'F' : 'M'},${i % 4 === 0 ? '01/01/2008' : '06/15/2000'}\n`;
      // linked records have a score; unlinked ones appear with an empty score (or not at all)
      if (i < linked) links += `${id},L${id},0.91\n`;
      else if (i % 3 !== 0) links += `${id},L${id},\n`;
    }
  };
  add('A', 100, 90);
  add('B', 100, 60);
  add('C', 10, 10);
  await writeFile(join(dir, 'data.csv'), data);
  await writeFile(join(dir, 'x.links.csv'), links);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bias report', () => {
  it('computes link rates by group, flags groups beyond the margin and notes small ones', async () => {
    const links = await readLinksFile(join(dir, 'x.links.csv'));
    const r = await computeBias({ links, dataFile: join(dir, 'data.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), asOf: '2026-11-24' });
    expect(r.party).toBe('x');
    expect(r.records).toBe(210);
    expect(r.linked).toBe(160);
    expect(r.overall.rate).toBeCloseTo(160 / 210, 12);
    const g = Object.fromEntries(r.dimensions[0]!.groups.map((x) => [x.value, x]));
    expect(g.A!.rate).toBeCloseTo(0.9, 12);
    expect(g.B!.rate).toBeCloseTo(0.6, 12);
    expect(g.A!.flagged && g.B!.flagged && g.C!.flagged).toBe(true);
    expect(g.A!.significant).toBe(true);
    expect(g.B!.significant).toBe(true);
    expect(g.C!.small).toBe(true);
    expect(g.A!.small).toBe(false);
    // C: 10 of 10 — its interval still includes the overall rate (0.76): not significant
    expect(g.C!.ci.lo).toBeCloseTo(0.7225, 4);
    expect(g.C!.significant).toBe(false);
    expect(r.flaggedCount).toBe(3);
  });

  it('a wider margin flags fewer groups', async () => {
    const links = await readLinksFile(join(dir, 'x.links.csv'));
    const r = await computeBias({ links, dataFile: join(dir, 'data.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), margin: 0.2, asOf: '2026-11-24' });
    expect(r.dimensions[0]!.groups.filter((x) => x.flagged).map((x) => x.value)).toEqual(['C']);
  });

  it('makes age bands from a birth-date column and groups by several dimensions', async () => {
    const { result, text } = await runBiasReport({ linksFile: join(dir, 'x.links.csv'), dataFile: join(dir, 'data.csv'), idColumn: 'sid', by: ['grp,sex', 'age_band:dob'], asOf: '2026-11-24' });
    expect(result.dimensions.map((d) => d.spec.name)).toEqual(['grp', 'sex', 'age_band']);
    const ages = result.dimensions[2]!.groups;
    expect(ages.map((a) => a.value)).toEqual(['18-20', '25-29']);
    expect(ages[0]!.n + ages[1]!.n).toBe(210);
    expect(text).toContain('FLAG');
  });

  it('reads the age bands\' birth dates in the extract\'s own layout (SAS dates), and refuses a bad layout list', async () => {
    const sas = (await readFile(join(dir, 'data.csv'), 'utf8')).replaceAll('01/01/2008', '01JAN2008').replaceAll('06/15/2000', '15JUN2000');
    await writeFile(join(dir, 'data-sas.csv'), sas);
    const run = (dateLayouts?: string[]) =>
      runBiasReport({ linksFile: join(dir, 'x.links.csv'), dataFile: join(dir, 'data-sas.csv'), idColumn: 'sid', by: ['age_band:dob'], asOf: '2026-11-24', ...(dateLayouts ? { dateLayouts } : {}) });
    expect((await run()).result.dimensions[0]!.groups.map((a) => [a.value, a.n])).toEqual([['(unknown)', 210]]);
    expect((await run(['DDMONYYYY'])).result.dimensions[0]!.groups.map((a) => [a.value, a.n])).toEqual([['18-20', 53], ['25-29', 157]]);
    for (const bad of [['DD-MON'], ['MM/DD/YYYY', 'DD/MM/YYYY'], []]) {
      const e = await run(bad).then(() => undefined, (x: unknown) => x as P20Error);
      expect(e?.code).toBe('BIAS_ARGS');
      expect(e?.location.field).toBe('date-layout');
    }
  });

  it('with ground truth, sets each group\'s true rate beside its link rate', async () => {
    const links = await readLinksFile(join(dir, 'x.links.csv'));
    // S0..S4 (group A) and S100 (group B) really are in another party's file; S5 is only in x
    const truth = [
      ...['S0', 'S1', 'S2', 'S3', 'S4', 'S100'].flatMap((id) => [{ entity: `E${id}`, party: 'x', id }, { entity: `E${id}`, party: 'y', id: `Y${id}` }]),
      { entity: 'E5', party: 'x', id: 'S5' },
    ];
    const r = await computeBias({ links, dataFile: join(dir, 'data.csv'), idColumn: 'sid', by: parseGroupSpecs('grp'), truth, asOf: '2026-11-24' });
    const g = Object.fromEntries(r.dimensions[0]!.groups.map((x) => [x.value, x]));
    expect(g.A!.truePresent).toBe(5);
    expect(g.A!.trueRate).toBeCloseTo(0.05, 12);
    expect(g.B!.truePresent).toBe(1);
    expect(g.C!.truePresent).toBe(0);
  });

  it('refuses a missing id or group column with the file and field', async () => {
    const links = await readLinksFile(join(dir, 'x.links.csv'));
    await expect(computeBias({ links, dataFile: join(dir, 'data.csv'), idColumn: 'nope', by: parseGroupSpecs('grp') })).rejects.toThrow(P20Error);
    await expect(computeBias({ links, dataFile: join(dir, 'data.csv'), idColumn: 'sid', by: parseGroupSpecs('race') })).rejects.toThrow(/race/);
    expect(() => parseGroupSpecs('')).toThrow(P20Error);
  });

  it('refuses duplicate ids in the links file', async () => {
    await writeFile(join(dir, 'dup.links.csv'), 'record_id,linkage_id,score\nA,L1,0.9\nA,L2,0.9\n');
    await expect(readLinksFile(join(dir, 'dup.links.csv'))).rejects.toThrow(/line 3.*duplicate/);
  });
});

describe('an extract in another dialect (semicolons, saved as windows-1252)', () => {
  /** data.csv with accented group labels: as UTF-8 with commas, and with semicolons saved as windows-1252. */
  const twins = async (): Promise<{ utf8: string; other: string }> => {
    const text = (await readFile(join(dir, 'data.csv'), 'utf8')).replace(/,A,/g, ',Añil,').replace(/,B,/g, ',Bía,');
    const utf8 = join(dir, 'accents.csv');
    const other = join(dir, 'accents-1252.csv');
    await writeFile(utf8, text);
    await writeFile(other, cp1252(text.replaceAll(',', ';')));
    return { utf8, other };
  };

  it('is read as its UTF-8 twin with the csv option, through the library and the command line', async () => {
    const { utf8, other } = await twins();
    const links = await readLinksFile(join(dir, 'x.links.csv'));
    const opts = { links, idColumn: 'sid', by: parseGroupSpecs('grp'), asOf: '2026-11-24' };
    const ref = await computeBias({ ...opts, dataFile: utf8 });
    const got = await computeBias({ ...opts, dataFile: other, csv: { delimiter: ';', encoding: 'windows-1252' } });
    expect(ref.dimensions[0]!.groups.map((g) => g.value).sort()).toEqual(['Añil', 'Bía', 'C']);
    expect({ ...got, dataFile: '' }).toEqual({ ...ref, dataFile: '' });
    const args = ['report', 'bias', '--links', join(dir, 'x.links.csv'), '--id-column', 'sid', '--by', 'grp', '--as-of', '2026-11-24'];
    const a = await runCli([...args, '--data', utf8]);
    const b = await runCli([...args, '--data', other, '--delimiter', ';', '--encoding', 'latin1']);
    expect(b.code).toBe(0);
    expect(b.out.replaceAll(other, 'DATA')).toBe(a.out.replaceAll(utf8, 'DATA'));
  });

  it('read without the option it is refused with the option it needs; an encoded file refuses the csv option', async () => {
    const { other } = await twins();
    const links = await readLinksFile(join(dir, 'x.links.csv'));
    const opts = { links, idColumn: 'sid', by: parseGroupSpecs('grp') };
    const enc = await p20Rejection(computeBias({ ...opts, dataFile: other, csv: { delimiter: ';' } }));
    expect(enc.code).toBe('CSV_ENCODING');
    expect(cliMessage(enc)).toMatch(/with --encoding windows-1252\)$/);
    const del = await p20Rejection(computeBias({ ...opts, dataFile: other, csv: { encoding: 'latin1' } }));
    expect(del.code).toBe('BIAS_ARGS');
    expect(cliMessage(del)).toMatch(/id column "sid" is not in the header \(sid;grp;sex;dob\)\. The header is one single column containing ";": read it with --delimiter ';'$/);
    const encoded = join(dir, 'fake.enc');
    await writeFile(encoded, '{"format":"p20link/encoded","version":1}\n');
    const e = await p20Rejection(computeBias({ ...opts, dataFile: encoded, csv: { encoding: 'latin1' } }));
    expect(e.code).toBe('BIAS_ARGS');
    expect(cliMessage(e)).toMatch(/fake\.enc: is an encoded file, read as it is: --encoding reads an extract$/);
  });
});

describe('ages', () => {
  it('parses the three agency layouts and computes whole years', () => {
    expect(parseDate('02/29/2004')).toEqual({ y: 2004, m: 2, d: 29 });
    expect(parseDate('2004-02-29')).toEqual({ y: 2004, m: 2, d: 29 });
    expect(parseDate('20040229')).toEqual({ y: 2004, m: 2, d: 29 });
    expect(parseDate('02/29/2003')).toBeUndefined();
    expect(parseDate('13/01/2003')).toBeUndefined();
    expect(ageOn({ y: 2000, m: 6, d: 15 }, { y: 2026, m: 6, d: 14 })).toBe(25);
    expect(ageOn({ y: 2000, m: 6, d: 15 }, { y: 2026, m: 6, d: 15 })).toBe(26);
    expect(ageBand(17)).toBe('under 18');
    expect(ageBand(18)).toBe('18-20');
    expect(ageBand(64)).toBe('55-64');
    expect(ageBand(80)).toBe('65+');
  });
});

describe('HTML reports are self-contained', () => {
  it('bias HTML has inline SVG, no scripts and no external references; group names are escaped', async () => {
    await writeFile(join(dir, 'evil.csv'), 'sid,grp\nS1,<script>alert(1)</script>\nS2,B\n');
    await writeFile(join(dir, 'evil.links.csv'), 'record_id,linkage_id,score\nS1,L1,0.9\n');
    const out = join(dir, 'bias.html');
    await runBiasReport({ linksFile: join(dir, 'evil.links.csv'), dataFile: join(dir, 'evil.csv'), idColumn: 'sid', by: 'grp', html: out });
    const html = await readFile(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/https?:/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\s(src|href)=/i);
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('bias properties', () => {
  it('every dimension partitions the records; linked counts add up; rates lie in their intervals', async () => {
    const fc = (await import('fast-check')).default;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', ''), fc.constantFrom('M', 'F'), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 60 }),
        async (rows) => {
          let data = 'id,g,s\n';
          const links: [string, { linkageId: string; score: number | undefined }][] = [];
          rows.forEach(([g, s, l], i) => {
            data += `R${i},${g},${s}\n`;
            if (l === 1) links.push([`R${i}`, { linkageId: `L${i}`, score: 0.9 }]);
            if (l === 2) links.push([`R${i}`, { linkageId: `L${i}`, score: undefined }]);
          });
          const f = join(dir, 'prop.csv');
          await writeFile(f, data);
          const r = await computeBias({ links: { party: 'p', file: 'p.links.csv', hasScore: true, records: new Map(links) }, dataFile: f, idColumn: 'id', by: parseGroupSpecs('g,s'), asOf: '2026-01-01' });
          const linked = rows.filter((x) => x[2] === 1).length;
          expect(r.linked).toBe(linked);
          for (const d of r.dimensions) {
            expect(d.groups.reduce((a, g) => a + g.n, 0)).toBe(rows.length);
            expect(d.groups.reduce((a, g) => a + g.linked, 0)).toBe(linked);
            for (const g of d.groups) {
              expect(g.ci.lo).toBeLessThanOrEqual(g.rate + 1e-12);
              expect(g.ci.hi).toBeGreaterThanOrEqual(g.rate - 1e-12);
              expect(g.flagged).toBe(Math.abs(g.rate - r.overall.rate) > 0.05);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
