import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { passphraseFrom, passphraseOptions, type PassphraseArgs } from '../options.js';
import { keyFileFingerprints } from '../../src/index.js';

interface FingerprintArgs extends PassphraseArgs {
  file: string;
}

const fingerprintCommand: CommandModule<object, FingerprintArgs> = {
  command: 'fingerprint <file>',
  describe: 'Print the fingerprints of the keys in a key file (a public key you received, or your own); compare them with the owner over a second channel',
  builder: (y: Argv<object>) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'NAME.pub.pem (or your NAME.key.pem)' })
      .options(passphraseOptions())
      .example('$0 key fingerprint agencies/k12.pub.pem', 'before adding a received key to the allow-list') as unknown as Argv<FingerprintArgs>,
  handler: async (argv: ArgumentsCamelCase<FingerprintArgs>) => {
    const r = await keyFileFingerprints(argv.file, await passphraseFrom(argv));
    const label = (u: string, n: number) => (n === 1 ? 'signing + encryption key' : u === 'sign' ? 'signing key' : 'encryption key');
    process.stdout.write(`${argv.file}: ${r.kind} key file\n`);
    for (const k of r.keys) process.stdout.write(`  ${label(k.use, r.keys.length).padEnd(26)} ${k.fingerprint} (${k.bits}-bit RSA)\n`);
  },
};

export const keyCommand: CommandModule<object, object> = {
  command: 'key <command>',
  describe: 'Inspect key files: `key fingerprint FILE`',
  builder: (y: Argv<object>) => y.command(fingerprintCommand).demandCommand(1, 'Name a subcommand: fingerprint'),
  handler: () => undefined,
};
