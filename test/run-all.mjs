#!/usr/bin/env node
// Runs the whole vitest suite and ends with one plain summary line
// ("Tests: N passed, N failed, N skipped") that CI reads; exits with vitest's status.
// vitest's JSON report (which vitest announces) is kept at out/test-report.json
// (out/ is git-ignored; P20LINK_TEST_REPORT names another path).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = resolve(root, process.env.P20LINK_TEST_REPORT ?? join('out', 'test-report.json'));
mkdirSync(dirname(out), { recursive: true });
// a report left by an earlier run must not be read as this run's
rmSync(out, { force: true });
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
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
} catch {
  failed = failed || 1;
}
process.stdout.write(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(r.status === 0 && failed === 0 && passed > 0 ? 0 : r.status || 1);
