#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isP20Error } from '../src/errors.js';
import { commands } from './commands/index.js';
import { TOOL_VERSION } from '../src/version.js';

/**
 * p20link command line. Thin layer: every command parses its flags and calls
 * one library function. Errors the library raises on purpose (P20Error) are
 * printed as one clear line; anything else is an internal error.
 */
/** Thrown by the usage-failure handler to stop yargs from running the command anyway. */
const USAGE_ABORT = Symbol('p20link usage error');

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  process.exitCode = 0;
  const cli = yargs(argv)
    .scriptName('p20link')
    .usage('$0 <command> [options]\n\nPrivacy-preserving record linkage and disclosure control for P-20W data systems.')
    .version(TOOL_VERSION)
    .strict()
    .exitProcess(false)
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`p20link: ${msg}\nRun with --help for usage.\n`);
      exitCode = 2;
      // Abort: without this throw yargs would still run the command's handler.
      throw USAGE_ABORT;
    });
  for (const c of commands) cli.command(c);
  try {
    const result = await cli.parseAsync();
    void result;
    const fromCmd = process.exitCode;
    return exitCode || (typeof fromCmd === 'number' ? fromCmd : 0);
  } catch (e) {
    if (e === USAGE_ABORT) return 2;
    if (isP20Error(e)) {
      process.stderr.write(`p20link: error: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`p20link: internal error: ${err.message}\n`);
    if (process.env.P20LINK_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
    return 70;
  }
}

/** Run as a program only when this module is the entry point (importing it, e.g. in tests or the demo, runs nothing). */
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(hideBin(process.argv));
}
