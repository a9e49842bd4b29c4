/**
 * Live analytics changes (applySpecs) on a real store and analytics.db with a fake clock: an
 * unchanged point keeps its fitted model and its detectors' state, a changed one starts over and
 * refits, a removed one stops judging and its stored model is gone, an added one trains.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { type AnalyticsEngine, analyticsAlarmId, createAnalyticsService } from '../../gateway/analytics/index.js';
import type { AnalyticsSpec } from '../../gateway/analytics/types.js';
import type { Store } from '../../gateway/store/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const MINUTE = 60_000;
/** on a minute */
const T0 = Date.UTC(2026, 11, 1, 12, 0);
const A = 'crac1.supply_temp';
const B = 'crac2.supply_temp';
const C = 'crac3.supply_temp';
const stores = createTempStores('gw-analytics-apply-');
const engines: AnalyticsEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.stop();
  stores.cleanup();
});

const spec = (point: string, over: Partial<AnalyticsSpec> = {}): AnalyticsSpec => ({
  point,
  baseline: { season: ['day', 'week'], trainingDays: 7, minTrainingMinutes: 60 },
  anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 120, kinds: ['band', 'spike'] },
  peers: [],
  ...over,
});

/** three hours of every point around 19 °C, one sample every 10 s, ending at T0 */
function seedHistory(store: Store, ids: readonly string[]): void {
  let x = 1;
  for (let ts = T0 - 180 * MINUTE; ts < T0; ts += 10_000) {
    for (const pointId of ids) {
      x = (x * 16807) % 2147483647;
      store.append([{ pointId, ts, value: 19 + (x / 2147483647 - 0.5) * 0.4, quality: 'good' }]);
    }
  }
  store.flush();
  store.rollUp();
}

function rig(dir: string, specs: AnalyticsSpec[]) {
  const store = stores.open(join(dir, 'gateway.db'));
  const clock = { now: T0 };
  const names: Record<string, string> = { [A]: 'CRAC 1 supply air', [B]: 'CRAC 2 supply air', [C]: 'CRAC 3 supply air' };
  const analytics = createAnalyticsService({
    specs,
    store,
    file: join(dir, 'analytics.db'),
    pointInfo: (id) => ({ name: names[id] ?? id, unit: '°C' }),
    limitsOf: () => [],
    logger: silentLogger,
    now: () => clock.now,
    sliceMs: 0,
    tzOffsetMin: 0,
  });
  engines.push(analytics);
  analytics.start();
  /** every point in `values` for `seconds`, one sample each every 10 s */
  const feed = (values: Record<string, number>, seconds: number) => {
    for (let s = 0; s < seconds; s += 10) {
      store.append(Object.entries(values).map(([pointId, value]) => ({ pointId, ts: clock.now, value, quality: 'good' as const })));
      store.flush();
      clock.now += 10_000;
    }
  };
  const byPoint = (id: string) => analytics.status().find((s) => s.point === id);
  return { store, clock, analytics, feed, byPoint, names };
}

describe('analytics applySpecs (live configuration)', () => {
  it('keeps an unchanged point as it was, refits a changed one, stops a removed one, trains an added one', () => {
    const dir = stores.dir();
    const r = rig(dir, [spec(A), spec(B)]);
    seedHistory(r.store, [A, B, C]);
    r.analytics.refitAll();
    r.feed({ [A]: 19, [B]: 19 }, 120);
    // A outside its band now: the band detector's state is what an unchanged point must keep
    r.feed({ [A]: 23.5, [B]: 19 }, 30);
    const bandA = analyticsAlarmId(A, 'anomaly.band');
    expect(r.analytics.finding(bandA)).toMatch(/^CRAC 1 supply air 23\.5 °C, expected/);
    const before = { a: r.byPoint(A)!, refits: r.analytics.health().refits };

    r.names[A] = 'CRAC 1 supply air (hall 2)';
    const changes = r.analytics.applySpecs([spec(A), spec(B, { anomaly: { sensitivity: 'high', severity: 'minor', onDelayS: 120, kinds: ['band'] } }), spec(C)]);
    expect(changes).toEqual({ added: [C], removed: [], changed: [B], unchanged: 1 });
    // unchanged: the same fitted model, no refit, the finding still active (now under the new name)
    expect(r.byPoint(A)).toMatchObject({ state: 'ready', lastFitAt: before.a.lastFitAt, baselineKind: before.a.baselineKind });
    expect(r.analytics.health().refits).toBe(before.refits);
    r.feed({ [A]: 23.5, [B]: 19, [C]: 19 }, 10);
    expect(r.analytics.finding(bandA)).toMatch(/^CRAC 1 supply air \(hall 2\) 23\.5 °C/);
    // changed: new checks, training until its refit, which is due at once
    expect(r.byPoint(B)).toMatchObject({ state: 'training', checks: ['anomaly.band'], lastFitAt: null });
    expect(r.byPoint(B)!.nextFitAt).toBeLessThanOrEqual(r.clock.now);
    expect(r.analytics.finding(analyticsAlarmId(B, 'anomaly.spike'))).toBeNull();
    // added: training until its first fit
    expect(r.byPoint(C)).toMatchObject({ state: 'training' });
    r.analytics.refitAll();
    expect(r.byPoint(B)).toMatchObject({ state: 'ready' });
    expect(r.byPoint(C)).toMatchObject({ state: 'ready' });

    const removal = r.analytics.applySpecs([spec(B, { anomaly: { sensitivity: 'high', severity: 'minor', onDelayS: 120, kinds: ['band'] } }), spec(C)]);
    expect(removal).toEqual({ added: [], removed: [A], changed: [], unchanged: 2 });
    expect(r.analytics.finding(bandA)).toBeNull();
    expect(r.analytics.candidates().has(bandA)).toBe(false);
    expect(r.byPoint(A)).toBeUndefined();
    expect(r.analytics.baseline(A, T0, T0 + MINUTE)).toBeUndefined();
    // A's samples are no longer judged
    r.feed({ [A]: 40, [B]: 19, [C]: 19 }, 60);
    expect(r.analytics.finding(bandA)).toBeNull();
    expect(r.analytics.health()).toMatchObject({ points: 2, ready: 2 });
  });

  it('a removed point leaves no model behind: analysed again after a restart, it trains from its history', () => {
    const dir = stores.dir();
    const first = rig(dir, [spec(A), spec(B)]);
    seedHistory(first.store, [A, B]);
    first.analytics.refitAll();
    first.analytics.applySpecs([spec(B)]);
    first.analytics.stop();
    engines.splice(0);
    first.store.close();

    const second = rig(dir, [spec(A), spec(B)]);
    expect(second.byPoint(A)).toMatchObject({ state: 'training' });
    // B's model was kept in analytics.db: it judges at once
    expect(second.byPoint(B)).toMatchObject({ state: 'ready' });
  });

  it('a service started with no points begins listening once a spec list brings some', () => {
    const dir = stores.dir();
    const r = rig(dir, []);
    seedHistory(r.store, [A]);
    expect(r.analytics.applySpecs([spec(A)])).toEqual({ added: [A], removed: [], changed: [], unchanged: 0 });
    r.analytics.refitAll();
    r.feed({ [A]: 19 }, 60);
    r.feed({ [A]: 23.5 }, 20);
    expect(r.analytics.finding(analyticsAlarmId(A, 'anomaly.band'))).toMatch(/23\.5 °C/);
  });

  it('refuses a spec list after stop (analytics.db is closed)', () => {
    const r = rig(stores.dir(), [spec(A)]);
    r.analytics.stop();
    engines.splice(0);
    expect(() => r.analytics.applySpecs([])).toThrow(/stopped/);
  });
});
