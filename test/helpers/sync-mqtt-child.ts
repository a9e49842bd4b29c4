/**
 * Child process for the Last Will test: a store and an MQTT sync target, nothing else. Prints
 * `connected` once the broker took the connection; the parent then kills it with SIGKILL.
 *
 * Usage: node --import tsx test/helpers/sync-mqtt-child.ts <broker url> <database file> <gateway id>
 */
import { writeSync } from 'node:fs';
import { silentLogger } from '../../core/logger.js';
import { createSync } from '../../sync/create-sync.js';
import { mqttTarget, syncSection } from './sync-fixtures.js';
import { createTempStores } from './temp-store.js';

const [url, file, gatewayId] = process.argv.slice(2);
if (!url || !file || !gatewayId) throw new Error('usage: sync-mqtt-child.ts <broker url> <database file> <gateway id>');

const store = createTempStores('unused-').open(file);
const sync = await createSync({
  config: syncSection([mqttTarget(url)]),
  gatewayId,
  version: '9.9.9',
  startedAt: Date.now(),
  store,
  logger: silentLogger,
});
sync.start();
const timer = setInterval(() => {
  if (sync.health().targets[0]?.connected) {
    clearInterval(timer);
    writeSync(1, 'connected\n');
  }
}, 10);
// Never outlive a parent that died before killing us.
setTimeout(() => process.exit(3), 20_000).unref();
