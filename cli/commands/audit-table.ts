import type { CommandModule } from 'yargs';

// Placeholder: the issue that owns this command replaces this file.
export const auditTableCommand: CommandModule = {
  command: 'audit-table',
  describe: false,
  handler: () => {
    throw new Error('p20link audit-table is not implemented yet');
  },
};
