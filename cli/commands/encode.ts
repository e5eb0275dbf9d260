import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const encodeCommand: CommandModule = {
  command: 'encode',
  describe: false,
  handler: () => {
    throw new Error('p20link encode is not implemented yet');
  },
};
