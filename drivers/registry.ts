/**
 * Every driver the gateway has, in one list: the config loader, the gateway's start-up,
 * `gateway simulate` and the contract tests loop over it. A new protocol adds its folder
 * (drivers/<name>/module.ts) and one line here (docs/adding-a-driver.md).
 */
import type { DriverModule } from '../core/driver-module.js';
import { modbusModule } from './modbus/module.js';
import { mqttModule } from './mqtt/module.js';
import { opcuaModule } from './opcua/module.js';
import { snmpModule } from './snmp/module.js';

export const DRIVER_MODULES = [modbusModule, mqttModule, opcuaModule, snmpModule] as const;

type DeviceOf<M> = M extends DriverModule<infer D, infer _S> ? D : never;

/** A loaded device of any registered driver (a union on `driver`). */
export type DeviceConfig = DeviceOf<(typeof DRIVER_MODULES)[number]>;

export type DriverName = DeviceConfig['driver'];
