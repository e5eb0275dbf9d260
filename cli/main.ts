#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, exitStatusOf } from './exit-status.js';
import { cliMessage } from './hints.js';
import { type AnyCommand, commandsFor } from './commands/index.js';
import { TOOL_VERSION, errnoCode, fsError, isP20Error } from '../src/index.js';

/**
 * p20link command line. Thin layer: every command parses its flags and calls
 * one library function. Errors the library raises on purpose (P20Error) are
 * printed as one clear line; anything else is an internal error.
 */
/** Whether the command line asks for help (or names no command, which prints it). */
function wantsHelp(argv: string[]): boolean {
  return argv.length === 0 || argv.some((a) => a === '--help' || a === '-h' || a === 'help');
}

/**
 * yargs lays out the complete help text of the command it runs before the
 * handler continues (its "cached help message", for a handler that calls
 * showHelp; about 0.03 s for `link`'s options). No p20link handler shows
 * help, and usage errors print one line (the fail handler below), so a run
 * that asks for no help skips it. Without that yargs internal (another yargs
 * version) nothing changes.
 */
function skipHelpLayout(cli: unknown): void {
  const internals = (cli as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

/** Thrown by the usage-failure handler to stop yargs from running the command anyway. */
const USAGE_ABORT = Symbol('p20link usage error');

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  process.exitCode = 0;
  const help = wantsHelp(argv);
  let commands: AnyCommand[];
  try {
    // only the command this run names is loaded (with help, or no command named first, all of them)
    commands = await commandsFor(argv, help);
  } catch (e) {
    return reportError(e);
  }
  const cli = yargs(argv)
    .scriptName('p20link')
    .usage('$0 <command> [options]\n\nPrivacy-preserving record linkage and disclosure control for P-20W data systems.')
    .version(TOOL_VERSION)
    .strict()
    .exitProcess(false)
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    // yargs lays out the help text before every command runs (about 0.1 s with these descriptions);
    // wrapping only when help is asked for keeps that off a command's start-up.
    .wrap(help ? Math.min(100, process.stdout.columns || 100) : null)
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`p20link: ${msg}\nRun with --help for usage.\n`);
      exitCode = 2;
      // Abort: without this throw yargs would still run the command's handler.
      throw USAGE_ABORT;
    });
  for (const c of commands) cli.command(c);
  if (!help) skipHelpLayout(cli);
  try {
    const result = await cli.parseAsync();
    void result;
    const fromCmd = process.exitCode;
    return exitCode || (typeof fromCmd === 'number' ? fromCmd : 0);
  } catch (e) {
    if (e === USAGE_ABORT) return EXIT.badInput;
    return reportError(e);
  }
}

/**
 * Print an error as one line and return the exit status (docs/exit-codes.md):
 * a P20Error's kind decides it (cli/exit-status.ts) and its hint is said as
 * flag text (cli/hints.ts); a Node file-system or SQLite error (ENOSPC,
 * EACCES, EROFS, ENAMETOOLONG, EMFILE, SQLITE_BUSY, ...) is translated into
 * words with the file it concerns and exits 3 (environment) or 2 (a path that
 * does not exist); anything else is a bug: "internal error", 70.
 */
export function reportError(e: unknown): number {
  const err = errnoCode(e) !== undefined ? fsError(e) : e;
  if (isP20Error(err)) {
    process.stderr.write(`p20link: error: ${cliMessage(err)}\n`);
    return exitStatusOf(err);
  }
  const x = err as Error;
  process.stderr.write(`p20link: internal error: ${x?.message ?? String(x)}\n`);
  if (process.env.P20LINK_DEBUG) process.stderr.write(`${x?.stack ?? ''}\n`);
  return EXIT.internal;
}

/** Run as a program only when this module is the entry point (importing it, e.g. in tests or the demo, runs nothing). */
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(hideBin(process.argv));
}
