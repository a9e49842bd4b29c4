/** Fault injection as an independent client (modbus-serial) sees it, over TCP and RTU over TCP. */
import ModbusSerial from 'modbus-serial';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';

// modbus-serial is CommonJS: under NodeNext its client class is the default export's `default`
const ModbusRTU = ModbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

function devicesFrom(yaml: string): ModbusDeviceConfig[] {
  const { config, problems } = parseSiteConfig(`gateway: { id: t }\ndevices:\n${yaml}`, 'site.yaml');
  expect(problems).toEqual([]);
  // port 1 in the YAML stands for "any free port"
  return (config!.devices as ModbusDeviceConfig[]).map((d) => (d.connection.transport === 'rtu' ? d : { ...d, connection: { ...d.connection, port: 0 } }));
}

const DEVICES = devicesFrom(`
  - { id: ups1, name: UPS 1, kind: ups, driver: modbus, profile: ups-generic, connection: { host: 127.0.0.1, port: 1, unitId: 1 } }
  - { id: crac1, name: CRAC 1, kind: hvac, driver: modbus, profile: crac-generic, connection: { transport: rtu-over-tcp, host: 127.0.0.1, port: 1, unitId: 3 } }
  - { id: crac2, name: CRAC 2, kind: hvac, driver: modbus, profile: crac-generic, connection: { transport: rtu-over-tcp, host: 127.0.0.1, port: 1, unitId: 4 } }
`);

let site: SimulatedSite;
const clients: ModbusRTU[] = [];

beforeAll(async () => {
  site = await startSimulatedSite(DEVICES);
});
afterEach(async () => {
  for (const id of ['ups1', 'crac1', 'crac2']) site.slave(id).clearFaults();
  await Promise.all(clients.splice(0).map(closeClient));
});
afterAll(() => site?.stop());

/** modbus-serial never calls back when closing an already closed port. */
function closeClient(c: ModbusRTU): Promise<void> {
  if (!c.isOpen) return Promise.resolve();
  return new Promise<void>((resolve) => c.close(() => resolve()));
}

async function client(deviceId: string, timeoutMs = 300): Promise<ModbusRTU> {
  const conn = site.connectionFor(deviceId);
  if (conn.transport === 'rtu') throw new Error('not a TCP device');
  const c = new ModbusRTU();
  if (conn.transport === 'tcp') await c.connectTCP(conn.host, { port: conn.port });
  // raw RTU frames over TCP (modbus-serial's connectTcpRTUBuffered would speak MBAP)
  else await c.connectTelnet(conn.host, { port: conn.port });
  c.setID(conn.unitId);
  c.setTimeout(timeoutMs);
  clients.push(c);
  return c;
}

const readUps = (c: ModbusRTU) => c.readHoldingRegisters(10, 6);
const readCrac = (c: ModbusRTU) => c.readInputRegisters(0, 4);

async function rejection(promise: Promise<unknown>): Promise<Error & { modbusCode?: number }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { modbusCode?: number };
  }
  throw new Error('expected the request to fail');
}

describe('dead slave', () => {
  it('never answers: the client times out, the request is still counted', async () => {
    const c = await client('ups1', 250);
    const slave = site.slave('ups1');
    const before = slave.counters;
    slave.dead = true;
    const started = Date.now();
    const err = await rejection(readUps(c));
    expect(err.message).toMatch(/timed out/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(slave.counters.requests).toBe(before.requests + 1);
    expect(slave.counters.responses).toBe(before.responses);
    slave.dead = false;
    expect((await readUps(c)).data).toHaveLength(6);
  });

  it('one dead slave on an RTU link does not hold up its neighbour', async () => {
    const dead = await client('crac1', 200);
    const alive = await client('crac2', 200);
    site.slave('crac1').dead = true;
    await expect(readCrac(dead)).rejects.toThrow(/timed out/i);
    const started = Date.now();
    expect((await readCrac(alive)).data).toHaveLength(4);
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('late answers', () => {
  it.each(['ups1', 'crac1'])('%s answers after delayMs with the right data', async (id) => {
    const c = await client(id, 1000);
    site.slave(id).delayMs = 200;
    const started = Date.now();
    const result = await (id === 'ups1' ? readUps(c) : readCrac(c));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(result.data).toHaveLength(id === 'ups1' ? 6 : 4);
  });
});

describe('one-shot responses', () => {
  it.each([
    ['ups1', 0x04],
    ['ups1', 0x06],
    ['ups1', 0x0a],
    ['crac1', 0x04],
    ['crac1', 0x0b],
  ])('%s exception %i once, then normal answers', async (id, code) => {
    const c = await client(id);
    const read = id === 'ups1' ? readUps : readCrac;
    site.slave(id).nextResponse = { kind: 'exception', code };
    expect((await rejection(read(c))).modbusCode).toBe(code);
    expect((await read(c)).data.length).toBeGreaterThan(0);
  });

  it.each([
    ['ups1', undefined, /length/i],
    ['ups1', 'random' as const, /./],
    ['crac1', undefined, /CRC/i],
    ['crac1', 'bad-crc' as const, /CRC/i],
  ])('%s garbage (%s) is an error for the client, the next answer is good', async (id, mode, message) => {
    const c = await client(id);
    const read = id === 'ups1' ? readUps : readCrac;
    site.slave(id).nextResponse = { kind: 'garbage', mode };
    const err = await rejection(read(c));
    expect(err.message).toMatch(message);
    expect(err.modbusCode).toBeUndefined();
    expect((await read(c)).data.length).toBeGreaterThan(0);
  });

  it.each(['ups1', 'crac1'])('%s drop closes the connection mid-request; a new one works', async (id) => {
    const c = await client(id, 300);
    const read = id === 'ups1' ? readUps : readCrac;
    const before = site.slave(id).counters.connections;
    const closed = new Promise<void>((resolve) => c.on('close', () => resolve()));
    site.slave(id).nextResponse = { kind: 'drop' };
    const outcome = read(c).then(
      () => 'answered',
      () => 'failed',
    );
    await closed;
    expect(c.isOpen).toBe(false);
    const again = await client(id);
    expect((await read(again)).data.length).toBeGreaterThan(0);
    expect(site.slave(id).counters.connections).toBe(before + 1);
    // modbus-serial leaves the request pending until its timeout
    expect(await outcome).toBe('failed');
  });
});

describe('exceptionFor', () => {
  it('refuses every request touching one register, not its neighbours', async () => {
    const c = await client('ups1');
    site.slave('ups1').exceptionFor('holding', 13);
    expect((await rejection(c.readHoldingRegisters(10, 6))).modbusCode).toBe(2);
    expect((await rejection(c.readHoldingRegisters(13, 1))).modbusCode).toBe(2);
    expect((await c.readHoldingRegisters(10, 3)).data).toHaveLength(3);
    expect((await c.readHoldingRegisters(14, 2)).data).toHaveLength(2);
    site.slave('ups1').exceptionFor('holding', 14, 4);
    expect((await rejection(c.readHoldingRegisters(14, 2))).modbusCode).toBe(4);
  });
});

describe('counters', () => {
  it('count requests and responses per slave, connections per server', async () => {
    const slave = site.slave('crac2');
    const before = slave.counters;
    const c = await client('crac2');
    for (let i = 0; i < 5; i++) await readCrac(c);
    slave.dead = true;
    await expect(readCrac(c)).rejects.toThrow();
    expect(slave.counters).toEqual({
      connections: before.connections + 1,
      requests: before.requests + 6,
      responses: before.responses + 5,
    });
  });
});
