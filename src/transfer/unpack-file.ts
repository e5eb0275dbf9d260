import { createHash } from 'node:crypto';
import { constants, linkSync, unlinkSync } from 'node:fs';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { type ErrorCode, P20Error, isP20Error } from '../errors.js';
import { tempPathFor } from '../io/atomic-file.js';
import { readEncodedHeader } from '../format/encoded-file.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { writeTransaction, type Db } from '../store/db.js';
import { appendAudit } from '../store/audit-log.js';
import type { PackageFileResult } from './package-file.js';
import type { AllowList, AllowedSender } from './allow-list.js';
import { oaepUnwrap, pssVerify, type PrivateKeys } from './keys.js';
import { acceptedBefore, recordAccepted } from '../store/replay.js';
import { checkResult, recordResult, type ResultLedger } from '../store/result-ledger.js';
import { fsCode, fsErrorText } from './secure-file.js';
import {
  MAGIC,
  MAX_HEADER_BYTES,
  RECORD_PREFIX_BYTES,
  REC_DATA,
  REC_LAST,
  REC_MANIFEST,
  REC_SIGNATURE,
  RecordCursor,
  TAG_BYTES,
  clip,
  maxRecordBody,
  openRecord,
  parseHeader,
  parseManifest,
  recordBodyAllowed,
  sha256,
  signatureInput,
  type PackageHeader,
  type PackageKind,
  type PackageManifest,
} from './envelope.js';

export interface UnpackFileOptions {
  /** The .p20pkg file. */
  input: string;
  /** Our private keys (the encryption key decrypts). */
  key: PrivateKeys;
  /** Senders we accept, with their signing keys (and the parties each may submit for). */
  allow: AllowList;
  /** Where the content goes (refused if it exists). */
  output: string;
  /** The kind we expect; a package of any other kind is refused. Required: the role decides it. */
  expectKind: PackageKind;
  /**
   * The linker's store, for replay protection and the audit log. Required
   * for kind "encoded" (the linker).
   */
  store?: Db;
  /** The agency's result ledger. Required for kind "result" (an agency). */
  ledger?: ResultLedger;
  now?: Date;
  progress?: Progress;
}

/** What was written, with the verified header and manifest (same shape as packageFile's result). */
export type UnpackFileResult = PackageFileResult;

/** Error codes of refusals; all are P20Errors with exit code 2. */
export const REFUSAL_CODES = [
  'PKG_FORMAT',
  'PKG_VERSION',
  'PKG_TRUNCATED',
  'PKG_UNKNOWN_SIGNER',
  'PKG_WRONG_RECIPIENT',
  'PKG_WRONG_KIND',
  'PKG_REPLAY',
  'PKG_TAMPERED',
  'PKG_BAD_SIGNATURE',
  'PKG_CHANGED',
  'PKG_MANIFEST',
  'PKG_CONTENT_MISMATCH',
  'PKG_PARTY_NOT_ALLOWED',
  'PKG_WRONG_PARTY',
  'PKG_RESULT_STALE',
  'PKG_RESULT_FORK',
] as const;

/** Longest refusal message kept in the audit log (the rest is attacker-controllable text). */
export const MAX_REFUSAL_MESSAGE = 300;

interface Seen {
  header?: PackageHeader;
  packageSha256?: string;
}

/**
 * Verify and decrypt one package, in two passes over the file:
 *
 * 1. verify: parse the header (allow-listed sender, our key, expected kind,
 *    not a replay), walk the record structure and hash every byte, and check
 *    the sender's signature over the whole file. No private-key operation,
 *    no decryption and no output happen before the signature holds.
 * 2. decrypt: unwrap the content key, decrypt the chunks to a temp file
 *    beside the output while hashing the file again; the file must hash to
 *    what was verified (and have the same size and mtime), or it changed
 *    between the passes and is refused.
 *
 * Then the sender's claims about the content are checked (manifest, party),
 * and the output is moved into place — with a store, in the same transaction
 * that records the (signer, content id) and the 'package-accepted' audit
 * entry; with a ledger, in the transaction that records the result. On any
 * failure nothing is written, a 'package-refused' entry is appended (with a
 * store) and a P20Error (exit code 2) says what failed.
 */
export async function unpackFile(opts: UnpackFileOptions): Promise<UnpackFileResult> {
  const seen: Seen = {};
  try {
    return await unpackInner(opts, seen);
  } catch (e) {
    if (opts.store && isP20Error(e) && e.code !== 'STORE_BUSY') {
      try {
        appendAudit(
          opts.store,
          {
            type: 'package-refused',
            detail: {
              reason: e.code,
              message: clip(e.message, MAX_REFUSAL_MESSAGE),
              package: clip(basename(opts.input), 255),
              packageSha256: seen.packageSha256 ?? null,
              contentId: seen.header?.contentId ?? null,
              kind: seen.header?.kind ?? null,
              sender: seen.header?.sender.name ?? null,
              signer: seen.header?.sender.fingerprint ?? null,
            },
          },
          opts.now,
        );
      } catch {
        // the refusal itself stands; a broken audit log is reported by `audit verify`
      }
    }
    throw e;
  }
}

type Refuse = (code: ErrorCode, msg: string) => never;

/** What pass 1 established about the file. */
interface Verified {
  header: PackageHeader;
  headerHash: Buffer;
  headerEnd: number;
  allowed: AllowedSender;
  /** SHA-256 of every byte before the signature record. */
  signedDigest: Buffer;
  /** SHA-256 of the whole file. */
  fileDigest: Buffer;
  size: number;
  mtimeMs: number;
}

/** What pass 2 produced: the content in a temp file, and the decrypted manifest bytes. */
interface Decrypted {
  manifestBytes: Buffer;
  contentBytes: number;
  /** Hex SHA-256 of the decrypted content. */
  contentSha256: string;
}

/** What needs cleaning up whatever happens: the content key and the temp file. */
interface Work {
  key?: Buffer;
  temp?: string;
}

/** The stages, in order; each refuses (P20Error, exit 2) or hands its result on. */
async function unpackInner(opts: UnpackFileOptions, seen: Seen): Promise<UnpackFileResult> {
  const file = opts.input;
  const progress = opts.progress ?? silentProgress;
  const refuse: Refuse = (code, msg) => {
    throw new P20Error(code, `package refused: ${msg}`, { file });
  };
  await checkRequest(opts);
  const fh = await openPackage(file);
  const work: Work = {};
  try {
    const v = await verifySignature(fh, opts, seen, refuse, progress); // pass 1: nothing decrypted before the signature holds
    await refuseIfChanged(fh, v, refuse);
    work.key = unwrapKey(v.header, opts.key, refuse);
    const d = await decryptAndRecheck(fh, v, work, opts.output, refuse, progress); // pass 2
    progress.finish();
    const manifest = await checkContent(file, v, d, work.temp!, refuse);
    return recordAcceptance(opts, v.header, manifest, d, work.temp!, seen, refuse);
  } finally {
    work.key?.fill(0);
    await fh.close().catch(() => undefined);
    if (work.temp) await removeTemp(work.temp);
  }
}

/** The caller's side of the contract: the role (kind + store or ledger) and a new output. */
async function checkRequest(opts: UnpackFileOptions): Promise<void> {
  const file = opts.input;
  if (opts.expectKind !== 'encoded' && opts.expectKind !== 'result') {
    throw new P20Error('PKG_KIND', 'say which kind of package you expect: "encoded" at the linker, "result" at an agency', { field: 'kind' });
  }
  if (opts.expectKind === 'encoded' && !opts.store) {
    throw new P20Error('PKG_NO_STORE', 'an encoded-data package can only be accepted with a store for replay protection and the audit log', { file }, { hint: { id: 'need-store', option: 'store', value: 'linker.db' } });
  }
  if (opts.expectKind === 'result' && !opts.ledger) {
    throw new P20Error('PKG_NO_LEDGER', 'a result package can only be accepted with the agency\'s result ledger, which refuses replayed, stale and misaddressed results', { file }, { hint: { id: 'need-ledger', option: 'ledger' } });
  }
  try {
    await stat(opts.output);
    throw new P20Error('PKG_OUTPUT_EXISTS', 'output already exists; refusing to overwrite it', { file: opts.output });
  } catch (e) {
    if (isP20Error(e)) throw e;
  }
}

async function openPackage(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (e) {
    throw new P20Error(fsCode(e, 'PKG_OPEN'), `cannot open package: ${fsErrorText(e)}`, { file });
  }
}

/** Pass 1: header checks (sender, recipient, kind, replay), record structure, signature over the whole file. */
async function verifySignature(fh: FileHandle, opts: UnpackFileOptions, seen: Seen, refuse: Refuse, progress: Progress): Promise<Verified> {
  const st = await fh.stat();
  const size = st.size;
  const whole = createHash('sha256');
  const fileHash = createHash('sha256');
  const cur = new RecordCursor(fh, 0, (what) => refuse('PKG_TRUNCATED', `file ends inside the ${what} (truncated)`));
  const both = [whole, fileHash];
  const magic = await cur.take(MAGIC.length, 'magic number', both);
  if (!magic.equals(MAGIC)) refuse('PKG_FORMAT', 'not a p20link package (wrong magic number)');
  const lenBuf = await cur.take(4, 'header length', both);
  const hlen = lenBuf.readUInt32BE(0);
  if (hlen < 2 || hlen > MAX_HEADER_BYTES) refuse('PKG_FORMAT', `header length ${hlen} is out of range (damaged)`);
  const hbytes = await cur.take(hlen, 'header', both);
  const header = parseHeader(hbytes, opts.input);
  seen.header = header;
  const headerHash = sha256(Buffer.concat([magic, lenBuf, hbytes]));
  const headerEnd = cur.pos;
  const allowed = checkHeader(header, opts, refuse);

  // Walk the records; hash, do not decrypt.
  let chunks = 0;
  for (;;) {
    const { type, len } = await cur.prefix(`record ${chunks + 1}`, both);
    if (type !== REC_DATA && type !== REC_LAST) {
      if (type === REC_MANIFEST || type === REC_SIGNATURE) refuse('PKG_TRUNCATED', 'the content ends without its last chunk (chunks removed)');
      refuse('PKG_FORMAT', `unknown record type ${type} at byte ${cur.pos - RECORD_PREFIX_BYTES} (damaged)`);
    }
    if (!recordBodyAllowed(type, len, header.chunkSize)) {
      refuse('PKG_TAMPERED', `tampered: chunk ${chunks + 1} has length ${len}, not allowed by chunk size ${header.chunkSize}`);
    }
    await cur.take(len, `chunk ${chunks + 1}`, both);
    chunks++;
    progress.update(cur.pos, 2 * size);
    if (type === REC_LAST) break;
  }
  const mp = await cur.prefix('manifest', both);
  if (mp.type !== REC_MANIFEST) refuse('PKG_FORMAT', `expected the manifest record after the last chunk, found type ${mp.type}`);
  if (!recordBodyAllowed(REC_MANIFEST, mp.len, header.chunkSize)) refuse('PKG_TAMPERED', 'tampered: manifest record has an impossible length');
  await cur.take(mp.len, 'manifest', both);
  const sp = await cur.prefix('signature', [fileHash]);
  if (sp.type !== REC_SIGNATURE) refuse('PKG_FORMAT', `expected the signature record, found type ${sp.type}`);
  if (!recordBodyAllowed(REC_SIGNATURE, sp.len, header.chunkSize)) refuse('PKG_BAD_SIGNATURE', 'bad signature: signature record has an impossible length');
  const sig = await cur.take(sp.len, 'signature', [fileHash]);
  if (cur.pos !== size) refuse('PKG_FORMAT', `${size - cur.pos} unexpected bytes after the signature`);
  const signedDigest = whole.digest();
  const fileDigest = fileHash.digest();
  seen.packageSha256 = fileDigest.toString('hex');
  if (!pssVerify(allowed.sign.key, signatureInput(signedDigest), sig)) {
    refuse('PKG_BAD_SIGNATURE', `bad signature: the package is not signed by the allow-listed key of "${header.sender.name}" (or was altered)`);
  }
  return { header, headerHash, headerEnd, allowed, signedDigest, fileDigest, size, mtimeMs: st.mtimeMs };
}

/** Who sent it, to whom, of what kind, seen before? All before reading past the header. */
function checkHeader(header: PackageHeader, opts: UnpackFileOptions, refuse: Refuse): AllowedSender {
  const allowed = opts.allow.senders.get(header.sender.name);
  if (!allowed) return refuse('PKG_UNKNOWN_SIGNER', `unknown signer: sender "${header.sender.name}" is not in the allow-list ${opts.allow.source}`);
  if (allowed.sign.fingerprint !== header.sender.fingerprint) {
    refuse('PKG_UNKNOWN_SIGNER', `unknown signer: the package claims sender "${header.sender.name}" but names signing key ${header.sender.fingerprint}; the allow-listed key for "${header.sender.name}" is ${allowed.sign.fingerprint}`);
  }
  if (header.recipient.fingerprint !== opts.key.encrypt.fingerprint) {
    refuse('PKG_WRONG_RECIPIENT', `wrong recipient: the package is encrypted to key ${header.recipient.fingerprint}, our key is ${opts.key.encrypt.fingerprint}`);
  }
  if (header.kind !== opts.expectKind) refuse('PKG_WRONG_KIND', `expected a package of kind "${opts.expectKind}", this one is "${header.kind}"`);
  if (opts.store) {
    const prev = acceptedBefore(opts.store, header.sender.fingerprint, header.contentId);
    if (prev) refuse('PKG_REPLAY', `replay: content id ${header.contentId} was already accepted from this signer (at ${prev.accepted_at})`);
  }
  return allowed;
}

const CHANGED = 'the package file changed while it was being read';

/** Between the passes: the file must still have the size and mtime pass 1 saw. */
async function refuseIfChanged(fh: FileHandle, v: Verified, refuse: Refuse): Promise<void> {
  const st = await fh.stat();
  if (st.size !== v.size || st.mtimeMs !== v.mtimeMs) refuse('PKG_CHANGED', CHANGED);
}

/** Unwrap the content key with our private key; one message for every failure (no oracle on why). */
function unwrapKey(header: PackageHeader, ours: PrivateKeys, refuse: Refuse): Buffer {
  const wrapped = Buffer.from(header.wrappedKey, 'base64');
  let key: Buffer | undefined;
  try {
    if (wrapped.length !== Math.ceil(ours.encrypt.bits / 8)) throw new Error('length');
    key = oaepUnwrap(ours.encrypt.key, wrapped);
    if (key.length !== 32) throw new Error('length');
    return key;
  } catch {
    key?.fill(0);
    return refuse('PKG_TAMPERED', 'the content key cannot be unwrapped with our key');
  }
}

/**
 * Pass 2: decrypt the chunks into a new temp file beside the output (mode
 * 0600; its path goes into `work.temp` for the caller to remove) while hashing
 * the file again; the file must hash to what pass 1 verified, or it changed
 * between the passes and is refused.
 */
async function decryptAndRecheck(fh: FileHandle, v: Verified, work: Work, output: string, refuse: Refuse, progress: Progress): Promise<Decrypted> {
  const { header } = v;
  const key = work.key!;
  const prefix = Buffer.from(header.noncePrefix, 'hex');
  const temp = tempPathFor(output);
  let out: FileHandle;
  try {
    out = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    throw new P20Error(fsCode(e, 'PKG_WRITE'), `cannot create the output: ${fsErrorText(e)}`, { file: output });
  }
  work.temp = temp;
  try {
    const again = createHash('sha256'); // bytes before the signature, second time
    const fileAgain = createHash('sha256');
    const cur = new RecordCursor(fh, 0, () => refuse('PKG_CHANGED', CHANGED));
    await cur.take(v.headerEnd, 'header', [again, fileAgain]);
    const contentHash = createHash('sha256');
    let contentBytes = 0;
    let index = 0;
    const decrypt = (type: number, body: Buffer, what: string): Buffer => {
      if (body.length < TAG_BYTES) refuse('PKG_TAMPERED', `tampered: ${what} is shorter than its tag`);
      const plain = openRecord(key, prefix, index, v.headerHash, type, body);
      if (!plain) return refuse('PKG_TAMPERED', `tampered: ${what} fails authentication (signed by the sender, but not decryptable with the content key)`);
      index++;
      return plain;
    };
    let manifestBytes: Buffer | undefined;
    for (;;) {
      const { type, len } = await cur.prefix('record', [again, fileAgain]);
      // the structure was checked in pass 1; anything else now means the file changed
      if (len > maxRecordBody(type === REC_MANIFEST ? REC_MANIFEST : REC_DATA, header.chunkSize) || cur.pos + len > v.size) refuse('PKG_CHANGED', CHANGED);
      const body = await cur.take(len, 'record', [again, fileAgain]);
      if (type === REC_MANIFEST) {
        manifestBytes = decrypt(REC_MANIFEST, body, 'the manifest');
        break;
      }
      if (type !== REC_DATA && type !== REC_LAST) refuse('PKG_CHANGED', CHANGED);
      const plain = decrypt(type, body, `chunk ${index + 1}`);
      contentHash.update(plain);
      contentBytes += plain.length;
      await out.write(plain);
      progress.update(v.size + cur.pos, 2 * v.size);
    }
    if (cur.pos > v.size) refuse('PKG_CHANGED', CHANGED);
    await cur.take(v.size - cur.pos, 'signature', [fileAgain]);
    if (!again.digest().equals(v.signedDigest) || !fileAgain.digest().equals(v.fileDigest)) {
      refuse('PKG_CHANGED', 'the package file changed between verifying its signature and decrypting it');
    }
    await out.sync();
    return { manifestBytes: manifestBytes!, contentBytes, contentSha256: contentHash.digest('hex') };
  } finally {
    await out.close().catch(() => undefined);
  }
}

/**
 * Signed, authentic and decrypted: now check the sender's claims about the
 * content (manifest against header and content; for encoded data, the
 * encoded file's own header, and the parties the sender may submit for).
 */
async function checkContent(file: string, v: Verified, d: Decrypted, temp: string, refuse: Refuse): Promise<PackageManifest> {
  const { header, allowed } = v;
  const manifest = parseManifest(d.manifestBytes, file);
  const mismatch = (what: string): never => refuse('PKG_CONTENT_MISMATCH', `content does not match the manifest: ${what}`);
  if (manifest.kind !== header.kind) mismatch(`manifest kind "${manifest.kind}" differs from header kind "${header.kind}"`);
  if (manifest.contentId !== header.contentId) mismatch('manifest content id differs from the header');
  if (manifest.sender !== header.sender.name) mismatch(`manifest sender "${clip(manifest.sender)}" differs from header sender "${header.sender.name}"`);
  if (manifest.contentBytes !== d.contentBytes) mismatch(`${d.contentBytes} bytes decrypted, manifest says ${manifest.contentBytes}`);
  if (manifest.contentSha256 !== d.contentSha256) mismatch(`SHA-256 of the content is ${d.contentSha256}, manifest says ${manifest.contentSha256}`);
  if (header.kind === 'encoded') {
    let eh;
    try {
      eh = await readEncodedHeader(temp);
    } catch (e) {
      return mismatch(`the content is not a valid encoded file (${isP20Error(e) ? e.code : 'unreadable'})`);
    }
    if (eh.schemaFingerprint !== manifest.schemaFingerprint) mismatch(`schema fingerprint ${clip(eh.schemaFingerprint)} differs from the manifest's ${clip(String(manifest.schemaFingerprint))}`);
    if (eh.keyCheckValue !== manifest.keyCheckValue) mismatch('key check value differs from the manifest');
    if (eh.rowCount !== manifest.rowCount) mismatch(`encoded file has ${eh.rowCount} rows, manifest says ${manifest.rowCount}`);
    if (eh.party !== manifest.party) mismatch(`the encoded file is for party "${clip(eh.party)}", the manifest says "${clip(String(manifest.party))}"`);
    if (!allowed.parties.includes(eh.party)) {
      refuse(
        'PKG_PARTY_NOT_ALLOWED',
        `sender "${allowed.name}" may submit data for ${allowed.parties.map((x) => `"${x}"`).join(', ')} only, and this encoded file is for party "${clip(eh.party)}" (party spoofing; if "${allowed.name}" really submits for it, list it under "parties" in the allow-list)`,
      );
    }
  }
  return manifest;
}

/**
 * Accept: record the acceptance and move the output into place, all or
 * nothing. At the linker (store): the replay row and the 'package-accepted'
 * audit entry; at an agency (ledger): the ledger's checks and its row.
 */
function recordAcceptance(opts: UnpackFileOptions, header: PackageHeader, manifest: PackageManifest, d: Decrypted, temp: string, seen: Seen, refuse: Refuse): UnpackFileResult {
  const now = opts.now ?? new Date();
  const place = () => placeOutput(temp, opts.output);
  let placed = false;
  const signer = header.sender.fingerprint;
  try {
    if (opts.store) {
      const db = opts.store;
      writeTransaction(db, () => {
        if (acceptedBefore(db, signer, header.contentId)) refuse('PKG_REPLAY', `replay: content id ${header.contentId} from this signer was already accepted`);
        recordAccepted(db, { contentId: header.contentId, kind: header.kind, sender: header.sender.name, signer, contentSha256: d.contentSha256, time: now });
        appendAudit(
          db,
          {
            type: 'package-accepted',
            detail: {
              contentId: header.contentId,
              kind: header.kind,
              sender: header.sender.name,
              signer,
              recipient: header.recipient.fingerprint,
              package: clip(basename(opts.input), 255),
              packageSha256: seen.packageSha256,
              contentSha256: d.contentSha256,
              contentBytes: d.contentBytes,
              rows: manifest.rowCount,
              schemaFingerprint: manifest.schemaFingerprint,
              keyCheckValue: manifest.keyCheckValue,
              party: manifest.party,
              createdAt: manifest.createdAt,
              output: clip(basename(opts.output), 255),
            },
          },
          now,
        );
        place();
        placed = true;
      });
    } else if (opts.ledger) {
      const ledger = opts.ledger;
      writeTransaction(ledger.db, () => {
        checkResult(ledger, signer, header.contentId, manifest, refuse);
        recordResult(ledger, signer, header.contentId, manifest, now);
        place();
        placed = true;
      });
    }
  } catch (e) {
    if (placed) unlinkSync(opts.output); // commit failed after the link
    throw e;
  }
  return { output: opts.output, header, manifest, packageSha256: seen.packageSha256! };
}

/** Hard-link the temp file to the output: never overwrites (EEXIST is a refusal). */
function placeOutput(temp: string, output: string): void {
  try {
    linkSync(temp, output);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new P20Error(
      code === 'EEXIST' ? 'PKG_OUTPUT_EXISTS' : fsCode(e, 'PKG_WRITE'),
      code === 'EEXIST' ? 'output already exists; refusing to overwrite it' : `cannot write output: ${fsErrorText(e)}`,
      { file: output },
    );
  }
}

async function removeTemp(temp: string): Promise<void> {
  try {
    unlinkSync(temp);
  } catch {
    await unlink(temp).catch(() => undefined);
  }
}
