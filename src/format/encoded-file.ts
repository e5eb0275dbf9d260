import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { P20Error, fsError } from '../errors.js';
import { openAtomic, type AtomicFile } from '../io/atomic-file.js';

/**
 * The encoded file: what an agency hands to the linker (inside a package).
 * Documented in protocols/encoded-file.md; this module is its only reader and
 * writer. Line 1 is a JSON header. Version 1 (text body, the default): every
 * further line one JSON array per record whose items follow
 * `header.columns`. Version 2 (binary body): the same header with
 * `"version":2`, then length-prefixed records with the CLK as raw bytes, so
 * loading is a memory copy instead of JSON and base64 parsing. No raw PII is
 * ever written: only the record id the agency chose, the CLK, keyed blocking
 * values and columns the schema explicitly marks as pass-through.
 */
export const ENCODED_FORMAT = 'p20link/encoded';
/** The text body's version (the default). */
export const ENCODED_FORMAT_VERSION = 1;
/** The binary body's version. */
export const ENCODED_BINARY_VERSION = 2;
/** Body layouts: "text" = version 1, "binary" = version 2. */
export type EncodedBody = 'text' | 'binary';

export interface EncodedHeader {
  format: typeof ENCODED_FORMAT;
  /** 1: text body (JSON lines); 2: binary body. */
  version: typeof ENCODED_FORMAT_VERSION | typeof ENCODED_BINARY_VERSION;
  /** Producing tool and version, e.g. "p20link 0.1.0". */
  tool: string;
  /** ISO 8601 UTC time the file was started. */
  createdAt: string;
  /** Label of the agency / party that encoded it (e.g. "k12"). */
  party: string;
  /** "sha256:" + hex digest of the canonical linkage schema. */
  schemaFingerprint: string;
  /** Key check value: lets the linker see two files used one secret without learning it. */
  keyCheckValue: string;
  /** Bits per CLK. */
  l: number;
  /**
   * Names of the row items, in order. Always starts with "id", "clk"; then
   * "block:<name>" (keyed blocking values) and "pass:<name>" (pass-through).
   */
  columns: string[];
  /**
   * Optional (written only when non-empty): schema features the encoding
   * party declared it does not collect (`encode --absent`). They are encoded
   * as missing in every record of the file, so the linker knows that
   * disagreement on them is not evidence.
   */
  absentFeatures?: string[];
  /** Number of data rows that follow. */
  rowCount: number;
}

export type EncodedHeaderInit = Omit<EncodedHeader, 'format' | 'version' | 'rowCount' | 'columns'> & {
  blockColumns?: string[];
  passColumns?: string[];
};

export interface EncodedRow {
  id: string;
  /** ceil(l/8) bytes, bit i = byte i>>3, mask 0x80 >> (i & 7). */
  clk: Uint8Array;
  /** Keyed blocking values by name (without the "block:" prefix). */
  blocks: Record<string, string>;
  /** Pass-through values by name (without the "pass:" prefix). */
  pass: Record<string, string>;
  /** 1-based line in the file. */
  line: number;
}

const ROWCOUNT_WIDTH = 20;
const MAX_ID_LENGTH = 256;

export interface EncodedWriter {
  readonly header: Omit<EncodedHeader, 'rowCount'>;
  /** Append one record. `clk` is base64 of ceil(l/8) bytes; extras follow header.columns after "clk". */
  writeRow(id: string, clkBase64: string, extras?: readonly string[]): Promise<void>;
  /** Append one record whose CLK is given as its ceil(l/8) bytes. */
  writeRowBytes(id: string, clk: Uint8Array, extras?: readonly string[]): Promise<void>;
  /** Append `rows` records already serialized by an EncodedRecordSerializer of the same body and l. */
  writeEncoded(bytes: Uint8Array, rows: number): Promise<void>;
  /** Patch the row count into the header and rename into place. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export function buildHeaderColumns(init: Pick<EncodedHeaderInit, 'blockColumns' | 'passColumns'>): string[] {
  return [
    'id',
    'clk',
    ...(init.blockColumns ?? []).map((b) => `block:${b}`),
    ...(init.passColumns ?? []).map((p) => `pass:${p}`),
  ];
}

/**
 * Serializes records into body bytes exactly as the writer does (text line
 * or binary record), so worker threads can hand the writer finished bytes
 * (EncodedWriter.writeEncoded) and the output does not depend on who
 * serialized it.
 */
export class EncodedRecordSerializer {
  private buf: Buffer = Buffer.allocUnsafe(1 << 16);
  private len = 0;
  private rows = 0;
  private readonly clkBytes: number;
  constructor(
    readonly body: EncodedBody,
    readonly l: number,
  ) {
    this.clkBytes = Math.ceil(l / 8);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  /** Append one record; `clk` as its bytes, or as base64 text (text body). */
  add(id: string, clk: Uint8Array, clkBase64: string | undefined, extras: readonly string[]): void {
    if (this.body === 'binary') {
      if (clk.length !== this.clkBytes) throw new Error(`CLK has ${clk.length} bytes, header says l=${this.l} (${this.clkBytes} bytes)`);
      const idLen = Buffer.byteLength(id, 'utf8');
      if (idLen > 0xffff) throw new Error('record id too long for the binary body');
      let need = 2 + idLen + this.clkBytes;
      for (const x of extras) need += 4 + Buffer.byteLength(x, 'utf8');
      this.ensure(need);
      const b = this.buf;
      b.writeUInt16LE(idLen, this.len);
      this.len += 2;
      this.len += b.write(id, this.len, 'utf8');
      b.set(clk, this.len);
      this.len += this.clkBytes;
      for (const x of extras) {
        const n = b.write(x, this.len + 4, 'utf8');
        b.writeUInt32LE(n, this.len);
        this.len += 4 + n;
      }
    } else {
      const b64 = clkBase64 ?? Buffer.from(clk.buffer, clk.byteOffset, clk.byteLength).toString('base64');
      const line = JSON.stringify([id, b64, ...extras]) + '\n';
      this.ensure(3 * line.length);
      this.len += this.buf.write(line, this.len, 'utf8');
    }
    this.rows++;
  }
  /** Records added since the last take(). */
  get count(): number {
    return this.rows;
  }
  get byteLength(): number {
    return this.len;
  }
  /** The bytes of the records added since the last take() (a fresh copy), and reset. */
  take(): { bytes: Uint8Array; rows: number } {
    const bytes = new Uint8Array(this.len);
    bytes.set(this.buf.subarray(0, this.len));
    const rows = this.rows;
    this.len = 0;
    this.rows = 0;
    return { bytes, rows };
  }
}

export interface EncodedWriterOptions {
  /** "text" (default: version 1, JSON lines) or "binary" (version 2). */
  body?: EncodedBody;
}

export function createEncodedWriter(path: string, init: EncodedHeaderInit, opts: EncodedWriterOptions = {}): EncodedWriter {
  const binary = opts.body === 'binary';
  if (opts.body !== undefined && opts.body !== 'text' && opts.body !== 'binary') throw new RangeError(`encoded-file body must be "text" or "binary"`);
  const header: Omit<EncodedHeader, 'rowCount'> = {
    format: ENCODED_FORMAT,
    version: binary ? ENCODED_BINARY_VERSION : ENCODED_FORMAT_VERSION,
    tool: init.tool,
    createdAt: init.createdAt,
    party: init.party,
    schemaFingerprint: init.schemaFingerprint,
    keyCheckValue: init.keyCheckValue,
    l: init.l,
    columns: buildHeaderColumns(init),
    ...(init.absentFeatures && init.absentFeatures.length > 0 ? { absentFeatures: [...init.absentFeatures] } : {}),
  };
  const prefix = JSON.stringify(header).slice(0, -1) + ',"rowCount":';
  const prefixBytes = Buffer.byteLength(prefix, 'utf8');
  const file: AtomicFile = openAtomic(path);
  let rows = 0;
  let started = false;
  const width = header.columns.length;
  const clkBytes = Math.ceil(init.l / 8);
  let pending: string[] = [];
  let pendingBytes = 0;
  // Binary body: records are assembled in one growing buffer, written in 256 KiB pieces.
  let bin = binary ? Buffer.allocUnsafe(1 << 18) : Buffer.alloc(0);
  let binLen = 0;
  const ensure = (n: number) => {
    if (binLen + n <= bin.length) return;
    const next = Buffer.allocUnsafe(Math.max(bin.length * 2, binLen + n));
    bin.copy(next, 0, 0, binLen);
    bin = next;
  };
  const flush = async () => {
    if (binary) {
      if (binLen === 0) return;
      const out = Buffer.from(bin.subarray(0, binLen));
      binLen = 0;
      await file.write(out);
      return;
    }
    if (pending.length === 0) return;
    const s = pending.join('');
    pending = [];
    pendingBytes = 0;
    await file.write(s);
  };
  const start = async () => {
    if (!started) {
      started = true;
      await file.write(prefix + ' '.repeat(ROWCOUNT_WIDTH) + '}\n');
    }
  };
  const writeBinary = async (id: string, clk: Uint8Array, extras: readonly string[]) => {
    if (clk.length !== clkBytes) throw new Error(`CLK has ${clk.length} bytes, header says l=${init.l} (${clkBytes} bytes)`);
    const idLen = Buffer.byteLength(id, 'utf8');
    if (idLen > 0xffff) throw new Error('record id too long for the binary body');
    let need = 2 + idLen + clkBytes;
    for (const x of extras) need += 4 + Buffer.byteLength(x, 'utf8');
    ensure(need);
    bin.writeUInt16LE(idLen, binLen);
    binLen += 2;
    binLen += bin.write(id, binLen, 'utf8');
    bin.set(clk, binLen);
    binLen += clkBytes;
    for (const x of extras) {
      const n = bin.write(x, binLen + 4, 'utf8');
      bin.writeUInt32LE(n, binLen);
      binLen += 4 + n;
    }
    rows++;
    if (binLen > 1 << 18) await flush();
  };
  return {
    header,
    async writeRow(id, clkBase64, extras = []) {
      await start();
      if (2 + extras.length !== width) {
        throw new Error(`encoded row has ${2 + extras.length} items, header declares ${width}`);
      }
      if (binary) return writeBinary(id, Buffer.from(clkBase64, 'base64'), extras);
      const line = JSON.stringify([id, clkBase64, ...extras]) + '\n';
      pending.push(line);
      pendingBytes += line.length;
      rows++;
      if (pendingBytes > 1 << 16) await flush();
    },
    async writeRowBytes(id, clk, extras = []) {
      await start();
      if (2 + extras.length !== width) {
        throw new Error(`encoded row has ${2 + extras.length} items, header declares ${width}`);
      }
      if (binary) return writeBinary(id, clk, extras);
      const line = JSON.stringify([id, Buffer.from(clk.buffer, clk.byteOffset, clk.byteLength).toString('base64'), ...extras]) + '\n';
      pending.push(line);
      pendingBytes += line.length;
      rows++;
      if (pendingBytes > 1 << 16) await flush();
    },
    async writeEncoded(bytes, n) {
      await start();
      await flush();
      if (bytes.length > 0) await file.write(bytes);
      rows += n;
    },
    async commit() {
      await start();
      await flush();
      const digits = String(rows);
      await file.patch(prefixBytes, Buffer.from(digits, 'utf8'));
      await file.commit();
      return rows;
    },
    async abort() {
      await file.abort();
    },
  };
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function validateHeader(h: unknown, file: string): EncodedHeader {
  const bad = (field: string, what: string): never => {
    throw new P20Error('ENCODED_HEADER', `header ${what}`, { file, line: 1, field });
  };
  if (typeof h !== 'object' || h === null || Array.isArray(h)) bad('header', 'is not a JSON object');
  const o = h as Record<string, unknown>;
  if (o.format !== ENCODED_FORMAT) {
    throw new P20Error('ENCODED_FORMAT', `not a p20link encoded file (format is ${JSON.stringify(o.format)}, expected "${ENCODED_FORMAT}")`, { file, line: 1 });
  }
  if (o.version !== ENCODED_FORMAT_VERSION && o.version !== ENCODED_BINARY_VERSION) {
    throw new P20Error('ENCODED_VERSION', `unsupported encoded-file version ${JSON.stringify(o.version)} (this tool reads versions ${ENCODED_FORMAT_VERSION} (text body) and ${ENCODED_BINARY_VERSION} (binary body))`, { file, line: 1 });
  }
  for (const k of ['tool', 'createdAt', 'party', 'schemaFingerprint', 'keyCheckValue'] as const) {
    if (typeof o[k] !== 'string' || (o[k] as string).length === 0) bad(k, `must have a non-empty string "${k}"`);
  }
  if (!/^sha256:[0-9a-f]{64}$/.test(o.schemaFingerprint as string)) bad('schemaFingerprint', 'schemaFingerprint must be "sha256:" + 64 hex digits');
  if (!/^[0-9a-f]{32}$/.test(o.keyCheckValue as string)) bad('keyCheckValue', 'keyCheckValue must be 32 hex digits');
  if (!Number.isInteger(o.l) || (o.l as number) < 8 || (o.l as number) > 1 << 20) bad('l', 'l must be an integer number of bits (8..1048576)');
  if (!Array.isArray(o.columns) || o.columns[0] !== 'id' || o.columns[1] !== 'clk') bad('columns', 'columns must start with "id", "clk"');
  const cols = o.columns as unknown[];
  for (const c of cols.slice(2)) {
    if (typeof c !== 'string' || !/^(block|pass):[A-Za-z0-9_.-]+$/.test(c)) bad('columns', `has invalid column ${JSON.stringify(c)}`);
  }
  if (new Set(cols).size !== cols.length) bad('columns', 'names a column twice');
  if (o.absentFeatures !== undefined) {
    const a = o.absentFeatures;
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 256) || new Set(a).size !== a.length) {
      bad('absentFeatures', 'absentFeatures must be an array of distinct feature names');
    }
  }
  if (!Number.isInteger(o.rowCount) || (o.rowCount as number) < 0) bad('rowCount', 'rowCount must be a non-negative integer');
  return o as unknown as EncodedHeader;
}

export interface EncodedReader {
  header: EncodedHeader;
  /** Rows in batches; validates every row, duplicate ids and the final row count. */
  batches: AsyncIterable<EncodedRow[]>;
}

export interface ReadEncodedOptions {
  batchSize?: number;
  /** Check ids are unique within the file (default true; needs memory for the ids). */
  checkDuplicates?: boolean;
}

/** Decode a CLK from base64, checking its length and zero padding bits. */
export function decodeClk(b64: string, l: number, file: string, line: number): Uint8Array {
  const bytes = Math.ceil(l / 8);
  if (!B64.test(b64) || b64.length % 4 !== 0) {
    throw new P20Error('ENCODED_CLK', 'CLK is not valid base64', { file, line, field: 'clk' });
  }
  const buf = Buffer.from(b64, 'base64');
  if (buf.length !== bytes) {
    throw new P20Error('ENCODED_CLK', `CLK has ${buf.length * 8} bits, header says l=${l} (${bytes} bytes)`, { file, line, field: 'clk' });
  }
  const spare = bytes * 8 - l;
  if (spare > 0 && (buf[bytes - 1]! & ((1 << spare) - 1)) !== 0) {
    throw new P20Error('ENCODED_CLK', `CLK sets bits beyond l=${l}`, { file, line, field: 'clk' });
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

export async function openEncoded(path: string, opts: ReadEncodedOptions = {}): Promise<EncodedReader> {
  const file = path;
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) => reject(fsError(e, file, 'cannot open', 'ENCODED_OPEN')));
  });
  await opened;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new P20Error('ENCODED_EMPTY', 'file is empty (expected a p20link encoded-file header)', { file, line: 1 });
  let parsed: unknown;
  try {
    parsed = JSON.parse(first.value);
  } catch {
    throw new P20Error('ENCODED_FORMAT', 'first line is not a JSON header: not a p20link encoded file', { file, line: 1 });
  }
  const header = validateHeader(parsed, file);
  const batchSize = opts.batchSize ?? 4096;
  const checkDup = opts.checkDuplicates ?? true;
  if (header.version === ENCODED_BINARY_VERSION) {
    rl.close();
    stream.destroy();
    const { length } = await readHeaderLine(path);
    return { header, batches: binaryBatches(path, header, length, batchSize, checkDup) };
  }
  const width = header.columns.length;
  const blockNames = header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
  const passNames = header.columns.filter((c) => c.startsWith('pass:')).map((c) => c.slice(5));
  const firstBlock = 2;
  const firstPass = 2 + blockNames.length;

  async function* batches(): AsyncGenerator<EncodedRow[]> {
    const seen = checkDup ? new Map<string, number>() : undefined;
    let lineNo = 1;
    let count = 0;
    let batch: EncodedRow[] = [];
    while (true) {
      const n = await it.next();
      if (n.done) break;
      lineNo++;
      const text = n.value;
      if (text.length === 0) {
        throw new P20Error('ENCODED_ROW', 'empty line inside the file', { file, line: lineNo });
      }
      let arr: unknown;
      try {
        arr = JSON.parse(text);
      } catch {
        throw new P20Error('ENCODED_ROW', 'row is not valid JSON (file damaged or truncated)', { file, line: lineNo });
      }
      if (!Array.isArray(arr) || arr.length !== width || !arr.every((x) => typeof x === 'string')) {
        throw new P20Error('ENCODED_ROW', `row must be a JSON array of ${width} strings (${header.columns.join(', ')})`, { file, line: lineNo });
      }
      const items = arr as string[];
      const id = items[0]!;
      if (id.length === 0 || id.length > MAX_ID_LENGTH) {
        throw new P20Error('ENCODED_ROW', `record id must be 1..${MAX_ID_LENGTH} characters`, { file, line: lineNo, field: 'id' });
      }
      if (seen) {
        const prev = seen.get(id);
        if (prev !== undefined) {
          throw new P20Error('ENCODED_DUPLICATE_ID', `duplicate record id ${JSON.stringify(id)} (first on line ${prev})`, { file, line: lineNo, field: 'id' });
        }
        seen.set(id, lineNo);
      }
      const clk = decodeClk(items[1]!, header.l, file, lineNo);
      const blocks: Record<string, string> = {};
      for (let k = 0; k < blockNames.length; k++) blocks[blockNames[k]!] = items[firstBlock + k]!;
      const pass: Record<string, string> = {};
      for (let k = 0; k < passNames.length; k++) pass[passNames[k]!] = items[firstPass + k]!;
      batch.push({ id, clk, blocks, pass, line: lineNo });
      count++;
      if (count > header.rowCount) {
        throw new P20Error('ENCODED_ROWCOUNT', `more rows than the header's rowCount ${header.rowCount} (file damaged or spliced)`, { file, line: lineNo });
      }
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (count !== header.rowCount) {
      throw new P20Error('ENCODED_TRUNCATED', `file ends after ${count} rows but its header says ${header.rowCount} (truncated?)`, { file, line: lineNo });
    }
    if (batch.length > 0) yield batch;
  }
  return { header, batches: batches() };
}

/** Read only the header (cheap; used to check files agree before linking). */
export async function readEncodedHeader(path: string): Promise<EncodedHeader> {
  return (await readHeaderLine(path)).header;
}

/** The validated header and the byte length of its line, newline included (where the body starts). */
async function readHeaderLine(path: string): Promise<{ header: EncodedHeader; length: number }> {
  const { open } = await import('node:fs/promises');
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fsError(e, path, 'cannot open', 'ENCODED_OPEN');
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < 1 << 20) {
      const buf = Buffer.alloc(65536);
      const { bytesRead } = await fh.read(buf, 0, buf.length, total);
      if (bytesRead === 0) break;
      const part = buf.subarray(0, bytesRead);
      chunks.push(part);
      total += bytesRead;
      if (part.includes(10)) break;
    }
    const all = Buffer.concat(chunks);
    if (all.length === 0) throw new P20Error('ENCODED_EMPTY', 'file is empty (expected a p20link encoded-file header)', { file: path, line: 1 });
    const nl = all.indexOf(10);
    const text = all.subarray(0, nl < 0 ? all.length : nl).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new P20Error('ENCODED_FORMAT', 'first line is not a JSON header: not a p20link encoded file', { file: path, line: 1 });
    }
    return { header: validateHeader(parsed, path), length: nl < 0 ? all.length : nl + 1 };
  } finally {
    await fh.close();
  }
}

/**
 * The binary body (version 2): records back to back after the header line,
 * each: u16 LE byte length + UTF-8 id; ceil(l/8) CLK bytes; per extra column
 * u32 LE byte length + UTF-8 value. Record k (from 1) reports line k + 1, the
 * line it would have in the text body.
 */
async function* binaryBatches(path: string, header: EncodedHeader, start: number, batchSize: number, checkDup: boolean): AsyncGenerator<EncodedRow[]> {
  const file = path;
  const clkBytes = Math.ceil(header.l / 8);
  const spare = clkBytes * 8 - header.l;
  const padMask = spare > 0 ? (1 << spare) - 1 : 0;
  const extras = header.columns.length - 2;
  const blockNames = header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
  const passNames = header.columns.filter((c) => c.startsWith('pass:')).map((c) => c.slice(5));
  const seen = checkDup ? new Map<string, number>() : undefined;
  const stream = createReadStream(path, { start, highWaterMark: 1 << 20 });
  let buf: Buffer = Buffer.alloc(0);
  let at = 0;
  let count = 0;
  let batch: EncodedRow[] = [];
  const damaged = (line: number, what: string, field?: string): never => {
    throw new P20Error('ENCODED_ROW', `binary record ${what} (file damaged)`, { file, line, ...(field ? { field } : {}) });
  };
  /** End offset of the record starting at `p`, or -1 when the buffer holds only part of it. */
  const recordEnd = (p: number): number => {
    if (p + 2 > buf.length) return -1;
    let q = p + 2 + buf.readUInt16LE(p) + clkBytes;
    for (let k = 0; k < extras; k++) {
      if (q + 4 > buf.length) return -1;
      q += 4 + buf.readUInt32LE(q);
    }
    return q <= buf.length ? q : -1;
  };
  const text = (a: number, b: number, line: number, field: string): string => {
    const part = buf.subarray(a, b);
    if (!isUtf8(part)) damaged(line, 'holds invalid UTF-8', field);
    return part.toString('utf8');
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf = at < buf.length ? Buffer.concat([buf.subarray(at), chunk]) : chunk;
      at = 0;
      for (;;) {
        const end = recordEnd(at);
        if (end < 0) break;
        count++;
        const line = count + 1;
        if (count > header.rowCount) {
          throw new P20Error('ENCODED_ROWCOUNT', `more rows than the header's rowCount ${header.rowCount} (file damaged or spliced)`, { file, line });
        }
        const idLen = buf.readUInt16LE(at);
        let p = at + 2;
        const id = text(p, p + idLen, line, 'id');
        p += idLen;
        if (id.length === 0 || id.length > MAX_ID_LENGTH) {
          throw new P20Error('ENCODED_ROW', `record id must be 1..${MAX_ID_LENGTH} characters`, { file, line, field: 'id' });
        }
        if (seen) {
          const prev = seen.get(id);
          if (prev !== undefined) {
            throw new P20Error('ENCODED_DUPLICATE_ID', `duplicate record id ${JSON.stringify(id)} (first on line ${prev})`, { file, line, field: 'id' });
          }
          seen.set(id, line);
        }
        const clk = new Uint8Array(buf.buffer, buf.byteOffset + p, clkBytes);
        if (padMask !== 0 && (clk[clkBytes - 1]! & padMask) !== 0) {
          throw new P20Error('ENCODED_CLK', `CLK sets bits beyond l=${header.l}`, { file, line, field: 'clk' });
        }
        p += clkBytes;
        const blocks: Record<string, string> = {};
        const pass: Record<string, string> = {};
        for (let k = 0; k < extras; k++) {
          const n = buf.readUInt32LE(p);
          const isBlock = k < blockNames.length;
          const name = isBlock ? blockNames[k]! : passNames[k - blockNames.length]!;
          const v = text(p + 4, p + 4 + n, line, header.columns[2 + k]!);
          if (isBlock) blocks[name] = v;
          else pass[name] = v;
          p += 4 + n;
        }
        batch.push({ id, clk, blocks, pass, line });
        at = end;
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    }
  } catch (e) {
    if (e instanceof P20Error) throw e;
    throw fsError(e, file, 'cannot read', 'ENCODED_OPEN');
  } finally {
    stream.destroy();
  }
  if (at < buf.length) {
    throw new P20Error('ENCODED_TRUNCATED', `file ends inside record ${count + 1} (truncated?)`, { file, line: count + 2 });
  }
  if (count !== header.rowCount) {
    throw new P20Error('ENCODED_TRUNCATED', `file ends after ${count} rows but its header says ${header.rowCount} (truncated?)`, { file, line: count + 1 });
  }
  if (batch.length > 0) yield batch;
}
