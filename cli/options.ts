/**
 * Option blocks and argument helpers several commands share.
 */
import type { Options } from 'yargs';
import { readPassphrase } from '../src/index.js';

export interface PassphraseArgs {
  passphraseEnv?: string;
  passphraseFile?: string;
}

/**
 * `--passphrase-env` / `--passphrase-file` (mutually exclusive), for yargs
 * `.options(...)`. The default texts are for unlocking your private key.
 */
export function passphraseOptions(
  env = 'environment variable holding your private key\'s passphrase',
  file = 'file holding your private key\'s passphrase',
): { 'passphrase-env': Options & { type: 'string' }; 'passphrase-file': Options & { type: 'string' } } {
  return {
    'passphrase-env': { type: 'string', describe: env, conflicts: 'passphrase-file' },
    'passphrase-file': { type: 'string', describe: file },
  };
}

/** The passphrase named by --passphrase-env / --passphrase-file (undefined when neither is given). */
export function passphraseFrom(argv: PassphraseArgs): Promise<string | undefined> {
  return readPassphrase({ env: argv.passphraseEnv, file: argv.passphraseFile });
}

/**
 * The entries of `o` whose value is not undefined: turns optional flags into
 * optional library options without `...(x !== undefined ? { x } : {})`.
 */
export function defined<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
