/**
 * The push loop against a scripted transport (the store is real): partial and odd acks, the
 * backoff schedule, Retry-After, 413 halving down to one item, and a prompt stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/index.js';
import { type Batch, createBatchReader } from '../../sync/batch.js';
import { syncHealth } from '../../sync/health.js';
import { syncMetrics } from '../../sync/metrics.js';
import { createTargetRunner, type TargetRunner } from '../../sync/target-runner.js';
import type { SendOutcome, Transport } from '../../sync/transport.js';
import { syncSamples, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('sync-runner-');
const runners: TargetRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  temp.cleanup();
});

type Script = (batch: Batch, n: number) => SendOutcome | Promise<SendOutcome>;

function setup(
  readings: number,
  script: Script,
  retry = { retryInitialMs: 20, retryMaxMs: 200 },
  items = 100,
  streams?: ('events' | 'readings')[],
  event = false,
) {
  const store: Store = temp.open(temp.file());
  store.append(syncSamples(readings));
  if (event) store.appendEvent('alarm.raised', { alarm: 'ups1.on-battery' });
  store.flush();
  const sent: Batch[] = [];
  const transport: Transport = {
    encode: async (batch) => Buffer.from(batch.body),
    send: async (batch) => {
      sent.push(batch);
      return script(batch, sent.length);
    },
    close: async () => {},
  };
  const runner = createTargetRunner({
    id: 'ems',
    kind: 'http',
    url: 'http://ems.test/ingest',
    store,
    reader: createBatchReader(store, 'gw'),
    transport,
    limits: { items, bytes: 1_000_000 },
    retry,
    logger: silentLogger,
    random: () => 1,
    ...(streams ? { streams } : {}),
  });
  runners.push(runner);
  runner.start();
  return { store, runner, sent };
}

const ok = (ackSeq: number): SendOutcome => ({ ok: true, ackSeq, wireBytes: 10 });
const fail = (kind: 'retry' | 'auth' | 'too-large' | 'rejected', extra: Partial<SendOutcome> = {}): SendOutcome =>
  ({ ok: false, kind, message: `scripted ${kind}`, ...extra }) as SendOutcome;

describe('push loop', () => {
  it('sends events first, and a readings-only target (a time-series database) never reads the events stream', async () => {
    const both = setup(50, (b) => ok(b.toSeq), undefined, 100, undefined, true);
    await until(() => both.store.syncCursor('ems', 'readings') === 50, 5000, 'both streams sent');
    expect(both.sent.map((b) => b.stream)).toEqual(['events', 'readings']);

    const tsdb = setup(50, (b) => ok(b.toSeq), undefined, 100, ['readings'], true);
    await until(() => tsdb.store.syncCursor('ems', 'readings') === 50, 5000, 'the readings sent');
    expect(tsdb.sent.map((b) => b.stream)).toEqual(['readings']);
    expect(tsdb.store.syncCursor('ems', 'events')).toBe(0);
    expect(tsdb.runner.status().carries).toEqual(['readings']);
    const health = syncHealth(tsdb.store, [{ ...tsdb.runner.status(), kind: 'prometheus' }], [], Date.now());
    expect(health.targets[0]!.streams).toEqual({ readings: expect.objectContaining({ depth: 0 }) });
    expect(health.targets[0]!.notApplicable).toEqual([{ stream: 'events', committed: 1, reason: 'a prometheus target keeps samples, not events' }]);
    expect(syncMetrics(health).find((f) => f.name === 'gateway_sync_backlog_items')!.samples).toEqual([
      { labels: { target: 'ems', kind: 'prometheus', stream: 'readings' }, value: 0 },
    ]);
  });

  it('takes a partial ack and sends the rest again from there', async () => {
    const { store, sent } = setup(300, (b, n) => ok(n === 1 ? b.fromSeq + 29 : b.toSeq));
    await until(() => store.syncCursor('ems', 'readings') === 300, 5000, 'the cursor at the end');
    expect(sent.map((b) => [b.fromSeq, b.toSeq])).toEqual([
      [1, 100],
      [31, 130],
      [131, 230],
      [231, 300],
    ]);
  });

  it('treats an ack below the batch as a failure, and clamps an ack beyond it', async () => {
    const { store, sent, runner } = setup(150, (b, n) => (n === 1 ? ok(0) : ok(b.toSeq + 1000)));
    await until(() => store.syncCursor('ems', 'readings') === 150, 5000, 'the cursor at the end');
    expect(sent.map((b) => b.fromSeq)).toEqual([1, 1, 101]);
    expect(runner.status()).toMatchObject({ failedBatches: 1, consecutiveFailures: 0, sent: { batches: 2, items: 150 } });
    // The outage is over: no current error; the last failure stays on record.
    expect(runner.status().lastError).toBeNull();
    expect(runner.status().lastFailure?.message).toMatch(/acknowledged nothing of readings 1\.\.100 \(ackSeq 0\)/);
  });

  it('clears lastError on the first success after an outage and keeps it, with its time, as lastFailure', async () => {
    let up = false;
    const { store, runner } = setup(10, (b) => (up ? ok(b.toSeq) : fail('retry', { status: 503 })));
    await until(() => runner.status().consecutiveFailures >= 2, 5000, 'the outage in status');
    const during = runner.status();
    expect(during.lastError).toMatchObject({ message: 'scripted retry', kind: 'retry', status: 503 });
    expect(during.lastFailure).toEqual(during.lastError);
    up = true;
    await until(() => store.syncCursor('ems', 'readings') === 10, 5000, 'delivery after the outage');
    const after = runner.status();
    expect(after).toMatchObject({ lastError: null, consecutiveFailures: 0 });
    expect(after.lastFailure).toMatchObject({ message: 'scripted retry', kind: 'retry', status: 503 });
    expect(after.lastFailure!.at).toBeGreaterThanOrEqual(during.lastError!.at);
    expect(after.lastFailure!.at).toBeLessThanOrEqual(after.lastSuccess!);
  });

  it('backs off exponentially up to retryMaxMs, then resumes', async () => {
    const at: number[] = [];
    const { store } = setup(10, (b, n) => {
      at.push(performance.now());
      return n <= 6 ? fail('retry') : ok(b.toSeq);
    });
    await until(() => store.syncCursor('ems', 'readings') === 10, 5000, 'delivery');
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // random() = 1 gives the ceiling of each step: 20, 40, 80, 160, 200, 200 ms
    const expected = [20, 40, 80, 160, 200, 200];
    gaps.forEach((g, i) => {
      expect(g).toBeGreaterThanOrEqual(expected[i]! - 2);
      // loose: a loaded machine runs timers late, never early
      expect(g).toBeLessThan(expected[i]! * 2 + 150);
    });
  });

  it('waits as long as Retry-After asks, up to retryMaxMs', async () => {
    const at: number[] = [];
    const { store } = setup(10, (b, n) => {
      at.push(performance.now());
      return n === 1 ? fail('retry', { status: 429, retryAfterMs: 150 }) : ok(b.toSeq);
    });
    await until(() => store.syncCursor('ems', 'readings') === 10, 5000, 'delivery');
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(148);
  });

  it('halves the batch on every 413 and calls one item that is still too large an error', async () => {
    const { sent, runner } = setup(100, () => fail('too-large', { status: 413 }), { retryInitialMs: 20, retryMaxMs: 100_000 }, 64);
    await until(() => runner.status().state === 'error' && runner.status().nextAttemptAt !== null, 5000, 'the error state');
    expect(sent.map((b) => b.count)).toEqual([64, 32, 16, 8, 4, 2, 1]);
    expect(runner.status()).toMatchObject({ batchItems: 1, lastError: { kind: 'too-large', status: 413 } });
    // a permanent error waits about retryMaxMs (here 100 s) before the next try
    expect(runner.status().nextAttemptAt! - Date.now()).toBeGreaterThan(50_000);
  });

  it('stops at once, even in the middle of a long backoff', async () => {
    const { runner, sent } = setup(10, () => fail('auth', { status: 401 }), { retryInitialMs: 1000, retryMaxMs: 60_000 });
    await until(() => sent.length === 1 && runner.status().nextAttemptAt !== null, 5000, 'the first failure');
    const t0 = performance.now();
    await runner.stop();
    expect(performance.now() - t0).toBeLessThan(200);
    expect(runner.status().state).toBe('stopped');
  });
});
