/**
 * SNMP v1/v2c/v3 polling, and the site's trap receiver (`snmpTraps:`), as one driver module. The
 * receiver is loaded only when the section is enabled; it starts even without SNMP devices, so
 * traps from unknown sources are still counted.
 */
import type { DriverModule } from '../../core/driver-module.js';
import { snmpConfigPlugin } from './config-schema.js';
import type { SnmpDeviceConfig, SnmpTrapsSection } from './device.js';
import type { StartTrapReceiver, TrapReceiverHandle } from './traps/types.js';

/** The part of the site config this module reads. */
export interface SnmpSite {
  snmpTraps?: SnmpTrapsSection;
}

export const snmpModule: DriverModule<SnmpDeviceConfig, SnmpSite> = {
  name: 'snmp',
  config: snmpConfigPlugin,
  startsWithoutDevices: (site) => site.snmpTraps?.enabled === true,
  async start(devices, { site, logger, appendEvent }) {
    const log = logger.child({ component: 'snmp' });
    const { createSnmpDriver } = await import('./driver.js');
    const drivers = devices.map((device) => createSnmpDriver(device, { logger: log }));
    let traps: TrapReceiverHandle | undefined;
    const section = site.snmpTraps;
    if (section?.enabled) {
      const { startTrapReceiver }: { startTrapReceiver: StartTrapReceiver } = await import('./traps/receiver.js');
      traps = await startTrapReceiver({ section, devices, drivers, appendEvent, logger: log.child({ component: 'snmp-traps' }) });
    }
    return {
      drivers,
      health: () => {
        const health: Record<string, unknown> = { agents: drivers.map((d) => d.stats()) };
        if (traps) health.traps = traps.health();
        return health;
      },
      close: async () => {
        await traps?.close();
      },
    };
  },
  /**
   * One simulated agent per host:port of the devices, answering with each device's community
   * (or v3 user); a power failure sends the UPS traps to this site's own trap receiver.
   */
  async simulate(devices, { site, scenarios, logger }) {
    const { startSnmpSimulator } = await import('./simulator/index.js');
    const traps = site.snmpTraps;
    const community = traps?.communities[0];
    const trapTarget =
      traps?.enabled && community && traps.port !== 0
        ? { host: traps.host === '0.0.0.0' || traps.host === '::' ? '127.0.0.1' : traps.host, port: traps.port, community: community.reveal() }
        : undefined;
    const sim = await startSnmpSimulator(devices, { scenarios, logger, trapTarget });
    // `device` keeps the lines apart for the log's repeat limiter (one per agent)
    for (const e of sim.endpoints) logger.info('simulating', { transport: 'snmp', at: `${e.host}:${e.port}`, device: e.deviceIds.join(',') });
    return { scenariosChanged: () => void sim.tick(), stop: () => sim.stop() };
  },
};
