import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { newSecret } from '../../src/index.js';

interface SecretNewArgs {
  out: string;
}

const secretNewCommand: CommandModule<object, SecretNewArgs> = {
  command: 'new',
  describe: 'Create a new linkage secret (32 CSPRNG bytes, base64url) in a file with mode 0600; never printed, never overwritten',
  builder: (y: Argv<object>) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'file to create (must not exist)' })
      .example('$0 secret new --out linkage.secret', 'then share it with the other agencies (never with the linker)') as unknown as Argv<SecretNewArgs>,
  handler: async (argv: ArgumentsCamelCase<SecretNewArgs>) => {
    await newSecret(argv.out);
    process.stdout.write(`wrote a new linkage secret to ${argv.out} (mode 0600). Share it only with the agencies that encode; the linker must never see it.\n`);
  },
};

export const secretCommand: CommandModule<object, object> = {
  command: 'secret <command>',
  describe: 'The linkage secret the agencies share: `secret new --out FILE`',
  builder: (y: Argv<object>) => y.command(secretNewCommand).demandCommand(1, 'Name a subcommand: new'),
  handler: () => undefined,
};
