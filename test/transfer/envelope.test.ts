import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MAX_MANIFEST_BYTES,
  MAX_SIGNATURE_BYTES,
  REC_DATA,
  REC_LAST,
  REC_MANIFEST,
  REC_SIGNATURE,
  RECORD_PREFIX_BYTES,
  RecordCursor,
  TAG_BYTES,
  openRecord,
  parseRecordPrefix,
  recordBodyAllowed,
  recordPrefix,
  sealRecord,
} from '../../src/transfer/envelope.js';

describe('record framing (envelope.ts, the one owner)', () => {
  it('prefix round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff }), (type, len) => {
        const b = recordPrefix(type, len);
        expect(b.length).toBe(RECORD_PREFIX_BYTES);
        expect(parseRecordPrefix(b)).toEqual({ type, len });
      }),
    );
  });

  it('allowed body lengths per record type', () => {
    const cs = 4096;
    expect(recordBodyAllowed(REC_DATA, cs + TAG_BYTES, cs)).toBe(true);
    expect(recordBodyAllowed(REC_DATA, cs + TAG_BYTES - 1, cs)).toBe(false);
    expect(recordBodyAllowed(REC_LAST, TAG_BYTES, cs)).toBe(true);
    expect(recordBodyAllowed(REC_LAST, TAG_BYTES - 1, cs)).toBe(false);
    expect(recordBodyAllowed(REC_LAST, cs + TAG_BYTES + 1, cs)).toBe(false);
    expect(recordBodyAllowed(REC_MANIFEST, MAX_MANIFEST_BYTES + TAG_BYTES, cs)).toBe(true);
    expect(recordBodyAllowed(REC_MANIFEST, MAX_MANIFEST_BYTES + TAG_BYTES + 1, cs)).toBe(false);
    expect(recordBodyAllowed(REC_SIGNATURE, 0, cs)).toBe(false);
    expect(recordBodyAllowed(REC_SIGNATURE, MAX_SIGNATURE_BYTES, cs)).toBe(true);
    expect(recordBodyAllowed(REC_SIGNATURE, MAX_SIGNATURE_BYTES + 1, cs)).toBe(false);
  });

  it('sealRecord / openRecord: round trip; another index, type, header or a flipped bit fails', () => {
    const key = Buffer.alloc(32, 7);
    const prefix = Buffer.from('0a0b0c0d', 'hex');
    const h = Buffer.alloc(32, 1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), fc.nat(), (plain, index, flip) => {
        const rec = sealRecord(key, prefix, index, h, REC_DATA, Buffer.from(plain));
        const { type, len } = parseRecordPrefix(rec);
        expect(type).toBe(REC_DATA);
        const body = rec.subarray(RECORD_PREFIX_BYTES);
        expect(len).toBe(body.length);
        expect(openRecord(key, prefix, index, h, REC_DATA, body)).toEqual(Buffer.from(plain));
        expect(openRecord(key, prefix, index + 1, h, REC_DATA, body)).toBeUndefined();
        expect(openRecord(key, prefix, index, h, REC_LAST, body)).toBeUndefined();
        expect(openRecord(key, prefix, index, Buffer.alloc(32, 2), REC_DATA, body)).toBeUndefined();
        const bad = Buffer.from(body);
        const bit = flip % (bad.length * 8);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(openRecord(key, prefix, index, h, REC_DATA, bad)).toBeUndefined();
        expect(openRecord(key, prefix, index, h, REC_DATA, body.subarray(0, TAG_BYTES - 1))).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('RecordCursor reads in order, hashes what it reads, and reports a short read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p20-env-'));
    try {
      const f = join(dir, 'x');
      writeFileSync(f, Buffer.concat([recordPrefix(REC_LAST, 3), Buffer.from('abc')]));
      const fh = await open(f, 'r');
      const seen: string[] = [];
      const cur = new RecordCursor(fh, 0, (what) => {
        throw new Error(`short: ${what}`);
      });
      const hash = { update: (b: Buffer) => seen.push(b.toString('hex')) } as never;
      expect(await cur.prefix('record 1', [hash])).toEqual({ type: REC_LAST, len: 3 });
      expect((await cur.take(3, 'body', [hash])).toString()).toBe('abc');
      expect(seen).toHaveLength(2);
      await expect(cur.take(1, 'signature', [])).rejects.toThrow('short: signature');
      await fh.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
