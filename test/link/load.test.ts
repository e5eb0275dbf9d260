import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { P20Error } from '../../src/errors.js';
import { checkCompatible, fileSha256, loadParty, readInputHeaders } from '../../src/link/load.js';
import { writeEncoded, prng, randomClk, KCV } from '../fixtures/link/make-encoded.js';
import { p20Rejection as refusal } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('p20-load-');
const rnd = prng(7);
const rows = (n: number, l = 1024) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, clk: randomClk(rnd, l), blocks: [`y${i % 3}`] }));

async function compat(files: string[]) {
  checkCompatible(await readInputHeaders(files.map((file) => ({ file }))));
}

describe('loading encoded files', () => {
  it('loads ids, packed CLKs, popcounts and blocking values', async () => {
    const rs = rows(5);
    const f = await writeEncoded(join(dir, 'ok.enc'), { party: 'k12', rows: rs, blockColumns: ['birth_year'] });
    const p = await loadParty(f);
    expect(p.name).toBe('k12');
    expect(p.ids).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(p.stride).toBe(128);
    expect([...p.clks.subarray(128, 256)]).toEqual([...rs[1]!.clk]);
    expect(p.blocks.birth_year).toEqual(['y0', 'y1', 'y2', 'y0', 'y1']);
    expect((await loadParty(f, 'renamed')).name).toBe('renamed');
    expect(await fileSha256(f)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('accepts compatible files', async () => {
    const a = await writeEncoded(join(dir, 'ca.enc'), { party: 'k12', rows: rows(2) });
    const b = await writeEncoded(join(dir, 'cb.enc'), { party: 'college', rows: rows(2) });
    await expect(compat([a, b])).resolves.toBeUndefined();
  });
});

describe('refusals before linking', () => {
  it('needs at least two files', async () => {
    const a = await writeEncoded(join(dir, 'one.enc'), { party: 'k12', rows: rows(2) });
    expect((await refusal(compat([a]))).code).toBe('LINK_TOO_FEW_INPUTS');
  });

  it('refuses a file encoded with a different secret, naming it, without printing key check values', async () => {
    const a = await writeEncoded(join(dir, 'ka.enc'), { party: 'k12', rows: rows(2) });
    const b = await writeEncoded(join(dir, 'kb.enc'), { party: 'college', rows: rows(2) });
    const c = await writeEncoded(join(dir, 'kc.enc'), { party: 'wage', rows: rows(2), kcv: 'f'.repeat(32) });
    const e = await refusal(compat([a, b, c]));
    expect(e.code).toBe('LINK_KEY_MISMATCH');
    expect(e.location.file).toBe(c);
    expect(e.message).toContain(c);
    expect(e.message).not.toContain(KCV);
    expect(e.message).not.toContain('f'.repeat(32));
  });

  it('refuses a file encoded with a different schema, naming it', async () => {
    const a = await writeEncoded(join(dir, 'fa.enc'), { party: 'k12', rows: rows(2) });
    const b = await writeEncoded(join(dir, 'fb.enc'), { party: 'college', rows: rows(2), fp: 'sha256:' + 'cd'.repeat(32) });
    const e = await refusal(compat([a, b]));
    expect(e.code).toBe('LINK_SCHEMA_MISMATCH');
    expect(e.location.file).toBe(b);
  });

  it('refuses a file with a different CLK length, naming it', async () => {
    const a = await writeEncoded(join(dir, 'la.enc'), { party: 'k12', rows: rows(2) });
    const b = await writeEncoded(join(dir, 'lb.enc'), { party: 'college', rows: rows(2, 512), l: 512 });
    const e = await refusal(compat([a, b]));
    expect(e.code).toBe('LINK_LENGTH_MISMATCH');
    expect(e.location.file).toBe(b);
  });

  it('refuses two files with the same party label, and unusable labels', async () => {
    const a = await writeEncoded(join(dir, 'pa.enc'), { party: 'k12', rows: rows(2) });
    const b = await writeEncoded(join(dir, 'pb.enc'), { party: 'k12', rows: rows(2) });
    const e = await refusal(compat([a, b]));
    expect(e.code).toBe('LINK_DUPLICATE_PARTY');
    expect(e.location.file).toBe(b);
    const h = await readInputHeaders([{ file: a }, { file: b, party: 'k12-b' }]);
    expect(() => checkCompatible(h)).not.toThrow();
    expect((await refusal(readInputHeaders([{ file: a, party: '../etc' }]))).code).toBe('LINK_PARTY_NAME');
  });
});

describe('damaged input names file and line', () => {
  async function damaged(name: string, edit: (lines: string[]) => string[]): Promise<{ f: string; e: P20Error }> {
    const f = await writeEncoded(join(dir, name), { party: 'k12', rows: rows(4), blockColumns: ['birth_year'] });
    const lines = readFileSync(f, 'utf8').split('\n');
    writeFileSync(f, edit(lines).join('\n'));
    const e = await refusal(loadParty(f));
    expect(e.location.file).toBe(f);
    expect(e.message).toContain(f);
    return { f, e };
  }

  it('bad base64', async () => {
    const { e } = await damaged('b64.enc', (l) => {
      const row = JSON.parse(l[2]!) as string[];
      row[1] = row[1]!.slice(0, -4) + '!!!!';
      l[2] = JSON.stringify(row);
      return l;
    });
    expect(e).toMatchObject({ code: 'ENCODED_CLK', location: { line: 3, field: 'clk' } });
  });

  it('wrong bit length', async () => {
    const { e } = await damaged('bits.enc', (l) => {
      const row = JSON.parse(l[3]!) as string[];
      row[1] = Buffer.alloc(64).toString('base64');
      l[3] = JSON.stringify(row);
      return l;
    });
    expect(e).toMatchObject({ code: 'ENCODED_CLK', location: { line: 4 } });
    expect(e.message).toContain('512 bits');
  });

  it('duplicate record ids', async () => {
    const { e } = await damaged('dup.enc', (l) => {
      const row = JSON.parse(l[4]!) as string[];
      row[0] = 'r0';
      l[4] = JSON.stringify(row);
      return l;
    });
    expect(e).toMatchObject({ code: 'ENCODED_DUPLICATE_ID', location: { line: 5, field: 'id' } });
    expect(e.message).toContain('first on line 2');
  });

  it('truncated file (last rows missing, or cut mid-row)', async () => {
    const { e } = await damaged('trunc.enc', (l) => l.slice(0, 3));
    expect(e.code).toBe('ENCODED_TRUNCATED');
    const { e: e2 } = await damaged('cut.enc', (l) => [...l.slice(0, 3), l[3]!.slice(0, 40)]);
    expect(e2).toMatchObject({ code: 'ENCODED_ROW', location: { line: 4 } });
  });

  it('tampered header (bit length, row count, format, not JSON)', async () => {
    const tamper = (k: string, v: unknown) => (l: string[]) => {
      const h = JSON.parse(l[0]!) as Record<string, unknown>;
      h[k] = v;
      l[0] = JSON.stringify(h);
      return l;
    };
    expect((await damaged('hl.enc', tamper('l', 512))).e).toMatchObject({ code: 'ENCODED_CLK', location: { line: 2 } });
    expect((await damaged('hr.enc', tamper('rowCount', 2))).e).toMatchObject({ code: 'ENCODED_ROWCOUNT', location: { line: 4 } });
    expect((await damaged('hf.enc', tamper('format', 'other'))).e).toMatchObject({ code: 'ENCODED_FORMAT', location: { line: 1 } });
    expect((await damaged('hk.enc', tamper('keyCheckValue', 'xyz'))).e).toMatchObject({ code: 'ENCODED_HEADER', location: { line: 1, field: 'keyCheckValue' } });
    expect((await damaged('hj.enc', (l) => [l[0]!.slice(0, 30), ...l.slice(1)])).e).toMatchObject({ code: 'ENCODED_FORMAT', location: { line: 1 } });
  });
});
