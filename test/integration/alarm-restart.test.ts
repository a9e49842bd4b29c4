/**
 * Alarm state across restarts, on a real SQLite file: active, acknowledged and shelved alarms come
 * back as they were; a condition still active raises no duplicate; one that ended while the
 * gateway was down returns on the first new sample; a kill -9 right after a raise loses nothing.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { alarmRig, discreteRule, limitRule } from '../helpers/alarm-fixtures.js';
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
