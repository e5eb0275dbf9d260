import { randomBytes } from 'node:crypto';
import { P20Error } from '../errors.js';
import { createNewFile } from './secure-file.js';

/**
 * The linkage secret the agencies share (the linker never sees it): 32 bytes
 * from the OS CSPRNG (node:crypto randomBytes), written as base64url (43
 * characters, no padding) plus "\n", mode 0600, never overwriting. The
 * encoder reads it with `loadSecret({file})` (content minus the trailing
 * newline), so the key material is the 43-character text itself.
 */
export const SECRET_BYTES = 32;

export function newSecretText(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** Create a new secret file. Returns nothing: the secret is never handed back for printing. */
export async function newSecret(path: string): Promise<void> {
  const text = newSecretText();
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) throw new P20Error('SECRET_GEN', 'internal: secret has an unexpected form', {}, 70);
  await createNewFile(path, `${text}\n`, 0o600, 'secret file');
}
