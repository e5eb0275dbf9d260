import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const keygenCommand: CommandModule = {
  command: 'keygen',
  describe: false,
  handler: () => {
    throw new Error('p20link keygen is not implemented yet');
  },
};
