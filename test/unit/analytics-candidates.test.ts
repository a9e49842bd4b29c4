/**
 * The alarm engine asks the analytics service only about the alarms it names as candidates (the
 * findings that may be active now), so 5 000 quiet analytics alarms cost a tick little. What must
 * hold: every active finding is a candidate (or an alarm would never raise), a raised alarm still
 * returns once its finding ends, and an alarm that is no candidate is not asked at all.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { type AnalyticsEngine, analyticsAlarmRules, createAnalyticsService } from '../../gateway/analytics/index.js';
import type { AnalyticsSpec } from '../../gateway/analytics/types.js';
import { alarmRig, T0 } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const MINUTE = 60_000;
const POINTS = ['crac1.supply_temp', 'crac2.supply_temp', 'crac3.supply_temp', 'crac4.supply_temp'];
const stores = createTempStores('gw-analytics-cand-');
const engines: AnalyticsEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.stop();
  stores.cleanup();
});

const specOf = (point: string): AnalyticsSpec => ({
  point,
  baseline: { season: ['day'], trainingDays: 7, minTrainingMinutes: 60 },
  anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 30, kinds: ['band', 'spike', 'drift', 'peer'] },
  forecast: { horizonMin: 30, windowMin: 10, severity: 'warning' },
  peers: POINTS.filter((p) => p !== point),
});

describe('analytics candidates', () => {
  it('name every active finding; the engine raises and returns through them and asks no other', () => {
    const dir = stores.dir();
    const store = stores.open(join(dir, 'gateway.db'));
    const specs = POINTS.map(specOf);
    const ids = analyticsAlarmRules(specs).map((r) => r.id);
    let analytics: AnalyticsEngine | undefined;
    const asked = new Set<string>();
    const rig = alarmRig(store, analyticsAlarmRules(specs), {
      analytics: {
        finding: (id) => {
          asked.add(id);
          return analytics?.finding(id) ?? null;
        },
        candidates: () => analytics?.candidates() ?? new Set<string>(),
      },
    });
    analytics = createAnalyticsService({
      specs,
      store,
      file: join(dir, 'analytics.db'),
      pointInfo: () => ({ name: 'Supply air', unit: '°C' }),
      limitsOf: () => [{ level: 'hi', limit: 27 }],
      logger: silentLogger,
      now: () => rig.clock.now,
      sliceMs: 0,
      tzOffsetMin: 0,
    });
    engines.push(analytics);
    analytics.start();
    // three hours of a quiet 19 °C on all four, then fitted
    let x = 7;
    const noise = () => {
      x = (x * 16807) % 2147483647;
      return (x / 2147483647 - 0.5) * 0.4;
    };
    for (let ts = T0 - 180 * MINUTE; ts < T0; ts += 10_000) store.append(POINTS.map((pointId) => ({ pointId, ts, value: 19 + noise(), quality: 'good' as const })));
    store.flush();
    store.rollUp();
    analytics.refitAll();

    /** every 10 s: all four at 19 °C but crac2 at `crac2` */
    const run = (seconds: number, crac2: (s: number) => number) => {
      for (let s = 0; s < seconds; s += 10) {
        rig.feed(Object.fromEntries(POINTS.map((p) => [p, p === 'crac2.supply_temp' ? crac2(s) : 19 + noise()])));
        asked.clear();
        const candidates = new Set(analytics!.candidates());
        // the property the engine relies on: an active finding is always a candidate
        for (const id of ids) if (analytics!.finding(id) !== null) expect(candidates.has(id)).toBe(true);
        asked.clear();
        rig.advance(10_000);
        // the engine asked only candidates (the set it got at this tick's start)
        for (const id of asked) expect(analytics!.candidates().has(id) || candidates.has(id)).toBe(true);
      }
    };
    run(10 * 60, () => 19 + noise());
    const quiet = rig.events().filter((e) => e.type === 'alarm.raised');
    expect(quiet).toEqual([]);

    // crac2 jumps 5 °C: a spike, then out of its band for longer than onDelayS, then apart from its peers
    run(10 * 60, () => 24 + noise());
    const raised = rig
      .events()
      .filter((e) => e.type === 'alarm.raised')
      .map((e) => e.data.id);
    expect(raised).toEqual(expect.arrayContaining(['crac2.supply_temp.anomaly-spike', 'crac2.supply_temp.anomaly-band', 'crac2.supply_temp.anomaly-peer']));
    expect(raised.every((id) => id.startsWith('crac2.'))).toBe(true);

    // back to normal: the findings end, the alarms return though they are no candidates any more
    run(30 * 60, () => 19 + noise());
    const returned = rig
      .events()
      .filter((e) => e.type === 'alarm.returned')
      .map((e) => e.data.id);
    expect(returned).toEqual(expect.arrayContaining(['crac2.supply_temp.anomaly-spike', 'crac2.supply_temp.anomaly-band', 'crac2.supply_temp.anomaly-peer']));
    expect(analytics.candidates().size).toBe(0);
    expect(rig.engine.list('all').filter((r) => r.type === 'analytics' && r.active)).toEqual([]);
  });
});
