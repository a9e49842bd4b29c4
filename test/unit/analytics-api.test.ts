/**
 * The analytics API and pages through app.request() on a real store with the real analytics
 * service and a fake clock: the status list, a point's learned band and forecast (shapes, defaults,
 * bad queries, unknown and unanalysed points), who may read them, the analytics page, the trends
 * page's analysed flags and the overview's "forecast: HI in N min" badge.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createAnalyticsService, type AnalyticsEngine, limitLinesByPoint } from '../../gateway/analytics/index.js';
import type { AnalyticsPointStatus, AnalyticsSpec } from '../../gateway/analytics/types.js';
import { limitRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { createWebRig, type WebRig } from '../helpers/web-app.js';

const SUPPLY = 'crac1.supply_temp';
const RETURN = 'crac1.return_temp';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const spec = (point: string, forecast: boolean): AnalyticsSpec => ({
  point,
  baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
  anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 120, kinds: ['band', 'spike', 'drift'] },
  ...(forecast ? { forecast: { horizonMin: 30, windowMin: 10, severity: 'warning' as const } } : {}),
  peers: [],
});

interface Band {
  pointId: string;
  unit: string | null;
  from: number;
  to: number;
  ts: number[];
  expected: number[];
  lo: number[];
  hi: number[];
}

interface ForecastBody {
  pointId: string;
  state: string;
  at: number | null;
  ts: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  crossings: Array<{ level: string; limit: number; at: number }>;
}

describe('analytics API', () => {
  const temp = createTempStores('gw-analytics-api-');
  let rig: WebRig;
  let analytics: AnalyticsEngine | undefined;
  const get = (path: string, role: 'viewer' | 'operator' | null = 'viewer') => rig.app.request(path, { headers: role ? rig.auth.bearer(role) : {} });
  const now = () => rig.alarms.clock.now;
  /** commits `value` every 10 s for `seconds`, moving the clock */
  const step = (value: (s: number) => number, seconds: number) => {
    for (let s = 0; s < seconds; s += 10) {
      rig.alarms.feed({ [SUPPLY]: value(s) });
      rig.alarms.advance(10_000);
    }
  };

  beforeEach(() => {
    // the service is made after the rig (it needs the rig's store); the app reads it through this
    rig = createWebRig({
      temp,
      extraDeps: {
        now: () => rig.alarms.clock.now,
        analytics: {
          status: () => analytics?.status() ?? [],
          baseline: (id, from, to) => analytics?.baseline(id, from, to),
          forecast: (id) => analytics?.forecast(id),
        },
      },
    });
    analytics = createAnalyticsService({
      specs: [spec(SUPPLY, true), spec(RETURN, false)],
      store: rig.store,
      file: `${temp.dir()}/analytics.db`,
      pointInfo: (id) => rig.deps.catalog.point(id),
      limitsOf: limitLinesByPoint([limitRule('crac1.supply-hi', SUPPLY, { hi: 27 })]),
      logger: silentLogger,
      now,
      sliceMs: 0,
      tzOffsetMin: 0,
    });
    analytics.start();
  });
  afterEach(() => {
    analytics?.stop();
    analytics = undefined;
    rig.close();
    temp.cleanup();
  });

  /** three hours of supply air around 19 °C before now, then a fit */
  function train(): void {
    let x = 1;
    for (let ts = now() - 3 * HOUR; ts < now(); ts += 10_000) {
      x = (x * 16807) % 2147483647;
      rig.store.append([{ pointId: SUPPLY, ts, value: 19 + (x / 2147483647 - 0.5) * 0.4, quality: 'good' }]);
    }
    rig.store.flush();
    rig.store.rollUp();
    analytics!.refitAll();
  }

  it('GET /api/v1/analytics lists every analysed point with its training state', async () => {
    const res = await get('/api/v1/analytics');
    expect(res.status).toBe(200);
    let list = (await res.json()) as AnalyticsPointStatus[];
    expect(list.map((s) => s.point)).toEqual([SUPPLY, RETURN]);
    expect(list[0]).toMatchObject({ name: 'Supply air temperature', unit: '°C', state: 'training', minTrainingMinutes: 60, baselineKind: null, lastFitAt: null, nextCrossing: null });
    expect(list[0]!.checks).toEqual(['anomaly.band', 'anomaly.spike', 'anomaly.drift', 'forecast.limit']);
    expect(list[1]!.checks).not.toContain('forecast.limit');

    train();
    list = (await (await get('/api/v1/analytics')).json()) as AnalyticsPointStatus[];
    expect(list[0]).toMatchObject({ state: 'ready', baselineKind: 'recent', lastFitAt: now(), active: [] });
    expect(list[0]!.trainedMinutes).toBeGreaterThanOrEqual(179);
    // the return air has no history: still training
    expect(list[1]).toMatchObject({ state: 'training', trainedMinutes: 0 });
  });

  it('GET /api/v1/points/:id/baseline answers the band one a minute, the last 24 h by default', async () => {
    // while training: the shape with nothing in it
    let band = (await (await get(`/api/v1/points/${SUPPLY}/baseline`)).json()) as Band;
    expect(band).toMatchObject({ pointId: SUPPLY, unit: '°C', to: now(), from: now() - 24 * HOUR, ts: [], expected: [], lo: [], hi: [] });

    train();
    const from = now() - 30 * MINUTE;
    const res = await get(`/api/v1/points/${SUPPLY}/baseline?from=${from}&to=${now()}`);
    expect(res.status).toBe(200);
    band = (await res.json()) as Band;
    expect(band).toMatchObject({ pointId: SUPPLY, from, to: now() });
    expect(band.ts).toHaveLength(30);
    expect(band.ts.every((ts, i) => ts % MINUTE === 0 && ts >= from && ts <= now() && (i === 0 || ts - band.ts[i - 1]! === MINUTE))).toBe(true);
    expect(band.expected).toHaveLength(30);
    for (let i = 0; i < band.ts.length; i++) {
      expect(band.lo[i]!).toBeLessThan(band.expected[i]!);
      expect(band.hi[i]!).toBeGreaterThan(band.expected[i]!);
    }
    expect(band.expected[0]!).toBeCloseTo(19, 0);
    expect(band.hi[0]!).toBeLessThan(21);

    // the default range: 24 h thinned to at most ~2000 entries
    const day = (await (await get(`/api/v1/points/${SUPPLY}/baseline`)).json()) as Band;
    expect(day.ts.length).toBeGreaterThan(1000);
    expect(day.ts.length).toBeLessThanOrEqual(2000);
  });

  it('bad from/to are 400 with a message; an unknown or unanalysed point is 404', async () => {
    for (const query of ['from=yesterday', 'to=-5', 'from=1.5', `from=${now()}&to=${now() - 1}`, `from=0&to=${now()}`]) {
      const res = await get(`/api/v1/points/${SUPPLY}/baseline?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'bad-request', message: expect.stringMatching(/from|range/) });
    }
    for (const path of ['/api/v1/points/nope.point/baseline', '/api/v1/points/nope.point/forecast']) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not-found', message: 'no point "nope.point"' } });
    }
    // a configured point without analytics; the return air has a baseline but no forecast
    for (const path of ['/api/v1/points/ups1.output_load/baseline', '/api/v1/points/ups1.output_load/forecast', `/api/v1/points/${RETURN}/forecast`]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'not-found', message: expect.stringMatching(/has no (analytics|forecast)/) } });
    }
    expect((await get(`/api/v1/points/${RETURN}/baseline`)).status).toBe(200);
  });

  it('GET /api/v1/points/:id/forecast: not-enough-data at first, then the path and the HI crossing of a ramp', async () => {
    let body = (await (await get(`/api/v1/points/${SUPPLY}/forecast`)).json()) as ForecastBody;
    expect(body).toEqual({ pointId: SUPPLY, unit: '°C', state: 'not-enough-data', at: null, ts: [], mean: [], lo: [], hi: [], crossings: [] });

    train();
    step(() => 19, 300);
    body = (await (await get(`/api/v1/points/${SUPPLY}/forecast`)).json()) as ForecastBody;
    expect(body).toMatchObject({ state: 'ok', crossings: [] });
    // remade every 10 s of samples
    expect(now() - body.at!).toBeLessThanOrEqual(10_000);
    expect(body.ts.length).toBeGreaterThan(1);
    expect([body.mean.length, body.lo.length, body.hi.length]).toEqual([body.ts.length, body.ts.length, body.ts.length]);
    // 30 minutes ahead at most
    expect(body.ts.at(-1)! - now()).toBeLessThanOrEqual(30 * MINUTE);
    expect(body.ts.at(-1)! - now()).toBeGreaterThan(20 * MINUTE);
    expect(body.mean[0]!).toBeCloseTo(19, 0);

    // 0.5 °C a minute from 19: HI 27 is ~16 minutes away
    step((s) => 19 + (s / 60) * 0.5, 6 * 60);
    body = (await (await get(`/api/v1/points/${SUPPLY}/forecast`)).json()) as ForecastBody;
    expect(body.crossings).toEqual([{ level: 'hi', limit: 27, at: expect.any(Number) }]);
    // truly 10 minutes; the trend is fitted over the last 10 minutes, of which 4 were flat, so later
    const inMin = (body.crossings[0]!.at - now()) / MINUTE;
    expect(inMin).toBeGreaterThan(6);
    expect(inMin).toBeLessThan(20);
    const status = ((await (await get('/api/v1/analytics')).json()) as AnalyticsPointStatus[])[0]!;
    expect(status.nextCrossing).toEqual(body.crossings[0]);
  });

  it('every reading role may read; without a login it is 401', async () => {
    for (const path of ['/api/v1/analytics', `/api/v1/points/${SUPPLY}/baseline`, `/api/v1/points/${SUPPLY}/forecast`]) {
      expect((await get(path, 'viewer')).status, path).toBe(200);
      expect((await get(path, 'operator')).status, path).toBe(200);
      const anonymous = await get(path, null);
      expect(anonymous.status, path).toBe(401);
      expect(await anonymous.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    }
  });

  it('the analytics page lists the points for its script, linked from the navigation; viewers may open it', async () => {
    train();
    const res = await get('/analytics');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/analytics" aria-current="page">Analytics</a>');
    expect(page).toMatch(/<script src="\/static\/analytics\.js\?v=\w+" defer><\/script>/);
    expect(page).toContain('id="analytics-rows"');
    const data = JSON.parse(/<script type="application\/json" id="gw-data">([^<]*)<\/script>/.exec(page)![1]!) as {
      analytics: AnalyticsPointStatus[];
      messages: Record<string, string>;
    };
    expect(data.analytics.map((s) => [s.point, s.state])).toEqual([
      [SUPPLY, 'ready'],
      [RETURN, 'training'],
    ]);
    expect(data.messages['analytics.training']).toBe('training: {done} of {needed} minutes');
    // in Korean
    const ko = await (await rig.app.request('/analytics', { headers: { ...rig.auth.bearer('viewer'), 'accept-language': 'ko' } })).text();
    expect(ko).toContain('<a href="/analytics" aria-current="page">분석</a>');
    expect(ko).toContain('학습 중: {needed}분 중 {done}분');
    // a browser without a session goes to the login, and back here after it
    const anonymous = await rig.app.request('/analytics', { headers: { accept: 'text/html' } });
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get('location')).toBe('/login?next=%2Fanalytics');
  });

  it('the trends page marks analysed points; the overview tile carries the forecast badge', async () => {
    const trends = await (await get(`/trends?points=${SUPPLY},${RETURN},ups1.output_load`)).text();
    const trend = (JSON.parse(/id="gw-data">([^<]*)</.exec(trends)![1]!) as { trend: { points: Array<{ id: string; analysed: boolean; forecast: boolean }> } }).trend;
    expect(trend.points.map((p) => [p.id, p.analysed, p.forecast])).toEqual([
      [SUPPLY, true, true],
      [RETURN, true, false],
      ['ups1.output_load', false, false],
    ]);

    // no crossing: the badge is there, empty and hidden, for overview.js to fill
    train();
    step(() => 19, 300);
    let overview = await (await get('/')).text();
    expect(overview).toContain('<span class="forecast-badge" data-forecast="crac1" hidden></span>');
    step((s) => 19 + (s / 60) * 0.5, 6 * 60);
    overview = await (await get('/')).text();
    const badge = /<span class="forecast-badge" data-forecast="crac1" title="crac1\.supply_temp">([^<]*)<\/span>/.exec(overview);
    expect(badge?.[1]).toMatch(/^forecast: HI in (\d+) min$/);
    expect(Number(/in (\d+) min/.exec(badge![1]!)![1])).toBeGreaterThan(5);
    expect(overview).toContain('<span class="forecast-badge" data-forecast="ups1" hidden></span>');
    const ko = await (await rig.app.request('/', { headers: { ...rig.auth.bearer('viewer'), 'accept-language': 'ko' } })).text();
    expect(ko).toMatch(/data-forecast="crac1" title="crac1\.supply_temp">예측: \d+분 후 HI</);
  });
});
