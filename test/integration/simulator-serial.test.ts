/** RTU slaves on a serial line: a socat pty pair, modbus-serial (or a raw port) on the other end. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ModbusSerial from 'modbus-serial';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { decodeRegisters } from '../../drivers/modbus/codec.js';
import { encodeRtu } from '../../drivers/modbus/simulator/frames.js';
import { createPtyPair, type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import { peersAvailable } from '../helpers/peers.js';

// modbus-serial is CommonJS: under NodeNext its client class is the default export's `default`
const ModbusRTU = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

const available = peersAvailable('socat');
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function devicesOn(serialPort: string): ModbusDeviceConfig[] {
  const yaml = `gateway: { id: t }
devices:
  - { id: ups1, name: UPS 1, kind: ups, driver: modbus, profile: ups-generic, connection: { transport: rtu, serialPort: "${serialPort}", baudRate: 19200, parity: even, unitId: 1 } }
  - { id: crac1, name: CRAC 1, kind: hvac, driver: modbus, profile: crac-generic, connection: { transport: rtu, serialPort: "${serialPort}", baudRate: 19200, parity: even, unitId: 2 } }
`;
  const { config, problems } = parseSiteConfig(yaml, 'site.yaml');
  expect(problems).toEqual([]);
  return config!.devices as ModbusDeviceConfig[];
}

describe.skipIf(!available)('RTU on a pty pair the site makes', () => {
  let dir: string;
  let gatewayPath: string;
  let devices: ModbusDeviceConfig[];
  let site: SimulatedSite;
  let client: ModbusRTU;
  const point = (id: string, key: string) => devices.find((d) => d.id === id)!.points.find((p) => p.key === key)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-rtu-'));
    gatewayPath = join(dir, 'ttyGW');
    devices = devicesOn(gatewayPath);
    site = await startSimulatedSite(devices, { silenceMs: 20 });
    client = new ModbusRTU();
    await client.connectRTUBuffered(gatewayPath, { baudRate: 19200, parity: 'even' });
    client.setTimeout(300);
  });
  afterAll(async () => {
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
    await site?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the bus as one endpoint at the path the gateway opens', () => {
    expect(site.endpoints).toEqual([
      expect.objectContaining({ transport: 'rtu', path: gatewayPath, unitIds: [1, 2], deviceIds: ['ups1', 'crac1'] }),
    ]);
  });

  it('serves several unit ids on the line', async () => {
    client.setID(1);
    const model = (await client.readHoldingRegisters(40, 8)).data;
    expect(decodeRegisters(point('ups1', 'model'), model, 40).value).toBe('SIM-UPS 10kVA');
    client.setID(2);
    const temps = (await client.readInputRegisters(0, 2)).data;
    expect(decodeRegisters(point('crac1', 'return_temp'), temps, 0).value).toBeGreaterThanOrEqual(28);
    await client.writeRegister(0, 190);
    expect(site.slave('crac1').value('setpoint')).toBe(19);
  });

  it('ignores a unit id nobody has, then answers the next request', async () => {
    client.setID(7);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toThrow(/timed out/i);
    client.setID(1);
    expect((await client.readHoldingRegisters(0, 2)).data).toHaveLength(2);
  });

  it('an injected bad CRC is a CRC error for the client; the line recovers', async () => {
    client.setID(1);
    site.slave('ups1').nextResponse = { kind: 'garbage' };
    await expect(client.readHoldingRegisters(0, 2)).rejects.toThrow(/CRC/);
    expect((await client.readHoldingRegisters(0, 2)).data).toHaveLength(2);
  });
});

describe.skipIf(!available)('RTU on a pty pair the caller made (serialPaths)', () => {
  let dir: string;
  let site: SimulatedSite;
  let port: SerialPort;
  let received = Buffer.alloc(0);
  let closePair: () => Promise<void>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-rtu-'));
    const gatewayPath = join(dir, 'gw');
    const simPath = join(dir, 'sim');
    const pair = await createPtyPair(gatewayPath, simPath);
    closePair = () => pair.close();
    site = await startSimulatedSite(devicesOn(gatewayPath), { serialPaths: { [gatewayPath]: simPath }, silenceMs: 20 });
    port = new SerialPort({ path: gatewayPath, baudRate: 19200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
    });
  });
  afterAll(async () => {
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await site?.stop();
    await closePair?.();
    rmSync(dir, { recursive: true, force: true });
  });

  async function exchange(bytes: Buffer, expectBytes: number, waitMs = 1000): Promise<Buffer> {
    received = Buffer.alloc(0);
    port.write(bytes);
    const deadline = Date.now() + waitMs;
    while (received.length < expectBytes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return received;
  }

  const unitStatus = encodeRtu(2, hex('04 000B 0001'));
  const cooling = encodeRtu(2, hex('04 02 0001')).toString('hex');

  it('answers a plain request', async () => {
    expect((await exchange(unitStatus, 7)).toString('hex')).toBe(cooling);
  });

  it('resynchronises after line noise and after a frame with a bad CRC', async () => {
    const broken = Buffer.from(unitStatus);
    broken[3]! ^= 0x40;
    const noisy = Buffer.concat([hex('FF 00 13 37'), broken, unitStatus]);
    expect((await exchange(noisy, 7)).toString('hex')).toBe(cooling);
    expect(site.endpoints[0]!.stats.discardedBytes).toBeGreaterThanOrEqual(12);
  });

  it('finds the frame at the next silence when noise looks like the start of a long frame', async () => {
    // "01 10 ... 80": a write of 128 bytes that never comes
    const noisy = Buffer.concat([hex('01 10 0000 0040 80'), unitStatus]);
    expect((await exchange(noisy, 7)).toString('hex')).toBe(cooling);
  });

  it('broadcast (unit 0) writes reach every slave and nobody answers', async () => {
    const reply = await exchange(encodeRtu(0, hex('06 0000 00C8')), 1, 150);
    expect(reply).toHaveLength(0);
    expect(site.slave('crac1').value('setpoint')).toBe(20);
    expect(site.slave('ups1').bank.getWords('holding', 0, 1)).toEqual([0xc8]);
  });
});
