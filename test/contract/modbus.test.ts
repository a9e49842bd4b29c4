/**
 * The driver contract for Modbus, once per transport, against pymodbus as the independent peer:
 * TCP (MBAP framing), RTU over a virtual serial cable (socat pty pair), and RTU-over-TCP (raw RTU
 * frames on a TCP stream, as serial device servers pass them through).
 */
import type { ModbusConnection, ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { createModbusDriver, createModbusLinkPool } from '../../drivers/modbus/index.js';
import type { ModbusPoint } from '../../drivers/modbus/point.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusListen, type PymodbusPeer, type PymodbusUnit, startPymodbus } from '../helpers/pymodbus.js';
import { startPtyPair } from '../helpers/socat.js';
import { type DriverContractSetup, describeDriverContract } from './driver-contract.js';

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

function device(connection: ModbusConnection): ModbusDeviceConfig {
  return {
    id: 'ups1',
    name: 'UPS 1',
    kind: 'ups',
    driver: 'modbus',
    connection,
    pollIntervalMs: 1000,
    wordOrder: 'ABCD',
    maxRegisters: 125,
    maxBits: 2000,
    maxGap: 8,
    points: [point('voltage', 'holding', 0, 'uint16'), point('on_line', 'coil', 0, 'bool'), point('temperature', 'holding', 1, 'float32')],
  };
}

/** A contract setup around one pymodbus peer; `listen` is how it is (re)started at the same address. */
async function setupWith(
  listen: PymodbusListen,
  connection: (peer: PymodbusPeer) => ModbusConnection,
  cleanup: () => Promise<void> = async () => {},
): Promise<DriverContractSetup> {
  let peer: PymodbusPeer | undefined = await startPymodbus(listen, { 1: UNIT });
  const conn = connection(peer);
  // a restart must come back at the same TCP port
  const again: PymodbusListen = listen.transport === 'rtu' ? listen : { ...listen, port: peer.port as number };
  const links = createModbusLinkPool();
  return {
    driver: createModbusDriver(device(conn), { links }),
    expectedPointIds: ['ups1.voltage', 'ups1.on_line', 'ups1.temperature'],
    async breakLink() {
      await peer?.stop();
      peer = undefined;
    },
    async restoreLink() {
      peer = await startPymodbus(again, { 1: UNIT });
    },
    async teardown() {
      await links.close();
      await peer?.stop();
      await cleanup();
    },
  };
}

const tcpConnection = (transport: 'tcp' | 'rtu-over-tcp') => (peer: PymodbusPeer): ModbusConnection => ({
  transport,
  host: '127.0.0.1',
  port: peer.port as number,
  unitId: 1,
  timeoutMs: 1000,
});

describeDriverContract('modbus tcp (pymodbus)', () => setupWith({ transport: 'tcp' }, tcpConnection('tcp')), {
  skip: !peersAvailable('pymodbus'),
});

describeDriverContract('modbus rtu-over-tcp (pymodbus, RTU framer on TCP)', () => setupWith({ transport: 'rtu-over-tcp' }, tcpConnection('rtu-over-tcp')), {
  skip: !peersAvailable('pymodbus'),
});

describeDriverContract(
  'modbus rtu (pymodbus on a socat pty pair)',
  async () => {
    const pair = await startPtyPair();
    return setupWith(
      { transport: 'rtu', serialPort: pair.a, baudRate: 19200 },
      () => ({ transport: 'rtu', serialPort: pair.b, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1, unitId: 1, timeoutMs: 500 }),
      () => pair.stop(),
    );
  },
  { skip: !peersAvailable('socat', 'pymodbus') },
);
