import { defineConfig } from 'vitest/config';

/**
 * Files that measure throughput or load the machine on purpose: they run first, one at a time, with
 * nothing beside them, so their figures and timeouts mean the same on a 2-core CI machine.
 */
const SOLO = [
  'test/bench/**/*.test.ts',
  'test/integration/simulator-throughput.test.ts',
  'test/integration/mqtt-flood.test.ts',
  // live reloads judged by the poll slots of the devices they did not touch
  'test/integration/config-live-*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration tests start real peers on loopback ports; keep files in separate forks.
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'solo', include: SOLO, maxWorkers: 1, sequence: { groupOrder: 0 } } },
      {
        extends: true,
        // Most files wait on peers, browsers and timers rather than on the CPU: two at a time halves
        // the suite on 2 cores. Browser tests give their steps generous timeouts for this reason.
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: SOLO, maxWorkers: 2, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
