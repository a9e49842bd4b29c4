/** An OPC UA device after load. */
import type { CommonDeviceFields } from '../../core/device.js';
import type { OpcuaConnection, OpcuaMode, OpcuaPoint, OpcuaSubscriptionSettings } from './point.js';

export interface OpcuaDeviceConfig extends CommonDeviceFields {
  driver: 'opcua';
  connection: OpcuaConnection;
  mode: OpcuaMode;
  subscription: OpcuaSubscriptionSettings;
  points: OpcuaPoint[];
}
