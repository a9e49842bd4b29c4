/**
 * The gateway's own alarms (issue 11 §3): `system.storage` follows the `storage` self-health
 * condition, is critical, carries the reason as its value, and its transitions are stored events
 * like every other alarm's (so they sync and survive a restart).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSelfHealth } from '../../core/self-health.js';
import type { Store } from '../../gateway/store/types.js';
import { alarmRig, commLossRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

describe('system alarms', () => {
  const temp = createTempStores('gw-alarm-system-');
  let store: Store;
  let file: string;
  beforeEach(() => {
    file = temp.file();
    store = temp.open(file);
  });
  afterEach(() => temp.cleanup());

  it('raises system.storage (critical) while `storage` is raised and returns when it is cleared', () => {
    const selfHealth = createSelfHealth();
    const rig = alarmRig(store, [], { selfHealth });
    rig.advance(1000);
    expect(rig.engine.get('system.storage')).toMatchObject({ state: 'normal', type: 'system', severity: 'critical' });

    selfHealth.raise('storage', 'database commits failing: database or disk is full');
    rig.advance(1000);
    const active = rig.engine.list('active');
    expect(active.map((a) => [a.id, a.state, a.severity])).toEqual([['system.storage', 'unack', 'critical']]);
    expect(active[0]!.message).toBe('Gateway storage failing: database commits failing: database or disk is full');
    expect(active[0]!.value).toBe('database commits failing: database or disk is full');

    selfHealth.clear('storage');
    rig.advance(1000);
    expect(rig.engine.get('system.storage')?.state).toBe('rtn-unack');
    const events = rig.events();
    expect(events.map((e) => [e.type, e.data.alarmId, e.data.type, e.data.device])).toEqual([
      ['alarm.raised', 'system.storage', 'system', null],
      ['alarm.returned', 'system.storage', 'system', null],
    ]);
    expect(rig.engine.health().active).toBe(0);
  });

  it('a system alarm still active at a restart returns if its condition is gone, without a new raise', () => {
    const selfHealth = createSelfHealth();
    const rig = alarmRig(store, [], { selfHealth });
    selfHealth.raise('storage', 'disk full');
    rig.advance(1000);
    expect(rig.events().map((e) => e.type)).toEqual(['alarm.raised']);
    rig.engine.stop();
    const again = alarmRig(store, [], { selfHealth: createSelfHealth() });
    expect(again.engine.get('system.storage')?.state).toBe('unack');
    again.advance(1000);
    expect(again.events().map((e) => e.type)).toEqual(['alarm.raised', 'alarm.returned']);
  });

  it('is not there when the engine has no self-health (configured alarms only)', () => {
    const rig = alarmRig(store, [commLossRule('ups1-comm', 'ups1', 10)]);
    expect(rig.engine.list('all').map((a) => a.id)).toEqual(['ups1-comm']);
  });
});
