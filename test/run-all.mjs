#!/usr/bin/env node
// Runs the whole vitest suite and ends with one plain summary line
// ("Tests: N passed, N failed, N skipped") that CI reads; exits with vitest's status.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const out = join(tmpdir(), `p20link-vitest-${process.pid}.json`);
const vitest = join(import.meta.dirname, '..', 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile=${out}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  passed = j.numPassedTests ?? 0;
  failed = (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0) * (j.numFailedTests ? 0 : 1);
  skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  rmSync(out, { force: true });
} catch {
  failed = failed || 1;
}
process.stdout.write(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(r.status === 0 && failed === 0 && passed > 0 ? 0 : r.status || 1);
