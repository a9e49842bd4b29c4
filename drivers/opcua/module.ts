/**
 * OPC UA (polled reads and subscriptions) as one driver module. node-opcua costs ~55 MB and
 * 0.6–1 s of CPU to load, so this file imports it only when it is needed: a site without an
 * OPC UA device never pays for it, and a site with one does not wait for it before its page
 * answers (start() returns stand-in drivers; the first device to connect loads the library).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { DriverModule } from '../../core/driver-module.js';
import { errorMessage } from '../../core/errors.js';
import { opcuaConfigPlugin } from './config-schema.js';
import type { OpcuaDeviceConfig } from './device.js';
import { createLoadingDriver } from './loading-driver.js';

type OpcuaLibrary = typeof import('./index.js');

export const opcuaModule: DriverModule<OpcuaDeviceConfig> = {
  name: 'opcua',
  config: opcuaConfigPlugin,
  async start(devices, { dataDir, logger }) {
    // A library that is not installed still stops the start-up, as it did when start() loaded it:
    // finding it takes a millisecond, loading it is what is left for later.
    createRequire(import.meta.url).resolve('node-opcua');
    const log = logger.child({ component: 'opcua' });
    let loading: Promise<{ opcua: OpcuaLibrary; pki: ReturnType<OpcuaLibrary['createOpcuaPki']> }> | undefined;
    // One load for every device of the module (and one PKI); a failure is logged once here and
    // is every device's last error in health.
    const library = () => {
      loading ??= import('./index.js').then(
        (opcua) => {
          opcua.routeLibraryLogs(log);
          return { opcua, pki: opcua.createOpcuaPki(join(dataDir, 'pki')) };
        },
        (err: unknown) => {
          log.error('the OPC UA driver could not be loaded', { error: errorMessage(err) });
          throw err;
        },
      );
      return loading;
    };
    return {
      drivers: devices.map((device) =>
        createLoadingDriver(device, async () => {
          const { opcua, pki } = await library();
          return opcua.createOpcuaDriver(device, { pki, logger: log });
        }),
      ),
      async close() {
        const loaded = await loading?.catch(() => undefined);
        await loaded?.pki.dispose();
      },
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
