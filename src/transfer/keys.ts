import {
  constants as cryptoConstants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as nodeGenerateKeyPair,
  pbkdf2Sync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  createCipheriv,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { access, constants as fsConstants, stat } from 'node:fs/promises';
import type forge from 'node-forge';
import { nodeForge } from '../util/lazy-deps.js';
import { P20Error } from '../errors.js';
import { checkPartyName } from '../format/party.js';
import { createNewFiles, fsCode, fsErrorCode, refuseExisting, readSmallText } from './secure-file.js';

/**
 * Key pairs for the linker and each agency.
 *
 * Every party has TWO RSA key pairs kept in one pair of files: a signing key
 * (RSASSA-PSS) and an encryption key (RSA-OAEP, receives packages). Separate
 * keys follow the usual practice of never using one RSA key for both jobs.
 *
 *   NAME.key.pem  (mode 0600)  two private-key PEM blocks: signing, then encryption
 *   NAME.pub.pem  (mode 0644)  two "PUBLIC KEY" (SPKI) PEM blocks, same order
 *
 * Each block is preceded by an explanatory line (`# p20link NAME signing key
 * sha256:…`), which PEM parsers ignore. A file with a single PEM block is also
 * accepted (the one key then serves both jobs), so a key made with
 * `openssl genpkey -algorithm RSA` works too.
 *
 * Generation uses Node's crypto.generateKeyPair (OpenSSL, native and
 * asynchronous: a 3072-bit pair takes well under a second, where node-forge's
 * pure-JS prime search takes many seconds and blocks the event loop). Private
 * keys may be passphrase-protected as standard encrypted PKCS#8 (PBES2:
 * PBKDF2-HMAC-SHA256 with 600 000 iterations, AES-256-CBC); the KDF runs in
 * Node's crypto (native), which makes a high iteration count affordable, and
 * reading the key back uses OpenSSL (crypto.createPrivateKey).
 *
 * Every RSA operation runs in Node's crypto (OpenSSL: constant-time, CRT
 * with a fault check, blinding; key material in native memory, not in JS
 * strings): OAEP wrap/unwrap with crypto.publicEncrypt / privateDecrypt
 * (oaepHash sha256, MGF1-SHA-256, empty label) and PSS sign/verify with
 * crypto.sign / verify (RSA_PKCS1_PSS_PADDING, SHA-256, MGF1-SHA-256, salt
 * 32 bytes). These are byte-compatible with the earlier node-forge code.
 * node-forge is used only to build the ASN.1 of encrypted PKCS#8 (Node's own
 * export cannot choose the PBKDF2 iteration count).
 *
 * A key file's comment line `# p20link NAME signing key (…) sha256:…` pins
 * the fingerprint of the block after it: a file whose key does not match its
 * own comment is refused (a substituted key under another party's comments).
 */

export const DEFAULT_MODULUS_BITS = 3072;
export const MIN_MODULUS_BITS = 2048;
export const DEFAULT_KDF_ITERATIONS = 600_000;

const generateKeyPairAsync = promisify(nodeGenerateKeyPair);

export type KeyUse = 'sign' | 'encrypt';

export interface PublicKeyInfo {
  use: KeyUse;
  /** "sha256:" + hex SHA-256 of the SubjectPublicKeyInfo DER. */
  fingerprint: string;
  bits: number;
  /** Node KeyObject (public). */
  key: KeyObject;
  /** Party name from the key file's comment line, when present. */
  commentName?: string;
}

export interface PublicKeys {
  file: string;
  sign: PublicKeyInfo;
  encrypt: PublicKeyInfo;
}

export interface PrivateKeyInfo {
  use: KeyUse;
  /** Fingerprint of the matching public key. */
  fingerprint: string;
  bits: number;
  /** Node KeyObject (private). */
  key: KeyObject;
}

export interface PrivateKeys {
  file: string;
  sign: PrivateKeyInfo;
  encrypt: PrivateKeyInfo;
}

export function fingerprintSpkiDer(der: Uint8Array): string {
  return `sha256:${createHash('sha256').update(der).digest('hex')}`;
}

export const FINGERPRINT_RE = /^sha256:[0-9a-f]{64}$/;


interface PemBlock {
  label: string;
  der: Buffer;
  /** The `# p20link NAME … sha256:…` comment line just before the block, if any. */
  comment?: { name: string; fingerprint?: string };
}

const COMMENT_RE = /^# p20link (\S+) .*?(sha256:[0-9a-f]{64})?\s*$/;

/**
 * The PEM blocks of a key file, strictly: text outside blocks may only be
 * blank lines or `#` comments; a BEGIN without its END, a mismatched END or a
 * body that is not base64 is refused (never skipped).
 */
function pemBlocks(text: string, file: string): PemBlock[] {
  const lines = text.split(/\r?\n/);
  const out: PemBlock[] = [];
  let comment: PemBlock['comment'];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const begin = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(line);
    if (begin) {
      const label = begin[1]!;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !lines[j]!.startsWith('-----'); j++) body.push(lines[j]!.trim());
      if (j >= lines.length || lines[j] !== `-----END ${label}-----`) {
        throw new P20Error('KEY_PARSE', `malformed PEM block "${label}" at line ${i + 1} (no matching END line)`, { file, line: i + 1 });
      }
      const b64 = body.join('');
      if (b64.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) {
        throw new P20Error('KEY_PARSE', `malformed PEM block "${label}" at line ${i + 1} (body is not base64)`, { file, line: i + 1 });
      }
      out.push({ label, der: Buffer.from(b64, 'base64'), ...(comment ? { comment } : {}) });
      comment = undefined;
      i = j;
      continue;
    }
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = COMMENT_RE.exec(line);
      comment = m ? { name: m[1]!, ...(m[2] ? { fingerprint: m[2] } : {}) } : undefined;
      continue;
    }
    throw new P20Error('KEY_PARSE', `unexpected text at line ${i + 1} (a key file holds only PEM blocks and # comment lines)`, { file, line: i + 1 });
  }
  return out;
}

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function publicKeyFromDer(der: Buffer, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch (e) {
    throw new P20Error('KEY_PARSE', `not a valid public key (${(e as Error).message})`, { file });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new P20Error('KEY_PARSE', `key is ${key.asymmetricKeyType ?? 'unknown'}, not RSA`, { file });
  return key;
}

function rsaBits(key: KeyObject): number {
  return key.asymmetricKeyDetails?.modulusLength ?? 0;
}

function checkBits(bits: number, file: string): void {
  if (bits < MIN_MODULUS_BITS) throw new P20Error('KEY_WEAK', `RSA key has ${bits} bits; at least ${MIN_MODULUS_BITS} are required`, { file });
}

/** A comment line that pins a fingerprint must match the key after it. */
function checkPinnedComment(b: PemBlock, fingerprint: string, file: string): void {
  if (b.comment?.fingerprint !== undefined && b.comment.fingerprint !== fingerprint) {
    throw new P20Error(
      'KEY_PIN_MISMATCH',
      `the comment line before a key names fingerprint ${b.comment.fingerprint} but the key is ${fingerprint} (the key was replaced; ask its owner for the real file and compare fingerprints over a second channel)`,
      { file },
    );
  }
}

/** Read a public-key file (two blocks: sign, encrypt; or one block used for both). */
export async function loadPublicKeys(path: string): Promise<PublicKeys> {
  const text = await readSmallText(path, 'public key file');
  const all = pemBlocks(text, path);
  if (all.some((b) => /PRIVATE/.test(b.label))) {
    throw new P20Error('KEY_PRIVATE_GIVEN', 'this is a PRIVATE key file, where a public key (NAME.pub.pem) is needed', { file: path }, { hint: { id: 'public-key-roles', option: 'to' } });
  }
  const blocks = all.filter((b) => b.label === 'PUBLIC KEY');
  if (blocks.length !== all.length) {
    throw new P20Error('KEY_PARSE', `unexpected PEM block "${all.find((b) => b.label !== 'PUBLIC KEY')!.label}" in a public key file`, { file: path });
  }
  if (blocks.length !== 1 && blocks.length !== 2) {
    throw new P20Error('KEY_PARSE', `expected 1 or 2 "PUBLIC KEY" PEM blocks, found ${blocks.length}`, { file: path });
  }
  const infos = blocks.map((b, i): PublicKeyInfo => {
    const k = publicKeyFromDer(b.der, path);
    const bits = rsaBits(k);
    checkBits(bits, path);
    const fingerprint = fingerprintSpkiDer(b.der);
    checkPinnedComment(b, fingerprint, path);
    return { use: i === 0 ? 'sign' : 'encrypt', fingerprint, bits, key: k, ...(b.comment ? { commentName: b.comment.name } : {}) };
  });
  const sign = infos[0]!;
  const encrypt = infos[1] ? infos[1] : { ...sign, use: 'encrypt' as const };
  return { file: path, sign, encrypt };
}

/** Fingerprints of every key in a public- or private-key file (for `p20link key fingerprint`). */
export async function keyFileFingerprints(path: string, passphrase?: string): Promise<{ kind: 'public' | 'private'; keys: { use: KeyUse; fingerprint: string; bits: number }[] }> {
  const text = await readSmallText(path, 'key file');
  const all = pemBlocks(text, path);
  if (all.some((b) => /PRIVATE KEY$/.test(b.label))) {
    const k = await loadPrivateKeys(path, passphrase);
    const keys = k.sign.fingerprint === k.encrypt.fingerprint ? [k.sign] : [k.sign, k.encrypt];
    return { kind: 'private', keys: keys.map((x) => ({ use: x.use, fingerprint: x.fingerprint, bits: x.bits })) };
  }
  const k = await loadPublicKeys(path);
  const keys = k.sign.fingerprint === k.encrypt.fingerprint ? [k.sign] : [k.sign, k.encrypt];
  return { kind: 'public', keys: keys.map((x) => ({ use: x.use, fingerprint: x.fingerprint, bits: x.bits })) };
}

/** Where a passphrase comes from: never argv. */
export interface PassphraseSource {
  /** Name of an environment variable holding the passphrase. */
  env?: string;
  /** A file whose content (minus one trailing newline) is the passphrase. */
  file?: string;
}

/**
 * The passphrase, under the same rules as the linkage secret: an environment
 * variable given by NAME (never echoed back: a user who typed the passphrase
 * itself would see it in logs), or a regular file that only its owner can
 * read.
 */
export async function readPassphrase(src: PassphraseSource, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (src.env !== undefined && src.file !== undefined) {
    throw new P20Error('PASSPHRASE', 'give the passphrase either by environment variable or by file, not both', {});
  }
  if (src.env !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(src.env)) {
      throw new P20Error('PASSPHRASE', 'takes the NAME of an environment variable (letters, digits, _), not the passphrase itself', { field: 'passphrase-env' }, { hint: { id: 'lead', option: 'passphrase-env' } });
    }
    const v = env[src.env];
    if (v === undefined || v.length === 0) {
      throw new P20Error('PASSPHRASE', 'the environment variable named by the passphrase-env option is not set or empty', { field: 'passphrase-env' }, { hint: { id: 'named-option', option: 'passphrase-env' } });
    }
    return v;
  }
  if (src.file !== undefined) {
    let st;
    try {
      st = await stat(src.file);
    } catch (e) {
      throw new P20Error('PASSPHRASE', `cannot read the passphrase file: ${fsErrorCode(e)}`, { file: src.file });
    }
    if (!st.isFile()) throw new P20Error('PASSPHRASE', 'the passphrase file is not a regular file', { file: src.file });
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new P20Error(
        'PASSPHRASE_FILE_MODE',
        `the passphrase file is readable by other users (mode ${(st.mode & 0o777).toString(8).padStart(3, '0')}); run \`chmod 600 ${src.file}\``,
        { file: src.file },
      );
    }
    const v = (await readSmallText(src.file, 'passphrase file', 4096)).replace(/\r?\n$/, '');
    if (v.length === 0) throw new P20Error('PASSPHRASE', 'passphrase file is empty', { file: src.file });
    return v;
  }
  return undefined;
}

function privateKeyObject(block: PemBlock, passphrase: string | undefined, file: string): KeyObject {
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY';
  if (encrypted && passphrase === undefined) {
    throw new P20Error('KEY_PASSPHRASE_NEEDED', 'private key is passphrase-protected', { file }, { hint: { id: 'passphrase-sources', option: 'passphrase-env' } });
  }
  try {
    if (encrypted) return createPrivateKey({ key: block.der, format: 'der', type: 'pkcs8', passphrase: passphrase! });
    const type = block.label === 'RSA PRIVATE KEY' ? 'pkcs1' : 'pkcs8';
    return createPrivateKey({ key: block.der, format: 'der', type });
  } catch (e) {
    if (encrypted) throw new P20Error('KEY_PASSPHRASE_WRONG', 'cannot decrypt the private key: wrong passphrase (or damaged key file)', { file });
    throw new P20Error('KEY_PARSE', `not a valid private key (${(e as Error).message})`, { file });
  }
}

/**
 * Read a private-key file (two blocks: sign, encrypt; or one block used for
 * both). Refuses files that group or others can read, like ssh does.
 */
export async function loadPrivateKeys(path: string, passphrase?: string): Promise<PrivateKeys> {
  const text = await readSmallText(path, 'private key file');
  const all = pemBlocks(text, path);
  const blocks = all.filter((b) => /PRIVATE KEY$/.test(b.label));
  // what kind of file it is comes first: "chmod 600" is no advice for a public key given by mistake
  if (blocks.length === 0 && all.some((b) => b.label === 'PUBLIC KEY')) {
    throw new P20Error('KEY_PUBLIC_GIVEN', 'this is a PUBLIC key file, where your private key (NAME.key.pem) is needed', { file: path }, { hint: { id: 'private-key-roles', option: 'sign' } });
  }
  if (blocks.length !== 1 && blocks.length !== 2) {
    throw new P20Error('KEY_PARSE', `expected 1 or 2 private-key PEM blocks, found ${blocks.length}`, { file: path });
  }
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new P20Error('KEY_PERMISSIONS', `private key file can be read by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`, { file: path });
  }
  const infos = blocks.map((b, i): PrivateKeyInfo => {
    const ko = privateKeyObject(b, passphrase, path);
    if (ko.asymmetricKeyType !== 'rsa') throw new P20Error('KEY_PARSE', `key is ${ko.asymmetricKeyType ?? 'unknown'}, not RSA`, { file: path });
    const bits = rsaBits(ko);
    checkBits(bits, path);
    const spki = createPublicKey(ko).export({ type: 'spki', format: 'der' });
    const fingerprint = fingerprintSpkiDer(spki);
    checkPinnedComment(b, fingerprint, path);
    return { use: i === 0 ? 'sign' : 'encrypt', fingerprint, bits, key: ko };
  });
  const sign = infos[0]!;
  const encrypt = infos[1] ? infos[1] : { ...sign, use: 'encrypt' as const };
  return { file: path, sign, encrypt };
}

// OIDs for encrypted PKCS#8 (RFC 8018).
const OID_PBES2 = '1.2.840.113549.1.5.13';
const OID_PBKDF2 = '1.2.840.113549.1.5.12';
const OID_HMAC_SHA256 = '1.2.840.113549.2.9';
const OID_AES256_CBC = '2.16.840.1.101.3.4.1.42';

/**
 * Encrypted PKCS#8 (EncryptedPrivateKeyInfo, PBES2 / PBKDF2-HMAC-SHA256 /
 * AES-256-CBC). The ASN.1 is built with node-forge; the KDF and cipher run in
 * Node's crypto so a high iteration count costs a fraction of a second.
 */
export function encryptPkcs8Der(pkcs8Der: Buffer, passphrase: string, iterations = DEFAULT_KDF_ITERATIONS): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const enc = Buffer.concat([c.update(pkcs8Der), c.final()]);
  key.fill(0);
  const a = nodeForge().asn1;
  const bin = (b: Buffer) => b.toString('binary');
  const oid = (o: string) => a.create(a.Class.UNIVERSAL, a.Type.OID, false, a.oidToDer(o).getBytes());
  const seq = (v: forge.asn1.Asn1[]) => a.create(a.Class.UNIVERSAL, a.Type.SEQUENCE, true, v);
  const octets = (b: Buffer) => a.create(a.Class.UNIVERSAL, a.Type.OCTETSTRING, false, bin(b));
  const int = (n: number) => a.create(a.Class.UNIVERSAL, a.Type.INTEGER, false, a.integerToDer(n).getBytes());
  const nul = () => a.create(a.Class.UNIVERSAL, a.Type.NULL, false, '');
  const tree = seq([
    seq([
      oid(OID_PBES2),
      seq([seq([oid(OID_PBKDF2), seq([octets(salt), int(iterations), seq([oid(OID_HMAC_SHA256), nul()])])]), seq([oid(OID_AES256_CBC), octets(iv)])]),
    ]),
    octets(enc),
  ]);
  return Buffer.from(a.toDer(tree).getBytes(), 'binary');
}

export interface GenerateKeyPairOptions {
  /** Party name (file names NAME.key.pem / NAME.pub.pem). */
  name: string;
  outDir: string;
  passphrase?: string;
  /** Default 3072; at least 2048. */
  bits?: number;
  /** PBKDF2 iterations for passphrase protection (default 600 000). */
  kdfIterations?: number;
}

export interface GeneratedKeys {
  privateFile: string;
  publicFile: string;
  signFingerprint: string;
  encryptFingerprint: string;
  bits: number;
}

/** Generate the signing + encryption key pairs; never overwrites an existing file. */
export async function generateKeyPair(opts: GenerateKeyPairOptions): Promise<GeneratedKeys> {
  const name = checkPartyName(opts.name);
  const bits = opts.bits ?? DEFAULT_MODULUS_BITS;
  if (!Number.isInteger(bits) || bits < MIN_MODULUS_BITS || bits > 8192) {
    throw new P20Error('KEY_BITS', `key size must be ${MIN_MODULUS_BITS}..8192 bits`, {});
  }
  if (opts.passphrase !== undefined && opts.passphrase.length < 8) {
    throw new P20Error('PASSPHRASE', 'passphrase must be at least 8 characters', {});
  }
  const privateFile = join(opts.outDir, `${name}.key.pem`);
  const publicFile = join(opts.outDir, `${name}.pub.pem`);
  // fail on a missing or unwritable directory before spending seconds on key generation
  try {
    const d = await stat(opts.outDir);
    if (!d.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(opts.outDir, fsConstants.W_OK);
  } catch (e) {
    const code = fsErrorCode(e);
    throw new P20Error(
      code === 'ENOENT' || code === 'ENOTDIR' ? 'KEY_OUT_DIR' : fsCode(e, 'ENV_IO'),
      code === 'ENOENT' ? 'the output directory does not exist (create it first)' : code === 'ENOTDIR' ? 'the output path is not a directory' : `cannot write to the output directory (${code})`,
      { file: opts.outDir },
    );
  }
  await refuseExisting(privateFile, 'private key file');
  await refuseExisting(publicFile, 'public key file');
  const pairs = await Promise.all([0, 1].map(() => generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 })));
  let priv = '';
  let pub = '';
  const fps: string[] = [];
  pairs.forEach((p, i) => {
    const what = i === 0 ? 'signing' : 'encryption';
    const spki = p.publicKey.export({ type: 'spki', format: 'der' });
    const fp = fingerprintSpkiDer(spki);
    fps.push(fp);
    const pk8 = p.privateKey.export({ type: 'pkcs8', format: 'der' });
    const privPem =
      opts.passphrase !== undefined ? toPem('ENCRYPTED PRIVATE KEY', encryptPkcs8Der(pk8, opts.passphrase, opts.kdfIterations)) : toPem('PRIVATE KEY', pk8);
    pk8.fill(0);
    priv += `# p20link ${name} ${what} key (${bits}-bit RSA) ${fp}\n${privPem}`;
    pub += `# p20link ${name} ${what} key (${bits}-bit RSA) ${fp}\n${toPem('PUBLIC KEY', spki)}`;
  });
  // both files or neither: a failed write (disk full) leaves no orphan private key blocking the retry
  await createNewFiles([
    { path: privateFile, data: priv, mode: 0o600, what: 'private key file' },
    { path: publicFile, data: pub, mode: 0o644, what: 'public key file' },
  ]);
  return { privateFile, publicFile, signFingerprint: fps[0]!, encryptFingerprint: fps[1]!, bits };
}

const OAEP = (key: KeyObject) => ({ key, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' });
const PSS = (key: KeyObject) => ({ key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });

/** RSA-OAEP (SHA-256, MGF1-SHA-256, empty label), Node crypto. */
export function oaepWrap(pub: KeyObject, key: Uint8Array): Buffer {
  return publicEncrypt(OAEP(pub), key);
}

/** Throws on any failure (the caller turns every failure into one message). */
export function oaepUnwrap(priv: KeyObject, wrapped: Uint8Array): Buffer {
  return privateDecrypt(OAEP(priv), wrapped);
}

/** RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) over `message`, Node crypto. */
export function pssSign(priv: KeyObject, message: Uint8Array): Buffer {
  return nodeSign('sha256', message, PSS(priv));
}

export function pssVerify(pub: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return nodeVerify('sha256', message, PSS(pub), signature);
  } catch {
    return false;
  }
}
