import { isAscii, isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { P20Error, fsError } from '../errors.js';
import { openAtomic, type AtomicFile } from '../io/atomic-file.js';
import { DATE_TOKEN_KINDS, type EvidenceTokenKind } from '../schema/evidence.js';

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
  /**
   * Optional (written only when the schema has a `p20link.evidence` section):
   * the evidence filters each record carries after its CLK, in order, with
   * their lengths in bits (protocols/encoded-file.md, "Evidence").
   */
  evidence?: EvidenceFilterInfo[];
  /**
   * Optional: the features of the presence byte, bit i (value 2^i) = feature
   * i present in the record. At most 8.
   */
  presence?: string[];
  /** Number of data rows that follow. */
  rowCount: number;
}

/** One evidence filter of the header: name (column "ev:<name>"), length in bits, and the birth-date token kinds it hashes. */
export interface EvidenceFilterInfo {
  name: string;
  l: number;
  /**
   * The date token kinds the filter's template hashes (DATE_TOKEN_KINDS
   * order), when it hashes any: what the linker needs to read a filter's
   * agreement (e.g. `names` with `unordered-date` is identical for two
   * records whose day and month are swapped). Not key material; the schema
   * fingerprint covers it.
   */
  dates?: EvidenceTokenKind[];
}

/** A record's evidence: one filter per header.evidence entry (ceil(l/8) bytes each), and its presence byte when the header has `presence`. */
export interface RecordEvidence {
  filters: readonly Uint8Array[];
  presence?: number;
}

/** Names usable for evidence filters (the column is "ev:<name>"). */
export const EVIDENCE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A header's `dates`: a non-empty list of distinct DATE_TOKEN_KINDS in their canonical order. */
function validDates(d: unknown): boolean {
  if (!Array.isArray(d) || d.length === 0) return false;
  let last = -1;
  for (const k of d) {
    const at = typeof k === 'string' ? DATE_TOKEN_KINDS.indexOf(k as EvidenceTokenKind) : -1;
    if (at <= last) return false;
    last = at;
  }
  return true;
}

/** Most features a presence byte can describe. */
export const MAX_PRESENCE_FEATURES = 8;

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
  /** Evidence filters in header.evidence order (only when the header has `evidence`). */
  evidence?: Uint8Array[];
  /** Presence byte (only when the header has `presence`). */
  presence?: number;
  /** 1-based line in the file. */
  line: number;
}

const ROWCOUNT_WIDTH = 20;
const MAX_ID_LENGTH = 256;

export interface EncodedWriter {
  readonly header: Omit<EncodedHeader, 'rowCount'>;
  /** Append one record. `clk` is base64 of ceil(l/8) bytes; extras are the block: and pass: values in header.columns order; `evidence` is required when the header has evidence or presence. */
  writeRow(id: string, clkBase64: string, extras?: readonly string[], evidence?: RecordEvidence): Promise<void>;
  /** Append one record whose CLK is given as its ceil(l/8) bytes. */
  writeRowBytes(id: string, clk: Uint8Array, extras?: readonly string[], evidence?: RecordEvidence): Promise<void>;
  /** Append `rows` records already serialized by an EncodedRecordSerializer of the same body and l. */
  writeEncoded(bytes: Uint8Array, rows: number): Promise<void>;
  /** Patch the row count into the header and rename into place. */
  commit(): Promise<number>;
  abort(): Promise<void>;
}

export function buildHeaderColumns(init: Pick<EncodedHeaderInit, 'blockColumns' | 'passColumns' | 'evidence' | 'presence'>): string[] {
  return [
    'id',
    'clk',
    ...(init.evidence ?? []).map((e) => `ev:${e.name}`),
    ...(init.presence !== undefined ? ['presence'] : []),
    ...(init.blockColumns ?? []).map((b) => `block:${b}`),
    ...(init.passColumns ?? []).map((p) => `pass:${p}`),
  ];
}

/** One text-body line: id, CLK, evidence filters (base64), presence (decimal), extras. */
function textRecord(id: string, clkBase64: string, extras: readonly string[], ev: RecordEvidence | undefined): string {
  if (ev === undefined) return JSON.stringify([id, clkBase64, ...extras]) + '\n';
  const items = [id, clkBase64, ...ev.filters.map(b64Of)];
  if (ev.presence !== undefined) items.push(String(ev.presence));
  return JSON.stringify([...items, ...extras]) + '\n';
}

/** Write one binary record at `at` (the buffer has room); returns the end offset. */
function writeBinaryRecord(b: Buffer, at: number, id: string, idLen: number, clk: Uint8Array, extras: readonly string[], ev: RecordEvidence | undefined): number {
  let p = at;
  b.writeUInt16LE(idLen, p);
  p += 2;
  p += b.write(id, p, 'utf8');
  b.set(clk, p);
  p += clk.length;
  if (ev !== undefined) {
    for (const f of ev.filters) {
      b.set(f, p);
      p += f.length;
    }
    if (ev.presence !== undefined) b[p++] = ev.presence;
  }
  for (const x of extras) {
    const n = b.write(x, p + 4, 'utf8');
    b.writeUInt32LE(n, p);
    p += 4 + n;
  }
  return p;
}

/** What a record carries besides id, CLK and extras: the header's evidence filters and presence byte. */
export interface EvidenceLayout {
  evidence?: readonly EvidenceFilterInfo[];
  presence?: readonly string[];
}

const b64Of = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

const B64_CHARS = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));
/** Length of the quoted base64 text of n bytes. */
const clkB64Length = (n: number): number => 4 * Math.ceil(n / 3) + 2;

/** Write `src` as a quoted base64 JSON string (padded, as Buffer's "base64") at `at`; returns the end offset. */
function putBase64(b: Uint8Array, at: number, src: Uint8Array): number {
  let p = at;
  b[p++] = 0x22;
  const n = src.length;
  const whole = n - (n % 3);
  let i = 0;
  for (; i < whole; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    b[p] = B64_CHARS[v >>> 18]!;
    b[p + 1] = B64_CHARS[(v >>> 12) & 63]!;
    b[p + 2] = B64_CHARS[(v >>> 6) & 63]!;
    b[p + 3] = B64_CHARS[v & 63]!;
    p += 4;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (src[i]! << 16) | (two ? src[i + 1]! << 8 : 0);
    b[p] = B64_CHARS[v >>> 18]!;
    b[p + 1] = B64_CHARS[(v >>> 12) & 63]!;
    b[p + 2] = two ? B64_CHARS[(v >>> 6) & 63]! : 0x3d;
    b[p + 3] = 0x3d;
    p += 4;
  }
  b[p++] = 0x22;
  return p;
}

/**
 * Check a record's evidence against the layout (a programming error, not an
 * input error, when it does not match). Without a layout (`undefined`) any
 * evidence is accepted as given (the reader checks it).
 */
function checkRecordEvidence(ev: RecordEvidence | undefined, layout: EvidenceLayout | undefined): void {
  if (layout === undefined) return;
  const want = layout.evidence ?? [];
  const got = ev?.filters ?? [];
  if (got.length !== want.length) throw new Error(`record has ${got.length} evidence filters, header declares ${want.length}`);
  for (let k = 0; k < want.length; k++) {
    if (got[k]!.length !== Math.ceil(want[k]!.l / 8)) throw new Error(`evidence filter ${want[k]!.name} has ${got[k]!.length} bytes, header says l=${want[k]!.l}`);
  }
  if ((layout.presence !== undefined) !== (ev?.presence !== undefined)) throw new Error('record presence byte does not match the header');
  if (ev?.presence !== undefined && (!Number.isInteger(ev.presence) || ev.presence < 0 || ev.presence > 255)) throw new Error('presence must be a byte');
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
  /** `layout` (the header's evidence and presence) checks every record's evidence; without it evidence is written as given. */
  constructor(
    readonly body: EncodedBody,
    readonly l: number,
    readonly layout?: EvidenceLayout,
  ) {
    this.clkBytes = Math.ceil(l / 8);
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  /** Append one record; `clk` as its bytes, or as base64 text (text body); `evidence` after the CLK (evidence filters, presence byte). */
  add(id: string, clk: Uint8Array, clkBase64: string | undefined, extras: readonly string[], evidence?: RecordEvidence): void {
    checkRecordEvidence(evidence, this.layout);
    if (this.body === 'binary') {
      if (clk.length !== this.clkBytes) throw new Error(`CLK has ${clk.length} bytes, header says l=${this.l} (${this.clkBytes} bytes)`);
      const idLen = Buffer.byteLength(id, 'utf8');
      if (idLen > 0xffff) throw new Error('record id too long for the binary body');
      let need = 2 + idLen + this.clkBytes + 1;
      for (const f of evidence?.filters ?? []) need += f.length;
      for (const x of extras) need += 4 + Buffer.byteLength(x, 'utf8');
      this.ensure(need);
      this.len = writeBinaryRecord(this.buf, this.len, id, idLen, clk, extras, evidence);
    } else this.addText(id, clk, clkBase64, extras, evidence);
    this.rows++;
  }
  /**
   * One text-body line written straight into the buffer: the bytes of
   * textRecord (JSON.stringify of the items) without building the line:
   * base64 from the bytes, strings of printable ASCII copied as they are,
   * any other string through JSON.stringify.
   */
  private addText(id: string, clk: Uint8Array, clkBase64: string | undefined, extras: readonly string[], ev: RecordEvidence | undefined): void {
    let need = 6 + clkB64Length(clk.length) + 6 * id.length + (clkBase64?.length ?? 0);
    if (ev !== undefined) {
      for (const f of ev.filters) need += 3 + clkB64Length(f.length);
      need += 6;
    }
    for (const x of extras) need += 3 + 6 * x.length;
    this.ensure(need);
    const b = this.buf;
    b[this.len++] = 0x5b; // [
    this.putString(id);
    b[this.len++] = 0x2c;
    if (clkBase64 !== undefined) this.putString(clkBase64);
    else this.len = putBase64(b, this.len, clk);
    if (ev !== undefined) {
      for (const f of ev.filters) {
        b[this.len++] = 0x2c;
        this.len = putBase64(b, this.len, f);
      }
      if (ev.presence !== undefined) {
        b[this.len++] = 0x2c;
        this.putString(String(ev.presence));
      }
    }
    for (const x of extras) {
      b[this.len++] = 0x2c;
      this.putString(x);
    }
    b[this.len++] = 0x5d; // ]
    b[this.len++] = 0x0a;
  }
  /** A JSON string (room for 6 bytes per UTF-16 unit + 2 is ensured by the caller). */
  private putString(s: string): void {
    const b = this.buf;
    const at = this.len;
    let p = at + 1;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.len = at + b.write(JSON.stringify(s), at, 'utf8');
        return;
      }
      b[p++] = c;
    }
    b[at] = 0x22;
    b[p++] = 0x22;
    this.len = p;
  }
  /** Records added since the last take(). */
  get count(): number {
    return this.rows;
  }
  get byteLength(): number {
    return this.len;
  }
  /**
   * The bytes of the records added since the last take(), and reset: a
   * fresh copy, or with `detach` the buffer they were written into (the
   * serializer continues in a new one; no copy, for a caller that writes
   * them to a stream right away).
   */
  take(detach = false): { bytes: Uint8Array; rows: number } {
    let bytes: Uint8Array;
    if (detach) {
      bytes = this.buf.subarray(0, this.len);
      this.buf = Buffer.allocUnsafe(this.buf.length);
    } else {
      bytes = new Uint8Array(this.len);
      bytes.set(this.buf.subarray(0, this.len));
    }
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
    ...(init.evidence !== undefined ? { evidence: init.evidence.map((e) => ({ name: e.name, l: e.l, ...(e.dates && e.dates.length > 0 ? { dates: [...e.dates] } : {}) })) } : {}),
    ...(init.presence !== undefined ? { presence: [...init.presence] } : {}),
  };
  const layout: EvidenceLayout = { ...(header.evidence ? { evidence: header.evidence } : {}), ...(header.presence ? { presence: header.presence } : {}) };
  const evidenceItems = (header.evidence?.length ?? 0) + (header.presence ? 1 : 0);
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
  const writeBinary = async (id: string, clk: Uint8Array, extras: readonly string[], ev: RecordEvidence | undefined) => {
    if (clk.length !== clkBytes) throw new Error(`CLK has ${clk.length} bytes, header says l=${init.l} (${clkBytes} bytes)`);
    const idLen = Buffer.byteLength(id, 'utf8');
    if (idLen > 0xffff) throw new Error('record id too long for the binary body');
    let need = 2 + idLen + clkBytes + 1;
    for (const f of ev?.filters ?? []) need += f.length;
    for (const x of extras) need += 4 + Buffer.byteLength(x, 'utf8');
    ensure(need);
    binLen = writeBinaryRecord(bin, binLen, id, idLen, clk, extras, ev);
    rows++;
    if (binLen > 1 << 18) await flush();
  };
  const checkRow = (extras: readonly string[], ev: RecordEvidence | undefined) => {
    if (2 + evidenceItems + extras.length !== width) {
      throw new Error(`encoded row has ${2 + evidenceItems + extras.length} items, header declares ${width}`);
    }
    checkRecordEvidence(ev, layout);
  };
  const writeText = async (line: string) => {
    pending.push(line);
    pendingBytes += line.length;
    rows++;
    if (pendingBytes > 1 << 16) await flush();
  };
  return {
    header,
    async writeRow(id, clkBase64, extras = [], evidence) {
      await start();
      checkRow(extras, evidence);
      if (binary) return writeBinary(id, Buffer.from(clkBase64, 'base64'), extras, evidence);
      return writeText(textRecord(id, clkBase64, extras, evidence));
    },
    async writeRowBytes(id, clk, extras = [], evidence) {
      await start();
      checkRow(extras, evidence);
      if (binary) return writeBinary(id, clk, extras, evidence);
      return writeText(textRecord(id, b64Of(clk), extras, evidence));
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
  if (o.evidence !== undefined) {
    const ev = o.evidence;
    const ok =
      Array.isArray(ev) &&
      ev.length > 0 &&
      ev.length <= 64 &&
      ev.every((e) => {
        if (typeof e !== 'object' || e === null || Array.isArray(e)) return false;
        const x = e as Record<string, unknown>;
        return (
          Object.keys(x).every((k) => k === 'name' || k === 'l' || k === 'dates') &&
          typeof x.name === 'string' &&
          EVIDENCE_NAME.test(x.name) &&
          Number.isInteger(x.l) &&
          (x.l as number) >= 8 &&
          (x.l as number) <= 1 << 20 &&
          (x.dates === undefined || validDates(x.dates))
        );
      }) &&
      new Set(ev.map((e) => (e as { name: string }).name)).size === ev.length;
    if (!ok) bad('evidence', `evidence must be a non-empty array (at most 64) of {"name": [A-Za-z0-9_.-]{1,64}, "l": bits 8..1048576, optional "dates": distinct kinds of ${DATE_TOKEN_KINDS.join(', ')} in that order} with distinct names`);
  }
  if (o.presence !== undefined) {
    const a = o.presence;
    if (!Array.isArray(a) || a.length === 0 || a.length > MAX_PRESENCE_FEATURES || !a.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 256) || new Set(a).size !== a.length) {
      bad('presence', `presence must be an array of 1..${MAX_PRESENCE_FEATURES} distinct feature names`);
    }
  }
  const lead = ['id', 'clk', ...((o.evidence as EvidenceFilterInfo[] | undefined) ?? []).map((e) => `ev:${e.name}`), ...(o.presence !== undefined ? ['presence'] : [])];
  for (let k = 2; k < lead.length; k++) {
    if (cols[k] !== lead[k]) bad('columns', `columns must be ${lead.map((c) => `"${c}"`).join(', ')} (evidence filters and presence as the header declares them), then block: and pass: columns`);
  }
  for (const c of cols.slice(lead.length)) {
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
  return decodeBits(b64, l, file, line, 'clk');
}

/** Decode a bit string (CLK, or evidence filter when `field` is "ev:<name>") from base64, checking length and zero padding bits. */
function decodeBits(b64: string, l: number, file: string, line: number, field: string): Uint8Array {
  const code = field === 'clk' ? 'ENCODED_CLK' : 'ENCODED_EVIDENCE';
  const what = field === 'clk' ? 'CLK' : `evidence filter ${field.slice(3)}`;
  const bytes = Math.ceil(l / 8);
  if (!B64.test(b64) || b64.length % 4 !== 0) {
    throw new P20Error(code, `${what} is not valid base64`, { file, line, field });
  }
  const buf = Buffer.from(b64, 'base64');
  if (buf.length !== bytes) {
    throw new P20Error(code, `${what} has ${buf.length * 8} bits, header says l=${l} (${bytes} bytes)`, { file, line, field });
  }
  checkPadding(buf, l, file, line, field);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Bits beyond l in the last byte must be zero. */
function checkPadding(b: Uint8Array, l: number, file: string, line: number, field: string): void {
  const bytes = Math.ceil(l / 8);
  const spare = bytes * 8 - l;
  if (spare > 0 && (b[bytes - 1]! & ((1 << spare) - 1)) !== 0) {
    const what = field === 'clk' ? 'CLK' : `evidence filter ${field.slice(3)}`;
    throw new P20Error(field === 'clk' ? 'ENCODED_CLK' : 'ENCODED_EVIDENCE', `${what} sets bits beyond l=${l}`, { file, line, field });
  }
}

/** A presence byte must not set bits beyond the header's presence features. */
function checkPresence(v: number, features: number, file: string, line: number): number {
  if (v >= 1 << features) {
    throw new P20Error('ENCODED_EVIDENCE', `presence ${v} sets bits beyond the header's ${features} presence features (0..${(1 << features) - 1})`, { file, line, field: 'presence' });
  }
  return v;
}

/** The text body's presence item: a decimal byte. */
function parsePresence(s: string, features: number, file: string, line: number): number {
  if (!/^(0|[1-9][0-9]{0,2})$/.test(s)) throw new P20Error('ENCODED_EVIDENCE', 'presence must be a decimal number 0..255', { file, line, field: 'presence' });
  return checkPresence(Number(s), features, file, line);
}

export async function openEncoded(path: string, opts: ReadEncodedOptions = {}): Promise<EncodedReader> {
  const file = path;
  // The header line is read as bytes: a binary body is never decoded as text.
  const { header, length } = await readHeaderLine(path);
  const batchSize = opts.batchSize ?? 4096;
  const checkDup = opts.checkDuplicates ?? true;
  if (header.version === ENCODED_BINARY_VERSION) return { header, batches: binaryBatches(path, header, length, batchSize, checkDup) };
  // loaded here: a run that reads only binary bodies never needs readline
  const { createInterface } = await import('node:readline');
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20, start: length });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (e: NodeJS.ErrnoException) => reject(fsError(e, file, 'cannot open', 'ENCODED_OPEN')));
  });
  await opened;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  const width = header.columns.length;
  const blockNames = header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
  const passNames = header.columns.filter((c) => c.startsWith('pass:')).map((c) => c.slice(5));
  const evidence = header.evidence ?? [];
  const presenceFeatures = header.presence?.length ?? 0;
  const firstBlock = 2 + evidence.length + (header.presence ? 1 : 0);
  const firstPass = firstBlock + blockNames.length;

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
      const row: EncodedRow = { id, clk, blocks, pass, line: lineNo };
      if (header.evidence) row.evidence = evidence.map((e, k) => decodeBits(items[2 + k]!, e.l, file, lineNo, `ev:${e.name}`));
      if (header.presence) row.presence = parsePresence(items[2 + evidence.length]!, presenceFeatures, file, lineNo);
      batch.push(row);
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
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buf, 0, buf.length, total));
      } catch (e) {
        throw fsError(e, path, 'cannot read', 'ENCODED_OPEN');
      }
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

/** UTF-8 text of a binary record, refusing invalid UTF-8 (as Buffer's isUtf8 does); a leading BOM is kept, as Buffer's toString keeps it. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The binary body (version 2): records back to back after the header line,
 * each: u16 LE byte length + UTF-8 id; ceil(l/8) CLK bytes; the evidence
 * filters and presence byte when the header declares them; per extra column
 * u32 LE byte length + UTF-8 value. Record k (from 1) reports line k + 1, the
 * line it would have in the text body.
 *
 * The parser validates one record at a time (row count, id text and length,
 * duplicate ids, padding bits, presence, UTF-8 of every value) and leaves its
 * parts in its fields, so that its readers build what they need and nothing
 * else: openEncoded row objects, the linker's loader packed columns
 * (src/link/load.ts). `finish` checks that the body ended where it should.
 */
export class BinaryRecordParser {
  /** The last record's id, its line, and where its CLK, evidence filters and presence byte start in the buffer. */
  id = '';
  line = 1;
  clkAt = 0;
  readonly evidenceAt: number[];
  presence: number | undefined = undefined;
  /** The last record's extra columns (block: then pass:, header order); reused from record to record. Left empty with `extrasAsText` false. */
  readonly extras: string[];
  /** Where the last record's extra columns start in the buffer (their u32 length + UTF-8 bytes run to the record's end). */
  extrasAt = 0;
  /** Records parsed so far. */
  count = 0;
  readonly clkBytes: number;
  readonly evidenceBytes: readonly number[];
  /** Number of extra columns (block: and pass:). */
  readonly extraCount: number;
  readonly blockNames: readonly string[];
  readonly passNames: readonly string[];
  private readonly padMask: number;
  private readonly presenceFeatures: number;
  /** Fixed-size bytes after the CLK: evidence filters, presence byte. */
  private readonly fixedAfterClk: number;
  private readonly seen: Map<string, number> | undefined;
  private buf: Buffer = Buffer.alloc(0);
  /** `buf` as a plain Uint8Array (its views cost less than a Buffer's). */
  private u8: Uint8Array = new Uint8Array(0);

  /**
   * `extrasAsText` false: the extra columns are checked (UTF-8) but not
   * decoded; their bytes stay at `extrasAt` for the caller to keep (the
   * linker decodes blocking values only when a run uses them).
   */
  constructor(
    readonly file: string,
    readonly header: EncodedHeader,
    checkDuplicates = true,
    readonly extrasAsText = true,
  ) {
    this.clkBytes = Math.ceil(header.l / 8);
    const spare = this.clkBytes * 8 - header.l;
    this.padMask = spare > 0 ? (1 << spare) - 1 : 0;
    const evidence = header.evidence ?? [];
    this.evidenceBytes = evidence.map((e) => Math.ceil(e.l / 8));
    this.evidenceAt = evidence.map(() => 0);
    this.presenceFeatures = header.presence?.length ?? 0;
    this.fixedAfterClk = this.evidenceBytes.reduce((a, b) => a + b, 0) + (header.presence ? 1 : 0);
    this.extraCount = header.columns.length - 2 - evidence.length - (header.presence ? 1 : 0);
    this.extras = new Array<string>(this.extraCount).fill('');
    this.blockNames = header.columns.filter((c) => c.startsWith('block:')).map((c) => c.slice(6));
    this.passNames = header.columns.filter((c) => c.startsWith('pass:')).map((c) => c.slice(5));
    this.seen = checkDuplicates ? new Map<string, number>() : undefined;
  }

  /** The fewest bytes a record can take (an id of one byte, every extra empty). */
  get minRecordBytes(): number {
    return 2 + 1 + this.clkBytes + this.fixedAfterClk + 4 * this.extraCount;
  }

  private damaged(line: number, what: string, field?: string): never {
    throw new P20Error('ENCODED_ROW', `binary record ${what} (file damaged)`, { file: this.file, line, ...(field ? { field } : {}) });
  }

  /** Little-endian u16 / u32 at `p` (inline: Buffer's readers cost a call each, per record and column). */
  private u16(p: number): number {
    const u8 = this.u8;
    return u8[p]! | (u8[p + 1]! << 8);
  }
  private u32(p: number): number {
    const u8 = this.u8;
    return (u8[p]! | (u8[p + 1]! << 8) | (u8[p + 2]! << 16)) + u8[p + 3]! * 0x1000000;
  }

  /** End offset of the record starting at `p`, or -1 when the buffer holds only part of it. */
  private recordEnd(p: number): number {
    const len = this.u8.length;
    if (p + 2 > len) return -1;
    let q = p + 2 + this.u16(p) + this.clkBytes + this.fixedAfterClk;
    for (let k = 0; k < this.extraCount; k++) {
      if (q + 4 > len) return -1;
      q += 4 + this.u32(q);
    }
    return q <= len ? q : -1;
  }

  private text(a: number, b: number, line: number, field: string): string {
    try {
      return UTF8.decode(this.u8.subarray(a, b));
    } catch {
      return this.damaged(line, 'holds invalid UTF-8', field);
    }
  }

  /**
   * Parse and check the record at `at` of `buf`: its end offset (its parts
   * are in this parser's fields, offsets into `buf`), or -1 when `buf` holds
   * only part of it (read more, and call again with the rest and more).
   */
  next(buf: Buffer, at: number): number {
    if (buf !== this.buf) {
      this.buf = buf;
      this.u8 = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    }
    const end = this.recordEnd(at);
    if (end < 0) return -1;
    const file = this.file;
    const header = this.header;
    this.count++;
    const line = this.count + 1;
    this.line = line;
    if (this.count > header.rowCount) {
      throw new P20Error('ENCODED_ROWCOUNT', `more rows than the header's rowCount ${header.rowCount} (file damaged or spliced)`, { file, line });
    }
    const idLen = this.u16(at);
    let p = at + 2;
    const id = this.text(p, p + idLen, line, 'id');
    p += idLen;
    if (id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new P20Error('ENCODED_ROW', `record id must be 1..${MAX_ID_LENGTH} characters`, { file, line, field: 'id' });
    }
    if (this.seen) {
      const prev = this.seen.get(id);
      if (prev !== undefined) {
        throw new P20Error('ENCODED_DUPLICATE_ID', `duplicate record id ${JSON.stringify(id)} (first on line ${prev})`, { file, line, field: 'id' });
      }
      this.seen.set(id, line);
    }
    this.id = id;
    if (this.padMask !== 0 && (buf[p + this.clkBytes - 1]! & this.padMask) !== 0) {
      throw new P20Error('ENCODED_CLK', `CLK sets bits beyond l=${header.l}`, { file, line, field: 'clk' });
    }
    this.clkAt = p;
    p += this.clkBytes;
    const evidence = header.evidence;
    if (evidence) {
      for (let k = 0; k < evidence.length; k++) {
        const n = this.evidenceBytes[k]!;
        checkPadding(buf.subarray(p, p + n), evidence[k]!.l, file, line, `ev:${evidence[k]!.name}`);
        this.evidenceAt[k] = p;
        p += n;
      }
    }
    this.presence = header.presence ? checkPresence(buf[p++]!, this.presenceFeatures, file, line) : undefined;
    this.extrasAt = p;
    if (this.extraCount === 0) return end;
    const ascii = isAscii(this.u8.subarray(p, end));
    if (!this.extrasAsText) {
      // checked, not decoded: all ASCII (the usual case), or else every value valid UTF-8
      if (!ascii) this.checkExtras(p, line);
      return end;
    }
    if (ascii) {
      // the usual case (keyed blocking values are hex): every value, and every length byte, is ASCII: one decoding for all of them
      const all = buf.toString('latin1', p, end);
      const base = p;
      for (let k = 0; k < this.extraCount; k++) {
        const n = this.u32(p);
        this.extras[k] = all.slice(p + 4 - base, p + 4 + n - base);
        p += 4 + n;
      }
      return end;
    }
    const firstExtra = header.columns.length - this.extraCount;
    for (let k = 0; k < this.extraCount; k++) {
      const n = this.u32(p);
      this.extras[k] = this.text(p + 4, p + 4 + n, line, header.columns[firstExtra + k]!);
      p += 4 + n;
    }
    return end;
  }

  /** Where the last record's first `k` extra columns end (its block: columns, with k = blockNames.length). */
  extrasEnd(k: number): number {
    let p = this.extrasAt;
    for (let j = 0; j < k; j++) p += 4 + this.u32(p);
    return p;
  }

  /** Refuse the first extra column from `p` on that is not valid UTF-8 (as decoding it would). */
  private checkExtras(p: number, line: number): void {
    const firstExtra = this.header.columns.length - this.extraCount;
    for (let k = 0; k < this.extraCount; k++) {
      const n = this.u32(p);
      if (!isUtf8(this.u8.subarray(p + 4, p + 4 + n))) this.damaged(line, 'holds invalid UTF-8', this.header.columns[firstExtra + k]!);
      p += 4 + n;
    }
  }

  /** After the last byte of the file: refuse a body that ends inside a record (`rest` bytes left over) or holds another number of rows than the header says. */
  finish(rest: number): void {
    if (rest > 0) {
      throw new P20Error('ENCODED_TRUNCATED', `file ends inside record ${this.count + 1} (truncated?)`, { file: this.file, line: this.count + 2 });
    }
    if (this.count !== this.header.rowCount) {
      throw new P20Error('ENCODED_TRUNCATED', `file ends after ${this.count} rows but its header says ${this.header.rowCount} (truncated?)`, { file: this.file, line: this.count + 1 });
    }
  }
}

/** Where the body of an encoded file starts (the byte after its header line), with the validated header. */
export async function readEncodedHeaderLine(path: string): Promise<{ header: EncodedHeader; bodyStart: number }> {
  const { header, length } = await readHeaderLine(path);
  return { header, bodyStart: length };
}

/** The binary body as batches of row objects (openEncoded). */
async function* binaryBatches(path: string, header: EncodedHeader, start: number, batchSize: number, checkDup: boolean): AsyncGenerator<EncodedRow[]> {
  const file = path;
  const parser = new BinaryRecordParser(file, header, checkDup);
  const { blockNames, passNames, clkBytes, evidenceBytes } = parser;
  const stream = createReadStream(path, { start, highWaterMark: 1 << 20 });
  let buf: Buffer = Buffer.alloc(0);
  let at = 0;
  let batch: EncodedRow[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf = at < buf.length ? Buffer.concat([buf.subarray(at), chunk]) : chunk;
      at = 0;
      for (;;) {
        const end = parser.next(buf, at);
        if (end < 0) break;
        const blocks: Record<string, string> = {};
        const pass: Record<string, string> = {};
        for (let k = 0; k < parser.extraCount; k++) {
          if (k < blockNames.length) blocks[blockNames[k]!] = parser.extras[k]!;
          else pass[passNames[k - blockNames.length]!] = parser.extras[k]!;
        }
        const row: EncodedRow = { id: parser.id, clk: new Uint8Array(buf.buffer, buf.byteOffset + parser.clkAt, clkBytes), blocks, pass, line: parser.line };
        if (header.evidence) row.evidence = evidenceBytes.map((n, k) => new Uint8Array(buf.buffer, buf.byteOffset + parser.evidenceAt[k]!, n));
        if (parser.presence !== undefined) row.presence = parser.presence;
        batch.push(row);
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
  parser.finish(buf.length - at);
  if (batch.length > 0) yield batch;
}
