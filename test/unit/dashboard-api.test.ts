import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../config/types.js';
import { createDashboardApp } from '../../dashboard/app.js';
import { createCatalog } from '../../gateway/catalog.js';
import { type DeviceStatus, initialStatus } from '../../core/device-status.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/types.js';
import { modbusDevice, modbusPoint, tcpConnection } from '../helpers/modbus-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createTestAuth } from '../helpers/web-auth.js';

const devices: DeviceConfig[] = [
  {
    ...modbusDevice('ups1', tcpConnection(502), [
      { ...modbusPoint('ups1', 'load', 0), name: 'Output load', unit: '%' },
      { ...modbusPoint('ups1', 'on_battery', 1, { bit: 1 }), name: 'On battery' },
    ]),
    name: 'UPS-1',
    kind: 'ups',
  },
];

describe('JSON API', () => {
  const temp = createTempStores('gw-api-');
  let store: Store;
  let statuses: DeviceStatus[];
  // Every route but health needs a login or a token; these tests read as a viewer token.
  const testAuth = createTestAuth();
  const viewer = testAuth.bearer('viewer');
  const deps = () => ({
    gatewayId: 'gw-test',
    version: '1.2.3',
    startedAt: 1_000,
    catalog: createCatalog(devices),
    store,
    deviceStatus: () => statuses,
    auth: testAuth.auth,
    logger: silentLogger,
    now: () => 61_000,
  });
  const dashboard = () =>
    createDashboardApp({
      gatewayId: 'gw-test',
      version: '1.2.3',
      startedAt: 1_000,
      catalog: createCatalog(devices),
      store,
      deviceStatus: () => statuses,
      auth: testAuth.auth,
      logger: silentLogger,
      now: () => 61_000,
    });
  const app = () => {
    const web = dashboard();
    return { request: (path: string) => web.request(path, { headers: viewer }) };
  };

  beforeEach(() => {
    store = temp.open(temp.file('g.db'), { commitIntervalMs: 10 });
    statuses = [{ ...initialStatus('ups1'), state: 'up', lastSuccess: 60_000, polls: 5 }];
  });
  afterEach(() => temp.cleanup());
  afterAll(() => testAuth.close());

  it('GET /api/v1/health reports version, uptime and device states', async () => {
    const res = await app().request('/api/v1/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { devices: unknown; store: { lastReadingSeq: number } };
    expect(body).toMatchObject({ status: 'ok', gatewayId: 'gw-test', version: '1.2.3', uptimeS: 60 });
    expect(body.devices).toMatchObject({ total: 1, up: 1, down: 0 });
    expect(body.store.lastReadingSeq).toBe(0);
  });

  it('GET /api/v1/devices gives comm status, last success and error count', async () => {
    statuses = [{ ...initialStatus('ups1'), state: 'down', errorCount: 4, lastError: 'timed out' }];
    const body = await (await app().request('/api/v1/devices')).json();
    expect(body).toEqual([
      expect.objectContaining({ id: 'ups1', name: 'UPS-1', kind: 'ups', status: 'down', lastSuccess: null, errorCount: 4, lastError: 'timed out', pointCount: 2 }),
    ]);
  });

  it('GET /api/v1/points lists every point with its latest committed value', async () => {
    store.append([
      { pointId: 'ups1.load', ts: 50_000, value: 41.5, quality: 'good' },
      { pointId: 'ups1.on_battery', ts: 50_000, value: true, quality: 'good' },
    ]);
    store.flush();
    const body = await (await app().request('/api/v1/points')).json();
    expect(body).toEqual([
      { id: 'ups1.load', deviceId: 'ups1', key: 'load', name: 'Output load', unit: '%', value: 41.5, quality: 'good', reason: null, ts: 50_000, stale: false, retired: false, write: null },
      { id: 'ups1.on_battery', deviceId: 'ups1', key: 'on_battery', name: 'On battery', unit: null, value: true, quality: 'good', reason: null, ts: 50_000, stale: false, retired: false, write: null },
    ]);
  });

  it('GET /api/v1/points serves the last committed values as stale, not good, once commits have failed for 3 polls + 5 s', async () => {
    store.append([
      { pointId: 'ups1.load', ts: 50_000, value: 41.5, quality: 'good' },
      { pointId: 'ups1.on_battery', ts: 50_000, value: null, quality: 'bad', reason: 'timeout' },
    ]);
    store.flush();
    // a full disk: commits failing since `since` (the API's clock reads 61 000; 1 s polling)
    const failing = (since: number | null) => {
      const web = createDashboardApp({ ...deps(), store: { ...store, stats: () => ({ ...store.stats(), failingSince: since }) } });
      return async (path: string) => (await web.request(path, { headers: viewer })).json() as Promise<Array<Record<string, unknown>> & Record<string, unknown>>;
    };
    const view = (rows: Array<Record<string, unknown>>) => rows.map((p) => [p.id, p.quality, p.reason, p.stale]);
    expect(view(await failing(null)('/api/v1/points'))).toEqual([
      ['ups1.load', 'good', null, false],
      ['ups1.on_battery', 'bad', 'timeout', false],
    ]);
    expect(view(await failing(53_000)('/api/v1/points'))).toEqual([
      ['ups1.load', 'good', null, false],
      ['ups1.on_battery', 'bad', 'timeout', false],
    ]);
    expect(view(await failing(52_000)('/api/v1/points'))).toEqual([
      ['ups1.load', 'uncertain', 'stale', true],
      ['ups1.on_battery', 'bad', 'timeout', true],
    ]);
    expect(await failing(52_000)('/api/v1/points/ups1.load')).toMatchObject({ value: 41.5, quality: 'uncertain', reason: 'stale', stale: true });
  });

  it('GET /api/v1/points/{id}/history returns the range, oldest first', async () => {
    for (let i = 0; i < 10; i++) store.append([{ pointId: 'ups1.load', ts: 10_000 + i * 1000, value: i, quality: 'good' }]);
    store.append([{ pointId: 'ups1.on_battery', ts: 12_000, value: false, quality: 'good' }]);
    store.flush();
    const res = await app().request('/api/v1/points/ups1.load/history?from=12000&to=14000');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ ts: number; value: number }>; truncated: boolean };
    expect(body.items.map((r) => [r.ts, r.value])).toEqual([
      [12_000, 2],
      [13_000, 3],
      [14_000, 4],
    ]);
    expect(body.truncated).toBe(false);
  });

  it.each([
    ['/api/v1/points/ups1.load/history?from=abc', 400],
    ['/api/v1/points/ups1.load/history?from=5000&to=1000', 400],
    ['/api/v1/points/ups1.load/history?limit=0', 400],
    ['/api/v1/points/nope.x/history', 404],
    ['/api/v1/points/nope.x', 404],
    ['/api/v1/devices/nope', 404],
    ['/api/v1/nothing-here', 404],
  ])('%s → %i with a JSON error', async (path, status) => {
    const res = await app().request(path);
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toEqual(expect.any(String));
  });

  it('serves a status page that escapes device text', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(await res.text()).toContain('UPS-1');
  });
});
