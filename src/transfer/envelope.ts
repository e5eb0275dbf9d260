import { createCipheriv, createDecipheriv, createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { P20Error } from '../errors.js';
import { canonicalJson } from '../format/canonical-json.js';
import { isValidPartyName } from '../format/party.js';
import { FINGERPRINT_RE } from './keys.js';

/**
 * The package envelope, byte for byte (protocols/package-format.md is the
 * normative description; keep the two in step):
 *
 *   magic      8 bytes  "P20LPKG\n"
 *   hlen       u32 BE   length of the header (1..65536)
 *   header     hlen     UTF-8 canonical JSON (PackageHeader)
 *   records    each: type u8 | len u32 BE | body (len bytes)
 *     0x01 data chunk        AES-256-GCM ciphertext || 16-byte tag (plaintext exactly chunkSize)
 *     0x02 last data chunk   same, plaintext 0..chunkSize bytes (exactly one, after the 0x01s)
 *     0x03 manifest          AES-256-GCM of canonical JSON (PackageManifest)
 *     0x04 signature         RSASSA-PSS signature, then end of file
 *
 * H = SHA-256(magic || hlen || header). Record i (0-based over 0x01/0x02/0x03)
 * uses nonce = noncePrefix (4 bytes) || u64 BE i and AAD = H || type byte, so
 * a chunk cannot move to another package or position, the last-chunk flag
 * cannot be dropped (truncation) and the header (sender, recipient, content id,
 * wrapped key) cannot be changed without every tag failing.
 *
 * Signature input: "p20link-package-signature-v1\n" || SHA-256(every byte
 * before the signature record's type byte).
 */
export const MAGIC = Buffer.from('P20LPKG\n', 'latin1');
export const PACKAGE_FORMAT = 'p20link/package';
export const MANIFEST_FORMAT = 'p20link/package-manifest';
export const PACKAGE_VERSION = 1;
export const MAX_HEADER_BYTES = 65536;
export const MAX_MANIFEST_BYTES = 65536;
export const MAX_SIGNATURE_BYTES = 2048;
export const DEFAULT_CHUNK_SIZE = 1 << 20;
/** Smallest chunk size accepted (bounds the per-chunk work a package can demand). */
export const MIN_CHUNK_SIZE = 4096;
export const MAX_CHUNK_SIZE = 1 << 24;
export const TAG_BYTES = 16;
export const SIGNATURE_DOMAIN = Buffer.from('p20link-package-signature-v1\n', 'latin1');

export const REC_DATA = 0x01;
export const REC_LAST = 0x02;
export const REC_MANIFEST = 0x03;
export const REC_SIGNATURE = 0x04;

export type PackageKind = 'encoded' | 'result';

export interface PackageHeader {
  format: typeof PACKAGE_FORMAT;
  version: typeof PACKAGE_VERSION;
  kind: PackageKind;
  sender: { name: string; fingerprint: string };
  recipient: { fingerprint: string };
  /** 32 hex digits (random 128 bits). */
  contentId: string;
  keyWrap: 'RSA-OAEP-SHA256';
  /** base64 of the RSA-OAEP ciphertext of the 32-byte AES key. */
  wrappedKey: string;
  cipher: 'AES-256-GCM';
  chunkSize: number;
  /** 8 hex digits (4 random bytes). */
  noncePrefix: string;
  signature: 'RSASSA-PSS-SHA256';
}

export interface PackageManifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof PACKAGE_VERSION;
  kind: PackageKind;
  contentId: string;
  /** Sender (agency or linker) name, as in the header. */
  sender: string;
  createdAt: string;
  /** Base name of the packaged file. */
  contentName: string;
  contentBytes: number;
  /** Hex SHA-256 of the plaintext content. */
  contentSha256: string;
  rowCount: number;
  /** From the encoded file's header (kind "encoded"); null for results. */
  schemaFingerprint: string | null;
  keyCheckValue: string | null;
  /** Party label from the encoded file's header; for results, the agency the links are for. */
  party: string | null;
  /** Linker's audit-log head when a result was issued (null otherwise). */
  auditHead: { seq: number; hash: string } | null;
}

export function headerBytes(h: PackageHeader): Buffer {
  const json = Buffer.from(canonicalJson(h), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, len, json]);
}

export function nonceFor(prefix: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0, 0, 4);
  n.writeBigUInt64BE(BigInt(index), 4);
  return n;
}

export function aadFor(headerHash: Buffer, type: number): Buffer {
  return Buffer.concat([headerHash, Buffer.from([type])]);
}

/** Bytes of a record's prefix: type u8 | len u32 BE. */
export const RECORD_PREFIX_BYTES = 5;

export function recordPrefix(type: number, len: number): Buffer {
  const b = Buffer.alloc(RECORD_PREFIX_BYTES);
  b[0] = type;
  b.writeUInt32BE(len, 1);
  return b;
}

export interface RecordPrefix {
  type: number;
  /** Length of the body that follows. */
  len: number;
}

export function parseRecordPrefix(b: Buffer): RecordPrefix {
  return { type: b[0]!, len: b.readUInt32BE(1) };
}

/** Largest body a record of `type` may have in a package of `chunkSize` (data records: chunkSize + tag). */
export function maxRecordBody(type: number, chunkSize: number): number {
  if (type === REC_MANIFEST) return MAX_MANIFEST_BYTES + TAG_BYTES;
  if (type === REC_SIGNATURE) return MAX_SIGNATURE_BYTES;
  return chunkSize + TAG_BYTES;
}

/**
 * Whether a record of `type` may have a body of `len` bytes: a data chunk
 * (0x01) is exactly chunkSize + tag, the last chunk (0x02) tag..chunkSize +
 * tag, the manifest (0x03) tag..65536 + tag, the signature (0x04) 1..2048.
 */
export function recordBodyAllowed(type: number, len: number, chunkSize: number): boolean {
  const max = maxRecordBody(type, chunkSize);
  if (type === REC_SIGNATURE) return len >= 1 && len <= max;
  if (type === REC_DATA) return len === max;
  return len >= TAG_BYTES && len <= max;
}

/**
 * Encrypt record `index` (0-based over data, last and manifest records) with
 * the content key: nonce = noncePrefix || u64 BE index, AAD = H || type.
 * Returns the whole record: prefix, ciphertext, tag.
 */
export function sealRecord(key: Buffer, noncePrefix: Buffer, index: number, headerHash: Buffer, type: number, plain: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, nonceFor(noncePrefix, index));
  c.setAAD(aadFor(headerHash, type));
  const ct = Buffer.concat([c.update(plain), c.final()]);
  const tag = c.getAuthTag();
  return Buffer.concat([recordPrefix(type, ct.length + tag.length), ct, tag]);
}

/**
 * Decrypt the body (ciphertext || tag) of record `index`; undefined when it
 * is shorter than a tag or fails authentication.
 */
export function openRecord(key: Buffer, noncePrefix: Buffer, index: number, headerHash: Buffer, type: number, body: Buffer): Buffer | undefined {
  if (body.length < TAG_BYTES) return undefined;
  const d = createDecipheriv('aes-256-gcm', key, nonceFor(noncePrefix, index));
  d.setAAD(aadFor(headerHash, type));
  d.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([d.update(body.subarray(0, body.length - TAG_BYTES)), d.final()]);
  } catch {
    return undefined;
  }
}

/**
 * Reads a package file front to back, feeding every byte read to the given
 * hashes. A short read (end of file) calls `short(what)`, which throws (the
 * reader decides the refusal: truncated on the first pass, changed on the
 * second).
 */
export class RecordCursor {
  constructor(
    private readonly fh: FileHandle,
    public pos: number,
    private readonly short: (what: string) => never,
  ) {}

  async take(n: number, what: string, hashes: readonly Hash[]): Promise<Buffer> {
    const b = await readAt(this.fh, n, this.pos);
    if (b.length < n) this.short(what);
    this.pos += n;
    for (const h of hashes) h.update(b);
    return b;
  }

  async prefix(what: string, hashes: readonly Hash[]): Promise<RecordPrefix> {
    return parseRecordPrefix(await this.take(RECORD_PREFIX_BYTES, what, hashes));
  }
}

export function signatureInput(digestBeforeSignature: Buffer): Buffer {
  return Buffer.concat([SIGNATURE_DOMAIN, digestBeforeSignature]);
}

export function sha256(b: Uint8Array): Buffer {
  return createHash('sha256').update(b).digest();
}

const HEADER_KEYS = ['chunkSize', 'cipher', 'contentId', 'format', 'keyWrap', 'kind', 'noncePrefix', 'recipient', 'sender', 'signature', 'version', 'wrappedKey'];
const MANIFEST_KEYS = [
  'auditHead',
  'contentBytes',
  'contentId',
  'contentName',
  'contentSha256',
  'createdAt',
  'format',
  'keyCheckValue',
  'kind',
  'party',
  'rowCount',
  'schemaFingerprint',
  'sender',
  'version',
];

/** At most `n` characters of attacker-controlled text, for messages. */
export function clip(s: string, n = 80): string {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}

/**
 * Bytes → value, strictly: valid UTF-8 and exactly the canonical JSON of
 * the value it parses to (so no duplicate keys, no whitespace, sorted keys,
 * no escapes a second encoder would write differently). Returns undefined
 * with a reason otherwise.
 */
export function parseCanonical(bytes: Buffer): { value: unknown } | { reason: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { reason: 'is not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: 'is not JSON' };
  }
  let canon: string;
  try {
    canon = canonicalJson(value);
  } catch {
    return { reason: 'is not canonical JSON' };
  }
  if (canon !== text) return { reason: 'is not in canonical JSON form (duplicate keys, unsorted keys, whitespace or non-canonical escapes)' };
  return { value };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactKeys(o: Record<string, unknown>, keys: string[]): boolean {
  const k = Object.keys(o).sort();
  return k.length === keys.length && k.every((x, i) => x === keys[i]);
}

/** Parse and check a header; throws PKG_FORMAT naming what is wrong. */
export function parseHeader(bytes: Buffer, file: string): PackageHeader {
  const bad = (what: string): never => {
    throw new P20Error('PKG_FORMAT', `package header ${what} (not a p20link package, or damaged)`, { file });
  };
  const parsed = parseCanonical(bytes);
  if ('reason' in parsed) return bad(parsed.reason);
  const h = parsed.value;
  if (!isObj(h)) return bad('is not a JSON object');
  if (h.format !== PACKAGE_FORMAT) return bad(`has format ${clip(JSON.stringify(h.format) ?? 'undefined')}`);
  if (h.version !== PACKAGE_VERSION) {
    throw new P20Error('PKG_VERSION', `package version ${clip(JSON.stringify(h.version) ?? 'undefined')} is not supported (this tool reads version ${PACKAGE_VERSION})`, { file });
  }
  if (!exactKeys(h, HEADER_KEYS)) return bad('has missing or unknown fields');
  if (h.kind !== 'encoded' && h.kind !== 'result') return bad('has an unknown kind');
  const s = h.sender;
  if (!isObj(s) || !exactKeys(s, ['fingerprint', 'name']) || typeof s.name !== 'string' || !isValidPartyName(s.name) || typeof s.fingerprint !== 'string' || !FINGERPRINT_RE.test(s.fingerprint)) {
    return bad('has an invalid sender');
  }
  const r = h.recipient;
  if (!isObj(r) || !exactKeys(r, ['fingerprint']) || typeof r.fingerprint !== 'string' || !FINGERPRINT_RE.test(r.fingerprint)) return bad('has an invalid recipient');
  if (typeof h.contentId !== 'string' || !/^[0-9a-f]{32}$/.test(h.contentId)) return bad('has an invalid contentId');
  if (h.keyWrap !== 'RSA-OAEP-SHA256' || h.cipher !== 'AES-256-GCM' || h.signature !== 'RSASSA-PSS-SHA256') return bad('names an unsupported algorithm');
  if (typeof h.wrappedKey !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(h.wrappedKey) || h.wrappedKey.length % 4 !== 0) return bad('has an invalid wrappedKey');
  if (!Number.isInteger(h.chunkSize) || (h.chunkSize as number) < MIN_CHUNK_SIZE || (h.chunkSize as number) > MAX_CHUNK_SIZE) return bad(`has chunkSize outside ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`);
  if (typeof h.noncePrefix !== 'string' || !/^[0-9a-f]{8}$/.test(h.noncePrefix)) return bad('has an invalid noncePrefix');
  return h as unknown as PackageHeader;
}

/** Parse and check a decrypted manifest; throws PKG_MANIFEST. */
export function parseManifest(bytes: Buffer, file: string): PackageManifest {
  const bad = (what: string): never => {
    throw new P20Error('PKG_MANIFEST', `manifest ${what}`, { file });
  };
  const parsed = parseCanonical(bytes);
  if ('reason' in parsed) return bad(parsed.reason);
  const m = parsed.value;
  if (!isObj(m) || m.format !== MANIFEST_FORMAT || m.version !== PACKAGE_VERSION) return bad('has the wrong format or version');
  if (!exactKeys(m, MANIFEST_KEYS)) return bad('has missing or unknown fields');
  const str = (k: string) => typeof m[k] === 'string';
  const strOrNull = (k: string) => m[k] === null || typeof m[k] === 'string';
  if (!str('kind') || !str('contentId') || !str('sender') || !str('createdAt') || !str('contentName') || !str('contentSha256')) return bad('has a field of the wrong type');
  if (!/^[0-9a-f]{64}$/.test(m.contentSha256 as string)) return bad('has an invalid contentSha256');
  if (!Number.isSafeInteger(m.contentBytes) || (m.contentBytes as number) < 0) return bad('has an invalid contentBytes');
  if (!Number.isSafeInteger(m.rowCount) || (m.rowCount as number) < 0) return bad('has an invalid rowCount');
  if (!strOrNull('schemaFingerprint') || !strOrNull('keyCheckValue') || !strOrNull('party')) return bad('has a field of the wrong type');
  const ah = m.auditHead;
  if (ah !== null && !(isObj(ah) && Number.isSafeInteger(ah.seq) && typeof ah.hash === 'string' && /^[0-9a-f]{64}$/.test(ah.hash))) return bad('has an invalid auditHead');
  const cn = m.contentName as string;
  if (cn.length === 0 || cn.length > 255 || /[/\\\0]/.test(cn) || cn === '.' || cn === '..') return bad('has an invalid contentName');
  return m as unknown as PackageManifest;
}

/** Read exactly n bytes at the position; returns fewer only at end of file. */
export async function readAt(fh: FileHandle, n: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === n ? buf : buf.subarray(0, got);
}
