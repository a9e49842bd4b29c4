/**
 * Alarm rules changed in a running engine (a live config apply): what did not change keeps its
 * state and its delays, a limit changed while the alarm is active is judged at once against the
 * point's latest value, and a removed rule's active alarm is closed upstream.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/types.js';
import { alarmRig, discreteRule, limitRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

describe('alarm rules replaced live', () => {
  const temp = createTempStores('gw-alarm-live-');
  let store: Store;
  beforeEach(() => {
    store = temp.open(temp.file());
  });
  afterEach(() => temp.cleanup());

  it('a HI limit raised above an active value returns the alarm at once; lowered, it stays the same raise', () => {
    const supply = (hi: number) => limitRule('supply', 'crac1.supply_temp', { hi }, { deadband: 0.5 });
    const rig = alarmRig(store, [supply(27)]);
    rig.feed({ 'crac1.supply_temp': 28 });
    expect(rig.engine.get('supply.hi')).toMatchObject({ state: 'unack', active: true });
    const raisedAt = rig.engine.get('supply.hi')!.raisedAt;

    // lowered: still above it, so still the same raise (no second alarm.raised)
    expect(rig.engine.replaceRules([supply(25)])).toEqual({ added: [], removed: [], changed: ['supply.hi'] });
    rig.feed({ 'crac1.supply_temp': 28 });
    expect(rig.engine.get('supply.hi')).toMatchObject({ state: 'unack', active: true, raisedAt });

    // raised above the value: judged at once against the latest value, it returns
    rig.engine.replaceRules([supply(30)]);
    expect(rig.engine.get('supply.hi')).toMatchObject({ state: 'rtn-unack', active: false });
    rig.feed({ 'crac1.supply_temp': 28 });
    expect(rig.engine.get('supply.hi')).toMatchObject({ state: 'rtn-unack', active: false });
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised', 'alarm.returned']);
    // and the new limit raises again above it
    rig.feed({ 'crac1.supply_temp': 30.5 });
    expect(rig.engine.get('supply.hi')).toMatchObject({ state: 'unack', active: true });
  });

  it('an unchanged alarm keeps its running on-delay; an acknowledged state survives a neighbour change', () => {
    const delayed = limitRule('return', 'crac1.return_temp', { hi: 35 }, { onDelayS: 10 });
    const onBattery = discreteRule('on-batt', 'ups1.on_battery', { op: 'equals', value: true });
    const rig = alarmRig(store, [delayed, onBattery]);
    rig.feed({ 'crac1.return_temp': 36, 'ups1.on_battery': true });
    rig.engine.ack('on-batt', { who: 'kim', comment: null });
    rig.advance(6000);
    expect(rig.engine.get('return.hi')?.state).toBe('normal');

    // another rule changes (its severity): the delay of return.hi keeps counting from the first sample
    const changed = discreteRule('on-batt', 'ups1.on_battery', { op: 'equals', value: true }, { severity: 'critical' });
    expect(rig.engine.replaceRules([delayed, changed])).toEqual({ added: [], removed: [], changed: ['on-batt'] });
    rig.advance(4500);
    expect(rig.engine.get('return.hi')).toMatchObject({ state: 'unack', active: true });
    // the changed alarm carried its acknowledgement and took the new severity
    expect(rig.engine.get('on-batt')).toMatchObject({ state: 'acked', ackedBy: 'kim', severity: 'critical' });
  });

  it('a removed rule closes its active alarm with alarm.removed; an added rule starts normal and raises', () => {
    const rig = alarmRig(store, [discreteRule('on-batt', 'ups1.on_battery', { op: 'equals', value: true })]);
    rig.feed({ 'ups1.on_battery': true });
    const added = limitRule('supply', 'crac1.supply_temp', { hi: 27 });
    expect(rig.engine.replaceRules([added])).toEqual({ added: ['supply.hi'], removed: ['on-batt'], changed: [] });
    const removed = rig.events().at(-1)!;
    expect(removed).toMatchObject({ type: 'alarm.removed', data: { alarmId: 'on-batt', from: 'unack', state: 'normal', comment: 'rule removed from the config' } });
    expect(rig.engine.get('on-batt')).toBeUndefined();
    expect(rig.engine.health().rules).toBe(1);
    rig.feed({ 'crac1.supply_temp': 28, 'ups1.on_battery': true });
    expect(rig.engine.list('active').map((a) => a.id)).toEqual(['supply.hi']);
  });

  it('a rule that now watches another point closes the old subject and starts the new one normal', () => {
    const rig = alarmRig(store, [limitRule('supply', 'crac1.supply_temp', { hi: 27 })]);
    rig.feed({ 'crac1.supply_temp': 28 });
    rig.engine.replaceRules([limitRule('supply', 'crac2.supply_temp', { hi: 27 })]);
    expect(rig.events().at(-1)).toMatchObject({ type: 'alarm.removed', data: { alarmId: 'supply.hi', point: 'crac1.supply_temp', comment: 'the alarm now watches another point or device' } });
    expect(rig.engine.get('supply.hi')).toMatchObject({ point: 'crac2.supply_temp', state: 'normal' });
    rig.feed({ 'crac1.supply_temp': 29 });
    expect(rig.engine.get('supply.hi')?.state).toBe('normal');
  });

  it('the same rules again change nothing', () => {
    const rules = [limitRule('supply', 'crac1.supply_temp', { hi: 27, hihi: 30 })];
    const rig = alarmRig(store, rules);
    rig.feed({ 'crac1.supply_temp': 28 });
    expect(rig.engine.replaceRules(structuredClone(rules))).toEqual({ added: [], removed: [], changed: [] });
    expect(rig.engine.get('supply.hi')?.state).toBe('unack');
  });

  it('judges a changed rule at once against the latest value: a point that reports on change may send nothing new', () => {
    const rig = alarmRig(store, [limitRule('supply', 'crac1.supply_temp', { hi: 27 })]);
    rig.feed({ 'crac1.supply_temp': 20 });
    rig.engine.replaceRules([limitRule('supply', 'crac1.supply_temp', { hi: 15 })]);
    expect(rig.engine.get('supply.hi')).toMatchObject({ state: 'unack', value: 20 });
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised']);
  });
});
