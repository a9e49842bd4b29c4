/** Modbus TCP, RTU and RTU-over-TCP as one driver module (core/driver-module.ts). */
import type { DriverModule } from '../../core/driver-module.js';
import { modbusConfigPlugin } from './config-schema.js';
import type { ModbusDeviceConfig } from './device.js';
import { createModbusDriver } from './driver.js';
import { createModbusLinkPool } from './link-pool.js';

export const modbusModule: DriverModule<ModbusDeviceConfig> = {
  name: 'modbus',
  config: modbusConfigPlugin,
  async start(devices, { logger }) {
    const log = logger.child({ component: 'modbus' });
    // one pool for every device: devices behind one gateway or on one bus share a link
    const links = createModbusLinkPool({ logger: log });
    return {
      drivers: devices.map((device) => createModbusDriver(device, { links, logger: log })),
      close: () => links.close(),
    };
  },
  async simulate(devices, { scenarios, cooling, logger }) {
    const { startSimulatedSite } = await import('./simulator/site.js');
    const site = await startSimulatedSite([...devices], { scenarios, cooling, logger });
    for (const e of site.endpoints) {
      logger.info('simulating', { transport: e.transport, at: e.path ?? `${e.host}:${e.port}`, unitIds: e.unitIds.join(',') });
    }
    return { scenariosChanged: () => site.tick(), stop: () => site.stop() };
  },
};
