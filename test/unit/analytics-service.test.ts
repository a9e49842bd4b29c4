/**
 * The analytics service on a real store with the real alarm engine and a fake clock: baselines
 * learnt from the store's history, a step outside the band raises `anomaly.band` through the
 * alarm engine with what was expected, a ramp toward HI raises the `forecast.limit` pre-alarm
 * before the HI alarm, and a restart judges at once with the stored models, without false alarms.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createAnalyticsService, type AnalyticsEngine, analyticsAlarmRules, limitLinesByPoint } from '../../gateway/analytics/index.js';
import type { AnalyticsSpec } from '../../gateway/analytics/types.js';
import type { Store } from '../../gateway/store/types.js';
import { alarmRig, limitRule, T0 } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const POINT = 'crac1.supply_temp';
const MINUTE = 60_000;
const stores = createTempStores('gw-analytics-');
const engines: AnalyticsEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.stop();
  stores.cleanup();
});

const spec = (over: Partial<AnalyticsSpec> = {}): AnalyticsSpec => ({
  point: POINT,
  baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
  anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 120, kinds: ['band', 'spike', 'drift'] },
  forecast: { horizonMin: 30, windowMin: 10, severity: 'warning' },
  peers: [],
  ...over,
});

/** a CRAC supply air around 19 °C with a little noise, one sample every 10 s for `minutes`, ending at `end` */
function seedHistory(store: Store, end: number, minutes: number): void {
  let x = 1;
  for (let ts = end - minutes * MINUTE; ts < end; ts += 10_000) {
    x = (x * 16807) % 2147483647;
    store.append([{ pointId: POINT, ts, value: 19 + ((x / 2147483647) - 0.5) * 0.4, quality: 'good' }]);
  }
  store.flush();
  store.rollUp();
}

function rig(dir: string, specs: AnalyticsSpec[]) {
  const store = stores.open(join(dir, 'gateway.db'));
  const limits = [limitRule('supply-hi', POINT, { hi: 27 }, { onDelayS: 10 })];
  let analytics: AnalyticsEngine | undefined;
  const alarms = alarmRig(store, [...limits, ...analyticsAlarmRules(specs)], { analytics: { finding: (id) => analytics?.finding(id) ?? null } });
  analytics = createAnalyticsService({
    specs,
    store,
    file: join(dir, 'analytics.db'),
    pointInfo: () => ({ name: 'Supply air temperature', unit: '°C' }),
    limitsOf: limitLinesByPoint(limits),
    logger: silentLogger,
    now: () => alarms.clock.now,
    sliceMs: 0,
    tzOffsetMin: 0,
  });
  engines.push(analytics);
  analytics.start();
  const step = (value: number, seconds: number, every = 10) => {
    for (let s = 0; s < seconds; s += every) {
      alarms.feed({ [POINT]: value + (s % 20 === 0 ? 0.05 : -0.05) });
      store.flush();
      alarms.advance(every * 1000);
    }
  };
  const raised = () => alarms.events().filter((e) => e.type === 'alarm.raised').map((e) => e.data);
  return { store, alarms, analytics, step, raised };
}

describe('analytics service', () => {
  it('trains from the store, then a step outside the band raises anomaly.band with what was expected', () => {
    const dir = stores.dir();
    const r = rig(dir, [spec()]);
    expect(r.analytics.status()[0]).toMatchObject({ state: 'training', checks: ['anomaly.band', 'anomaly.spike', 'anomaly.drift', 'forecast.limit'] });
    seedHistory(r.store, T0, 180);
    r.analytics.refitAll();
    const status = r.analytics.status()[0]!;
    expect(status).toMatchObject({ state: 'ready', baselineKind: 'recent' });
    expect(status.trainedMinutes).toBeGreaterThanOrEqual(179);
    const band = r.analytics.baseline(POINT, T0, T0 + 10 * MINUTE)!;
    // one a minute, on the minute (T0 is not on one)
    expect(band.ts).toHaveLength(10);
    expect(band.ts.every((ts) => ts % MINUTE === 0)).toBe(true);
    expect(band.expected[0]).toBeCloseTo(19, 0);
    expect(band.lo[0]).toBeLessThan(19);
    expect(band.hi[0]).toBeGreaterThan(19);
    expect(band.hi[0]).toBeLessThan(21);

    r.step(19, 300);
    expect(r.raised()).toEqual([]);
    r.step(23.5, 60);
    // 60 s outside is less than the rule's 120 s on-delay
    expect(r.raised().filter((a) => a.id === `${POINT}.anomaly-band`)).toEqual([]);
    r.step(23.5, 120);
    const alarm = r.raised().find((a) => a.id === `${POINT}.anomaly-band`);
    expect(alarm).toMatchObject({ severity: 'minor', point: POINT, device: 'crac1' });
    expect(alarm!.message).toMatch(/23\.\d ?°C.*expected 1[89]\.\d.*1[89]\.\d/);
    // a limit alarm stays where it was: 23.5 is under HI 27
    expect(r.raised().some((a) => a.id === 'supply-hi.hi')).toBe(false);
  });

  it('a ramp toward HI raises the forecast pre-alarm minutes before the HI alarm', () => {
    const dir = stores.dir();
    const r = rig(dir, [spec({ anomaly: undefined })]);
    seedHistory(r.store, T0, 120);
    r.analytics.refitAll();
    r.step(19, 300);
    // 0.5 °C a minute from 19: HI 27 is 16 minutes away
    let value = 19;
    let preAlarmAt: number | undefined;
    let hiAt: number | undefined;
    for (let s = 0; s < 20 * 60 && hiAt === undefined; s += 10) {
      value += 0.5 / 6;
      r.step(value, 10);
      const ids = r.raised().map((a) => a.id);
      if (preAlarmAt === undefined && ids.includes(`${POINT}.forecast-limit`)) preAlarmAt = s;
      if (ids.includes('supply-hi.hi')) hiAt = s;
    }
    expect(preAlarmAt).toBeDefined();
    expect(hiAt).toBeDefined();
    expect(hiAt! - preAlarmAt!).toBeGreaterThan(5 * 60);
    const pre = r.raised().find((a) => a.id === `${POINT}.forecast-limit`)!;
    expect(pre.severity).toBe('warning');
    expect(pre.message).toMatch(/reaches HI 27 ?°C in about \d+ min/);
    const forecast = r.analytics.forecast(POINT)!;
    expect(forecast.mean.length).toBe(forecast.ts.length);
  });

  it('after a restart it judges at once with the stored model, and normal values raise nothing', () => {
    const dir = stores.dir();
    const first = rig(dir, [spec()]);
    seedHistory(first.store, T0, 180);
    first.analytics.refitAll();
    const fittedAt = first.analytics.status()[0]!.lastFitAt;
    first.analytics.stop();
    engines.splice(0);
    first.store.close();

    const second = rig(dir, [spec()]);
    // no refit ran: the model came from analytics.db
    expect(second.analytics.status()[0]).toMatchObject({ state: 'ready', lastFitAt: fittedAt });
    second.step(19, 15 * 60);
    expect(second.raised()).toEqual([]);
    expect(second.analytics.health()).toMatchObject({ points: 1, ready: 1, refits: 0, activeFindings: 0 });
  });
});
