/**
 * Progress on long work: a redrawn bar on an interactive terminal, nothing
 * otherwise (logs stay clean in CI and pipelines). Progress lines go to
 * stderr so stdout stays machine-readable.
 */
export interface Progress {
  /** Report `done` units out of `total` (total may be unknown). */
  update(done: number, total?: number): void;
  finish(): void;
}

export const silentProgress: Progress = { update() {}, finish() {} };

export function terminalProgress(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silentProgress;
  let last = 0;
  const start = Date.now();
  let drawn = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const secs = (now - start) / 1000;
      const rate = secs > 0 ? Math.round(done / secs) : 0;
      let line: string;
      if (total !== undefined && total > 0) {
        const frac = Math.min(1, done / total);
        const width = 30;
        const fill = Math.round(frac * width);
        line = `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(1)}% ${done}/${total} (${rate}/s)`;
      } else {
        line = `${label} ${done} (${rate}/s)`;
      }
      stream.write(`\r${line}\x1b[K`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}
