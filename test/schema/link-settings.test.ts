/**
 * resolveLinkSettings: the one place link settings come from (explicit
 * options, else the schema's p20link.link hints, else the defaults), used by
 * the library's linkFiles and so by `p20link link`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LINK_BLOCKING, DEFAULT_LINK_THRESHOLD, resolveLinkSettings } from '../../src/schema/link-settings.js';
import { loadLinkageSchema, schemaFingerprint } from '../../src/schema/linkage-schema.js';
import { p20Rejection } from '../helpers/errors.js';

const FEBRL = resolve(process.cwd(), 'protocols/schemas/febrl.json');
const fp = async (p: string): Promise<string> => schemaFingerprint(await loadLinkageSchema(p));

describe('resolveLinkSettings', () => {
  it('without a schema: the caller\'s values, else the defaults', async () => {
    expect(await resolveLinkSettings({ inputs: [] })).toEqual({ threshold: DEFAULT_LINK_THRESHOLD, blocking: DEFAULT_LINK_BLOCKING });
    expect(await resolveLinkSettings({ inputs: [], threshold: 0.9, reviewThreshold: 0.7, blocking: 'none' })).toEqual({ threshold: 0.9, reviewThreshold: 0.7, blocking: 'none' });
  });

  it('with the schema the inputs were encoded with: its hints are the defaults; its review band only with its threshold', async () => {
    const inputs = [{ file: 'a.enc', schemaFingerprint: await fp(FEBRL) }];
    const s = await resolveLinkSettings({ schema: FEBRL, inputs });
    expect(s.threshold).toBe(0.565);
    expect(s.reviewThreshold).toBe(0.55);
    expect(s.blocking).toBe('lsh:bands=200,rows=5');
    // an explicit threshold drops the schema's review band (it was chosen for the schema's threshold)
    const t = await resolveLinkSettings({ schema: FEBRL, inputs, threshold: 0.9 });
    expect(t).toEqual({ threshold: 0.9, blocking: s.blocking });
    expect((await resolveLinkSettings({ schema: FEBRL, inputs, blocking: 'lsh' })).blocking).toBe('lsh');
  });

  it('refuses a schema other than the inputs\' (LINK_SCHEMA_MISMATCH, naming the file)', async () => {
    const e = await p20Rejection(resolveLinkSettings({ schema: FEBRL, inputs: [{ file: 'x.enc', schemaFingerprint: 'sha256:' + '0'.repeat(64) }] }));
    expect(e.code).toBe('LINK_SCHEMA_MISMATCH');
    expect(e.location.file).toBe('x.enc');
  });

  it('the linker does not import the encoder (settings come from src/schema)', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(resolve(process.cwd(), 'src/link'));
    const offenders = files.filter((f) => /from\s+['"][./]*\/encode\/|import\(\s*['"][./]*\/encode\//.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
    expect(readFileSync(resolve(process.cwd(), 'cli/commands/link.ts'), 'utf8')).not.toMatch(/\?\? 0\.8\b/);
  });
});
