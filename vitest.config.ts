import { defineConfig } from 'vitest/config';

/**
 * Files that measure throughput or load the machine on purpose: they run one at a time, with nothing
 * beside them, so their figures and timeouts mean the same on a 2-core CI machine. (Vitest runs a
 * single-worker project of groupOrder 0 as its own group after the others, not first.)
 */
const SOLO = [
  'test/bench/**/*.test.ts',
  'test/integration/simulator-throughput.test.ts',
  'test/integration/mqtt-flood.test.ts',
  // live reloads judged by the poll slots of the devices they did not touch
  'test/integration/config-live-*.test.ts',
];

/**
 * End-to-end files that spend minutes waiting on simulated physics in real time (CRAC-1 degrading
 * 0.4 °C a minute, racks warming and cooling again, an incident's 60 s window, the store's
 * minute-long retention timer) and use little CPU meanwhile (all five, demo starts and chromium
 * included: 120 s of CPU in 331 s). Two at a time among the rest they were 45 % of the shared
 * project's time; here all run at once, their demos started one at a time (test/helpers/start-gate.ts),
 * and the group takes about as long as the longest of them. Only files that judge no throughput or
 * latency of their own belong here.
 */
const WAITING = [
  'test/e2e/analytics-demo.test.ts',
  'test/e2e/browser-analytics.test.ts',
  'test/e2e/clock-step.test.ts',
  'test/e2e/cooling-demo.test.ts',
  'test/e2e/incidents-demo.test.ts',
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
        test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...SOLO, ...WAITING], maxWorkers: 2, sequence: { groupOrder: 1 } },
      },
      { extends: true, test: { name: 'waiting', include: WAITING, maxWorkers: WAITING.length, sequence: { groupOrder: 2 } } },
    ],
  },
});
