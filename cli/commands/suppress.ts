import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const suppressCommand: CommandModule = {
  command: 'suppress',
  describe: false,
  handler: () => {
    throw new Error('p20link suppress is not implemented yet');
  },
};
