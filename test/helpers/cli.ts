import { vi } from 'vitest';
import { main } from '../../cli/main.js';

/** What one in-process CLI run printed and returned. */
export interface CliResult {
  code: number;
  /** stdout, plus console.log (where yargs prints --help). */
  out: string;
  err: string;
  /** stdout and stderr interleaved in the order written. */
  all: string;
}

export interface RunCliOptions {
  /** Environment variables set for the run only (e.g. a secret or passphrase). */
  env?: Record<string, string>;
  /** The entry point to run; `p20link`'s main by default. */
  entry?: (argv: string[]) => Promise<number>;
}

/**
 * Run the CLI in-process: returns the exit status and everything written to
 * stdout/stderr. Restores the streams and the environment afterwards and
 * resets process.exitCode, so a failing command does not fail the test run.
 */
export async function runCli(argv: string[], opts: RunCliOptions = {}): Promise<CliResult> {
  const r: CliResult = { code: 0, out: '', err: '', all: '' };
  const capture = (to: 'out' | 'err') => (c: string | Uint8Array) => {
    r[to] += String(c);
    r.all += String(c);
    return true;
  };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(capture('out'));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(capture('err'));
  const l = vi.spyOn(console, 'log').mockImplementation((...xs: unknown[]) => void capture('out')(xs.join(' ') + '\n'));
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    r.code = await (opts.entry ?? main)(argv);
    return r;
  } finally {
    o.mockRestore();
    e.mockRestore();
    l.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.exitCode = 0;
  }
}
