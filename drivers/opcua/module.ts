/**
 * OPC UA (polled reads and subscriptions) as one driver module. node-opcua costs ~55 MB and
 * ~0.5 s to load, so this file imports it only inside start() and simulate(): a site without an
 * OPC UA device never pays for it.
 */
import { join } from 'node:path';
import type { DriverModule } from '../../core/driver-module.js';
import { opcuaConfigPlugin } from './config-schema.js';
import type { OpcuaDeviceConfig } from './device.js';

export const opcuaModule: DriverModule<OpcuaDeviceConfig> = {
  name: 'opcua',
  config: opcuaConfigPlugin,
  async start(devices, { dataDir, logger }) {
    const opcua = await import('./index.js');
    const log = logger.child({ component: 'opcua' });
    opcua.routeLibraryLogs(log);
    const pki = opcua.createOpcuaPki(join(dataDir, 'pki'));
    return {
      drivers: devices.map((device) => opcua.createOpcuaDriver(device, { pki, logger: log })),
      close: () => pki.dispose(),
    };
  },
  async simulate(devices, { dataDir, scenarios, logger }) {
    const sim = await import('./simulator/index.js');
    sim.routeLibraryLogs(logger);
    const site = await sim.startOpcuaSimulatedSite([...devices], { pkiDir: join(dataDir, 'simulator-pki'), scenarios, logger });
    for (const e of site.endpoints) logger.info('simulating', { transport: 'opcua', at: e.endpoint, devices: e.deviceIds.join(',') });
    return { scenariosChanged: () => site.tick(), stop: () => site.stop() };
  },
};
