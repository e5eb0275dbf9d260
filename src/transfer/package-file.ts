import { createHash, randomBytes } from 'node:crypto';
import { open, stat, unlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { P20Error } from '../errors.js';
import { openAtomic } from '../io/atomic-file.js';
import { openCsv } from '../io/csv.js';
import { readEncodedHeader } from '../format/encoded-file.js';
import { silentProgress, type Progress } from '../io/progress.js';
import type { Db } from '../store/db.js';
import { canonicalJson } from '../format/canonical-json.js';
import { appendAudit } from '../store/audit-log.js';
import { fsCode, fsErrorText } from './secure-file.js';
import { checkPartyName } from '../format/party.js';
import { oaepWrap, pssSign, type PrivateKeys, type PublicKeys } from './keys.js';
import {
  DEFAULT_CHUNK_SIZE,
  MANIFEST_FORMAT,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
  PACKAGE_FORMAT,
  PACKAGE_VERSION,
  REC_DATA,
  REC_LAST,
  REC_MANIFEST,
  REC_SIGNATURE,
  clip,
  headerBytes,
  readAt,
  recordPrefix,
  sealRecord,
  sha256,
  signatureInput,
  type PackageHeader,
  type PackageKind,
  type PackageManifest,
} from './envelope.js';

export interface PackageFileOptions {
  /** The file to send: an encoded file (kind "encoded") or a links CSV (kind "result"). */
  input: string;
  kind: PackageKind;
  /** Recipient's public keys (its encryption key is used). */
  to: PublicKeys;
  /** Sender's private keys (its signing key is used). */
  sign: PrivateKeys;
  /** Sender name (agency name, or "linker"); must match the recipient's allow-list entry. */
  name: string;
  output: string;
  /** Plaintext bytes per chunk (default 1 MiB). */
  chunkSize?: number;
  /** For results: the agency the links are for (recorded in the manifest). */
  party?: string;
  /** Linker store: issuing a result appends 'result-issued' to its audit log. */
  store?: Db;
  now?: Date;
  progress?: Progress;
  /**
   * Content id (32 hex digits); random by default. The sender chooses it, so
   * a receiver never relies on it being unique across senders: replay
   * protection is keyed on (signing key, content id).
   */
  contentId?: string;
}

export interface PackageFileResult {
  output: string;
  header: PackageHeader;
  manifest: PackageManifest;
  /** Hex SHA-256 of the whole package file. */
  packageSha256: string;
}

async function describeContent(input: string, kind: PackageKind): Promise<{ rowCount: number; schemaFingerprint: string | null; keyCheckValue: string | null; party: string | null }> {
  if (kind === 'encoded') {
    let h;
    try {
      h = await readEncodedHeader(input);
    } catch (e) {
      if (e instanceof P20Error && (e.code === 'ENCODED_FORMAT' || e.code === 'ENCODED_EMPTY')) {
        throw new P20Error(e.code, e.detail, e.location, { hint: { id: 'kind-result', option: 'kind', value: 'result' } });
      }
      throw e;
    }
    return { rowCount: h.rowCount, schemaFingerprint: h.schemaFingerprint, keyCheckValue: h.keyCheckValue, party: h.party };
  }
  const t = await openCsv(input);
  let rows = 0;
  for await (const b of t.batches) rows += b.length;
  return { rowCount: rows, schemaFingerprint: null, keyCheckValue: null, party: null };
}

/**
 * Encrypt, sign and write one package (atomically). Memory stays bounded by
 * two chunks whatever the input size.
 */
export async function packageFile(opts: PackageFileOptions): Promise<PackageFileResult> {
  const name = checkPartyName(opts.name, 'name');
  if (opts.kind !== 'encoded' && opts.kind !== 'result') throw new P20Error('PKG_KIND', `kind must be "encoded" or "result" (got ${JSON.stringify(opts.kind)})`, {});
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) throw new P20Error('PKG_CHUNK', `chunk size must be ${MIN_CHUNK_SIZE}..${MAX_CHUNK_SIZE}`, { field: 'chunk-size' });
  const progress = opts.progress ?? silentProgress;
  const st = await stat(opts.input).catch((e: NodeJS.ErrnoException) => {
    throw new P20Error(fsCode(e, 'PKG_INPUT'), `cannot read input: ${fsErrorText(e)}`, { file: opts.input });
  });
  if (!st.isFile()) throw new P20Error('PKG_INPUT', 'input is not a regular file', { file: opts.input });
  const outDir = await stat(dirname(resolve(opts.output))).catch(() => undefined);
  if (!outDir?.isDirectory()) throw new P20Error('PKG_WRITE', 'the output directory does not exist', { file: opts.output });
  const desc = await describeContent(opts.input, opts.kind);
  if (opts.party !== undefined) {
    const party = checkPartyName(opts.party, 'party');
    if (opts.kind === 'encoded' && desc.party !== party) {
      throw new P20Error('PKG_PARTY', `differs from the party "${clip(String(desc.party))}" the encoded file was made for; the linker would refuse the package`, { file: opts.input }, { hint: { id: 'lead', option: 'party', value: party } });
    }
    desc.party = party;
  }
  if (opts.kind === 'result' && desc.party === null) {
    throw new P20Error('PKG_PARTY', 'a result package must name the agency it is for: the agency refuses results addressed to anyone else', { field: 'party' }, { hint: { id: 'result-party', option: 'party', value: 'NAME' } });
  }

  const key = randomBytes(32);
  const contentId = opts.contentId ?? randomBytes(16).toString('hex');
  if (!/^[0-9a-f]{32}$/.test(contentId)) throw new P20Error('PKG_CONTENT_ID', 'content id must be 32 lower-case hex digits', { field: 'contentId' });
  const prefix = randomBytes(4);
  const header: PackageHeader = {
    format: PACKAGE_FORMAT,
    version: PACKAGE_VERSION,
    kind: opts.kind,
    sender: { name, fingerprint: opts.sign.sign.fingerprint },
    recipient: { fingerprint: opts.to.encrypt.fingerprint },
    contentId,
    keyWrap: 'RSA-OAEP-SHA256',
    wrappedKey: oaepWrap(opts.to.encrypt.key, key).toString('base64'),
    cipher: 'AES-256-GCM',
    chunkSize,
    noncePrefix: prefix.toString('hex'),
    signature: 'RSASSA-PSS-SHA256',
  };
  const head = headerBytes(header);
  const headerHash = sha256(head);
  const whole = createHash('sha256'); // everything before the signature
  const fileHash = createHash('sha256'); // the whole package
  const contentHash = createHash('sha256');
  const out = openAtomic(opts.output, 0o600);
  const emit = async (b: Buffer) => {
    whole.update(b);
    fileHash.update(b);
    await out.write(b);
  };
  let index = 0;
  const seal = async (type: number, plain: Buffer) => {
    await emit(sealRecord(key, prefix, index, headerHash, type, plain));
    index++;
  };
  const fh = await open(opts.input, 'r');
  let total = 0;
  try {
    await emit(head);
    let pos = 0;
    let cur = await readAt(fh, chunkSize, pos);
    pos += cur.length;
    for (;;) {
      contentHash.update(cur);
      total += cur.length;
      if (cur.length < chunkSize) {
        await seal(REC_LAST, cur);
        break;
      }
      const next = await readAt(fh, chunkSize, pos);
      pos += next.length;
      if (next.length === 0) {
        await seal(REC_LAST, cur);
        break;
      }
      await seal(REC_DATA, cur);
      cur = next;
      progress.update(total, st.size);
    }
    const auditHead = opts.store && opts.kind === 'result' ? currentHead(opts.store) : null;
    const manifest: PackageManifest = {
      format: MANIFEST_FORMAT,
      version: PACKAGE_VERSION,
      kind: opts.kind,
      contentId,
      sender: name,
      createdAt: (opts.now ?? new Date()).toISOString(),
      contentName: basename(opts.input),
      contentBytes: total,
      contentSha256: contentHash.digest('hex'),
      rowCount: desc.rowCount,
      schemaFingerprint: desc.schemaFingerprint,
      keyCheckValue: desc.keyCheckValue,
      party: desc.party,
      auditHead,
    };
    await seal(REC_MANIFEST, Buffer.from(canonicalJson(manifest), 'utf8'));
    const sig = pssSign(opts.sign.sign.key, signatureInput(whole.digest()));
    const sigRec = Buffer.concat([recordPrefix(REC_SIGNATURE, sig.length), sig]);
    fileHash.update(sigRec);
    await out.write(sigRec);
    await fh.close();
    await out.commit();
    progress.finish();
    key.fill(0);
    const packageSha256 = fileHash.digest('hex');
    if (opts.store && opts.kind === 'result') {
      try {
        appendAudit(opts.store, {
          type: 'result-issued',
          detail: {
            contentId,
            to: opts.to.encrypt.fingerprint,
            party: desc.party,
            sender: name,
            signer: opts.sign.sign.fingerprint,
            rows: desc.rowCount,
            contentSha256: manifest.contentSha256,
            packageSha256,
            output: basename(opts.output),
          },
        });
      } catch (e) {
        await unlink(opts.output).catch(() => undefined);
        throw e;
      }
    }
    return { output: opts.output, header, manifest, packageSha256 };
  } catch (e) {
    key.fill(0);
    await fh.close().catch(() => undefined);
    await out.abort();
    throw e;
  }
}

function currentHead(db: Db): { seq: number; hash: string } | null {
  const t = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'").get();
  if (!t) return null;
  const h = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  return h ?? null;
}
