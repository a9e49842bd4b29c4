/**
 * The drivers the config loader knows, by the name a device gives in `driver:`: every module in
 * drivers/registry.ts contributes its config plugin (zod-only: see driver-plugin.ts).
 */
import { type DeviceConfig, DRIVER_MODULES, type DriverName } from '../drivers/registry.js';
import type { DriverConfigPlugin } from '../core/driver-config.js';

export type { DriverName };

export const driverPlugins = Object.fromEntries(DRIVER_MODULES.map((m) => [m.name, m.config])) as unknown as Record<DriverName, DriverConfigPlugin<DeviceConfig>>;

export const DRIVERS = DRIVER_MODULES.map((m) => m.name) as DriverName[];

export function isDriverName(name: unknown): name is DriverName {
  return typeof name === 'string' && Object.hasOwn(driverPlugins, name);
}
