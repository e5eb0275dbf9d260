import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { EXIT } from '../exit-status.js';
import { type CsvDialectArgs, csvDialectFrom, csvDialectOptions, defined } from '../options.js';
import { printResult } from '../output.js';
import { type RepairStrategy, type SuppressionMode, formatKCheckReport, formatRepairReport, kcheckFile, repairFile, resolveKCheckSettings, terminalProgress } from '../../src/index.js';

/** Exit statuses of `p20link kcheck` (docs/kcheck.md): 0 pass, 1 fail, 2 bad input (also an empty file), 3 environment. */
export const KCHECK_EXIT = { pass: EXIT.ok, fail: EXIT.checkFailed, badInput: EXIT.badInput } as const;

interface KcheckArgs extends CsvDialectArgs {
  input: string;
  qi?: string;
  sensitive?: string;
  k?: number;
  l?: number;
  entropyL?: boolean;
  spec?: string;
  repair?: string;
  strategy?: RepairStrategy;
  suppression?: SuppressionMode;
  maxSuppress?: number;
  json?: boolean;
  listSmall?: number;
}

const list = (s: string | undefined): string[] | undefined =>
  s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

export const kcheckCommand: CommandModule<object, KcheckArgs> = {
  command: 'kcheck <input>',
  describe: 'Check a record-level CSV for k-anonymity and l-diversity (exit 0 pass, 1 fail, 2 bad input, 3 environment); optionally repair it',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'CSV file with a header line' })
      .option('qi', { type: 'string', describe: 'quasi-identifier columns, comma-separated (e.g. school,grade,sex,race,birth_year)' })
      .option('sensitive', { type: 'string', describe: 'sensitive attribute columns, comma-separated' })
      .option('k', { type: 'number', describe: 'required k: smallest allowed equivalence class (default 5)' })
      .option('l', { type: 'number', describe: 'required distinct l per sensitive attribute (default 2 when --sensitive is given)' })
      .option('entropy-l', { type: 'boolean', describe: 'also require entropy l-diversity: exp(entropy) ≥ l in every class' })
      .option('spec', { type: 'string', describe: 'JSON spec (protocols/kcheck-spec.md); flags override it' })
      .option('repair', { type: 'string', describe: 'write a repaired copy here (generalize, then suppress); never the input' })
      .option('strategy', {
        choices: ['auto', 'optimal', 'greedy', 'datafly'] as const,
        describe: 'repair search: optimal = every level combination, greedy/datafly = walk up (default auto: optimal when ≤ 4096 combinations)',
      })
      .option('suppression', {
        choices: ['local', 'records'] as const,
        describe: 'records still failing after generalization: local = QI values to "*", records = drop the row (default local)',
      })
      .option('max-suppress', { type: 'number', describe: 'largest fraction of records the repair may suppress (default 0.05)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .option('list-small', { type: 'number', describe: 'list up to N too-small classes with their QI values (identifying!)' })
      .options(csvDialectOptions('the file'))
      .example('$0 kcheck release.csv --qi school,grade,sex,race,birth_year --sensitive frl,sped --k 5 --l 2', 'check; exit 1 if it fails')
      .example('$0 kcheck release.csv --spec kcheck.json --repair release-k5.csv', 'repair with the spec\'s hierarchies') as unknown as Argv<KcheckArgs>,
  handler: async (argv: ArgumentsCamelCase<KcheckArgs>) => {
    const settings = await resolveKCheckSettings({
      spec: argv.spec,
      qi: list(argv.qi),
      sensitive: list(argv.sensitive),
      k: argv.k,
      l: argv.l,
      entropyL: argv.entropyL,
      strategy: argv.strategy,
      suppression: argv.suppression,
      maxSuppressedFraction: argv.maxSuppress,
    });
    const progress = terminalProgress(argv.repair ? 'kcheck repair' : 'kcheck');
    if (argv.repair !== undefined) {
      const r = await repairFile({ input: argv.input, output: argv.repair, settings, progress, ...defined({ csv: csvDialectFrom(argv) }) });
      printResult(argv.json, r, () => formatRepairReport(r));
      process.exitCode = r.written && r.after?.passed ? KCHECK_EXIT.pass : KCHECK_EXIT.fail;
      return;
    }
    const r = await kcheckFile({ input: argv.input, settings, progress, listSmall: argv.listSmall, ...defined({ csv: csvDialectFrom(argv) }) });
    printResult(argv.json, r, () => formatKCheckReport(r));
    process.exitCode = r.passed ? KCHECK_EXIT.pass : KCHECK_EXIT.fail;
  },
};
