import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { type Db, exportRegistry, forgetRecords, openLinkerStore, rekeyRegistry, storeError } from '../../src/index.js';
import { applyPartyOverrides } from './link.js';

/** Open an existing store for writing, run `use` on it, close it. */
async function withStore<T>(path: string, use: (db: Db) => Promise<T>): Promise<T> {
  const db = openLinkerStore(path, { mustExist: true });
  try {
    return await use(db);
  } catch (e) {
    throw storeError(e, path);
  } finally {
    db.close();
  }
}

/** --store, the option every registry subcommand takes (the store must exist). */
const STORE_OPTION = { type: 'string', demandOption: true, describe: "the linker's store (SQLite) holding the registry" } as const;

interface ForgetArgs {
  store: string;
  party: string;
  records: string;
}

const forgetCommand: CommandModule<object, ForgetArgs> = {
  command: 'forget',
  describe: "Withdraw records of one party: delete their encodings, blocking keys and memberships; retire IDs left without records; log it in the audit log (count, party, list digest; never the ids)",
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('party', { type: 'string', demandOption: true, describe: 'party label the records are registered under' })
      .option('records', { type: 'string', demandOption: true, describe: 'CSV with a record_id column: the records to withdraw' })
      .example('$0 registry forget --store linker.db --party k12 --records withdrawn.csv', '') as unknown as Argv<ForgetArgs>,
  handler: async (argv: ArgumentsCamelCase<ForgetArgs>) => {
    const r = await withStore(argv.store, (db) => forgetRecords(db, { party: argv.party, records: argv.records }));
    process.stdout.write(
      `forgot ${r.removed.toLocaleString('en-US')} record(s) of ${argv.party}` +
        (r.unknown > 0 ? `; ${r.unknown.toLocaleString('en-US')} listed record(s) were not registered` : '') +
        `; ${r.retired.length.toLocaleString('en-US')} linkage ID(s) retired\n`,
    );
  },
};

interface ExportArgs {
  store: string;
  party: string;
  out: string;
}

const exportCommand: CommandModule<object, ExportArgs> = {
  command: 'export',
  describe: "Write linkage_id,party,record_id for one party's own records only (file mode 0600)",
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('party', { type: 'string', demandOption: true, describe: 'party whose records to export' })
      .option('out', { type: 'string', demandOption: true, describe: 'output CSV' })
      .example('$0 registry export --store linker.db --party k12 --out k12.ids.csv', '') as unknown as Argv<ExportArgs>,
  handler: async (argv: ArgumentsCamelCase<ExportArgs>) => {
    const n = await withStore(argv.store, (db) => exportRegistry(db, { party: argv.party, out: argv.out }));
    process.stdout.write(`wrote ${n.toLocaleString('en-US')} record(s) of ${argv.party} to ${argv.out}\n`);
  },
};

interface RekeyArgs {
  store: string;
  inputs: string[];
  party?: string[];
}

const rekeyCommand: CommandModule<object, RekeyArgs> = {
  command: 'rekey <inputs..>',
  describe: 'Key rotation: map every registered record, re-encoded under the new secret (one file per party), onto its linkage ID and replace the stored encodings',
  builder: (y: Argv<object>) =>
    y
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Re-encoded files (.enc), one per party, all made with the new secret' })
      .option('store', STORE_OPTION)
      .option('party', { type: 'string', array: true, describe: 'Override a party label: FILE=NAME (repeatable)' })
      .example('$0 registry rekey --store linker.db k12-new.enc college-new.enc', '') as unknown as Argv<RekeyArgs>,
  handler: async (argv: ArgumentsCamelCase<RekeyArgs>) => {
    const r = await withStore(argv.store, (db) => rekeyRegistry(db, { inputs: applyPartyOverrides(argv.inputs, argv.party) }));
    process.stdout.write(`re-keyed ${r.records.toLocaleString('en-US')} registered record(s) of ${r.parties.join(', ')}; the registry now holds encodings under the new secret only\n`);
  },
};

export const registryCommand: CommandModule<object, object> = {
  command: 'registry <command>',
  describe: 'The longitudinal linkage registry: `registry forget`, `registry export`, `registry rekey`',
  builder: (y: Argv<object>) => y.command(forgetCommand).command(exportCommand).command(rekeyCommand).demandCommand(1, 'Name a subcommand: forget, export or rekey'),
  handler: () => undefined,
};
