/**
 * Peers with a fault of their own are no reference (model/detectors/peer.ts): through the service,
 * on a real store, four identical CRACs where one goes past its HI limit; and on the detector, no
 * judgement with fewer than two trustworthy peers.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createPeerDetector } from '../../gateway/analytics/model/detectors/index.js';
import { analyticsAlarmId, createAnalyticsService, type AnalyticsEngine, limitLinesByPoint } from '../../gateway/analytics/index.js';
import type { AnalyticsSpec } from '../../gateway/analytics/types.js';
import { limitRule, T0 } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const UNITS = ['crac1.supply_temp', 'crac2.supply_temp', 'crac3.supply_temp', 'crac4.supply_temp'];
/**
 * Each unit's standing level: they differ a little, as identical units do. With crac4 far off,
 * the median of crac3's three peers moves from 19.1 (crac4) to 19.5 (crac2): 0.4 °C, where its
 * threshold is 4.5 × the 0.038 °C floor (0.2 % of the level); the same for crac1 the other way.
 */
const LEVELS = [19.0, 19.5, 18.8, 19.1];
const stores = createTempStores('gw-analytics-peers-');
const engines: AnalyticsEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.stop();
  stores.cleanup();
});

function rig() {
  const store = stores.open(join(stores.dir(), 'gateway.db'));
  const specs: AnalyticsSpec[] = UNITS.map((point) => ({
    point,
    baseline: { season: ['day'], trainingDays: 7, minTrainingMinutes: 60 },
    anomaly: { sensitivity: 'medium', severity: 'minor', onDelayS: 300, kinds: ['peer'] },
    peers: UNITS.filter((p) => p !== point),
  }));
  let clock = T0;
  const analytics = createAnalyticsService({
    specs,
    store,
    file: join(stores.dir(), 'analytics.db'),
    pointInfo: (id) => ({ name: id, unit: '°C' }),
    limitsOf: limitLinesByPoint(UNITS.map((p) => limitRule(`${p}-hi`, p, { hi: 21 }))),
    logger: silentLogger,
    now: () => clock,
    sliceMs: 0,
    tzOffsetMin: 0,
  });
  engines.push(analytics);
  analytics.start();
  let x = 7;
  const noise = () => {
    x = (x * 16807) % 2147483647;
    return (x / 2147483647 - 0.5) * 0.02;
  };
  /** `minutes` of samples every 10 s; returns, per unit, how many checks its peer finding was active */
  const run = (minutes: number, value: (unit: number) => number) => {
    const active = [0, 0, 0, 0];
    for (let s = 0; s < minutes * 6; s++) {
      store.append(UNITS.map((pointId, i) => ({ pointId, ts: clock, value: value(i) + noise(), quality: 'good' as const })));
      store.flush();
      clock += 10_000;
      UNITS.forEach((p, i) => {
        if (analytics.finding(analyticsAlarmId(p, 'anomaly.peer')) !== null) active[i]!++;
      });
    }
    return active;
  };
  return { run };
}

describe('peer check: a peer with a fault of its own is no reference', () => {
  it('one CRAC past its HI limit: found on that one only; the healthy three are not pulled apart', () => {
    const { run } = rig();
    // an hour of normal running: the peer check learns each unit's usual deviation
    expect(run(60, (i) => LEVELS[i]!)).toEqual([0, 0, 0, 0]);
    // crac4 at 22 °C, past its HI 21 °C: its own fault; the others stay where they were
    const active = run(60, (i) => (i === 3 ? 22 : LEVELS[i]!));
    expect(active.slice(0, 3)).toEqual([0, 0, 0]);
    expect(active[3]).toBeGreaterThan(50 * 6);
  });

  it('fewer than two trustworthy peers: no peer judgement, so no finding held from before', () => {
    const { run } = rig();
    expect(run(60, (i) => LEVELS[i]!)).toEqual([0, 0, 0, 0]);
    // crac3 and crac4 both past HI: crac1 and crac2 have one trustworthy peer each, and are not judged
    const active = run(30, (i) => (i >= 2 ? 22 + i : LEVELS[i]!));
    expect(active.slice(0, 2)).toEqual([0, 0]);
  });
});

describe('peer detector without a fair reference', () => {
  it('with fewer than two peers it does not judge, and a finding it had returns', () => {
    const start = T0;
    let peers = [19, 19.1, 18.9];
    const d = createPeerDetector({ label: { name: 'CRAC 1', unit: '°C' }, sensitivity: 'high', peerValues: () => peers });
    let ts = start;
    const feed = (minutes: number, value: number) => {
      for (let s = 0; s < minutes * 6; s++, ts += 10_000) d.observe(ts, value + (s % 2 === 0 ? 0.01 : -0.01), null);
    };
    feed(60, 19);
    expect(d.judging).toBe(true);
    feed(20, 21);
    expect(d.finding(ts).active).toBe(true);
    peers = [19];
    feed(1, 21);
    expect(d.judging).toBe(false);
    expect(d.finding(ts).active).toBe(false);
    expect(d.isActive(ts)).toBe(false);
  });
});
