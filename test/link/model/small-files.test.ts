/**
 * Small files (docs/match-model.md, "Refined m"): at 2,000 people the
 * candidates are mostly true pairs, and a refinement started from the
 * anchored fit's u could keep a non-match class made of true pairs (recall
 * 0.60–0.70 with the long tail of names in 6 of 8 generated seeds). The
 * refinement now starts from the random pairs' u first, and no fit may
 * hold fewer matches than the sure pairs (a start below is refused and
 * flagged). Generated
 * data, a fixed secret under which the old start fails, end to end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkFiles } from '../../../src/link/link-files.js';
import { anchoredM, matchFloor, refineHold } from '../../../src/link/model/anchors.js';
import { fitModel, refineModel } from '../../../src/link/model/em.js';
import { modelWarnings } from '../../../src/link/report.js';
import type { ModelFit } from '../../../src/index.js';
import { PARTIES } from '../../../src/synth/agencies.js';
import { generateExtracts } from '../../../src/synth/generate.js';
import { encodeAgencies } from '../../helpers/agency.js';

const SECRET = new TextEncoder().encode('p20link small-files test secret 4 (synthetic data only)');
const dir = mkdtempSync(join(tmpdir(), 'p20-small-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await generateExtracts({ people: 2000, seed: 9002, outDir: dir, realism: 'full', names: 'long-tail' });
  await encodeAgencies((p) => join(dir, `${p}.csv`), (p) => join(dir, `${p}.enc`), SECRET);
}, 120_000);

describe('the match model on small files', () => {
  it('2,000 people with realistic names: EM keeps the true pairs in its match class', async () => {
    let fit: ModelFit | undefined;
    const r = await linkFiles({ inputs: PARTIES.map((p) => ({ file: join(dir, `${p}.enc`) })), outDir: join(dir, 'out'), truth: join(dir, 'truth.csv'), workers: 1, model: 'fs', onModelFit: (f) => (fit = f) });
    expect(r.truth!.recall).toBeGreaterThan(0.95);
    expect(r.truth!.precision).toBeGreaterThan(0.99);
    // most K-12 x college candidates are the same person: EM's expected matches say so
    const ref = r.model!.em.refinement!;
    const kc = r.model!.priors!.findIndex((p) => p.partyA === 'k12' && p.partyB === 'college');
    expect(ref.expectedMatches[kc]!).toBeGreaterThan(0.9 * r.partyPairs.find((x) => x.partyA === 'k12' && x.partyB === 'college')!.blocking!.truePairs);
    expect(ref).toMatchObject({ accepted: true, converged: true, atBound: false, start: 'random-u', atFloor: false, belowFloor: false });
    expect(r.warnings).toEqual([]);
    // the floor: across files the sure pairs, well below EM's expected matches
    const cross = fit!.jobs.map(([i, j]) => i !== j);
    expect(ref.minMatches).toEqual(matchFloor(fit!.vectors, fit!.candidates, cross));
    ref.minMatches!.forEach((f, g) => (cross[g] ? expect(f).toBeGreaterThan(0.5 * ref.expectedMatches[g]!) : expect(f).toBe(0)));
    // the anchored fit (where the refinement before session 35 started, and stayed) has put true pairs in its
    // non-match class here: it is below the floor, so EM from it is refused and it is flagged; the report says so
    const fixedM = anchoredM(fit!.vectors)!;
    const anchored = fitModel(fit!.vectors, fit!.random, { u: 'em', fixedM });
    const old = refineModel(fit!.vectors, anchored, { maxMatches: ref.maxMatches.map((x) => x ?? Number.POSITIVE_INFINITY), minMatches: ref.minMatches!, heldM: refineHold(fit!.vectors, fixedM) });
    expect(old.refinement).toMatchObject({ accepted: false, iterations: 0, atFloor: true, belowFloor: true });
    const warnings = modelWarnings({ ...r.model!, em: { ...r.model!.em, refinement: { ...ref, expectedMatches: old.refinement!.expectedMatches, belowFloor: true } } });
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.join('\n')).toMatch(/^k12 x wages: the match model expects [\d,]+ matches among the candidates, fewer than the [\d,]+ pairs whose names and birth date all agree/m);
  }, 120_000);
});
