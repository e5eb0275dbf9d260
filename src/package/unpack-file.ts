import { createDecipheriv, createHash } from 'node:crypto';
import { constants, linkSync, unlinkSync } from 'node:fs';
import { open, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { P20Error, isP20Error } from '../errors.js';
import { tempPathFor } from '../io/atomic-file.js';
import { readEncodedHeader } from '../format/encoded-file.js';
import { silentProgress, type Progress } from '../io/progress.js';
import type { Db } from '../store/db.js';
import { appendAudit } from './audit-log.js';
import type { PackageFileResult } from './package-file.js';
import type { AllowList } from './allow-list.js';
import { oaepUnwrap, pssVerify, type PrivateKeys } from './keys.js';
import { acceptedBefore, recordAccepted } from './replay.js';
import {
  MAGIC,
  MAX_HEADER_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_SIGNATURE_BYTES,
  REC_DATA,
  REC_LAST,
  REC_MANIFEST,
  REC_SIGNATURE,
  TAG_BYTES,
  aadFor,
  nonceFor,
  parseHeader,
  parseManifest,
  readAt,
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
  /** Senders we accept, with their signing keys. */
  allow: AllowList;
  /** Where the content goes (refused if it exists). */
  output: string;
  /**
   * Store for replay protection and the audit log. Required for kind
   * "encoded" (the linker); optional for results (an agency).
   */
  store?: Db;
  /** Refuse packages of any other kind. */
  expectKind?: PackageKind;
  now?: Date;
  progress?: Progress;
}

/** What was written, with the verified header and manifest (same shape as packageFile's result). */
export type UnpackFileResult = PackageFileResult;

/** Error codes of refusals; all are P20Errors. */
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
  'PKG_MANIFEST',
  'PKG_CONTENT_MISMATCH',
] as const;

interface Seen {
  header?: PackageHeader;
  packageSha256?: string;
}

/**
 * Verify and decrypt one package. Content is decrypted to a temp file beside
 * the output and moved into place only after every check has passed (and,
 * with a store, in the same transaction that records the content id and the
 * 'package-accepted' audit entry). On any failure nothing is written, a
 * 'package-refused' entry is appended (with a store) and a P20Error says
 * what failed.
 */
export async function unpackFile(opts: UnpackFileOptions): Promise<UnpackFileResult> {
  const seen: Seen = {};
  try {
    return await unpackInner(opts, seen);
  } catch (e) {
    if (opts.store && isP20Error(e)) {
      try {
        appendAudit(opts.store, {
          type: 'package-refused',
          detail: {
            reason: e.code,
            message: e.message,
            package: basename(opts.input),
            packageSha256: seen.packageSha256 ?? null,
            contentId: seen.header?.contentId ?? null,
            kind: seen.header?.kind ?? null,
            sender: seen.header?.sender.name ?? null,
            signer: seen.header?.sender.fingerprint ?? null,
          },
        }, opts.now);
      } catch {
        // the refusal itself stands; a broken audit log is reported by `audit verify`
      }
    }
    throw e;
  }
}

async function unpackInner(opts: UnpackFileOptions, seen: Seen): Promise<UnpackFileResult> {
  const file = opts.input;
  const progress = opts.progress ?? silentProgress;
  const refuse = (code: string, msg: string): never => {
    throw new P20Error(code, `package refused: ${msg}`, { file });
  };
  try {
    await stat(opts.output);
    throw new P20Error('PKG_OUTPUT_EXISTS', 'output already exists; refusing to overwrite it', { file: opts.output });
  } catch (e) {
    if (isP20Error(e)) throw e;
  }
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new P20Error('PKG_OPEN', `cannot open package: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file });
  }
  const size = (await fh.stat()).size;
  const whole = createHash('sha256');
  const fileHash = createHash('sha256');
  let pos = 0;
  const take = async (n: number, what: string): Promise<Buffer> => {
    const b = await readAt(fh, n, pos);
    if (b.length < n) refuse('PKG_TRUNCATED', `file ends inside the ${what} (truncated)`);
    pos += n;
    fileHash.update(b);
    return b;
  };
  let temp: string | undefined;
  let out: FileHandle | undefined;
  let key: Buffer | undefined;
  try {
    const magic = await take(MAGIC.length, 'magic number');
    if (!magic.equals(MAGIC)) refuse('PKG_FORMAT', 'not a p20link package (wrong magic number)');
    const lenBuf = await take(4, 'header length');
    const hlen = lenBuf.readUInt32BE(0);
    if (hlen < 2 || hlen > MAX_HEADER_BYTES) refuse('PKG_FORMAT', `header length ${hlen} is out of range (damaged)`);
    const hbytes = await take(hlen, 'header');
    const header = parseHeader(hbytes, file);
    seen.header = header;
    const headerRaw = Buffer.concat([magic, lenBuf, hbytes]);
    whole.update(headerRaw);
    const headerHash = sha256(headerRaw);

    // Who sent it, to whom, of what kind, seen before? All before any decryption.
    const allowed = opts.allow.senders.get(header.sender.name);
    if (!allowed) refuse('PKG_UNKNOWN_SIGNER', `unknown signer: sender "${header.sender.name}" is not in the allow-list ${opts.allow.source}`);
    if (allowed!.sign.fingerprint !== header.sender.fingerprint) {
      refuse('PKG_UNKNOWN_SIGNER', `unknown signer: the package claims sender "${header.sender.name}" but names signing key ${header.sender.fingerprint}; the allow-listed key for "${header.sender.name}" is ${allowed!.sign.fingerprint}`);
    }
    if (header.recipient.fingerprint !== opts.key.encrypt.fingerprint) {
      refuse('PKG_WRONG_RECIPIENT', `wrong recipient: the package is encrypted to key ${header.recipient.fingerprint}, our key is ${opts.key.encrypt.fingerprint}`);
    }
    if (opts.expectKind && header.kind !== opts.expectKind) refuse('PKG_WRONG_KIND', `expected a package of kind "${opts.expectKind}", this one is "${header.kind}"`);
    if (!opts.store && header.kind === 'encoded') {
      throw new P20Error('PKG_NO_STORE', 'an encoded-data package can only be accepted with a store (--store linker.db) for replay protection and the audit log', { file });
    }
    if (opts.store) {
      const prev = acceptedBefore(opts.store, header.contentId);
      if (prev) refuse('PKG_REPLAY', `replay: content id ${header.contentId} was already accepted (from "${prev.sender}" at ${prev.accepted_at})`);
    }

    const wrapped = Buffer.from(header.wrappedKey, 'base64');
    if (wrapped.length !== Math.ceil(opts.key.encrypt.bits / 8)) refuse('PKG_TAMPERED', 'tampered: the wrapped content key has the wrong length');
    try {
      key = oaepUnwrap(opts.key.encrypt.forge, wrapped);
    } catch {
      refuse('PKG_TAMPERED', 'tampered: the wrapped content key does not decrypt with our key (altered in transit)');
    }
    if (key!.length !== 32) refuse('PKG_TAMPERED', 'tampered: the content key has the wrong length');
    const prefix = Buffer.from(header.noncePrefix, 'hex');

    temp = tempPathFor(opts.output);
    try {
      out = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    } catch (e) {
      temp = undefined;
      throw new P20Error('PKG_WRITE', `cannot create the output: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file: opts.output });
    }
    const contentHash = createHash('sha256');
    let contentBytes = 0;
    let index = 0;
    const openRecord = async (what: string): Promise<{ type: number; len: number; raw: Buffer }> => {
      const p = await take(5, what);
      return { type: p[0]!, len: p.readUInt32BE(1), raw: p };
    };
    const decrypt = (type: number, body: Buffer, what: string): Buffer => {
      if (body.length < TAG_BYTES) refuse('PKG_TAMPERED', `tampered: ${what} is shorter than its tag`);
      const d = createDecipheriv('aes-256-gcm', key!, nonceFor(prefix, index));
      d.setAAD(aadFor(headerHash, type));
      d.setAuthTag(body.subarray(body.length - TAG_BYTES));
      try {
        const plain = Buffer.concat([d.update(body.subarray(0, body.length - TAG_BYTES)), d.final()]);
        index++;
        return plain;
      } catch {
        return refuse('PKG_TAMPERED', `tampered: ${what} fails authentication (a byte was changed, or the record was moved from elsewhere)`);
      }
    };
    for (;;) {
      const r = await openRecord(`record ${index + 1}`);
      if (r.type !== REC_DATA && r.type !== REC_LAST) {
        if (r.type === REC_MANIFEST || r.type === REC_SIGNATURE) refuse('PKG_TRUNCATED', `the content ends without its last chunk (chunks removed)`);
        refuse('PKG_FORMAT', `unknown record type ${r.type} at byte ${pos - 5} (damaged)`);
      }
      const maxLen = header.chunkSize + TAG_BYTES;
      if (r.len > maxLen || (r.type === REC_DATA && r.len !== maxLen)) refuse('PKG_TAMPERED', `tampered: chunk ${index + 1} has length ${r.len}, not allowed by chunk size ${header.chunkSize}`);
      const body = await take(r.len, `chunk ${index + 1}`);
      whole.update(r.raw);
      whole.update(body);
      const plain = decrypt(r.type, body, `chunk ${index + 1}`);
      contentHash.update(plain);
      contentBytes += plain.length;
      await out.write(plain);
      progress.update(pos, size);
      if (r.type === REC_LAST) break;
    }
    const mr = await openRecord('manifest');
    if (mr.type !== REC_MANIFEST) refuse('PKG_FORMAT', `expected the manifest record after the last chunk, found type ${mr.type}`);
    if (mr.len > MAX_MANIFEST_BYTES + TAG_BYTES) refuse('PKG_TAMPERED', 'tampered: manifest record is too long');
    const mbody = await take(mr.len, 'manifest');
    whole.update(mr.raw);
    whole.update(mbody);
    const mplain = decrypt(REC_MANIFEST, mbody, 'the manifest');
    const sr = await openRecord('signature');
    if (sr.type !== REC_SIGNATURE) refuse('PKG_FORMAT', `expected the signature record, found type ${sr.type}`);
    if (sr.len === 0 || sr.len > MAX_SIGNATURE_BYTES) refuse('PKG_BAD_SIGNATURE', 'bad signature: signature record has an impossible length');
    const sig = await take(sr.len, 'signature');
    if (pos !== size) refuse('PKG_FORMAT', `${size - pos} unexpected bytes after the signature`);
    seen.packageSha256 = fileHash.digest('hex');
    if (!pssVerify(allowed!.sign.forge, signatureInput(whole.digest()), sig)) {
      refuse('PKG_BAD_SIGNATURE', `bad signature: the package is not signed by the allow-listed key of "${header.sender.name}" (or was altered)`);
    }

    // Signed and authentic: now check the sender's claims about the content.
    const manifest = parseManifest(mplain, file);
    const mismatch = (what: string): never => refuse('PKG_CONTENT_MISMATCH', `content does not match the manifest: ${what}`);
    if (manifest.kind !== header.kind) mismatch(`manifest kind "${manifest.kind}" differs from header kind "${header.kind}"`);
    if (manifest.contentId !== header.contentId) mismatch('manifest content id differs from the header');
    if (manifest.sender !== header.sender.name) mismatch(`manifest sender "${manifest.sender}" differs from header sender "${header.sender.name}"`);
    if (manifest.contentBytes !== contentBytes) mismatch(`${contentBytes} bytes decrypted, manifest says ${manifest.contentBytes}`);
    const gotSha = contentHash.digest('hex');
    if (manifest.contentSha256 !== gotSha) mismatch(`SHA-256 of the content is ${gotSha}, manifest says ${manifest.contentSha256}`);
    await out.sync();
    await out.close();
    out = undefined;
    if (header.kind === 'encoded') {
      let eh;
      try {
        eh = await readEncodedHeader(temp);
      } catch (e) {
        return mismatch(`the content is not a valid encoded file (${isP20Error(e) ? e.code : 'unreadable'})`);
      }
      if (eh.schemaFingerprint !== manifest.schemaFingerprint) mismatch(`schema fingerprint ${eh.schemaFingerprint} differs from the manifest's ${String(manifest.schemaFingerprint)}`);
      if (eh.keyCheckValue !== manifest.keyCheckValue) mismatch('key check value differs from the manifest');
      if (eh.rowCount !== manifest.rowCount) mismatch(`encoded file has ${eh.rowCount} rows, manifest says ${manifest.rowCount}`);
    }

    // Accept: record + audit + move into place, all or nothing.
    const now = opts.now ?? new Date();
    const place = () => {
      try {
        linkSync(temp!, opts.output);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new P20Error(code === 'EEXIST' ? 'PKG_OUTPUT_EXISTS' : 'PKG_WRITE', code === 'EEXIST' ? 'output already exists; refusing to overwrite it' : `cannot write output: ${code ?? String(e)}`, { file: opts.output });
      }
    };
    let placed = false;
    if (opts.store) {
      const db = opts.store;
      try {
        db.transaction(() => {
          if (acceptedBefore(db, header.contentId)) refuse('PKG_REPLAY', `replay: content id ${header.contentId} was already accepted`);
          recordAccepted(db, { contentId: header.contentId, kind: header.kind, sender: header.sender.name, signer: header.sender.fingerprint, contentSha256: gotSha, time: now });
          appendAudit(
            db,
            {
              type: 'package-accepted',
              detail: {
                contentId: header.contentId,
                kind: header.kind,
                sender: header.sender.name,
                signer: header.sender.fingerprint,
                recipient: header.recipient.fingerprint,
                package: basename(file),
                packageSha256: seen.packageSha256,
                contentSha256: gotSha,
                contentBytes,
                rows: manifest.rowCount,
                schemaFingerprint: manifest.schemaFingerprint,
                keyCheckValue: manifest.keyCheckValue,
                party: manifest.party,
                createdAt: manifest.createdAt,
                output: basename(opts.output),
              },
            },
            now,
          );
          place();
          placed = true;
        })();
      } catch (e) {
        if (placed) unlinkSync(opts.output); // commit failed after the link
        throw e;
      }
    } else {
      place();
    }
    return { output: opts.output, header, manifest, packageSha256: seen.packageSha256 };
  } finally {
    key?.fill(0);
    await out?.close().catch(() => undefined);
    await fh.close().catch(() => undefined);
    if (temp) {
      try {
        unlinkSync(temp);
      } catch {
        await unlink(temp).catch(() => undefined);
      }
    }
  }
}
