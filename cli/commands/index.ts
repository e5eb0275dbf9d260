import type { CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandModule<any, any>;

/**
 * Every p20link command, in the order --help lists them: its name (the first
 * word of its yargs `command`) and how to load it. A command's module is
 * imported only when needed (cli/main.ts: the command a run names, or all of
 * them for help), so a run does not parse and set up the code of the other
 * commands; in the bundle each is its own chunk (cli/build-bundle.mjs).
 */
export const COMMANDS: readonly { name: string; load: () => Promise<AnyCommand> }[] = [
  { name: 'encode', load: async () => (await import('./encode.js')).encodeCommand },
  { name: 'link', load: async () => (await import('./link.js')).linkCommand },
  { name: 'registry', load: async () => (await import('./registry.js')).registryCommand },
  { name: 'suppress', load: async () => (await import('./suppress.js')).suppressCommand },
  { name: 'audit-table', load: async () => (await import('./audit-table.js')).auditTableCommand },
  { name: 'kcheck', load: async () => (await import('./kcheck.js')).kcheckCommand },
  { name: 'keygen', load: async () => (await import('./keygen.js')).keygenCommand },
  { name: 'key', load: async () => (await import('./key.js')).keyCommand },
  { name: 'secret', load: async () => (await import('./secret.js')).secretCommand },
  { name: 'package', load: async () => (await import('./package.js')).packageCommand },
  { name: 'unpack', load: async () => (await import('./unpack.js')).unpackCommand },
  { name: 'audit', load: async () => (await import('./audit.js')).auditCommand },
  { name: 'report', load: async () => (await import('./report.js')).reportCommand },
  { name: 'assess', load: async () => (await import('./assess.js')).assessCommand },
];

/** Every command's module, loaded, in COMMANDS order. */
export function loadAllCommands(): Promise<AnyCommand[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}

/**
 * The commands a run needs: only the named one when the command line starts
 * with a command's name and asks for no help (yargs then matches that
 * command, and the others play no part); otherwise all of them (help lists
 * them; an unknown or misplaced command is reported against all of them).
 */
export async function commandsFor(argv: readonly string[], wantsHelp: boolean): Promise<AnyCommand[]> {
  const named = wantsHelp ? undefined : COMMANDS.find((c) => c.name === argv[0]);
  return named ? [await named.load()] : loadAllCommands();
}
