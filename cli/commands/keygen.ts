import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { defined, passphraseFrom, passphraseOptions, type PassphraseArgs } from '../options.js';
import { DEFAULT_MODULUS_BITS, generateKeyPair } from '../../src/index.js';

interface KeygenArgs extends PassphraseArgs {
  name: string;
  out: string;
  bits?: number;
}

export const keygenCommand: CommandModule<object, KeygenArgs> = {
  command: 'keygen',
  describe: 'Make a party\'s key pairs (RSA signing + encryption): NAME.key.pem (0600) and NAME.pub.pem (0644)',
  builder: (y: Argv<object>) =>
    y
      .option('name', { type: 'string', demandOption: true, describe: 'party name: the linker ("linker") or an agency (e.g. k12); names the files' })
      .option('out', { type: 'string', default: '.', describe: 'directory for NAME.key.pem and NAME.pub.pem (existing files are never overwritten)' })
      .options(
        passphraseOptions(
          'protect the private key with the passphrase (at least 8 characters) in this environment variable',
          'protect the private key with the passphrase in this file',
        ),
      )
      .option('bits', { type: 'number', describe: `RSA modulus size (default ${DEFAULT_MODULUS_BITS})` })
      .example('$0 keygen --name linker --out keys/', 'the linker\'s keys')
      .example('P20_PASS=… $0 keygen --name k12 --out keys/ --passphrase-env P20_PASS', 'an agency key, passphrase-protected') as unknown as Argv<KeygenArgs>,
  handler: async (argv: ArgumentsCamelCase<KeygenArgs>) => {
    const passphrase = await passphraseFrom(argv);
    const g = await generateKeyPair({ name: argv.name, outDir: argv.out, ...defined({ passphrase, bits: argv.bits }) });
    process.stdout.write(
      `private keys: ${g.privateFile} (mode 0600${passphrase !== undefined ? ', passphrase-protected' : ''}; keep it; never send it)\n` +
        `public keys:  ${g.publicFile} (give this to the other parties)\n` +
        `signing key fingerprint:    ${g.signFingerprint}\n` +
        `encryption key fingerprint: ${g.encryptFingerprint}\n` +
        'Compare these fingerprints with the other parties over a second channel (phone, signed letter).\n',
    );
  },
};
