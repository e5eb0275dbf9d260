import { createHash, createPrivateKey, createPublicKey, generateKeyPair as nodeGenerateKeyPair, pbkdf2Sync, randomBytes, createCipheriv, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import forge from 'node-forge';
import { P20Error } from '../errors.js';
import { createNewFile, refuseExisting, readSmallText } from './secure-file.js';

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
 * reading the key back uses OpenSSL (crypto.createPrivateKey). The RSA
 * operations themselves (OAEP wrap/unwrap, PSS sign/verify) and public-key
 * PEM parsing use node-forge.
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
  forge: forge.pki.rsa.PublicKey;
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
  forge: forge.pki.rsa.PrivateKey;
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

export function isValidPartyName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name);
}

export function checkPartyName(name: unknown, what = 'name'): string {
  if (typeof name !== 'string' || !isValidPartyName(name)) {
    throw new P20Error('BAD_NAME', `${what} must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit (got ${JSON.stringify(name)})`, { field: what });
  }
  return name;
}

interface PemBlock {
  label: string;
  der: Buffer;
}

function pemBlocks(text: string): PemBlock[] {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  const out: PemBlock[] = [];
  for (const m of text.matchAll(re)) {
    const body = m[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) continue;
    out.push({ label: m[1]!, der: Buffer.from(body, 'base64') });
  }
  return out;
}

function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function forgePublicFromDer(der: Buffer, file: string): forge.pki.rsa.PublicKey {
  let key: forge.pki.PublicKey;
  try {
    key = forge.pki.publicKeyFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary'))));
  } catch (e) {
    throw new P20Error('KEY_PARSE', `not a valid RSA public key (${(e as Error).message})`, { file });
  }
  const rsa = key as forge.pki.rsa.PublicKey;
  if (!rsa.n || !rsa.e) throw new P20Error('KEY_PARSE', 'not an RSA public key', { file });
  return rsa;
}

function checkBits(bits: number, file: string): void {
  if (bits < MIN_MODULUS_BITS) throw new P20Error('KEY_WEAK', `RSA key has ${bits} bits; at least ${MIN_MODULUS_BITS} are required`, { file });
}

/** Read a public-key file (two blocks: sign, encrypt; or one block used for both). */
export async function loadPublicKeys(path: string): Promise<PublicKeys> {
  const text = await readSmallText(path, 'public key file');
  const blocks = pemBlocks(text).filter((b) => b.label === 'PUBLIC KEY');
  if (pemBlocks(text).some((b) => /PRIVATE/.test(b.label))) {
    throw new P20Error('KEY_PRIVATE_GIVEN', 'this is a PRIVATE key file; give the public key (NAME.pub.pem) here', { file: path });
  }
  if (blocks.length !== 1 && blocks.length !== 2) {
    throw new P20Error('KEY_PARSE', `expected 1 or 2 "PUBLIC KEY" PEM blocks, found ${blocks.length}`, { file: path });
  }
  const infos = blocks.map((b, i): PublicKeyInfo => {
    const k = forgePublicFromDer(b.der, path);
    const bits = k.n.bitLength();
    checkBits(bits, path);
    return { use: i === 0 ? 'sign' : 'encrypt', fingerprint: fingerprintSpkiDer(b.der), bits, forge: k };
  });
  const sign = infos[0]!;
  const encrypt = infos[1] ? infos[1] : { ...sign, use: 'encrypt' as const };
  return { file: path, sign, encrypt };
}

/** Where a passphrase comes from: never argv. */
export interface PassphraseSource {
  /** Name of an environment variable holding the passphrase. */
  env?: string;
  /** A file whose content (minus one trailing newline) is the passphrase. */
  file?: string;
}

export async function readPassphrase(src: PassphraseSource): Promise<string | undefined> {
  if (src.env !== undefined && src.file !== undefined) {
    throw new P20Error('PASSPHRASE', 'give the passphrase either by environment variable or by file, not both');
  }
  if (src.env !== undefined) {
    const v = process.env[src.env];
    if (v === undefined || v.length === 0) {
      throw new P20Error('PASSPHRASE', `environment variable ${src.env} is not set or empty`, { field: 'passphrase-env' });
    }
    return v;
  }
  if (src.file !== undefined) {
    const v = (await readSmallText(src.file, 'passphrase file', 4096)).replace(/\r?\n$/, '');
    if (v.length === 0) throw new P20Error('PASSPHRASE', 'passphrase file is empty', { file: src.file });
    return v;
  }
  return undefined;
}

function privateKeyObject(block: PemBlock, passphrase: string | undefined, file: string): KeyObject {
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY';
  if (encrypted && passphrase === undefined) {
    throw new P20Error('KEY_PASSPHRASE_NEEDED', 'private key is passphrase-protected; give --passphrase-env VAR or --passphrase-file FILE', { file });
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
  const st = await stat(path);
  if ((st.mode & 0o077) !== 0) {
    throw new P20Error('KEY_PERMISSIONS', `private key file can be read by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`, { file: path });
  }
  const all = pemBlocks(text);
  const blocks = all.filter((b) => /PRIVATE KEY$/.test(b.label));
  if (blocks.length === 0 && all.some((b) => b.label === 'PUBLIC KEY')) {
    throw new P20Error('KEY_PUBLIC_GIVEN', 'this is a public key file; give the private key (NAME.key.pem) here', { file: path });
  }
  if (blocks.length !== 1 && blocks.length !== 2) {
    throw new P20Error('KEY_PARSE', `expected 1 or 2 private-key PEM blocks, found ${blocks.length}`, { file: path });
  }
  const infos = blocks.map((b, i): PrivateKeyInfo => {
    const ko = privateKeyObject(b, passphrase, path);
    if (ko.asymmetricKeyType !== 'rsa') throw new P20Error('KEY_PARSE', `key is ${ko.asymmetricKeyType ?? 'unknown'}, not RSA`, { file: path });
    const der = ko.export({ type: 'pkcs8', format: 'der' });
    const fk = forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')))) as forge.pki.rsa.PrivateKey;
    der.fill(0);
    const bits = fk.n.bitLength();
    checkBits(bits, path);
    const spki = createPublicKey(ko).export({ type: 'spki', format: 'der' });
    return { use: i === 0 ? 'sign' : 'encrypt', fingerprint: fingerprintSpkiDer(spki), bits, forge: fk };
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
  const a = forge.asn1;
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
    throw new P20Error('KEY_BITS', `key size must be ${MIN_MODULUS_BITS}..8192 bits`);
  }
  if (opts.passphrase !== undefined && opts.passphrase.length < 8) {
    throw new P20Error('PASSPHRASE', 'passphrase must be at least 8 characters');
  }
  const privateFile = join(opts.outDir, `${name}.key.pem`);
  const publicFile = join(opts.outDir, `${name}.pub.pem`);
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
  await createNewFile(privateFile, priv, 0o600, 'private key file');
  await createNewFile(publicFile, pub, 0o644, 'public key file');
  return { privateFile, publicFile, signFingerprint: fps[0]!, encryptFingerprint: fps[1]!, bits };
}

/** RSA-OAEP (SHA-256, MGF1-SHA-256, empty label) with node-forge. */
export function oaepWrap(pub: forge.pki.rsa.PublicKey, key: Uint8Array): Buffer {
  const enc = pub.encrypt(Buffer.from(key).toString('binary'), 'RSA-OAEP', { md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() } });
  return Buffer.from(enc, 'binary');
}

export function oaepUnwrap(priv: forge.pki.rsa.PrivateKey, wrapped: Uint8Array): Buffer {
  const dec = priv.decrypt(Buffer.from(wrapped).toString('binary'), 'RSA-OAEP', { md: forge.md.sha256.create(), mgf1: { md: forge.md.sha256.create() } });
  return Buffer.from(dec, 'binary');
}

function pssScheme(): forge.pss.PSS {
  return forge.pss.create({ md: forge.md.sha256.create(), mgf: forge.mgf.mgf1.create(forge.md.sha256.create()), saltLength: 32 });
}

/** RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) over `message`, with node-forge. */
export function pssSign(priv: forge.pki.rsa.PrivateKey, message: Uint8Array): Buffer {
  const md = forge.md.sha256.create();
  md.update(Buffer.from(message).toString('binary'));
  return Buffer.from(priv.sign(md, pssScheme()), 'binary');
}

export function pssVerify(pub: forge.pki.rsa.PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  const md = forge.md.sha256.create();
  md.update(Buffer.from(message).toString('binary'));
  try {
    return pub.verify(md.digest().bytes(), Buffer.from(signature).toString('binary'), pssScheme());
  } catch {
    return false;
  }
}
