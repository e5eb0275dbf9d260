import type { Argv, CommandModule } from 'yargs';
import { EXIT } from '../exit-status.js';
import { type CsvDialectArgs, csvDialectFrom, csvDialectOptions, defined } from '../options.js';
import { printResult } from '../output.js';
import { runBiasReport, runQualityReport } from '../../src/index.js';

/** Say where the HTML report went, when one was asked for. */
function noteHtml(html: unknown): void {
  if (html !== undefined) process.stdout.write(`HTML report: ${html as string}\n`);
}

/**
 * p20link report quality | bias — linkage quality against ground truth, and
 * link-rate bias by demographic group. Thin layer over src/report/index.ts.
 */
const quality: CommandModule = {
  command: 'quality',
  describe: 'The match model\'s expected precision and recall (no ground truth needed), and with ground truth the measured precision, recall, F1 and wrong pairs',
  builder: (y: Argv) =>
    y
      .usage('$0 report quality --links DIR [--truth truth.csv] [--run-report F] [--html OUT.html]')
      .option('links', { type: 'string', demandOption: true, describe: 'the linker\'s output directory (or its run-report.json): reads the <party>.links.csv files the run report lists (record_id,linkage_id,score)' })
      .option('truth', { type: 'string', describe: 'ground truth CSV: entity_id,party,record_id (without it: the match model\'s own estimate from the run report)' })
      .option('run-report', { type: 'string', describe: 'the linker\'s run-report.json: score histogram, threshold and match model (default: the one in the --links directory)' })
      .option('threshold', { type: 'number', describe: 'match threshold to draw on the histogram (default: from the run report)' })
      .option('html', { type: 'string', describe: 'write a self-contained HTML report here' })
      .option('wrong-pairs', { type: 'string', describe: 'with --truth: write every missed and false pair to this CSV' })
      .option('trouble', { type: 'string', describe: 'synthetic data only: the generator\'s trouble.csv, to break misses down by kind of trouble' })
      .option('json', { type: 'boolean', default: false, describe: 'print the metrics as JSON instead of the summary' })
      .example('$0 report quality --links results/ --html quality.html', 'the match model\'s expected precision and recall, m/u and match weights, without ground truth')
      .example('$0 report quality --links results/ --truth examples/data/truth.csv --html quality.html', 'evaluate a run on the synthetic sample, expected beside measured'),
  handler: async (a) => {
    const { result, model, expectedVsMeasured, text } = await runQualityReport({
      linksDir: a.links as string,
      ...defined({
        truthFile: a.truth as string | undefined,
        runReport: a['run-report'] as string | undefined,
        threshold: a.threshold as number | undefined,
        html: a.html as string | undefined,
        wrongPairs: a['wrong-pairs'] as string | undefined,
        troubleFile: a.trouble as string | undefined,
      }),
    });
    let measured: object | undefined;
    if (result) {
      const { wrong, ...rest } = result;
      measured = { ...rest, wrongListed: wrong.length };
    }
    // with truth the measured metrics stay at the top level (as before); the model's account beside them
    printResult(a.json as boolean, { ...(measured ?? {}), ...(model.length > 0 ? { model, expectedVsMeasured } : {}) }, () => text);
    noteHtml(a.html);
  },
};

const bias: CommandModule = {
  command: 'bias',
  describe: 'Link rate by demographic group with 95% intervals; flags groups that differ from the overall rate',
  builder: (y: Argv) =>
    y
      .usage('$0 report bias --links k12.links.csv --data k12.csv --id-column student_id --by race,sex[,age_band:dob] [--margin 0.05] [--max-gap 0.015] [--html OUT.html]')
      .option('links', { type: 'string', demandOption: true, describe: 'your <party>.links.csv from the linker, or the run\'s output directory with --party (then only links to other parties count, and with --truth only links to a true counterpart)' })
      .option('party', { type: 'string', describe: 'the party to report on, when --links is a run\'s output directory' })
      .option('data', { type: 'string', demandOption: true, describe: 'your extract with the demographic columns, or your encoded file (groups by its pass-through columns)' })
      .option('id-column', { type: 'string', describe: 'record id column of the extract (not needed with an encoded file)' })
      .option('by', { type: 'string', array: true, demandOption: true, describe: 'columns to group by, comma separated; age_band:COL makes age bands from a birth-date column; label=COL renames' })
      .option('margin', { type: 'number', default: 0.05, describe: 'flag groups whose rate differs from the overall rate by more than this' })
      .option('min-group', { type: 'number', default: 30, describe: 'groups smaller than this are marked small and left out of the gaps' })
      .option('max-gap', { type: 'number', default: 0.015, describe: 'flag a dimension whose largest gap between two groups (link rate, or recall with --truth) exceeds this' })
      .option('as-of', { type: 'string', describe: 'reference date for ages, YYYY-MM-DD (default: today)' })
      .option('date-layout', { type: 'string', array: true, describe: 'how the extract writes the birth dates of age_band (comma-separated or repeated; the layouts of `p20link encode --date-layout`; default YYYY-MM-DD, MM/DD/YYYY, YYYYMMDD)' })
      .option('html', { type: 'string', describe: 'write a self-contained HTML report here' })
      .option('truth', { type: 'string', describe: 'evaluation only (synthetic data): truth CSV, to show per group the rate perfect linkage would give and the recall' })
      .option('fail-on-flag', { type: 'boolean', default: false, describe: 'exit with status 1 when any group or gap is flagged' })
      .options(csvDialectOptions('the extract (as given to encode; not with an encoded file)'))
      .example('$0 report bias --links k12.links.csv --data k12.csv --id-column student_id --by race_ethnicity,gender,age_band:birth_date --html bias.html', 'link rate by race/ethnicity, sex and age band'),
  handler: async (a) => {
    const { result, text } = await runBiasReport({
      linksFile: a.links as string,
      dataFile: a.data as string,
      by: a.by as string[],
      margin: a.margin as number,
      minGroupSize: a['min-group'] as number,
      maxGap: a['max-gap'] as number,
      ...(a['date-layout'] ? { dateLayouts: (a['date-layout'] as string[]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x.length > 0) } : {}),
      ...defined({ csv: csvDialectFrom(a as CsvDialectArgs), idColumn: a['id-column'] as string | undefined, asOf: a['as-of'] as string | undefined, html: a.html as string | undefined, truthFile: a.truth as string | undefined, party: a.party as string | undefined }),
    });
    process.stdout.write(text);
    noteHtml(a.html);
    // a flagged group or gap is a failed check: exit 1 (docs/exit-codes.md)
    if (a['fail-on-flag'] && result.flaggedCount + result.gapFlaggedCount > 0) process.exitCode = EXIT.checkFailed;
  },
};

export const reportCommand: CommandModule = {
  command: 'report',
  describe: 'Linkage quality (the match model\'s estimate, and against ground truth) and link-rate and recall by group',
  builder: (y: Argv) => y.command(quality).command(bias).demandCommand(1, 'Name a report: quality or bias.'),
  handler: () => {},
};
