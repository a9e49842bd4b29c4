import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests start real peers on loopback ports; keep files in separate forks.
    pool: 'forks',
    // Vitest's default leaves one core free, which on a 2-core CI machine runs the files one at a
    // time (866 s measured); two forks there take 517 s with every test passing. Capped at 4: the
    // end-to-end files each start a gateway, simulators and sometimes Chromium.
    maxWorkers: Math.min(4, Math.max(2, availableParallelism())),
  },
});
