/**
 * The Modbus driver under faults, injected by our simulator: dead and slow devices, exception
 * responses, broken frames and dropped connections, on TCP, RTU over TCP and serial RTU.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModbusConnection, ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { createModbusDriver, createModbusLinkPool, type ModbusLinkPool } from '../../drivers/modbus/index.js';
import { type SimulatedSite, startSimulatedSite } from '../../drivers/modbus/simulator/index.js';
import type { Driver } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import type { Sample } from '../../core/types.js';
import { modbusDevice, modbusPoint } from '../helpers/modbus-fixtures.js';
import { peersAvailable } from '../helpers/peers.js';
import { startPtyPair, type PtyPair } from '../helpers/socat.js';

const TIMEOUT_MS = 200;
/** how late a timeout may be reported (timer and scheduling slack) */
const MARGIN_MS = 250;

function signal(): AbortSignal {
  return AbortSignal.timeout(10_000);
}

function tcpLike(transport: 'tcp' | 'rtu-over-tcp', unitId: number): ModbusConnection {
  return { transport, host: '127.0.0.1', port: 0, unitId, timeoutMs: TIMEOUT_MS };
}

/** Two requests per poll: registers 0–2 and 50 (too far apart to merge). */
function twoBlockDevice(id: string, connection: ModbusConnection): ModbusDeviceConfig {
  return modbusDevice(
    id,
    connection,
    [modbusPoint(id, 'a', 0), modbusPoint(id, 'b', 1), modbusPoint(id, 'c', 2), modbusPoint(id, 'far', 50)],
    { maxGap: 4 },
  );
}

const HELD = { a: 111, b: 112, c: 113, far: 222 };

function values(samples: Sample[]): Record<string, unknown> {
  return Object.fromEntries(samples.map((s) => [s.pointId.split('.')[1], s.value]));
}

function holdAll(site: SimulatedSite, deviceId: string) {
  for (const [key, value] of Object.entries(HELD)) site.slave(deviceId).hold(key, value);
}

async function errorOf(work: Promise<unknown>): Promise<DriverError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const result = await work;
  return [result, Date.now() - started];
}

interface Rig {
  site: SimulatedSite;
  links: ModbusLinkPool;
  drivers: Map<string, Driver>;
  stop(): Promise<void>;
}

async function startRig(devices: ModbusDeviceConfig[], siteOptions: Parameters<typeof startSimulatedSite>[1] = {}) {
  const site = await startSimulatedSite(devices, { tickMs: 60_000, ...siteOptions });
  const links = createModbusLinkPool();
  const drivers = new Map<string, Driver>();
  for (const device of devices) {
    holdAll(site, device.id);
    const driver = createModbusDriver({ ...device, connection: site.connectionFor(device.id) }, { links });
    await driver.connect(signal());
    drivers.set(device.id, driver);
  }
  const rig: Rig = {
    site,
    links,
    drivers,
    async stop() {
      await Promise.all([...drivers.values()].map((d) => d.close()));
      await links.close();
      await site.stop();
    },
  };
  return rig;
}

describe('Modbus TCP faults (simulator)', () => {
  let rig: Rig;
  const driver = () => rig.drivers.get('ups') as Driver;
  const slave = () => rig.site.slave('ups');

  beforeAll(async () => {
    rig = await startRig([twoBlockDevice('ups', tcpLike('tcp', 1))]);
  });
  afterAll(() => rig?.stop());

  async function expectHealthy() {
    const samples = await driver().read(signal());
    expect(values(samples)).toEqual(HELD);
    expect(samples.every((s) => s.quality === 'good')).toBe(true);
  }

  it('reads the held values when nothing is wrong', expectHealthy);

  it('a dead device is a timeout DriverError within the timeout, and reconnecting recovers', async () => {
    slave().dead = true;
    const [err, took] = await timed(errorOf(driver().read(signal())));
    expect(err).toMatchObject({ reason: 'timeout', retryable: true, deviceId: 'ups' });
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(took).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    slave().dead = false;
    // the only device on the connection timed out: the connection is suspect and is reopened
    const connectionsBefore = slave().counters.connections;
    await driver().reset();
    await driver().connect(signal());
    await expectHealthy();
    expect(slave().counters.connections).toBe(connectionsBefore + 1);
  });

  it('aborting the signal ends a read waiting on a dead device at once, with the abort reason', async () => {
    slave().dead = true;
    const reason = new Error('poll deadline passed');
    const controller = new AbortController();
    setTimeout(() => controller.abort(reason), 50);
    const [err, took] = await timed(driver().read(controller.signal).catch((e: unknown) => e));
    expect(err).toBe(reason);
    expect(took).toBeLessThan(TIMEOUT_MS - 50);
    slave().dead = false;
    await expectHealthy();
  });

  it('a signal reused across reads still ends the read in flight when it aborts', async () => {
    // The client keeps one abort listener on a signal its requests reuse: it must follow the
    // request in flight, not the first one that brought the signal.
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) expect(values(await driver().read(controller.signal))).toEqual(HELD);
    slave().dead = true;
    const reason = new Error('stopping');
    setTimeout(() => controller.abort(reason), 50);
    const [err, took] = await timed(driver().read(controller.signal).catch((e: unknown) => e));
    expect(err).toBe(reason);
    expect(took).toBeLessThan(TIMEOUT_MS - 50);
    slave().dead = false;
    // the aborted signal stays aborted; a fresh one reads again
    await expect(driver().read(controller.signal)).rejects.toBe(reason);
    await expectHealthy();
  });

  it.each([
    [0x01, 'illegal-function'],
    [0x03, 'illegal-value'],
    [0x04, 'device-failure'],
    [0x05, 'device-busy'],
    [0x06, 'device-busy'],
    [0x08, 'device-failure'],
  ])('exception %i makes the points of that request bad with reason %s, then reads recover', async (code, reason) => {
    slave().nextResponse = { kind: 'exception', code };
    const samples = await driver().read(signal());
    // the first request (registers 0–2) got the exception; the second (register 50) is fine
    expect(samples.slice(0, 3)).toEqual(
      ['a', 'b', 'c'].map((k) => expect.objectContaining({ pointId: `ups.${k}`, quality: 'bad', reason, value: null })),
    );
    expect(samples[3]).toMatchObject({ quality: 'good', value: 222 });
    await expectHealthy();
  });

  it.each([
    [0x0a, 'gateway-path'],
    [0x0b, 'gateway-target'],
  ])('gateway exception %i is a retryable DriverError (%s)', async (code, reason) => {
    slave().nextResponse = { kind: 'exception', code };
    const err = await errorOf(driver().read(signal()));
    expect(err).toMatchObject({ reason, retryable: true, deviceId: 'ups' });
    await expectHealthy();
  });

  it.each(['short', 'random'] as const)('a %s garbage reply is a bad-frame sample, the next read is good', async (mode) => {
    slave().nextResponse = { kind: 'garbage', mode };
    const samples = await driver().read(signal());
    expect(samples.slice(0, 3).map((s) => [s.quality, s.reason])).toEqual([
      ['bad', 'bad-frame'],
      ['bad', 'bad-frame'],
      ['bad', 'bad-frame'],
    ]);
    expect(samples[3]).toMatchObject({ quality: 'good', value: 222 });
    await expectHealthy();
  });

  it('a device answering noise (bytes that make no frame) is a bad-frame sample, not a timeout; the next read is good', async () => {
    for (let round = 0; round < 3; round++) {
      slave().nextResponse = { kind: 'garbage', mode: 'noise' };
      const [samples, took] = await timed(driver().read(signal()));
      expect(samples.slice(0, 3).map((s) => [s.quality, s.reason])).toEqual([
        ['bad', 'bad-frame'],
        ['bad', 'bad-frame'],
        ['bad', 'bad-frame'],
      ]);
      expect(samples[3]).toMatchObject({ quality: 'good', value: 222 });
      // judged when the reply's time is up: nothing more was coming
      expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      await expectHealthy();
    }
  });

  it('a connection dropped mid-poll is a comm DriverError; reset() and connect() recover', async () => {
    slave().nextResponse = { kind: 'drop' };
    const [err, took] = await timed(errorOf(driver().read(signal())));
    expect(err).toMatchObject({ reason: 'comm', retryable: true, deviceId: 'ups' });
    // noticed when the socket closes, not after a timeout
    expect(took).toBeLessThan(TIMEOUT_MS);
    await expect(driver().read(signal())).rejects.toMatchObject({ reason: 'comm' });
    await driver().reset();
    await driver().connect(signal());
    await expectHealthy();
  });

});

describe('Modbus illegal address on a merged read (simulator)', () => {
  let rig: Rig;
  const driver = () => rig.drivers.get('pdu') as Driver;

  beforeAll(async () => {
    rig = await startRig([twoBlockDevice('pdu', tcpLike('tcp', 1))]);
  });
  afterAll(() => rig?.stop());

  it('a one-off illegal address on a merged read is retried point by point within the same poll', async () => {
    rig.site.slave('pdu').nextResponse = { kind: 'exception', code: 0x02 };
    const before = rig.site.slave('pdu').counters.requests;
    const samples = await driver().read(signal());
    expect(values(samples)).toEqual(HELD);
    expect(samples.every((s) => s.quality === 'good')).toBe(true);
    // merged 0–2 (rejected), then 0, 1, 2 one by one, then 50
    expect(rig.site.slave('pdu').counters.requests - before).toBe(5);
  });

  it('a register the device rejects for good stays bad alone, its neighbours stay good, no merged retries', async () => {
    rig.site.slave('pdu').exceptionFor('holding', 1);
    for (let poll = 0; poll < 2; poll++) {
      const before = rig.site.slave('pdu').counters.requests;
      const samples = await driver().read(signal());
      expect(samples.map((s) => [s.value, s.quality, s.reason])).toEqual([
        [111, 'good', undefined],
        [null, 'bad', 'illegal-address'],
        [113, 'good', undefined],
        [222, 'good', undefined],
      ]);
      // the split from the first test is remembered: four single reads
      expect(rig.site.slave('pdu').counters.requests - before).toBe(4);
    }
  });
});

describe('Modbus RTU over TCP faults (simulator)', () => {
  let rig: Rig;
  const driver = (id: string) => rig.drivers.get(id) as Driver;

  beforeAll(async () => {
    rig = await startRig([twoBlockDevice('crac1', tcpLike('rtu-over-tcp', 1)), twoBlockDevice('crac2', tcpLike('rtu-over-tcp', 2))]);
  });
  afterAll(() => rig?.stop());

  it('both devices share one connection', async () => {
    expect(driver('crac1').linkId).toBe(driver('crac2').linkId);
    expect(driver('crac1').linkId).toMatch(/^rtu-over-tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(values(await driver('crac1').read(signal()))).toEqual(HELD);
    expect(values(await driver('crac2').read(signal()))).toEqual(HELD);
    expect(rig.site.endpoints[0]?.stats.openConnections).toBe(1);
  });

  it('one dead device times out; the other reads fine right after, on the same connection', async () => {
    rig.site.slave('crac1').dead = true;
    const connections = rig.site.endpoints[0]?.stats.connections;
    for (let round = 0; round < 2; round++) {
      const [err, took] = await timed(errorOf(driver('crac1').read(signal())));
      expect(err).toMatchObject({ reason: 'timeout', deviceId: 'crac1' });
      expect(took).toBeLessThan(2 * TIMEOUT_MS + MARGIN_MS);
      const samples = await driver('crac2').read(signal());
      expect(values(samples)).toEqual(HELD);
    }
    expect(rig.site.endpoints[0]?.stats.connections).toBe(connections);
    rig.site.slave('crac1').dead = false;
    await driver('crac1').reset();
    await driver('crac1').connect(signal());
    expect(values(await driver('crac1').read(signal()))).toEqual(HELD);
  });

  it('a reply that comes after its timeout is not taken as the answer to the next request', async () => {
    const late = rig.site.slave('crac1');
    late.delayMs = TIMEOUT_MS + 100;
    const err = await errorOf(driver('crac1').read(signal()));
    expect(err.reason).toBe('timeout');
    // Still slow, but in time: the next request is in flight when the late answer to the first
    // one lands. Taken for its answer, every later reply would be one request behind.
    late.delayMs = TIMEOUT_MS - 80;
    for (let poll = 0; poll < 2; poll++) {
      const samples = await driver('crac1').read(signal());
      expect(samples.map((s) => [s.value, s.quality])).toEqual(Object.values(HELD).map((v) => [v, 'good']));
    }
    late.delayMs = 0;
    expect(values(await driver('crac2').read(signal()))).toEqual(HELD);
    expect(values(await driver('crac1').read(signal()))).toEqual(HELD);
  });

  it.each(['bad-crc', 'short', 'random', 'noise'] as const)(
    'a %s garbage reply is a bad-frame sample; the stream realigns and the next read is good',
    async (mode) => {
      rig.site.slave('crac2').nextResponse = { kind: 'garbage', mode };
      const samples = await driver('crac2').read(signal());
      expect(samples.slice(0, 3).map((s) => [s.quality, s.reason])).toEqual([
        ['bad', 'bad-frame'],
        ['bad', 'bad-frame'],
        ['bad', 'bad-frame'],
      ]);
      expect(samples[3]).toMatchObject({ quality: 'good', value: 222 });
      expect(values(await driver('crac2').read(signal()))).toEqual(HELD);
      expect(values(await driver('crac1').read(signal()))).toEqual(HELD);
    },
  );
});

describe.skipIf(!peersAvailable('socat'))('Modbus serial RTU faults (simulator on a pty pair)', () => {
  let pair: PtyPair;
  let rig: Rig;
  const driver = () => rig.drivers.get('pdu') as Driver;

  beforeAll(async () => {
    pair = await startPtyPair();
    const connection: ModbusConnection = {
      transport: 'rtu',
      serialPort: pair.b,
      baudRate: 19200,
      parity: 'none',
      dataBits: 8,
      stopBits: 1,
      unitId: 5,
      timeoutMs: TIMEOUT_MS,
    };
    rig = await startRig([twoBlockDevice('pdu', connection)], { serialPaths: { [pair.b]: pair.a } });
  });
  afterAll(async () => {
    await rig?.stop();
    await pair?.stop();
  });

  it('a late reply after a timeout is not taken as the next answer, with the port kept open', async () => {
    expect(values(await driver().read(signal()))).toEqual(HELD);
    rig.site.slave('pdu').delayMs = TIMEOUT_MS + 100;
    const [err, took] = await timed(errorOf(driver().read(signal())));
    expect(err).toMatchObject({ reason: 'timeout', deviceId: 'pdu' });
    expect(took).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    // still slow but in time, so the late answer lands while the next request waits (see above)
    rig.site.slave('pdu').delayMs = TIMEOUT_MS - 80;
    // no reset: a serial port stays open across a device timeout
    for (let poll = 0; poll < 2; poll++) {
      const samples = await driver().read(signal());
      expect(samples.map((s) => [s.value, s.quality])).toEqual(Object.values(HELD).map((v) => [v, 'good']));
    }
    rig.site.slave('pdu').delayMs = 0;
  });

  it.each(['bad-crc', 'short', 'random'] as const)('a %s reply is a bad-frame sample, then reads recover', async (mode) => {
    rig.site.slave('pdu').nextResponse = { kind: 'garbage', mode };
    const samples = await driver().read(signal());
    expect(samples.slice(0, 3).every((s) => s.quality === 'bad' && s.reason === 'bad-frame')).toBe(true);
    expect(samples[3]).toMatchObject({ quality: 'good', value: 222 });
    expect(values(await driver().read(signal()))).toEqual(HELD);
  });
});
