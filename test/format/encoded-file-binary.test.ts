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

describe("the linker's loader of binary bodies (packed columns, no row objects)", () => {
  /** What the reader (openEncoded) makes of a file, as the loader must: the same rows, or the same refusal. */
  const viaReader = async (p: string) => {
    try {
      const rows = await readAll(p);
      return { rows };
    } catch (e) {
      return { error: e };
    }
  };
  const sameAsReader = async (p: string) => {
    const want = await viaReader(p);
    if (want.error) {
      const got = await codeOf(loadParty(p));
      const w = want.error as { code: string; message: string; location: unknown };
      expect({ code: got.code, message: got.message, location: got.location }).toEqual({ code: w.code, message: w.message, location: w.location });
      return got.code;
    }
    const party = await loadParty(p);
    const rows = want.rows!;
    expect(party.ids).toEqual(rows.map((r) => r.id));
    expect(party.blocks).toEqual({ birth_year: rows.map((r) => r.blocks.birth_year) });
    for (const [i, r] of rows.entries()) {
      const at = i * party.stride;
      expect(Buffer.from(party.clks.subarray(at, at + r.clk.length)).equals(Buffer.from(r.clk))).toBe(true);
      expect(party.clks.subarray(at + r.clk.length, at + party.stride).every((x) => x === 0)).toBe(true);
      expect(party.popcounts[i]).toBe([...r.clk].reduce((a, x) => a + x.toString(2).replace(/0/g, '').length, 0));
    }
    return 'ok';
  };

  it('refuses every damaged body with the code, message and location the reader gives', async () => {
    const b = await write('binary', sample(10));
    const bytes = readFileSync(b);
    const body = bytes.indexOf(10) + 1;
    const variant = (name: string, data: Uint8Array) => {
      const f = join(dir, `ld-${name}-${++n}.enc`);
      writeFileSync(f, data);
      return f;
    };
    const utf8Id = Buffer.from(bytes);
    utf8Id[body + 2] = 0xff; // first byte of the first id
    const utf8Extra = Buffer.from(bytes);
    // record 1: u16 + "rëc-0" (6 bytes) + 2 CLK bytes + u32 + "" + u32 + "c0": damage the "c" of "c0"
    utf8Extra[body + 2 + 6 + 2 + 4 + 0 + 4] = 0xc3;
    const codes = [];
    for (const f of [
      variant('cut', bytes.subarray(0, bytes.length - 3)),
      variant('extra', Buffer.concat([bytes, bytes.subarray(body, body + 40)])),
      variant('dropped', bytes.subarray(0, bytes.length - 14)),
      await write('binary', [{ id: 'a', clk: new Uint8Array([1, 0x0f]), extras: ['', ''] }]),
      await write('binary', [sample(2)[1]!, sample(2)[1]!]),
      variant('utf8-id', utf8Id),
      variant('utf8-extra', utf8Extra),
      variant('empty-body', bytes.subarray(0, body)),
    ]) {
      codes.push(await sameAsReader(f));
    }
    expect(codes).toEqual(['ENCODED_TRUNCATED', expect.stringMatching(/^ENCODED_(ROWCOUNT|TRUNCATED)$/), 'ENCODED_TRUNCATED', 'ENCODED_CLK', 'ENCODED_DUPLICATE_ID', 'ENCODED_ROW', 'ENCODED_ROW', 'ENCODED_TRUNCATED']);
  });

  it('loads bodies larger than one read, records split between reads and a record larger than a read, as the reader does', async () => {
    // about 2.6 MB: every 1 MiB read ends inside some record
    const many = Array.from({ length: 20_000 }, (_, i) => ({ id: `rec-${i}-${'x'.repeat(i % 37)}`, clk: new Uint8Array([i & 0xff, (i * 16) & 0xf0]), extras: [`y${i % 97}`, 'c'.repeat(i % 101)] }));
    expect(await sameAsReader(await write('binary', many))).toBe('ok');
    // one pass-through value of 2.5 MB: the record outgrows the read buffer
    const big = [many[0]!, { id: 'big', clk: new Uint8Array([7, 0x10]), extras: ['1999', 'ë'.repeat(1_250_000)] }, many[1]!];
    expect(await sameAsReader(await write('binary', big))).toBe('ok');
  }, 60_000);

  it('keeps a leading byte-order mark in ids and values (as the text body does)', async () => {
    const recs = [{ id: '\uFEFFa', clk: new Uint8Array([1, 0]), extras: ['\uFEFF1999', ''] }];
    const rows = await readAll(await write('binary', recs));
    expect(rows.map((r) => [r.id, r.blocks.birth_year])).toEqual([['\uFEFFa', '\uFEFF1999']]);
    expect(plain(rows)).toEqual(plain(await readAll(await write('text', recs))));
    expect(await sameAsReader(await write('binary', recs))).toBe('ok');
  });

  it('loads an empty file (no records) as an empty party', async () => {
    const p = await write('binary', []);
    expect(await sameAsReader(p)).toBe('ok');
    const party = await loadParty(p);
    expect(party.count).toBe(0);
    expect(party.clks.length).toBe(0);
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
