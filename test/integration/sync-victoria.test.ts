/**
 * Both time-series kinds against Debian's victoria-metrics on loopback: remote_write at
 * /api/v1/write, Influx line protocol at /write (v1) and /api/v2/write (v2, gzip), read back
 * exactly through /api/v1/export. Also: ids that need escaping, a refused login shown without its
 * secret, and a receiver killed mid-drain (resends dropped by -dedup.minScrapeInterval).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/types.js';
import { Secret } from '../../core/secret.js';
import { peersAvailable } from '../helpers/peers.js';
import { until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { drained, expectedSamples, influxTarget, ingest, prometheusTarget, tsdbGateway } from '../helpers/tsdb-fixtures.js';
import { type ExportedSeries, startVictoriaMetrics, type VictoriaMetricsPeer } from '../helpers/victoria-metrics.js';

const run = peersAvailable('victoria-metrics');
const temp = createTempStores('sync-vm-');
const cleanups: (() => Promise<void>)[] = [];
let vm: VictoriaMetricsPeer;

beforeAll(async () => {
  if (run) vm = await startVictoriaMetrics();
}, 30_000);
afterAll(async () => {
  await vm?.dispose();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  temp.cleanup();
});

/** point → samples of the exported series of one gateway; fails on a point exported twice (two series for one point). */
function byPoint(series: ExportedSeries[]): Map<string, { ts: number; value: number }[]> {
  const out = new Map<string, { ts: number; value: number }[]>();
  for (const s of series) {
    const point = s.metric.point!;
    expect(out.has(point), `one series for ${point}`).toBe(false);
    out.set(
      point,
      s.timestamps.map((ts, i) => ({ ts, value: s.values[i]! })),
    );
  }
  return out;
}

async function expectExported(peer: VictoriaMetricsPeer, gatewayId: string, expected: Map<string, { ts: number; value: number }[]>): Promise<ExportedSeries[]> {
  const series = await peer.exportSeries(`{gateway="${gatewayId}"}`);
  const got = byPoint(series);
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [point, samples] of expected) expect(got.get(point), point).toEqual(samples);
  return series;
}

const LABELS_DEV1_P4 = (gateway: string) => ({ __name__: 'facility_p4_temp', device: 'dev1', gateway, key: 'p4_temp', kind: 'crac', point: 'dev1.p4', unit: '°C' });

describe.runIf(run)('VictoriaMetrics', () => {
  it('takes remote_write: exact values, timestamps and labels', async () => {
    const { store, sync } = await tsdbGateway(temp, prometheusTarget(`${vm.url}/api/v1/write`), { gatewayId: 'gw-rw' });
    cleanups.push(() => sync.stop());
    ingest(store, 3000, Date.now() - 3_600_000, 5);
    sync.start();
    await until(drained(sync), 15_000, 'the drain');
    const series = await expectExported(vm, 'gw-rw', expectedSamples(store));
    expect(series.find((s) => s.metric.point === 'dev1.p4')!.metric).toEqual(LABELS_DEV1_P4('gw-rw'));
    expect(sync.health().targets[0]!.notApplicable.map((n) => n.stream)).toEqual(['events']);

    // The same readings again (a lost ack, a restored backup), this time as Influx lines on /api/v2/write: the
    // same series by name and labels, and -dedup.minScrapeInterval keeps one sample per timestamp.
    const again = await tsdbGateway(temp, influxTarget(vm.url, { api: 'v2', bucket: 'facility', database: undefined }), { gatewayId: 'gw-rw' });
    cleanups.push(() => again.sync.stop());
    again.store.append(store.readingsAfter(0, store.stats().lastReadingSeq).map(({ seq: _seq, ...sample }) => sample));
    again.store.flush();
    again.sync.start();
    await until(drained(again.sync), 15_000, 'the resend');
    await expectExported(vm, 'gw-rw', expectedSamples(store));
  }, 30_000);

  it('takes Influx line protocol on /api/v2/write (gzip) under the same series names as remote_write', async () => {
    const target = influxTarget(vm.url, { api: 'v2', bucket: 'facility', org: 'ops', database: undefined, gzip: true });
    const { store, sync } = await tsdbGateway(temp, target, { gatewayId: 'gw-v2' });
    cleanups.push(() => sync.stop());
    ingest(store, 3000, Date.now() - 3_600_000);
    sync.start();
    await until(drained(sync), 15_000, 'the drain');
    const series = await expectExported(vm, 'gw-v2', expectedSamples(store));
    // VictoriaMetrics names a line `<measurement>_<field>`: facility + p4_temp, the remote_write name.
    expect(series.find((s) => s.metric.point === 'dev1.p4')!.metric).toEqual(LABELS_DEV1_P4('gw-v2'));
  }, 30_000);

  it('escapes ids with spaces, commas, equals signs, quotes, backslashes and line breaks (/write, no gzip)', async () => {
    const nasty = ['rack a.temp 1', 'a,b=c.x=y', 'q"uo\'te.ünï°', 'back\\slash.end\\', 'b\\,s.\\ x', 'line\nbreak.k'];
    const info = (id: string) => {
      const dot = id.indexOf('.');
      return { device: id.slice(0, dot), key: id.slice(dot + 1), kind: 'k i,n=d', unit: 'm³/h, "net"' };
    };
    const { store, sync } = await tsdbGateway(temp, influxTarget(vm.url, { api: 'v1', gzip: false }), { gatewayId: 'gw-nasty', seriesInfo: info });
    cleanups.push(() => sync.stop());
    const t0 = Date.now() - 60_000;
    const samples: Sample[] = nasty.flatMap((pointId, p) => [0, 1, 2].map((i) => ({ pointId, ts: t0 + i * 1000, value: p * 10 + i + 0.5, quality: 'good' as const })));
    store.append(samples);
    store.flush();
    sync.start();
    await until(drained(sync), 10_000, 'the drain');
    const series = await vm.exportSeries('{gateway="gw-nasty"}');
    // A line cannot hold a line break: it arrives as a space (documented); everything else exactly.
    const shown = (id: string) => id.replace(/\n/g, ' ');
    expect(series.map((s) => s.metric.point).sort()).toEqual(nasty.map(shown).sort());
    for (const s of series) {
      const original = nasty.find((id) => shown(id) === s.metric.point)!;
      const dot = original.indexOf('.');
      expect(s.metric).toEqual({
        __name__: `facility_${original.slice(dot + 1).replace(/[^a-zA-Z0-9_:]/g, '_')}`,
        // VictoriaMetrics labels what arrives on /write with its ?db=
        db: 'facility',
        device: shown(original.slice(0, dot)),
        gateway: 'gw-nasty',
        key: original.slice(dot + 1),
        kind: 'k i,n=d',
        point: shown(original),
        unit: 'm³/h, "net"',
      });
      const p = nasty.indexOf(original);
      expect(s.values).toEqual([p * 10 + 0.5, p * 10 + 1.5, p * 10 + 2.5]);
      expect(s.timestamps).toEqual([t0, t0 + 1000, t0 + 2000]);
    }
  }, 30_000);

  // A graceful stop: VictoriaMetrics answers 204 once a write is in its memory buffer and flushes it to disk about
  // a second later, so a kill -9 loses that last second of acknowledged samples (an engine property, see
  // docs/sync-protocol.md §13). The Prometheus test kills its receiver with SIGKILL instead.
  it('drains a backlog across a receiver stopped and restarted mid-push; resends leave no duplicates', async () => {
    const own = await startVictoriaMetrics();
    cleanups.push(() => own.dispose());
    const { store, sync } = await tsdbGateway(temp, influxTarget(own.url, { api: 'v1', batchItems: 200 }), { gatewayId: 'gw-kill' });
    cleanups.push(() => sync.stop());
    ingest(store, 20_000, Date.now() - 3_600_000);
    sync.start();
    await until(() => (sync.health().targets[0]!.streams.readings?.ackedSeq ?? 0) > 2000, 10_000, 'part of the drain');
    await own.stop();
    const ackedAtKill = sync.health().targets[0]!.streams.readings!.ackedSeq;
    expect(ackedAtKill).toBeLessThan(20_000);
    await until(() => sync.health().targets[0]!.consecutiveFailures >= 2, 10_000, 'failures while down');
    await own.start();
    await until(drained(sync), 30_000, 'the rest of the drain');
    await expectExported(own, 'gw-kill', expectedSamples(store));
  }, 50_000);
});

describe.runIf(run)('VictoriaMetrics with basic auth', () => {
  it('shows a refused login as auth, without the password, and delivers with the right one', async () => {
    const own = await startVictoriaMetrics({ basicAuth: { username: 'gw', password: 'right-pass-123' } });
    cleanups.push(() => own.dispose());
    const wrong = await tsdbGateway(temp, prometheusTarget(`${own.url}/api/v1/write`, { username: 'gw', password: new Secret('wrong-pass-456') }), { gatewayId: 'gw-auth' });
    cleanups.push(() => wrong.sync.stop());
    ingest(wrong.store, 100, Date.now() - 60_000);
    wrong.sync.start();
    await until(() => wrong.sync.health().targets[0]!.lastError !== null, 10_000, 'the refusal');
    const t = wrong.sync.health().targets[0]!;
    expect(t.lastError).toMatchObject({ kind: 'auth', status: 401 });
    expect(t.state).toBe('error');
    expect(JSON.stringify(wrong.sync.health())).not.toContain('wrong-pass-456');
    expect(JSON.stringify(wrong.sync.metrics())).not.toContain('wrong-pass-456');
    await wrong.sync.stop();

    const right = await tsdbGateway(temp, prometheusTarget(`${own.url}/api/v1/write`, { username: 'gw', password: new Secret('right-pass-123') }), { gatewayId: 'gw-auth' });
    cleanups.push(() => right.sync.stop());
    ingest(right.store, 100, Date.now() - 60_000);
    right.sync.start();
    await until(drained(right.sync), 10_000, 'the drain');
    await expectExported(own, 'gw-auth', expectedSamples(right.store));
  }, 30_000);
});
