/**
 * The engine on the store's hot path: the events a commit's readings make are committed by that
 * same commit call (the store's loop picks up what a listener appends), so the engine asks for no
 * flush of its own that would commit the readings queued meanwhile in a small transaction; and the
 * store's point numbers the engine indexes by follow a live rule change.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlarmEngine } from '../../gateway/alarms/engine.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/types.js';
import { limitRule, NAMES, T0 } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

function engineOn(store: Store, rules: ReturnType<typeof limitRule>[]) {
  const engine = createAlarmEngine({
    rules,
    settings: { chatterPerMinute: 5, floodPer10Min: 10, maxShelveMinutes: 1440 },
    store,
    names: NAMES,
    deviceState: () => 'up',
    logger: silentLogger,
    now: () => T0,
    tickMs: 0,
  });
  engine.start();
  return engine;
}

const alarmEvents = (store: Store) => store.eventsAfter(0, 1000).filter((e) => e.type.startsWith('alarm.'));

describe('alarm engine on the commit path', () => {
  const temp = createTempStores('gw-alarm-hot-');
  afterEach(() => temp.cleanup());

  it('has the events of a commit committed by that commit call, and leaves readings queued meanwhile to the store', async () => {
    const store = temp.open(temp.file());
    const engine = engineOn(store, [limitRule('hot', 'crac1.supply_temp', { hi: 27 })]);
    const transactions: number[] = [];
    store.onCommit((b) => transactions.push(b.readings.length));
    store.append([{ pointId: 'crac1.supply_temp', ts: T0, value: 30, quality: 'good' }]);
    store.flush();
    // committed before flush() returned: the readings' transaction, then one for the event
    expect(alarmEvents(store).map((e) => e.type)).toEqual(['alarm.raised']);
    expect(transactions).toEqual([1, 0]);
    // a poll that arrives right after stays queued for the store's own batch
    store.append([{ pointId: 'crac1.return_temp', ts: T0, value: 24, quality: 'good' }]);
    await nextTurn();
    await nextTurn();
    expect(store.stats().pending).toBe(1);
    expect(transactions).toEqual([1, 0]);
    engine.stop();
  });

  it('follows a rule added live on a point whose readings it ignored so far', () => {
    const store = temp.open(temp.file());
    const engine = engineOn(store, [limitRule('a', 'ups1.load', { hi: 90 })]);
    const feed = (value: number) => {
      store.append([
        { pointId: 'ups1.load', ts: T0, value: 50, quality: 'good' },
        { pointId: 'ups1.temp', ts: T0, value, quality: 'good' },
      ]);
      store.flush();
    };
    feed(70);
    expect(alarmEvents(store)).toEqual([]);
    engine.replaceRules([limitRule('a', 'ups1.load', { hi: 90 }), limitRule('b', 'ups1.temp', { hi: 60 })]);
    // judged against the latest value at once (70 > 60)
    expect(alarmEvents(store).map((e) => [e.type, (e.data as { alarmId: string }).alarmId])).toEqual([['alarm.raised', 'b.hi']]);
    feed(40);
    feed(65);
    expect(alarmEvents(store).map((e) => [e.type, (e.data as { value: number }).value])).toEqual([
      ['alarm.raised', 70],
      ['alarm.returned', 40],
      ['alarm.raised', 65],
    ]);
    engine.stop();
  });
});
