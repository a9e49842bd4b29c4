/**
 * Alarm timing runs on the monotonic clock: on/off delays, comm-loss and stale timers, shelve
 * expiry and chatter windows are not shortened or stretched when the wall clock steps, while the
 * records and events keep wall-clock times.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/types.js';
import { type AlarmRig, alarmRig, commLossRule, discreteRule, limitRule, staleRule, T0 } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const DAY = 86_400_000;
const SIX_YEARS = 6 * 365 * DAY;

describe('alarms across wall-clock steps', () => {
  const temp = createTempStores('gw-alarm-clock-');
  let store: Store;
  beforeEach(() => {
    store = temp.open(temp.file());
  });
  afterEach(() => temp.cleanup());

  /** The rig's clock is the wall clock; `mono` runs only forward. */
  function rigWith(rules: Parameters<typeof alarmRig>[1]) {
    const mono = { t: 5_000 };
    const rig = alarmRig(store, rules, { monoNow: () => mono.t });
    const run = (ms: number) => {
      mono.t += ms;
      rig.clock.now += ms;
      rig.engine.tick();
    };
    const stepWall = (ms: number) => {
      rig.clock.now += ms;
    };
    return { rig, run, stepWall };
  }
  const types = (rig: AlarmRig) => rig.events().map((e) => e.type);

  it('a 60 s on-delay is not cut short by a forward step (it fired after 29 s)', () => {
    const { rig, run, stepWall } = rigWith([discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true }, { onDelayS: 60 })]);
    rig.feed({ 'ups1.on_battery': true });
    run(29_000);
    stepWall(SIX_YEARS);
    run(1000);
    rig.feed({ 'ups1.on_battery': true });
    expect(types(rig)).toEqual([]);
    run(29_000);
    expect(types(rig)).toEqual([]);
    run(1000);
    const events = rig.events();
    expect(events.map((e) => e.type)).toEqual(['alarm.raised']);
    // the record carries the (stepped) wall time
    expect(events[0]!.data.raisedAt).toBe(rig.clock.now);
  });

  it('an off-delay is not stretched by a backward step', () => {
    const { rig, run, stepWall } = rigWith([limitRule('supply', 'crac1.supply_temp', { hi: 27 }, { offDelayS: 10 })]);
    rig.feed({ 'crac1.supply_temp': 30 });
    rig.feed({ 'crac1.supply_temp': 20 });
    stepWall(-DAY);
    run(10_000);
    expect(types(rig)).toEqual(['alarm.raised', 'alarm.returned']);
  });

  it('comm loss raises commLossS after the device went down, whatever the wall clock did', () => {
    const { rig, run, stepWall } = rigWith([commLossRule('ups1.comm-loss', 'ups1', 30)]);
    rig.deviceStates.set('ups1', 'up');
    run(1000);
    rig.deviceStates.set('ups1', 'down');
    run(1000);
    stepWall(-300_000);
    run(29_000);
    expect(types(rig)).toEqual([]);
    run(1000);
    expect(types(rig)).toEqual(['alarm.raised']);
  });

  it('stale data is measured on the monotonic clock: a forward step does not make fresh data stale', () => {
    const { rig, run, stepWall } = rigWith([staleRule('meter.stale', 'meter.kw', 60)]);
    rig.feed({ 'meter.kw': 10 });
    run(10_000);
    stepWall(40 * DAY);
    run(1000);
    expect(types(rig)).toEqual([]);
    run(50_000);
    expect(types(rig)).toEqual(['alarm.raised']);
  });

  it('a shelve ends after its minutes on the monotonic clock; the record shows the wall-clock end', () => {
    const { rig, run, stepWall } = rigWith([discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true })]);
    rig.feed({ 'ups1.on_battery': true });
    const shelved = rig.engine.shelve('ups1.on-battery', 15, { who: 'lee', comment: null });
    expect(shelved).toMatchObject({ ok: true, alarm: { shelvedUntil: rig.clock.now + 15 * 60_000 } });
    stepWall(DAY);
    run(1000);
    expect(rig.engine.get('ups1.on-battery')!.state).toBe('shelved');
    stepWall(-2 * DAY);
    run(15 * 60_000);
    expect(rig.engine.get('ups1.on-battery')!.state).toBe('unack');
  });

  it('samples marked uncertain only for an unsynchronised clock still move alarms', () => {
    const { rig } = rigWith([discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true })]);
    store.append([{ pointId: 'ups1.on_battery', ts: T0, value: true, quality: 'uncertain', reason: 'clock' }]);
    store.flush();
    expect(types(rig)).toEqual(['alarm.raised']);
    store.append([{ pointId: 'ups1.on_battery', ts: T0, value: false, quality: 'uncertain', reason: 'timeout' }]);
    store.flush();
    expect(types(rig)).toEqual(['alarm.raised']);
  });
});
