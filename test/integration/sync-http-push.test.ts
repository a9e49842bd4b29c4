/**
 * HTTP push against a real receiver on loopback: outages, lost acks, refused tokens, 413s and
 * retention gaps. The receiver de-duplicates by seq as docs/sync-protocol.md tells an EMS to, and
 * flags anything a real one could not recover from (holes, changed resends, disorder).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { Store, StoreOptions } from '../../gateway/store/index.js';
import type { HttpTargetConfig } from '../../sync/config-schema.js';
import { createSync, type SyncService } from '../../sync/create-sync.js';
import { httpTarget, syncSamples, syncSection, until } from '../helpers/sync-fixtures.js';
import { type Receiver, startReceiver } from '../helpers/sync-receiver.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('sync-http-');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  temp.cleanup();
});

async function setup(target: Partial<HttpTargetConfig> = {}, retention: 'cooperate' | 'ignore' = 'cooperate', storeOptions: Partial<StoreOptions> = {}) {
  const receiver = await startReceiver();
  cleanups.push(() => receiver.close());
  const store = temp.open(temp.file(), storeOptions);
  const sync = await createSync({
    config: { ...syncSection([httpTarget(receiver.url, target)]), retention },
    gatewayId: 'gw-test',
    version: '0.0.0-test',
    startedAt: Date.now(),
    store,
    logger: silentLogger,
  });
  cleanups.push(() => sync.stop());
  return { receiver, store, sync };
}

function ingest(store: Store, readings: number, events: number, offset = 0): void {
  const samples = syncSamples(readings, Date.UTC(2026, 0, 1) + offset * 10);
  for (let i = 0; i < samples.length; i += 100) store.append(samples.slice(i, i + 100));
  for (let e = 0; e < events; e++) store.appendEvent('alarm.raised', { alarm: `a${e}`, value: e * 1.5 });
  store.flush();
}

/** Everything committed is at the receiver, once, in order, equal to what the store holds. */
function expectDelivered(receiver: Receiver, store: Store): void {
  const { lastReadingSeq, lastEventSeq } = store.stats();
  expect(receiver.anomalies).toEqual([]);
  expect(receiver.last).toEqual({ readings: lastReadingSeq, events: lastEventSeq });
  expect(receiver.order.readings).toEqual(Array.from({ length: lastReadingSeq }, (_, i) => i + 1));
  expect(receiver.order.events).toEqual(Array.from({ length: lastEventSeq }, (_, i) => i + 1));
  const stored = store.readingsAfter(0, lastReadingSeq);
  const wire = stored.map((r) => ({
    seq: r.seq,
    ts: r.ts,
    point: r.pointId,
    value: r.value,
    quality: r.quality,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
  }));
  expect([...receiver.items.readings.values()]).toEqual(wire);
  expect([...receiver.items.events.values()]).toEqual(store.eventsAfter(0, lastEventSeq));
}

const caughtUp = (sync: SyncService) => () => {
  const t = sync.health().targets[0]!;
  return t.streams.readings?.depth === 0 && t.streams.events?.depth === 0;
};

describe('HTTP push', () => {
  it('delivers everything, events first, in order, after the receiver was down', async () => {
    const { receiver, store, sync } = await setup();
    await receiver.down();
    ingest(store, 3000, 40);
    sync.start();
    await until(() => sync.health().targets[0]!.consecutiveFailures >= 2, 5000, 'failed attempts while the receiver is down');
    const down = sync.health().targets[0]!;
    expect(down.state).toBe('retrying');
    expect(down.lastError?.message).toMatch(/ECONNREFUSED|connect/i);
    expect(down.streams.readings).toMatchObject({ ackedSeq: 0, depth: 3000 });
    expect(down.streams.readings?.oldestUnsentTs).toBe(Date.UTC(2026, 0, 1));
    expect(down.lastSuccess).toBeNull();

    await receiver.up();
    ingest(store, 500, 5, 3000);
    await until(caughtUp(sync), 10_000, 'the backlog to drain');
    expectDelivered(receiver, store);
    const up = sync.health().targets[0]!;
    expect(up).toMatchObject({ state: 'idle', consecutiveFailures: 0, sent: { items: 3545 } });
    expect(up.lastSuccess).not.toBeNull();
    expect(up.streams.readings?.oldestUnsentTs).toBeNull();
  });

  it('sends events before readings when both wait', async () => {
    const { receiver, store, sync } = await setup({ batchItems: 100 });
    ingest(store, 1000, 250);
    const arrivals: string[] = [];
    const seen = { readings: 0, events: 0 };
    const timer = setInterval(() => {
      for (const s of ['events', 'readings'] as const) {
        if (receiver.last[s] !== seen[s]) arrivals.push(s);
        seen[s] = receiver.last[s];
      }
    }, 1);
    sync.start();
    await until(caughtUp(sync), 10_000, 'the backlog to drain');
    clearInterval(timer);
    expectDelivered(receiver, store);
    const firstReading = arrivals.indexOf('readings');
    expect(arrivals.lastIndexOf('events')).toBeLessThan(firstReading);
  });

  it('resends a batch whose ack was lost; the receiver de-duplicates to the same set', async () => {
    const { receiver, store, sync } = await setup({ batchItems: 300 });
    ingest(store, 2000, 10);
    let lost = 0;
    receiver.behaviour.dropAck = true;
    const unlose = setInterval(() => {
      // lose the acks of the first three stored batches, then answer normally
      if (receiver.stats.batches >= 3 && receiver.behaviour.dropAck) {
        lost = receiver.stats.batches;
        receiver.behaviour.dropAck = false;
      }
    }, 1);
    sync.start();
    await until(caughtUp(sync), 10_000, 'the backlog to drain');
    clearInterval(unlose);
    expect(lost).toBeGreaterThanOrEqual(3);
    expect(receiver.stats.duplicates).toBeGreaterThan(0);
    expectDelivered(receiver, store);
    expect(sync.health().targets[0]!.failedBatches).toBeGreaterThanOrEqual(3);
  });

  it('times out a receiver that answers too late, and de-duplicates what it stored meanwhile', async () => {
    const { receiver, store, sync } = await setup({ timeoutMs: 150, batchItems: 200 });
    receiver.behaviour.delayMs = 400;
    ingest(store, 600, 0);
    sync.start();
    await until(() => /no answer within 150 ms/.test(sync.health().targets[0]!.lastError?.message ?? ''), 5000, 'the timeout in health');
    receiver.behaviour.delayMs = 0;
    await until(caughtUp(sync), 10_000, 'delivery');
    // The late request is still stored when its delay ends: the receiver drops it as a duplicate.
    await until(() => receiver.stats.duplicates > 0, 2000, 'the late copy');
    expectDelivered(receiver, store);
  });

  it('shows a refused token as an error and delivers once the receiver accepts it', async () => {
    const { receiver, store, sync } = await setup({ token: undefined });
    receiver.behaviour.token = 'the-right-one';
    ingest(store, 100, 1);
    sync.start();
    await until(() => sync.health().targets[0]!.lastError?.kind === 'auth', 5000, 'the 401 in health');
    const refused = sync.health().targets[0]!;
    expect(refused.state).toBe('error');
    expect(refused.lastError).toMatchObject({ kind: 'auth', status: 401 });
    expect(refused.lastError!.message).toContain('401');
    // Slower than a transient failure: the next attempt waits at least retryMaxMs / 2.
    expect(refused.nextAttemptAt! - refused.lastError!.at).toBeGreaterThanOrEqual(100);
    receiver.behaviour.token = undefined;
    await until(caughtUp(sync), 10_000, 'delivery after the fix');
    expectDelivered(receiver, store);
  });

  it('halves the batch on 413 until the receiver takes it', async () => {
    const { receiver, store, sync } = await setup({ batchItems: 2000, gzip: false });
    receiver.behaviour.maxBodyBytes = 40_000;
    ingest(store, 3000, 0);
    sync.start();
    await until(caughtUp(sync), 10_000, 'delivery in smaller batches');
    expectDelivered(receiver, store);
    const t = sync.health().targets[0]!;
    expect(t.batchItems).toBeLessThanOrEqual(500);
    expect(receiver.stats.refused).toBeGreaterThanOrEqual(2);
  });

  it('declares readings that retention deleted before they were sent as a gap', async () => {
    const { receiver, store, sync } = await setup({}, 'ignore', { retention: { maxAgeDays: 1, maxSizeMB: 0 } });
    store.append(syncSamples(50, Date.UTC(2020, 0, 1)));
    store.append(syncSamples(30, Date.now()));
    store.flush();
    store.enforceRetention();
    sync.start();
    await until(caughtUp(sync), 10_000, 'delivery');
    expect(receiver.anomalies).toEqual([]);
    expect(receiver.gaps.readings).toEqual([{ fromSeq: 1, toSeq: 50 }]);
    expect(receiver.order.readings).toEqual(Array.from({ length: 30 }, (_, i) => 51 + i));
    const drop = [...receiver.items.events.values()].find((e) => e.type === 'retention.dropped');
    expect(drop?.data).toMatchObject({ stream: 'readings', fromSeq: 1, toSeq: 50, count: 50 });
    expect(sync.health().targets[0]!.gapSeqs).toEqual({ readings: 50, events: 0 });
    expect(sync.metrics().find((f) => f.name === 'gateway_sync_retention_gap_seqs_total')?.samples).toContainEqual({
      labels: { target: 'ems', kind: 'http', stream: 'readings' },
      value: 50,
    });
  });
});
