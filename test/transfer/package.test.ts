import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync, statSync, readdirSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { openSqliteStore, type Db } from '../../src/store/db.js';
import { listAudit, verifyAuditLog } from '../../src/store/audit-log.js';
import { auditMigrations, packageMigrations } from '../../src/store/migrations.js';
import { openResultLedger, type ResultLedger } from '../../src/store/result-ledger.js';
import {
  generateKeyPair,
  loadPublicKeys,
  loadPrivateKeys,
  loadAllowDir,
  loadAllowList,
  packageFile,
  unpackFile,
  newSecret,
  MIN_CHUNK_SIZE,
  type PrivateKeys,
  type PublicKeys,
  type AllowList,
} from '../../src/transfer/index.js';
import { makeEncodedFile } from './helpers.js';

let dir: string;
const keys: Record<string, { pub: PublicKeys; priv: PrivateKeys }> = {};
let linkerAllow: AllowList; // allows k12, hed
let agencyAllow: AllowList; // allows linker

async function party(name: string, sub: string, passphrase?: string) {
  const d = join(dir, sub);
  const g = await generateKeyPair({ name, outDir: d, bits: 2048, ...(passphrase ? { passphrase, kdfIterations: 1000 } : {}) });
  keys[name] = { pub: await loadPublicKeys(g.publicFile), priv: await loadPrivateKeys(g.privateFile, passphrase) };
  return g;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'p20-pkg-'));
  for (const s of ['allow-linker', 'allow-agency', 'other', 'linker']) {
    mkdirSync(join(dir, s), { recursive: true });
  }
  await Promise.all([party('linker', 'linker'), party('k12', 'allow-linker'), party('hed', 'allow-linker'), party('mallory', 'other')]);
  // agency-side allow-list: the linker's public key
  writeFileSync(join(dir, 'allow-agency', 'linker.pub.pem'), readFileSync(join(dir, 'linker', 'linker.pub.pem')));
  linkerAllow = await loadAllowDir(join(dir, 'allow-linker'));
  agencyAllow = await loadAllowDir(join(dir, 'allow-agency'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function fresh(ext = ''): string {
  n++;
  return join(dir, `f${n}${ext}`);
}

function newStore(): Db {
  return openSqliteStore(fresh('.db'), { migrations: [...auditMigrations, ...packageMigrations] });
}

async function pack(input: string, opts: { kind?: 'encoded' | 'result'; from?: string; to?: string; chunkSize?: number; party?: string } = {}) {
  const output = fresh('.p20pkg');
  const from = opts.from ?? 'k12';
  await packageFile({
    input,
    kind: opts.kind ?? 'encoded',
    to: keys[opts.to ?? 'linker']!.pub,
    sign: keys[from]!.priv,
    name: from,
    output,
    chunkSize: opts.chunkSize ?? MIN_CHUNK_SIZE,
    ...(opts.party !== undefined ? { party: opts.party } : {}),
  });
  return output;
}

/** A fresh result ledger for agency `party`. */
function newLedger(party = 'k12'): ResultLedger {
  return openResultLedger(fresh('.ledger.db'), { party });
}

function noTempFiles(): void {
  expect(readdirSync(dir).filter((f) => f.includes('p20link-tmp'))).toEqual([]);
}

describe('keys', () => {
  it('private key 0600, public 0644, two distinct key pairs, never overwritten', async () => {
    const st = statSync(join(dir, 'linker', 'linker.key.pem'));
    expect(st.mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'linker', 'linker.pub.pem')).mode & 0o777).toBe(0o644);
    expect(keys.linker!.pub.sign.fingerprint).not.toBe(keys.linker!.pub.encrypt.fingerprint);
    expect(keys.linker!.priv.sign.fingerprint).toBe(keys.linker!.pub.sign.fingerprint);
    expect(keys.linker!.priv.encrypt.fingerprint).toBe(keys.linker!.pub.encrypt.fingerprint);
    await expect(generateKeyPair({ name: 'linker', outDir: join(dir, 'linker'), bits: 2048 })).rejects.toThrow(/already exists/);
  });

  it('fingerprint is sha256 of the SPKI DER (checked with openssl-compatible Node export)', async () => {
    const pem = readFileSync(join(dir, 'linker', 'linker.pub.pem'), 'utf8');
    const first = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(pem)![1]!.replace(/\s+/g, '');
    expect(keys.linker!.pub.sign.fingerprint).toBe(`sha256:${createHash('sha256').update(Buffer.from(first, 'base64')).digest('hex')}`);
  });

  it('passphrase-protected key: right passphrase loads, wrong or missing is refused', async () => {
    const g = await generateKeyPair({ name: 'pp', outDir: join(dir, 'other'), bits: 2048, passphrase: 'correct horse battery', kdfIterations: 1000 });
    expect(readFileSync(g.privateFile, 'utf8')).toContain('ENCRYPTED PRIVATE KEY');
    const k = await loadPrivateKeys(g.privateFile, 'correct horse battery');
    expect(k.sign.fingerprint).toBe(g.signFingerprint);
    await expect(loadPrivateKeys(g.privateFile, 'wrong horse battery')).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_WRONG' });
    await expect(loadPrivateKeys(g.privateFile)).rejects.toMatchObject({ code: 'KEY_PASSPHRASE_NEEDED' });
  });

  it('refuses a private key file readable by others, and a public file given as private', async () => {
    const p = join(dir, 'other', 'loose.key.pem');
    writeFileSync(p, readFileSync(join(dir, 'other', 'mallory.key.pem')), { mode: 0o644 });
    chmodSync(p, 0o644);
    await expect(loadPrivateKeys(p)).rejects.toMatchObject({ code: 'KEY_PERMISSIONS' });
    await expect(loadPrivateKeys(join(dir, 'other', 'mallory.pub.pem'))).rejects.toThrow();
    await expect(loadPublicKeys(join(dir, 'linker', 'linker.key.pem'))).rejects.toMatchObject({ code: 'KEY_PRIVATE_GIVEN' });
  });

  it('a single-key PEM (e.g. from openssl) serves both jobs', async () => {
    const p = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const priv = join(dir, 'other', 'single.key.pem');
    writeFileSync(priv, p.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const pub = join(dir, 'other', 'single.pub.pem');
    writeFileSync(pub, p.publicKey.export({ type: 'spki', format: 'pem' }));
    const k = await loadPrivateKeys(priv);
    const kp = await loadPublicKeys(pub);
    expect(k.sign.fingerprint).toBe(k.encrypt.fingerprint);
    expect(kp.encrypt.fingerprint).toBe(k.sign.fingerprint);
  });
});

describe('secret', () => {
  it('32 random bytes as base64url + newline, mode 0600, never overwritten', async () => {
    const p = fresh('.secret');
    await newSecret(p);
    const t = readFileSync(p, 'utf8');
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(Buffer.from(t.trim(), 'base64url')).toHaveLength(32);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    await expect(newSecret(p)).rejects.toThrow(/already exists/);
    expect(readFileSync(p, 'utf8')).toBe(t);
    const q = fresh('.secret');
    await newSecret(q);
    expect(readFileSync(q, 'utf8')).not.toBe(t);
  });
});

describe('packages: round trip', () => {
  it('property: random contents of any size (0, chunk boundaries) survive package → unpack unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(0, 1, 4093, 4094, 4095, 8190, 8191, 12000), fc.integer({ min: 0, max: 12000 })),
        fc.integer({ min: MIN_CHUNK_SIZE, max: MIN_CHUNK_SIZE + 300 }),
        fc.uint8Array({ minLength: 12000, maxLength: 12000 }),
        async (size, chunkSize, random) => {
          // a one-column CSV (results are CSV) of random letters and line breaks
          const input = fresh('.csv');
          const body = Buffer.from(random.subarray(0, size)).map((b) => (b % 27 === 26 ? 10 : 97 + (b % 27)));
          writeFileSync(input, Buffer.concat([Buffer.from('a\n'), body]));
          const pkg = await pack(input, { kind: 'result', chunkSize, from: 'linker', to: 'k12', party: 'k12' });
          const out = fresh('.out');
          const ledger = newLedger();
          const r = await unpackFile({ input: pkg, key: keys.k12!.priv, allow: agencyAllow, output: out, expectKind: 'result', ledger });
          ledger.db.close();
          expect(readFileSync(out).equals(readFileSync(input))).toBe(true);
          expect(r.manifest.contentBytes).toBe(size + 2);
          expect(statSync(out).mode & 0o777).toBe(0o600);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('encoded file: manifest carries schema fingerprint, KCV, rows; audit records acceptance', async () => {
    const enc = fresh('.enc');
    await makeEncodedFile(enc, 50);
    const pkg = await pack(enc);
    const db = newStore();
    const out = fresh('.enc');
    const r = await unpackFile({ input: pkg, key: keys.linker!.priv, allow: linkerAllow, output: out, store: db, expectKind: 'encoded' });
    expect(r.manifest).toMatchObject({ kind: 'encoded', rowCount: 50, schemaFingerprint: `sha256:${'ab'.repeat(32)}`, keyCheckValue: 'cd'.repeat(16), sender: 'k12', party: 'k12' });
    expect(readFileSync(out).equals(readFileSync(enc))).toBe(true);
    const log = [...listAudit(db)];
    expect(log.map((e) => e.type)).toEqual(['package-accepted']);
    expect(log[0]!.detail).toMatchObject({ sender: 'k12', signer: keys.k12!.pub.sign.fingerprint, contentId: r.header.contentId, rows: 50 });
    db.close();
  });

  it('results go back: linker → agency, the agency allow-lists the linker; result-issued is audited', async () => {
    const csv = fresh('.csv');
    writeFileSync(csv, 'record_id,linkage_id\nr1,L1\nr2,L2\n');
    const db = newStore();
    const pkg = fresh('.p20pkg');
    const res = await packageFile({ input: csv, kind: 'result', to: keys.k12!.pub, sign: keys.linker!.priv, name: 'linker', output: pkg, party: 'k12', store: db });
    expect(res.manifest.rowCount).toBe(2);
    expect([...listAudit(db)].map((e) => e.type)).toEqual(['result-issued']);
    const out = fresh('.csv');
    const ledger = newLedger();
    const r = await unpackFile({ input: pkg, key: keys.k12!.priv, allow: agencyAllow, output: out, expectKind: 'result', ledger });
    ledger.db.close();
    expect(readFileSync(out, 'utf8')).toBe('record_id,linkage_id\nr1,L1\nr2,L2\n');
    expect(r.manifest.party).toBe('k12');
    // the other agency cannot read it
    await expect(unpackFile({ input: pkg, key: keys.hed!.priv, allow: agencyAllow, output: fresh(), expectKind: 'result', ledger: newLedger('hed') })).rejects.toMatchObject({ code: 'PKG_WRONG_RECIPIENT' });
    db.close();
  });
});

describe('packages: refusals (nothing written, refusal audited)', () => {
  let pkg: string;
  let bytes: Buffer;
  let hlen: number;
  beforeAll(async () => {
    const enc = fresh('.enc');
    await makeEncodedFile(enc, 400);
    pkg = await pack(enc);
    bytes = readFileSync(pkg);
    hlen = bytes.readUInt32BE(8);
  });

  /** Region offsets inside the package: [name, offset]. */
  function regions(): [string, number, RegExp][] {
    const header = 12 + hlen;
    const headerText = bytes.subarray(12, header).toString('utf8');
    const wk = headerText.indexOf('"wrappedKey":"') + 14 + 20;
    const sigLen = bytes.readUInt32BE(bytes.length - 256 - 4);
    expect(sigLen).toBe(256);
    // walk records
    const recs: { type: number; start: number; len: number }[] = [];
    let p = header;
    while (p < bytes.length) {
      const t = bytes[p]!;
      const len = bytes.readUInt32BE(p + 1);
      recs.push({ type: t, start: p + 5, len });
      p += 5 + len;
    }
    const firstChunk = recs[0]!;
    const manifest = recs.find((r) => r.type === 3)!;
    const sig = recs.find((r) => r.type === 4)!;
    return [
      ['magic', 0, /PKG_FORMAT/],
      ['header length', 9, /PKG_FORMAT|PKG_TRUNCATED/],
      ['header (contentId)', 12 + headerText.indexOf('"contentId":"') + 14, /PKG_BAD_SIGNATURE/],
      ['header (sender fingerprint)', 12 + headerText.indexOf('"fingerprint":"sha256:', headerText.indexOf('"sender"')) + 25, /PKG_UNKNOWN_SIGNER/],
      ['header (recipient fingerprint)', 12 + headerText.indexOf('"fingerprint":"sha256:') + 25, /PKG_WRONG_RECIPIENT|PKG_UNKNOWN_SIGNER/],
      ['wrapped key', 12 + wk, /PKG_BAD_SIGNATURE|PKG_FORMAT/],
      ['record type', firstChunk.start - 5, /PKG_FORMAT|PKG_TAMPERED|PKG_TRUNCATED/],
      ['chunk length', firstChunk.start - 2, /PKG_TAMPERED|PKG_TRUNCATED|PKG_FORMAT/],
      ['ciphertext', firstChunk.start + 3, /PKG_BAD_SIGNATURE/],
      ['tag', firstChunk.start + firstChunk.len - 1, /PKG_BAD_SIGNATURE/],
      ['manifest', manifest.start + 2, /PKG_BAD_SIGNATURE/],
      ['manifest tag', manifest.start + manifest.len - 3, /PKG_BAD_SIGNATURE/],
      ['signature', sig.start + 17, /PKG_BAD_SIGNATURE/],
      ['last byte', bytes.length - 1, /PKG_BAD_SIGNATURE/],
    ];
  }

  it('flipping a byte in every region is refused with a clear code; nothing is written', async () => {
    const db = newStore();
    const regs = regions();
    for (const [name, off, code] of regs) {
      const bad = Buffer.from(bytes);
      // inside the JSON header, change a hex digit to another hex digit (keeps the header well-formed)
      if (name.startsWith('header (')) bad[off] = bad[off] === 0x30 ? 0x31 : 0x30;
      else bad[off] = bad[off]! ^ 0x01;
      const f = fresh('.p20pkg');
      writeFileSync(f, bad);
      const out = fresh('.enc');
      const err = await unpackFile({ input: f, key: keys.linker!.priv, allow: linkerAllow, output: out, store: db, expectKind: 'encoded' }).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err, `region ${name}`).toBeDefined();
      expect(err!.code, `region ${name}: ${err!.message}`).toMatch(code);
      expect(err!.message).toMatch(/package refused|not a p20link|header/);
      expect(existsSync(out), `region ${name}`).toBe(false);
    }
    noTempFiles();
    const log = [...listAudit(db)];
    expect(log).toHaveLength(regs.length);
    expect(log.every((e) => e.type === 'package-refused')).toBe(true);
    expect(verifyAuditLog(db).ok).toBe(true);
    // the untouched package is still accepted afterwards
    await unpackFile({ input: pkg, key: keys.linker!.priv, allow: linkerAllow, output: fresh('.enc'), store: db, expectKind: 'encoded' });
    db.close();
  });

  it('property: any single flipped bit anywhere is refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 0, max: 7 }), async (off, bit) => {
        const bad = Buffer.from(bytes);
        bad[off] = bad[off]! ^ (1 << bit);
        const f = fresh('.p20pkg');
        writeFileSync(f, bad);
        const out = fresh();
        const db = newStore();
        await expect(unpackFile({ input: f, key: keys.linker!.priv, allow: linkerAllow, output: out, store: db, expectKind: 'encoded' })).rejects.toMatchObject({ code: expect.stringMatching(/^PKG_/) });
        expect(existsSync(out)).toBe(false);
        db.close();
      }),
      { numRuns: 40 },
    );
  });

  it('truncated at any record boundary or mid-record is refused', async () => {
    const db = newStore();
    for (const cut of [0, 5, 12, 12 + hlen, 12 + hlen + 3, 12 + hlen + 5 + 2000, bytes.length - 300, bytes.length - 261, bytes.length - 1]) {
      const f = fresh('.p20pkg');
      writeFileSync(f, bytes.subarray(0, cut));
      const out = fresh();
      await expect(unpackFile({ input: f, key: keys.linker!.priv, allow: linkerAllow, output: out, store: db, expectKind: 'encoded' })).rejects.toMatchObject({ code: expect.stringMatching(/PKG_TRUNCATED|PKG_FORMAT/) });
      expect(existsSync(out)).toBe(false);
    }
    // dropping the last data chunk (and keeping manifest + signature) is refused
    db.close();
  });

  it('dropping the last chunk, swapping two chunks, or splicing a chunk from another package is refused', async () => {
    const walk = (b: Buffer) => {
      const h = b.readUInt32BE(8);
      const recs: { type: number; start: number; end: number }[] = [];
      let q = 12 + h;
      while (q < b.length) {
        const len = b.readUInt32BE(q + 1);
        recs.push({ type: b[q]!, start: q, end: q + 5 + len });
        q += 5 + len;
      }
      return recs;
    };
    const recs = walk(bytes);
    expect(recs.filter((r) => r.type === 1).length).toBeGreaterThanOrEqual(2);
    const last = recs.find((r) => r.type === 2)!;
    const [c0, c1] = recs;
    const variants: [string, Buffer, RegExp][] = [
      ['drop last chunk', Buffer.concat([bytes.subarray(0, last.start), bytes.subarray(last.end)]), /PKG_TRUNCATED/],
      ['swap chunks', Buffer.concat([bytes.subarray(0, c0!.start), bytes.subarray(c1!.start, c1!.end), bytes.subarray(c0!.start, c0!.end), bytes.subarray(c1!.end)]), /PKG_BAD_SIGNATURE/],
    ];
    const enc2 = fresh('.enc');
    await makeEncodedFile(enc2, 400);
    const other = readFileSync(await pack(enc2));
    const o0 = walk(other)[0]!;
    variants.push(['chunk from another package', Buffer.concat([bytes.subarray(0, c0!.start), other.subarray(o0.start, o0.end), bytes.subarray(c0!.end)]), /PKG_BAD_SIGNATURE/]);
    for (const [name, buf, code] of variants) {
      const f = fresh('.p20pkg');
      writeFileSync(f, buf);
      const out = fresh();
      const e = await unpackFile({ input: f, key: keys.linker!.priv, allow: linkerAllow, output: out, store: newStore(), expectKind: 'encoded' }).catch((x: unknown) => x as { code: string });
      expect((e as { code?: string }).code, name).toMatch(code);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('trailing bytes after the signature are refused', async () => {
    const f = fresh('.p20pkg');
    writeFileSync(f, Buffer.concat([bytes, Buffer.from([0])]));
    await expect(unpackFile({ input: f, key: keys.linker!.priv, allow: linkerAllow, output: fresh(), store: newStore(), expectKind: 'encoded' })).rejects.toMatchObject({ code: 'PKG_FORMAT' });
  });

  it('wrong recipient key, unknown agency, agency key not matching its name, replay', async () => {
    const db = newStore();
    // wrong recipient: k12 tries to open the linker's package
    await expect(unpackFile({ input: pkg, key: keys.k12!.priv, allow: linkerAllow, output: fresh(), store: db, expectKind: 'encoded' })).rejects.toMatchObject({ code: 'PKG_WRONG_RECIPIENT' });
    // unknown agency
    const enc = fresh('.enc');
    await makeEncodedFile(enc, 3, 'mallory');
    const mal = await pack(enc, { from: 'mallory' });
    await expect(unpackFile({ input: mal, key: keys.linker!.priv, allow: linkerAllow, output: fresh(), store: db, expectKind: 'encoded' })).rejects.toThrow(/unknown signer.*"mallory" is not in the allow-list/);
    // mallory signs with her key but claims to be k12
    const out = fresh('.p20pkg');
    await packageFile({ input: enc, kind: 'encoded', to: keys.linker!.pub, sign: keys.mallory!.priv, name: 'k12', output: out });
    await expect(unpackFile({ input: out, key: keys.linker!.priv, allow: linkerAllow, output: fresh(), store: db, expectKind: 'encoded' })).rejects.toMatchObject({ code: 'PKG_UNKNOWN_SIGNER' });
    // replay
    const first = fresh();
    await unpackFile({ input: pkg, key: keys.linker!.priv, allow: linkerAllow, output: first, store: db, expectKind: 'encoded' });
    const second = fresh();
    await expect(unpackFile({ input: pkg, key: keys.linker!.priv, allow: linkerAllow, output: second, store: db, expectKind: 'encoded' })).rejects.toThrow(/replay: content id [0-9a-f]{32} was already accepted/);
    expect(existsSync(second)).toBe(false);
    const types = [...listAudit(db)].map((e) => `${e.type}:${String(e.detail.reason ?? '')}`);
    expect(types).toEqual(['package-refused:PKG_WRONG_RECIPIENT', 'package-refused:PKG_UNKNOWN_SIGNER', 'package-refused:PKG_UNKNOWN_SIGNER', 'package-accepted:', 'package-refused:PKG_REPLAY']);
    db.close();
  });

  it('a signature by another allow-listed agency over k12\'s package is refused (header bound into every chunk)', async () => {
    // hed re-signs k12's package claiming to be hed: the signature holds, but the changed header → every chunk fails
    const headerText = bytes.subarray(12, 12 + hlen).toString('utf8');
    const h = JSON.parse(headerText) as { sender: { name: string; fingerprint: string } };
    h.sender = { name: 'hed', fingerprint: keys.hed!.pub.sign.fingerprint };
    const { canonicalJson } = await import('../../src/format/canonical-json.js');
    const nh = Buffer.from(canonicalJson(h));
    const len = Buffer.alloc(4);
    len.writeUInt32BE(nh.length);
    const sigLen = bytes.readUInt32BE(bytes.length - 256 - 4);
    const rest = bytes.subarray(12 + hlen, bytes.length - 5 - sigLen);
    const signed = Buffer.concat([bytes.subarray(0, 8), len, nh, rest]);
    const { pssSign } = await import('../../src/transfer/keys.js');
    const { signatureInput, sha256, recordPrefix } = await import('../../src/transfer/envelope.js');
    const sig = pssSign(keys.hed!.priv.sign.key, signatureInput(sha256(signed)));
    const f = fresh('.p20pkg');
    writeFileSync(f, Buffer.concat([signed, recordPrefix(4, sig.length), sig]));
    await expect(unpackFile({ input: f, key: keys.linker!.priv, allow: linkerAllow, output: fresh(), store: newStore(), expectKind: 'encoded' })).rejects.toMatchObject({ code: 'PKG_TAMPERED' });
  });

  it('an encoded package needs a store (replay protection)', async () => {
    await expect(unpackFile({ input: pkg, key: keys.linker!.priv, allow: linkerAllow, output: fresh(), expectKind: 'encoded' })).rejects.toMatchObject({ code: 'PKG_NO_STORE' });
  });
});

describe('allow-list file', () => {
  it('loads names + keys, checks pinned fingerprints, refuses duplicates', async () => {
    const f = join(dir, 'allow-linker', 'allow.json');
    writeFileSync(f, JSON.stringify({ format: 'p20link/allowlist', version: 1, senders: [{ name: 'k12', publicKey: 'k12.pub.pem', fingerprint: keys.k12!.pub.sign.fingerprint }, { name: 'hed', publicKey: 'hed.pub.pem' }] }));
    const a = await loadAllowList(f);
    expect([...a.senders.keys()]).toEqual(['k12', 'hed']);
    writeFileSync(f, JSON.stringify({ format: 'p20link/allowlist', version: 1, senders: [{ name: 'k12', publicKey: 'k12.pub.pem', fingerprint: keys.hed!.pub.sign.fingerprint }] }));
    await expect(loadAllowList(f)).rejects.toMatchObject({ code: 'ALLOW_PIN' });
    writeFileSync(f, JSON.stringify({ format: 'p20link/allowlist', version: 1, senders: [{ name: 'k12', publicKey: 'k12.pub.pem' }, { name: 'k12b', publicKey: 'k12.pub.pem' }] }));
    await expect(loadAllowList(f)).rejects.toMatchObject({ code: 'ALLOW_DUPLICATE' });
    rmSync(f);
  });
});

describe('interoperability: an independent reader built from protocols/package-format.md with Node crypto (OpenSSL) only', () => {
  it('decrypts and verifies a p20link package', async () => {
    const { createPrivateKey, createPublicKey, privateDecrypt, createDecipheriv, verify, constants } = await import('node:crypto');
    const input = fresh('.csv');
    writeFileSync(input, `x\n${'hello\n'.repeat(2000)}`);
    const pkgPath = await pack(input, { kind: 'result', chunkSize: MIN_CHUNK_SIZE, party: 'k12' });
    const b = readFileSync(pkgPath);
    expect(b.subarray(0, 8).toString('latin1')).toBe('P20LPKG\n');
    const hlen = b.readUInt32BE(8);
    const header = JSON.parse(b.subarray(12, 12 + hlen).toString('utf8')) as { wrappedKey: string; noncePrefix: string; chunkSize: number };
    const H = createHash('sha256').update(b.subarray(0, 12 + hlen)).digest();
    // the linker's private keys, read with OpenSSL: second block = encryption key
    const privText = readFileSync(join(dir, 'linker', 'linker.key.pem'), 'utf8');
    const blocks = privText.match(/-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----\n/g)!;
    const encKey = createPrivateKey(blocks[1]!);
    const K = privateDecrypt({ key: encKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from(header.wrappedKey, 'base64'));
    expect(K).toHaveLength(32);
    let p = 12 + hlen;
    let i = 0;
    const plain: Buffer[] = [];
    let manifest: Record<string, unknown> | undefined;
    for (;;) {
      const t = b[p]!;
      const len = b.readUInt32BE(p + 1);
      const body = b.subarray(p + 5, p + 5 + len);
      if (t === 4) {
        const D = createHash('sha256').update(b.subarray(0, p)).digest();
        const M = Buffer.concat([Buffer.from('p20link-package-signature-v1\n'), D]);
        const pubText = readFileSync(join(dir, 'allow-linker', 'k12.pub.pem'), 'utf8');
        const signPub = createPublicKey(pubText.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----\n/g)![0]!);
        expect(verify('sha256', M, { key: signPub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, body)).toBe(true);
        expect(p + 5 + len).toBe(b.length);
        break;
      }
      const nonce = Buffer.concat([Buffer.from(header.noncePrefix, 'hex'), Buffer.alloc(8)]);
      nonce.writeBigUInt64BE(BigInt(i), 4);
      const d = createDecipheriv('aes-256-gcm', K, nonce);
      d.setAAD(Buffer.concat([H, Buffer.from([t])]));
      d.setAuthTag(body.subarray(len - 16));
      const pt = Buffer.concat([d.update(body.subarray(0, len - 16)), d.final()]);
      if (t === 3) manifest = JSON.parse(pt.toString('utf8')) as Record<string, unknown>;
      else plain.push(pt);
      i++;
      p += 5 + len;
    }
    const content = Buffer.concat(plain);
    expect(content.equals(readFileSync(input))).toBe(true);
    expect(i).toBe(Math.ceil(content.length / MIN_CHUNK_SIZE) + 1);
    expect(manifest).toMatchObject({ contentSha256: createHash('sha256').update(content).digest('hex'), rowCount: 2000, contentBytes: content.length, kind: 'result' });
  });

  it('a passphrase-protected key file is standard encrypted PKCS#8 (OpenSSL reads it)', async () => {
    const { createPrivateKey } = await import('node:crypto');
    const g = await generateKeyPair({ name: 'interop', outDir: join(dir, 'other'), bits: 2048, passphrase: 'open sesame 123', kdfIterations: 2000 });
    const block = readFileSync(g.privateFile, 'utf8').match(/-----BEGIN ENCRYPTED PRIVATE KEY-----[\s\S]*?-----END ENCRYPTED PRIVATE KEY-----\n/g)![0]!;
    const k = createPrivateKey({ key: block, passphrase: 'open sesame 123' });
    expect(k.asymmetricKeyType).toBe('rsa');
    expect(() => createPrivateKey({ key: block, passphrase: 'nope nope nope' })).toThrow();
  });
});

describe('audit seals with the linker key', () => {
  it('a sealed log detects truncation + head rewind, a forged seal, and a seal by another key', async () => {
    const { appendAudit, sealAudit } = await import('../../src/store/audit-log.js');
    const { auditSignerFromKeys, auditVerifierFromKeys } = await import('../../src/transfer/audit-keys.js');
    const db = newStore();
    for (let i = 0; i < 3; i++) appendAudit(db, { type: 'link-run', detail: { i } });
    expect(sealAudit(db, auditSignerFromKeys(keys.linker!.priv))).toMatchObject({ seq: 3 });
    expect(sealAudit(db, auditSignerFromKeys(keys.linker!.priv))).toBeUndefined(); // already sealed
    const verifier = auditVerifierFromKeys(keys.linker!.pub);
    expect(verifyAuditLog(db, { sealVerifier: verifier, requireSealedHead: true })).toMatchObject({ ok: true, seals: { checked: 1, latestSeq: 3 } });
    appendAudit(db, { type: 'link-run', detail: { i: 3 } });
    expect(verifyAuditLog(db, { sealVerifier: verifier, requireSealedHead: true }).firstBad!.reason).toMatch(/not covered by a signed seal/);
    // someone with write access drops the triggers, cuts entries 3-4 and rewinds the head: the chain alone is fooled, the seal is not
    for (const t of ['audit_log_no_delete', 'audit_head_forward']) db.exec(`DROP TRIGGER ${t}`);
    const e2 = db.prepare('SELECT hash FROM audit_log WHERE seq = 2').get() as { hash: string };
    db.prepare('DELETE FROM audit_log WHERE seq >= 3').run();
    db.prepare('UPDATE audit_head SET seq = 2, hash = ?').run(e2.hash);
    expect(verifyAuditLog(db).ok).toBe(true);
    expect(verifyAuditLog(db, { sealVerifier: verifier }).firstBad!.reason).toMatch(/signed seal covers entry 3 but the log has only 2 entries/);
    // a seal checked against another key is refused
    expect(verifyAuditLog(db, { sealVerifier: auditVerifierFromKeys(keys.k12!.pub) }).firstBad!.reason).toMatch(/not the given linker key/);
    // a forged seal signature
    db.exec('DROP TRIGGER audit_seal_no_update');
    db.prepare("UPDATE audit_seal SET time = '2020-01-01T00:00:00.000Z'").run();
    expect(verifyAuditLog(db, { sealVerifier: verifier }).firstBad!.reason).toMatch(/seal signature at entry 3 does not verify/);
    db.close();
  });
});
