/**
 * Load the linkage secret from a file or an environment variable — never
 * from the command line (argv is visible to every user of the machine in
 * `ps`). The secret is the text exactly as clkhash takes a secret string:
 * UTF-8 bytes, with one trailing newline removed (editors add one).
 *
 * Errors name the file or variable, never the secret's contents.
 */
import { readFile, stat } from 'node:fs/promises';
import { P20Error } from '../errors.js';

/** Shortest secret accepted, in characters. */
export const MIN_SECRET_CHARS = 16;

export interface SecretSource {
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

function checkText(text: string, where: { file?: string; field?: string }): Uint8Array {
  if (text.length === 0) throw new P20Error('SECRET_EMPTY', 'the linkage secret is empty', where);
  if ([...text].length < MIN_SECRET_CHARS) {
    throw new P20Error('SECRET_TOO_SHORT', `the linkage secret is shorter than ${MIN_SECRET_CHARS} characters; use a long random secret (p20link secret new --out FILE)`, where);
  }
  return new TextEncoder().encode(text);
}

export async function loadSecret(src: SecretSource, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  if ((src.file === undefined) === (src.env === undefined)) {
    throw new P20Error('SECRET_SOURCE', 'give the linkage secret with exactly one of --secret-file PATH or --secret-env NAME (never on the command line itself)', {}, 2);
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
    return checkText(stripOneNewline(text), { file });
  }
  const name = src.env!;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new P20Error('SECRET_ENV', `--secret-env takes the NAME of an environment variable (letters, digits, _), not the secret itself`, {}, 2);
  }
  const value = env[name];
  // The name is not repeated: a user who mistakenly passed the secret itself as the name would see it in logs.
  if (value === undefined) throw new P20Error('SECRET_ENV', 'the environment variable named by --secret-env is not set (or not exported)', {});
  return checkText(stripOneNewline(value), { field: '--secret-env' });
}
