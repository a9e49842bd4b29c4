/**
 * Run in a child process (`node --import tsx`): starts the gateway on the config named by argv[2]
 * and prints JSON lines: when start-up returned (node-opcua files loaded by then, the public
 * health answer), then when every device was up (or the wait ran out). The deferred-load test
 * uses it: the page must answer before node-opcua is loaded.
 */
import { createRequire } from 'node:module';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { startGateway } from '../../app/start-gateway.js';

const cache = createRequire(import.meta.url).cache;
const nodeOpcuaModules = () => Object.keys(cache).filter((file) => /[/\\]node_modules[/\\]node-opcua[^/\\]*[/\\]/.test(file)).length;

const config = loadSiteConfig(process.argv[2]!);
const gateway = await startGateway(config, { logger: silentLogger, version: 'probe' });
const atStart = nodeOpcuaModules();
const health = async () => (await (await fetch(`http://127.0.0.1:${gateway.port}/api/v1/health`)).json()) as { devices: Record<string, number> };
process.stdout.write(`${JSON.stringify({ stage: 'started', nodeOpcuaModules: atStart, health: await health() })}\n`);
const deadline = Date.now() + Number(process.argv[3] ?? 20_000);
let last = await health();
while (last.devices.up !== last.devices.total && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 100));
  last = await health();
}
process.stdout.write(`${JSON.stringify({ stage: 'settled', nodeOpcuaModules: nodeOpcuaModules(), health: last })}\n`);
await gateway.stop();
process.exit(0);
