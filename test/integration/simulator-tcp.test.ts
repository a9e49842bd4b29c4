/**
 * The simulator's TCP and RTU-over-TCP servers against an independent client (modbus-serial), plus
 * raw sockets for pipelined and split requests.
 */
import { connect, type Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { decodeRegisters } from '../../drivers/modbus/codec.js';
import { encodeMbap, encodeRtu } from '../../drivers/modbus/simulator/frames.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';

// modbus-serial is CommonJS: under NodeNext its client class is the default export's `default`
const ModbusRTU = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

/** Devices from YAML with the built-in profiles; port 1 stands for "any free port". */
function devicesFrom(yaml: string): ModbusDeviceConfig[] {
  const { config, problems } = parseSiteConfig(`gateway: { id: t }\ndevices:\n${yaml}`, 'site.yaml');
  expect(problems).toEqual([]);
  return (config!.devices as ModbusDeviceConfig[]).map((d) =>
    d.connection.transport === 'rtu' || d.connection.port !== 1 ? d : { ...d, connection: { ...d.connection, port: 0 } },
  );
}

const DEVICES = devicesFrom(`
  - { id: ups1, name: UPS 1, kind: ups, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 1, unitId: 1 } }
  - { id: crac1, name: CRAC 1, kind: hvac, driver: modbus, profile: crac-generic, connection: { host: 127.0.0.1, port: 1, unitId: 2 } }
  - { id: pdu1, name: PDU 1, kind: pdu, driver: modbus, profile: pdu-generic, connection: { host: 127.0.0.1, port: 1, unitId: 3 } }
  - { id: crac2, name: CRAC 2, kind: hvac, driver: modbus, profile: crac-generic, connection: { transport: rtu-over-tcp, host: 127.0.0.1, port: 1, unitId: 4 } }
  - { id: crac3, name: CRAC 3, kind: hvac, driver: modbus, profile: crac-generic, connection: { transport: rtu-over-tcp, host: 127.0.0.1, port: 1, unitId: 5 } }
`);
const point = (deviceId: string, key: string) => DEVICES.find((d) => d.id === deviceId)!.points.find((p) => p.key === key)!;

let site: SimulatedSite;
let tcpPort: number;
let rtuPort: number;

beforeAll(async () => {
  site = await startSimulatedSite(DEVICES, { seed: 7 });
  tcpPort = site.endpoints.find((e) => e.transport === 'tcp')!.port!;
  rtuPort = site.endpoints.find((e) => e.transport === 'rtu-over-tcp')!.port!;
});
afterAll(() => site?.stop());

async function tcpClient(unitId: number): Promise<ModbusRTU> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port: tcpPort });
  client.setID(unitId);
  client.setTimeout(1000);
  return client;
}

/**
 * Raw RTU frames over TCP, like a serial device server. In modbus-serial that is connectTelnet:
 * its connectTcpRTUBuffered, despite the name, speaks MBAP.
 */
async function rtuClient(unitId: number): Promise<ModbusRTU> {
  const client = new ModbusRTU();
  await client.connectTelnet('127.0.0.1', { port: rtuPort });
  client.setID(unitId);
  client.setTimeout(300);
  return client;
}

/** modbus-serial never calls back when closing an already closed port. */
const close = (client: ModbusRTU) =>
  client.isOpen ? new Promise<void>((resolve) => client.close(() => resolve())) : Promise.resolve();

async function modbusCode(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { modbusCode?: number }).modbusCode;
  }
  throw new Error('expected a Modbus exception');
}

describe('endpoints', () => {
  it('groups devices by transport and lists what listens where', () => {
    expect(site.endpoints.map((e) => ({ transport: e.transport, unitIds: e.unitIds, deviceIds: e.deviceIds }))).toEqual([
      { transport: 'tcp', unitIds: [1, 2, 3], deviceIds: ['ups1', 'crac1', 'pdu1'] },
      { transport: 'rtu-over-tcp', unitIds: [4, 5], deviceIds: ['crac2', 'crac3'] },
    ]);
    expect(tcpPort).toBeGreaterThan(0);
    expect(site.connectionFor('crac2')).toMatchObject({ transport: 'rtu-over-tcp', host: '127.0.0.1', port: rtuPort, unitId: 4 });
  });
});

describe('Modbus TCP with a modbus-serial client', () => {
  it('reads holding registers the model wrote (fc3), several unit ids on one server', async () => {
    const client = await tcpClient(1);
    try {
      const status = await client.readHoldingRegisters(0, 2);
      expect(decodeRegisters(point('ups1', 'on_line'), status.data, 0).value).toBe(true);
      expect(decodeRegisters(point('ups1', 'mode'), status.data, 0).value).toBe('online');
      const model = await client.readHoldingRegisters(40, 8);
      expect(decodeRegisters(point('ups1', 'model'), model.data, 40).value).toBe('SIM-UPS 10kVA');
      const electrical = await client.readHoldingRegisters(10, 6);
      const volts = decodeRegisters(point('ups1', 'input_voltage'), electrical.data, 10).value as number;
      expect(volts).toBeGreaterThan(220);
      expect(volts).toBeLessThan(240);

      client.setID(2);
      const crac = await client.readInputRegisters(0, 4);
      const supply = decodeRegisters(point('crac1', 'supply_temp'), crac.data, 0).value as number;
      expect(supply).toBeGreaterThanOrEqual(18);
      expect(supply).toBeLessThanOrEqual(20);
      expect((await client.readDiscreteInputs(0, 1)).data[0]).toBe(true);

      client.setID(3);
      expect((await client.readCoils(0, 8)).data.slice(0, 8)).toEqual(Array(8).fill(true));
    } finally {
      await close(client);
    }
  });

  it('writes with fc5, fc6, fc15, fc16; the written points stay as written', async () => {
    const client = await tcpClient(2);
    try {
      await client.writeRegister(0, 225); // crac1 setpoint 22.5 °C (×0.1)
      expect(site.slave('crac1').value('setpoint')).toBe(22.5);
      await client.writeRegisters(0, [200]);
      site.tick();
      expect((await client.readHoldingRegisters(0, 1)).data).toEqual([200]);

      client.setID(3);
      await client.writeCoil(1, false);
      await client.writeCoils(4, [false, true, false]);
      site.tick();
      const outlets = (await client.readCoils(0, 8)).data.slice(0, 8);
      expect(outlets).toEqual([true, false, true, true, false, true, false, true]);
      expect(site.slave('pdu1').value('outlet_2_current')).toBe(0);
      expect(site.slave('pdu1').value('outlet_5_current')).toBe(0);
    } finally {
      site.slave('crac1').release();
      site.slave('pdu1').release();
      await close(client);
    }
  });

  it.each([
    ['02 illegal address: a hole between points', (c: ModbusRTU) => c.readHoldingRegisters(0, 3), 2],
    ['02 illegal address: beyond every point', (c: ModbusRTU) => c.readHoldingRegisters(1000, 1), 2],
    ['02 illegal address: writing an unbacked register', (c: ModbusRTU) => c.writeRegister(5, 1), 2],
    ['03 illegal value: 126 registers', (c: ModbusRTU) => c.readHoldingRegisters(0, 126), 3],
    ['01 illegal function: read device identification', (c: ModbusRTU) => c.readDeviceIdentification(1, 0), 1],
    ['01 illegal function: mask write', (c: ModbusRTU) => c.maskWriteRegister(0, 0xffff, 0), 1],
  ])('exception %s', async (_name, request, code) => {
    const client = await tcpClient(1);
    try {
      expect(await modbusCode(request(client))).toBe(code);
      // the connection stays usable
      expect((await client.readHoldingRegisters(0, 2)).data).toHaveLength(2);
    } finally {
      await close(client);
    }
  });

  it('answers an unknown unit id with 0B (gateway target failed to respond)', async () => {
    const client = await tcpClient(9);
    try {
      expect(await modbusCode(client.readHoldingRegisters(0, 1))).toBe(0x0b);
    } finally {
      await close(client);
    }
  });

  it('shows scenarios in the registers a client reads', async () => {
    const client = await tcpClient(1);
    try {
      site.setScenario('power-failure', true);
      site.setScenario('cooling-failure', true);
      const status = (await client.readHoldingRegisters(0, 2)).data;
      expect(decodeRegisters(point('ups1', 'on_battery'), status, 0).value).toBe(true);
      expect(decodeRegisters(point('ups1', 'on_line'), status, 0).value).toBe(false);
      expect(decodeRegisters(point('ups1', 'mode'), status, 0).value).toBe('battery');
      const input = (await client.readHoldingRegisters(10, 1)).data;
      expect(decodeRegisters(point('ups1', 'input_voltage'), input, 10).value).toBe(0);

      client.setID(2);
      const alarms = (await client.readInputRegisters(10, 2)).data;
      expect(decodeRegisters(point('crac1', 'compressor_fault'), alarms, 10).value).toBe(true);
      expect(decodeRegisters(point('crac1', 'unit_status'), alarms, 10).value).toBe('fault');
      expect((await client.readDiscreteInputs(0, 1)).data[0]).toBe(false);

      site.setScenario('power-failure', false);
      site.setScenario('cooling-failure', false);
      client.setID(1);
      const back = (await client.readHoldingRegisters(0, 2)).data;
      expect(decodeRegisters(point('ups1', 'on_line'), back, 0).value).toBe(true);
    } finally {
      site.setScenario('power-failure', false);
      site.setScenario('cooling-failure', false);
      await close(client);
    }
  });
});

describe('RTU over TCP with a modbus-serial client', () => {
  it('reads two slaves on one link', async () => {
    const client = await rtuClient(4);
    try {
      const a = (await client.readInputRegisters(0, 4)).data;
      expect(decodeRegisters(point('crac2', 'return_temp'), a, 0).value).toBeGreaterThanOrEqual(28);
      client.setID(5);
      const b = (await client.readInputRegisters(10, 6)).data;
      // the second CRAC on the bus is the duty unit's standby (site.ts standbyUnits)
      expect(decodeRegisters(point('crac3', 'unit_status'), b, 10).value).toBe('standby');
      expect(await modbusCode(client.readInputRegisters(0, 20))).toBe(2);
    } finally {
      await close(client);
    }
  });

  it('does not answer a unit id nobody has (like a real bus), and carries on', async () => {
    const client = await rtuClient(9);
    try {
      await expect(client.readInputRegisters(0, 1)).rejects.toThrow(/timed out/i);
      client.setID(4);
      expect((await client.readInputRegisters(0, 1)).data).toHaveLength(1);
    } finally {
      await close(client);
    }
  });
});

/** A raw socket that collects whatever comes back. */
async function rawSocket(port: number): Promise<{ socket: Socket; received: () => Buffer; waitFor(n: number): Promise<Buffer> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  let data = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    data = Buffer.concat([data, chunk]);
  });
  return {
    socket,
    received: () => data,
    async waitFor(n) {
      const deadline = Date.now() + 2000;
      while (data.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      return data;
    },
  };
}

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('framing on the wire', () => {
  it('MBAP: three requests in one segment get three answers, in order', async () => {
    const raw = await rawSocket(tcpPort);
    try {
      const requests = [
        encodeMbap(1, 1, hex('03 0000 0002')),
        encodeMbap(2, 2, hex('04 0000 0001')),
        encodeMbap(3, 1, hex('03 0000 0003')),
      ];
      raw.socket.write(Buffer.concat(requests));
      const data = await raw.waitFor(13 + 11 + 9);
      expect(data.readUInt16BE(0)).toBe(1);
      expect(data.subarray(6, 9).toString('hex')).toBe('010304');
      expect(data.readUInt16BE(13)).toBe(2);
      expect(data.subarray(13 + 6, 13 + 9).toString('hex')).toBe('020402');
      expect(data.subarray(24).toString('hex')).toBe('000300000003018302');
    } finally {
      raw.socket.destroy();
    }
  });

  it('MBAP: a request sent one byte at a time is answered once complete', async () => {
    const raw = await rawSocket(tcpPort);
    try {
      const request = encodeMbap(0x4242, 1, hex('03 0028 0008'));
      for (const byte of request) {
        raw.socket.write(Buffer.from([byte]));
        await new Promise((r) => setTimeout(r, 2));
      }
      const data = await raw.waitFor(7 + 2 + 16);
      expect(data).toHaveLength(25);
      expect(data.readUInt16BE(0)).toBe(0x4242);
      expect(data.subarray(9).toString('latin1').replace(/\0+$/, '')).toBe('SIM-UPS 10kVA');
    } finally {
      raw.socket.destroy();
    }
  });

  it('RTU over TCP: merged and split frames, a broken frame skipped', async () => {
    const raw = await rawSocket(rtuPort);
    try {
      const a = encodeRtu(4, hex('04 000B 0001'));
      const b = encodeRtu(5, hex('04 000B 0001'));
      const broken = Buffer.from(a);
      broken[broken.length - 1]! ^= 0xff;
      raw.socket.write(Buffer.concat([broken, a, b.subarray(0, 3)]));
      await new Promise((r) => setTimeout(r, 10));
      raw.socket.write(b.subarray(3));
      const data = await raw.waitFor(14);
      // unit_status 1 (cooling) from unit 4, then 2 (standby) from unit 5; the broken copy got no answer
      expect(data.toString('hex')).toBe(encodeRtu(4, hex('04 02 0001')).toString('hex') + encodeRtu(5, hex('04 02 0002')).toString('hex'));
      expect(site.endpoints[1]!.stats.discardedBytes).toBeGreaterThan(0);
    } finally {
      raw.socket.destroy();
    }
  });
});
