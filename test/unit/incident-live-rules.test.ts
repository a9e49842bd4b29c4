/**
 * The incident engine's live rule change (issue 18): unchanged rules keep their raised incident
 * and the matches in their window, a removed rule's open incident is closed with an
 * `incident.removed` event saying why, a changed rule starts again, point windows carry over to
 * new conditions, and correlation settings switch at once. Real SQLite store, fake clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { AlarmEventData, AlarmRecord, Severity } from '../../gateway/alarms/types.js';
import { incidentListSchema } from '../../gateway/incidents/config-schema.js';
import { createIncidentEngine, type IncidentEngine } from '../../gateway/incidents/engine.js';
import type { Store } from '../../gateway/store/types.js';
import { alarmRecord, handTopology } from '../helpers/incident-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const T0 = 1_700_000_000_000;
const rules = (raw: unknown) => incidentListSchema.parse(raw);

const POWER = { id: 'site-power-failure', severity: 'critical', when: { any: [{ alarm: '*.on-battery' }], min: 2, withinS: 30 } };
const HOT = { id: 'hall-hot', when: { any: [{ point: 'racks-a.*-temperature', hi: 30 }], withinS: 60 } };
const LEAK = { id: 'leak', when: { any: [{ alarm: '*.leak' }], withinS: 10 } };

describe('incident engine: rules replaced live', () => {
  const temp = createTempStores('gw-incidents-live-');
  let store: Store;
  let clock: { now: number };
  let seeded: AlarmRecord[];
  const engines: IncidentEngine[] = [];
  beforeEach(() => {
    store = temp.open(temp.file());
    clock = { now: T0 };
    seeded = [];
  });
  afterEach(() => {
    for (const e of engines.splice(0)) e.stop();
    temp.cleanup();
  });

  function engine(raw: unknown[], start = true): IncidentEngine {
    const e = createIncidentEngine({
      rules: rules(raw),
      correlation: { symptoms: true, holdNotifications: ['warning', 'minor', 'major'] },
      store,
      alarms: { list: () => seeded },
      topology: handTopology(),
      logger: silentLogger,
      now: () => clock.now,
      monoNow: () => clock.now,
      tickMs: 0,
    });
    if (start) e.start();
    engines.push(e);
    return e;
  }
  const alarm = (id: string, active: boolean, severity: Severity = 'major') => {
    const record = alarmRecord(id, severity, active, clock.now);
    const data: AlarmEventData = { ...record, alarmId: id, transition: active ? 'raised' : 'returned', from: active ? 'normal' : 'unack', who: null, comment: null };
    store.appendEvent(`alarm.${data.transition}`, data as unknown as Record<string, unknown>, clock.now);
    store.flush();
  };
  const feed = (values: Record<string, number>) => {
    store.append(Object.entries(values).map(([pointId, value]) => ({ pointId, ts: clock.now, value, quality: 'good' as const })));
    store.flush();
  };
  const advance = (ms: number, e: IncidentEngine) => {
    clock.now += ms;
    e.tick();
    store.flush();
  };
  const events = (type?: string) => {
    store.flush();
    return store.eventsAfter(0, 10_000).filter((e) => (type ? e.type === type : e.type.startsWith('incident.')));
  };

  it('an unchanged rule keeps its raised, acknowledged incident and writes nothing', () => {
    const e = engine([POWER, LEAK]);
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    e.ack('site-power-failure', 'olivia');
    const before = e.get('site-power-failure')!;
    expect(before.state).toBe('acked');
    const count = events().length;
    const result = e.replaceRules(rules([POWER, { ...LEAK, severity: 'minor' }, HOT]));
    expect(result).toEqual({ added: ['hall-hot'], removed: [], changed: ['leak'] });
    expect(e.get('site-power-failure')).toEqual(before);
    // leak was normal: a changed normal rule writes nothing; nothing new for the power incident
    expect(events()).toHaveLength(count);
    expect(e.get('leak')!.severity).toBe('minor');
  });

  it('an unchanged rule keeps the matches in its window: one UPS before the change and one after raise it', () => {
    const e = engine([POWER]);
    alarm('ups1.on-battery', true);
    alarm('ups1.on-battery', false);
    advance(10_000, e);
    e.replaceRules(rules([POWER, LEAK]));
    alarm('ups2.on-battery', true);
    expect(e.get('site-power-failure')).toMatchObject({ state: 'unack', active: true });
  });

  it('a removed rule closes its open incident with incident.removed, saying why; list() forgets it', () => {
    const e = engine([POWER, LEAK]);
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    expect(e.get('site-power-failure')!.state).toBe('unack');
    clock.now += 5000;
    expect(e.replaceRules(rules([LEAK]))).toEqual({ added: [], removed: ['site-power-failure'], changed: [] });
    const removed = events('incident.removed');
    expect(removed).toHaveLength(1);
    expect(removed[0]!.data).toMatchObject({
      incidentId: 'site-power-failure',
      transition: 'removed',
      from: 'unack',
      state: 'normal',
      active: false,
      comment: 'rule removed from the config',
      members: ['ups1.on-battery', 'ups2.on-battery'],
    });
    expect(removed[0]!.ts).toBe(T0 + 5000);
    expect(e.get('site-power-failure')).toBeUndefined();
    expect(e.list().map((r) => r.id)).toEqual(['leak']);
    // a normal rule removed writes nothing
    e.replaceRules(rules([]));
    expect(events('incident.removed')).toHaveLength(1);
  });

  it('a changed rule closes its open incident and starts again: it raises anew when its new conditions hold', () => {
    const e = engine([POWER]);
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    e.ack('site-power-failure', 'olivia');
    // min 2 → 3: two UPSs on battery no longer make it
    e.replaceRules(rules([{ ...POWER, when: { ...POWER.when, min: 3 } }]));
    const removed = events('incident.removed');
    expect(removed.map((x) => x.data.comment)).toEqual(['rule changed in the config; it starts again from normal']);
    expect(removed[0]!.data.from).toBe('acked');
    expect(e.get('site-power-failure')).toMatchObject({ state: 'normal', active: false, ackedBy: null, members: [] });
    alarm('ups3.on-battery', true);
    expect(e.get('site-power-failure')).toMatchObject({ state: 'unack', active: true });
    expect(events('incident.raised')).toHaveLength(2);
    // min 3 → 1: the new rule holds at once, without waiting for the next alarm or tick
    e.replaceRules(rules([{ ...POWER, when: { ...POWER.when, min: 1 } }]));
    expect(e.get('site-power-failure')).toMatchObject({ state: 'unack', active: true });
    expect(events('incident.raised')).toHaveLength(3);
  });

  it('a new point condition uses the samples already seen, and shares a watched point\'s window', () => {
    const e = engine([LEAK]);
    // racks-a.a01-temperature reported while nothing watched it
    feed({ 'racks-a.a01-temperature': 31 });
    e.replaceRules(rules([LEAK, HOT]));
    feed({ 'racks-a.a01-temperature': 32 });
    advance(1000, e);
    expect(e.get('hall-hot')).toMatchObject({ state: 'unack', active: true });
    // a new rule over the same point shares its window: the reading from before counts at once
    const HOT2 = { id: 'hall-very-hot', when: { any: [{ point: 'racks-a.*-temperature', hi: 31.5 }], withinS: 60 } };
    e.replaceRules(rules([LEAK, HOT, HOT2]));
    expect(e.get('hall-very-hot')).toMatchObject({ state: 'unack', active: true });
  });

  it('the point window keeps samples as long as the longest new rule asks', () => {
    const RATE = { id: 'warming', when: { any: [{ point: 'racks-a.*-temperature', risePerMin: 1 }], withinS: 60 } };
    const e = engine([RATE]);
    feed({ 'racks-a.a01-temperature': 20 });
    // window 600 s: the first sample must still be there 5 minutes later (60 s kept before the change)
    e.replaceRules(rules([{ ...RATE, id: 'warming-slow', when: { any: [{ point: 'racks-a.*-temperature', risePerMin: 0.5 }], withinS: 600 } }]));
    for (let i = 1; i <= 10; i++) {
      advance(30_000, e);
      feed({ 'racks-a.a01-temperature': 20 + i * 0.35 });
    }
    advance(1000, e);
    // 3.5 °C over 5 min = 0.7/min against the rate window (the last minute: 0.7/min too)
    expect(e.get('warming-slow')).toMatchObject({ state: 'unack' });
  });

  it('correlation settings switch live: symptoms off, then held severities changed', () => {
    const e = engine([LEAK]);
    alarm('ups1.on-battery', true, 'critical');
    alarm('pdu-a1.overload', true, 'major');
    const pdu = { id: 'pdu-a1.overload', severity: 'major' as Severity, device: 'pdu-a1' };
    expect(e.causeOf('pdu-a1.overload')).toBe('ups1.on-battery');
    expect(e.isHeld(pdu)).toBe(true);
    e.replaceRules(rules([LEAK]), { symptoms: true, holdNotifications: ['warning'] });
    expect(e.isHeld(pdu)).toBe(false);
    expect(e.causeOf('pdu-a1.overload')).toBe('ups1.on-battery');
    e.replaceRules(rules([LEAK]), { symptoms: false, holdNotifications: ['major'] });
    expect(e.causeOf('pdu-a1.overload')).toBeUndefined();
    expect(e.symptoms()).toEqual([]);
  });

  it('a rule removed while the gateway was stopped: its open incident is closed at the next start', () => {
    const first = engine([POWER, LEAK]);
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    expect(first.get('site-power-failure')!.state).toBe('unack');
    first.stop();
    seeded = [alarmRecord('ups1.on-battery', 'major', true, T0), alarmRecord('ups2.on-battery', 'major', true, T0)];
    const second = engine([LEAK]);
    expect(second.get('site-power-failure')).toBeUndefined();
    expect(events('incident.removed').map((x) => [x.data.incidentId, x.data.comment])).toEqual([['site-power-failure', 'rule removed from the config']]);
    // a third start finds it closed: nothing more
    second.stop();
    engine([LEAK]);
    expect(events('incident.removed')).toHaveLength(1);
  });

  it('rules replaced before start are the ones start restores', () => {
    const first = engine([POWER]);
    alarm('ups1.on-battery', true);
    alarm('ups2.on-battery', true);
    first.stop();
    seeded = [alarmRecord('ups1.on-battery', 'major', true, T0), alarmRecord('ups2.on-battery', 'major', true, T0)];
    const e = engine([LEAK], false);
    e.replaceRules(rules([POWER]));
    e.start();
    expect(e.get('site-power-failure')).toMatchObject({ state: 'unack', active: true });
    expect(events('incident.removed')).toHaveLength(0);
  });
});
