import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { EXIT } from '../exit-status.js';
import { type CsvDialectArgs, csvDialectFrom, csvDialectOptions, defined } from '../options.js';
import { printResult } from '../output.js';
import { type ProtectionMode, auditFile, formatAuditSummary } from '../../src/index.js';

interface AuditTableArgs extends CsvDialectArgs {
  input: string;
  spec?: string;
  count?: string;
  minN?: number;
  protectZero?: boolean;
  protectExtremes?: boolean;
  protection?: ProtectionMode;
  marker?: string;
  exactBounds?: boolean;
  integerCheck?: boolean;
  integerCheckMaxCells?: number;
  json?: boolean;
}

/** Exit statuses of `p20link audit-table`: 0 safe, 1 a hidden cell is recoverable or a published value breaks the rule, 2 bad input, 3 environment. */
export const AUDIT_TABLE_EXIT = { pass: EXIT.ok, recoverable: EXIT.checkFailed, badInput: EXIT.badInput } as const;

export const auditTableCommand: CommandModule<object, AuditTableArgs> = {
  command: 'audit-table <input>',
  describe:
    'Check a published table with the rule suppress applies: primary rules on published cells and rates, attacker bounds on hidden cells ' +
    '(exit 0 safe, 1 unsafe or recoverable, 2 bad input, 3 environment)',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'published CSV table with hidden cells marked' })
      .option('spec', { type: 'string', describe: 'JSON table spec (protocols/table-spec.md); default: infer totals from "All"/"Total" rows' })
      .option('count', { type: 'string', describe: 'count column when inferring' })
      .option('min-n', { type: 'number', describe: 'minimum publishable count n (default 10)' })
      .option('protect-zero', { type: 'boolean', describe: 'zeros and zero complements are sensitive everywhere (as suppress --protect-zero)' })
      .option('protect-extremes', { type: 'boolean', describe: '0 % and 100 % in outcome partitions and rates are sensitive (default true)' })
      .option('protection', { choices: ['threshold', 'range'] as const, describe: 'as suppress --protection (default threshold)' })
      .option('marker', { type: 'string', describe: 'text of hidden values (default "*")' })
      .option('exact-bounds', { type: 'boolean', describe: 'solve min and max for every hidden cell (default: only where needed; other cells get a proven inner range)' })
      .option('integer-check', { type: 'boolean', describe: 'verify LP-proven cells with exact integer bounds (default true)' })
      .option('integer-check-max-cells', { type: 'number', describe: 'components with more hidden cells keep the LP proof only (default 500)' })
      .option('json', { type: 'boolean', default: false, describe: 'print every hidden cell with its bounds, and every unsafe published value, as JSON' })
      .options(csvDialectOptions('the table'))
      .example('$0 audit-table public.csv --spec table.json --min-n 10', 'exit 1 and list recoverable cells and unsafe published values') as unknown as Argv<AuditTableArgs>,
  handler: async (argv: ArgumentsCamelCase<AuditTableArgs>) => {
    const a = await auditFile({
      input: argv.input,
      ...defined({
        spec: argv.spec,
        countColumn: argv.count,
        minN: argv.minN,
        protectZero: argv.protectZero,
        protectExtremes: argv.protectExtremes,
        protection: argv.protection,
        marker: argv.marker,
        exactBounds: argv.exactBounds,
        integerCheck: argv.integerCheck,
        integerCheckMaxCells: argv.integerCheckMaxCells,
        csv: csvDialectFrom(argv),
      }),
    });
    const cells = a.cells.map((c) => ({ ...c, upper: c.upper === Infinity ? null : c.upper }));
    printResult(argv.json, { ...a, cells }, () => formatAuditSummary(a, argv.input));
    process.exitCode = a.ok ? AUDIT_TABLE_EXIT.pass : AUDIT_TABLE_EXIT.recoverable;
  },
};
