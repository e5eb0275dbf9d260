import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createEncodedWriter,
  openEncoded,
  readEncodedHeader,
  type EncodedRow,
} from '../../src/format/encoded-file.js';
import { collectBatches } from '../helpers/batches.js';
import { p20Rejection as codeOf } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('p20-enc-');
const init = {
  tool: 'p20link test',
  createdAt: '2026-01-01T00:00:00.000Z',
  party: 'k12',
  schemaFingerprint: 'sha256:' + 'ab'.repeat(32),
  keyCheckValue: '0123456789abcdef0123456789abcdef',
  l: 12,
  blockColumns: ['birth_year'],
};
const clk = (a: number, b: number) => Buffer.from([a, b]).toString('base64');

async function readAll(path: string): Promise<EncodedRow[]> {
  return collectBatches((await openEncoded(path)).batches);
}
async function writeSample(name: string, n = 3): Promise<string> {
  const path = join(dir, name);
  const w = createEncodedWriter(path, init);
  for (let i = 0; i < n; i++) await w.writeRow(`r${i}`, clk(i, 0xf0), [`y${i}`]);
  expect(await w.commit()).toBe(n);
  return path;
}

describe('encoded file', () => {
  it('round-trips header, ids, CLKs and blocking values; row count is patched into the header', async () => {
    const path = await writeSample('ok.p20e');
    const h = await readEncodedHeader(path);
    expect(h).toMatchObject({ party: 'k12', l: 12, rowCount: 3, columns: ['id', 'clk', 'block:birth_year'] });
    const rows = await readAll(path);
    expect(rows.map((r) => r.id)).toEqual(['r0', 'r1', 'r2']);
    expect([...rows[2]!.clk]).toEqual([2, 0xf0]);
    expect(rows[1]!.blocks).toEqual({ birth_year: 'y1' });
    expect(rows[1]!.line).toBe(3);
    // header line is still valid JSON after the patch
    expect(JSON.parse(readFileSync(path, 'utf8').split('\n')[0]!).rowCount).toBe(3);
  });

  it('leaves nothing behind when aborted', async () => {
    const path = join(dir, 'aborted.p20e');
    const w = createEncodedWriter(path, init);
    await w.writeRow('a', clk(1, 0), ['x']);
    await w.abort();
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('refuses truncation, bad base64, wrong length, bits beyond l, duplicate ids — with file and line', async () => {
    const path = await writeSample('src.p20e', 4);
    const lines = readFileSync(path, 'utf8').split('\n');
    const variant = async (name: string, edit: (ls: string[]) => string[]) => {
      const p = join(dir, name);
      writeFileSync(p, edit([...lines]).join('\n'));
      return codeOf(readAll(p));
    };
    const trunc = await variant('trunc.p20e', (ls) => ls.slice(0, 3).concat(''));
    expect(trunc.code).toBe('ENCODED_TRUNCATED');
    const cut = await variant('cut.p20e', (ls) => [...ls.slice(0, 2), ls[2]!.slice(0, 10)]);
    expect(cut.code).toBe('ENCODED_ROW');
    expect(cut.location.line).toBe(3);
    const b64 = await variant('b64.p20e', (ls) => ((ls[2] = JSON.stringify(['r1', '!!!!', 'y'])), ls));
    expect(b64.code).toBe('ENCODED_CLK');
    expect(b64.location).toMatchObject({ file: join(dir, 'b64.p20e'), line: 3, field: 'clk' });
    const len = await variant('len.p20e', (ls) => ((ls[2] = JSON.stringify(['r1', 'AAAA', 'y'])), ls));
    expect(len.message).toContain('l=12');
    const spare = await variant('spare.p20e', (ls) => ((ls[2] = JSON.stringify(['r1', clk(1, 0x0f), 'y'])), ls));
    expect(spare.message).toContain('beyond');
    const dup = await variant('dup.p20e', (ls) => ((ls[3] = ls[2]!), ls));
    expect(dup.code).toBe('ENCODED_DUPLICATE_ID');
    expect(dup.location.line).toBe(4);
  });

  it('refuses files that are not p20link encoded files or of another version', async () => {
    const p = join(dir, 'csv.p20e');
    writeFileSync(p, 'id,name\n1,x\n');
    expect((await codeOf(readEncodedHeader(p))).code).toBe('ENCODED_FORMAT');
    const path = await writeSample('v.p20e');
    const text = readFileSync(path, 'utf8').replace('"version":1', '"version":9');
    writeFileSync(path, text);
    expect((await codeOf(readEncodedHeader(path))).code).toBe('ENCODED_VERSION');
    const empty = join(dir, 'empty.p20e');
    writeFileSync(empty, '');
    expect((await codeOf(readEncodedHeader(empty))).code).toBe('ENCODED_EMPTY');
  });
});

describe('encoded file: absentFeatures (optional header field)', () => {
  it('is written only when non-empty and read back; an older file without it is unchanged', async () => {
    const plain = await writeSample('no-absent.p20e', 1);
    expect(readFileSync(plain, 'utf8')).not.toContain('absentFeatures');
    const path = join(dir, 'absent.p20e');
    const w = createEncodedWriter(path, { ...init, absentFeatures: ['middle_name', 'sex'] });
    await w.writeRow('r0', clk(1, 0xf0), ['y']);
    await w.commit();
    expect((await readEncodedHeader(path)).absentFeatures).toEqual(['middle_name', 'sex']);
    expect((await readAll(path)).map((r) => r.id)).toEqual(['r0']);
  });

  it('a malformed absentFeatures is refused, naming the field', async () => {
    for (const bad of ['sex', [''], ['sex', 'sex'], [1]]) {
      const path = join(dir, `bad-absent-${Math.random().toString(36).slice(2)}.p20e`);
      const good = readFileSync(await writeSample(`src-${Math.random().toString(36).slice(2)}.p20e`, 1), 'utf8').split('\n');
      const h = JSON.parse(good[0]!);
      h.absentFeatures = bad;
      writeFileSync(path, [JSON.stringify(h), ...good.slice(1)].join('\n'));
      const e = await codeOf(readEncodedHeader(path));
      expect(e.code).toBe('ENCODED_HEADER');
      expect(e.location.field).toBe('absentFeatures');
    }
  });
});
