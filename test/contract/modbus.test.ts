/** The driver contract for Modbus TCP, against pymodbus as the independent peer. */
import type { ModbusDeviceConfig } from '../../config/types.js';
import { createModbusDriver, createModbusLinkPool } from '../../drivers/modbus/index.js';
import type { ModbusPoint } from '../../drivers/modbus/point.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, type PymodbusUnit, startPymodbus } from '../helpers/pymodbus.js';
import { describeDriverContract } from './driver-contract.js';

const UNIT: PymodbusUnit = {
  holding: [
    { address: 0, type: 'uint16', value: 2301 },
    { address: 1, type: 'float32', value: 21.5 },
  ],
  coils: [{ address: 0, bits: [true, false] }],
};

function point(key: string, table: ModbusPoint['table'], address: number, type: ModbusPoint['type']): ModbusPoint {
  return { id: `ups1.${key}`, key, name: key, table, address, type, wordOrder: 'ABCD' };
}

describeDriverContract(
  'modbus tcp (pymodbus)',
  async () => {
    let peer: PymodbusPeer | undefined = await startPymodbus({ transport: 'tcp' }, { 1: UNIT });
    const port = peer.port as number;
    const device: ModbusDeviceConfig = {
      id: 'ups1',
      name: 'UPS 1',
      kind: 'ups',
      driver: 'modbus',
      connection: { transport: 'tcp', host: '127.0.0.1', port, unitId: 1, timeoutMs: 1000 },
      pollIntervalMs: 1000,
      wordOrder: 'ABCD',
      maxRegisters: 125,
      maxBits: 2000,
      maxGap: 8,
      points: [
        point('voltage', 'holding', 0, 'uint16'),
        point('on_line', 'coil', 0, 'bool'),
        point('temperature', 'holding', 1, 'float32'),
      ],
    };
    const links = createModbusLinkPool();
    return {
      driver: createModbusDriver(device, { links }),
      expectedPointIds: ['ups1.voltage', 'ups1.on_line', 'ups1.temperature'],
      async breakLink() {
        await peer?.stop();
        peer = undefined;
      },
      async restoreLink() {
        peer = await startPymodbus({ transport: 'tcp', port }, { 1: UNIT });
      },
      async teardown() {
        await links.close();
        await peer?.stop();
      },
    };
  },
  { skip: !peersAvailable('pymodbus') },
);
