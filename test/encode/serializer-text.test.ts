import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EncodedRecordSerializer, type RecordEvidence } from '../../src/format/encoded-file.js';

/** What a text-body line is (protocols/encoded-file.md): JSON.stringify of the items. */
function reference(id: string, clk: Uint8Array, extras: string[], ev?: RecordEvidence): string {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  const items = [id, b64(clk), ...(ev?.filters ?? []).map(b64), ...(ev?.presence !== undefined ? [String(ev.presence)] : []), ...extras];
  return `${JSON.stringify(items)}\n`;
}

const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u007f', '\u2028', '\ud800', 'a"b\\c\n', 'rec-1-org'));

describe('text body written straight into the buffer', () => {
  it('equals JSON.stringify of the items, byte for byte (ids and values with quotes, controls, non-ASCII, lone surrogates; CLKs of every length mod 3)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: text,
            clk: fc.uint8Array({ minLength: 1, maxLength: 70 }),
            extras: fc.array(text, { maxLength: 4 }),
            ev: fc.option(fc.record({ filters: fc.array(fc.uint8Array({ minLength: 1, maxLength: 9 }), { minLength: 2, maxLength: 2 }), presence: fc.integer({ min: 0, max: 255 }) }), { nil: undefined }),
            base64Given: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (rows) => {
          const ser = new EncodedRecordSerializer('text', 8);
          let want = '';
          for (const r of rows) {
            ser.add(r.id, r.clk, r.base64Given ? Buffer.from(r.clk).toString('base64') : undefined, r.extras, r.ev);
            want += reference(r.id, r.clk, r.extras, r.ev);
          }
          expect(Buffer.from(ser.take().bytes).toString('utf8')).toBe(want);
          expect(Buffer.from(ser.take().bytes).length).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
  it('grows its buffer for long records', () => {
    const ser = new EncodedRecordSerializer('text', 8);
    const long = 'x'.repeat(200_000);
    ser.add(long, new Uint8Array(100_000).fill(7), undefined, [long, 'é'.repeat(50_000)]);
    expect(Buffer.from(ser.take().bytes).toString('utf8')).toBe(reference(long, new Uint8Array(100_000).fill(7), [long, 'é'.repeat(50_000)]));
  });
});
