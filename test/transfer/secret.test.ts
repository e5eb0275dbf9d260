import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSecret, newSecret, isStrongSecretText, newSecretText } from '../../src/transfer/secret.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'p20-secret-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the secret writer and reader agree', () => {
  it('what `secret new` writes, `encode` reads without --allow-weak-secret', async () => {
    const f = join(dir, 's.secret');
    await newSecret(f);
    if (process.platform !== 'win32') expect(statSync(f).mode & 0o777).toBe(0o600);
    const text = readFileSync(f, 'utf8');
    const got = await loadSecret({ file: f, warn: () => expect.unreachable('no warning for a generated secret') });
    expect(Buffer.from(got).toString('utf8')).toBe(text.slice(0, -1));
  });

  it('every generated secret text is in the strong format', () => {
    for (let i = 0; i < 50; i++) expect(isStrongSecretText(newSecretText())).toBe(true);
  });
});
