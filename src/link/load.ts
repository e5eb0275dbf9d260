import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { P20Error, fsError } from '../errors.js';
import { BinaryRecordParser, ENCODED_BINARY_VERSION, openEncoded, readEncodedHeader, readEncodedHeaderLine, type EncodedHeader } from '../format/encoded-file.js';
import { PARTY_NAME } from '../format/party.js';
import { silentProgress, type Progress } from '../io/progress.js';
import { makePartyData, packClks, strideFor } from './pack.js';
import { popcountWords } from '../util/popcount.js';
import { sharedBytes, sharedU32 } from '../util/typed-arrays.js';
import type { PartyData } from './types.js';

/**
 * The linker's boundary: read the headers of every input, refuse any set of
 * files that cannot be linked together (different secret, schema or CLK
 * length; duplicate party names; fewer than two files), and only then load
 * the bodies. Every body row is validated by the encoded-file reader (bad
 * base64, wrong bit length, duplicate ids, truncation raise P20Error naming
 * file and line).
 */

export interface InputSpec {
  file: string;
  /** Overrides the party label written in the file's header. */
  party?: string;
}

export interface InputHeader {
  file: string;
  header: EncodedHeader;
  /** Effective party label (override or header). */
  party: string;
}

export function checkPartyName(name: string, file: string): void {
  if (!PARTY_NAME.test(name)) {
    throw new P20Error(
      'LINK_PARTY_NAME',
      `party name ${JSON.stringify(name)} is not usable as a label (letters, digits, "_", ".", "-"; at most 64; must start with a letter or digit)`,
      { file },
      { hint: { id: 'party-label', option: 'party', value: 'FILE=NAME' } },
    );
  }
}

/** Whether every input carries evidence filters (the default schema's), which the match model reads. */
export function carryEvidence(headers: readonly InputHeader[]): boolean {
  return headers.every((h) => (h.header.evidence ?? []).length > 0);
}

/**
 * The scoring of a run given the model option `model`: as given, else the
 * match model when every input carries evidence filters (the default schema
 * does), else CLK + Dice (clkhash-compatible inputs).
 */
export function scoringOf(model: 'fs' | 'dice' | undefined, headers: readonly InputHeader[]): 'fs' | 'dice' {
  return model ?? (carryEvidence(headers) ? 'fs' : 'dice');
}

/** Read and validate the headers of all inputs (cheap: first line only). */
export async function readInputHeaders(inputs: readonly InputSpec[]): Promise<InputHeader[]> {
  const out: InputHeader[] = [];
  for (const inp of inputs) {
    const header = await readEncodedHeader(inp.file);
    const party = inp.party ?? header.party;
    checkPartyName(party, inp.file);
    out.push({ file: inp.file, header, party });
  }
  return out;
}

/**
 * Refuse a set of encoded files that must not be linked together. All files
 * must have been encoded with the same secret (key check value), the same
 * linkage schema (fingerprint) and the same CLK length; party labels must be
 * unique. The message names the file that differs and the first file it was
 * compared with; it never prints key check values.
 */
export function checkCompatible(headers: readonly { file: string; header: EncodedHeader; party?: string }[]): void {
  if (headers.length < 2) {
    throw new P20Error(
      'LINK_TOO_FEW_INPUTS',
      `linking needs at least 2 encoded files, got ${headers.length}${headers[0] ? ` (${headers[0].file})` : ''}`,
    );
  }
  const first = headers[0]!;
  const seen = new Map<string, string>();
  for (const h of headers) {
    const party = h.party ?? h.header.party;
    const prev = seen.get(party);
    if (prev !== undefined) {
      throw new P20Error(
        'LINK_DUPLICATE_PARTY',
        `party name "${party}" is also used by ${prev}; every input needs its own party label`,
        { file: h.file },
        { hint: { id: 'party-label-for', option: 'party', value: `${h.file}=NAME` } },
      );
    }
    seen.set(party, h.file);
  }
  for (const h of headers.slice(1)) {
    if (h.header.keyCheckValue !== first.header.keyCheckValue) {
      throw new P20Error(
        'LINK_KEY_MISMATCH',
        `was encoded with a different secret (key check value differs from ${first.file}); refusing to link: re-encode both with the same shared secret`,
        { file: h.file },
      );
    }
    if (h.header.schemaFingerprint !== first.header.schemaFingerprint) {
      throw new P20Error(
        'LINK_SCHEMA_MISMATCH',
        `was encoded with a different linkage schema (fingerprint ${h.header.schemaFingerprint} differs from ${first.header.schemaFingerprint} in ${first.file}); refusing to link`,
        { file: h.file },
      );
    }
    if (evidenceLayout(h.header) !== evidenceLayout(first.header)) {
      throw new P20Error(
        'LINK_SCHEMA_MISMATCH',
        `declares different evidence filters or presence features (${evidenceLayout(h.header) || 'none'}) than ${first.file} (${evidenceLayout(first.header) || 'none'}); refusing to link`,
        { file: h.file },
      );
    }
    if (h.header.l !== first.header.l) {
      throw new P20Error(
        'LINK_LENGTH_MISMATCH',
        `has ${h.header.l}-bit CLKs but ${first.file} has ${first.header.l}-bit CLKs; refusing to link`,
        { file: h.file },
      );
    }
  }
}

/** The evidence a file's records carry, as one comparable string ("" = none): filters with lengths, presence features. */
function evidenceLayout(h: EncodedHeader): string {
  const ev = (h.evidence ?? []).map((e) => `${e.name}:${e.l}${e.dates ? `(${e.dates.join('+')})` : ''}`).join(',');
  const pr = h.presence ? `presence:${h.presence.join('+')}` : '';
  return [ev, pr].filter((x) => x !== '').join(' ');
}

/** Load one encoded file completely, validating every row. */
export async function loadParty(path: string, name?: string, progress: Progress = silentProgress): Promise<PartyData> {
  const { header: h, bodyStart } = await readEncodedHeaderLine(path);
  if (h.version === ENCODED_BINARY_VERSION) {
    checkPartyName(name ?? h.party, path);
    return loadBinaryParty(path, name ?? h.party, h, bodyStart, progress);
  }
  const reader = await openEncoded(path);
  const header = reader.header;
  const party = name ?? header.party;
  checkPartyName(party, path);
  const blockNames = header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
  const ids: string[] = [];
  const clks: Uint8Array[] = [];
  const blocks: Record<string, string[]> = {};
  for (const b of blockNames) blocks[b] = [];
  const evInfo = header.evidence ?? [];
  const ev: Uint8Array[][] = evInfo.map(() => []);
  const presence = header.presence ? sharedBytes(header.rowCount) : undefined;
  for await (const batch of reader.batches) {
    for (const row of batch) {
      if (presence) presence[ids.length] = row.presence!;
      ids.push(row.id);
      clks.push(row.clk);
      for (const b of blockNames) blocks[b]!.push(row.blocks[b] ?? '');
      for (let k = 0; k < ev.length; k++) ev[k]!.push(row.evidence![k]!);
    }
    progress.update(ids.length, header.rowCount);
  }
  const data = makePartyData({ name: party, file: path, header, ids, clks, blocks });
  if (header.evidence) {
    data.evidence = evInfo.map((e, k) => {
      const packed = packClks(ev[k]!, e.l, path, ids);
      return { name: e.name, l: e.l, stride: packed.stride, bytes: packed.clks, popcounts: packed.popcounts };
    });
  }
  if (presence) data.presence = presence;
  return data;
}

/** Bytes read from a binary body at a time. */
const READ_CHUNK = 1 << 20;

/**
 * loadParty for a binary body (version 2): the records go straight into the
 * packed columns (CLKs and evidence filters at their strides, popcounts, ids,
 * blocking values), with no object per record. Every record is checked by
 * the same parser as openEncoded's (src/format/encoded-file.ts
 * BinaryRecordParser): row count, ids, duplicates, padding bits, UTF-8,
 * truncation; so the same file is refused with the same error either way.
 */
async function loadBinaryParty(path: string, party: string, header: EncodedHeader, bodyStart: number, progress: Progress): Promise<PartyData> {
  // blocking values stay bytes until a run asks for them (lazyColumns): a run without key blocking never decodes them
  const parser = new BinaryRecordParser(path, header, true, false);
  const { clkBytes, evidenceBytes, blockNames } = parser;
  const stride = strideFor(header.l);
  const evInfo = header.evidence ?? [];
  const evStride = evInfo.map((e) => strideFor(e.l));
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fsError(e, path, 'cannot read', 'ENCODED_OPEN');
  }
  try {
    let size: number;
    try {
      size = (await fh.stat()).size;
    } catch (e) {
      throw fsError(e, path, 'cannot read', 'ENCODED_OPEN');
    }
    // room for the header's rows, but never more than the body can hold (a damaged header must not allocate much)
    let cap = Math.min(header.rowCount, Math.floor(Math.max(0, size - bodyStart) / parser.minRecordBytes));
    // filter matrices, popcounts and presence in shared memory: the match model's compare workers read them in place
    let clks: Uint8Array = sharedBytes(cap * stride);
    const ids: string[] = [];
    // every record's block: columns as written (u32 length + UTF-8 each), back to back; record i from extraAt[i]
    let extraBytes: Uint8Array = new Uint8Array(blockNames.length > 0 ? Math.max(1024, Math.min(size - bodyStart, 1 << 24)) : 0);
    let extraLen = 0;
    let extraAt: Uint32Array = new Uint32Array(blockNames.length > 0 ? cap + 1 : 0);
    let ev: Uint8Array[] = evInfo.map((_, k) => sharedBytes(cap * evStride[k]!));
    const presence = header.presence ? sharedBytes(header.rowCount) : undefined;
    let buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(1, size - bodyStart)));
    let len = 0;
    let pos = bodyStart;
    for (;;) {
      if (len === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, len, buf.length - len, pos));
      } catch (e) {
        throw fsError(e, path, 'cannot read', 'ENCODED_OPEN');
      }
      if (bytesRead === 0) break;
      pos += bytesRead;
      len += bytesRead;
      const view = buf.subarray(0, len);
      // copies through a plain Uint8Array (Buffer.copy and Buffer views cost more per record)
      const u8 = new Uint8Array(view.buffer, view.byteOffset, len);
      let at = 0;
      for (;;) {
        const end = parser.next(view, at);
        if (end < 0) break;
        const i = ids.length;
        if (i >= cap) {
          // only when the file grew after its size was taken (the parser holds the count to the header's)
          cap = Math.min(header.rowCount, Math.max(2 * cap, 16));
          clks = grown(clks, cap * stride);
          ev = ev.map((a, k) => grown(a, cap * evStride[k]!));
        }
        ids.push(parser.id);
        clks.set(u8.subarray(parser.clkAt, parser.clkAt + clkBytes), i * stride);
        for (let k = 0; k < evidenceBytes.length; k++) ev[k]!.set(u8.subarray(parser.evidenceAt[k]!, parser.evidenceAt[k]! + evidenceBytes[k]!), i * evStride[k]!);
        if (presence) presence[i] = parser.presence!;
        if (blockNames.length > 0) {
          const blocksEnd = parser.extrasEnd(blockNames.length);
          const n = blocksEnd - parser.extrasAt;
          if (extraLen + n > extraBytes.length) extraBytes = grown(extraBytes, Math.max(2 * extraBytes.length, extraLen + n));
          if (i + 1 >= extraAt.length) extraAt = grownU32(extraAt, Math.max(2 * extraAt.length, i + 2));
          extraBytes.set(u8.subarray(parser.extrasAt, blocksEnd), extraLen);
          extraLen += n;
          extraAt[i + 1] = extraLen;
        }
        at = end;
      }
      // keep the part of a record the next read completes
      buf.copy(buf, 0, at, len);
      len -= at;
      progress.update(ids.length, header.rowCount);
    }
    parser.finish(len);
    const count = ids.length;
    if (clks.length !== count * stride) {
      clks = grown(clks.subarray(0, count * stride), count * stride);
      ev = ev.map((a, k) => grown(a.subarray(0, count * evStride[k]!), count * evStride[k]!));
    }
    if (extraBytes.length > extraLen + (extraLen >>> 2)) extraBytes = extraBytes.slice(0, extraLen);
    const blocks = lazyColumns(blockNames, (k) => decodeColumn(extraBytes, extraAt, count, k));
    const data: PartyData = { name: party, file: path, header, ids, count, stride, clks, popcounts: popcountsOf(clks, stride, count), blocks };
    if (header.evidence) {
      data.evidence = evInfo.map((e, k) => ({ name: e.name, l: e.l, stride: evStride[k]!, bytes: ev[k]!, popcounts: popcountsOf(ev[k]!, evStride[k]!, count) }));
    }
    if (presence) data.presence = presence;
    return data;
  } finally {
    await fh.close();
  }
}

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Extra column k of `count` records kept as bytes (checked UTF-8 when loaded), decoded. */
function decodeColumn(bytes: Uint8Array, at: Uint32Array, count: number, k: number): string[] {
  const out = new Array<string>(count);
  const u32 = (p: number) => (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16)) + bytes[p + 3]! * 0x1000000;
  for (let i = 0; i < count; i++) {
    let p = at[i]!;
    for (let j = 0; j < k; j++) p += 4 + u32(p);
    out[i] = UTF8.decode(bytes.subarray(p + 4, p + 4 + u32(p)));
  }
  return out;
}

/**
 * `names` as an object of columns, each decoded the first time it is read
 * (then an ordinary property): enumerable like a plain object's, so
 * Object.entries, spreading, structured cloning and equality see the values.
 */
function lazyColumns(names: readonly string[], decode: (k: number) => string[]): Record<string, string[]> {
  const cols: Record<string, string[]> = {};
  const settle = (name: string, value: string[]) => Object.defineProperty(cols, name, { value, enumerable: true, writable: true, configurable: true });
  names.forEach((name, k) => {
    Object.defineProperty(cols, name, {
      enumerable: true,
      configurable: true,
      get: () => {
        const v = decode(k);
        settle(name, v);
        return v;
      },
      set: (v: string[]) => settle(name, v),
    });
  });
  return cols;
}

/** A copy of `a` with room for `n` entries. */
function grownU32(a: Uint32Array, n: number): Uint32Array {
  const b = new Uint32Array(n);
  b.set(a);
  return b;
}

/** A copy of `a` with room for `n` bytes (in shared memory, like the matrices it grows). */
function grown(a: Uint8Array, n: number): Uint8Array {
  const b = sharedBytes(n);
  b.set(a);
  return b;
}

/** Set bits of each of `count` records packed at `stride` bytes (a multiple of 8; padding zero). */
function popcountsOf(packed: Uint8Array, stride: number, count: number): Uint32Array {
  const words = new Uint32Array(packed.buffer, packed.byteOffset, packed.length >>> 2);
  const per = stride >>> 2;
  const pops = sharedU32(count);
  for (let i = 0; i < count; i++) pops[i] = popcountWords(words, i * per, (i + 1) * per);
  return pops;
}

/** SHA-256 of a file's bytes, "sha256:<hex>" (identifies an input in the run record). */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  } catch (e) {
    throw fsError(e, path, 'cannot read', 'LINK_INPUT_READ');
  }
  return `sha256:${h.digest('hex')}`;
}
