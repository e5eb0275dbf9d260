import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { defined, passphraseFrom, passphraseOptions, type PassphraseArgs } from '../options.js';
import { P20Error, type PackageKind, loadPrivateKeys, loadPublicKeys, openLinkerStore, packageFile, terminalProgress } from '../../src/index.js';

interface PackageArgs extends PassphraseArgs {
  input: string;
  to: string;
  sign: string;
  name: string;
  output: string;
  kind: PackageKind;
  party?: string;
  store?: string;
  chunkSize?: number;
  storeWait: number;
}

export const packageCommand: CommandModule<object, PackageArgs> = {
  command: 'package <input>',
  describe: 'Encrypt a file to a recipient\'s key and sign it: an encoded file for the linker, or a links CSV back to an agency',
  builder: (y: Argv<object>) =>
    y
      .positional('input', { type: 'string', demandOption: true, describe: 'encoded file (--kind encoded) or links CSV (--kind result)' })
      .option('to', { type: 'string', demandOption: true, describe: 'recipient\'s public key file (NAME.pub.pem)' })
      .option('sign', { type: 'string', demandOption: true, describe: 'your private key file (NAME.key.pem)' })
      .option('name', { type: 'string', demandOption: true, describe: 'your name as the recipient\'s allow-list knows it (e.g. k12, linker)' })
      .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'package file to write (e.g. k12.p20pkg); written atomically' })
      .option('kind', { choices: ['encoded', 'result'] as const, default: 'encoded' as const, describe: 'what is inside' })
      .option('party', { type: 'string', describe: 'for results (required): the agency the links are for; the agency refuses results addressed to anyone else' })
      .option('store', { type: 'string', describe: 'linker store: issuing a result appends "result-issued" to its audit log' })
      .option('store-wait', { type: 'number', default: 300, describe: 'seconds to wait while a link run holds the store, then exit 3' })
      .options(passphraseOptions())
      .option('chunk-size', { type: 'number', describe: 'plaintext bytes per encrypted chunk (4096..16777216, default 1048576)' })
      .example('$0 package k12.enc --to linker.pub.pem --sign k12.key.pem --name k12 -o k12.p20pkg', 'agency → linker')
      .example('$0 package k12.links.csv --kind result --to k12.pub.pem --sign linker.key.pem --name linker --party k12 --store linker.db -o k12.result.p20pkg', 'linker → agency') as unknown as Argv<PackageArgs>,
  handler: async (argv: ArgumentsCamelCase<PackageArgs>) => {
    const sign = await loadPrivateKeys(argv.sign, await passphraseFrom(argv));
    const to = await loadPublicKeys(argv.to);
    if (argv.kind === 'result' && argv.party === undefined) {
      throw new P20Error('PKG_PARTY', 'a result package needs --party NAME: the agency the links are for', { field: 'party' });
    }
    const store = argv.store !== undefined ? openLinkerStore(argv.store, { waitMs: Math.max(0, argv.storeWait) * 1000 }) : undefined;
    try {
      const r = await packageFile({
        input: argv.input,
        kind: argv.kind,
        to,
        sign,
        name: argv.name,
        output: argv.output,
        progress: terminalProgress('package'),
        ...defined({ party: argv.party, chunkSize: argv.chunkSize, store }),
      });
      process.stdout.write(
        `wrote ${r.output}: ${r.manifest.kind} package, ${r.manifest.rowCount} rows, ${r.manifest.contentBytes} bytes, party "${r.manifest.party}"\n` +
          `  from ${argv.name} (signing key ${r.header.sender.fingerprint})\n` +
          `  to encryption key ${r.header.recipient.fingerprint}\n` +
          `  content id ${r.header.contentId}, content sha256 ${r.manifest.contentSha256}\n` +
          `  package sha256 ${r.packageSha256}\n`,
      );
    } finally {
      store?.close();
    }
  },
};
