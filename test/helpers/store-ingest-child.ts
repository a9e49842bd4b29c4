/**
 * Child process for the kill -9 test: ingests through the store as fast as it can and, after each
 * commit, writes `<last reading seq> <last event seq>` to stdout synchronously, so everything the
 * parent has read was reported only after COMMIT returned.
 *
 * Usage: node --import tsx test/helpers/store-ingest-child.ts <database file>
 */
import { writeSync } from 'node:fs';
import { createLogger } from '../../core/logger.js';
import { createStore } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { testStoreOptions } from './temp-store.js';

const file = process.argv[2];
if (!file) throw new Error('usage: store-ingest-child.ts <database file>');

const POINTS = 20;
const store = createStore(
  testStoreOptions(file, {
    commitIntervalMs: 5,
    maxBatch: 200,
    logger: createLogger({ level: 'warn' }),
    // Short, so kills land before, during and after latest-value checkpoints.
    latestCheckpointMs: 30,
  }),
);

let lastReading = store.stats().lastReadingSeq;
let lastEvent = store.stats().lastEventSeq;
store.onCommit((batch) => {
  lastReading = batch.readings.at(-1)?.seq ?? lastReading;
  lastEvent = batch.events.at(-1)?.seq ?? lastEvent;
  writeSync(1, `${lastReading} ${lastEvent}\n`);
});

let counter = 0;
function tick(): void {
  const now = Date.now();
  const batch: Sample[] = [];
  for (let i = 0; i < 50; i++) {
    counter++;
    batch.push({ pointId: `dev${counter % 4}.p${counter % POINTS}`, ts: now, value: counter % 7 === 0 ? counter % 2 === 0 : counter, quality: 'good' });
  }
  store.append(batch);
  if (counter % 1000 === 0) store.appendEvent('test.marker', { counter });
  setImmediate(tick);
}
tick();

// Never outlive a parent that died before killing us.
setTimeout(() => process.exit(3), 20_000).unref();
setInterval(() => {}, 1000);
