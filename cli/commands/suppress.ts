import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { EXIT } from '../exit-status.js';
import { type CsvDialectArgs, csvDialectFrom, csvDialectOptions, defined } from '../options.js';
import { printResult } from '../output.js';
import { type ProtectionMode, formatSuppressSummary, suppressFile, suppressLinkedFile, terminalProgress } from '../../src/index.js';

interface SuppressArgs extends CsvDialectArgs {
  input: string;
  output: string;
  spec?: string;
  count?: string;
  minN?: number;
  protectZero?: boolean;
  protectExtremes?: boolean;
  protection?: ProtectionMode;
  marker?: string;
  report?: string;
  reportHiddenValues?: boolean;
  integerCheck?: boolean;
  integerCheckMaxCells?: number;
  method?: 'auto' | 'heuristic' | 'exact';
  exactTimeLimit?: number;
  linked?: boolean;
  topCode?: number;
  bottomCode?: number;
  json?: boolean;
}

/** Exit statuses of `p20link suppress` (docs/suppress.md). */
export const SUPPRESS_EXIT = { ok: EXIT.ok, unprotectable: EXIT.checkFailed, badInput: EXIT.badInput } as const;

export const suppressCommand: CommandModule<object, SuppressArgs> = {
  command: 'suppress <input>',
  describe:
    'Suppress small cells of a table of counts (primary + complementary), proven by LP and integer bounds ' +
    '(exit 0 written, 1 cannot protect, 2 bad input, 3 environment)',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'CSV table: dimension columns and a count column' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'suppressed table (written atomically; never the input)' })
      .option('spec', { type: 'string', describe: 'JSON table spec (protocols/table-spec.md); default: infer totals from "All"/"Total" rows' })
      .option('count', { type: 'string', describe: 'count column when inferring (default: count/n/students, else the last column)' })
      .option('min-n', { type: 'number', describe: 'minimum publishable count n: counts in (0, n) are hidden (default 10)' })
      .option('protect-zero', { type: 'boolean', describe: 'also hide zero counts and zero complements everywhere (default: zeros are published)' })
      .option('protect-extremes', {
        type: 'boolean',
        describe: 'protect 0 % and 100 % in outcome partitions (complete: false) and rates (default true; --no-protect-extremes to publish them)',
      })
      .option('protection', {
        choices: ['threshold', 'range'] as const,
        describe: 'required attacker interval for a hidden cell: threshold = upper ≥ n (default); range = also lower ≤ 0',
      })
      .option('marker', { type: 'string', describe: 'text replacing hidden values (default "*")' })
      .option('report', { type: 'string', describe: 'write the JSON report (which rule hid each cell, bounds, cost; no hidden values) here, mode 0600' })
      .option('report-hidden-values', {
        type: 'boolean',
        default: false,
        describe: 'RISK: also put the true value of every hidden cell in the report (it undoes the suppression if it leaks)',
      })
      .option('method', {
        choices: ['auto', 'heuristic', 'exact'] as const,
        describe:
          'auto (default): greedy rounds and pruning, then on tables of ≤ 200 cells the exact search (10 s) keeping the cheaper pattern; ' +
          'heuristic: greedy rounds and pruning only; exact: a minimum-cost pattern (tables up to a few hundred cells; docs/suppress-exact.md)',
      })
      .option('exact-time-limit', { type: 'number', describe: 'seconds for the exact search (default 10 in auto and the fallback, 60 with --method exact)' })
      .option('linked', {
        type: 'boolean',
        describe: 'INPUT is a linked-tables spec: suppress its tables jointly (exact mode) and write OUTPUT/<name>.csv for each (docs/suppress-linked.md)',
      })
      .option('integer-check', { type: 'boolean', describe: 'verify the LP proof with exact integer bounds (default true)' })
      .option('integer-check-max-cells', { type: 'number', describe: 'components with more hidden cells keep the LP proof only (default 500)' })
      .option('top-code', { type: 'number', describe: 'publish rates above this as ">X" (e.g. 95); the band widens with small denominators' })
      .option('bottom-code', { type: 'number', describe: 'publish rates below this as "<X" (e.g. 5); the band widens with small denominators' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON instead of the summary' })
      .options(csvDialectOptions('the input table (with --linked: of each table); the output is written comma-separated, UTF-8'))
      .example('$0 suppress counts.csv -o public.csv --spec table.json --report suppress.json', 'suppress with a declared structure')
      .example('$0 suppress counts.csv -o public.csv --min-n 5', 'infer totals from "All" rows, n = 5') as unknown as Argv<SuppressArgs>,
  handler: async (argv: ArgumentsCamelCase<SuppressArgs>) => {
    if (argv.reportHiddenValues && argv.report === undefined && !argv.json) {
      process.stderr.write('p20link: warning: --report-hidden-values has no effect without --report or --json\n');
    }
    if (argv.linked) {
      const l = await suppressLinkedFile({
        spec: argv.input,
        outDir: argv.output,
        ...defined({ minN: argv.minN, protectZero: argv.protectZero, protectExtremes: argv.protectExtremes, protection: argv.protection, marker: argv.marker, integerCheck: argv.integerCheck, topCode: argv.topCode, bottomCode: argv.bottomCode, csv: csvDialectFrom(argv) }),
      });
      printResult(argv.json, l, () =>
        `suppressed ${l.tables.length} linked tables jointly (${l.links} links${l.optimal ? ', minimum pattern' : ''}): ` +
        l.tables.map((t) => `${t.name} ${t.hiddenCells} hidden`).join(', ') + `; written to ${argv.output}/\n`,
      );
      process.exitCode = SUPPRESS_EXIT.ok;
      return;
    }
    const progress = terminalProgress('suppress: auditing components');
    const r = await suppressFile({
      input: argv.input,
      output: argv.output,
      reportHiddenValues: argv.reportHiddenValues === true,
      ...defined({
        reportPath: argv.report,
        spec: argv.spec,
        countColumn: argv.count,
        minN: argv.minN,
        protectZero: argv.protectZero,
        protectExtremes: argv.protectExtremes,
        protection: argv.protection,
        marker: argv.marker,
        integerCheck: argv.integerCheck,
        integerCheckMaxCells: argv.integerCheckMaxCells,
        method: argv.method,
        exactTimeLimit: argv.exactTimeLimit,
        topCode: argv.topCode,
        bottomCode: argv.bottomCode,
        csv: csvDialectFrom(argv),
      }),
      onProgress: (d, t) => progress.update(d, t),
    });
    progress.finish();
    if (argv.reportHiddenValues) {
      process.stderr.write(
        `p20link: warning: ${argv.report ?? 'the JSON output'} holds the true value of every hidden cell; ` +
          'anyone who sees it can undo the suppression. Keep it private (written with mode 0600) and never publish it beside the table.\n',
      );
    }
    printResult(argv.json, r.report, () => formatSuppressSummary(r.report, argv.output));
    process.exitCode = SUPPRESS_EXIT.ok;
  },
};
