import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, hkdfSync } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createBlocker, deriveBlockingKey, keyedBlockValue, plainBlockValue, soundex } from '../../src/encode/blocking-keys.js';
import { loadSecret } from '../../src/transfer/secret.js';

describe('keyed blocking values', () => {
  it('match an independent HKDF/HMAC computation (node:crypto)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 64 }), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (secret, name, plain) => {
        const kb = Buffer.from(hkdfSync('sha256', secret, 'p20link/blocking/v1', 'blocking key', 32));
        const want = createHmac('sha256', kb).update(Buffer.from(`${name}\0${plain}`, 'utf8')).digest().subarray(0, 16).toString('hex');
        expect(keyedBlockValue(deriveBlockingKey(secret), name, plain)).toBe(want);
      }),
      { numRuns: 50 },
    );
  });
  it('empty stays empty; the key name separates equal values', () => {
    const kb = deriveBlockingKey(new TextEncoder().encode('0123456789abcdef'));
    expect(keyedBlockValue(kb, 'x', '')).toBe('');
    expect(keyedBlockValue(kb, 'birth_year', '2001')).not.toBe(keyedBlockValue(kb, 'entry_year', '2001'));
  });
  it('Soundex known answers (US census rules)', () => {
    const cases: [string, string][] = [
      ['Robert', 'R163'], ['Rupert', 'R163'], ['Rubin', 'R150'], ['Ashcraft', 'A261'], ['Ashcroft', 'A261'],
      ['Tymczak', 'T522'], ['Pfister', 'P236'], ['Honeyman', 'H555'], ['Lee', 'L000'], ['Müller', 'M460'], ['', ''], ['123', ''],
    ];
    for (const [v, s] of cases) expect(soundex(v), v).toBe(s);
    expect(soundex('GARCIA LOPEZ')).toBe(soundex('García-López'));
  });
  it('transforms', () => {
    expect(plainBlockValue({ name: 'y', feature: 'd', transform: 'year' }, '2001-03-05')).toBe('2001');
    expect(plainBlockValue({ name: 'y', feature: 'd', transform: 'year' }, '20010305')).toBe('2001');
    expect(plainBlockValue({ name: 'y', feature: 'd', transform: 'year' }, 'garbage')).toBe('');
    expect(plainBlockValue({ name: 'p', feature: 'n', transform: 'prefix', length: 3 }, 'Zoë Smith')).toBe('Zoë');
    expect(plainBlockValue({ name: 'e', feature: 'n', transform: 'exact' }, ' x ')).toBe('x');
    const blocker = createBlocker(new TextEncoder().encode('0123456789abcdef'), [{ name: 'y', feature: 'dob', transform: 'year' }]);
    expect(blocker(() => '2001-01-01')).toEqual(blocker(() => '2001-12-31'));
    expect(blocker(() => '2001-01-01')).not.toEqual(blocker(() => '2002-01-01'));
  });
});

describe('loadSecret', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'p20link-secret-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const file = async (content: string | Buffer, mode = 0o600) => {
    const p = join(dir, `s${Math.random().toString(36).slice(2)}`);
    await writeFile(p, content);
    await chmod(p, mode);
    return p;
  };
  const text = (b: Uint8Array) => new TextDecoder().decode(b);

  it('reads the file text minus one trailing newline, as UTF-8 bytes', async () => {
    expect(text(await loadSecret({ allowWeak: true, warn: () => {}, file: await file('clé secrète 🔑 李 long enough\n') }))).toBe('clé secrète 🔑 李 long enough');
    expect(text(await loadSecret({ allowWeak: true, warn: () => {}, file: await file('0123456789abcdef\n\n') }))).toBe('0123456789abcdef\n');
    expect(text(await loadSecret({ allowWeak: true, warn: () => {}, file: await file('0123456789abcdef\r\n') }))).toBe('0123456789abcdef');
    expect(text(await loadSecret({ allowWeak: true, warn: () => {}, file: await file(' 0123456789abcdef ') }))).toBe(' 0123456789abcdef ');
  });
  it('reads an environment variable by name', async () => {
    expect(text(await loadSecret({ env: 'MY_SECRET', allowWeak: true, warn: () => {} }, { MY_SECRET: '0123456789abcdef' }))).toBe('0123456789abcdef');
    await expect(loadSecret({ env: 'MY_SECRET' }, {})).rejects.toThrow(/not set/);
    await expect(loadSecret({ env: 'not a name!' }, {})).rejects.toThrow(/NAME of an environment variable/);
  });
  it('refuses group/other-readable files, short or empty secrets, invalid UTF-8, both or neither source', async () => {
    for (const mode of [0o640, 0o604, 0o644, 0o660]) {
      await expect(loadSecret({ file: await file('0123456789abcdef', mode) })).rejects.toMatchObject({ code: 'SECRET_FILE_MODE' });
    }
    await expect(loadSecret({ file: await file('') })).rejects.toMatchObject({ code: 'SECRET_EMPTY' });
    await expect(loadSecret({ file: await file('\n') })).rejects.toMatchObject({ code: 'SECRET_EMPTY' });
    await expect(loadSecret({ file: await file('0123456789abcde\n') })).rejects.toMatchObject({ code: 'SECRET_TOO_SHORT' });
    await expect(loadSecret({ file: await file(Buffer.from([0xff, 0xfe, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x50, 0x51, 0x52, 0x53, 0x54, 0x55])) })).rejects.toMatchObject({ code: 'SECRET_ENCODING' });
    await expect(loadSecret({ file: join(dir, 'missing') })).rejects.toMatchObject({ code: 'SECRET_FILE' });
    await expect(loadSecret({})).rejects.toMatchObject({ code: 'SECRET_SOURCE' });
    await expect(loadSecret({ file: 'a', env: 'B' })).rejects.toMatchObject({ code: 'SECRET_SOURCE' });
  });
  it('error messages never contain the secret', async () => {
    const s = 'abcdefghijklmno'; // 15 chars: too short
    const e = await loadSecret({ file: await file(s, 0o600) }).catch((x: Error) => x);
    expect(String((e as Error).message)).not.toContain(s);
    const e2 = await loadSecret({ file: await file(s + 'pqrstuvwxyz', 0o644) }).catch((x: Error) => x);
    expect(String((e2 as Error).message)).not.toContain(s);
  });
});
