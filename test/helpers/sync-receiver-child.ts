/**
 * The reference receiver in its own process (benchmarks: the EMS side must not share the
 * gateway's CPU core). Counts and de-duplicates without keeping items; prints its port.
 *
 * Usage: node --import tsx test/helpers/sync-receiver-child.ts
 */
import { writeSync } from 'node:fs';
import { startReceiver } from './sync-receiver.js';

const receiver = await startReceiver({ keepItems: false });
writeSync(1, `${receiver.port}\n`);
process.on('SIGTERM', () => {
  void receiver.close().then(() => process.exit(0));
});
