import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const secretCommand: CommandModule = {
  command: 'secret',
  describe: false,
  handler: () => {
    throw new Error('p20link secret is not implemented yet');
  },
};
