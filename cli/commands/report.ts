import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const reportCommand: CommandModule = {
  command: 'report',
  describe: false,
  handler: () => {
    throw new Error('p20link report is not implemented yet');
  },
};
