/**
 * kind: influx, api: v1, against Debian's influxdb 1.x on loopback: values, timestamps and tags
 * read back through /query, ids that need escaping, basic auth refused and accepted, and points
 * older than the retention policy counted instead of blocking the target.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import type { Sample } from '../../core/types.js';
import { type InfluxDbPeer, startInfluxDb } from '../helpers/influxdb.js';
import { peersAvailable } from '../helpers/peers.js';
import { until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { drained, expectedSamples, expectedSkips, influxTarget, ingest, tsdbGateway } from '../helpers/tsdb-fixtures.js';

const run = peersAvailable('influxdb');
const temp = createTempStores('sync-influx-');
const cleanups: (() => Promise<void>)[] = [];
const ADMIN = { username: 'admin', password: 'influx-admin-pw' };
let influx: InfluxDbPeer;

beforeAll(async () => {
  if (run) influx = await startInfluxDb({ database: 'facility', admin: ADMIN });
}, 40_000);
afterAll(async () => {
  await influx?.dispose();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  temp.cleanup();
});

interface StoredSeries {
  tags: Record<string, string>;
  samples: { ts: number; value: number }[];
}

/** Every series of a gateway: tags, and the samples of the field named by its `key` tag (sanitised). */
async function storedSeries(gatewayId: string, rp = 'autogen'): Promise<StoredSeries[]> {
  const answer = await influx.query(`SELECT * FROM "facility"."${rp}"."facility" WHERE "gateway" = '${gatewayId}' GROUP BY *`, 'facility');
  return (answer.results[0]!.series ?? []).map((s) => {
    const field = s.tags!.key!.replace(/[^a-zA-Z0-9_:]/g, '_');
    const col = s.columns.indexOf(field);
    expect(col, `field ${field}`).toBeGreaterThan(0);
    return { tags: s.tags!, samples: s.values.filter((v) => v[col] !== null).map((v) => ({ ts: v[0] as number, value: v[col] as number })) };
  });
}

const login = { username: ADMIN.username, password: new Secret(ADMIN.password) };

describe.runIf(run)('Influx line protocol into InfluxDB 1.x (/write)', () => {
  it('writes numeric readings with their timestamps as float fields, tags like Prometheus labels', async () => {
    const { store, sync } = await tsdbGateway(temp, influxTarget(influx.url, { ...login, gzip: true }), { gatewayId: 'gw-v1' });
    cleanups.push(() => sync.stop());
    ingest(store, 2000, Date.now() - 3_600_000, 3);
    sync.start();
    await until(drained(sync), 15_000, 'the drain');
    const series = await storedSeries('gw-v1');
    const got = new Map(series.map((s) => [s.tags.point!, s.samples]));
    const expected = expectedSamples(store);
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [point, samples] of expected) expect(got.get(point), point).toEqual(samples);
    expect(series.find((s) => s.tags.point === 'dev1.p4')!.tags).toEqual({ device: 'dev1', gateway: 'gw-v1', key: 'p4_temp', kind: 'crac', point: 'dev1.p4', unit: '°C' });
    const t = sync.health().targets[0]!;
    expect(t.skipped).toMatchObject(expectedSkips(store));
    expect(t.notApplicable).toEqual([{ stream: 'events', committed: 3, reason: expect.any(String) }]);
    // Booleans are floats too: a field keeps one type per measurement, so a later number in the same field still fits.
    const types = await influx.query('SHOW FIELD KEYS FROM "facility"', 'facility');
    expect(new Set(types.results[0]!.series![0]!.values.map((v) => v[1]))).toEqual(new Set(['float']));
  }, 30_000);

  it('escapes ids with spaces, commas, equals signs and quotes', async () => {
    const nasty = ['rack a.temp 1', 'a,b=c.x=y', 'q"uo\'te.ünï°', 'end ,=.k, ='];
    const info = (id: string) => {
      const dot = id.indexOf('.');
      return { device: id.slice(0, dot), key: id.slice(dot + 1), kind: 'k i,n=d', unit: 'm³/h, "net"' };
    };
    const { store, sync } = await tsdbGateway(temp, influxTarget(influx.url, { ...login, gzip: false }), { gatewayId: 'gw-nasty', seriesInfo: info });
    cleanups.push(() => sync.stop());
    const t0 = Date.now() - 60_000;
    const samples: Sample[] = nasty.flatMap((pointId, p) => [0, 1].map((i) => ({ pointId, ts: t0 + i * 1000, value: p + i / 4, quality: 'good' as const })));
    store.append(samples);
    store.flush();
    sync.start();
    await until(drained(sync), 10_000, 'the drain');
    const series = await storedSeries('gw-nasty');
    expect(series.map((s) => s.tags.point).sort()).toEqual([...nasty].sort());
    for (const s of series) {
      const id = s.tags.point!;
      const p = nasty.indexOf(id);
      expect(s.tags).toEqual({ device: id.slice(0, id.indexOf('.')), gateway: 'gw-nasty', key: id.slice(id.indexOf('.') + 1), kind: 'k i,n=d', point: id, unit: 'm³/h, "net"' });
      expect(s.samples).toEqual([
        { ts: t0, value: p },
        { ts: t0 + 1000, value: p + 0.25 },
      ]);
    }
  }, 30_000);

  it('shows a wrong password as auth without revealing it', async () => {
    const { store, sync } = await tsdbGateway(temp, influxTarget(influx.url, { username: 'admin', password: new Secret('not-the-password-789') }), { gatewayId: 'gw-badpw' });
    cleanups.push(() => sync.stop());
    ingest(store, 50, Date.now() - 60_000);
    sync.start();
    await until(() => sync.health().targets[0]!.lastError !== null, 10_000, 'the refusal');
    const t = sync.health().targets[0]!;
    expect(t.lastError).toMatchObject({ kind: 'auth', status: 401 });
    expect(t.streams.readings?.ackedSeq).toBe(0);
    expect(JSON.stringify(sync.health())).not.toContain('not-the-password-789');
  }, 20_000);

  it('counts points older than the retention policy instead of blocking on them', async () => {
    await influx.query('CREATE RETENTION POLICY "hour" ON "facility" DURATION 1h REPLICATION 1 SHARD DURATION 1h', 'facility');
    const { store, sync } = await tsdbGateway(temp, influxTarget(influx.url, { ...login, retentionPolicy: 'hour', batchItems: 100 }), { gatewayId: 'gw-rp' });
    cleanups.push(() => sync.stop());
    const old: Sample[] = Array.from({ length: 30 }, (_, i) => ({ pointId: 'dev0.p0', ts: Date.now() - 3 * 3_600_000 + i * 1000, value: i, quality: 'good' }));
    const recent: Sample[] = Array.from({ length: 30 }, (_, i) => ({ pointId: 'dev0.p0', ts: Date.now() - 60_000 + i * 1000, value: 100 + i, quality: 'good' }));
    store.append([...old, ...recent]);
    store.flush();
    sync.start();
    await until(drained(sync), 10_000, 'the drain');
    expect(sync.health().targets[0]!.skipped?.beyondRetention).toBe(30);
    const series = await storedSeries('gw-rp', 'hour');
    expect(series[0]!.samples).toEqual(recent.map((s) => ({ ts: s.ts, value: s.value })));
  }, 20_000);
});
