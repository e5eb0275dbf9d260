import type { Argv, CommandModule } from 'yargs';
import { encodeFile, formatSummary, type BadRowPolicy } from '../../src/encode/pipeline.js';
import { loadSecret } from '../../src/encode/load-secret.js';
import { parseMapArgs } from '../../src/encode/extension.js';
import { terminalProgress } from '../../src/io/progress.js';
import { defined } from '../options.js';

interface EncodeArgs {
  input: string;
  output: string;
  schema: string;
  'secret-file'?: string;
  'secret-env'?: string;
  party: string;
  map?: string[];
  'id-column'?: string;
  'on-bad-row': BadRowPolicy;
  rejects?: string;
  workers?: number;
}

/** p20link encode: thin layer over src/encode/pipeline.ts encodeFile(). */
export const encodeCommand: CommandModule<object, EncodeArgs> = {
  command: 'encode <input>',
  describe: 'Encode a CSV extract of identifiers into keyed Bloom-filter encodings (CLKs), on premises',
  builder: (y: Argv<object>) =>
    y
      .usage(
        '$0 encode <input.csv> -o <out.enc> --schema <schema.json> (--secret-file F | --secret-env NAME) --party NAME\n\n' +
          'Reads the CSV, normalizes each identifier as the schema\'s "p20link" extension says, encodes it with the ' +
          'shared secret (clkhash-compatible CLKs) and writes an encoded file for the linker. The secret is read from ' +
          'a file (mode 600) or an environment variable, never from the command line. Progress on a terminal, a ' +
          'one-line summary on stderr.',
      )
      .positional('input', { type: 'string', describe: 'CSV extract (UTF-8, header line first)', demandOption: true })
      .option('output', { alias: 'o', type: 'string', describe: 'encoded file to write (written atomically)', demandOption: true })
      .option('schema', { type: 'string', describe: 'linkage schema JSON (e.g. protocols/schemas/p20w-person.json)', demandOption: true })
      .option('secret-file', { type: 'string', describe: 'file holding the shared linkage secret (must be chmod 600)' })
      .option('secret-env', { type: 'string', describe: 'NAME of an environment variable holding the secret' })
      .option('party', { type: 'string', describe: 'label of this agency in the linkage (e.g. k12, cc, ui)', demandOption: true })
      .option('map', { type: 'string', array: true, describe: 'feature=column: read a schema feature from a differently named CSV column (repeatable)' })
      .option('id-column', { type: 'string', describe: 'CSV column holding the record id (default: the schema\'s p20link.recordId, else "id")' })
      .option('on-bad-row', { choices: ['fail', 'reject'] as const, default: 'fail' as BadRowPolicy, describe: 'stop at the first bad row, or write bad rows to --rejects and go on' })
      .option('rejects', { type: 'string', describe: 'with --on-bad-row reject: CSV of rejected rows with line and reason (holds PII: keep on premises)' })
      .option('workers', { type: 'number', describe: 'worker threads (0 = encode on the main thread; default: 0 below 4 MiB of input, else cores - 1, from 1 to 8)' })
      .strict() as unknown as Argv<EncodeArgs>,
  handler: async (a) => {
    const secret = await loadSecret(defined({ file: a['secret-file'], env: a['secret-env'] }));
    const summary = await encodeFile({
      input: a.input,
      output: a.output,
      schema: a.schema,
      secret,
      party: a.party,
      map: parseMapArgs(a.map ?? []),
      onBadRow: a['on-bad-row'],
      ...defined({ idColumn: a['id-column'], rejectsFile: a.rejects, workers: a.workers }),
      progress: terminalProgress('encoding'),
    });
    process.stderr.write(formatSummary(summary) + '\n');
  },
};
