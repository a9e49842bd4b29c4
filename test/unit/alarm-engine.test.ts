/**
 * The alarm engine on a real SQLite store with a fake clock: committed readings raise and return
 * alarms, every transition is an event with its own seq, operators' actions record who and why,
 * and the time-driven alarms (delays, shelve expiry, stale data, comm loss) follow the clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/types.js';
import { alarmRig, commLossRule, discreteRule, limitRule, staleRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const who = (name: string, comment: string | null = null) => ({ who: name, comment });

describe('alarm engine', () => {
  const temp = createTempStores('gw-alarm-engine-');
  let store: Store;
  beforeEach(() => {
    store = temp.open(temp.file());
  });
  afterEach(() => temp.cleanup());

  it('raises on a committed reading and writes the transition as an event with every field', () => {
    const rig = alarmRig(store, [limitRule('crac1-supply', 'crac1.supply_temp', { hi: 27 }, { message: 'Supply air {value}{unit}' })]);
    rig.feed({ 'crac1.supply_temp': 22 });
    expect(rig.events()).toEqual([]);
    rig.feed({ 'crac1.supply_temp': 27.4 });
    const [raised, ...rest] = rig.events();
    expect(rest).toEqual([]);
    expect(raised!.type).toBe('alarm.raised');
    expect(raised!.seq).toBeGreaterThan(0);
    expect(raised!.data).toMatchObject({
      alarmId: 'crac1-supply.hi',
      rule: 'crac1-supply',
      point: 'crac1.supply_temp',
      device: 'crac1',
      severity: 'major',
      state: 'unack',
      from: 'normal',
      value: 27.4,
      unit: '°C',
      message: 'Supply air 27.4°C',
      who: null,
      comment: null,
      raisedAt: rig.clock.now,
    });
    expect(rig.engine.list('active').map((a) => a.id)).toEqual(['crac1-supply.hi']);
  });

  it('makes one alarm per limit level, each with its own severity', () => {
    const rig = alarmRig(store, [limitRule('supply', 'crac1.supply_temp', { hi: 27, hihi: 30, lo: 15 })]);
    rig.feed({ 'crac1.supply_temp': 31 });
    const raised = rig.events().map((e) => [e.data.alarmId, e.data.severity]);
    expect(raised).toEqual([
      ['supply.hihi', 'critical'],
      ['supply.hi', 'major'],
    ]);
    expect(rig.engine.list('all').map((a) => [a.id, a.state])).toEqual([
      ['supply.hihi', 'unack'],
      ['supply.hi', 'unack'],
      ['supply.lo', 'normal'],
    ]);
  });

  it('keeps the condition through bad-quality samples (a comm fault never clears an alarm)', () => {
    const rig = alarmRig(store, [discreteRule('on-batt', 'ups1.on_battery', { op: 'equals', value: true })]);
    rig.feed({ 'ups1.on_battery': true });
    rig.feed({ 'ups1.on_battery': null }, 'bad');
    rig.feed({ 'ups1.on_battery': false }, 'uncertain');
    expect(rig.engine.get('on-batt')?.state).toBe('unack');
    rig.feed({ 'ups1.on_battery': false });
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised', 'alarm.returned']);
    expect(rig.engine.get('on-batt')?.state).toBe('rtn-unack');
  });

  it('acknowledge records who and the comment; a refused action changes nothing', () => {
    const rig = alarmRig(store, [discreteRule('on-batt', 'ups1.on_battery', { op: 'equals', value: true })]);
    expect(rig.engine.ack('nope', who('kim'))).toMatchObject({ ok: false, code: 'not-found' });
    expect(rig.engine.ack('on-batt', who('kim'))).toMatchObject({ ok: false, code: 'conflict' });
    rig.feed({ 'ups1.on_battery': true });
    rig.clock.now += 5000;
    const result = rig.engine.ack('on-batt', who('kim', 'generator starting'));
    expect(result).toMatchObject({ ok: true, alarm: { state: 'acked', ackedBy: 'kim', ackComment: 'generator starting', ackedAt: rig.clock.now } });
    // Committed before the call returned: an operator's action is durable when the API answers.
    const acked = store.eventsAfter(0, 100).find((e) => e.type === 'alarm.acked');
    expect(acked?.data).toMatchObject({ alarmId: 'on-batt', state: 'acked', from: 'unack', who: 'kim', comment: 'generator starting' });
  });

  it('on-delay: a condition must hold onDelayS before it raises, checked by the tick too', () => {
    const rig = alarmRig(store, [limitRule('supply', 'crac1.supply_temp', { hi: 27 }, { onDelayS: 10, offDelayS: 5, deadband: 0.5 })]);
    rig.feed({ 'crac1.supply_temp': 28 });
    rig.advance(9_000);
    expect(rig.events()).toEqual([]);
    rig.advance(1_000);
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised']);
    rig.feed({ 'crac1.supply_temp': 26.6 }); // inside the deadband: still in alarm
    rig.advance(10_000);
    expect(rig.engine.get('supply.hi')?.active).toBe(true);
    rig.feed({ 'crac1.supply_temp': 26.4 });
    rig.advance(4_000);
    expect(rig.engine.get('supply.hi')?.active).toBe(true);
    rig.advance(1_000);
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised', 'alarm.returned']);
  });

  it('shelve for N minutes: records who, suppresses, and unshelves by itself', () => {
    const rig = alarmRig(store, [discreteRule('leak', 'crac1.water_detected', { op: 'equals', value: true }, { severity: 'critical' })]);
    rig.feed({ 'crac1.water_detected': true });
    expect(rig.engine.shelve('leak', 0, who('lee'))).toMatchObject({ ok: false, code: 'bad-request' });
    expect(rig.engine.shelve('leak', 10_000, who('lee'))).toMatchObject({ ok: false, code: 'bad-request' });
    const shelved = rig.engine.shelve('leak', 30, who('lee', 'sensor being replaced'));
    expect(shelved).toMatchObject({ ok: true, alarm: { state: 'shelved', shelvedBy: 'lee', shelveComment: 'sensor being replaced', shelvedUntil: rig.clock.now + 30 * 60_000 } });
    rig.feed({ 'crac1.water_detected': false });
    rig.feed({ 'crac1.water_detected': true });
    rig.advance(30 * 60_000 - 1);
    expect(rig.engine.get('leak')?.state).toBe('shelved');
    rig.advance(1);
    expect(rig.engine.get('leak')).toMatchObject({ state: 'unack', shelvedBy: null, shelvedUntil: null });
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised', 'alarm.shelved', 'alarm.unshelved']);
  });

  it('out of service: stops the alarm until returned to service', () => {
    const rig = alarmRig(store, [discreteRule('leak', 'crac1.water_detected', { op: 'equals', value: true })]);
    expect(rig.engine.setInService('leak', false, who('park', 'maintenance'))).toMatchObject({ ok: true, alarm: { state: 'out-of-service' } });
    rig.feed({ 'crac1.water_detected': true });
    expect(rig.engine.list('unack')).toEqual([]);
    expect(rig.engine.setInService('leak', true, who('park'))).toMatchObject({ ok: true, alarm: { state: 'unack' } });
    expect(rig.events().map((e) => [e.type, e.data.who])).toEqual([
      ['alarm.out-of-service', 'park'],
      ['alarm.in-service', 'park'],
    ]);
  });

  it('stale data: no good sample for N s raises; a good sample returns it', () => {
    const rig = alarmRig(store, [staleRule('supply-stale', 'crac1.supply_temp', 30)]);
    rig.feed({ 'crac1.supply_temp': 21 });
    rig.advance(29_000);
    rig.feed({ 'crac1.supply_temp': null }, 'bad');
    rig.advance(1_000);
    expect(rig.engine.get('supply-stale')?.state).toBe('unack');
    rig.feed({ 'crac1.supply_temp': 21.5 });
    expect(rig.engine.get('supply-stale')?.state).toBe('rtn-unack');
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised', 'alarm.returned']);
  });

  it('comm loss: one alarm per device after N s down, and no stale alarms for its points meanwhile', () => {
    const rig = alarmRig(store, [
      commLossRule('ups1.comm-loss', 'ups1', 10, { severity: 'critical' }),
      staleRule('ups1.load-stale', 'ups1.output_load', 5),
      staleRule('ups1.volt-stale', 'ups1.input_voltage', 5),
    ]);
    rig.feed({ 'ups1.output_load': 40, 'ups1.input_voltage': 230 });
    rig.deviceStates.set('ups1', 'down');
    rig.advance(1_000);
    for (let i = 0; i < 10; i++) rig.advance(1_000);
    expect(rig.engine.list('active').map((a) => a.id)).toEqual(['ups1.comm-loss']);
    expect(rig.engine.get('ups1.comm-loss')?.message).toBe('UPS1: no communication for 10 s');
    rig.deviceStates.set('ups1', 'up');
    rig.feed({ 'ups1.output_load': 41, 'ups1.input_voltage': 231 });
    rig.advance(1_000);
    expect(rig.events().map((e) => `${e.type} ${e.data.alarmId}`)).toEqual(['alarm.raised ups1.comm-loss', 'alarm.returned ups1.comm-loss']);
  });

  it('a device down for less than N s raises nothing', () => {
    const rig = alarmRig(store, [commLossRule('ups1.comm-loss', 'ups1', 10)]);
    rig.deviceStates.set('ups1', 'down');
    rig.advance(9_000);
    rig.deviceStates.set('ups1', 'up');
    rig.advance(5_000);
    rig.deviceStates.set('ups1', 'down');
    rig.advance(9_000);
    expect(rig.events()).toEqual([]);
  });

  it('flags a chattering alarm, marks its events, and counts the flood rate', () => {
    const rig = alarmRig(store, [discreteRule('flappy', 'pdu-a1.breaker_tripped', { op: 'equals', value: true })]);
    for (let i = 0; i < 7; i++) {
      rig.clock.now += 2_000;
      rig.feed({ 'pdu-a1.breaker_tripped': true });
      rig.clock.now += 2_000;
      rig.feed({ 'pdu-a1.breaker_tripped': false });
    }
    const events = rig.events();
    const raised = events.filter((e) => e.type === 'alarm.raised');
    expect(raised.map((e) => e.data.chattering)).toEqual([false, false, false, false, false, true, true]);
    expect(events.filter((e) => e.type === 'alarm.chattering')).toHaveLength(1);
    expect(rig.engine.health()).toMatchObject({ chattering: 1, raisesLastMinute: 7, raisesLast10Min: 7, flood: false });
    rig.advance(2 * 60_000);
    expect(rig.engine.get('flappy')?.chattering).toBe(false);
    expect(rig.events().at(-1)?.type).toBe('alarm.settled');
    expect(rig.engine.health().raisesLastMinute).toBe(0);
  });

  it('flood: more raises than floodPer10Min across the site', () => {
    const rules = Array.from({ length: 12 }, (_, i) => discreteRule(`a${i}`, `dev.p${i}`, { op: 'equals', value: true }));
    const rig = alarmRig(store, rules);
    rig.feed(Object.fromEntries(rules.map((r) => [r.point, true])));
    rig.advance(1_000);
    expect(rig.engine.health()).toMatchObject({ active: 12, unacked: 12, raisesLast10Min: 12, flood: true });
    rig.advance(10 * 60_000);
    expect(rig.engine.health().flood).toBe(false);
  });

  it('lists active alarms most severe first, unacknowledged before acknowledged', () => {
    const rig = alarmRig(store, [
      discreteRule('minor-1', 'd.a', { op: 'equals', value: true }, { severity: 'minor' }),
      discreteRule('crit-1', 'd.b', { op: 'equals', value: true }, { severity: 'critical' }),
      discreteRule('crit-2', 'd.c', { op: 'equals', value: true }, { severity: 'critical' }),
      discreteRule('quiet', 'd.d', { op: 'equals', value: true }),
    ]);
    rig.feed({ 'd.a': true, 'd.b': true, 'd.c': true, 'd.d': false });
    rig.engine.ack('crit-1', who('kim'));
    expect(rig.engine.list('active').map((a) => a.id)).toEqual(['crit-2', 'crit-1', 'minor-1']);
    expect(rig.engine.list('acked').map((a) => a.id)).toEqual(['crit-1']);
    expect(rig.engine.list('all')).toHaveLength(4);
  });
});
