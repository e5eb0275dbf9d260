import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const auditCommand: CommandModule = {
  command: 'audit',
  describe: false,
  handler: () => {
    throw new Error('p20link audit is not implemented yet');
  },
};
