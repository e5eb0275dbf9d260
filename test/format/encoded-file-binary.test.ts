import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createEncodedWriter, EncodedRecordSerializer, ENCODED_BINARY_VERSION, openEncoded, readEncodedHeader, type EncodedRow } from '../../src/format/encoded-file.js';
import { loadParty } from '../../src/link/load.js';
import { collectBatches } from '../helpers/batches.js';
import { p20Rejection as codeOf } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-enc-bin-');
let n = 0;
const init = {
  tool: 'p20link test',
  createdAt: '2026-01-01T00:00:00.000Z',
  party: 'k12',
  schemaFingerprint: 'sha256:' + 'ab'.repeat(32),
  keyCheckValue: '0123456789abcdef0123456789abcdef',
  l: 12,
  blockColumns: ['birth_year'],
  passColumns: ['cohort'],
};
type Rec = { id: string; clk: Uint8Array; extras: string[] };

async function write(body: 'text' | 'binary', recs: Rec[], l = init.l, bytesApi = false): Promise<string> {
  const path = join(dir, `f-${++n}.enc`);
  const w = createEncodedWriter(path, { ...init, l }, { body });
  for (const r of recs) {
    if (bytesApi) await w.writeRowBytes(r.id, r.clk, r.extras);
    else await w.writeRow(r.id, Buffer.from(r.clk).toString('base64'), r.extras);
  }
  expect(await w.commit()).toBe(recs.length);
  return path;
}
const readAll = async (p: string): Promise<EncodedRow[]> => collectBatches((await openEncoded(p, { batchSize: 7 })).batches);
const plain = (rows: EncodedRow[]) => rows.map((r) => ({ ...r, clk: Buffer.from(r.clk).toString('hex') }));

const sample = (k: number): Rec[] =>
  Array.from({ length: k }, (_, i) => ({ id: i % 3 === 0 ? `rëc-${i}` : `r${i}`, clk: new Uint8Array([i & 0xff, (i * 16) & 0xf0]), extras: [i % 5 === 0 ? '' : `y${i}`, `c${i % 4}`] }));

describe('encoded file, binary body (version 2)', () => {
  it('reads back the same rows as the text body (ids, CLKs, blocks, pass-through, line numbers)', async () => {
    const recs = sample(50);
    const t = await write('text', recs);
    const b = await write('binary', recs);
    const b2 = await write('binary', recs, init.l, true);
    expect(readFileSync(b2).equals(readFileSync(b))).toBe(true);
    expect((await readEncodedHeader(b)).version).toBe(ENCODED_BINARY_VERSION);
    expect((await readEncodedHeader(t)).version).toBe(1);
    expect(plain(await readAll(b))).toEqual(plain(await readAll(t)));
    // The header is still one JSON line: readable with head -1.
    const firstLine = readFileSync(b).subarray(0, readFileSync(b).indexOf(10)).toString('utf8');
    expect(JSON.parse(firstLine)).toMatchObject({ format: 'p20link/encoded', version: 2, rowCount: 50 });
  });

  it('records serialized ahead (workers) and written with writeEncoded give the same file as writeRow, both bodies', async () => {
    for (const body of ['text', 'binary'] as const) {
      const recs = sample(30);
      const direct = await write(body, recs);
      const path = join(dir, `ser-${++n}.enc`);
      const w = createEncodedWriter(path, init, { body });
      const ser = new EncodedRecordSerializer(body, init.l);
      for (const [i, r] of recs.entries()) {
        ser.add(r.id, r.clk, undefined, r.extras);
        if (i % 7 === 6) {
          const { bytes, rows } = ser.take();
          await w.writeEncoded(bytes, rows);
        }
      }
      const rest = ser.take();
      await w.writeEncoded(rest.bytes, rest.rows);
      expect(await w.commit()).toBe(30);
      expect(readFileSync(path).equals(readFileSync(direct))).toBe(true);
    }
  });

  it('text and binary bodies load to the same party data (linker load path)', async () => {
    const recs = sample(300).map((r, i) => ({ ...r, clk: new Uint8Array(128).map((_, j) => (i * 31 + j * 7) & 0xff) }));
    const t = await loadParty(await write('text', recs, 1024));
    const b = await loadParty(await write('binary', recs, 1024));
    expect(b.ids).toEqual(t.ids);
    expect(b.count).toBe(t.count);
    expect(Buffer.from(b.clks).equals(Buffer.from(t.clks))).toBe(true);
    expect([...b.popcounts]).toEqual([...t.popcounts]);
    expect(b.blocks).toEqual(t.blocks);
    expect(b.header.version).toBe(2);
  });

  it('any rows round-trip through both bodies identically (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }), a: fc.integer({ min: 0, max: 255 }), b: fc.integer({ min: 0, max: 15 }), x: fc.string(), y: fc.string({ unit: 'grapheme' }) }), { minLength: 1, maxLength: 30 }),
        async (rs) => {
          const seen = new Set<string>();
          const recs = rs.filter((r) => !seen.has(r.id) && seen.add(r.id) !== undefined).map((r) => ({ id: r.id, clk: new Uint8Array([r.a, r.b << 4]), extras: [r.x, r.y] }));
          expect(plain(await readAll(await write('binary', recs)))).toEqual(plain(await readAll(await write('text', recs))));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses a truncated body, extra bytes, a row-count mismatch, padding bits and duplicate ids', async () => {
    const b = await write('binary', sample(10));
    const bytes = readFileSync(b);
    const cut = join(dir, 'cut.enc');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 3));
    expect((await codeOf(readAll(cut))).code).toBe('ENCODED_TRUNCATED');
    const extra = join(dir, 'extra.enc');
    writeFileSync(extra, Buffer.concat([bytes, bytes.subarray(bytes.indexOf(10) + 1, bytes.indexOf(10) + 1 + 40)]));
    expect(['ENCODED_ROWCOUNT', 'ENCODED_TRUNCATED']).toContain((await codeOf(readAll(extra))).code);
    const short = await write('binary', sample(3));
    const s = readFileSync(short);
    const dropped = join(dir, 'dropped.enc');
    // Drop the last record (id "r2": 2 + 2 bytes, clk 2 bytes, extras 4 + 2 and 4 + 2).
    writeFileSync(dropped, s.subarray(0, s.length - (4 + 2 + 6 + 6)));
    const e = await codeOf(readAll(dropped));
    expect(e.code).toBe('ENCODED_TRUNCATED');
    const pad = await write('binary', [{ id: 'a', clk: new Uint8Array([1, 0x0f]), extras: ['', ''] }]);
    expect((await codeOf(readAll(pad))).code).toBe('ENCODED_CLK');
    const dup = await write('binary', [sample(2)[1]!, sample(2)[1]!]);
    const d = await codeOf(readAll(dup));
    expect(d.code).toBe('ENCODED_DUPLICATE_ID');
    expect(d.location).toMatchObject({ line: 3, field: 'id' });
  });

  it('refuses invalid UTF-8 in a binary record', async () => {
    const b = await write('binary', [{ id: 'ab', clk: new Uint8Array([1, 0]), extras: ['', ''] }]);
    const bytes = readFileSync(b);
    const at = bytes.indexOf(10) + 1 + 2; // first id byte
    bytes[at] = 0xff;
    const bad = join(dir, 'badutf8.enc');
    writeFileSync(bad, bytes);
    const e = await codeOf(readAll(bad));
    expect(e.code).toBe('ENCODED_ROW');
    expect(e.location).toMatchObject({ line: 2, field: 'id' });
  });
});

describe('binary body through package / unpack (content checks read the header)', () => {
  it('a binary-body encoded file packages and unpacks with rowCount, fingerprint and key check value checked', async () => {
    const { generateKeyPair, loadAllowDir, loadPrivateKeys, loadPublicKeys, packageFile, unpackFile, MIN_CHUNK_SIZE } = await import('../../src/transfer/index.js');
    const { mkdirSync } = await import('node:fs');
    const allowDir = join(dir, 'allow');
    const linkerDir = join(dir, 'linker');
    mkdirSync(allowDir);
    mkdirSync(linkerDir);
    const gk = await generateKeyPair({ name: 'k12', outDir: allowDir, bits: 2048 });
    const gl = await generateKeyPair({ name: 'linker', outDir: linkerDir, bits: 2048 });
    const k12 = await loadPrivateKeys(gk.privateFile);
    const linker = { pub: await loadPublicKeys(gl.publicFile), priv: await loadPrivateKeys(gl.privateFile) };
    const enc = await write('binary', sample(40));
    const pkg = join(dir, 'bin.p20pkg');
    await packageFile({ input: enc, kind: 'encoded', to: linker.pub, sign: k12, name: 'k12', output: pkg, chunkSize: MIN_CHUNK_SIZE });
    const out = join(dir, 'bin-unpacked.enc');
    const { openSqliteStore } = await import('../../src/store/db.js');
    const { auditMigrations, packageMigrations } = await import('../../src/store/migrations.js');
    const store = openSqliteStore(join(dir, 'store.db'), { migrations: [...auditMigrations, ...packageMigrations] });
    const r = await unpackFile({ input: pkg, key: linker.priv, allow: await loadAllowDir(allowDir), output: out, store, expectKind: 'encoded' });
    store.close();
    expect(r.manifest).toMatchObject({ kind: 'encoded', rowCount: 40, schemaFingerprint: init.schemaFingerprint, keyCheckValue: init.keyCheckValue, party: 'k12' });
    expect(readFileSync(out).equals(readFileSync(enc))).toBe(true);
    expect(plain(await readAll(out))).toHaveLength(40);
  }, 120_000);
});
