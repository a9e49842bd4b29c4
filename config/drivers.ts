/**
 * The drivers the config loader knows, by the name a device gives in `driver:`. A new driver adds
 * its entry here (its config module must stay zod-only: see driver-plugin.ts).
 */
import { modbusConfigPlugin } from '../drivers/modbus/config-schema.js';
import { mqttConfigPlugin } from '../drivers/mqtt/config-schema.js';
import { opcuaConfigPlugin } from '../drivers/opcua/config-schema.js';
import type { DriverConfigPlugin } from './driver-plugin.js';

export const driverPlugins = {
  modbus: modbusConfigPlugin,
  mqtt: mqttConfigPlugin,
  opcua: opcuaConfigPlugin,
} satisfies Record<string, DriverConfigPlugin>;

export type DriverName = keyof typeof driverPlugins;
export const DRIVERS = Object.keys(driverPlugins) as DriverName[];

export function isDriverName(name: unknown): name is DriverName {
  return typeof name === 'string' && Object.hasOwn(driverPlugins, name);
}
