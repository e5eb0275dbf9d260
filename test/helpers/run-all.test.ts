import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileTempDir } from './tmp.js';

const dir = fileTempDir('p20-runall-');

describe('test/run-all.mjs', () => {
  it('keeps the JSON report it announces, and ends with the summary line', () => {
    const report = join(dir, 'report.json');
    const r = spawnSync(process.execPath, ['test/run-all.mjs', 'test/report/wilson.test.ts'], {
      cwd: process.cwd(),
      env: { ...process.env, P20LINK_TEST_REPORT: report, VITEST: undefined, VITEST_WORKER_ID: undefined, VITEST_POOL_ID: undefined, TEST: undefined, NODE_ENV: undefined },
      encoding: 'utf8',
    });
    expect(r.stdout).toContain(`JSON report written to ${report}`);
    expect(existsSync(report)).toBe(true);
    const j = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number };
    expect(j.numPassedTests).toBeGreaterThan(0);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`Tests: ${j.numPassedTests} passed, 0 failed, 0 skipped`);
    expect(r.status).toBe(0);
  });
});
