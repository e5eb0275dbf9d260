import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { terminalProgress } from '../../src/io/progress.js';
import { suppressFile } from '../../src/release/table/files.js';
import { formatSuppressSummary } from '../../src/release/table/summary.js';
import type { ProtectionMode } from '../../src/release/table/types.js';
import { defined } from '../options.js';
import { printResult } from '../output.js';

interface SuppressArgs {
  input: string;
  output: string;
  spec?: string;
  count?: string;
  minN?: number;
  protectZero?: boolean;
  protection?: ProtectionMode;
  marker?: string;
  report?: string;
  topCode?: number;
  bottomCode?: number;
  json?: boolean;
}

export const suppressCommand: CommandModule<object, SuppressArgs> = {
  command: 'suppress <input>',
  describe: 'Suppress small cells of a table of counts (primary + complementary), proven by LP bounds',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'CSV table: dimension columns and a count column' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'suppressed table (written atomically; never the input)' })
      .option('spec', { type: 'string', describe: 'JSON table spec (protocols/table-spec.md); default: infer totals from "All"/"Total" rows' })
      .option('count', { type: 'string', describe: 'count column when inferring (default: count/n/students, else the last column)' })
      .option('min-n', { type: 'number', describe: 'minimum publishable count n: counts in (0, n) are hidden (default 10)' })
      .option('protect-zero', { type: 'boolean', describe: 'also hide zero counts (default: zeros are published)' })
      .option('protection', {
        choices: ['threshold', 'range'] as const,
        describe: 'required attacker interval for a primary cell: threshold = upper ≥ n (default); range = also lower ≤ 0',
      })
      .option('marker', { type: 'string', describe: 'text replacing hidden values (default "*")' })
      .option('report', { type: 'string', describe: 'write the JSON report (which rule hid each cell, bounds, cost) here' })
      .option('top-code', { type: 'number', describe: 'publish rates above this as ">X" (e.g. 95)' })
      .option('bottom-code', { type: 'number', describe: 'publish rates below this as "<X" (e.g. 5)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON instead of the summary' })
      .example('$0 suppress counts.csv -o public.csv --spec table.json --report suppress.json', 'suppress with a declared structure')
      .example('$0 suppress counts.csv -o public.csv --min-n 5', 'infer totals from "All" rows, n = 5') as unknown as Argv<SuppressArgs>,
  handler: async (argv: ArgumentsCamelCase<SuppressArgs>) => {
    const progress = terminalProgress('suppress: auditing components');
    const r = await suppressFile({
      input: argv.input,
      output: argv.output,
      ...defined({
        reportPath: argv.report,
        spec: argv.spec,
        countColumn: argv.count,
        minN: argv.minN,
        protectZero: argv.protectZero,
        protection: argv.protection,
        marker: argv.marker,
        topCode: argv.topCode,
        bottomCode: argv.bottomCode,
      }),
      onProgress: (d, t) => progress.update(d, t),
    });
    progress.finish();
    printResult(argv.json, r.report, () => formatSuppressSummary(r.report, argv.output));
  },
};
