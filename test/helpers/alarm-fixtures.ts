/**
 * Alarm rules and an engine on a real store with a fake clock, for the alarm tests: the test moves
 * the clock, feeds samples through real commits and reads the committed events back.
 */
import { createAlarmEngine, type AlarmEngine, type AlarmEngineOptions } from '../../gateway/alarms/engine.js';
import type { AlarmEventData, AlarmRule, CommLossRule, DiscreteMatch, DiscreteRule, LimitLevel, LimitRule, RateRule, Severity, StaleRule } from '../../gateway/alarms/types.js';
import type { CommState } from '../../core/device-status.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/types.js';
import type { PointValue, Quality } from '../../core/types.js';

export const T0 = 1_700_000_000_000;

const COMMON = { severity: 'major' as Severity, onDelayS: 0, offDelayS: 0, latch: false };

export function limitRule(id: string, point: string, levels: Partial<Record<LimitLevel, number | [number, Severity]>>, extra: Partial<LimitRule> = {}): LimitRule {
  const resolved: LimitRule['levels'] = {};
  for (const [level, spec] of Object.entries(levels) as Array<[LimitLevel, number | [number, Severity]]>) {
    resolved[level] = Array.isArray(spec)
      ? { limit: spec[0], severity: spec[1] }
      : { limit: spec, severity: level === 'hihi' || level === 'lolo' ? 'critical' : (extra.severity ?? 'major') };
  }
  return { ...COMMON, type: 'limit', id, point, levels: resolved, deadband: 0, ...extra };
}

export function discreteRule(id: string, point: string, match: DiscreteMatch, extra: Partial<DiscreteRule> = {}): DiscreteRule {
  return { ...COMMON, type: 'discrete', id, point, match, ...extra };
}

export function rateRule(id: string, point: string, perMinute: number, windowS: number, extra: Partial<RateRule> = {}): RateRule {
  return { ...COMMON, type: 'rate', id, point, perMinute, windowS, direction: 'both', ...extra };
}

export function staleRule(id: string, point: string, staleS: number, extra: Partial<StaleRule> = {}): StaleRule {
  return { ...COMMON, type: 'stale', id, point, staleS, ...extra };
}

export function commLossRule(id: string, device: string, commLossS: number, extra: Partial<CommLossRule> = {}): CommLossRule {
  return { ...COMMON, type: 'comm-loss', id, device, commLossS, ...extra };
}

export const NAMES: AlarmEngineOptions['names'] = {
  point: (id) => ({ name: id.split('.')[1]!.replaceAll('_', ' '), unit: id.endsWith('temp') ? '°C' : null }),
  device: (id) => ({ name: id.toUpperCase() }),
};

export interface AlarmRig {
  engine: AlarmEngine;
  clock: { now: number };
  deviceStates: Map<string, CommState>;
  /** commits one good (or given quality) sample per entry at the current clock */
  feed(values: Record<string, PointValue>, quality?: Quality): void;
  /** moves the clock and runs the engine's tick */
  advance(ms: number): void;
  /** commits what is queued and returns every alarm event so far */
  events(): Array<{ seq: number; type: string; data: AlarmEventData }>;
}

export function alarmRig(store: Store, rules: AlarmRule[], extra: Partial<AlarmEngineOptions> = {}): AlarmRig {
  const clock = { now: T0 };
  const deviceStates = new Map<string, CommState>();
  const engine = createAlarmEngine({
    rules,
    settings: { chatterPerMinute: 5, floodPer10Min: 10, maxShelveMinutes: 1440 },
    store,
    names: NAMES,
    deviceState: (id) => deviceStates.get(id) ?? 'up',
    logger: silentLogger,
    now: () => clock.now,
    tickMs: 0,
    flushEvents: false,
    ...extra,
  });
  engine.start();
  return {
    engine,
    clock,
    deviceStates,
    feed(values, quality = 'good') {
      store.append(Object.entries(values).map(([pointId, value]) => ({ pointId, ts: clock.now, value, quality, ...(quality === 'good' ? {} : { reason: 'timeout' }) })));
      store.flush();
    },
    advance(ms) {
      clock.now += ms;
      engine.tick();
    },
    events() {
      store.flush();
      return store
        .eventsAfter(0, 100_000)
        .filter((e) => e.type.startsWith('alarm.'))
        .map((e) => ({ seq: e.seq, type: e.type, data: e.data as unknown as AlarmEventData }));
    },
  };
}
