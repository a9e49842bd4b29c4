/**
 * The OPC UA rows of `npm run bench`: subscription ingest with 10 k monitored items against a raw
 * node-opcua subscription, and the gateway's RSS with and without an OPC UA device.
 * Run alone: `npx tsx test/bench/opcua-bench.ts` (after `npm run build`).
 */
import { pathToFileURL } from 'node:url';
import { type BenchRow, printTable } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { builtCli } from './gateway-processes.js';
import { benchOpcuaFootprint } from './opcua-footprint.js';
import { benchOpcuaSubscription } from './opcua-subscription.js';

export async function benchOpcua(): Promise<BenchRow[]> {
  const rows = await benchOpcuaSubscription();
  const children = createChildGroup();
  try {
    rows.push(...(await benchOpcuaFootprint({ children, cli: builtCli() })));
  } finally {
    await children.dispose();
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchOpcua());
}
