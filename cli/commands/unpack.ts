import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { P20Error } from '../../src/errors.js';
import { terminalProgress } from '../../src/io/progress.js';
import { loadPrivateKeys } from '../../src/package/keys.js';
import { loadAllowDir, loadAllowList } from '../../src/package/allow-list.js';
import { unpackFile } from '../../src/package/unpack-file.js';
import { openPackageStore } from '../../src/package/store.js';
import type { PackageKind } from '../../src/package/envelope.js';
import { defined, passphraseFrom, passphraseOptions, type PassphraseArgs } from '../options.js';

interface UnpackArgs extends PassphraseArgs {
  input: string;
  key: string;
  allow?: string;
  allowDir?: string;
  store?: string;
  output: string;
  kind?: PackageKind;
}

export const unpackCommand: CommandModule<object, UnpackArgs> = {
  command: 'unpack <input>',
  describe: 'Verify (allow-listed signer, our key, untampered, not a replay) and decrypt a package; on any failure nothing is written',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'package file (.p20pkg)' })
      .option('key', { type: 'string', demandOption: true, describe: 'your private key file (NAME.key.pem)' })
      .option('allow', { type: 'string', describe: 'allow-list JSON: {"format":"p20link/allowlist","version":1,"senders":[{"name","publicKey","fingerprint"?}]}' })
      .option('allow-dir', { type: 'string', describe: 'allow-list directory: each NAME.pub.pem in it allows sender NAME' })
      .option('store', { type: 'string', describe: 'store for replay protection + audit log (required for encoded packages, i.e. at the linker)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'where the decrypted content goes (must not exist; mode 0600)' })
      .option('kind', { choices: ['encoded', 'result'] as const, describe: 'refuse packages of any other kind' })
      .options(passphraseOptions())
      .conflicts('allow', 'allow-dir')
      .example('$0 unpack k12.p20pkg --key linker.key.pem --allow-dir agencies/ --store linker.db -o k12.enc', 'at the linker')
      .example('$0 unpack k12.result.p20pkg --key k12.key.pem --allow-dir linker-key/ -o k12.links.csv', 'at the agency') as unknown as Argv<UnpackArgs>,
  handler: async (argv: ArgumentsCamelCase<UnpackArgs>) => {
    if ((argv.allow === undefined) === (argv.allowDir === undefined)) {
      throw new P20Error('ALLOW_MISSING', 'give the senders you accept: --allow FILE or --allow-dir DIR', { field: 'allow' });
    }
    const key = await loadPrivateKeys(argv.key, await passphraseFrom(argv));
    const allow = argv.allow !== undefined ? await loadAllowList(argv.allow) : await loadAllowDir(argv.allowDir!);
    const store = argv.store !== undefined ? openPackageStore(argv.store) : undefined;
    try {
      const r = await unpackFile({
        input: argv.input,
        key,
        allow,
        output: argv.output,
        progress: terminalProgress('unpack'),
        ...defined({ store, expectKind: argv.kind }),
      });
      const m = r.manifest;
      process.stdout.write(
        `accepted ${argv.input}: ${m.kind} package from "${m.sender}" (signing key ${r.header.sender.fingerprint})\n` +
          `  wrote ${r.output}: ${m.contentBytes} bytes, ${m.rowCount} rows, sha256 ${m.contentSha256}\n` +
          (m.schemaFingerprint ? `  schema ${m.schemaFingerprint}, key check value ${m.keyCheckValue}\n` : '') +
          `  content id ${r.header.contentId}, created ${m.createdAt}\n` +
          (m.auditHead ? `  linker audit head at issue: entry ${m.auditHead.seq} ${m.auditHead.hash}\n` : ''),
      );
    } finally {
      store?.close();
    }
  },
};
