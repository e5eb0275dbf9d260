import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const linkCommand: CommandModule = {
  command: 'link',
  describe: false,
  handler: () => {
    throw new Error('p20link link is not implemented yet');
  },
};
