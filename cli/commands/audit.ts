import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { P20Error } from '../../src/errors.js';
import { listAudit, sealAudit, verifyAuditLog } from '../../src/package/audit-log.js';
import { auditSignerFromKeys, auditVerifierFromKeys } from '../../src/package/audit-keys.js';
import { loadPrivateKeys, loadPublicKeys } from '../../src/package/keys.js';
import { openPackageStore } from '../../src/package/store.js';
import type { Db } from '../../src/store/db.js';
import { passphraseFrom, passphraseOptions, type PassphraseArgs } from '../options.js';

/** --store, the option every audit subcommand takes. */
const STORE_OPTION = { type: 'string', demandOption: true, describe: 'the linker\'s store (SQLite)' } as const;

/** Open an existing store, run `use` on it, close it. */
async function withStore<T>(path: string, use: (db: Db) => T | Promise<T>): Promise<T> {
  const db = openPackageStore(path, { mustExist: true });
  try {
    return await use(db);
  } finally {
    db.close();
  }
}

interface VerifyArgs {
  store: string;
  linkerPub?: string;
  requireSealed?: boolean;
}

const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify',
  describe: 'Recompute the audit log\'s hash chain (and check signed seals); exit 1 naming the first broken entry',
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('linker-pub', { type: 'string', describe: 'linker\'s public key file: also verify every seal made by `audit seal`' })
      .option('require-sealed', { type: 'boolean', default: false, describe: 'fail unless the latest entry is covered by a seal' })
      .example('$0 audit verify --store linker.db --linker-pub linker.pub.pem', '') as unknown as Argv<VerifyArgs>,
  handler: async (argv: ArgumentsCamelCase<VerifyArgs>) => {
    const verifier = argv.linkerPub !== undefined ? auditVerifierFromKeys(await loadPublicKeys(argv.linkerPub)) : undefined;
    await withStore(argv.store, (db) => {
      const v = verifyAuditLog(db, { ...(verifier ? { sealVerifier: verifier } : {}), requireSealedHead: argv.requireSealed ?? false });
      if (!v.ok) {
        throw new P20Error('AUDIT_BROKEN', `audit log is broken at entry ${v.firstBad!.seq}: ${v.firstBad!.reason}`, { file: argv.store });
      }
      process.stdout.write(
        `audit log intact: ${v.entries} entries` +
          (v.head ? `, head entry ${v.head.seq} ${v.head.hash}` : '') +
          (v.seals ? `; ${v.seals.checked} seal(s) verified, latest covers entry ${v.seals.latestSeq}` : '') +
          '\n',
      );
    });
  },
};

interface ListArgs {
  store: string;
  from?: number;
  json?: boolean;
}

const listCommand: CommandModule<object, ListArgs> = {
  command: 'list',
  describe: 'Print the audit log entries (one line each, or JSON lines)',
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('from', { type: 'number', default: 1, describe: 'first entry to print' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line' }) as unknown as Argv<ListArgs>,
  handler: (argv: ArgumentsCamelCase<ListArgs>) =>
    withStore(argv.store, (db) => {
      for (const e of listAudit(db, argv.from ?? 1)) {
        process.stdout.write(argv.json ? `${JSON.stringify(e)}\n` : `${e.seq}\t${e.time}\t${e.type}\t${JSON.stringify(e.detail)}\n`);
      }
    }),
};

interface SealArgs extends PassphraseArgs {
  store: string;
  key: string;
}

const sealCommand: CommandModule<object, SealArgs> = {
  command: 'seal',
  describe: 'Sign the current head of the audit log with the linker\'s key (detects later rewrites of the whole log)',
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('key', { type: 'string', demandOption: true, describe: 'the linker\'s private key file' })
      .options(passphraseOptions('environment variable holding the key\'s passphrase', 'file holding the key\'s passphrase')) as unknown as Argv<SealArgs>,
  handler: async (argv: ArgumentsCamelCase<SealArgs>) => {
    const keys = await loadPrivateKeys(argv.key, await passphraseFrom(argv));
    await withStore(argv.store, (db) => {
      const v = verifyAuditLog(db);
      if (!v.ok) throw new P20Error('AUDIT_BROKEN', `refusing to seal a broken log (entry ${v.firstBad!.seq}: ${v.firstBad!.reason})`, { file: argv.store });
      const s = sealAudit(db, auditSignerFromKeys(keys));
      process.stdout.write(s ? `sealed entry ${s.seq} ${s.hash}\n` : 'nothing to seal (log empty or head already sealed)\n');
    });
  },
};

export const auditCommand: CommandModule<object, object> = {
  command: 'audit <command>',
  describe: 'The linker\'s tamper-evident audit log: `audit verify`, `audit list`, `audit seal`',
  builder: (y: Argv<object>) => y.command(verifyCommand).command(listCommand).command(sealCommand).demandCommand(1, 'Name a subcommand: verify, list or seal'),
  handler: () => undefined,
};
