import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { createEncodedWriter, EncodedRecordSerializer, openEncoded, readEncodedHeader, type EncodedRow, type RecordEvidence } from '../../src/format/encoded-file.js';
import { checkCompatible, loadParty } from '../../src/link/load.js';
import type { EvidenceTokenKind } from '../../src/schema/evidence.js';
import { collectBatches } from '../helpers/batches.js';
import { p20Rejection as codeOf, p20Thrown } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-enc-ev-');
let n = 0;
const PRESENCE = ['first_name', 'last_name', 'birth_date', 'sex', 'zip', 'middle_name'];
const init = {
  tool: 'p20link test',
  createdAt: '2026-01-01T00:00:00.000Z',
  party: 'k12',
  schemaFingerprint: 'sha256:' + 'ab'.repeat(32),
  keyCheckValue: '0123456789abcdef0123456789abcdef',
  l: 16,
  blockColumns: ['by'],
  passColumns: ['cohort'],
  // 12 bits (2 bytes, 4 padding bits) and 72 bits (9 bytes: the packed stride becomes 16)
  evidence: [
    { name: 'names', l: 12 },
    { name: 'first_dob', l: 72, dates: ['date-bigrams', 'year'] as EvidenceTokenKind[] },
  ],
  presence: PRESENCE,
};
type Rec = { id: string; clk: Uint8Array; extras: string[]; ev: RecordEvidence };

const rec = (i: number): Rec => ({
  id: `r${i}`,
  clk: new Uint8Array([i & 0xff, (i * 7) & 0xff]),
  extras: [i % 3 === 0 ? '' : `b${i % 5}`, `c${i}`],
  ev: {
    filters: [new Uint8Array([(i * 13) & 0xff, (i * 16) & 0xf0]), new Uint8Array(9).map((_, j) => (i * 31 + j * 11) & 0xff)],
    presence: (i * 5) & 63,
  },
});

async function write(body: 'text' | 'binary', recs: Rec[], opts: { bytesApi?: boolean; init?: Record<string, unknown> } = {}): Promise<string> {
  const path = join(dir, `f-${++n}.enc`);
  const w = createEncodedWriter(path, { ...init, ...(opts.init ?? {}) }, { body });
  for (const r of recs) {
    if (opts.bytesApi) await w.writeRowBytes(r.id, r.clk, r.extras, r.ev);
    else await w.writeRow(r.id, Buffer.from(r.clk).toString('base64'), r.extras, r.ev);
  }
  expect(await w.commit()).toBe(recs.length);
  return path;
}
const readAll = async (p: string): Promise<EncodedRow[]> => collectBatches((await openEncoded(p, { batchSize: 7 })).batches);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const plain = (rows: EncodedRow[]) => rows.map((r) => ({ ...r, clk: hex(r.clk), evidence: r.evidence?.map(hex) }));

describe('encoded file: evidence filters and presence byte', () => {
  it('header and text columns: ev:<name> (base64) and presence (decimal) right after the CLK', async () => {
    const p = await write('text', [rec(1)]);
    const h = await readEncodedHeader(p);
    expect(h.evidence).toEqual(init.evidence);
    expect(h.presence).toEqual(PRESENCE);
    expect(h.columns).toEqual(['id', 'clk', 'ev:names', 'ev:first_dob', 'presence', 'block:by', 'pass:cohort']);
    const line = JSON.parse(readFileSync(p, 'utf8').split('\n')[1]!) as string[];
    expect(line).toEqual(['r1', Buffer.from(rec(1).clk).toString('base64'), Buffer.from(rec(1).ev.filters[0]!).toString('base64'), Buffer.from(rec(1).ev.filters[1]!).toString('base64'), '5', 'b1', 'c1']);
    const [row] = await readAll(p);
    expect(row!.presence).toBe(5);
    expect(row!.evidence!.map(hex)).toEqual(rec(1).ev.filters.map(hex));
    expect(row!.blocks).toEqual({ by: 'b1' });
    expect(row!.pass).toEqual({ cohort: 'c1' });
  });

  it('text and binary bodies hold the same records (both writer APIs and the serializer)', async () => {
    const recs = Array.from({ length: 40 }, (_, i) => rec(i));
    const t = await write('text', recs);
    const b = await write('binary', recs);
    expect(readFileSync(await write('binary', recs, { bytesApi: true })).equals(readFileSync(b))).toBe(true);
    expect(readFileSync(await write('text', recs, { bytesApi: true })).equals(readFileSync(t))).toBe(true);
    expect(plain(await readAll(b))).toEqual(plain(await readAll(t)));
    for (const body of ['text', 'binary'] as const) {
      const path = join(dir, `ser-${++n}.enc`);
      const w = createEncodedWriter(path, init, { body });
      const ser = new EncodedRecordSerializer(body, init.l, { evidence: init.evidence, presence: PRESENCE });
      for (const r of recs) ser.add(r.id, r.clk, undefined, r.extras, r.ev);
      const { bytes, rows } = ser.take();
      await w.writeEncoded(bytes, rows);
      await w.commit();
      expect(readFileSync(path).equals(readFileSync(body === 'text' ? t : b))).toBe(true);
    }
  });

  it('any evidence round-trips text ↔ binary (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ a: fc.integer({ min: 0, max: 255 }), b: fc.integer({ min: 0, max: 15 }), f: fc.uint8Array({ minLength: 9, maxLength: 9 }), p: fc.integer({ min: 0, max: 63 }) }), { minLength: 1, maxLength: 20 }),
        async (rs) => {
          const recs = rs.map((r, i) => ({ id: `x${i}`, clk: new Uint8Array([r.a, r.b]), extras: ['', ''], ev: { filters: [new Uint8Array([r.a, r.b << 4]), r.f], presence: r.p } }));
          const t = await readAll(await write('text', recs));
          expect(plain(await readAll(await write('binary', recs)))).toEqual(plain(t));
          expect(t.map((r) => r.presence)).toEqual(rs.map((r) => r.p));
        },
      ),
      { numRuns: 15 },
    );
  });

  it('a file without evidence is written and read exactly as before', async () => {
    const path = join(dir, `plain-${++n}.enc`);
    const w = createEncodedWriter(path, { ...init, evidence: undefined, presence: undefined });
    await w.writeRow('a', Buffer.from([1, 2]).toString('base64'), ['x', 'y']);
    await w.commit();
    const h = await readEncodedHeader(path);
    expect('evidence' in h || 'presence' in h).toBe(false);
    expect(h.columns).toEqual(['id', 'clk', 'block:by', 'pass:cohort']);
    const [row] = await readAll(path);
    expect('evidence' in row! || 'presence' in row!).toBe(false);
  });

  it('the writer refuses a record whose evidence does not match the header', async () => {
    const path = join(dir, `w-${++n}.enc`);
    const w = createEncodedWriter(path, init);
    await expect(w.writeRow('a', 'AAA=', ['', ''])).rejects.toThrow(/evidence filters/);
    await expect(w.writeRow('a', 'AAA=', ['', ''], { filters: [new Uint8Array(2), new Uint8Array(8)], presence: 1 })).rejects.toThrow(/first_dob/);
    await expect(w.writeRow('a', 'AAA=', ['', ''], { filters: [new Uint8Array(2), new Uint8Array(9)] })).rejects.toThrow(/presence/);
    await w.abort();
  });

  it('refuses tampered evidence in the text body, naming file, line and column', async () => {
    const p = await write('text', [rec(1), rec(2), rec(3)]);
    const lines = readFileSync(p, 'utf8').split('\n');
    const tamper = async (col: number, value: string) => {
      const row = JSON.parse(lines[2]!) as string[];
      row[col] = value;
      const out = join(dir, `t-${++n}.enc`);
      writeFileSync(out, [lines[0], lines[1], JSON.stringify(row), ...lines.slice(3)].join('\n'));
      return codeOf(readAll(out));
    };
    for (const [col, value, field, msg] of [
      [2, 'AAAA', 'ev:names', /names has 24 bits, header says l=12/],
      [2, Buffer.from([0, 0x01]).toString('base64'), 'ev:names', /beyond l=12/],
      [3, '!!!!', 'ev:first_dob', /not valid base64/],
      [4, '64', 'presence', /beyond the header's 6 presence features/],
      [4, '07', 'presence', /decimal/],
      [4, '-1', 'presence', /decimal/],
    ] as const) {
      const e = await tamper(col, value);
      expect(e.code).toBe('ENCODED_EVIDENCE');
      expect(e.location).toMatchObject({ file: expect.stringContaining('t-'), line: 3, field });
      expect(e.message).toMatch(msg);
    }
  });

  it('refuses tampered evidence in the binary body (padding bits, presence range)', async () => {
    const p = await write('binary', [rec(1), rec(2)]);
    const bytes = readFileSync(p);
    const start = bytes.indexOf(10) + 1;
    // record 1: u16 id length + "r1" + 2 CLK bytes, then names (2 bytes), first_dob (9 bytes), presence (1 byte)
    const names = start + 2 + 2 + 2;
    const padded = Buffer.from(bytes);
    padded[names + 1]! |= 0x01;
    const f1 = join(dir, `bp-${++n}.enc`);
    writeFileSync(f1, padded);
    const e1 = await codeOf(readAll(f1));
    expect(e1.code).toBe('ENCODED_EVIDENCE');
    expect(e1.location).toMatchObject({ line: 2, field: 'ev:names' });
    const ranged = Buffer.from(bytes);
    ranged[names + 2 + 9] = 0x80;
    const f2 = join(dir, `bp-${++n}.enc`);
    writeFileSync(f2, ranged);
    const e2 = await codeOf(readAll(f2));
    expect(e2.code).toBe('ENCODED_EVIDENCE');
    expect(e2.location).toMatchObject({ line: 2, field: 'presence' });
  });

  it('refuses a header whose evidence, presence and columns disagree', async () => {
    const p = await write('text', [rec(1)]);
    const [head, ...rest] = readFileSync(p, 'utf8').split('\n');
    const h = JSON.parse(head!) as Record<string, unknown>;
    const variants: [Record<string, unknown>, string][] = [
      [{ ...h, evidence: [{ name: 'names', l: 12 }] }, 'columns'],
      [{ ...h, presence: undefined }, 'columns'],
      [{ ...h, evidence: [{ name: 'names', l: 12 }, { name: 'names', l: 72 }] }, 'evidence'],
      [{ ...h, evidence: [{ name: 'a b', l: 12 }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      [{ ...h, evidence: [{ name: 'names', l: 0 }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      // dates: known kinds, distinct, in their canonical order, non-empty; no other keys
      [{ ...h, evidence: [{ name: 'names', l: 12, dates: ['day-month-set', 'year'] }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      [{ ...h, evidence: [{ name: 'names', l: 12, dates: ['year', 'year'] }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      [{ ...h, evidence: [{ name: 'names', l: 12, dates: ['week'] }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      [{ ...h, evidence: [{ name: 'names', l: 12, dates: [] }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      [{ ...h, evidence: [{ name: 'names', l: 12, dates: 'year' }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      [{ ...h, evidence: [{ name: 'names', l: 12, tokens: ['year'] }, { name: 'first_dob', l: 72 }] }, 'evidence'],
      [{ ...h, presence: [...PRESENCE, 'a', 'b', 'c'] }, 'presence'],
      [{ ...h, evidence: undefined, presence: undefined }, 'columns'],
    ];
    for (const [hh, field] of variants) {
      const out = join(dir, `h-${++n}.enc`);
      writeFileSync(out, [JSON.stringify(hh), ...rest].join('\n'));
      const e = await codeOf(readEncodedHeader(out));
      expect(e.code).toBe('ENCODED_HEADER');
      expect(e.location).toMatchObject({ line: 1, field });
    }
  });

  it('the linker loads evidence packed like the CLKs (8-byte stride, popcounts) and the presence bytes', async () => {
    const recs = Array.from({ length: 25 }, (_, i) => rec(i));
    // names is 12 bits: a partial last byte whose valid bits are its high nibble (big-endian bit order)
    for (const body of ['text', 'binary'] as const) {
      const party = await loadParty(await write(body, recs));
      expect(party.evidence!.map((e) => [e.name, e.l, e.stride])).toEqual([
        ['names', 12, 8],
        ['first_dob', 72, 16],
      ]);
      for (const [k, e] of party.evidence!.entries()) {
        expect(e.bytes.length).toBe(25 * e.stride);
        recs.forEach((r, i) => {
          const f = r.ev.filters[k]!;
          expect(hex(e.bytes.subarray(i * e.stride, i * e.stride + f.length))).toBe(hex(f));
          expect(e.bytes.subarray(i * e.stride + f.length, (i + 1) * e.stride).every((x) => x === 0)).toBe(true);
          expect(e.popcounts[i]).toBe([...f].reduce((a, x) => a + x.toString(2).replace(/0/g, '').length, 0));
        });
      }
      expect([...party.presence!]).toEqual(recs.map((r) => r.ev.presence));
    }
    const none = await loadParty(await write('text', recs.map((r) => ({ ...r, ev: undefined as unknown as RecordEvidence })), { init: { evidence: undefined, presence: undefined } }));
    expect(none.evidence).toBeUndefined();
    expect(none.presence).toBeUndefined();
  });

  it('files declaring different evidence are refused as a set to link', async () => {
    const a = await readEncodedHeader(await write('text', [rec(1)]));
    const b = { ...a, party: 'wages', evidence: [{ name: 'names', l: 12 }] };
    const c = { ...a, party: 'college', presence: undefined };
    // the same filters with other date tokens: the linker would read their agreement differently
    const d = { ...a, party: 'aid', evidence: a.evidence!.map((e) => (e.name === 'first_dob' ? { ...e, dates: ['year' as const] } : e)) };
    expect(() => checkCompatible([{ file: 'a', header: a }, { file: 'a2', header: { ...a, party: 'x' } }])).not.toThrow();
    for (const other of [b, c, d]) {
      const e = p20Thrown(() => checkCompatible([{ file: 'a', header: a }, { file: 'b', header: other }]));
      expect(e.code).toBe('LINK_SCHEMA_MISMATCH');
      expect(e.location.file).toBe('b');
    }
  });
});
