/**
 * linkFiles as named stages: settings come from resolveLinkSettings (one
 * place for the CLI and the library), and the orchestrator stays short.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkFiles } from '../../src/link/link-files.js';
import { loadLinkageSchema, schemaFingerprint } from '../../src/schema/linkage-schema.js';
import { writeEncoded, prng, randomClk, noisy } from '../fixtures/link/make-encoded.js';
import { p20Rejection } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-link-stages-');
const P20W = resolve(process.cwd(), 'protocols/schemas/p20w-person.json');
const FEBRL = resolve(process.cwd(), 'protocols/schemas/febrl.json');
let a: string;
let b: string;

beforeAll(async () => {
  const fp = schemaFingerprint(await loadLinkageSchema(P20W));
  const rnd = prng(5);
  const people = Array.from({ length: 6 }, () => randomClk(rnd));
  a = await writeEncoded(join(dir, 'a.enc'), { party: 'k12', fp, rows: people.map((c, i) => ({ id: `a${i}`, clk: noisy(rnd, c) })) });
  b = await writeEncoded(join(dir, 'b.enc'), { party: 'wages', fp, rows: people.map((c, i) => ({ id: `b${i}`, clk: noisy(rnd, c) })) });
});

describe('linkFiles stages', () => {
  it('the library takes its defaults from the schema, like the CLI', async () => {
    const r = await linkFiles({ inputs: [{ file: a }, { file: b }], outDir: join(dir, 'o1'), schema: P20W });
    expect(r.parameters.threshold).toBe(0.75);
    expect(r.parameters.blocking).toMatch(/^lsh:bands=96,rows=8/);
    const d = await linkFiles({ inputs: [{ file: a }, { file: b }], outDir: join(dir, 'o2') });
    expect(d.parameters).toMatchObject({ threshold: 0.8, reviewThreshold: null });
    const e = await p20Rejection(linkFiles({ inputs: [{ file: a }, { file: b }], outDir: join(dir, 'o3'), schema: FEBRL }));
    expect(e.code).toBe('LINK_SCHEMA_MISMATCH');
  });

  it('the orchestrator reads at a glance: named stages, under 60 lines', () => {
    const src = readFileSync(resolve(process.cwd(), 'src/link/link-files.ts'), 'utf8');
    const start = src.indexOf('export async function linkFiles(');
    const body = src.slice(start, src.indexOf('\n}\n', start));
    expect(body.split('\n').length).toBeLessThan(60);
    for (const stage of ['loadInputs', 'scoreAll', 'resolveClusters', 'assignLinkageIds', 'summarize', 'stageResultFiles', 'recordRun']) expect(body).toContain(`${stage}(`);
  });
});
