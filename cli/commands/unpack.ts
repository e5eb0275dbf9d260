import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const unpackCommand: CommandModule = {
  command: 'unpack',
  describe: false,
  handler: () => {
    throw new Error('p20link unpack is not implemented yet');
  },
};
