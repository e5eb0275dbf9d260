import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const kcheckCommand: CommandModule = {
  command: 'kcheck',
  describe: false,
  handler: () => {
    throw new Error('p20link kcheck is not implemented yet');
  },
};
