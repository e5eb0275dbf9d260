/**
 * Option blocks and argument helpers several commands share.
 */
import type { Options } from 'yargs';
import { type CsvDialect, readPassphrase } from '../src/index.js';

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

export interface CsvDialectArgs {
  delimiter?: string;
  trim?: boolean;
  encoding?: string;
}

/**
 * `--delimiter`, `--encoding` and `--trim` / `--no-trim`: how the CSV file a
 * command reads is written (the library's `csv` option, CsvDialect), for
 * yargs `.options(...)`. `what` names the file; `schema` adds what each
 * does to a schema's own dialect (encode).
 */
export function csvDialectOptions(what: string, schema?: { delimiter: string; trim: string }): Record<'delimiter' | 'encoding' | 'trim', Options> {
  return {
    delimiter: { type: 'string', describe: `CSV delimiter of ${what}${schema ? `, ${schema.delimiter}` : ''} (one character, or "tab"${schema ? '' : '; default ","'})` },
    encoding: { type: 'string', describe: `character encoding of ${what}: utf-8 (default) or windows-1252 (a file a Windows program saved as ANSI / Latin-1; latin1 and cp1252 mean the same)` },
    trim: { type: 'boolean', describe: `trim spaces around unquoted values and header names of ${what} (for ", "-separated files)${schema ? `; ${schema.trim}` : ''}` },
  };
}

/** The dialect named by --delimiter / --encoding / --trim (undefined when none is given). */
export function csvDialectFrom(a: CsvDialectArgs): CsvDialect | undefined {
  const d = defined({ delimiter: a.delimiter, trim: a.trim, encoding: a.encoding });
  return Object.keys(d).length > 0 ? d : undefined;
}
