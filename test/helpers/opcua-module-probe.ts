/**
 * Run in a child process (`node --import tsx`): starts the gateway on the config named by argv[2]
 * and prints, as one JSON line, whether node-opcua was loaded and the RSS. The lazy-loading test
 * and the footprint benchmark use it.
 */
import { createRequire } from 'node:module';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { startGateway } from '../../app/start-gateway.js';

const config = loadSiteConfig(process.argv[2]!);
const gateway = await startGateway(config, { logger: silentLogger, version: 'probe' });
await new Promise((r) => setTimeout(r, Number(process.argv[3] ?? 500)));
const cache = createRequire(import.meta.url).cache;
const nodeOpcuaFiles = () => Object.keys(cache).filter((file) => /[/\\]node_modules[/\\]node-opcua[^/\\]*[/\\]/.test(file));
// The OPC UA module loads node-opcua at its devices' first connect, after start-up returned: wait
// (up to 20 s) until that load has run (files found, and no more coming), so the count and the RSS include it.
if (config.devices.some((d) => d.driver === 'opcua')) {
  let seen = 0;
  for (const until = Date.now() + 20_000; Date.now() < until; ) {
    const now = nodeOpcuaFiles().length;
    if (now > 0 && now === seen) break;
    seen = now;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const loaded = nodeOpcuaFiles();
process.stdout.write(`${JSON.stringify({ nodeOpcuaModules: loaded.length, rssMB: process.memoryUsage().rss / 1e6 })}\n`);
await gateway.stop();
process.exit(0);
