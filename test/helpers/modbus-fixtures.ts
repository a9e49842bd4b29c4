/** Builders for Modbus device configs in tests, and a client wrapper that counts what is sent. */
import type { ModbusConnection, ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { type ModbusClient, type OpenModbusClient, openModbusClient } from '../../drivers/modbus/client.js';
import type { ModbusPoint, ModbusTable, ModbusType, WordOrder } from '../../drivers/modbus/point.js';

export interface PointSpec {
  table?: ModbusTable;
  type?: ModbusType;
  wordOrder?: WordOrder;
  length?: number;
  scale?: number;
  bit?: number;
}

export function modbusPoint(deviceId: string, key: string, address: number, spec: PointSpec = {}): ModbusPoint {
  const { table = 'holding', type = 'uint16', wordOrder = 'ABCD', ...rest } = spec;
  return { id: `${deviceId}.${key}`, key, name: key, table, address, type, wordOrder, ...rest };
}

export function modbusDevice(
  id: string,
  connection: ModbusConnection,
  points: ModbusPoint[],
  limits: Partial<Pick<ModbusDeviceConfig, 'maxRegisters' | 'maxBits' | 'maxGap'>> = {},
): ModbusDeviceConfig {
  return {
    id,
    name: id,
    kind: 'other',
    driver: 'modbus',
    connection,
    pollIntervalMs: 1000,
    wordOrder: 'ABCD',
    maxRegisters: 125,
    maxBits: 2000,
    maxGap: 16,
    points,
    ...limits,
  };
}

export function tcpConnection(port: number, unitId = 1, timeoutMs = 1000): ModbusConnection {
  return { transport: 'tcp', host: '127.0.0.1', port, unitId, timeoutMs };
}

export interface SentRequest {
  unitId: number;
  table: ModbusTable;
  address: number;
  count: number;
}

export interface CountingOpen {
  open: OpenModbusClient;
  /** links opened so far */
  opens: number;
  /** every request sent, in order */
  requests: SentRequest[];
}

/** The real client, with a log of what it opened and sent: lets a test check request planning. */
export function countingOpen(): CountingOpen {
  const counter: CountingOpen = {
    opens: 0,
    requests: [],
    open: async (link, options) => {
      const client = await openModbusClient(link, options);
      counter.opens += 1;
      const wrapped: ModbusClient = {
        framing: client.framing,
        get isOpen() {
          return client.isOpen;
        },
        get timeoutsInARow() {
          return client.timeoutsInARow;
        },
        readBits(unitId, table, address, count, timeoutMs, signal) {
          counter.requests.push({ unitId, table, address, count });
          return client.readBits(unitId, table, address, count, timeoutMs, signal);
        },
        readRegisters(unitId, table, address, count, timeoutMs, signal) {
          counter.requests.push({ unitId, table, address, count });
          return client.readRegisters(unitId, table, address, count, timeoutMs, signal);
        },
        writeRegisters: (unitId, address, words, timeoutMs, signal) => client.writeRegisters(unitId, address, words, timeoutMs, signal),
        writeCoil: (unitId, address, on, timeoutMs, signal) => client.writeCoil(unitId, address, on, timeoutMs, signal),
        close: () => client.close(),
        onClose: (listener) => client.onClose?.(listener),
      };
      return wrapped;
    },
  };
  return counter;
}
