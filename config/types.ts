/** The typed site configuration produced by the loader (config/loader.ts). */
import type { ModbusPoint, WordOrder } from '../drivers/modbus/point.js';

export const DEVICE_KINDS = ['ups', 'hvac', 'pdu', 'sensor', 'meter', 'other'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export interface GatewaySection {
  id: string;
  /** absolute path (relative paths in the file are taken from the config file's folder) */
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface HttpSection {
  host: string;
  port: number;
}

export interface StorageSection {
  /** longest a sample waits before its transaction commits */
  commitIntervalMs: number;
  /** a transaction commits early when this many samples are waiting */
  maxBatch: number;
  /** `full`: every commit reaches the disk before it counts (power-cut safe); `normal`: faster, may lose the last commits on power loss (never on a crash) */
  synchronous: 'full' | 'normal';
  retention: {
    /** readings older than this are deleted (0 = keep by age forever) */
    maxAgeDays: number;
    /** database budget; oldest readings are dropped beyond it, with an event (0 = no budget) */
    maxSizeMB: number;
  };
}

export type ModbusConnection =
  | { transport: 'tcp'; host: string; port: number; unitId: number; timeoutMs: number }
  | { transport: 'rtu-over-tcp'; host: string; port: number; unitId: number; timeoutMs: number }
  | {
      transport: 'rtu';
      serialPort: string;
      baudRate: number;
      parity: 'none' | 'even' | 'odd';
      dataBits: 7 | 8;
      stopBits: 1 | 2;
      unitId: number;
      timeoutMs: number;
    };

export interface ModbusDeviceConfig {
  id: string;
  name: string;
  kind: DeviceKind;
  location?: string;
  driver: 'modbus';
  connection: ModbusConnection;
  pollIntervalMs: number;
  profile?: string;
  /** device default, already applied to every point */
  wordOrder: WordOrder;
  /** request planning limits */
  maxRegisters: number;
  maxBits: number;
  maxGap: number;
  points: ModbusPoint[];
}

/** One union member per driver; later drivers add theirs. */
export type DeviceConfig = ModbusDeviceConfig;

export interface SiteConfig {
  /** the file it was loaded from (as given) */
  file: string;
  gateway: GatewaySection;
  http: HttpSection;
  storage: StorageSection;
  devices: DeviceConfig[];
}
