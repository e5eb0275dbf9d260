import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { defined, passphraseFrom, passphraseOptions, type PassphraseArgs } from '../options.js';
import { type Db, P20Error, type PackageKind, type ResultLedger, loadAllowDir, loadAllowList, loadPrivateKeys, openLinkerStore, openResultLedger, terminalProgress, unpackFile } from '../../src/index.js';

interface UnpackArgs extends PassphraseArgs {
  input: string;
  key: string;
  allow?: string;
  allowDir?: string;
  store?: string;
  ledger?: string;
  party?: string;
  output: string;
  kind: PackageKind;
  storeWait: number;
}

export const unpackCommand: CommandModule<object, UnpackArgs> = {
  command: 'unpack <input>',
  describe: 'Verify (allow-listed signer, our key, signature over the whole file, not a replay) and then decrypt a package; on any failure nothing is written',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'package file (.p20pkg)' })
      .option('kind', { choices: ['encoded', 'result'] as const, demandOption: true, describe: 'what you expect: "encoded" at the linker, "result" at an agency; any other kind is refused' })
      .option('key', { type: 'string', demandOption: true, describe: 'your private key file (NAME.key.pem)' })
      .option('allow', { type: 'string', describe: 'allow-list JSON: {"format":"p20link/allowlist","version":1,"senders":[{"name","publicKey","fingerprint"?,"parties"?}]}' })
      .option('allow-dir', { type: 'string', describe: 'allow-list directory: each NAME.pub.pem in it allows sender NAME (for party NAME)' })
      .option('store', { type: 'string', describe: 'linker: the linker store (replay protection + audit log); required with --kind encoded' })
      .option('ledger', { type: 'string', describe: 'agency: your result ledger (created on first use); required with --kind result' })
      .option('party', { type: 'string', describe: 'agency: your party name; binds a new ledger, must match an existing one' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'where the decrypted content goes (must not exist; mode 0600)' })
      .option('store-wait', { type: 'number', default: 300, describe: 'seconds to wait while a link run holds the store, then exit 3' })
      .options(passphraseOptions())
      .conflicts('allow', 'allow-dir')
      .example('$0 unpack k12.p20pkg --kind encoded --key linker.key.pem --allow-dir agencies/ --store linker.db -o k12.enc', 'at the linker')
      .example('$0 unpack k12.result.p20pkg --kind result --key k12.key.pem --allow-dir linker-key/ --ledger k12.ledger.db --party k12 -o k12.links.csv', 'at the agency') as unknown as Argv<UnpackArgs>,
  handler: async (argv: ArgumentsCamelCase<UnpackArgs>) => {
    if ((argv.allow === undefined) === (argv.allowDir === undefined)) {
      throw new P20Error('ALLOW_MISSING', 'give the senders you accept: --allow FILE or --allow-dir DIR', { field: 'allow' });
    }
    if (argv.kind === 'encoded' && argv.store === undefined) {
      throw new P20Error('PKG_NO_STORE', 'at the linker, --kind encoded needs --store linker.db (replay protection and the audit log)', { field: 'store' });
    }
    if (argv.kind === 'result' && argv.ledger === undefined) {
      throw new P20Error('PKG_NO_LEDGER', 'at an agency, --kind result needs --ledger FILE (and --party NAME the first time): it refuses replayed, stale and misaddressed results', { field: 'ledger' });
    }
    const key = await loadPrivateKeys(argv.key, await passphraseFrom(argv));
    const allow = argv.allow !== undefined ? await loadAllowList(argv.allow) : await loadAllowDir(argv.allowDir!);
    const waitMs = Math.max(0, argv.storeWait) * 1000;
    let store: Db | undefined;
    let ledger: ResultLedger | undefined;
    try {
      if (argv.kind === 'encoded') store = openLinkerStore(argv.store!, { waitMs });
      else ledger = openResultLedger(argv.ledger!, { ...defined({ party: argv.party }), waitMs });
      const r = await unpackFile({
        input: argv.input,
        key,
        allow,
        output: argv.output,
        expectKind: argv.kind,
        progress: terminalProgress('unpack'),
        ...defined({ store, ledger }),
      });
      const m = r.manifest;
      process.stdout.write(
        `accepted ${argv.input}: ${m.kind} package from "${m.sender}" (signing key ${r.header.sender.fingerprint})\n` +
          (m.kind === 'encoded' ? `  data of party "${m.party}"\n` : `  result for party "${m.party}"\n`) +
          `  wrote ${r.output}: ${m.contentBytes} bytes, ${m.rowCount} rows, sha256 ${m.contentSha256}\n` +
          (m.schemaFingerprint ? `  schema ${m.schemaFingerprint}, key check value ${m.keyCheckValue}\n` : '') +
          `  content id ${r.header.contentId}, created ${m.createdAt}\n` +
          (m.auditHead ? `  linker audit head at issue: entry ${m.auditHead.seq} ${m.auditHead.hash} (check it later: audit verify --expect-head ${m.auditHead.seq}:${m.auditHead.hash})\n` : ''),
      );
    } finally {
      store?.close();
      ledger?.db.close();
    }
  },
};
