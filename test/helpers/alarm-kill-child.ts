/**
 * Child process for the alarm kill -9 test: a store and an alarm engine on a real file, fed a UPS
 * that goes on battery. After the commit that holds the raise event it prints `raised <seq>`,
 * then keeps sampling (the condition still active) until the parent kills it.
 *
 * Usage: node --import tsx test/helpers/alarm-kill-child.ts <database file>
 */
import { writeSync } from 'node:fs';
import { createAlarmEngine } from '../../gateway/alarms/engine.js';
import { createLogger } from '../../core/logger.js';
import { createStore } from '../../gateway/store/index.js';
import { discreteRule, NAMES } from './alarm-fixtures.js';
import { testStoreOptions } from './temp-store.js';

const file = process.argv[2];
if (!file) throw new Error('usage: alarm-kill-child.ts <database file>');

const logger = createLogger({ level: 'error' });
const store = createStore(testStoreOptions(file, { commitIntervalMs: 20, logger }));
const engine = createAlarmEngine({
  rules: [discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true })],
  settings: { chatterPerMinute: 5, floodPer10Min: 10, maxShelveMinutes: 60 },
  store,
  names: NAMES,
  deviceState: () => 'up',
  logger,
  tickMs: 100,
});
store.onCommit((batch) => {
  for (const e of batch.events) if (e.type === 'alarm.raised') writeSync(1, `raised ${e.seq}\n`);
});
engine.start();
setInterval(() => store.append([{ pointId: 'ups1.on_battery', ts: Date.now(), value: true, quality: 'good' }]), 10);
