import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync, statSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makeEncodedFile } from './helpers.js';
import { runCli } from '../helpers/cli.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-pkgcli-');
const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env });

const p = (...x: string[]) => join(dir, ...x);

describe('p20link keygen / secret / package / unpack / audit, end to end', () => {
  it('--help for every command names its flags', async () => {
    for (const [cmd, flag] of [
      [['keygen'], '--passphrase-env'],
      [['secret', 'new'], '--out'],
      [['package'], '--sign'],
      [['unpack'], '--allow-dir'],
      [['audit', 'verify'], '--linker-pub'],
    ] as const) {
      const r = await run([...cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toContain(flag);
    }
  });

  it('agency → linker → agency, with replay refused and the audit log verified', async () => {
    for (const d of ['linker', 'k12', 'agencies', 'linker-key', 'out']) mkdirSync(p(d));
    // keys: the linker (default 3072 bits), the agency with a passphrase
    let r = await run(['keygen', '--name', 'linker', '--out', p('linker')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/signing key fingerprint: +sha256:[0-9a-f]{64}/);
    expect(statSync(p('linker', 'linker.key.pem')).mode & 0o777).toBe(0o600);
    r = await run(['keygen', '--name', 'k12', '--out', p('k12'), '--bits', '2048', '--passphrase-env', 'K12_PASS'], { K12_PASS: 'k12 passphrase here' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('passphrase-protected');
    expect(readFileSync(p('k12', 'k12.key.pem'), 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    // keygen never overwrites
    r = await run(['keygen', '--name', 'linker', '--out', p('linker')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/already exists; refusing to overwrite/);

    // the shared secret: file 0600, never printed
    r = await run(['secret', 'new', '--out', p('k12', 'linkage.secret')]);
    expect(r.code).toBe(0);
    const secret = readFileSync(p('k12', 'linkage.secret'), 'utf8').trim();
    expect(r.out).not.toContain(secret);
    expect(statSync(p('k12', 'linkage.secret')).mode & 0o777).toBe(0o600);
    r = await run(['secret', 'new', '--out', p('k12', 'linkage.secret')]);
    expect(r.code).not.toBe(0);

    // exchange public keys
    copyFileSync(p('k12', 'k12.pub.pem'), p('agencies', 'k12.pub.pem'));
    copyFileSync(p('linker', 'linker.pub.pem'), p('linker-key', 'linker.pub.pem'));

    // agency packages its encoded file
    await makeEncodedFile(p('k12', 'k12.enc'), 30);
    const pkgArgs = ['package', p('k12', 'k12.enc'), '--to', p('linker', 'linker.pub.pem'), '--sign', p('k12', 'k12.key.pem'), '--name', 'k12', '-o', p('k12', 'k12.p20pkg')];
    r = await run(pkgArgs);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/private key is passphrase-protected; give --passphrase-env/);
    r = await run([...pkgArgs, '--passphrase-env', 'K12_PASS'], { K12_PASS: 'wrong passphrase!!' });
    expect(r.err).toMatch(/wrong passphrase/);
    expect(existsSync(p('k12', 'k12.p20pkg'))).toBe(false);
    r = await run([...pkgArgs, '--passphrase-env', 'K12_PASS'], { K12_PASS: 'k12 passphrase here' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/encoded package, 30 rows/);
    expect(readFileSync(p('k12', 'k12.p20pkg')).includes(Buffer.from(secret))).toBe(false);

    // linker unpacks
    const store = p('linker', 'linker.db');
    const unpackArgs = (out: string) => ['unpack', p('k12', 'k12.p20pkg'), '--key', p('linker', 'linker.key.pem'), '--allow-dir', p('agencies'), '--store', store, '--kind', 'encoded', '-o', out];
    r = await run(unpackArgs(p('out', 'k12.enc')));
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/accepted .* encoded package from "k12"/);
    expect(r.out).toMatch(/data of party "k12"/);
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(readFileSync(p('out', 'k12.enc')).equals(readFileSync(p('k12', 'k12.enc')))).toBe(true);
    // replay
    r = await run(unpackArgs(p('out', 'again.enc')));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/package refused: replay/);
    expect(existsSync(p('out', 'again.enc'))).toBe(false);
    // tampered
    const bad = readFileSync(p('k12', 'k12.p20pkg'));
    bad[bad.length - 100]! ^= 0x40;
    writeFileSync(p('k12', 'bad.p20pkg'), bad);
    r = await run(['unpack', p('k12', 'bad.p20pkg'), '--key', p('linker', 'linker.key.pem'), '--allow-dir', p('agencies'), '--store', store, '--kind', 'encoded', '-o', p('out', 'bad.enc')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/package refused: (bad signature|replay)/);

    // result back to the agency, audited at the linker
    writeFileSync(p('out', 'k12.links.csv'), 'record_id,linkage_id\nr0,L000001\nr1,L000002\n');
    r = await run(['package', p('out', 'k12.links.csv'), '--kind', 'result', '--to', p('agencies', 'k12.pub.pem'), '--sign', p('linker', 'linker.key.pem'), '--name', 'linker', '--party', 'k12', '--store', store, '-o', p('out', 'k12.result.p20pkg')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    r = await run(['unpack', p('out', 'k12.result.p20pkg'), '--key', p('k12', 'k12.key.pem'), '--passphrase-env', 'K12_PASS', '--allow-dir', p('linker-key'), '--kind', 'result', '--ledger', p('k12', 'k12.ledger.db'), '--party', 'k12', '-o', p('k12', 'k12.links.csv')], { K12_PASS: 'k12 passphrase here' });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/linker audit head at issue: entry 3/);
    expect(readFileSync(p('k12', 'k12.links.csv'), 'utf8')).toBe('record_id,linkage_id\nr0,L000001\nr1,L000002\n');

    // the audit log: list, seal, verify; then edit a row and see verify fail naming it
    r = await run(['audit', 'list', '--store', store]);
    expect(r.out.trim().split('\n').map((l) => l.split('\t')[2])).toEqual(['package-accepted', 'package-refused', 'package-refused', 'result-issued']);
    r = await run(['audit', 'seal', '--store', store, '--key', p('linker', 'linker.key.pem')]);
    expect(r.out).toMatch(/sealed entry 4/);
    r = await run(['audit', 'verify', '--store', store, '--linker-pub', p('linker', 'linker.pub.pem'), '--require-sealed']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/audit log intact: 4 entries.*1 seal\(s\) verified/);
    const db = new Database(store);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET detail = replace(detail, '\"k12\"', '\"hed\"') WHERE seq = 1").run();
    db.close();
    r = await run(['audit', 'verify', '--store', store]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/audit log is broken at entry 1: hash does not match/);
    // a mistyped store path is an error, not an empty (valid) log
    r = await run(['audit', 'verify', '--store', p('linker', 'nope.db')]);
    expect(r.code).toBe(1);
    expect(existsSync(p('linker', 'nope.db'))).toBe(false);
  });
});
