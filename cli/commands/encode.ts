import type { Argv, CommandModule } from 'yargs';
import { csvDialectFrom, csvDialectOptions, defined } from '../options.js';
import { type BadFieldPolicy, type BadRowPolicy, DATE_LAYOUTS, encodeFile, formatSummary, loadSecret, parseDateRangeArg, parseMapArgs, terminalProgress } from '../../src/index.js';

interface EncodeArgs {
  input: string;
  output: string;
  schema: string;
  'secret-file'?: string;
  'secret-env'?: string;
  'allow-weak-secret'?: boolean;
  party: string;
  map?: string[];
  'id-column'?: string;
  'on-bad-row': BadRowPolicy;
  rejects?: string;
  workers?: number;
  'on-bad-field': BadFieldPolicy;
  absent?: string[];
  delimiter?: string;
  trim?: boolean;
  encoding?: string;
  'date-range'?: string;
  'date-layout'?: string[];
  'missing-values'?: string[];
  force?: boolean;
  'allow-unhardened'?: boolean;
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
          'one-line summary on stderr.\n\n' +
          'Exit status: 0 encoded; 2 bad input or usage (any refused file, schema, flag or row); 3 environment ' +
          '(disk full, permission denied, read-only file system); 70 internal error. Details: docs/encode.md.',
      )
      .positional('input', { type: 'string', describe: 'CSV extract (UTF-8, header line first)', demandOption: true })
      .option('output', { alias: 'o', type: 'string', describe: 'encoded file to write (written atomically)', demandOption: true })
      .option('schema', { type: 'string', describe: 'linkage schema JSON (e.g. protocols/schemas/p20w-person.json)', demandOption: true })
      .option('secret-file', { type: 'string', describe: 'file holding the shared linkage secret (must be chmod 600)' })
      .option('secret-env', { type: 'string', describe: 'NAME of an environment variable holding the secret' })
      .option('allow-weak-secret', { type: 'boolean', default: false, describe: 'accept a secret not made by `p20link secret new` (guessable from any encoded file; warns)' })
      .option('party', { type: 'string', describe: 'label of this agency in the linkage (e.g. k12, cc, ui)', demandOption: true })
      .option('map', { type: 'string', array: true, describe: 'feature=column: read a schema feature from a differently named CSV column (repeatable)' })
      .option('id-column', { type: 'string', describe: 'CSV column holding the record id (default: the schema\'s p20link.recordId, else "id")' })
      .option('on-bad-row', { choices: ['fail', 'reject'] as const, default: 'fail' as BadRowPolicy, describe: 'stop at the first bad row, or write bad rows to --rejects and go on' })
      .option('rejects', { type: 'string', describe: 'with --on-bad-row reject: CSV of rejected rows with line and reason (holds PII: keep on premises)' })
      .option('on-bad-field', { choices: ['row', 'missing'] as const, default: 'row' as BadFieldPolicy, describe: 'a value that fails normalization or validation: make the row bad (see --on-bad-row), or encode that field as missing and count it in the summary' })
      .option('absent', { type: 'string', array: true, describe: 'features this agency does not collect (comma-separated or repeated, e.g. --absent sex,middle_name): encoded as missing, listed in the encoded file\'s header; --map feature= does the same' })
      .options(csvDialectOptions('this file', { delimiter: 'over the schema\'s', trim: '--no-trim turns the schema\'s trimming off' }))
      .option('date-layout', { type: 'string', array: true, describe: `how this file writes its dates, in place of the schema's input layouts (comma-separated or repeated, e.g. --date-layout DDMONYYYY for SAS's 14MAR1998): ${DATE_LAYOUTS.join(', ')}; never MM/DD and DD/MM together; not part of the schema fingerprint` })
      .option('missing-values', { type: 'string', array: true, describe: 'values this file writes for "no value" in any identifier column (comma-separated or repeated, e.g. --missing-values NULL,.,NMN): read as empty fields; not part of the schema fingerprint' })
      .option('date-range', { type: 'string', describe: 'plausible dates MIN..MAX (YYYY-MM-DD or "today") for the date features, over the schema\'s (default 1900-01-01..today for features with a "date" step); "none" turns the check off' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing output / rejects file (default: refuse)' })
      .option('allow-unhardened', { type: 'boolean', default: false, describe: 'encode with a schema that has no p20link.hardening section (clkhash-compatible; a linker can re-identify many names: docs/hardening.md; warns)' })
      .option('workers', { type: 'number', describe: 'worker threads (0 = encode on the main thread; default: 0 below 4 MiB of input, else one per core, from 1 to 8)' })
      .strict() as unknown as Argv<EncodeArgs>,
  handler: async (a) => {
    const secret = await loadSecret({ ...defined({ file: a['secret-file'], env: a['secret-env'] }), allowWeak: a['allow-weak-secret'] ?? false });
    const summary = await encodeFile({
      input: a.input,
      output: a.output,
      schema: a.schema,
      secret,
      party: a.party,
      map: parseMapArgs(a.map ?? []),
      onBadRow: a['on-bad-row'],
      onBadField: a['on-bad-field'],
      force: a.force === true,
      allowUnhardened: a['allow-unhardened'] === true,
      ...(a.absent ? { absent: a.absent.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x.length > 0) } : {}),
      ...defined({ csv: csvDialectFrom(a) }),
      ...(a['date-layout'] ? { dateLayouts: a['date-layout'].flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x.length > 0) } : {}),
      ...(a['missing-values'] ? { missingValues: a['missing-values'].flatMap((x) => x.split(',')).filter((x) => x.trim().length > 0) } : {}),
      ...(a['date-range'] !== undefined ? { dateRange: parseDateRangeArg(a['date-range']) } : {}),
      ...defined({ idColumn: a['id-column'], rejectsFile: a.rejects, workers: a.workers }),
      progress: terminalProgress('encoding'),
    });
    process.stderr.write(formatSummary(summary) + '\n');
  },
};
