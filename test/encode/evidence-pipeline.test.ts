/**
 * Evidence through the encode pipeline and the linker's loader: the bundled
 * K-12 example (examples/data) encoded with the default schema (which has a
 * p20link.evidence section) on the main thread and on worker threads, text
 * and binary bodies; the CLK is bit-identical to the same schema without the
 * section; the fingerprint covers the section, so files with and without
 * evidence are refused as a set to link.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeFile } from '../../src/encode/index.js';
import { openEncoded, readEncodedHeader, type EncodedRow } from '../../src/format/encoded-file.js';
import { checkCompatible, loadParty } from '../../src/link/load.js';
import { loadLinkageSchema, schemaFingerprint } from '../../src/schema/linkage-schema.js';
import { collectBatches } from '../helpers/batches.js';
import { agencySettings } from '../helpers/agency.js';

const root = join(import.meta.dirname, '../..');
const DEFAULT = join(root, 'protocols/schemas/p20w-person.json');
const secret = new TextEncoder().encode('p20link evidence pipeline test secret (synthetic)');
const dir = mkdtempSync(join(tmpdir(), 'p20-ev-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const agency = agencySettings('k12');
const NOW = new Date('2026-01-01T00:00:00Z');

async function encode(name: string, opts: { schema?: string; workers?: number; body?: 'text' | 'binary' } = {}): Promise<string> {
  const out = join(dir, `${name}.enc`);
  await encodeFile({
    input: join(root, 'examples/data/k12.csv'),
    output: out,
    schema: opts.schema ?? DEFAULT,
    secret,
    party: 'k12',
    map: agency.map,
    idColumn: agency.idColumn,
    workers: opts.workers ?? 0,
    createdAt: NOW,
    onBadField: 'missing',
    ...(opts.body ? { body: opts.body } : {}),
  });
  return out;
}
const rows = async (p: string): Promise<EncodedRow[]> => collectBatches((await openEncoded(p)).batches);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const plain = (rs: EncodedRow[]) => rs.map((r) => ({ ...r, clk: hex(r.clk), evidence: r.evidence?.map(hex) }));

/** The default schema without its evidence section. */
function withoutEvidence(): string {
  const doc = JSON.parse(readFileSync(DEFAULT, 'utf8')) as { p20link: Record<string, unknown> };
  delete doc.p20link.evidence;
  const path = join(dir, 'no-evidence.json');
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

describe('evidence through encode and load', () => {
  it('the default schema writes four 1024-bit filters and the presence byte; main thread, workers and both bodies agree', async () => {
    const main = await encode('main');
    const h = await readEncodedHeader(main);
    // each filter's date token kinds (header `dates`): names hashes the date with day and month unordered
    const DOB = ['date-bigrams', 'year', 'month-day', 'day-month-set'];
    expect(h.evidence).toEqual([
      { name: 'names', l: 1024, dates: ['unordered-date'] },
      { name: 'first_dob', l: 1024, dates: DOB },
      { name: 'last_dob', l: 1024, dates: DOB },
      { name: 'place', l: 1024, dates: DOB },
    ]);
    expect(h.presence).toEqual(['first_name', 'last_name', 'birth_date', 'sex', 'zip', 'middle_name']);
    expect(h.columns.slice(0, 7)).toEqual(['id', 'clk', 'ev:names', 'ev:first_dob', 'ev:last_dob', 'ev:place', 'presence']);
    const workers = await encode('workers', { workers: 2 });
    expect(readFileSync(workers).equals(readFileSync(main))).toBe(true);
    const bin = await encode('binary', { body: 'binary', workers: 2 });
    const a = await rows(main);
    expect(plain(await rows(bin))).toEqual(plain(a));
    expect(a.length).toBeGreaterThan(1000);
    // presence: every record has names; some lack a middle initial
    expect(a.every((r) => (r.presence! & 0b11) === 0b11)).toBe(true);
    expect(a.some((r) => (r.presence! & 0b100000) === 0)).toBe(true);
  });

  it('the CLK is bit-identical to the schema without evidence; the fingerprint differs and a mixed run is refused', async () => {
    const noEv = withoutEvidence();
    const withEv = join(dir, 'main.enc');
    const plainFile = await encode('plain', { schema: noEv });
    const a = await rows(withEv);
    const b = await rows(plainFile);
    expect(a.map((r) => [r.id, hex(r.clk)])).toEqual(b.map((r) => [r.id, hex(r.clk)]));
    expect(b.every((r) => r.evidence === undefined && r.presence === undefined)).toBe(true);
    expect(schemaFingerprint(await loadLinkageSchema(noEv))).not.toBe(schemaFingerprint(await loadLinkageSchema(DEFAULT)));
    const ha = await readEncodedHeader(withEv);
    const hb = { ...(await readEncodedHeader(plainFile)), party: 'wages' };
    expect(() => checkCompatible([{ file: withEv, header: ha }, { file: plainFile, header: hb }])).toThrow(expect.objectContaining({ code: 'LINK_SCHEMA_MISMATCH' }));
  });

  it('the linker loads the filters packed for the kernel, and the same person agrees more than strangers do', async () => {
    const p = await loadParty(join(dir, 'main.enc'));
    expect(p.evidence!.map((e) => [e.name, e.stride])).toEqual([
      ['names', 128],
      ['first_dob', 128],
      ['last_dob', 128],
      ['place', 128],
    ]);
    expect(p.presence!.length).toBe(p.count);
    const e = p.evidence![0]!;
    let fill = 0;
    for (let i = 0; i < p.count; i++) fill += e.popcounts[i]!;
    expect(fill / p.count / 1024).toBeGreaterThan(0.45);
    expect(fill / p.count / 1024).toBeLessThan(0.55);
  });
});
