/** A Modbus device after load: its link and its points, every default applied. */
import type { CommonDeviceFields } from '../../core/device.js';
import type { ModbusPoint, WordOrder } from './point.js';

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

export interface ModbusDeviceConfig extends CommonDeviceFields {
  driver: 'modbus';
  connection: ModbusConnection;
  /** device default, already applied to every point */
  wordOrder: WordOrder;
  /** request planning limits */
  maxRegisters: number;
  maxBits: number;
  maxGap: number;
  points: ModbusPoint[];
}
