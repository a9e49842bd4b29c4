/**
 * A gateway process for the NATS kill -9 test: its store (on the given file) keeps recording
 * readings and now and then an event, and a NATS sync target pushes them to the cluster. Prints
 * `started` once the target runs; the parent kills it with SIGKILL at a moment of its choosing.
 *
 * Usage: node --import tsx test/helpers/nats-gateway-child.ts <database file> <gateway id> <server url>...
 */
import { writeSync } from 'node:fs';
import { silentLogger } from '../../core/logger.js';
import { createSync } from '../../sync/create-sync.js';
import { natsTarget } from './nats-fixtures.js';
import { syncSamples, syncSection } from './sync-fixtures.js';
import { createTempStores } from './temp-store.js';

const [file, gatewayId, ...servers] = process.argv.slice(2);
if (!file || !gatewayId || servers.length === 0) throw new Error('usage: nats-gateway-child.ts <database file> <gateway id> <server url>...');

const store = createTempStores('unused-').open(file, { commitIntervalMs: 50 });
// The duplicate window (20 s) is far longer than any resend here takes (a round lasts about 3 s), and
// short enough that a message the stream only staged and then lost is stored again within the test.
const sync = await createSync({
  config: syncSection([
    natsTarget(servers, { batchItems: 1000, timeoutMs: 1500, createStream: { replicas: 3, maxAgeS: 3600, duplicateWindowS: 20, subjects: 'shared' } }),
  ]),
  gatewayId,
  version: '9.9.9',
  startedAt: Date.now(),
  store,
  logger: silentLogger,
});
sync.start();
writeSync(1, 'started\n');

// About 10 000 readings/s and an event every 100 ms, like a busy site.
let tick = 0;
setInterval(() => {
  store.append(syncSamples(200, Date.now()));
  if (++tick % 5 === 0) store.appendEvent('alarm.raised', { tick });
  store.flush();
}, 20);
// Never outlive a parent that died before killing us.
setTimeout(() => process.exit(3), 30_000).unref();
