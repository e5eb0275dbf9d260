import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { P20Error } from '../errors.js';
import { createNewFile } from './secure-file.js';

/**
 * The linkage secret, writer and reader in one place: `p20link secret new`
 * writes it (newSecret), `p20link encode` reads it (loadSecret). The reader
 * accepts exactly what the writer produces without --allow-weak-secret.
 */

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
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) throw new P20Error('SECRET_GEN', 'internal: secret has an unexpected form', {});
  await createNewFile(path, `${text}\n`, 0o600, 'secret file');
}

// ---- reading the secret ----

/**
 * Load the linkage secret from a file or an environment variable — never
 * from the command line (argv is visible to every user of the machine in
 * `ps`). The secret is the text exactly as clkhash takes a secret string:
 * UTF-8 bytes, with one trailing newline removed (editors add one).
 *
 * Errors name the file or variable, never the secret's contents.
 *
 * Strength: the secret must be in the `p20link secret new` format — base64url
 * (A–Z a–z 0–9 - _, no padding) of at least 16 random bytes (128 bits; `secret
 * new` writes 32 bytes as 43 characters). Anything else (a passphrase, a
 * password, hex) is refused with SECRET_WEAK unless `allowWeak` (the CLI's
 * --allow-weak-secret) accepts it, with a warning. Why: every encoded file
 * carries a key check value and keyed blocking values derived from the
 * secret, so anyone holding one encoded file can test guesses offline at
 * thousands per second per core; a human-chosen secret falls in seconds and
 * with it every agency's encodings (docs/security-model.md).
 *
 * The library's encodeFile({secret: bytes}) takes bytes and does not check
 * strength; this loader (and so the CLI) does.
 */

/** Shortest secret accepted, in characters. */
export const MIN_SECRET_CHARS = 16;

/** Fewest random bytes a secret in the `secret new` format must carry. */
export const MIN_SECRET_BYTES = 16;

export interface SecretSource {
  /** Accept a secret that is not in the `secret new` format (the warning goes to `warn`). */
  allowWeak?: boolean;
  /** Where the weak-secret warning goes (default: stderr). */
  warn?: (message: string) => void;
  /** Path of a file holding the secret (must not be readable by group or others). */
  file?: string;
  /** Name of an environment variable holding the secret. */
  env?: string;
}

function stripOneNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  if (s.endsWith('\n')) return s.slice(0, -1);
  return s;
}

/** Whether `text` is base64url (no padding) of at least MIN_SECRET_BYTES bytes, canonically encoded — the `secret new` format. */
export function isStrongSecretText(text: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) return false;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.length >= MIN_SECRET_BYTES && bytes.toString('base64url') === text;
}

function checkText(text: string, where: { file?: string; field?: string }, src: SecretSource): Uint8Array {
  if (text.length === 0) throw new P20Error('SECRET_EMPTY', 'the linkage secret is empty', where);
  if ([...text].length < MIN_SECRET_CHARS) {
    throw new P20Error('SECRET_TOO_SHORT', `the linkage secret is shorter than ${MIN_SECRET_CHARS} characters; use a random secret`, where, { hint: { id: 'secret-new', option: 'out' } });
  }
  if (!isStrongSecretText(text)) {
    if (!src.allowWeak) {
      throw new P20Error(
        'SECRET_WEAK',
        `the linkage secret is not in the \`secret new\` format (base64url of at least ${MIN_SECRET_BYTES} random bytes), so it may be guessable: anyone holding one encoded file can test guesses offline against its key check value and blocking values`,
        where,
        { hint: { id: 'secret-weak', option: 'allow-weak-secret' } },
      );
    }
    (src.warn ?? ((m: string) => process.stderr.write(`p20link: warning: ${m}\n`)))(
      'the linkage secret is not in the `secret new` format (accepted as weak): if it was chosen by a person, anyone with an encoded file may recover it by guessing offline',
    );
  }
  return new TextEncoder().encode(text);
}

export async function loadSecret(src: SecretSource, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  if ((src.file === undefined) === (src.env === undefined)) {
    throw new P20Error('SECRET_SOURCE', 'give the linkage secret in exactly one way, a file or an environment variable (never on the command line itself)', {}, { hint: { id: 'secret-sources', option: 'secret-file' } });
  }
  if (src.file !== undefined) {
    const file = src.file;
    let st;
    try {
      st = await stat(file);
    } catch (e) {
      throw new P20Error('SECRET_FILE', `cannot read the secret file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { file });
    }
    if (!st.isFile()) throw new P20Error('SECRET_FILE', 'the secret file is not a regular file', { file });
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new P20Error(
        'SECRET_FILE_MODE',
        `the secret file is readable by other users (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')}); run \`chmod 600 ${file}\``,
        { file },
      );
    }
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      throw new P20Error('SECRET_FILE', `cannot read the secret file: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, { file });
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw new P20Error('SECRET_ENCODING', 'the secret file is not valid UTF-8 text', { file });
    }
    if (text.startsWith('\uFEFF')) text = text.slice(1);
    return checkText(stripOneNewline(text), { file }, src);
  }
  const name = src.env!;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new P20Error('SECRET_ENV', 'takes the NAME of an environment variable (letters, digits, _), not the secret itself', {}, { hint: { id: 'lead', option: 'secret-env' } });
  }
  const value = env[name];
  // The name is not repeated: a user who mistakenly passed the secret itself as the name would see it in logs.
  if (value === undefined) throw new P20Error('SECRET_ENV', 'the environment variable named by the secret-env option is not set (or not exported)', {}, { hint: { id: 'named-option', option: 'secret-env' } });
  return checkText(stripOneNewline(value), { field: 'secret-env' }, src);
}
