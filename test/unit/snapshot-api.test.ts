/**
 * The snapshot API and page through app.request() on a real store, alarm engine and snapshot
 * service: JSON for every reading role (the EMS's ems token included), CSV and JSON downloads,
 * 404 with an error body, and the page with its chart script and export links.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createSnapshotService, type SnapshotEngine } from '../../gateway/snapshots/snapshot-service.js';
import type { Snapshot } from '../../gateway/snapshots/types.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const S = 1000;
const MIN = 60 * S;

describe('snapshot API', () => {
  const temp = createTempStores('gw-snapshot-api-');
  let rig: WebRig;
  let snapshots: SnapshotEngine | undefined;
  let raisedAt = 0;
  const get = (path: string, role: 'viewer' | 'ems' | null = 'viewer') => rig.app.request(path, { headers: role ? rig.auth.bearer(role) : {} });

  beforeEach(() => {
    // the service is made after the rig (it needs the rig's store); the app reads it through this
    rig = createWebRig({
      temp,
      extraDeps: {
        snapshots: {
          severities: ['critical', 'major'],
          latest: (kind, id) => snapshots?.latest(kind, id),
          list: () => snapshots?.list() ?? [],
        },
      },
    });
    const clock = rig.alarms.clock;
    snapshots = createSnapshotService({
      file: `${temp.dir()}/snapshots.db`,
      settings: { enabled: true, severities: ['critical', 'major'], beforeMin: 10, afterMin: 5, keepDays: 30, maxMB: 50 },
      store: rig.store,
      devicePoints: (id) => rig.deps.catalog.device(id)?.pointIds ?? [],
      pointInfo: (id) => rig.deps.catalog.point(id),
      logger: silentLogger,
      now: () => clock.now,
      tickMs: 0,
    });
    snapshots.start();
    // 12 minutes of the UPS's readings, one every 10 s, on mains, the load climbing
    raisedAt = clock.now;
    const samples = [];
    for (let ts = raisedAt - 12 * MIN; ts < raisedAt; ts += 10 * S) {
      samples.push({ pointId: 'ups1.output_load', ts, value: 40 + (ts - raisedAt + 12 * MIN) / MIN, quality: 'good' as const });
      samples.push({ pointId: 'ups1.on_battery', ts, value: false, quality: 'good' as const });
    }
    rig.store.append(samples);
    rig.store.flush();
    rig.alarms.feed({ 'ups1.on_battery': true, 'ups1.output_load': 55 });
    // the alarm engine's raise commits with the next flush
    rig.store.flush();
  });
  afterEach(() => {
    snapshots?.stop();
    snapshots = undefined;
    rig.close();
    temp.cleanup();
  });

  it('GET /api/v1/alarms/:id/snapshot answers the window, the series from before the raise and the transitions', async () => {
    const res = await get('/api/v1/alarms/ups1.on-battery/snapshot');
    expect(res.status).toBe(200);
    const snap = (await res.json()) as Snapshot;
    expect(snap).toMatchObject({ from: raisedAt - 10 * MIN, to: raisedAt + 5 * MIN, raisedAt, kind: 'alarm', subject: 'ups1.on-battery' });
    const load = snap.series.find((s) => s.pointId === 'ups1.output_load')!;
    expect(load).toMatchObject({ name: 'Output load', unit: '%' });
    // 10 minutes before at 10 s (61 samples from raisedAt − 10 min to raisedAt − 10 s), then the raise's own
    expect(load.ts).toHaveLength(61);
    expect(load.ts[0]).toBe(raisedAt - 10 * MIN);
    expect(load.ts.filter((t) => t < raisedAt)).toHaveLength(60);
    expect(load.value.at(-1)).toBe(55);
    expect(snap.series.find((s) => s.pointId === 'ups1.on_battery')!.value.slice(-2)).toEqual([0, 1]);
    expect(snap.series.map((s) => s.pointId).sort()).toEqual(['ups1.on_battery', 'ups1.output_load', 'ups1.runtime_remaining']);
    expect(snap.alarms).toEqual([expect.objectContaining({ type: 'alarm.raised', id: 'ups1.on-battery', ts: raisedAt })]);
    // the central EMS pulls it with its own token
    expect((await get('/api/v1/alarms/ups1.on-battery/snapshot', 'ems')).status).toBe(200);
    expect((await get('/api/v1/alarms/ups1.on-battery/snapshot', null)).status).toBe(401);
  });

  it('?format=csv is a download with one row per time and point', async () => {
    const res = await get('/api/v1/alarms/ups1.on-battery/snapshot?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="snapshot-alarm-ups1\.on-battery-\d{8}T\d{4}\.csv"$/);
    const lines = (await res.text()).replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines[0]).toBe('ts_iso,point,name,unit,value');
    expect(lines).toHaveLength(1 + 61 + 61);
    // in time order; at one time the alarm's own point first
    const first = new Date(raisedAt - 10 * MIN).toISOString();
    expect(lines.slice(1, 3)).toEqual([`${first},ups1.on_battery,On battery,,0`, `${first},ups1.output_load,Output load,%,42`]);
    const raise = new Date(raisedAt).toISOString();
    expect(lines.slice(-2)).toEqual([`${raise},ups1.on_battery,On battery,,1`, `${raise},ups1.output_load,Output load,%,55`]);
  });

  it('?format=json is the same JSON as a download; a bad format is 400', async () => {
    const res = await get('/api/v1/alarms/ups1.on-battery/snapshot?format=json');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="snapshot-alarm-ups1\.on-battery-.*\.json"$/);
    expect(((await res.json()) as Snapshot).series).toHaveLength(3);
    expect((await get('/api/v1/alarms/ups1.on-battery/snapshot?format=xml')).status).toBe(400);
  });

  it('404 with an error body for an alarm or incident without a snapshot', async () => {
    for (const path of ['/api/v1/alarms/crac1.supply-hi.hi/snapshot', '/api/v1/alarms/nope/snapshot', '/api/v1/incidents/site-power-failure/snapshot']) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not-found' } });
    }
  });

  it('the snapshot page carries the chart script, the raise moment and the export links; the console links to it', async () => {
    const page = await (await get('/snapshots/alarm/ups1.on-battery')).text();
    expect(page).toContain('snapshot.js');
    expect(page).toContain('uPlot.iife.min.js');
    expect(page).toContain(`data-raised-at="${raisedAt}"`);
    expect(page).toContain('href="/api/v1/alarms/ups1.on-battery/snapshot?format=csv"');
    expect(page).toContain('href="/api/v1/alarms/ups1.on-battery/snapshot?format=json"');
    const ko = await (await rig.app.request('/snapshots/alarm/ups1.on-battery', { headers: { ...rig.auth.bearer('viewer'), 'accept-language': 'ko' } })).text();
    expect(ko).toContain('CSV 내보내기');
    const none = await get('/snapshots/alarm/crac1.supply-hi.hi');
    expect(none.status).toBe(404);
    expect(await none.text()).toContain('snapshot-none');
    const console = await (await get('/alarms')).text();
    expect(console).toMatch(/"snapshotSeverities":\["critical","major"\]/);
  });
});
