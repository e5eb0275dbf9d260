import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { auditFile } from '../../src/release/table/files.js';
import { formatAuditSummary } from '../../src/release/table/summary.js';
import { defined } from '../options.js';
import { printResult, withBadInputExit } from '../output.js';

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
    // Bad input must not look like "recoverable" to a release pipeline.
    const a = await withBadInputExit(AUDIT_TABLE_EXIT.badInput, () =>
      auditFile({
        input: argv.input,
        ...defined({
          spec: argv.spec,
          countColumn: argv.count,
          minN: argv.minN,
          protectZero: argv.protectZero,
          marker: argv.marker,
          exactBounds: argv.exactBounds,
        }),
      }),
    );
    const cells = a.cells.map((c) => ({ ...c, upper: c.upper === Infinity ? null : c.upper }));
    printResult(argv.json, { ...a, cells }, () => formatAuditSummary(a, argv.input));
    process.exitCode = a.ok ? AUDIT_TABLE_EXIT.pass : AUDIT_TABLE_EXIT.recoverable;
  },
};
