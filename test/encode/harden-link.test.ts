/**
 * Hardened encodings still link: the bundled examples (examples/data, 2,000
 * people) encoded with the unhardened clkhash-compatible schema and with the
 * hardened one, K-12 × wages linked with each schema's link hints; F1
 * stays within half a point. Also: attribute salting changes the encoding
 * and is stable per record.
 */
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFile, prepareEncode } from '../../src/encode/index.js';
import { readEncodedHeader } from '../../src/format/encoded-file.js';
import { linkFiles } from '../../src/link/link-files.js';
import { parseBlockingSpec } from '../../src/link/blocking/config.js';
import { createRowEncoder, planColumns } from '../../src/encode/row-encoder.js';
import type { LinkageSchema } from '../../src/schema/types.js';
import { agencySettings } from '../helpers/agency.js';

const root = join(import.meta.dirname, '../..');
const secret = new TextEncoder().encode('p20link hardened link test secret (synthetic)');
const dir = mkdtempSync(join(tmpdir(), 'p20-harden-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function f1With(schema: string): Promise<number> {
  const { ext } = await prepareEncode(schema);
  const files: string[] = [];
  for (const party of ['k12', 'wages']) {
    const m = agencySettings(party);
    const out = join(dir, `${party}-${schema.split('/').pop()}.enc`);
    await encodeFile({ input: join(root, 'examples/data', `${party}.csv`), output: out, schema, secret, party, map: m.map, idColumn: m.idColumn, workers: 0, allowUnhardened: true });
    files.push(out);
  }
  const h = ext.link ?? {};
  const spec = [...(h.blocking ?? []).map((k) => `keys:${k}`), ...(h.lsh === false ? [] : [h.lsh ?? 'lsh'])].join('+');
  const r = await linkFiles({ inputs: files.map((file) => ({ file })), outDir: join(dir, `out-${schema.split('/').pop()}`), threshold: h.threshold ?? 0.8, blocking: parseBlockingSpec(spec), truth: join(root, 'examples/data/truth.csv'), model: 'dice' });
  return r.truth!.f1;
}

describe('hardened encodings still link on the examples', () => {
  // the CLK's Dice on both sides (model 'dice'): what the hardening costs; the match model over the evidence filters is measured by eval:quality
  it('p20w-person.json links K-12 × wages within 0.5 point of F1 of the clkhash-compatible schema', async () => {
    const plain = await f1With(join(root, 'protocols/compat/p20w-person-clkhash.json'));
    const hard = await f1With(join(root, 'protocols/schemas/p20w-person.json'));
    expect(plain).toBeGreaterThan(0.9);
    expect(hard).toBeGreaterThan(plain - 0.005);
    const h = await readEncodedHeader(join(dir, 'k12-p20w-person.json.enc'));
    expect(h.l).toBe(1024);
    expect(h.columns.filter((c) => c.startsWith('block:'))).toEqual([]); // no keyed blocking values to count
  }, 300_000);
});

describe('attribute salting', () => {
  it('salts name tokens with the birth year: same name and year → same bits, another year → other bits', async () => {
    const base = JSON.parse(readFileSync(join(root, 'protocols/compat/p20w-person-clkhash.json'), 'utf8')) as Record<string, unknown> & { p20link: Record<string, unknown> };
    const salted = { ...base, p20link: { ...base.p20link, hardening: { version: 1, salt: { from: 'birth_date', transform: 'year', features: ['first_name', 'last_name'] } } } };
    const { loadLinkageSchemaFromObject } = await import('./harden-schema-helper.js');
    const encFor = async (doc: unknown) => {
      const { schema, ext } = await prepareEncode((await loadLinkageSchemaFromObject(doc, dir)) as LinkageSchema);
      const header = ['id', 'first_name', 'middle_name', 'last_name', 'birth_date', 'sex', 'zip'];
      return createRowEncoder({ schema, ext, header, plan: planColumns(header, schema, ext, 't'), secret });
    };
    const plainEnc = await encFor(base);
    const saltEnc = await encFor(salted);
    const row = (dob: string) => ['1', 'Maria', '', 'Garcia', dob, 'F', '97501'];
    const clk = (e: Awaited<ReturnType<typeof encFor>>, dob: string) => {
      const r = e.encodeRow(row(dob));
      if (!r.ok) throw new Error(r.reason);
      return r.clk;
    };
    expect(clk(saltEnc, '2001-02-03')).not.toBe(clk(plainEnc, '2001-02-03'));
    expect(clk(saltEnc, '2001-02-03')).toBe(clk(saltEnc, '2001-02-03'));
    // names are salted by year: moving the year changes far more bits than the date tokens alone
    const diff = (a: string, b: string) => {
      const x = Buffer.from(a, 'base64');
      const y = Buffer.from(b, 'base64');
      let d = 0;
      for (let i = 0; i < x.length; i++) d += ((x[i]! ^ y[i]!).toString(2).match(/1/g) ?? []).length;
      return d;
    };
    const plainMove = diff(clk(plainEnc, '2001-02-03'), clk(plainEnc, '2002-02-03'));
    const saltMove = diff(clk(saltEnc, '2001-02-03'), clk(saltEnc, '2002-02-03'));
    expect(saltMove).toBeGreaterThan(plainMove + 100);
  });
});
