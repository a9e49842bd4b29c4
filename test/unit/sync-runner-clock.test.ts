/**
 * The push loop's send rate is a window of elapsed (monotonic) time: a wall-clock step does not
 * empty it. Backoff waits are timers, which Node runs on the monotonic clock already.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createBatchReader } from '../../sync/batch.js';
import { createTargetRunner, type TargetRunner } from '../../sync/target-runner.js';
import type { Transport } from '../../sync/transport.js';
import { syncSamples, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('sync-runner-clock-');
const runners: TargetRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  temp.cleanup();
});

describe('push loop across wall-clock steps', () => {
  it.each([
    ['back one day', -86_400_000],
    ['forward 40 days', 40 * 86_400_000],
  ])('keeps its send rate after a step %s', async (_name, stepMs) => {
    const store = temp.open(temp.file());
    store.append(syncSamples(300));
    store.flush();
    const c = { wall: Date.UTC(2026, 0, 1), mono: 10_000 };
    const transport: Transport = {
      encode: async (batch) => Buffer.from(batch.body),
      send: async (batch) => ({ ok: true, ackSeq: batch.toSeq, wireBytes: 10 }),
      close: async () => {},
    };
    const runner = createTargetRunner({
      id: 'ems',
      kind: 'http',
      url: 'http://ems.test/ingest',
      store,
      reader: createBatchReader(store, 'gw'),
      transport,
      limits: { items: 100, bytes: 1_000_000 },
      retry: { retryInitialMs: 20, retryMaxMs: 200 },
      logger: silentLogger,
      now: () => c.wall,
      monoNow: () => c.mono,
    });
    runners.push(runner);
    runner.start();
    await until(() => store.syncCursor('ems', 'readings') === 300, 5000, 'the cursor at the end');
    c.mono += 5000;
    c.wall += 5000;
    const before = runner.status().sendRate;
    expect(before).toBeGreaterThan(0);
    c.wall += stepMs;
    expect(runner.status().sendRate).toBe(before);
  });
});
