import type { Argv, CommandModule } from 'yargs';
import { printResult } from '../output.js';
import { assessEncodings, formatAssessReport, loadEncodings, parseMapArgs, prepareEncode, readPlainCsv, writeFileAtomic } from '../../src/index.js';

/** Exit statuses of `p20link assess` (docs/attacks.md): 0 within the bound (or nothing to score), 1 outside it, 2 bad input, 3 environment. */
export const ASSESS_EXIT = { ok: 0, leaks: 1, badInput: 2 } as const;

interface AssessArgs {
  encoded: string;
  schema: string;
  reference: string;
  'ref-map'?: string[];
  truth?: string;
  'truth-id'?: string;
  'truth-map'?: string[];
  seed: number;
  json: boolean;
  out?: string;
}

/** p20link assess: run the known attacks against an encoded file (thin layer over src/assess assessEncodings()). */
export const assessCommand: CommandModule<object, AssessArgs> = {
  command: 'assess <encoded>',
  describe: 'Attack an encoded file the way a curious linker could (frequency, pattern-mining, graph-matching attacks) and report what it re-identifies',
  builder: (y: Argv<object>) =>
    y
      .usage(
        '$0 assess <file.enc> --schema <schema.json> --reference <people.csv> [--truth <extract.csv> --truth-id COL]\n\n' +
          'The attacker holds the encoded file, the public schema and a plaintext reference population (a voter file, ' +
          'a name-frequency list with a "count" column, or your own plaintext of other people). With --truth (your own ' +
          'plaintext of the encoded records, never given to the attacks) the report scores each attack: share of records ' +
          'whose first name, last name, both and birth year it infers correctly, its precision, and the frequency-guess ' +
          'baseline. Exit 0 within the bound (< 1% first + last, < 5% first name, precision not above the baseline), ' +
          '1 outside it, 2 bad input, 3 environment. See docs/attacks.md.',
      )
      .positional('encoded', { type: 'string', demandOption: true, describe: 'encoded file (p20link encode output)' })
      .option('schema', { type: 'string', demandOption: true, describe: 'the linkage schema the file was encoded with (public)' })
      .option('reference', { type: 'string', demandOption: true, describe: "attacker's plaintext population CSV (columns named as the schema's features, or mapped with --ref-map)" })
      .option('ref-map', { type: 'string', array: true, describe: 'feature=column for the reference CSV (repeatable)' })
      .option('truth', { type: 'string', describe: 'plaintext of the encoded records (scoring only; holds PII: keep on premises)' })
      .option('truth-id', { type: 'string', describe: 'record id column of --truth (default: the schema\'s p20link.recordId)' })
      .option('truth-map', { type: 'string', array: true, describe: 'feature=column for the --truth CSV (repeatable)' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the attacks\' sampling' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
      .option('out', { type: 'string', describe: 'also write the JSON report here (mode 0600)' })
      .strict() as unknown as Argv<AssessArgs>,
  handler: async (a) => {
    const { schema, ext } = await prepareEncode(a.schema);
    const encodings = await loadEncodings(a.encoded);
    const reference = (await readPlainCsv(a.reference, schema, ext, { map: parseMapArgs(a['ref-map'] ?? []) })).records;
    let truth: (Record<string, string> | undefined)[] | undefined;
    if (a.truth !== undefined) {
      const t = await readPlainCsv(a.truth, schema, ext, { map: parseMapArgs(a['truth-map'] ?? []), idColumn: a['truth-id'] ?? ext.recordId });
      const byId = new Map(t.ids.map((id, i) => [id, t.records[i]!]));
      truth = encodings.ids.map((id) => byId.get(id));
    }
    const report = await assessEncodings({ schema, encodings, reference, ...(truth ? { truth } : {}), seed: a.seed });
    if (a.out !== undefined) await writeFileAtomic(a.out, JSON.stringify(report, null, 2) + '\n', 0o600);
    printResult(a.json, report, () => formatAssessReport(report) + '\n');
    process.exitCode = report.withinBound === false ? ASSESS_EXIT.leaks : ASSESS_EXIT.ok;
  },
};
