import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRunReportForQuality } from '../../src/report/histogram.js';
import { runReportProblem } from '../../src/format/run-report.js';
import { bandRows, expectedVsMeasured, modelSectionsOf, priorWeight, type ModelSummary } from '../../src/report/model.js';
import { probabilityOfWeight } from '../../src/link/model/predict.js';
import { asciiWeightHistogram, modelText, qualityHtml } from '../../src/report/render-quality.js';
import { matchWeightsSvg, weightHistogramSvg } from '../../src/report/svg.js';
import type { QualityResult } from '../../src/report/quality.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { noisy, prng, randomClk, writeEncoded } from '../fixtures/link/make-encoded.js';
import { expectSelfContained } from './html-checks.js';

const FIXTURE = 'test/fixtures/report/model-run-report.json';
const fixture = (): { model: ModelSummary } => JSON.parse(readFileSync(FIXTURE, 'utf8')) as { model: ModelSummary };
const dir = fileTempDir('p20-report-model-');

/** x of the tick carrying `data-value="v"` (the axis the chart drew). */
function tickX(svg: string, v: number): number {
  const m = new RegExp(`class="tick" data-value="${v}" x1="([-0-9.]+)"`).exec(svg);
  if (!m) throw new Error(`no tick at ${v}`);
  return Number(m[1]);
}

describe('model section of the run report', () => {
  it('reads one model for the run, every number checked', async () => {
    const r = await readRunReportForQuality(FIXTURE);
    expect(r.histogram).toBeUndefined();
    expect(r.model).toHaveLength(1);
    const s = r.model[0]!;
    expect(s.label).toBe('all parties');
    expect(s.summary.comparisons.map((c) => c.name)).toEqual(['clk', 'names', 'first_dob', 'last_dob']);
    expect(s.summary.decision).toEqual({ probability: 0.5, weight: 0 });
    expect(s.summary.priors).toHaveLength(3);
    expect(s.summary.em).toEqual({ iterations: 17, converged: true });
  });

  it('reads per-party-pair models (a list naming partyA/partyB, or global + partyPairs)', () => {
    const m = fixture().model;
    const list = modelSectionsOf({ model: [{ partyA: 'k12', partyB: 'wages', ...m }, { partyA: 'college', partyB: 'k12', model: m }] }, 'r.json');
    expect(list.map((s) => s.label)).toEqual(['k12 ~ wages', 'college ~ k12']);
    expect(list[1]!.parties).toEqual(['college', 'k12']);
    const both = modelSectionsOf({ model: { global: m, partyPairs: [{ parties: ['a', 'b'], summary: m }] } }, 'r.json');
    expect(both.map((s) => s.label)).toEqual(['all parties', 'a ~ b']);
    expect(modelSectionsOf({ scoreHistogram: {} }, 'r.json')).toEqual([]);
  });

  it('computes a missing level weight as log2(m/u)', () => {
    const m = fixture().model;
    const { weight: _w, ...noWeight } = m.comparisons[0]!.levels[0]!;
    const s = modelSectionsOf({ model: { ...m, comparisons: [{ name: 'clk', levels: [noWeight] }] } }, 'r.json');
    expect(s[0]!.summary.comparisons[0]!.levels[0]!.weight).toBeCloseTo(Math.log2(0.62 / 0.0004), 12);
  });

  it('refuses a malformed model with the file and the field', async () => {
    const m = fixture().model;
    const bad = structuredClone(m);
    bad.comparisons[1]!.levels[2]!.m = 1.5;
    const f = join(dir, 'bad.json');
    await writeFile(f, JSON.stringify({ model: bad }));
    const e = await p20Rejection(readRunReportForQuality(f));
    expect(e.code).toBe('REPORT_RUN');
    expect(e.message).toContain('bad.json');
    expect(e.message).toContain('model.comparisons.1.levels.2.m must be between 0 and 1');
    const noEm = structuredClone(m) as Partial<ModelSummary>;
    delete noEm.em;
    expect(() => modelSectionsOf({ model: noEm }, 'r.json')).toThrow(/model\.em must be an object/);
    expect(() => modelSectionsOf({ model: { pairs: 3 } }, 'r.json')).toThrow(/model\.pairs must be an array/);
  });

  it('band rows: expected matches per band and linking from each band upwards (a case worked by hand)', () => {
    const m = { ...fixture().model, bands: [
      { from: 0, to: 0.5, pairs: 1000, expectedPrecision: 0.01 },
      { from: 0.5, to: 0.9, pairs: 20, expectedPrecision: 0.5 },
      { from: 0.9, to: 1, pairs: 80, expectedPrecision: 0.975 },
    ] };
    // expected matches 10, 10, 78: total 98
    const r = bandRows(m);
    expect(r.map((b) => b.expectedMatches)).toEqual([10, 10, 78]);
    expect(r[2]!.shareOfMatches).toBeCloseTo(78 / 98, 12);
    expect(r[1]!.fromHere).toEqual({ links: 100, precision: 0.88, recall: 88 / 98 });
    expect(r[0]!.fromHere.recall).toBe(1);
    expect(r[2]!.fromHere.links).toBe(80);
  });

  it("band rows of a run's report: expected matches one to one (bands[].matches), precision still from the pairs' probabilities", () => {
    const m = { ...fixture().model, bands: [
      { from: 0, to: 0.5, pairs: 1000, expectedPrecision: 0.01, matches: 4 },
      { from: 0.5, to: 0.9, pairs: 20, expectedPrecision: 0.5, matches: 6 },
      { from: 0.9, to: 1, pairs: 80, expectedPrecision: 0.975, matches: 70 },
    ] };
    // one-to-one matches 4, 6, 70: total 80 (Σ p would say 98)
    const r = bandRows(m);
    expect(r.map((b) => b.expectedMatches)).toEqual([4, 6, 70]);
    expect(r[2]!.shareOfMatches).toBeCloseTo(70 / 80, 12);
    expect(r[1]!.fromHere).toEqual({ links: 100, precision: 0.88, recall: 76 / 80 });
    expect(r[0]!.fromHere.recall).toBe(1);
    // matches no candidate holds (records without a birth date): in every band's recall, not in the shares
    const beyond = bandRows({ ...m, expected: { ...m.expected, matches: 100, missingDate: 20 } });
    expect(beyond[2]!.shareOfMatches).toBeCloseTo(70 / 80, 12);
    expect(beyond[1]!.fromHere.recall).toBeCloseTo(76 / 100, 12);
    expect(beyond[0]!.fromHere.recall).toBeCloseTo(80 / 100, 12);
    // one band without it (a mixed report): every band falls back to Σ p
    const mixed = bandRows({ ...m, bands: m.bands.map((b, i) => (i === 0 ? { from: b.from, to: b.to, pairs: b.pairs, expectedPrecision: b.expectedPrecision } : b)) });
    expect(mixed.map((b) => b.expectedMatches)).toEqual([10, 10, 78]);
  });

  it('band rows: linking from a higher band never gives more links or recall; shares add up to 1', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 8 }), (rows) => {
        const edges = rows.map((_, i) => i / rows.length);
        const bands = rows.map(([pairs, p], i) => ({ from: edges[i]!, to: i + 1 < rows.length ? edges[i + 1]! : 1, pairs, expectedPrecision: p }));
        const r = bandRows({ ...fixture().model, bands });
        for (let i = 1; i < r.length; i++) {
          expect(r[i]!.fromHere.links).toBeLessThanOrEqual(r[i - 1]!.fromHere.links);
          expect(r[i]!.fromHere.recall).toBeLessThanOrEqual(r[i - 1]!.fromHere.recall + 1e-12);
        }
        const total = r.reduce((x, b) => x + b.expectedMatches, 0);
        if (total > 0) {
          expect(r.reduce((x, b) => x + b.shareOfMatches, 0)).toBeCloseTo(1, 9);
          expect(r[0]!.fromHere.recall).toBeCloseTo(1, 12);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('prior weight and probability of a weight are inverse views of the odds', () => {
    expect(priorWeight(0.5)).toBe(0);
    expect(priorWeight(0.2)).toBeCloseTo(-2, 12);
    expect(probabilityOfWeight(0)).toBe(0.5);
    expect(probabilityOfWeight(priorWeight(0.004))).toBeCloseTo(0.004, 12);
  });
});

describe('model rendering', () => {
  const sections = modelSectionsOf(fixture(), FIXTURE);

  it('the text report gives expectations, m/u/weights, bands, EM and the histogram with the decision line', () => {
    const t = modelText(sections);
    expect(t).toContain('expected precision 0.9953  recall 0.9459  links 18574');
    expect(t).toContain('prior by party pair: college ~ k12 0.005100, k12 ~ wages 0.003200, wages (within the file) 0.0004000');
    expect(t).toContain('EM: 17 iterations, converged');
    expect(t).toContain('decision: match probability >= 0.5 (total match weight >= 0.00)');
    expect(t).toMatch(/clk\s+>=0\.95\s+0\.6200\s+0\.0004\s+\+10\.60/);
    expect(t).toMatch(/<0\.6\s+0\.0100\s+0\.8566\s+-6\.42/);
    expect(t).toMatch(/0\.999-1\s+15870\s+0\.9998/);
    // the decision line sits between the last row starting below the decision weight and the first at or above it
    const rows = t.split('\n');
    const i = rows.findIndex((l) => l.includes('decision weight 0.00'));
    expect(rows[i - 1]).toMatch(/^\s+-1\.0 to 0\.0\s+99 /);
    expect(rows[i + 1]).toMatch(/^\s+0\.0 to \+3\.0\s+47 /);
    expect(rows[i]).toContain('18574 pairs at or above');
  });

  it('says in words when EM did not converge', () => {
    const m = { ...fixture().model, em: { iterations: 200, converged: false } };
    const sec = modelSectionsOf({ model: m }, 'r.json');
    expect(modelText(sec)).toContain('EM: 200 iterations, NOT converged: m, u and the expectations below may be unreliable');
    expect(qualityHtml(undefined, { model: sec })).toContain('stopped after 200 iterations without converging');
  });

  it('warns in the text and on the page when the fit expects fewer matches than its floor; reads the refinement, checked', () => {
    const refinement = { accepted: false, iterations: 0, converged: false, atBound: false, expectedMatches: [6000, 700.6, 40], maxMatches: [8000, 9000, null], start: 'anchored' as const, minMatches: [5400, 900, 0], atFloor: true, belowFloor: true };
    const m = { ...fixture().model, em: { iterations: 17, converged: true, refinement } };
    const sec = modelSectionsOf({ model: m }, 'r.json');
    expect(sec[0]!.summary.em.refinement).toEqual(refinement);
    const t = modelText(sec);
    const warned = t.split('\n').filter((l) => l.includes('WARNING'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^ {2}WARNING: k12 x wages: the match model expects 700 matches among the candidates, fewer than the 900 pairs whose names and birth date all agree, each the only such candidate of its two records/);
    const html = qualityHtml(undefined, { model: sec });
    expect(html).toContain('<p class="flag">Warning: k12 x wages: the match model expects 700 matches');
    // at or above every floor, or without one (earlier reports): no warning
    const fine = { ...refinement, expectedMatches: [6000, 900, 40], atFloor: false, belowFloor: false };
    expect(modelText(modelSectionsOf({ model: { ...m, em: { ...m.em, refinement: fine } } }, 'r.json'))).not.toContain('WARNING');
    // EM stopped at its floor: one warning for the fit
    const stopped = { ...fine, accepted: true, iterations: 40, start: 'random-u' as const, atFloor: true };
    const w = modelText(modelSectionsOf({ model: { ...m, em: { ...m.em, refinement: stopped } } }, 'r.json')).split('\n').filter((l) => l.includes('WARNING'));
    expect(w).toEqual([expect.stringMatching(/^ {2}WARNING: the match model's fit was stopped at its floor \(EM was moving to fewer matches than the pairs whose names and birth date all agree/)]);
    const { minMatches: _, atFloor: ___, belowFloor: __, ...older } = refinement;
    expect(modelText(modelSectionsOf({ model: { ...m, em: { ...m.em, refinement: older } } }, 'r.json'))).not.toContain('WARNING');
    expect(() => modelSectionsOf({ model: { ...m, em: { ...m.em, refinement: { ...refinement, minMatches: [1, -2, 0] } } } }, 'r.json')).toThrow(/model\.em\.refinement\.minMatches\.1 must be between 0 and Infinity/);
    expect(() => modelSectionsOf({ model: { ...m, em: { ...m.em, refinement: { ...refinement, start: 'elsewhere' } } } }, 'r.json')).toThrow(/model\.em\.refinement\.start must be "random-u" or "anchored"/);
  });

  it("says what the refinement did: converged, stopped at the one-to-one bound (naming the party pair nearest its bound), or refused; nothing for a report without one", () => {
    const base = { accepted: true, iterations: 210, converged: true, atBound: false, expectedMatches: [6000, 8900.4, 40], maxMatches: [8000, 9000, null], start: 'anchored' as const };
    const text = (refinement?: object) => modelText(modelSectionsOf({ model: { ...fixture().model, em: { iterations: 17, converged: true, ...(refinement ? { refinement } : {}) } } }, 'r.json'));
    const note = (refinement?: object) => text(refinement).split('\n').filter((l) => l.includes('free EM'));
    expect(note(base)).toEqual(['  m refined by free EM: 210 steps, converged']);
    // at the bound: k12 ~ wages (8,900 of 9,000) is nearer its bound than college ~ k12 (6,000 of 8,000); within the file there is none
    const stopped = { ...base, iterations: 1, converged: false, atBound: true };
    expect(note(stopped)).toEqual([
      '  m refined by free EM for 1 step, stopped at the one-to-one bound (k12 ~ wages: 8,900 expected matches, at most 9,000): levels that come with a change elsewhere (a birth-date typo, a moved ZIP) keep most of their anchored m and weigh less than a fully refined fit would give them',
    ]);
    const html = qualityHtml(undefined, { model: modelSectionsOf({ model: { ...fixture().model, em: { iterations: 17, converged: true, refinement: stopped } } }, 'r.json') });
    expect(html).toContain('EM converged in 17 iterations. M refined by free EM for 1 step, stopped at the one-to-one bound (k12 ~ wages: 8,900 expected matches, at most 9,000)');
    expect(note({ ...stopped, accepted: false, iterations: 0 })).toEqual(["  m anchored, not refined: free EM's first step expected more matches than one-to-one files can hold (k12 ~ wages: 8,900 expected matches, at most 9,000)"]);
    expect(note({ ...base, accepted: false, iterations: 0, atFloor: true, minMatches: [0, 0, 0], belowFloor: false })).toEqual(["  m anchored, not refined: free EM's first step fell below the floor of sure pairs"]);
    expect(note({ ...base, accepted: false, iterations: 0 })).toEqual([]);
    expect(text({ ...base, accepted: false, iterations: 0 })).toContain('  m anchored, not refined\n');
    expect(note()).toEqual([]);
    expect(text()).toContain('EM: 17 iterations, converged');
  });

  it('warns of a cross-file party pair with almost no anchors (a file without ZIPs), in the text and on the page; reads the anchors, checked', () => {
    const refinement = { accepted: true, iterations: 60, converged: true, atBound: false, expectedMatches: [6000, 900, 40], maxMatches: [8000, 9000, null], start: 'random-u' as const, minMatches: [5400, 800, 0], atFloor: false, belowFloor: false };
    const m = { ...fixture().model, em: { iterations: 17, converged: true, refinement, anchors: [4000, 39, 3] } };
    const sec = modelSectionsOf({ model: m }, 'r.json');
    expect(sec[0]!.summary.em.anchors).toEqual([4000, 39, 3]);
    const warned = modelText(sec).split('\n').filter((l) => l.includes('WARNING'));
    expect(warned).toEqual([expect.stringMatching(/^ {2}WARNING: k12 x wages: only 39 of its candidate pairs show the ZIP and birth date agreeing, against 800 whose names and birth date all agree \(a file without ZIPs/)]);
    expect(qualityHtml(undefined, { model: sec })).toContain('<p class="flag">Warning: k12 x wages: only 39 of its candidate pairs show the ZIP');
    // 5 % of the sure pairs or more, a party pair with too few sure pairs to tell, within one file (wages x wages), or
    // no counts (earlier reports): no warning
    for (const em of [{ anchors: [4000, 40, 0] }, { anchors: [4000, 2, 0], refinement: { ...refinement, minMatches: [5400, 49, 0] } }, {}]) {
      expect(modelText(modelSectionsOf({ model: { ...m, em: { iterations: 17, converged: true, refinement, ...em } } }, 'r.json')), JSON.stringify(em)).not.toContain('WARNING');
    }
    expect(() => modelSectionsOf({ model: { ...m, em: { ...m.em, anchors: [1, -2, 0] } } }, 'r.json')).toThrow(/model\.em\.anchors\.1/);
    // its married names counted by chance coincidences (a report of session 41 on): the warning says how
    const counted = modelSectionsOf({ model: { ...m, em: { ...m.em, marriedByChance: [null, { pairs: 1200, chance: 310 }, null] } } }, 'r.json');
    expect(counted[0]!.summary.em.marriedByChance).toEqual([null, { pairs: 1200, chance: 310 }, null]);
    expect(modelText(counted).split('\n').filter((l) => l.includes('WARNING'))).toEqual([expect.stringMatching(/k12 x wages: only 39 .* counted its married names by chance coincidences instead \(1,200 of its candidate pairs share the first name and birth date under another surname, 310 of them expected to be namesakes by chance\)/)]);
    expect(() => modelSectionsOf({ model: { ...m, em: { ...m.em, marriedByChance: [null, { pairs: 1200, chance: -1 }, null] } } }, 'r.json')).toThrow(/model\.em\.marriedByChance\.1\.chance/);
    expect(() => modelSectionsOf({ model: { ...m, em: { ...m.em, marriedByChance: [null, { pairs: 1.5, chance: 1 }, null] } } }, 'r.json')).toThrow(/model\.em\.marriedByChance\.1\.pairs/);
  });

  it('names the party pairs that did not teach m and u (em.taught), in the text and on the page; reads the flags, checked', () => {
    const m = fixture().model;
    const taught = modelSectionsOf({ model: { ...m, em: { ...m.em, taught: [true, false, false] } } }, 'r.json');
    expect(taught[0]!.summary.em.taught).toEqual([true, false, false]);
    const said = 'm and u were taught by the other party pairs, not by k12 ~ wages, wages (within the file) (a file with a birth date in under 5 % of its records';
    expect(modelText(taught)).toContain(`\n  ${said}`);
    expect(qualityHtml(undefined, { model: taught })).toContain(said);
    // every pair taught, or no flags (earlier reports): nothing said
    for (const em of [{ ...m.em, taught: [true, true, true] }, m.em]) expect(modelText(modelSectionsOf({ model: { ...m, em } }, 'r.json'))).not.toContain('were taught by');
    expect(() => modelSectionsOf({ model: { ...m, em: { ...m.em, taught: [true, 'no', true] } } }, 'r.json')).toThrow(/model\.em\.taught\.1/);
  });

  it('warns beside the estimates of a party whose records lack the birth date (parties[].missing), for the sections it concerns; reads the counts, checked', () => {
    const m = fixture().model;
    const parties = [
      { party: 'k12', records: 1000, missing: { birth_date: 10, zip: 0 } },
      { party: 'wages', records: 800, missing: { birth_date: 800, zip: 3 } },
      { party: 'college', records: 500 },
    ];
    const sec = modelSectionsOf({ model: m, parties }, 'r.json');
    expect(sec[0]!.fileWarnings).toEqual([expect.stringMatching(/^wages: 800 of its 800 records \(100 %\) hold no birth date; .*the report's recall estimate cannot count the pairs no candidate pass proposed/)]);
    expect(modelText(sec).split('\n').filter((l) => l.includes('WARNING'))).toEqual([expect.stringMatching(/^ {2}WARNING: wages: 800 of its 800 records/)]);
    expect(qualityHtml(undefined, { model: sec })).toContain('<p class="flag">Warning: wages: 800 of its 800 records (100 %) hold no birth date');
    // per-party-pair models: only the pairs with that party
    const pairs = modelSectionsOf({ model: [{ partyA: 'k12', partyB: 'wages', model: m }, { partyA: 'k12', partyB: 'college', model: m }], parties }, 'r.json');
    expect(pairs.map((s) => (s.fileWarnings ?? []).length)).toEqual([1, 0]);
    // no counts (earlier reports, a hand-kept report): nothing; malformed counts: refused with the field
    expect(modelSectionsOf({ model: m }, 'r.json')[0]!.fileWarnings).toBeUndefined();
    expect(() => modelSectionsOf({ model: m, parties: [{ party: 'wages', records: 800, missing: { birth_date: -1 } }] }, 'r.json')).toThrow(/parties\.0\.missing\.birth_date/);
    expect(() => modelSectionsOf({ model: m, parties: [{ party: 'wages', records: 'x' }] }, 'r.json')).toThrow(/parties\.0\.records/);
  });

  it("an increment's section (source: registry) says its m and u are the registry's stored model, not EM's; another source is refused", async () => {
    const m = { ...fixture().model, source: 'registry' as const, em: { iterations: 0, converged: true } };
    const sec = modelSectionsOf({ model: m }, 'r.json');
    expect(sec[0]!.summary.source).toBe('registry');
    const t = modelText(sec);
    expect(t).toContain("the registry's stored m and u applied to this increment's pairs");
    expect(t).toContain("m, u and the priors: the registry's stored model, fitted by the full run that built it (an increment does not refit)");
    expect(t).not.toMatch(/EM: \d+ iterations|fitted by EM on this run/);
    const html = qualityHtml(undefined, { model: sec });
    expect(html).toContain('<b>stored</b>m and u');
    expect(html).toContain('the registry&#39;s stored model, fitted by the full run that built it');
    expect(html).not.toMatch(/EM iterations|EM converged/);
    // a run that fitted its model has no source
    expect(modelSectionsOf({ model: fixture().model }, 'r.json')[0]!.summary.source).toBeUndefined();
    const e = await p20Rejection(Promise.resolve().then(() => modelSectionsOf({ model: { ...fixture().model, source: 'elsewhere' } }, 'r.json')));
    expect(e.location.field).toBe('model.source');
  });

  it('the ASCII histogram never merges bins across the decision point', () => {
    const bins = Array.from({ length: 60 }, (_, k) => ({ lo: k - 30, hi: k - 29, pairs: k }));
    const rows = asciiWeightHistogram(bins, 0.5, 0.5, 10);
    const i = rows.findIndex((l) => l.includes('decision weight'));
    // 60 bins into rows of 6: the bin [0,1) starts below 0.5, so it stays on the lower side
    expect(rows[i - 1]).toMatch(/\s0\.0 to \+1\.0\s/);
    expect(rows[i + 1]).toMatch(/^\s+\+1\.0 to \+7\.0/);
    const counts = rows.slice(1).filter((l) => !l.includes('decision weight')).map((l) => Number(/^\s+\S.*?\S {2,}(\d+)(\s|$)/.exec(l)![1]));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(bins.reduce((x, b) => x + b.pairs, 0));
    // the end rows are open: they hold everything beyond
    expect(rows[1]).toMatch(/^\s+below -24\.0\s/);
    expect(rows.at(-1)).toMatch(/^\s+\+25\.0 or more\s/);
  });

  it('the histogram chart draws the decision marker at the decision weight on its own axis', () => {
    for (const dw of [7.96, -3.25, 0]) {
      const bins = fixture().model.histogram;
      const svg = weightHistogramSvg(bins, dw, 0.5, 'h');
      const m = /class="decision" data-weight="([-0-9.]+)" x1="([-0-9.]+)"/.exec(svg)!;
      expect(Number(m[1])).toBe(dw);
      const x0 = tickX(svg, 0);
      const x10 = tickX(svg, 10);
      expect(Number(m[2])).toBeCloseTo(x0 + ((x10 - x0) * dw) / 10, 0);
      // bins at or above the decision are the linked colour, the others grey
      expect(svg).toContain('weight 1.00 to 2.00: 10 pairs');
    }
  });

  it('match-weight bars start at zero and point the sign\'s way; numbers are printed; labels are escaped', () => {
    const svg = matchWeightsSvg('names <b>&"x"', [
      { label: 'agree <script>', m: 0.9, u: 0.01, weight: Math.log2(90) },
      { label: "disagree 'x'", m: 0.05, u: 0.8, weight: Math.log2(0.05 / 0.8) },
    ], 'w');
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    expect(svg).toContain('agree &lt;script&gt;');
    expect(svg).toContain('disagree &#39;x&#39;');
    expect(svg).toContain('Match weights of comparison names &lt;b&gt;&amp;&quot;x&quot;');
    expect(svg).toContain('+6.49');
    expect(svg).toContain('−4.00');
    const x0 = tickX(svg, 0);
    const bars = [...svg.matchAll(/<rect x="([-0-9.]+)" y="[-0-9.]+" width="([-0-9.]+)" height="16" fill="(#1a7f37|#cf222e)"/g)];
    expect(bars).toHaveLength(2);
    expect(Number(bars[0]![1])).toBeCloseTo(x0, 0); // positive: from zero to the right
    expect(bars[0]![3]).toBe('#1a7f37');
    expect(Number(bars[1]![1]) + Number(bars[1]![2])).toBeCloseTo(x0, 0); // negative: ends at zero
    expect(bars[1]![3]).toBe('#cf222e');
    // the bar lengths are proportional to the weights
    const x5 = tickX(svg, 5);
    expect(Number(bars[0]![2])).toBeCloseTo(((x5 - x0) * Math.log2(90)) / 5, 0);
  });

  it('the page without ground truth is self-contained, has no script, and every chart is labelled', () => {
    const evil = structuredClone(fixture().model);
    evil.comparisons[0]!.name = '<img src=x onerror=alert(1)>';
    const html = qualityHtml(undefined, { model: modelSectionsOf({ model: evil }, 'r.json') });
    expectSelfContained(html);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs).toHaveLength(2 + 4); // histogram, bands, one per comparison
    for (const s of svgs) {
      const ids = /aria-labelledby="([^"]+)"/.exec(s)![1]!.split(' ');
      for (const id of ids) expect(s).toContain(`id="${id}"`);
      expect(s).toMatch(/<title id="[^"]+">[^<]+<\/title><desc id="[^"]+">[^<]+<\/desc>/);
    }
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    // numbers are in the page as text too (tables), not only as shapes
    expect(html).toContain('<td class="num">0.9998</td>');
    expect(html).toContain('<td>wages (within the file)</td><td class="num">0.0004000</td>');
    expect(html).toContain('<td class="num">+10.60</td>');
  });

  it('with a truth sample, expected and measured stand side by side per model', () => {
    const m = fixture().model;
    const sections2 = modelSectionsOf({ model: [{ partyA: 'wages', partyB: 'k12', ...m }] }, 'r.json');
    const q = {
      precision: 0.9, recall: 0.8, linkedPairs: 100, truePairs: 112, tp: 90, fp: 10, fn: 22, f1: 0.85,
      byPartyPair: [{ parties: ['k12', 'wages'], precision: 0.95, recall: 0.96, linkedPairs: 50, truePairs: 49, tp: 47, fp: 3, fn: 2, f1: 0.955 }],
    } as unknown as QualityResult;
    const e = expectedVsMeasured(sections2, q);
    expect(e).toEqual([{ label: 'wages ~ k12', expected: m.expected, measured: { precision: 0.95, recall: 0.96, links: 50, truePairs: 49 } }]);
    const q2 = { ...q, byScoreBand: [{ from: 0.5, to: 0.9, linked: 10, correct: 6, precision: 0.6 }, { from: 0.999, to: 1, linked: 0, correct: 0, precision: 0 }] } as QualityResult;
    const cal = expectedVsMeasured(sections, q2)[0]!.bands!;
    // only bands with linked pairs, the model's expectation beside the measured precision
    expect(cal).toEqual([{ from: 0.5, to: 0.9, expectedPrecision: 0.7104, linked: 10, correct: 6, precision: 0.6 }]);
    expect(modelText(sections, expectedVsMeasured(sections, q2))).toMatch(/0\.5-0\.9\s+0\.7104\s+10\s+6\s+0\.6000\s+-11\.0 pt/);
    // a per-pair model gets no calibration (its bands mix with other pairs' scores)
    expect(expectedVsMeasured(sections2, q2)[0]!.bands).toBeUndefined();
    const g = expectedVsMeasured(sections, q);
    expect(g[0]!.measured.precision).toBe(0.9);
    const t = modelText(sections, g);
    expect(t).toContain('measured precision 0.9000  recall 0.8000  links 100');
    expect(t).toContain('precision -9.5 pt, recall -14.6 pt');
  });
});

describe('a whole run report with a model section', () => {
  it('is validated against the schema, and its histogram axis says match probability', async () => {
    const rnd = prng(5);
    const people = Array.from({ length: 6 }, () => randomClk(rnd));
    const a = await writeEncoded(join(dir, 'a.enc'), { party: 'k12', rows: people.map((c, i) => ({ id: `a${i}`, clk: noisy(rnd, c) })) });
    const b = await writeEncoded(join(dir, 'b.enc'), { party: 'wages', rows: people.map((c, i) => ({ id: `b${i}`, clk: noisy(rnd, c) })) });
    const out = join(dir, 'run');
    await linkFiles({ inputs: [{ file: a }, { file: b }], outDir: out, threshold: 0.8, blocking: parseBlockingSpec('none') });
    const rr = JSON.parse(await readFile(join(out, 'run-report.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    rr.parameters!.model = 'fs';
    const withModel = join(dir, 'with-model.json');
    await writeFile(withModel, JSON.stringify({ ...rr, model: fixture().model }));
    const r = await readRunReportForQuality(withModel);
    expect(r.model[0]!.summary.expected.links).toBe(18574);
    expect(r.histogram!.axis).toBe('match probability');
    // the line is drawn at the model's decision, not at the (unused) Dice threshold
    expect(r.histogram!.threshold).toBe(0.5);
    expect(r.histogram!.thresholdLabel).toBe('decision');
    // a bad model section in a whole report is refused too
    await writeFile(withModel, JSON.stringify({ ...rr, model: { ...fixture().model, lambda: -1 } }));
    expect((await p20Rejection(readRunReportForQuality(withModel))).code).toBe('REPORT_RUN');
  });
});

describe('fixture', () => {
  it('is the shape the run report\'s model section has (its JSON Schema definition)', async () => {
    const j = JSON.parse(await readFile(FIXTURE, 'utf8')) as { model: unknown };
    expect(runReportProblem(j.model, '/definitions/modelSummary')).toBeUndefined();
    // and the check can fail
    expect(runReportProblem({ ...(j.model as object), lambda: 2 }, '/definitions/modelSummary')).toBeDefined();
  });
});
