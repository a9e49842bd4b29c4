/**
 * Alarm state across restarts, on a real SQLite file: active, acknowledged and shelved alarms come
 * back as they were; a condition still active raises no duplicate; one that ended while the
 * gateway was down returns on the first new sample; a kill -9 right after a raise loses nothing.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { alarmRig, commLossRule, discreteRule, limitRule, staleRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const CHILD = fileURLToPath(new URL('../helpers/alarm-kill-child.ts', import.meta.url));
const who = (name: string, comment: string | null = null) => ({ who: name, comment });

const RULES = [
  discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true }),
  limitRule('crac1.supply', 'crac1.supply_temp', { hi: 27 }, { deadband: 0.5 }),
  discreteRule('crac1.leak', 'crac1.water_detected', { op: 'equals', value: true }),
  discreteRule('pdu-a1.breaker', 'pdu-a1.breaker_tripped', { op: 'equals', value: true }),
];

describe('alarm state across a restart', () => {
  const temp = createTempStores('gw-alarm-restart-');
  afterEach(() => temp.cleanup());

  it('resumes every alarm where it was; no duplicate raise, ended conditions return on the first sample', () => {
    const file = temp.file();
    const first = temp.open(file);
    const before = alarmRig(first, RULES);
    before.feed({ 'ups1.on_battery': true, 'crac1.supply_temp': 28, 'crac1.water_detected': true, 'pdu-a1.breaker_tripped': true });
    before.engine.ack('crac1.supply.hi', who('kim', 'door open, closing it'));
    before.engine.shelve('crac1.leak', 60, who('lee', 'sensor wet from cleaning'));
    const eventsBefore = before.events();
    before.engine.stop();
    first.close();

    const second = temp.open(file);
    const after = alarmRig(second, RULES);
    after.clock.now += 10 * 60_000;
    expect(after.engine.get('ups1.on-battery')).toMatchObject({ state: 'unack', active: true });
    expect(after.engine.get('crac1.supply.hi')).toMatchObject({ state: 'acked', ackedBy: 'kim', ackComment: 'door open, closing it' });
    expect(after.engine.get('crac1.leak')).toMatchObject({ state: 'shelved', shelvedBy: 'lee' });
    expect(after.engine.get('pdu-a1.breaker')).toMatchObject({ state: 'unack' });

    // Still on battery and still hot: nothing new. The breaker was reset while the gateway was down.
    after.feed({ 'ups1.on_battery': true, 'crac1.supply_temp': 27.8, 'pdu-a1.breaker_tripped': false });
    const newEvents = after.events().slice(eventsBefore.length);
    expect(newEvents.map((e) => `${e.type} ${e.data.alarmId}`)).toEqual(['alarm.returned pdu-a1.breaker']);
    expect(after.engine.get('pdu-a1.breaker')?.state).toBe('rtn-unack');

    // Cooling came back: the acknowledged alarm returns to normal; the shelve still expires on time.
    after.feed({ 'crac1.supply_temp': 24 });
    expect(after.engine.get('crac1.supply.hi')?.state).toBe('normal');
    after.advance(50 * 60_000);
    expect(after.engine.get('crac1.leak')).toMatchObject({ state: 'unack', shelvedBy: null });
  });

  it('closes an alarm whose rule was removed from the config', () => {
    const file = temp.file();
    const first = temp.open(file);
    const before = alarmRig(first, RULES);
    before.feed({ 'pdu-a1.breaker_tripped': true });
    before.engine.stop();
    first.close();

    const second = temp.open(file);
    const after = alarmRig(second, RULES.filter((r) => r.id !== 'pdu-a1.breaker'));
    expect(after.engine.get('pdu-a1.breaker')).toBeUndefined();
    expect(after.events().at(-1)).toMatchObject({ type: 'alarm.removed', data: { alarmId: 'pdu-a1.breaker', state: 'normal', from: 'unack' } });
  });

  it('keeps a comm-loss alarm active across a restart until the device answers; no return and re-raise', () => {
    const file = temp.file();
    const rules = [commLossRule('ups1.comm', 'ups1', 30)];
    const first = temp.open(file);
    const before = alarmRig(first, rules);
    before.deviceStates.set('ups1', 'down');
    before.advance(1000);
    before.advance(31_000);
    expect(before.engine.get('ups1.comm')).toMatchObject({ state: 'unack', active: true });
    const raisedAt = before.engine.get('ups1.comm')!.raisedAt;
    const eventsBefore = before.events().length;
    before.engine.stop();
    first.close();

    // The device never answered: after the restart it is `connecting`, then `down` again, and only
    // after commLossS more does the fresh down time reach the limit.
    const second = temp.open(file);
    const after = alarmRig(second, rules);
    after.clock.now += 5 * 60_000;
    after.deviceStates.set('ups1', 'connecting');
    for (let i = 0; i < 10; i++) after.advance(1000);
    after.deviceStates.set('ups1', 'down');
    for (let i = 0; i < 60; i++) after.advance(1000);
    expect(after.events().slice(eventsBefore)).toEqual([]);
    expect(after.engine.get('ups1.comm')).toMatchObject({ state: 'unack', active: true, raisedAt });

    // It answers: now the alarm returns, once.
    after.deviceStates.set('ups1', 'up');
    after.advance(1000);
    expect(after.events().slice(eventsBefore).map((e) => e.type)).toEqual(['alarm.returned']);
  });

  it('keeps a stale-data alarm active across a restart until a good sample; no return and re-raise', () => {
    const file = temp.file();
    const rules = [staleRule('crac1.supply-stale', 'crac1.supply_temp', 60)];
    const first = temp.open(file);
    const before = alarmRig(first, rules);
    before.advance(61_000);
    expect(before.engine.get('crac1.supply-stale')).toMatchObject({ state: 'unack', active: true });
    const eventsBefore = before.events().length;
    before.engine.stop();
    first.close();

    const second = temp.open(file);
    // The engine starts its stale timer afresh: after the restart, less than staleS has passed.
    const after = alarmRig(second, rules);
    for (let i = 0; i < 90; i++) after.advance(1000);
    expect(after.events().slice(eventsBefore)).toEqual([]);
    after.feed({ 'crac1.supply_temp': 22 });
    expect(after.events().slice(eventsBefore).map((e) => e.type)).toEqual(['alarm.returned']);
  });

  it('closes the alarm of a renamed device with a removed event; the new device starts clean', () => {
    const file = temp.file();
    const first = temp.open(file);
    const before = alarmRig(first, [limitRule('supply-hot', 'crac1.supply_temp', { hi: 27 })]);
    before.feed({ 'crac1.supply_temp': 29 });
    expect(before.engine.get('supply-hot.hi')).toMatchObject({ state: 'unack', point: 'crac1.supply_temp' });
    before.engine.stop();
    first.close();

    // Same site rule id, but the device is now called crac-a.
    const second = temp.open(file);
    const after = alarmRig(second, [limitRule('supply-hot', 'crac-a.supply_temp', { hi: 27 })]);
    expect(after.engine.get('supply-hot.hi')).toMatchObject({ state: 'normal', point: 'crac-a.supply_temp', device: 'crac-a', raisedAt: null });
    expect(after.events().at(-1)).toMatchObject({
      type: 'alarm.removed',
      data: { alarmId: 'supply-hot.hi', point: 'crac1.supply_temp', device: 'crac1', state: 'normal', from: 'unack' },
    });
    // The renamed device's own condition raises a fresh alarm, with its own raise time.
    after.clock.now += 60_000;
    after.feed({ 'crac-a.supply_temp': 29 });
    expect(after.engine.get('supply-hot.hi')).toMatchObject({ state: 'unack', device: 'crac-a', raisedAt: after.clock.now });

    // A third start keeps the new alarm as it is.
    after.engine.stop();
    second.close();
    const third = alarmRig(temp.open(file), [limitRule('supply-hot', 'crac-a.supply_temp', { hi: 27 })]);
    expect(third.engine.get('supply-hot.hi')).toMatchObject({ state: 'unack', device: 'crac-a' });
    expect(third.events().at(-1)?.type).toBe('alarm.raised');
  });

  it('after kill -9 right after a raise, the raise is there once and is not repeated', async () => {
    const file = temp.file();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    const raisedSeq = await new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        output += chunk;
        const m = /raised (\d+)/.exec(output);
        // Let it sample (and commit) the still-active condition a while longer, then kill it.
        if (m) setTimeout(() => child.kill('SIGKILL'), 50 + Math.random() * 200);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`child exited with ${code ?? signal}: ${output}`));
      });
    });
    await new Promise((r) => child.once('close', r));
    expect(child.signalCode).toBe('SIGKILL');

    const store = temp.open(file);
    const rig = alarmRig(store, [RULES[0]!]);
    expect(rig.engine.get('ups1.on-battery')).toMatchObject({ state: 'unack', active: true });
    rig.feed({ 'ups1.on_battery': true });
    rig.feed({ 'ups1.on_battery': false });
    const events = rig.events();
    expect(events.map((e) => e.type)).toEqual(['alarm.raised', 'alarm.returned']);
    expect(events[0]!.seq).toBe(raisedSeq);
  });
});
