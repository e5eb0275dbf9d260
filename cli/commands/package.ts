import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const packageCommand: CommandModule = {
  command: 'package',
  describe: false,
  handler: () => {
    throw new Error('p20link package is not implemented yet');
  },
};
