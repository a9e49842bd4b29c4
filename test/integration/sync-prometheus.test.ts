/**
 * kind: prometheus against Debian's prometheus with its remote-write receiver on loopback: values,
 * timestamps and labels read back through the query API, text and bad readings counted, events
 * not applicable, an outage drained, and out-of-order samples refused with the advice that fixes it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peersAvailable } from '../helpers/peers.js';
import { type PrometheusPeer, startPrometheus } from '../helpers/prometheus.js';
import { until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { drained, expectedSamples, expectedSkips, ingest, prometheusTarget, tsdbGateway } from '../helpers/tsdb-fixtures.js';

const run = peersAvailable('prometheus');
const temp = createTempStores('sync-prom-');
const cleanups: (() => Promise<void>)[] = [];
let prom: PrometheusPeer;

beforeAll(async () => {
  if (run) prom = await startPrometheus();
}, 30_000);
afterAll(async () => {
  await prom?.dispose();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  temp.cleanup();
});

/** Every sample the store says the engine must have is there with its exact value and timestamp, and nothing else. */
async function expectStored(peer: PrometheusPeer, gatewayId: string, expected: Map<string, { ts: number; value: number }[]>, atMs: number) {
  const series = await peer.rawSamples(`{gateway="${gatewayId}"}`, atMs, '2h');
  const got = new Map(series.map((s) => [s.labels.point!, s.samples]));
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [point, samples] of expected) expect(got.get(point), point).toEqual(samples);
  return series;
}

describe.runIf(run)('Prometheus remote_write', () => {
  it('writes numeric readings with their timestamps and labels, counts what it leaves out, and shows events as not applicable', async () => {
    const { store, sync } = await tsdbGateway(temp, prometheusTarget(prom.writeUrl), { gatewayId: 'gw-labels' });
    cleanups.push(() => sync.stop());
    const start = Date.now() - 10 * 60_000;
    ingest(store, 2000, start, 12);
    sync.start();
    await until(drained(sync), 15_000, 'the readings to drain');

    const series = await expectStored(prom, 'gw-labels', expectedSamples(store), Date.now());
    const one = series.find((s) => s.labels.point === 'dev1.p4')!;
    expect(one.labels).toEqual({ __name__: 'facility_p4_temp', device: 'dev1', gateway: 'gw-labels', key: 'p4_temp', kind: 'crac', point: 'dev1.p4', unit: '°C' });

    const t = sync.health().targets[0]!;
    expect(t.kind).toBe('prometheus');
    expect(t.carries).toEqual(['readings']);
    expect(t.streams.events).toBeUndefined();
    expect(t.notApplicable).toEqual([{ stream: 'events', committed: 12, reason: expect.stringMatching(/prometheus/) }]);
    expect(t.skipped).toEqual({ ...expectedSkips(store), sameTimestamp: 0, beyondRetention: 0 });
    expect(t.skipped!.text).toBe(400);
    expect(t.skipped!.badQuality).toBe(400);
    expect(t.sent.items).toBe(2000);
    const metric = sync.metrics().find((m) => m.name === 'gateway_sync_skipped_readings_total')!;
    expect(metric.samples).toContainEqual({ labels: { target: 'prom', kind: 'prometheus', reason: 'text' }, value: 400 });
    // No events row in the backlog metric: they are not a backlog here.
    const backlog = sync.metrics().find((m) => m.name === 'gateway_sync_backlog_items')!;
    expect(backlog.samples.map((s) => s.labels?.stream)).toEqual(['readings']);
  }, 30_000);

  it('keeps the backlog while the receiver is down and delivers all of it once it is back', async () => {
    const { store, sync } = await tsdbGateway(temp, prometheusTarget(prom.writeUrl, { batchItems: 300 }), { gatewayId: 'gw-outage' });
    cleanups.push(() => sync.stop());
    await prom.stop();
    const start = Date.now() - 20 * 60_000;
    ingest(store, 3000, start);
    sync.start();
    await until(() => sync.health().targets[0]!.consecutiveFailures >= 2, 10_000, 'failures while down');
    const down = sync.health().targets[0]!;
    expect(down.state).toBe('retrying');
    expect(down.lastError?.message).toMatch(/ECONNREFUSED|connect/i);
    expect(down.streams.readings).toMatchObject({ ackedSeq: 0, depth: 3000 });

    await prom.start();
    await until(drained(sync), 20_000, 'the backlog to drain');
    await expectStored(prom, 'gw-outage', expectedSamples(store), Date.now());
    expect(sync.health().targets[0]!.lastError).toBeNull();

    // A resend of samples it already has (a lost ack). Without an out-of-order window Prometheus accepts an identical
    // sample only when it is a series' newest; older ones are "out of order": refused with the advice, nothing acked.
    const again = await tsdbGateway(temp, prometheusTarget(prom.writeUrl, { batchItems: 1000 }), { gatewayId: 'gw-outage' });
    cleanups.push(() => again.sync.stop());
    again.store.append(store.readingsAfter(0, store.stats().lastReadingSeq).map(({ seq: _seq, ...sample }) => sample));
    again.store.flush();
    again.sync.start();
    await until(() => again.sync.health().targets[0]!.lastError !== null, 10_000, 'the refused resend');
    expect(again.sync.health().targets[0]!.lastError).toMatchObject({ kind: 'rejected', status: 400, message: expect.stringMatching(/out of order.*out_of_order_time_window/s) });
    expect(again.sync.health().targets[0]!.streams.readings?.ackedSeq).toBe(0);
  }, 45_000);

  it('loses nothing when the receiver is killed (SIGKILL) in the middle of a drain', async () => {
    const own = await startPrometheus();
    cleanups.push(() => own.dispose());
    const { store, sync } = await tsdbGateway(temp, prometheusTarget(own.writeUrl, { batchItems: 200 }), { gatewayId: 'gw-kill' });
    cleanups.push(() => sync.stop());
    ingest(store, 20_000, Date.now() - 40 * 60_000);
    sync.start();
    await until(() => (sync.health().targets[0]!.streams.readings?.ackedSeq ?? 0) > 2000, 10_000, 'part of the drain');
    await own.stop(true);
    expect(sync.health().targets[0]!.streams.readings!.ackedSeq).toBeLessThan(20_000);
    await until(() => sync.health().targets[0]!.consecutiveFailures >= 2, 10_000, 'failures while down');
    // Prometheus replays its WAL: every sample it acknowledged before the kill is back.
    await own.start();
    await until(drained(sync), 30_000, 'the rest of the drain');
    await expectStored(own, 'gw-kill', expectedSamples(store), Date.now());
  }, 50_000);
});

describe.runIf(run)('Prometheus out-of-order samples', () => {
  it('refuses older samples with the out-of-order window advice, keeps them, and delivers them once the window is on', async () => {
    const own = await startPrometheus();
    cleanups.push(() => own.dispose());
    const { store, sync } = await tsdbGateway(temp, prometheusTarget(own.writeUrl), { gatewayId: 'gw-ooo' });
    cleanups.push(() => sync.stop());
    const now = Date.now();
    ingest(store, 700, now - 60_000);
    sync.start();
    await until(drained(sync), 10_000, 'the recent readings');
    // A second backlog, older than what the series already hold (a site clock corrected backwards).
    ingest(store, 700, now - 30 * 60_000);
    await until(() => sync.health().targets[0]!.lastError?.status === 400, 10_000, 'the 400');
    const t = sync.health().targets[0]!;
    expect(t.lastError?.kind).toBe('rejected');
    expect(t.lastError?.message).toMatch(/out of order/);
    expect(t.lastError?.message).toMatch(/storage\.tsdb\.out_of_order_time_window/);
    expect(t.state).toBe('error');
    expect(t.streams.readings?.ackedSeq).toBe(700);

    await own.restartWith({ outOfOrderWindow: '2h' });
    await until(drained(sync), 20_000, 'the older backlog after the window is on');
    await expectStored(own, 'gw-ooo', expectedSamples(store), Date.now());

    // With the window on, a resend of everything (a lost ack) is taken: identical samples are dropped as duplicates.
    const again = await tsdbGateway(temp, prometheusTarget(own.writeUrl, { batchItems: 300 }), { gatewayId: 'gw-ooo' });
    cleanups.push(() => again.sync.stop());
    again.store.append(store.readingsAfter(0, store.stats().lastReadingSeq).map(({ seq: _seq, ...sample }) => sample));
    again.store.flush();
    again.sync.start();
    await until(drained(again.sync), 15_000, 'the resend');
    expect(again.sync.health().targets[0]!.failedBatches).toBe(0);
    await expectStored(own, 'gw-ooo', expectedSamples(store), Date.now());
  }, 50_000);
});
