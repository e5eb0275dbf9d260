import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { checkCompatible } from '../../src/link/load.js';
import { teachingJobs } from '../../src/link/link-files.js';
import fc from 'fast-check';
import type { EncodedHeader } from '../../src/format/encoded-file.js';
import { linkWarnings, missingDateWarnings, missingFeatures } from '../../src/link/report.js';
import { DATE_BASIS_SHARE, MISSING_DATE_WARN_SHARE } from '../../src/schema/evidence.js';
import { linkSummary } from '../../cli/commands/link.js';
import { writeEncoded, prng, randomClk, noisy, FP, KCV } from '../fixtures/link/make-encoded.js';
import { p20Thrown } from '../helpers/errors.js';
import { cliMessage } from '../../cli/hints.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-linkwarn-');
const none = parseBlockingSpec('none');
let a: string, b: string;

/** Two files of 120 records that share 60 people: the other 60 of each side have no true partner. */
beforeAll(async () => {
  const rnd = prng(11);
  const shared = Array.from({ length: 60 }, () => randomClk(rnd));
  const onlyA = Array.from({ length: 60 }, () => randomClk(rnd));
  const onlyB = Array.from({ length: 60 }, () => randomClk(rnd));
  a = await writeEncoded(join(dir, 'a.enc'), { party: 'k12', rows: [...shared, ...onlyA].map((c, i) => ({ id: `a${i}`, clk: noisy(rnd, c) })) });
  b = await writeEncoded(join(dir, 'b.enc'), { party: 'wages', rows: [...shared, ...onlyB].map((c, i) => ({ id: `b${i}`, clk: noisy(rnd, c) })) });
});

let n = 0;
const link = (threshold: number, reviewThreshold?: number) =>
  linkFiles({ inputs: [{ file: a }, { file: b }], outDir: join(dir, `out${n++}`), threshold, ...(reviewThreshold !== undefined ? { reviewThreshold } : {}), blocking: none });

describe('the linker warns when its settings cannot be right for the files', () => {
  it('two partly-overlapping files at a threshold that is too low: more pairs above it than the smaller file has records', async () => {
    const r = await link(0.25);
    expect(r.partyPairs[0]!.aboveThreshold).toBeGreaterThan(120);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings![0]).toMatch(/^k12 x wages: [\d,]+ pairs score at or above the threshold 0\.25, more than the 120 records of the smaller file .*raise --threshold/);
  });

  it('a review band with more than 10 pairs per record of the smaller file', async () => {
    const r = await link(0.8, 0.2);
    expect(r.counts.reviewPairs).toBeGreaterThan(1200);
    expect(r.warnings).toEqual([expect.stringMatching(/review band \[0\.2, 0\.8\) lists [\d,]+ pairs, more than 10 per record .*raise --review-threshold/)]);
  });

  it('no warning for sound settings on the same files', async () => {
    const r = await link(0.8, 0.6);
    expect(r.counts.acceptedLinks).toBe(60);
    expect(r.warnings).toEqual([]);
  });

  it('linkWarnings counts max-per-party in', () => {
    const pair = { partyA: 'x', partyB: 'y', candidates: 0, compared: 0, aboveThreshold: 150, reviewBand: 0, linked: 0 };
    const sizes = new Map([['x', 100], ['y', 1000]]);
    expect(linkWarnings([pair], sizes, 1, 0.8, undefined)).toHaveLength(1);
    expect(linkWarnings([pair], sizes, 2, 0.8, undefined)).toEqual([]);
  });
});

describe('messages a user can act on', () => {
  it('a duplicated party label names the real flag, --party FILE=NAME', () => {
    const h = { l: 1024, keyCheckValue: KCV, schemaFingerprint: FP, party: 'k12' } as never;
    const e = p20Thrown(() => checkCompatible([{ file: 'one.enc', header: h }, { file: 'two.enc', header: h }]));
    expect(e.code).toBe('LINK_DUPLICATE_PARTY');
    expect(cliMessage(e)).toContain('--party two.enc=NAME');
    expect(cliMessage(e)).not.toMatch(/party=FILE/);
  });

  it('the run summary spells out its counts, with thousands separators', async () => {
    const r = await link(0.8);
    const big = { ...r, counts: { ...r.counts, refusedLinks: 9_234_810, candidates: 12_345_678 } };
    const s = linkSummary(big);
    expect(s).toContain('pairs not linked because one of the records already had a better link: 9,234,810');
    expect(s).toContain('pairs proposed by blocking: 12,345,678');
    expect(s).toMatch(/pairs scoring at or above the threshold 0\.8: [\d,]+; accepted as links: 60/);
    expect(s).not.toMatch(/max-per-party\)/);
    const many = linkSummary({ ...big, parameters: { ...big.parameters, maxPerParty: 3 } });
    expect(many).toContain('pairs not linked because the cluster would hold more than 3 records of one party: 9,234,810');
  });
});

describe('a party with many records without a birth date', () => {
  const party = (records: number, missing?: number) => ({
    party: 'wages',
    records,
    linked: 0,
    singletons: records,
    output: 'wages.links.csv',
    outputSha256: `sha256:${'0'.repeat(64)}`,
    ...(missing === undefined ? {} : { missing: { birth_date: missing, zip: records } }),
  });

  it('is warned of above a tenth of its records, with the party and the count; that the recall estimate is blind, only when under 5 % hold one', () => {
    expect(MISSING_DATE_WARN_SHARE).toBe(0.1);
    expect(DATE_BASIS_SHARE).toBe(0.05);
    expect(missingDateWarnings([party(1000, 100)])).toEqual([]);
    const some = missingDateWarnings([party(1000, 101), party(10, 0)]);
    expect(some).toEqual([expect.stringMatching(/^wages: 101 of its 1,000 records \(10 %\) hold no birth date; .*: include the birth date if the agency holds it/)]);
    expect(some[0]).not.toMatch(/estimate/);
    expect(missingDateWarnings([party(1000, 950)])[0]).not.toMatch(/estimate/);
    expect(missingDateWarnings([party(1000, 951)])[0]).toMatch(/^wages: 951 of its 1,000 records \(95 %\) hold no birth date; .*, and the report's recall estimate cannot count the pairs no candidate pass proposed .*, nor is its precision estimate to be relied on for them: include/);
    // a file without presence, or without records, says nothing
    expect(missingDateWarnings([party(1000), party(0, 0)])).toEqual([]);
  });

  it('teachingJobs: the party pairs of a file with a birth date in fewer than 5 % of its records do not teach m and u, unless no pair of two files is left to', () => {
    const header = { presence: ['first_name', 'birth_date'] } as unknown as EncodedHeader;
    // 100 records, `dated` of them with a birth date (bit 1)
    const file = (dated: number) => ({ count: 100, header, presence: Uint8Array.from({ length: 100 }, (_, r) => (r < dated ? 3 : 1)) });
    const jobs = [[0, 0], [0, 1], [0, 2], [1, 1], [1, 2], [2, 2]] as const;
    expect(teachingJobs(jobs, [file(97), file(80), file(4)])).toEqual([true, true, false, true, false, false]);
    // 5 of 100 is not fewer than 5 %
    expect(teachingJobs(jobs, [file(97), file(80), file(5)])).toEqual([true, true, true, true, true, true]);
    // a file without presence bytes (no counts) teaches
    expect(teachingJobs(jobs, [file(97), { count: 100, header: {} as EncodedHeader }, file(0)])).toEqual([true, true, false, true, false, false]);
    // only one file has dates: no pair of two files would teach, so every pair does
    expect(teachingJobs(jobs, [file(97), file(0), file(3)])).toEqual(jobs.map(() => true));
    expect(teachingJobs([[0, 0], [0, 1], [1, 1]], [file(100), file(0)])).toEqual([true, true, true]);
  });

  it('missingFeatures counts, per presence feature of the file, the records without it', () => {
    const header = { presence: ['first_name', 'birth_date'] } as unknown as EncodedHeader;
    expect(missingFeatures({ count: 4, header, presence: Uint8Array.from([3, 1, 0, 2]) })).toEqual({ first_name: 2, birth_date: 2 });
    expect(missingFeatures({ count: 4, header: {} as EncodedHeader })).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (presence) => {
        const features = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
        const got = missingFeatures({ count: presence.length, header: { presence: features } as unknown as EncodedHeader, presence })!;
        features.forEach((f, k) => expect(got[f]).toBe(presence.filter((x) => (x & (1 << k)) === 0).length));
      }),
    );
  });
});
