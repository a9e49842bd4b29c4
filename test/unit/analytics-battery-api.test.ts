/**
 * A UPS's battery runtime under its load trend, through the real analytics service on a real
 * store: the forecast API's `battery` for the runtime point (and `none` when only the battery is
 * configured), the status list the analytics page draws, the page's strings in both languages,
 * and the battery.runtime pre-alarm through the real alarm engine (raised with its message,
 * returned when the load levels off).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { analyticsAlarmRules, createAnalyticsService, type AnalyticsEngine, limitLinesByPoint } from '../../gateway/analytics/index.js';
import type { AnalyticsPointStatus, AnalyticsSpec, BatteryProjection } from '../../gateway/analytics/types.js';
import { alarmRig, limitRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const RUNTIME = 'ups1.runtime_remaining';
const LOAD = 'ups1.output_load';

const spec = (forecast: boolean): AnalyticsSpec => ({
  point: RUNTIME,
  baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
  ...(forecast ? { forecast: { horizonMin: 30, windowMin: 10, severity: 'warning' as const } } : {}),
  peers: [],
  battery: { load: LOAD, windowMin: 10, severity: 'warning' },
});
/** the runtime's LO 10 / LOLO 5 minutes, as the UPS profiles have it: the pre-alarm's default minimum */
const RUNTIME_LIMITS = [limitRule('ups1.runtime-low', RUNTIME, { lo: 10, lolo: 5 })];

interface ForecastBody {
  pointId: string;
  state: string;
  at: number | null;
  ts: number[];
  crossings: unknown[];
  battery?: BatteryProjection | null;
}

describe('battery runtime API', () => {
  const temp = createTempStores('gw-battery-api-');
  let rig: WebRig;
  let analytics: AnalyticsEngine | undefined;
  const get = (path: string, headers: Record<string, string> = {}) => rig.app.request(path, { headers: { ...rig.auth.bearer('viewer'), ...headers } });
  const now = () => rig.alarms.clock.now;
  /** every 10 s for `minutes`: the load (by minute from the start of this call) and the UPS's runtime figure */
  const run = (minutes: number, load: (m: number) => number, runtime: number) => {
    for (let s = 0; s < minutes * 60; s += 10) {
      rig.alarms.feed({ [LOAD]: load(s / 60), [RUNTIME]: runtime });
      rig.alarms.advance(10_000);
    }
  };
  function start(withForecast: boolean): void {
    analytics = createAnalyticsService({
      specs: [spec(withForecast)],
      store: rig.store,
      file: `${temp.dir()}/analytics.db`,
      pointInfo: (id) => rig.deps.catalog.point(id),
      limitsOf: limitLinesByPoint(RUNTIME_LIMITS),
      logger: silentLogger,
      now,
      sliceMs: 0,
      tzOffsetMin: 0,
    });
    analytics.start();
  }

  beforeEach(() => {
    rig = createWebRig({
      temp,
      extraDeps: {
        now: () => rig.alarms.clock.now,
        analytics: {
          status: () => analytics?.status() ?? [],
          baseline: (id, from, to) => analytics?.baseline(id, from, to),
          forecast: (id) => analytics?.forecast(id),
          battery: (id) => analytics?.battery?.(id),
        },
      },
    });
  });
  afterEach(() => {
    analytics?.stop();
    analytics = undefined;
    rig.close();
    temp.cleanup();
  });

  it('GET /points/{runtime}/forecast carries the runtime under the load trend; the status list too', async () => {
    start(true);
    const forecast = async () => (await get(`/api/v1/points/${RUNTIME}/forecast`)).json() as Promise<ForecastBody>;
    // no samples yet: the battery is there, empty
    expect(await forecast()).toEqual({ pointId: RUNTIME, unit: 'min', state: 'not-enough-data', at: null, ts: [], mean: [], lo: [], hi: [], crossings: [], battery: null });

    // ten steady minutes: 20 % and 14 min, the projection is the UPS's own figure
    run(10, () => 20, 14);
    let body = await forecast();
    expect(body.state).toBe('ok');
    expect(body.battery).toMatchObject({ load: LOAD, runtimeMin: 14, projectedMin: 14, loadPerMin: 0, minRuntimeMin: 10 });
    expect(body.battery!.loadNow).toBeCloseTo(20, 6);
    expect(now() - body.battery!.at).toBeLessThanOrEqual(10_000);

    // the load climbs 3 %/min to 50 %; the UPS says 12 min: 50 T + 1.5 T² = 600 → 9.4 min
    run(10, (m) => 20 + 3 * m, 12);
    body = await forecast();
    expect(body.battery!.loadPerMin).toBeCloseTo(3, 1);
    expect(body.battery!.projectedMin).toBeGreaterThan(8.5);
    expect(body.battery!.projectedMin).toBeLessThan(10);
    const status = ((await (await get('/api/v1/analytics')).json()) as AnalyticsPointStatus[])[0]!;
    expect(status.checks).toEqual(['forecast.limit', 'battery.runtime']);
    expect(status.active).toEqual(['battery.runtime']);
    expect(status.battery).toEqual(body.battery);
  });

  it('a runtime point with only a battery answers state none; its load point (not analysed) stays 404', async () => {
    start(false);
    run(10, () => 20, 14);
    const body = (await (await get(`/api/v1/points/${RUNTIME}/forecast`)).json()) as ForecastBody;
    expect(body).toMatchObject({ pointId: RUNTIME, state: 'none', at: null, ts: [], crossings: [] });
    expect(body.battery).toMatchObject({ runtimeMin: 14, projectedMin: 14 });
    const load = await get(`/api/v1/points/${LOAD}/forecast`);
    expect(load.status).toBe(404);
  });

  it('the analytics page sends the battery strings, in English and Korean', async () => {
    start(true);
    run(10, () => 20, 14);
    const page = await (await get('/analytics')).text();
    const data = JSON.parse(/id="gw-data">([^<]*)</.exec(page)![1]!) as { analytics: AnalyticsPointStatus[]; messages: Record<string, string> };
    expect(data.analytics[0]!.battery).toMatchObject({ runtimeMin: 14, projectedMin: 14 });
    expect(data.messages['analytics.battery']).toBe('battery: {projected} min at the load trend (UPS says {runtime} min)');
    expect(data.messages['analytics.check.battery.runtime']).toBe('battery runtime');
    const ko = await (await get('/analytics', { 'accept-language': 'ko' })).text();
    expect(ko).toContain('배터리: 부하 추세 기준 {projected}분 (UPS 표시 {runtime}분)');
  });
});

describe('battery.runtime pre-alarm through the alarm engine', () => {
  const temp = createTempStores('gw-battery-alarm-');
  afterEach(() => temp.cleanup());

  it('raises with what the battery would last and what the UPS says, and returns when the load levels off', () => {
    const store = temp.open(temp.file(), { commitIntervalMs: 20 });
    let analytics: AnalyticsEngine | undefined;
    const specs = [spec(false)];
    const rig = alarmRig(store, [...RUNTIME_LIMITS, ...analyticsAlarmRules(specs)], { analytics: { finding: (id) => analytics?.finding(id) ?? null } });
    analytics = createAnalyticsService({
      specs,
      store,
      file: `${temp.dir()}/analytics.db`,
      pointInfo: (id) => ({ name: id === RUNTIME ? 'Runtime remaining' : 'Output load', unit: id === RUNTIME ? 'min' : '%' }),
      limitsOf: limitLinesByPoint(RUNTIME_LIMITS),
      logger: silentLogger,
      now: () => rig.clock.now,
      sliceMs: 0,
      tzOffsetMin: 0,
    });
    analytics.start();
    try {
      const feed = (minutes: number, load: (m: number) => number, runtime: number) => {
        for (let s = 0; s < minutes * 60; s += 10) {
          rig.feed({ [LOAD]: load(s / 60), [RUNTIME]: runtime });
          rig.advance(10_000);
        }
      };
      const alarm = () => rig.engine.list('all').find((a) => a.id === 'ups1.runtime_remaining.battery-runtime');
      feed(10, () => 20, 14);
      expect(alarm()?.active).toBe(false);
      feed(10, (m) => 20 + 3 * m, 12);
      const raised = alarm()!;
      expect(raised).toMatchObject({ active: true, severity: 'warning', point: RUNTIME });
      expect(raised.message).toMatch(/^Runtime remaining: about 9 min at the rising load, below the 10 min minimum \(the UPS says 12 min at the present load\)$/);
      // the runtime-low limit alarm is not raised: the UPS's own figure is still above LO
      const runtimeLow = rig.engine.list('all').filter((a) => a.id.startsWith('ups1.runtime-low.'));
      expect(runtimeLow.map((a) => [a.id, a.active]).sort()).toEqual([
        ['ups1.runtime-low.lo', false],
        ['ups1.runtime-low.lolo', false],
      ]);
      // the load levels off at 50 %; the trend flattens within the 10-minute window, and after the 60 s off-delay it returns
      feed(12, () => 50, 12);
      expect(alarm()?.active).toBe(false);
      const types = rig.events().filter((e) => e.data.alarmId === 'ups1.runtime_remaining.battery-runtime').map((e) => e.type);
      expect(types).toEqual(['alarm.raised', 'alarm.returned']);
    } finally {
      analytics.stop();
    }
  });
});
