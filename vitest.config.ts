import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one fork per core but one, which on a 2-core CI
    // machine runs the files one at a time (473 s against 298 s with two)
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/helpers/global-tmp.ts'],
  },
});
