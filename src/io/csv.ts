import { isAscii } from 'node:buffer';
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { type ErrorCode, P20Error, fsError } from '../errors.js';

/**
 * Streaming RFC 4180 CSV reader with exact line numbers.
 *
 * - UTF-8 only; a UTF-8 BOM is skipped, a UTF-16/32 BOM or invalid UTF-8 is
 *   refused with the line it occurs on.
 * - LF and CRLF line ends; quoted fields may contain delimiters, quotes ("")
 *   and line breaks.
 * - Memory is bounded by the chunk size plus the longest record; a field
 *   longer than `maxFieldLength` is refused (a runaway quote would otherwise
 *   swallow the rest of the file).
 * - Every record carries the 1-based physical line it starts on.
 * - Parallel parsing: csvSplitPoints cuts a file into byte ranges at record
 *   boundaries and openCsvRange parses one range with line numbers relative
 *   to it (the encoder's workers; the ranges together give exactly the
 *   records and lines of one whole-file parse).
 */
export interface CsvRecord {
  fields: string[];
  /** 1-based physical line where the record starts. */
  line: number;
}

export interface CsvOptions {
  /** Name used in error messages (usually the path). */
  file: string;
  delimiter?: string;
  /** Trim spaces/tabs around unquoted fields (FEBRL files use ", "). */
  trim?: boolean;
  /** Longest field accepted, in characters. Default 1 MiB. */
  maxFieldLength?: number;
  /** Records per yielded batch. Default 1024. */
  batchSize?: number;
  /** Blank lines are skipped (and counted) rather than yielded. Default true. */
  skipBlankLines?: boolean;
  /**
   * Invalid UTF-8: 'error' (default) refuses the file at that line;
   * 'replace' decodes it as U+FFFD so the caller can refuse just the row and
   * name its column (the encode pipeline's reject policy).
   */
  invalidUtf8?: 'error' | 'replace';
  /**
   * The file's character encoding: 'utf-8' (default) or 'windows-1252' (a
   * file saved by Windows programs as "ANSI" / Latin-1: one byte a
   * character). A windows-1252 file whose accented letters read as UTF-8
   * sequences, or that starts with a UTF-8 byte-order mark, is refused: it
   * is UTF-8, and read as windows-1252 its names would change silently.
   */
  encoding?: CsvEncoding;
  /**
   * The caller reads the file in the encoding its user names (the encoding
   * option; readCsvDialect sets this): invalid UTF-8 is refused with the
   * advice to read a windows-1252 file as such, the option in the error's
   * hint. Default false (a file p20link wrote, or a caller without the option).
   */
  encodingOption?: boolean;
  /**
   * openCsv only: pass rows whose field count differs from the header's
   * through instead of refusing the file (the caller reports them as bad
   * rows). Default false.
   */
  allowRaggedRows?: boolean;
  /**
   * Remove the apostrophe the writer puts before a value a spreadsheet would
   * take for a formula (see neutraliseFormula). Default true.
   */
  formulaPrefix?: boolean;
  /**
   * The text is the start of the file: a leading BOM is skipped (default
   * true). False for a byte range that starts mid-file (openCsvRange).
   */
  fileStart?: boolean;
  /** Physical line number of the first character (default 1). */
  startLine?: number;
  /** Called once the input is exhausted, with the line number after the last record. */
  onEnd?: (nextLine: number) => void;
}

export interface CsvTable {
  header: string[];
  /** Batches of data records (header excluded). */
  batches: AsyncIterable<CsvRecord[]>;
  /** Stop reading: closes the file without reading the rest (after the header, e.g. when workers read byte ranges). */
  close(): void;
}

const UTF8_BOM = '\uFEFF';

/** Character encodings a CSV file may be read in (CsvOptions.encoding). */
export const CSV_ENCODINGS = ['utf-8', 'windows-1252'] as const;
export type CsvEncoding = (typeof CSV_ENCODINGS)[number];

/**
 * A CSV file's dialect as its user names it (the command line's --delimiter,
 * --trim / --no-trim and --encoding; the library's `csv` option of every
 * call that reads a user's CSV file): the delimiter one character, "tab" or
 * "\t" (backslash, t) a tab; the encoding "utf-8" or "windows-1252",
 * "latin1", "cp1252" and "iso-8859-1" meaning windows-1252, "utf8" UTF-8.
 */
export interface CsvDialect {
  delimiter?: string;
  trim?: boolean;
  encoding?: string;
}

/** Names of the CSV encodings (CsvEncoding), lower case. */
const ENCODING_NAMES: Readonly<Record<string, CsvEncoding>> = { 'utf-8': 'utf-8', utf8: 'utf-8', 'windows-1252': 'windows-1252', cp1252: 'windows-1252', latin1: 'windows-1252', 'iso-8859-1': 'windows-1252' };

/** One character other than a quote or a line break. */
export function isDelimiter(v: unknown): v is string {
  return typeof v === 'string' && [...v].length === 1 && !/["\r\n]/.test(v);
}

/**
 * The reader's options of a dialect named by its user (CsvDialect), each only
 * when given; a delimiter or encoding this reader cannot use is refused with
 * `code`, the option named in the error's hint.
 */
export function readCsvDialect(dialect: CsvDialect | undefined, code: ErrorCode = 'CSV_OPTIONS'): Pick<CsvOptions, 'delimiter' | 'trim' | 'encoding' | 'encodingOption'> {
  const out: Pick<CsvOptions, 'delimiter' | 'trim' | 'encoding' | 'encodingOption'> = { encodingOption: true };
  if (dialect === undefined) return out;
  if (dialect.delimiter !== undefined) {
    const d = dialect.delimiter === 'tab' || dialect.delimiter === '\\t' ? '\t' : dialect.delimiter;
    if (!isDelimiter(d)) throw new P20Error(code, 'expected one character other than a quote or line break (or "tab")', {}, { hint: { id: 'subject', option: 'delimiter', value: JSON.stringify(dialect.delimiter) } });
    out.delimiter = d;
  }
  if (dialect.trim !== undefined) out.trim = dialect.trim;
  if (dialect.encoding !== undefined) {
    const e = ENCODING_NAMES[dialect.encoding.toLowerCase()];
    if (e === undefined) throw new P20Error(code, `is not a character encoding this reads (${CSV_ENCODINGS.join(', ')}; latin1 and cp1252 are windows-1252)`, {}, { hint: { id: 'subject', option: 'encoding', value: JSON.stringify(dialect.encoding) } });
    out.encoding = e;
  }
  return out;
}

/**
 * Why a header may not hold the columns asked for because of the dialect it
 * was read in: names with surrounding spaces (a ", "-separated file read
 * without trimming: the `trim` option), or one single column that contains
 * another likely delimiter (the `delimiter` option, with that delimiter as
 * its value). The note starts with ". The header".
 */
export function dialectNote(header: readonly string[], dialect: { delimiter?: string; trim?: boolean }): { note: string; option: 'trim' | 'delimiter'; value?: string } | undefined {
  const delimiter = dialect.delimiter ?? ',';
  if (!dialect.trim && header.some((h) => h !== h.trim() && h.trim().length > 0)) {
    return { note: `. The header's names have surrounding spaces (a file separated by "${delimiter} "?)`, option: 'trim' };
  }
  if (header.length === 1) {
    const h = header[0]!;
    const other = [';', '\t', '|', ','].find((d) => d !== delimiter && h.includes(d));
    if (other !== undefined) return { note: `. The header is one single column containing "${other === '\t' ? '\\t' : other}"`, option: 'delimiter', value: other === '\t' ? 'tab' : `'${other}'` };
  }
  return undefined;
}

/**
 * A column asked for that the header does not hold: the error, with the
 * dialect's note and its option to read the file with when the dialect may
 * be why (dialectNote).
 */
export function missingColumnError(code: ErrorCode, detail: string, location: { file?: string; line?: number; field?: string }, header: readonly string[], dialect: { delimiter?: string; trim?: boolean }): P20Error {
  const d = dialectNote(header, dialect);
  if (d === undefined) return new P20Error(code, detail, location);
  return new P20Error(code, `${detail}${d.note}: read it with the ${d.option} option`, location, { hint: { id: 'use-option', option: d.option, ...(d.value !== undefined ? { value: d.value } : {}) } });
}

/** What a file that is not UTF-8 is told where its reader has the encoding option (CsvOptions.encodingOption; the encoder's bad-row reason). */
export const INVALID_UTF8_ADVICE = 'invalid UTF-8 byte sequence (the file must be UTF-8 encoded; a file a Windows program saved as ANSI or Latin-1 is read as windows-1252 with the encoding option)';

/** The bytes → text step of a CSV file in its encoding; its errors name lines from `opts.startLine` (default 1) at the first byte. */
function decodeText(source: AsyncIterable<Buffer | string>, file: string, opts: { invalidUtf8?: 'error' | 'replace'; encoding?: CsvEncoding; encodingOption?: boolean; startLine?: number }, fileStart: boolean): AsyncGenerator<string> {
  const linesBefore = (opts.startLine ?? 1) - 1;
  return opts.encoding === 'windows-1252'
    ? decodeWindows1252(startChecked(source, file, fileStart, noUtf8Bom), file, linesBefore)
    : decodeUtf8(startChecked(source, file, fileStart), file, opts.invalidUtf8 === 'replace', linesBefore, opts.encodingOption === true);
}

/** The source's chunks; at a file's start the first byte chunk is checked for a foreign byte-order mark (and by `also`). */
async function* startChecked(source: AsyncIterable<Buffer | string>, file: string, fileStart: boolean, also?: (chunk: Buffer, file: string) => void): AsyncGenerator<Buffer | string> {
  let first = fileStart;
  for await (const chunk of source) {
    if (first && typeof chunk !== 'string') {
      checkForeignBom(chunk, file);
      also?.(chunk, file);
      first = false;
    }
    yield chunk;
  }
}

function noUtf8Bom(chunk: Buffer, file: string): void {
  if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
    throw new P20Error('CSV_ENCODING', 'file starts with a UTF-8 byte-order mark: it is UTF-8, not windows-1252', { file, line: 1 });
  }
}

/**
 * Decode a windows-1252 byte stream (one byte a character: chunks decode
 * alone, and byte offsets of line feeds and quotes are those of the text).
 * Refuses (with `noUtf8Bom` at the file's start) a UTF-8 byte-order mark, and a chunk that is valid UTF-8 with
 * characters beyond ASCII: such a file is UTF-8 (in windows-1252 text an
 * accented letter is one byte, nearly never followed by the continuation
 * bytes UTF-8 needs).
 */
async function* decodeWindows1252(source: AsyncIterable<Buffer | string>, file: string, linesBefore: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('windows-1252');
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      yield chunk;
      continue;
    }
    if (isAscii(chunk)) {
      yield chunk.toString('latin1');
    } else {
      if (firstInvalidUtf8(chunk) < 0) {
        let at = 0;
        while (chunk[at]! < 0x80) at++;
        throw new P20Error('CSV_ENCODING', 'its letters beyond ASCII are UTF-8 sequences: the file is UTF-8, not windows-1252', { file, line: linesBefore + countNewlines(chunk, at) + 1 });
      }
      yield decoder.decode(chunk);
    }
    linesBefore += countNewlines(chunk, chunk.length);
  }
}

function checkForeignBom(buf: Uint8Array, file: string): void {
  const b0 = buf[0];
  const b1 = buf[1];
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    throw new P20Error('CSV_ENCODING', 'file starts with a UTF-16/UTF-32 byte-order mark; save it as UTF-8', { file, line: 1 });
  }
}

/** Byte offset of the first invalid UTF-8 sequence in buf, or -1. Incomplete trailing sequences are allowed. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= n) {
      // incomplete at the end of the buffer: let the next chunk finish it
      for (let k = 1; i + k < n; k++) if ((buf[i + k]! & 0xc0) !== 0x80) return i;
      return -1;
    }
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

function countNewlines(buf: Uint8Array, end: number): number {
  let c = 0;
  for (let i = 0; i < end; i++) if (buf[i] === 0x0a) c++;
  return c;
}

/**
 * Whether a decoder fed the bytes ending in `tail` (the stream's last bytes,
 * oldest first) may be holding the start of an incomplete UTF-8 sequence.
 * Errs towards true (then the caller keeps using the decoder).
 */
function mayBePending(tail: Uint8Array, n: number): boolean {
  for (let k = 0; k < Math.min(n, 4); k++) {
    const b = tail[n - 1 - k]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    if (b < 0xc0) return false; // ASCII: complete
    const need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
    return k < need;
  }
  return false;
}

/** Decode a byte stream to text chunks, refusing invalid UTF-8 with its line. */
async function* decodeUtf8(source: AsyncIterable<Buffer | string>, file: string, replace: boolean, linesBefore: number, advise: boolean): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: !replace, ignoreBOM: true });
  // An all-ASCII chunk is its own text (one byte per character, no decoder)
  // unless the decoder holds part of a sequence from the chunk before.
  let pending = false;
  const tail = new Uint8Array(4);
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      yield chunk;
      continue;
    }
    let text: string;
    if (!pending && isAscii(chunk)) {
      text = chunk.toString('latin1');
      tail.fill(0x20); // the stream now ends in ASCII
    } else {
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        // Continuation bytes at the start finish a character begun in the chunk before.
        let from = 0;
        if (pending) while (from < 3 && from < chunk.length && (chunk[from]! & 0xc0) === 0x80) from++;
        const bad = firstInvalidUtf8(chunk.subarray(from));
        const line = linesBefore + countNewlines(chunk, bad < 0 ? 0 : from + bad) + 1;
        if (advise) throw new P20Error('CSV_ENCODING', INVALID_UTF8_ADVICE, { file, line }, { hint: { id: 'use-option', option: 'encoding', value: 'windows-1252' } });
        throw new P20Error('CSV_ENCODING', 'invalid UTF-8 byte sequence (the file must be UTF-8 encoded)', { file, line });
      }
      // The stream's last (up to) 4 bytes: this chunk's, after the ones kept from before.
      const keep = Math.max(0, 4 - chunk.length);
      tail.copyWithin(0, 4 - keep, 4);
      tail.set(chunk.subarray(Math.max(0, chunk.length - 4)), keep);
      pending = mayBePending(tail, 4);
    }
    if (!replace) linesBefore += countNewlines(chunk, chunk.length); // only the errors of the fatal decoder name a line
    if (text.length > 0) yield text;
  }
  try {
    const rest = decoder.decode();
    if (rest.length > 0) yield rest;
  } catch {
    throw new P20Error('CSV_ENCODING', 'file ends inside a multi-byte UTF-8 character', { file, line: linesBefore + 1 });
  }
}

/**
 * Parse CSV text chunks into records. Exported for tests and for callers with
 * in-memory text; most callers want `openCsv`.
 */
export async function* parseCsv(chunks: AsyncIterable<string>, opts: CsvOptions): AsyncGenerator<CsvRecord[]> {
  const delim = opts.delimiter ?? ',';
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') {
    throw new P20Error('CSV_OPTIONS', `invalid delimiter ${JSON.stringify(delim)}`);
  }
  const trim = opts.trim ?? false;
  const maxField = opts.maxFieldLength ?? 1 << 20;
  const batchSize = opts.batchSize ?? 1024;
  const skipBlank = opts.skipBlankLines ?? true;
  const file = opts.file;

  let buf = '';
  let pos = 0;
  let line = opts.startLine ?? 1; // physical line of buf[pos]
  let firstChunk = opts.fileStart ?? true;
  let batch: CsvRecord[] = [];
  let eof = false;
  // Position of the next '"' in buf at or after the current record (-1: none in buf, -2: unknown).
  // Cached so that quote-free files are scanned once, not once per line.
  let quoteAt = -2;
  const iter = chunks[Symbol.asyncIterator]();

  const more = async (): Promise<boolean> => {
    if (eof) return false;
    const r = await iter.next();
    if (r.done) {
      eof = true;
      return false;
    }
    let s = r.value;
    if (firstChunk) {
      firstChunk = false;
      if (s.startsWith(UTF8_BOM)) s = s.slice(1);
    }
    buf = pos < buf.length ? buf.slice(pos) + s : s;
    pos = 0;
    quoteAt = -2;
    return true;
  };

  const restore = opts.formulaPrefix ?? true;
  const unq = (f: string): string => (restore && f.charCodeAt(0) === 39 ? restoreFormula(f) : f);
  const fin = (f: string): string => unq(trim ? f.trim() : f);

  // Parse one record starting at pos. Returns null if more input is needed.
  const parseRecord = (): CsvRecord | null | 'blank' => {
    const startLine = line;
    let i = pos;
    let lines = 0;
    const n = buf.length;
    // Fast path: a line with no quote.
    const nl = buf.indexOf('\n', i);
    if (nl >= 0) {
      if (quoteAt !== -1 && quoteAt < i) quoteAt = buf.indexOf('"', i);
      const q = quoteAt;
      if (q < 0 || q > nl) {
        let end = nl;
        if (end > i && buf.charCodeAt(end - 1) === 13) end--;
        const raw = buf.slice(i, end);
        pos = nl + 1;
        line += 1;
        if (raw.length === 0 || (trim && raw.trim().length === 0)) return 'blank';
        // The split array becomes the record's fields (no second array).
        const parts = raw.split(delim);
        for (let k = 0; k < parts.length; k++) {
          const p = parts[k]!;
          if (p.length > maxField) {
            throw new P20Error('CSV_FIELD_TOO_LONG', `field longer than ${maxField} characters`, { file, line: startLine });
          }
          parts[k] = fin(p);
        }
        return { fields: parts, line: startLine };
      }
    } else if (!eof) {
      if (n - i > maxField * 4 + 65536) {
        throw new P20Error('CSV_FIELD_TOO_LONG', `record longer than ${maxField * 4 + 65536} characters`, { file, line: startLine });
      }
      return null;
    }
    // General path: state machine.
    const fields: string[] = [];
    let field = '';
    let fieldStart = i;
    let quoted = false;
    let wasQuoted = false;
    let quoteLine = startLine;
    while (true) {
      if (i >= n) {
        if (!eof) return null;
        if (quoted) {
          throw new P20Error('CSV_UNTERMINATED_QUOTE', 'quoted field is never closed (missing ")', { file, line: quoteLine });
        }
        field += buf.slice(fieldStart, i);
        if (fields.length === 0 && field.length === 0) {
          pos = i;
          return 'blank';
        }
        fields.push(wasQuoted ? unq(field) : fin(field));
        pos = i;
        line += lines;
        return { fields, line: startLine };
      }
      const c = buf.charCodeAt(i);
      if (quoted) {
        if (c === 34) {
          if (i + 1 >= n && !eof) return null;
          if (buf.charCodeAt(i + 1) === 34) {
            field += buf.slice(fieldStart, i + 1);
            i += 2;
            fieldStart = i;
            continue;
          }
          field += buf.slice(fieldStart, i);
          quoted = false;
          wasQuoted = true;
          i++;
          fieldStart = i;
          // after a closing quote only delimiter / line end / spaces (if trimming) may follow
          while (trim && i < n && (buf[i] === ' ' || buf[i] === '\t')) i++;
          if (i >= n && !eof) return null;
          if (i < n) {
            const d = buf[i];
            if (d !== delim && d !== '\n' && d !== '\r') {
              throw new P20Error('CSV_QUOTE', 'unexpected character after closing quote', { file, line: startLine + lines });
            }
          }
          fieldStart = i;
          continue;
        }
        if (c === 10) lines++;
        i++;
        if (i - fieldStart + field.length > maxField) {
          throw new P20Error('CSV_FIELD_TOO_LONG', `field longer than ${maxField} characters (unbalanced quote?)`, { file, line: quoteLine });
        }
        continue;
      }
      if (c === 34) {
        const before = buf.slice(fieldStart, i);
        if (before.length === 0 || (trim && before.trim().length === 0)) {
          quoted = true;
          quoteLine = startLine + lines;
          field = '';
          i++;
          fieldStart = i;
          continue;
        }
        throw new P20Error('CSV_QUOTE', 'quote character inside an unquoted field', { file, line: startLine + lines });
      }
      if (buf[i] === delim) {
        field += buf.slice(fieldStart, i);
        fields.push(wasQuoted ? unq(field) : fin(field));
        wasQuoted = false;
        field = '';
        i++;
        fieldStart = i;
        continue;
      }
      if (c === 10 || c === 13) {
        field += buf.slice(fieldStart, i);
        if (c === 13) {
          if (i + 1 >= n && !eof) return null;
          if (buf.charCodeAt(i + 1) === 10) i++;
        }
        i++;
        lines++;
        pos = i;
        line += lines;
        if (fields.length === 0 && field.length === 0 && !wasQuoted) return 'blank';
        fields.push(wasQuoted ? unq(field) : fin(field));
        return { fields, line: startLine };
      }
      i++;
    }
  };

  await more();
  while (true) {
    const r = parseRecord();
    if (r === null) {
      if (!(await more())) {
        if (pos >= buf.length) break;
        continue; // eof reached: parseRecord finishes the tail
      }
      continue;
    }
    if (r === 'blank') {
      if (!skipBlank) batch.push({ fields: [''], line: line - 1 });
    } else {
      batch.push(r);
    }
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
    if (pos >= buf.length && eof) break;
  }
  opts.onEnd?.(line);
  if (batch.length > 0) yield batch;
}

async function* textChunks(input: string): AsyncGenerator<string> {
  yield input;
}

/** Parse CSV held in memory (tests, small tables). */
export async function parseCsvText(text: string, opts: CsvOptions): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const b of parseCsv(textChunks(text), opts)) out.push(...b);
  return out;
}

/**
 * Open a CSV file (or stream) for streaming: reads the header, checks it is
 * present and has unique, non-empty names, and returns the data batches.
 * Every data record is checked to have exactly as many fields as the header.
 */
export async function openCsv(input: string | Readable, opts: Partial<CsvOptions> & { file?: string } = {}): Promise<CsvTable> {
  const file = opts.file ?? (typeof input === 'string' ? input : '<stream>');
  if (typeof input === 'string') {
    // surface ENOENT etc. as a clear error
    const { stat } = await import('node:fs/promises');
    try {
      const s = await stat(input);
      if (s.isDirectory()) throw new P20Error('CSV_OPEN', 'is a directory, not a CSV file', { file });
    } catch (e) {
      if (e instanceof P20Error) throw e;
      throw fsError(e, file, 'cannot open', 'CSV_OPEN');
    }
  }
  // Opened only after the stat above succeeded (a stream on a missing file would raise an unhandled error).
  const source: AsyncIterable<Buffer | string> =
    typeof input === 'string' ? createReadStream(input, { highWaterMark: 1 << 20 }) : input;
  const gen = parseCsv(decodeText(source, file, { ...opts, startLine: 1 }, true), { ...opts, file, fileStart: true, startLine: 1 });
  const it = gen[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done || first.value.length === 0) {
    throw new P20Error('CSV_EMPTY', 'file is empty (expected a header line)', { file, line: 1 });
  }
  const [head, ...rest] = first.value;
  const header = head!.fields;
  const seen = new Set<string>();
  header.forEach((h, idx) => {
    if (h.length === 0) throw new P20Error('CSV_HEADER', `header column ${idx + 1} has no name`, { file, line: head!.line });
    if (seen.has(h)) throw new P20Error('CSV_HEADER', `header names column "${h}" twice`, { file, line: head!.line });
    seen.add(h);
  });
  const width = header.length;
  const ragged = opts.allowRaggedRows ?? false;
  const check = (b: CsvRecord[]): CsvRecord[] => {
    if (ragged) return b;
    for (const r of b) {
      if (r.fields.length !== width) {
        throw new P20Error(
          'CSV_ROW_WIDTH',
          `row has ${r.fields.length} field(s) but the header has ${width}` +
            (r.fields.length < width ? ` (missing column "${header[r.fields.length]}")` : ''),
          { file, line: r.line },
        );
      }
    }
    return b;
  };
  async function* batches(): AsyncGenerator<CsvRecord[]> {
    if (rest.length > 0) yield check(rest);
    while (true) {
      const n = await it.next();
      if (n.done) return;
      yield check(n.value);
    }
  }
  return {
    header,
    batches: batches(),
    close: () => {
      if (typeof input === 'string') (source as ReturnType<typeof createReadStream>).destroy();
    },
  };
}

/**
 * Parse the records of bytes [start, end) of a CSV file, which must begin at
 * a record boundary (0, or a split point from csvSplitPoints). Line numbers
 * count from `opts.startLine` (default 1) at `start`; `onEnd` receives the
 * line after the range, so a caller that parses consecutive ranges (the
 * encoder's workers) turns relative lines into the file's. The range at 0
 * skips a BOM; the header is the caller's to drop. Streams (bounded memory).
 */
export function openCsvRange(path: string, start: number, end: number, opts: Omit<CsvOptions, 'fileStart'>): AsyncGenerator<CsvRecord[]> {
  const source: AsyncIterable<Buffer> =
    end > start ? createReadStream(path, { start, end: end - 1, highWaterMark: 1 << 20 }) : (async function* () {})();
  return parseCsv(decodeText(source, opts.file, opts, start === 0), { ...opts, fileStart: start === 0 });
}

/**
 * Split points of a CSV file for parallel parsing: byte offsets just after a
 * line feed that ends a record, about `target` bytes apart (a function is
 * asked again before each range), yielded as
 * consecutive ranges [start, end) covering the whole file. A line feed ends
 * a record when an even number of quote bytes precede it in the range (RFC
 * 4180: a quoted field's line break sits after an odd number, and "" inside
 * a quoted field counts twice), so quoted line breaks never split a record.
 * Quote and line-feed bytes never occur inside UTF-8 multi-byte sequences.
 * A malformed file (a quote inside an unquoted field) can misplace later
 * split points only after the record the parser refuses anyway; a range
 * without any even split point grows to the end of the file (so does a file
 * whose lines end in a bare carriage return: one range). Reads the file
 * with native byte searches in 1 MiB windows; holds one window in memory.
 */
export function* csvSplitPoints(path: string, target: number | (() => number)): Generator<[number, number]> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const W = 1 << 20;
    const buf = Buffer.allocUnsafe(W);
    const quotes: number[] = [];
    let start = 0;
    while (start < size) {
      const want = typeof target === 'number' ? target : target();
      let from = Math.min(size, start + Math.max(1, want)); // look for a split at or after here
      if (from >= size) {
        yield [start, size];
        return;
      }
      // Quote parity from `start` up to `from`.
      let parity = 0;
      for (let p = start; p < from; ) {
        const n = readSync(fd, buf, 0, Math.min(W, from - p), p);
        if (n <= 0) break;
        for (let i = buf.indexOf(0x22, 0); i >= 0 && i < n; i = buf.indexOf(0x22, i + 1)) parity ^= 1;
        p += n;
      }
      // The first line feed at or after `from` with even parity.
      let end = size;
      while (from < size) {
        const n = readSync(fd, buf, 0, Math.min(W, size - from), from);
        if (n <= 0) break;
        quotes.length = 0;
        for (let i = buf.indexOf(0x22, 0); i >= 0 && i < n; i = buf.indexOf(0x22, i + 1)) quotes.push(i);
        let q = 0;
        let found = -1;
        for (let i = buf.indexOf(0x0a, 0); i >= 0 && i < n; i = buf.indexOf(0x0a, i + 1)) {
          while (q < quotes.length && quotes[q]! < i) {
            parity ^= 1;
            q++;
          }
          if (parity === 0) {
            found = i;
            break;
          }
        }
        if (found >= 0) {
          end = from + found + 1;
          break;
        }
        parity ^= (quotes.length - q) & 1;
        from += n;
      }
      yield [start, end];
      start = end;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Spreadsheet formula neutralising (CSV injection). A value that starts with
 * `=`, `+`, `-`, `@`, a tab or a carriage return — possibly after leading
 * apostrophes — would be run as a formula when the file is opened in a
 * spreadsheet (`=HYPERLINK(...)`). The writer prefixes such a value with one
 * apostrophe (the spreadsheet convention for "this is text"); plain numbers
 * ("-3", "+1.5e-3") are left alone. The reader removes exactly one leading
 * apostrophe from a field that starts with one or more apostrophes followed
 * by one of those characters, so every value round-trips through the
 * toolkit's own writer and reader unchanged (docs/files-and-temp-files.md).
 */
const FORMULA_START = /^'*[=+\-@\t\r]/;
const NEUTRALISED = /^'+[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The value as written to CSV: prefixed with "'" when a spreadsheet would take it for a formula. */
export function neutraliseFormula(v: string): string {
  return FORMULA_START.test(v) && !PLAIN_NUMBER.test(v) ? `'${v}` : v;
}

/** Undo neutraliseFormula on a field read back. */
export function restoreFormula(f: string): string {
  return f.charCodeAt(0) === 39 && NEUTRALISED.test(f) ? f.slice(1) : f;
}

/**
 * A value csvEscape leaves as it is, with the comma delimiter (most values:
 * ids, linkage IDs, scores), found by one regular expression: no formula
 * start (= + - @, or an apostrophe, which may lead to one), no quote, comma
 * or white space anywhere (line breaks, tabs, CR included). Anything else
 * takes the full path.
 */
const PLAIN_COMMA_FIELD = /^(?:[^=+\-@'",\s\u0085][^",\s\u0085]*)?$/;

/** Quote a value for CSV output when needed (RFC 4180), neutralising spreadsheet formulas. */
export function csvEscape(v: string, delimiter = ','): string {
  if (delimiter === ',' && PLAIN_COMMA_FIELD.test(v)) return v;
  v = neutraliseFormula(v);
  if (v.includes('"') || v.includes(delimiter) || v.includes('\n') || v.includes('\r') || /^\s|\s$/.test(v)) {
    return `"${v.replace(/"/g, '""')}"`;
  }
  return v;
}

export function csvLine(values: readonly string[], delimiter = ','): string {
  return values.map((v) => csvEscape(v, delimiter)).join(delimiter) + '\n';
}
