import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { passphraseFrom, passphraseOptions, type PassphraseArgs } from '../options.js';
import { type Db, P20Error, auditSignerFromKeys, auditVerifierFromKeys, listAudit, loadPrivateKeys, loadPublicKeys, openLinkerStore, sealAudit, storeError, verifyAuditLog } from '../../src/index.js';

/** --store, the option every audit subcommand takes. */
const STORE_OPTION = { type: 'string', demandOption: true, describe: 'the linker\'s store (SQLite)' } as const;

/** Open an existing store (read-only unless `write`), run `use` on it, close it. */
async function withStore<T>(path: string, write: boolean, use: (db: Db) => T | Promise<T>, waitMs?: number): Promise<T> {
  const db = write ? openLinkerStore(path, { mustExist: true, ...(waitMs !== undefined ? { waitMs } : {}) }) : openLinkerStore(path, { readOnly: true });
  try {
    return await use(db);
  } catch (e) {
    throw storeError(e, path);
  } finally {
    db.close();
  }
}

/** "SEQ:HASH" → {seq, hash}. */
export function parseExpectHead(s: string): { seq: number; hash: string } {
  const m = /^(\d{1,15}):([0-9a-f]{64})$/.exec(s);
  if (!m || Number(m[1]) < 1) throw new P20Error('AUDIT_EXPECT_HEAD', '--expect-head takes SEQ:HASH, e.g. 12:3fa4… (64 hex digits), as printed by `audit verify` or `unpack` of a result', { field: 'expect-head' });
  return { seq: Number(m[1]), hash: m[2]! };
}

interface VerifyArgs {
  store: string;
  linkerPub?: string;
  requireSealed?: boolean;
  expectHead?: string[];
  allowNew?: boolean;
}

const verifyCommand: CommandModule<object, VerifyArgs> = {
  command: 'verify',
  describe: 'Check the audit log read-only: hash chain, head, seals and their chain, expected heads, replay table; exit 1 naming the first problem',
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('linker-pub', { type: 'string', describe: 'linker\'s public key file: also verify every seal made by `audit seal`' })
      .option('require-sealed', { type: 'boolean', default: false, describe: 'fail unless the latest entry is covered by a seal' })
      .option('expect-head', { type: 'string', array: true, describe: 'SEQ:HASH recorded earlier (from a result or an earlier verify); fail unless the log still holds that entry unchanged (repeatable)' })
      .option('allow-new', { type: 'boolean', default: false, describe: 'pass a store that does not exist yet or has an empty log (default: fail — an empty log may be a replaced store)' })
      .example('$0 audit verify --store linker.db --linker-pub linker.pub.pem --require-sealed --expect-head 12:3fa4…', '') as unknown as Argv<VerifyArgs>,
  handler: async (argv: ArgumentsCamelCase<VerifyArgs>) => {
    const verifier = argv.linkerPub !== undefined ? auditVerifierFromKeys(await loadPublicKeys(argv.linkerPub)) : undefined;
    const expectHeads = (argv.expectHead ?? []).map(parseExpectHead);
    if (!existsSync(argv.store)) {
      if (argv.allowNew && expectHeads.length === 0) {
        process.stdout.write('no store yet: nothing to verify (allowed by --allow-new)\n');
        return;
      }
      throw new P20Error('AUDIT_MISSING', 'there is no store here, so no audit log to verify (mistyped path, or the store was removed); pass --allow-new only before the linker has accepted anything', { file: argv.store });
    }
    await withStore(argv.store, false, (db) => {
      const v = verifyAuditLog(db, {
        ...(verifier ? { sealVerifier: verifier } : {}),
        requireSealedHead: argv.requireSealed ?? false,
        expectHeads,
        allowEmpty: argv.allowNew ?? false,
      });
      if (!v.ok) {
        const at = v.firstBad!.seq > 0 ? ` at entry ${v.firstBad!.seq}` : '';
        throw new P20Error('AUDIT_BROKEN', `audit log is broken${at}: ${v.firstBad!.reason.replace('pass allowEmpty', 'pass --allow-new')}`, { file: argv.store });
      }
      process.stdout.write(
        `audit log intact: ${v.entries} entries` +
          (v.head ? `, head entry ${v.head.seq} ${v.head.hash}` : '') +
          (v.seals ? `; ${v.seals.checked} seal(s) verified, latest covers entry ${v.seals.latestSeq}` : '') +
          (v.accepted !== undefined ? `; ${v.accepted} accepted package(s) match the log` : '') +
          (expectHeads.length > 0 ? `; ${expectHeads.length} expected head(s) present` : '') +
          '\n' +
          (v.head ? `Keep this head to check later that the log only grew: --expect-head ${v.head.seq}:${v.head.hash}\n` : ''),
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
  describe: 'Print the audit log entries (one line each, or JSON lines); read-only',
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('from', { type: 'number', default: 1, describe: 'first entry to print' })
      .option('json', { type: 'boolean', default: false, describe: 'one JSON object per line' }) as unknown as Argv<ListArgs>,
  handler: (argv: ArgumentsCamelCase<ListArgs>) =>
    withStore(argv.store, false, (db) => {
      for (const e of listAudit(db, argv.from ?? 1)) {
        process.stdout.write(argv.json ? `${JSON.stringify(e)}\n` : `${e.seq}\t${e.time}\t${e.type}\t${JSON.stringify(e.detail)}\n`);
      }
    }),
};

interface SealArgs extends PassphraseArgs {
  store: string;
  key: string;
  storeWait: number;
}

const sealCommand: CommandModule<object, SealArgs> = {
  command: 'seal',
  describe: 'Sign the current head of the audit log with the linker\'s key, chained to the previous seal',
  builder: (y: Argv<object>) =>
    y
      .option('store', STORE_OPTION)
      .option('key', { type: 'string', demandOption: true, describe: 'the linker\'s private key file' })
      .option('store-wait', { type: 'number', default: 300, describe: 'seconds to wait while a link run holds the store, then exit 3' })
      .options(passphraseOptions('environment variable holding the key\'s passphrase', 'file holding the key\'s passphrase')) as unknown as Argv<SealArgs>,
  handler: async (argv: ArgumentsCamelCase<SealArgs>) => {
    const keys = await loadPrivateKeys(argv.key, await passphraseFrom(argv));
    await withStore(
      argv.store,
      true,
      (db) => {
        // the existing seals must verify with this key and chain, or the new seal would cover a broken log
        const v = verifyAuditLog(db, { allowEmpty: true, sealVerifier: auditVerifierFromKeys(keys) });
        if (!v.ok) throw new P20Error('AUDIT_BROKEN', `refusing to seal a broken log (entry ${v.firstBad!.seq}: ${v.firstBad!.reason})`, { file: argv.store });
        const s = sealAudit(db, auditSignerFromKeys(keys));
        process.stdout.write(s ? `sealed entry ${s.seq} ${s.hash}\n` : 'nothing to seal (log empty or head already sealed)\n');
      },
      Math.max(0, argv.storeWait) * 1000,
    );
  },
};

export const auditCommand: CommandModule<object, object> = {
  command: 'audit <command>',
  describe: 'The linker\'s tamper-evident audit log: `audit verify`, `audit list`, `audit seal`',
  builder: (y: Argv<object>) => y.command(verifyCommand).command(listCommand).command(sealCommand).demandCommand(1, 'Name a subcommand: verify, list or seal'),
  handler: () => undefined,
};
