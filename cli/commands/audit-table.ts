import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { isP20Error } from '../../src/errors.js';
import { auditFile } from '../../src/release/table/files.js';
import { formatAuditSummary } from '../../src/release/table/summary.js';

interface AuditTableArgs {
  input: string;
  spec?: string;
  count?: string;
  minN?: number;
  protectZero?: boolean;
  marker?: string;
  exactBounds?: boolean;
  json?: boolean;
}

/** Exit statuses of `p20link audit-table`: 0 no hidden cell recoverable, 1 some recoverable, 2 bad input. */
export const AUDIT_TABLE_EXIT = { pass: 0, recoverable: 1, badInput: 2 } as const;

export const auditTableCommand: CommandModule<object, AuditTableArgs> = {
  command: 'audit-table <input>',
  describe: "Run the attacker's LP bounds on a suppressed table (exit 0 safe, 1 a hidden cell is recoverable, 2 bad input)",
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'published CSV table with hidden cells marked' })
      .option('spec', { type: 'string', describe: 'JSON table spec (protocols/table-spec.md); default: infer totals from "All"/"Total" rows' })
      .option('count', { type: 'string', describe: 'count column when inferring' })
      .option('min-n', { type: 'number', describe: 'minimum publishable count n (default 10)' })
      .option('protect-zero', { type: 'boolean', describe: 'zero is sensitive too: flag hidden cells known to be ≤ n − 1' })
      .option('marker', { type: 'string', describe: 'text of hidden values (default "*")' })
      .option('exact-bounds', { type: 'boolean', describe: 'solve min and max LPs for every hidden cell (default: only where needed; other cells get a proven inner range)' })
      .option('json', { type: 'boolean', default: false, describe: 'print every hidden cell with its bounds as JSON' })
      .example('$0 audit-table public.csv --spec table.json --min-n 10', 'exit 1 and list recoverable cells') as unknown as Argv<AuditTableArgs>,
  handler: async (argv: ArgumentsCamelCase<AuditTableArgs>) => {
    const a = await auditFile({
      input: argv.input,
      ...(argv.spec !== undefined ? { spec: argv.spec } : {}),
      ...(argv.count !== undefined ? { countColumn: argv.count } : {}),
      ...(argv.minN !== undefined ? { minN: argv.minN } : {}),
      ...(argv.protectZero !== undefined ? { protectZero: argv.protectZero } : {}),
      ...(argv.marker !== undefined ? { marker: argv.marker } : {}),
      ...(argv.exactBounds !== undefined ? { exactBounds: argv.exactBounds } : {}),
    }).catch((e: unknown) => {
      // Bad input must not look like "recoverable" to a release pipeline.
      if (isP20Error(e)) (e as { exitCode: number }).exitCode = AUDIT_TABLE_EXIT.badInput;
      throw e;
    });
    if (argv.json) {
      const cells = a.cells.map((c) => ({ ...c, upper: c.upper === Infinity ? null : c.upper }));
      process.stdout.write(JSON.stringify({ ...a, cells }, null, 2) + '\n');
    } else process.stdout.write(formatAuditSummary(a, argv.input));
    process.exitCode = a.ok ? AUDIT_TABLE_EXIT.pass : AUDIT_TABLE_EXIT.recoverable;
  },
};
