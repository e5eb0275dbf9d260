/**
 * Attacks on the hand-off and the audit log, each performed and seen refused
 * (or, for the audit log, seen to fail `audit verify`). One describe block
 * per attack class; see docs/security-model.md.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import forge from 'node-forge';
import {
  generateKeyPair,
  loadPublicKeys,
  loadPrivateKeys,
  loadAllowDir,
  loadAllowList,
  packageFile,
  unpackFile,
  readPassphrase,
  oaepWrap,
  oaepUnwrap,
  pssSign,
  pssVerify,
  auditSignerFromKeys,
  auditVerifierFromKeys,
  MIN_CHUNK_SIZE,
  MAX_REFUSAL_MESSAGE,
  type PrivateKeys,
  type PublicKeys,
  type AllowList,
} from '../../src/transfer/index.js';
import { appendAudit, sealAudit, verifyAuditLog, listAudit, openResultLedger, type ResultLedger } from '../../src/store/index.js';
import { canonicalJson } from '../../src/format/canonical-json.js';
import { parseManifest, recordPrefix, sha256, signatureInput, headerBytes, type PackageHeader } from '../../src/transfer/envelope.js';
import { createNewFiles } from '../../src/transfer/secure-file.js';
import { openLinkerStore } from '../../src/store/linker-store.js';
import type { Db } from '../../src/store/db.js';
import { loadSecret, isStrongSecretText } from '../../src/transfer/secret.js';
import { newSecretText } from '../../src/transfer/secret.js';
import { makeEncodedFile } from './helpers.js';
import { runCli } from '../helpers/cli.js';
import { asCli, p20Thrown } from '../helpers/errors.js';
import { fileTempDir } from '../helpers/tmp.js';

const dir = fileTempDir('p20-sec-');
const keys: Record<string, { pub: PublicKeys; priv: PrivateKeys; pubFile: string; privFile: string }> = {};
let linkerAllow: AllowList; // k12, hed
let agencyAllow: AllowList; // linker
const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env });

let n = 0;
const fresh = (ext = '') => join(dir, `f${++n}${ext}`);

beforeAll(async () => {
  for (const s of ['keys', 'allow-linker', 'allow-agency']) mkdirSync(join(dir, s));
  await Promise.all(
    ['linker', 'k12', 'hed', 'mallory'].map(async (name) => {
      const g = await generateKeyPair({ name, outDir: join(dir, 'keys'), bits: 2048 });
      keys[name] = { pub: await loadPublicKeys(g.publicFile), priv: await loadPrivateKeys(g.privateFile), pubFile: g.publicFile, privFile: g.privateFile };
    }),
  );
  for (const a of ['k12', 'hed']) copyFileSync(keys[a]!.pubFile, join(dir, 'allow-linker', `${a}.pub.pem`));
  copyFileSync(keys.linker!.pubFile, join(dir, 'allow-agency', 'linker.pub.pem'));
  linkerAllow = await loadAllowDir(join(dir, 'allow-linker'));
  agencyAllow = await loadAllowDir(join(dir, 'allow-agency'));
}, 120_000);

const newStore = (): Db => openLinkerStore(fresh('.db'));

async function encodedPackage(opts: { from?: string; party?: string; rows?: number; contentId?: string } = {}): Promise<string> {
  const from = opts.from ?? 'k12';
  const enc = fresh('.enc');
  await makeEncodedFile(enc, opts.rows ?? 20, opts.party ?? from);
  const out = fresh('.p20pkg');
  await packageFile({ input: enc, kind: 'encoded', to: keys.linker!.pub, sign: keys[from]!.priv, name: from, output: out, ...(opts.contentId ? { contentId: opts.contentId } : {}) });
  return out;
}

async function resultPackage(opts: { party?: string; now?: Date; store?: Db; to?: string } = {}): Promise<string> {
  const csv = fresh('.csv');
  writeFileSync(csv, 'record_id,linkage_id\nr1,L1\n');
  const out = fresh('.p20pkg');
  await packageFile({
    input: csv,
    kind: 'result',
    to: keys[opts.to ?? 'k12']!.pub,
    sign: keys.linker!.priv,
    name: 'linker',
    party: opts.party ?? 'k12',
    output: out,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.store ? { store: opts.store } : {}),
  });
  return out;
}

const atLinker = (input: string, store: Db, allow = linkerAllow) => unpackFile({ input, key: keys.linker!.priv, allow, output: fresh('.out'), store, expectKind: 'encoded' });
const atAgency = (input: string, ledger: ResultLedger) => unpackFile({ input, key: keys.k12!.priv, allow: agencyAllow, output: fresh('.out'), expectKind: 'result', ledger });

/** Split a package into its parts. */
function parts(b: Buffer): { header: PackageHeader; body: Buffer; sigLen: number } {
  const hlen = b.readUInt32BE(8);
  const header = JSON.parse(b.subarray(12, 12 + hlen).toString('utf8')) as PackageHeader;
  const sigLen = b.readUInt32BE(b.length - 256 - 4);
  return { header, body: b.subarray(12 + hlen, b.length - 5 - sigLen), sigLen };
}

/** Rebuild a package with a changed header (raw bytes), re-signed by `signer`. */
function resign(pkg: string, headerJson: Buffer, signer: string): string {
  const b = readFileSync(pkg);
  const { body } = parts(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(headerJson.length);
  const signed = Buffer.concat([b.subarray(0, 8), len, headerJson, body]);
  const sig = pssSign(keys[signer]!.priv.sign.key, signatureInput(sha256(signed)));
  const f = fresh('.p20pkg');
  writeFileSync(f, Buffer.concat([signed, recordPrefix(4, sig.length), sig]));
  return f;
}

const tempFiles = () => readdirSync(dir).filter((f) => f.includes('p20link-tmp'));

describe('1. party spoofing', () => {
  it('an allow-listed agency cannot submit data for another party; an explicit allow-list mapping can allow it', async () => {
    const spoof = await encodedPackage({ from: 'k12', party: 'college' });
    const db = newStore();
    await expect(atLinker(spoof, db).catch(asCli)).resolves.toMatchObject({ code: 'PKG_PARTY_NOT_ALLOWED', exitCode: 2 });
    await expect(atLinker(await encodedPackage({ from: 'k12', party: 'hed' }), db)).rejects.toMatchObject({ code: 'PKG_PARTY_NOT_ALLOWED' });
    // the allow-list maps k12 to the parties it submits for
    const f = join(dir, 'allow-linker', 'map.json');
    writeFileSync(f, JSON.stringify({ format: 'p20link/allowlist', version: 1, senders: [{ name: 'k12', publicKey: 'k12.pub.pem', parties: ['k12', 'college'] }, { name: 'hed', publicKey: 'hed.pub.pem' }] }));
    const mapped = await loadAllowList(f);
    const r = await atLinker(spoof, db, mapped);
    expect(r.manifest.party).toBe('college');
    // still not for hed's party
    await expect(atLinker(await encodedPackage({ from: 'k12', party: 'hed' }), db, mapped)).rejects.toMatchObject({ code: 'PKG_PARTY_NOT_ALLOWED' });
    // one party, one sender
    writeFileSync(f, JSON.stringify({ format: 'p20link/allowlist', version: 1, senders: [{ name: 'k12', publicKey: 'k12.pub.pem', parties: ['k12', 'hed'] }, { name: 'hed', publicKey: 'hed.pub.pem' }] }));
    await expect(loadAllowList(f)).rejects.toMatchObject({ code: 'ALLOW_DUPLICATE' });
    rmSync(f);
    db.close();
  });

  it('the sender cannot relabel the party in the manifest (--party differing from the encoded file)', async () => {
    const enc = fresh('.enc');
    await makeEncodedFile(enc, 5, 'k12');
    await expect(packageFile({ input: enc, kind: 'encoded', to: keys.linker!.pub, sign: keys.k12!.priv, name: 'k12', party: 'college', output: fresh() })).rejects.toMatchObject({ code: 'PKG_PARTY' });
  });
});

describe('2. audit log rollback', () => {
  const verifier = () => auditVerifierFromKeys(keys.linker!.pub);
  const signer = () => auditSignerFromKeys(keys.linker!.priv);
  const dropTriggers = (db: Database.Database) => {
    for (const t of ['audit_log_no_delete', 'audit_head_forward', 'audit_seal_no_delete', 'package_accepted_no_delete']) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
  };
  const headOf = (db: Db) => db.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
  const rewind = (raw: Database.Database, seq: number) => {
    const h = raw.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(seq) as { hash: string };
    raw.prepare('DELETE FROM audit_log WHERE seq > ?').run(seq);
    raw.prepare('DELETE FROM audit_seal WHERE seq > ?').run(seq);
    raw.prepare('UPDATE audit_head SET seq = ?, hash = ?').run(seq, h.hash);
  };

  it('deleting the unsealed tail and moving the head back: caught by an expected head', async () => {
    const path = fresh('.db');
    const db = openLinkerStore(path);
    for (let i = 0; i < 3; i++) appendAudit(db, { type: 'link-run', detail: { i } });
    sealAudit(db, signer());
    appendAudit(db, { type: 'link-run', detail: { i: 3 } });
    appendAudit(db, { type: 'link-run', detail: { i: 4 } });
    const pinned = headOf(db); // e.g. from a result manifest
    db.close();
    const raw = new Database(path);
    dropTriggers(raw);
    rewind(raw, 3);
    raw.close();
    const ro = openLinkerStore(path, { readOnly: true });
    expect(verifyAuditLog(ro, { sealVerifier: verifier(), requireSealedHead: true }).ok).toBe(true); // without an anchor: indistinguishable
    const v = verifyAuditLog(ro, { sealVerifier: verifier(), requireSealedHead: true, expectHeads: [pinned] });
    expect(v.ok).toBe(false);
    expect(v.firstBad!.reason).toMatch(/cut back or replaced by an older copy/);
    ro.close();
    const r = await run(['audit', 'verify', '--store', path, '--linker-pub', keys.linker!.pubFile, '--require-sealed', '--expect-head', `${pinned.seq}:${pinned.hash}`]);
    expect(r.code).toBe(1);
  });

  it('deleting entries and their seal back to an older sealed entry: caught by an expected head; removing a middle seal breaks the seal chain', async () => {
    const path = fresh('.db');
    const db = openLinkerStore(path);
    for (let i = 0; i < 2; i++) appendAudit(db, { type: 'link-run', detail: { i } });
    sealAudit(db, signer());
    appendAudit(db, { type: 'link-run', detail: { i: 2 } });
    sealAudit(db, signer());
    appendAudit(db, { type: 'link-run', detail: { i: 3 } });
    sealAudit(db, signer());
    const pinned = headOf(db);
    expect(verifyAuditLog(db, { sealVerifier: verifier(), requireSealedHead: true })).toMatchObject({ ok: true, seals: { checked: 3 } });
    db.close();
    // a middle seal removed
    const copy = fresh('.db');
    copyFileSync(path, copy);
    let raw = new Database(copy);
    dropTriggers(raw);
    raw.prepare('DELETE FROM audit_seal WHERE seq = 3').run();
    raw.close();
    let ro = openLinkerStore(copy, { readOnly: true });
    expect(verifyAuditLog(ro, { sealVerifier: verifier() }).firstBad!.reason).toMatch(/does not follow the seal before it/);
    ro.close();
    // entries 3..4 and their seals removed, head back at 2
    raw = new Database(path);
    dropTriggers(raw);
    rewind(raw, 2);
    raw.close();
    ro = openLinkerStore(path, { readOnly: true });
    expect(verifyAuditLog(ro, { sealVerifier: verifier(), requireSealedHead: true }).ok).toBe(true);
    expect(verifyAuditLog(ro, { sealVerifier: verifier(), requireSealedHead: true, expectHeads: [pinned] }).ok).toBe(false);
    ro.close();
  });

  it('replacing the store with an older sealed copy: the agency\'s ledger refuses the rolled-back result, verify with the expected head fails', async () => {
    const path = fresh('.db');
    const db = openLinkerStore(path);
    const p1 = await encodedPackage();
    await atLinker(p1, db);
    sealAudit(db, signer());
    db.close();
    const old = fresh('.db');
    copyFileSync(path, old);
    const db2 = openLinkerStore(path);
    const p2 = await encodedPackage();
    await atLinker(p2, db2);
    sealAudit(db2, signer());
    const res = await resultPackage({ store: db2 });
    db2.close();
    const ledger = openResultLedger(fresh('.ledger'), { party: 'k12' });
    const got = await atAgency(res, ledger);
    const pinned = got.manifest.auditHead!;
    // the operator's disk is restored from the older copy
    copyFileSync(old, path);
    const ro = openLinkerStore(path, { readOnly: true });
    expect(verifyAuditLog(ro, { sealVerifier: verifier(), requireSealedHead: true }).ok).toBe(true);
    expect(verifyAuditLog(ro, { sealVerifier: verifier(), expectHeads: [pinned] }).firstBad!.reason).toMatch(/cut back or replaced/);
    ro.close();
    // replay protection rolled back with it (documented): p2 is accepted again …
    const db3 = openLinkerStore(path);
    await atLinker(p2, db3);
    // … and a result issued from the rolled-back store is refused by the agency's ledger
    const res2 = await resultPackage({ store: db3 });
    db3.close();
    await expect(atAgency(res2, ledger)).rejects.toMatchObject({ code: expect.stringMatching(/PKG_RESULT_STALE|PKG_RESULT_FORK/) });
    ledger.db.close();
  });

  it('replacing the store with an empty one, or a missing store: verify fails unless --allow-new', async () => {
    const empty = fresh('.db');
    openLinkerStore(empty).close();
    let r = await run(['audit', 'verify', '--store', empty]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/empty/);
    r = await run(['audit', 'verify', '--store', empty, '--allow-new']);
    expect(r.code).toBe(0);
    const missing = fresh('.db');
    r = await run(['audit', 'verify', '--store', missing]);
    expect(r.code).toBe(1);
    expect(existsSync(missing)).toBe(false);
  });

  it('dropping the audit tables: verify fails and writes nothing (read-only, no migrations)', async () => {
    const path = fresh('.db');
    const db = openLinkerStore(path);
    appendAudit(db, { type: 'link-run', detail: { i: 0 } });
    db.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE audit_log; DROP TABLE audit_head; DROP TABLE audit_seal;');
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const before = createHash('sha256').update(readFileSync(path)).digest('hex');
    const filesBefore = readdirSync(dir).filter((f) => f.startsWith(path.split('/').pop()!)).sort();
    const r = await run(['audit', 'verify', '--store', path]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no audit log.*missing/);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(before);
    // SQLite may leave an empty -wal beside a WAL-mode file after a read-only open; the database itself is untouched
    void filesBefore;
    for (const f of readdirSync(dir).filter((x) => x.startsWith(`${path.split('/').pop()!}-wal`))) expect(statSync(join(dir, f)).size).toBe(0);
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'audit_log'").get()).toBeUndefined();
    check.close();
  });

  it('deleting a package_accepted row and replaying the package: refused (the log remembers), and verify fails', async () => {
    const path = fresh('.db');
    const db = openLinkerStore(path);
    const pkg = await encodedPackage();
    await atLinker(pkg, db);
    db.close();
    const raw = new Database(path);
    dropTriggers(raw);
    raw.prepare('DELETE FROM package_accepted').run();
    raw.close();
    const db2 = openLinkerStore(path);
    await expect(atLinker(pkg, db2)).rejects.toMatchObject({ code: 'PKG_REPLAY' });
    const v = verifyAuditLog(db2);
    expect(v.ok).toBe(false);
    expect(v.firstBad!.reason).toMatch(/replay table no longer lists/);
    db2.close();
  });

  it('the same (signer, content id) accepted twice in the log fails verify', () => {
    const db = newStore();
    const d = { contentId: 'a'.repeat(32), signer: keys.k12!.pub.sign.fingerprint };
    appendAudit(db, { type: 'package-accepted', detail: d });
    appendAudit(db, { type: 'package-accepted', detail: d });
    expect(verifyAuditLog(db, { allowEmpty: true }).firstBad!.reason).toMatch(/already accepted at entry 1/);
    db.close();
  });
});

describe('2b. stores made before seal chaining and signer-keyed replay', () => {
  it('migrate in place: old seals still verify, new seals chain to them, old replay rows still refuse', async () => {
    const { sealStatement } = await import('../../src/store/audit-log.js');
    const { auditMigrations, packageMigrations } = await import('../../src/store/migrations.js');
    const { openSqliteStore } = await import('../../src/store/db.js');
    const path = fresh('.db');
    const old = openSqliteStore(path, { migrations: [auditMigrations[0]!, packageMigrations[0]!] });
    const pkg = await encodedPackage();
    const { header } = parts(readFileSync(pkg));
    appendAudit(old, { type: 'package-accepted', detail: { contentId: header.contentId, signer: header.sender.fingerprint } });
    old.prepare('INSERT INTO package_accepted (content_id, kind, sender, signer, content_sha256, accepted_at) VALUES (?, ?, ?, ?, ?, ?)').run(header.contentId, 'encoded', 'k12', header.sender.fingerprint, 'c'.repeat(64), 'then');
    const h = old.prepare('SELECT seq, hash FROM audit_head').get() as { seq: number; hash: string };
    const t = '2026-01-01T00:00:00.000Z';
    const sig = pssSign(keys.linker!.priv.sign.key, sealStatement(h.seq, h.hash, t, keys.linker!.pub.sign.fingerprint));
    old.prepare('INSERT INTO audit_seal (seq, hash, time, signer, signature) VALUES (?, ?, ?, ?, ?)').run(h.seq, h.hash, t, keys.linker!.pub.sign.fingerprint, sig.toString('base64'));
    old.close();
    // read-only verify of the old layout
    let ro = openLinkerStore(path, { readOnly: true });
    expect(verifyAuditLog(ro, { sealVerifier: auditVerifierFromKeys(keys.linker!.pub), requireSealedHead: true }).ok).toBe(true);
    ro.close();
    // opened for writing: migrated; the old acceptance still refuses the replay
    const db = openLinkerStore(path);
    await expect(atLinker(pkg, db)).rejects.toMatchObject({ code: 'PKG_REPLAY' });
    expect(sealAudit(db, auditSignerFromKeys(keys.linker!.priv))).toBeDefined();
    expect(verifyAuditLog(db, { sealVerifier: auditVerifierFromKeys(keys.linker!.pub), requireSealedHead: true })).toMatchObject({ ok: true, seals: { checked: 2 } });
    db.close();
    ro = openLinkerStore(path, { readOnly: true });
    expect(verifyAuditLog(ro, { sealVerifier: auditVerifierFromKeys(keys.linker!.pub) }).ok).toBe(true);
    ro.close();
  });
});

describe('3. weak linkage secrets', () => {
  const file = (text: string) => {
    const f = fresh('.secret');
    writeFileSync(f, text, { mode: 0o600 });
    return f;
  };

  it('a human-chosen secret is refused (SECRET_WEAK) unless --allow-weak-secret, which warns', async () => {
    await expect(loadSecret({ file: file('Summer2024!Agency\n') }).catch(asCli)).resolves.toMatchObject({ code: 'SECRET_WEAK', exitCode: 2 });
    await expect(loadSecret({ env: 'S' }, { S: 'correct horse battery staple' })).rejects.toMatchObject({ code: 'SECRET_WEAK' });
    const warnings: string[] = [];
    const s = await loadSecret({ file: file('Summer2024!Agency\n'), allowWeak: true, warn: (m) => warnings.push(m) });
    expect(new TextDecoder().decode(s)).toBe('Summer2024!Agency');
    expect(warnings.join()).toMatch(/not in the `secret new` format/);
    expect(warnings.join()).not.toContain('Summer2024');
  });

  it('the `secret new` format passes: property over fresh secrets; near misses fail', async () => {
    for (let i = 0; i < 50; i++) expect(isStrongSecretText(newSecretText())).toBe(true);
    const t = newSecretText();
    expect((await loadSecret({ file: file(`${t}\n`) })).length).toBe(43);
    expect(isStrongSecretText(t.slice(0, 20))).toBe(false); // < 128 bits
    expect(isStrongSecretText(`${t.slice(0, 42)}!`)).toBe(false); // not base64url
    expect(isStrongSecretText(Buffer.from('a'.repeat(32)).toString('hex'))).toBe(true); // 64 base64url chars = 48 bytes
  });

  it('the CLI refuses it with exit 2 and names the flag', async () => {
    const small = fresh('.csv');
    writeFileSync(small, readFileSync('examples/data/k12.csv', 'utf8').split('\n').slice(0, 6).join('\n') + '\n');
    const refused = fresh('.enc');
    const r = await run(['encode', small, '-o', refused, '--schema', 'protocols/schemas/p20w-person.json', '--party', 'k12', '--id-column', 'student_id', '--map', 'sex=gender', '--secret-env', 'WEAK_S'], { WEAK_S: 'Summer2024!Agency' });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--allow-weak-secret/);
    expect(r.err).not.toContain('Summer2024');
    expect(existsSync(refused)).toBe(false);
    // with the flag: encoded, with a warning on stderr
    const out = fresh('.enc');
    const ok = await run(['encode', small, '-o', out, '--schema', 'protocols/schemas/p20w-person.json', '--party', 'k12', '--id-column', 'student_id', '--map', 'sex=gender', '--secret-env', 'WEAK_S', '--allow-weak-secret'], { WEAK_S: 'Summer2024!Agency' });
    expect(ok.code).toBe(0);
    expect(ok.err).toMatch(/warning: .*not in the `secret new` format/);
    expect(existsSync(out)).toBe(true);
  });
});

describe('4. verify before decrypt', () => {
  it('a forged package (right name, wrong key) is refused on its signature before any private-key operation or output', async () => {
    // mallory builds a package claiming k12 (with k12's fingerprint in the header) and a garbage wrapped key
    const pkg = await encodedPackage({ from: 'mallory', party: 'k12' });
    const { header } = parts(readFileSync(pkg));
    header.sender = { name: 'k12', fingerprint: keys.k12!.pub.sign.fingerprint };
    header.wrappedKey = Buffer.alloc(256, 7).toString('base64');
    const forged = resign(pkg, Buffer.from(canonicalJson(header)), 'mallory');
    const db = newStore();
    // a garbage wrapped key would say PKG_TAMPERED if it were unwrapped first
    await expect(atLinker(forged, db)).rejects.toMatchObject({ code: 'PKG_BAD_SIGNATURE' });
    expect(tempFiles()).toEqual([]);
    db.close();
  });

  it('every wrapped-key failure of a signed package gets the same message', async () => {
    const pkg = await encodedPackage();
    const { header } = parts(readFileSync(pkg));
    const msgs: string[] = [];
    for (const wk of [Buffer.alloc(256, 7), Buffer.alloc(100, 7), oaepWrap(keys.linker!.pub.encrypt.key, Buffer.alloc(16, 1))]) {
      const bad = resign(pkg, Buffer.from(canonicalJson({ ...header, wrappedKey: wk.toString('base64') })), 'k12');
      const db = newStore();
      const e = (await atLinker(bad, db).catch((x: unknown) => x)) as { code: string; message: string };
      expect(e.code).toBe('PKG_TAMPERED');
      msgs.push(e.message.replace(/^.*?: /, ''));
      db.close();
    }
    expect(new Set(msgs).size).toBe(1);
    expect(msgs[0]).toMatch(/cannot be unwrapped with our key/);
  });

  it('a chunk size below the minimum is refused before reading further (no chunk-size-1 CPU burn)', async () => {
    const pkg = await encodedPackage();
    const { header } = parts(readFileSync(pkg));
    const bad = resign(pkg, Buffer.from(canonicalJson({ ...header, chunkSize: 1 })), 'k12');
    const db = newStore();
    await expect(atLinker(bad, db)).rejects.toMatchObject({ code: 'PKG_FORMAT', message: expect.stringMatching(new RegExp(`chunkSize outside ${MIN_CHUNK_SIZE}`)) });
    await expect(packageFile({ input: fresh(), kind: 'encoded', to: keys.linker!.pub, sign: keys.k12!.priv, name: 'k12', output: fresh(), chunkSize: 64 })).rejects.toMatchObject({ code: 'PKG_CHUNK' });
    db.close();
  });

  it('a file changed between the verify pass and the decrypt pass is refused; nothing is left on disk', async () => {
    const pkg = await encodedPackage({ rows: 600 });
    const db = newStore();
    let changed = false;
    const progress = {
      update(done: number, total: number) {
        // first update of the decrypt pass: rewrite the signature bytes in place (same size)
        if (!changed && done > total / 2) {
          const b = readFileSync(pkg);
          b[b.length - 1]! ^= 1;
          writeFileSync(pkg, b);
          changed = true;
        }
      },
      finish() {},
    };
    const out = fresh('.out');
    await expect(unpackFile({ input: pkg, key: keys.linker!.priv, allow: linkerAllow, output: out, store: db, expectKind: 'encoded', progress })).rejects.toMatchObject({ code: 'PKG_CHANGED' });
    expect(changed).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(tempFiles()).toEqual([]);
    db.close();
  });
});

describe('5. replay keyed on (signer, content id)', () => {
  it('one agency cannot front-run another\'s content id', async () => {
    const id = 'f'.repeat(32);
    const db = newStore();
    await atLinker(await encodedPackage({ from: 'hed', contentId: id }), db);
    const r = await atLinker(await encodedPackage({ from: 'k12', contentId: id }), db);
    expect(r.header.contentId).toBe(id);
    // the same signer twice is still a replay
    await expect(atLinker(await encodedPackage({ from: 'k12', contentId: id }), db)).rejects.toMatchObject({ code: 'PKG_REPLAY' });
    expect(verifyAuditLog(db).ok).toBe(true);
    db.close();
  });
});

describe('6. the agency\'s result ledger', () => {
  it('refuses a result accepted twice, an older one after a newer one, one addressed to another party, and a rolled-back audit head', async () => {
    const ledger = openResultLedger(fresh('.ledger'), { party: 'k12' });
    const older = await resultPackage({ now: new Date('2026-03-01T00:00:00Z') });
    const newer = await resultPackage({ now: new Date('2026-03-02T00:00:00Z') });
    await atAgency(newer, ledger);
    await expect(atAgency(newer, ledger)).rejects.toMatchObject({ code: 'PKG_REPLAY' });
    await expect(atAgency(older, ledger)).rejects.toMatchObject({ code: 'PKG_RESULT_STALE' });
    const forHed = await resultPackage({ party: 'hed', now: new Date('2026-03-03T00:00:00Z') });
    await expect(atAgency(forHed, ledger)).rejects.toMatchObject({ code: 'PKG_WRONG_PARTY' });
    ledger.db.close();
    // a ledger is bound to its agency
    expect(() => openResultLedger(ledger.file, { party: 'hed' })).toThrow(/belongs to "k12"/);
    // a result package must be addressed
    const csv = fresh('.csv');
    writeFileSync(csv, 'a\n1\n');
    await expect(packageFile({ input: csv, kind: 'result', to: keys.k12!.pub, sign: keys.linker!.priv, name: 'linker', output: fresh() })).rejects.toMatchObject({ code: 'PKG_PARTY' });
  });

  it('a result whose linker audit head is behind (or forks from) one already seen is refused', async () => {
    const path = fresh('.db');
    const db = openLinkerStore(path);
    appendAudit(db, { type: 'link-run', detail: { i: 0 } });
    const snapshot = fresh('.db');
    db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(path, snapshot);
    appendAudit(db, { type: 'link-run', detail: { i: 1 } });
    const ahead = await resultPackage({ store: db, now: new Date('2026-04-01T00:00:00Z') });
    db.close();
    const rolled = openLinkerStore(snapshot);
    const behind = await resultPackage({ store: rolled, now: new Date('2026-04-02T00:00:00Z') });
    rolled.close();
    const ledger = openResultLedger(fresh('.ledger'), { party: 'k12' });
    await atAgency(ahead, ledger);
    await expect(atAgency(behind, ledger)).rejects.toMatchObject({ code: 'PKG_RESULT_STALE' });
    ledger.db.close();
  });
});

describe('7. the kind is required', () => {
  it('a signed result-kind package is refused at the linker; unpack without a kind is refused', async () => {
    const csv = fresh('.csv');
    writeFileSync(csv, 'a\n1\n');
    const out = fresh('.p20pkg');
    await packageFile({ input: csv, kind: 'result', to: keys.linker!.pub, sign: keys.k12!.priv, name: 'k12', party: 'k12', output: out });
    const db = newStore();
    await expect(atLinker(out, db)).rejects.toMatchObject({ code: 'PKG_WRONG_KIND' });
    expect([...listAudit(db)].map((e) => e.type)).toEqual(['package-refused']);
    await expect(unpackFile({ input: out, key: keys.linker!.priv, allow: linkerAllow, output: fresh(), store: db } as unknown as Parameters<typeof unpackFile>[0])).rejects.toMatchObject({ code: 'PKG_KIND' });
    db.close();
    const r = await run(['unpack', out, '--key', keys.linker!.privFile, '--allow-dir', join(dir, 'allow-linker'), '--store', fresh('.db'), '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/kind/);
  });
});

describe('8. allow-list and key files', () => {
  const pem = (f: string) => readFileSync(f, 'utf8');
  const blocks = (t: string) => t.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n/g)!;

  it('a substituted key under another agency\'s comment lines is refused', async () => {
    const k12 = pem(keys.k12!.pubFile).split('\n').filter((l) => l.startsWith('#'));
    const mal = blocks(pem(keys.mallory!.pubFile));
    const d = fresh();
    mkdirSync(d);
    writeFileSync(join(d, 'k12.pub.pem'), `${k12[0]}\n${mal[0]}${k12[1]}\n${mal[1]}`);
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'KEY_PIN_MISMATCH' });
    // k12's genuine file under hed's name
    writeFileSync(join(d, 'k12.pub.pem'), pem(keys.hed!.pubFile));
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'ALLOW_KEY_NAME' });
  });

  it('symlinks, names differing only in case, and junk blocks are refused, not skipped', async () => {
    const mk = () => {
      const d = fresh();
      mkdirSync(d);
      copyFileSync(keys.k12!.pubFile, join(d, 'k12.pub.pem'));
      return d;
    };
    let d = mk();
    symlinkSync(keys.hed!.pubFile, join(d, 'hed.pub.pem'));
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'ALLOW_DIR', message: expect.stringMatching(/symbolic link/) });
    d = mk();
    copyFileSync(keys.hed!.pubFile, join(d, 'K12.pub.pem'));
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'ALLOW_DUPLICATE' });
    d = mk();
    copyFileSync(keys.hed!.pubFile, join(d, 'hed.PUB.pem'));
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'ALLOW_DIR' });
    d = mk();
    writeFileSync(join(d, 'k12.pub.pem'), `${pem(keys.k12!.pubFile)}-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n`);
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'KEY_PARSE' });
    writeFileSync(join(d, 'k12.pub.pem'), `${pem(keys.k12!.pubFile)}-----BEGIN PUBLIC KEY-----\nAAAA\n`);
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'KEY_PARSE' });
    writeFileSync(join(d, 'k12.pub.pem'), `stray text\n${pem(keys.k12!.pubFile)}`);
    await expect(loadAllowDir(d)).rejects.toMatchObject({ code: 'KEY_PARSE' });
  });

  it('`p20link key fingerprint FILE` prints the fingerprints keygen printed', async () => {
    const r = await run(['key', 'fingerprint', keys.k12!.pubFile]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(keys.k12!.pub.sign.fingerprint);
    expect(r.out).toContain(keys.k12!.pub.encrypt.fingerprint);
    expect(r.out).toMatch(/public key file/);
    const p = await run(['key', 'fingerprint', keys.k12!.privFile]);
    expect(p.out).toContain(keys.k12!.pub.sign.fingerprint);
    expect(p.out).toMatch(/private key file/);
  });
});

describe('9. strict header and manifest bytes', () => {
  it('duplicate keys, non-canonical JSON and invalid UTF-8 in the header are refused', async () => {
    const pkg = await encodedPackage();
    const { header } = parts(readFileSync(pkg));
    const canon = canonicalJson(header);
    const variants: [string, Buffer, RegExp][] = [
      ['duplicate key', Buffer.from(canon.replace('{"chunkSize"', '{"chunkSize":1,"chunkSize"')), /canonical/],
      ['whitespace', Buffer.from(JSON.stringify(JSON.parse(canon), null, 1)), /canonical/],
      ['unsorted', Buffer.from(JSON.stringify({ version: header.version, ...Object.fromEntries(Object.entries(header).filter(([k]) => k !== 'version')) })), /canonical/],
      ['invalid UTF-8', Buffer.concat([Buffer.from(canon.slice(0, -2)), Buffer.from([0xc3, 0x28]), Buffer.from(canon.slice(-2))]), /UTF-8/],
    ];
    for (const [name, h, re] of variants) {
      const db = newStore();
      const e = (await atLinker(resign(pkg, h, 'k12'), db).catch((x: unknown) => x)) as { code: string; message: string };
      expect(e.code, name).toBe('PKG_FORMAT');
      expect(e.message, name).toMatch(re);
      db.close();
    }
  });

  it('the manifest parser refuses duplicate keys and non-canonical bytes', () => {
    const m = {
      auditHead: null, contentBytes: 1, contentId: 'a'.repeat(32), contentName: 'x', contentSha256: 'b'.repeat(64), createdAt: '2026-01-01T00:00:00.000Z',
      format: 'p20link/package-manifest', keyCheckValue: null, kind: 'result', party: 'k12', rowCount: 1, schemaFingerprint: null, sender: 'linker', version: 1,
    };
    expect(parseManifest(Buffer.from(canonicalJson(m)), 'x').party).toBe('k12');
    expect(() => parseManifest(Buffer.from(canonicalJson(m).replace('"party":"k12"', '"party":"hed","party":"k12"')), 'x')).toThrow(/canonical/);
    expect(() => parseManifest(Buffer.from(JSON.stringify(m, null, 2)), 'x')).toThrow(/canonical/);
  });
});

describe('10. the linker store is 0600', () => {
  it('a new store is created 0600 and an existing 0644 store is narrowed', () => {
    const p = fresh('.db');
    openLinkerStore(p).close();
    expect(statSync(p).mode & 0o777).toBe(0o600);
    chmodSync(p, 0o644);
    openLinkerStore(p).close();
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});

describe('11. passphrase sources', () => {
  it('--passphrase-env never echoes its argument; a passphrase file readable by others is refused', async () => {
    const e = (await readPassphrase({ env: 'my secret passphrase' }, {}).catch((x: unknown) => x)) as Error;
    expect(e.message).not.toContain('my secret passphrase');
    const e2 = (await readPassphrase({ env: 'UNSET_PASSPHRASE_VAR' }, {}).catch((x: unknown) => x)) as Error;
    expect(e2.message).not.toContain('UNSET_PASSPHRASE_VAR');
    const f = fresh('.pass');
    writeFileSync(f, 'a long passphrase\n', { mode: 0o644 });
    chmodSync(f, 0o644);
    await expect(readPassphrase({ file: f })).rejects.toMatchObject({ code: 'PASSPHRASE_FILE_MODE' });
    chmodSync(f, 0o600);
    expect(await readPassphrase({ file: f })).toBe('a long passphrase');
  });
});

describe('12. RSA through Node crypto, byte-compatible with the earlier node-forge format', () => {
  it('a package made by the earlier (node-forge) code still unpacks', async () => {
    const fx = join(__dirname, 'fixtures', 'legacy');
    const d = fresh();
    mkdirSync(d);
    mkdirSync(join(d, 'agencies'));
    mkdirSync(join(d, 'linker'));
    for (const f of readdirSync(fx)) copyFileSync(join(fx, f), join(d, f));
    for (const f of ['linker.key.pem', 'k12.key.pem']) chmodSync(join(d, f), 0o600);
    copyFileSync(join(fx, 'k12.pub.pem'), join(d, 'agencies', 'k12.pub.pem'));
    copyFileSync(join(fx, 'linker.pub.pem'), join(d, 'linker', 'linker.pub.pem'));
    const db = newStore();
    const r = await unpackFile({
      input: join(d, 'k12-encoded.p20pkg'),
      key: await loadPrivateKeys(join(d, 'linker.key.pem')),
      allow: await loadAllowDir(join(d, 'agencies')),
      output: fresh('.enc'),
      store: db,
      expectKind: 'encoded',
    });
    expect(r.manifest).toMatchObject({ rowCount: 40, party: 'k12', contentSha256: '30a31e0c9ca825b39165703ea70139885a5f2940dfc989d343f9a073f4e9b23b' });
    db.close();
    const ledger = openResultLedger(fresh('.ledger'), { party: 'k12' });
    const out = fresh('.csv');
    await unpackFile({ input: join(d, 'k12-result.p20pkg'), key: await loadPrivateKeys(join(d, 'k12.key.pem')), allow: await loadAllowDir(join(d, 'linker')), output: out, expectKind: 'result', ledger });
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe('bfd742fc171afc60ad95eb898b2c01bfd9398059f5b1c5fef1d1666553c82358');
    ledger.db.close();
  });

  it('OAEP and PSS interoperate with node-forge in both directions', () => {
    const k = keys.k12!;
    const fpub = forge.pki.publicKeyFromPem(k.pub.encrypt.key.export({ type: 'spki', format: 'pem' }) as string);
    const fpriv = forge.pki.privateKeyFromPem(k.priv.encrypt.key.export({ type: 'pkcs8', format: 'pem' }) as string);
    const opts = { md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() } };
    const key = Buffer.alloc(32, 9);
    expect(oaepUnwrap(k.priv.encrypt.key, Buffer.from(fpub.encrypt(key.toString('binary'), 'RSA-OAEP', opts), 'binary')).equals(key)).toBe(true);
    expect(Buffer.from(fpriv.decrypt(oaepWrap(k.pub.encrypt.key, key).toString('binary'), 'RSA-OAEP', { md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() } }), 'binary').equals(key)).toBe(true);
    const spub = forge.pki.publicKeyFromPem(k.pub.sign.key.export({ type: 'spki', format: 'pem' }) as string);
    const spriv = forge.pki.privateKeyFromPem(k.priv.sign.key.export({ type: 'pkcs8', format: 'pem' }) as string);
    const pss = () => forge.pss.create({ md: forge.md.sha256.create(), mgf: forge.mgf.mgf1.create(forge.md.sha256.create()), saltLength: 32 });
    const msg = Buffer.from('p20link');
    const md = () => forge.md.sha256.create().update(msg.toString('binary'));
    expect(spub.verify(md().digest().bytes(), pssSign(k.priv.sign.key, msg).toString('binary'), pss())).toBe(true);
    expect(pssVerify(k.pub.sign.key, msg, Buffer.from(spriv.sign(md(), pss()), 'binary'))).toBe(true);
  });
});

describe('13. refusal text in the audit log is capped', () => {
  it('a package with 60 KB of attacker text in its header stores at most a short message', async () => {
    const pkg = await encodedPackage();
    const { header } = parts(readFileSync(pkg));
    const bad = resign(pkg, Buffer.from(canonicalJson({ ...header, format: 'x'.repeat(60_000) })), 'k12');
    const db = newStore();
    await expect(atLinker(bad, db)).rejects.toMatchObject({ code: 'PKG_FORMAT' });
    const [e] = [...listAudit(db)];
    expect(JSON.stringify(e!.detail).length).toBeLessThan(MAX_REFUSAL_MESSAGE + 1000);
    db.close();
  });
});

describe('store locking: a link run holding the store does not break the other commands', () => {
  /**
   * A child process that holds the store's write lock (like a link run) until
   * the file `release` appears — so a writer blocked synchronously in this
   * process can let it go from its onWait callback.
   */
  function holdLock(path: string, release: string): Promise<{ done: Promise<void> }> {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const D=require('better-sqlite3');const fs=require('fs');const d=new D(${JSON.stringify(path)});d.exec('BEGIN IMMEDIATE');` +
          `d.prepare("INSERT INTO schema_migrations VALUES ('lock-test-'||random(),'x')").run();process.stdout.write('locked\\n');` +
          `const t=setInterval(()=>{if(fs.existsSync(${JSON.stringify(release)})){clearInterval(t);d.exec('COMMIT');d.close();process.exit(0)}},20);`,
      ],
      { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.stdout.once('data', () => resolve({ done }));
    });
  }

  it('readers proceed, a writer waits with a message and gets STORE_BUSY (exit 3) instead of an internal error', async () => {
    const path = fresh('.db');
    const db = openLinkerStore(path);
    appendAudit(db, { type: 'link-run', detail: { i: 0 } });
    db.close();
    const release = fresh('.release');
    const lock = await holdLock(path, release);
    try {
      // a reader (audit verify) works meanwhile
      const ro = openLinkerStore(path, { readOnly: true });
      expect(verifyAuditLog(ro).ok).toBe(true);
      ro.close();
      let r = await run(['audit', 'verify', '--store', path]);
      expect(r.code).toBe(0);
      // a writer waits, says so, then gives up with an environment error
      const said: string[] = [];
      const w = openLinkerStore(path, { waitMs: 600, onWait: (m) => said.push(m) });
      expect(asCli(p20Thrown(() => appendAudit(w, { type: 'link-run', detail: { i: 1 } })))).toMatchObject({ code: 'STORE_BUSY', exitCode: 3 });
      expect(said.join()).toMatch(/waiting for the linker store/);
      w.close();
      // through the CLI: unpack --store with a short wait
      const pkg = await encodedPackage();
      r = await run(['unpack', pkg, '--kind', 'encoded', '--key', keys.linker!.privFile, '--allow-dir', join(dir, 'allow-linker'), '--store', path, '--store-wait', '1', '-o', fresh('.enc')]);
      expect(r.code).toBe(3);
      expect(r.err).toMatch(/waiting for the linker store/);
      expect(r.err).not.toMatch(/internal error|database is locked/);
    } finally {
      writeFileSync(release, '');
      await lock.done;
    }
  });

  it('a writer that had to wait goes ahead once the lock is released', async () => {
    const path = fresh('.db');
    openLinkerStore(path).close();
    const release = fresh('.release');
    const lock = await holdLock(path, release);
    const said: string[] = [];
    const w = openLinkerStore(path, {
      waitMs: 120_000,
      onWait: (m) => {
        said.push(m);
        writeFileSync(release, ''); // the "link run" finishes while we wait
      },
    });
    expect(appendAudit(w, { type: 'link-run', detail: { i: 0 } }).seq).toBe(1);
    expect(said).toHaveLength(1);
    w.close();
    await lock.done;
  });
});

describe('keygen and key files: messages a user can act on (exit codes)', () => {
  it('keygen --out missing/ fails at once, before generating keys', async () => {
    const r = await run(['keygen', '--name', 'x1', '--out', join(dir, 'no-such-dir')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/output directory does not exist/);
  });

  it('a failed write leaves no orphan private key that blocks the retry', async () => {
    const d = fresh();
    mkdirSync(d);
    const priv = join(d, 'x.key.pem');
    await expect(createNewFiles([
      { path: priv, data: 'k', mode: 0o600, what: 'private key file' },
      { path: join(d, 'missing-sub', 'x.pub.pem'), data: 'p', mode: 0o644, what: 'public key file' },
    ])).rejects.toMatchObject({ code: 'FILE_CREATE' });
    expect(readdirSync(d)).toEqual([]);
    const g = await generateKeyPair({ name: 'x', outDir: d, bits: 2048 });
    expect(existsSync(g.privateFile) && existsSync(g.publicFile)).toBe(true);
  });

  it('swapping --to and --sign says which file is which, not "chmod 600 a public key"', async () => {
    const enc = fresh('.enc');
    await makeEncodedFile(enc, 3);
    const r = await run(['package', enc, '--to', keys.k12!.privFile, '--sign', keys.linker!.pubFile, '--name', 'k12', '-o', fresh()]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/PUBLIC key file, where your private key/);
    expect(r.err).not.toMatch(/chmod/);
    const r2 = await run(['package', enc, '--to', keys.k12!.privFile, '--sign', keys.k12!.privFile, '--name', 'k12', '-o', fresh()]);
    expect(r2.err).toMatch(/PRIVATE key file, where a public key/);
  });
});

// keep the imported header helper referenced (documents the header layout used by resign)
void headerBytes;
