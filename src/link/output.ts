import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { openAtomic, type AtomicFile } from '../io/atomic-file.js';
import { csvLine } from '../io/csv.js';

/**
 * Staging the linker's output files (their contracts: src/format/links.ts,
 * review.ts, run-report.ts; format: protocols/link-output.md).
 * Files are staged as hidden temp files beside their final names and only
 * renamed into place by `commitAll` after the registry has recorded the run,
 * so a failed run leaves neither outputs nor registry changes behind.
 */
/** An atomic output file that also hashes what it writes. */
export class StagedFile {
  readonly file: AtomicFile;
  readonly name: string;
  rows = 0;
  private readonly hash = createHash('sha256');
  private buf: string[] = [];
  private bufLen = 0;

  constructor(dir: string, name: string) {
    this.name = name;
    this.file = openAtomic(join(dir, name));
  }

  async line(values: readonly string[]): Promise<void> {
    const s = csvLine(values);
    this.buf.push(s);
    this.bufLen += s.length;
    if (this.bufLen > 1 << 16) await this.flush();
  }

  async row(values: readonly string[]): Promise<void> {
    this.rows++;
    await this.line(values);
  }

  async text(s: string): Promise<void> {
    this.buf.push(s);
    this.bufLen += s.length;
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const s = this.buf.join('');
    this.buf = [];
    this.bufLen = 0;
    this.hash.update(s, 'utf8');
    await this.file.write(s);
  }

  /** Flush and return "sha256:<hex>" of the complete content. */
  async finish(): Promise<string> {
    await this.flush();
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** Rename every staged file into place (after the registry commit). */
export async function commitAll(files: readonly StagedFile[]): Promise<void> {
  // all made durable together (the fsyncs overlap), then renamed: none is published unless every one was written
  await Promise.all(files.map((f) => f.file.prepare()));
  for (const f of files) await f.file.commit();
}

/** Remove every staged temp file (on failure). */
export async function abortAll(files: readonly StagedFile[]): Promise<void> {
  for (const f of files) await f.file.abort().catch(() => undefined);
}
