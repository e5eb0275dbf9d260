/**
 * Duplicate record-id detection for the encoder in compact memory.
 *
 * Holding every id in a JS Map costs ~100+ bytes per row (string, map entry,
 * line number) and dominated the encoder's growth with row count. Instead:
 *
 *  - memory: an open-addressing hash set of 64-bit id hashes (two Uint32Array,
 *    load factor at most 1/2): 16–32 bytes per row, no per-row object;
 *  - exactness: every id is also appended, with its line number, to a spill
 *    file (mode 0600, next to the output, deleted at the end). When a new id's
 *    64-bit hash is already in the set, the spill file is scanned for an
 *    earlier id with exactly the same bytes: a real duplicate reports that
 *    id's line; a hash collision (two different ids, same hash) is not a
 *    duplicate and the run goes on. Collisions are rare (about n²/2⁶⁵), and a
 *    real duplicate stops the run, so the scan happens about once per run.
 *
 * The spill file holds record ids only (no PII beyond what the encoded file
 * itself carries) and lives in the output's directory, on the same premises.
 */
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { fmix32 } from '../util/murmur.js';

/** Two 32-bit halves of a 64-bit hash of an id. */
export type IdHash = (id: string) => [number, number];

/** FNV-1a-style mixing of the UTF-16 code units with two seeds, then a murmur3 finalizer on each half. */
export const defaultIdHash: IdHash = (id) => {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [fmix32(a ^ id.length), fmix32(b + Math.imul(a, 0x85ebca6b))];
};

export interface IdSet {
  /** Record `id` seen on `line`; returns the line of an earlier identical id, or undefined. */
  add(id: string, line: number): number | undefined;
  /** Ids added so far. */
  readonly size: number;
  /** Hash collisions between different ids seen so far (tests force some). */
  readonly collisions: number;
  /** Delete the spill file. Safe to call twice. */
  close(): void;
}

export interface IdSetOptions {
  /** Path next to which the spill file is created (its directory is used). */
  near: string;
  /** Override the 64-bit hash (tests force collisions with a weak one). */
  hash?: IdHash;
  /** Initial slots (power of two). */
  initialSlots?: number;
}

const SPILL_BUFFER = 1 << 16;

export function createIdSet(opts: IdSetOptions): IdSet {
  const hash = opts.hash ?? defaultIdHash;
  let slots = Math.max(1024, opts.initialSlots ?? 1 << 16);
  let hi = new Uint32Array(slots);
  let lo = new Uint32Array(slots);
  let used = new Uint8Array(slots);
  let size = 0;
  let collisions = 0;
  const path = join(dirname(resolve(opts.near)), `.${basename(opts.near)}.ids-${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined = openSync(path, 'wx+', 0o600);
  let spilled = 0; // bytes written to the file
  const buf = Buffer.alloc(SPILL_BUFFER);
  let bufLen = 0;

  const flush = () => {
    if (bufLen === 0 || fd === undefined) return;
    let off = 0;
    while (off < bufLen) off += writeSync(fd, buf, off, bufLen - off, spilled + off);
    spilled += bufLen;
    bufLen = 0;
  };

  /** Record: u32 line, u16 byte length, UTF-8 bytes (ids are at most 256 characters: <= 768 bytes). */
  const spill = (id: string, line: number) => {
    const need = 6 + Buffer.byteLength(id, 'utf8');
    if (bufLen + need > SPILL_BUFFER) flush();
    buf.writeUInt32LE(line >>> 0, bufLen);
    const n = buf.write(id, bufLen + 6, 'utf8');
    buf.writeUInt16LE(n, bufLen + 4);
    bufLen += 6 + n;
  };

  /** Scan the spill file for an id with exactly these bytes: its line, or undefined. */
  const findInSpill = (id: string): number | undefined => {
    flush();
    const want = Buffer.from(id, 'utf8');
    const chunk = Buffer.alloc(SPILL_BUFFER * 4);
    let pos = 0; // file offset of chunk[0]
    let have = 0;
    let at = 0; // offset inside chunk
    while (pos + at < spilled) {
      if (have - at < 6 + 1024) {
        chunk.copy(chunk, 0, at, have);
        have -= at;
        pos += at;
        at = 0;
        const want2 = Math.min(chunk.length - have, spilled - pos - have);
        let got = 0;
        while (got < want2) got += readSync(fd!, chunk, have + got, want2 - got, pos + have + got);
        have += got;
      }
      const line = chunk.readUInt32LE(at);
      const len = chunk.readUInt16LE(at + 4);
      if (len === want.length && chunk.compare(want, 0, len, at + 6, at + 6 + len) === 0) return line;
      at += 6 + len;
    }
    return undefined;
  };

  const insert = (h: number, l: number): void => {
    const mask = slots - 1;
    let i = (h ^ Math.imul(l, 0x9e3779b1)) & mask;
    while (used[i] === 1) i = (i + 1) & mask;
    used[i] = 1;
    hi[i] = h;
    lo[i] = l;
  };

  const grow = () => {
    const oh = hi;
    const ol = lo;
    const ou = used;
    slots *= 2;
    hi = new Uint32Array(slots);
    lo = new Uint32Array(slots);
    used = new Uint8Array(slots);
    for (let i = 0; i < ou.length; i++) if (ou[i] === 1) insert(oh[i]!, ol[i]!);
  };

  const contains = (h: number, l: number): boolean => {
    const mask = slots - 1;
    let i = (h ^ Math.imul(l, 0x9e3779b1)) & mask;
    while (used[i] === 1) {
      if (hi[i] === h && lo[i] === l) return true;
      i = (i + 1) & mask;
    }
    return false;
  };

  return {
    add(id, line) {
      if (fd === undefined) throw new Error('id set is closed');
      const [h, l] = hash(id);
      const hh = h >>> 0;
      const ll = l >>> 0;
      if (contains(hh, ll)) {
        const prev = findInSpill(id);
        if (prev !== undefined) return prev;
        collisions++;
      } else {
        if ((size + 1) * 2 > slots) grow();
        insert(hh, ll);
      }
      spill(id, line);
      size++;
      return undefined;
    },
    get size() {
      return size;
    },
    get collisions() {
      return collisions;
    },
    close() {
      if (fd === undefined) return;
      try {
        closeSync(fd);
      } finally {
        fd = undefined;
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}
