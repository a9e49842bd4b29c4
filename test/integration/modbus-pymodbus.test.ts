/**
 * The Modbus driver against pymodbus, an independent implementation: values are packed by Python's
 * struct module, so decoding them right is a real cross-check of codec, planner and framing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModbusConnection } from '../../drivers/modbus/device.js';
import { createModbusDriver, createModbusLinkPool, type ModbusLinkPool } from '../../drivers/modbus/index.js';
import type { ModbusType, WordOrder } from '../../drivers/modbus/point.js';
import type { Driver } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import type { Sample } from '../../core/types.js';
import { countingOpen, modbusDevice, modbusPoint, tcpConnection } from '../helpers/modbus-fixtures.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, type PymodbusUnit, type RegisterEntry, startPymodbus } from '../helpers/pymodbus.js';
import { startPtyPair, type PtyPair } from '../helpers/socat.js';

const ORDERS: WordOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
const VALUES: { type: Exclude<ModbusType, 'bool'>; width: number; value: number | string }[] = [
  { type: 'int16', width: 1, value: -12345 },
  { type: 'uint16', width: 1, value: 54321 },
  { type: 'int32', width: 2, value: -123456789 },
  { type: 'uint32', width: 2, value: 3_000_000_000 },
  { type: 'int64', width: 4, value: -1_234_567_890_123 },
  { type: 'uint64', width: 4, value: Number.MAX_SAFE_INTEGER },
  { type: 'float32', width: 2, value: -273.25 },
  { type: 'float64', width: 4, value: 1234.5678 },
  { type: 'string', width: 5, value: 'UPS-3000' },
];
const STRING_LENGTH = 10;

interface TypedCase {
  key: string;
  type: Exclude<ModbusType, 'bool'>;
  order: WordOrder;
  address: number;
  value: number | string;
}

/** Every type in every word order, packed back to back from holding register 0. */
const TYPED: TypedCase[] = [];
{
  let address = 0;
  for (const order of ORDERS) {
    for (const { type, width, value } of VALUES) {
      TYPED.push({ key: `${type}_${order}`, type, order, address, value });
      address += width;
    }
  }
}

function typedEntry(c: TypedCase): RegisterEntry {
  if (c.type === 'string') {
    return { address: c.address, type: 'string', length: STRING_LENGTH, order: c.order, value: c.value as string };
  }
  // Word order is about multi-register values (point.ts): a 16-bit register is big-endian on the
  // wire whatever the device's order, so the peer packs those plainly.
  const order = c.type === 'int16' || c.type === 'uint16' ? 'ABCD' : c.order;
  return { address: c.address, type: c.type, order, value: c.value as number };
}

const UNIT_1: PymodbusUnit = {
  holding: TYPED.map(typedEntry),
  input: [
    { address: 0, type: 'uint16', value: 2301 },
    { address: 1, type: 'int16', value: -55 },
    { address: 2, raw: [0b0000_0000_0000_0101] },
  ],
  coils: [{ address: 0, bits: [true, false, true, true, false, false, false, false, true] }],
  discrete: [{ address: 10, bits: [false, true] }],
};
// Unit 3 has a hole at holding 2, and at coil 1.
const UNIT_3: PymodbusUnit = {
  holding: [{ address: 0, raw: [10, 11] }, { address: 3, raw: [13] }],
  coils: [{ address: 0, bits: [true] }, { address: 2, bits: [true] }],
};
const UNIT_2: PymodbusUnit = { holding: [{ address: 0, raw: [42, 43] }] };

const tcpAvailable = peersAvailable('pymodbus');
const rtuAvailable = peersAvailable('socat', 'pymodbus');

function signal(): AbortSignal {
  return AbortSignal.timeout(10_000);
}

function byKey(samples: Sample[]): Record<string, Sample> {
  return Object.fromEntries(samples.map((s) => [s.pointId.slice(s.pointId.indexOf('.') + 1), s]));
}

describe.skipIf(!tcpAvailable)('Modbus TCP against pymodbus', () => {
  let peer: PymodbusPeer;
  let port: number;
  const drivers: Driver[] = [];
  const pools: ModbusLinkPool[] = [];

  beforeAll(async () => {
    peer = await startPymodbus({ transport: 'tcp' }, { 1: UNIT_1, 2: UNIT_2, 3: UNIT_3 });
    port = peer.port as number;
  });

  afterAll(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    await Promise.all(pools.map((p) => p.close()));
    await peer?.stop();
  });

  function setUp(connection: ModbusConnection, device: (c: ModbusConnection) => ReturnType<typeof modbusDevice>) {
    const counter = countingOpen();
    const links = createModbusLinkPool({ open: counter.open });
    pools.push(links);
    const driver = createModbusDriver(device(connection), { links });
    drivers.push(driver);
    return { driver, counter, links };
  }

  describe('every type in every word order, in one merged request', () => {
    let samples: Record<string, Sample>;
    let requests: number;

    beforeAll(async () => {
      // Points listed in reverse address order: the driver must answer in point order anyway.
      const points = [...TYPED].reverse().map((c) =>
        modbusPoint('meter', c.key, c.address, {
          type: c.type,
          wordOrder: c.order,
          ...(c.type === 'string' ? { length: STRING_LENGTH } : {}),
        }),
      );
      const { driver, counter } = setUp(tcpConnection(port), (c) => modbusDevice('meter', c, points));
      await driver.connect(signal());
      const read = await driver.read(signal());
      expect(read.map((s) => s.pointId)).toEqual(points.map((p) => p.id));
      samples = byKey(read);
      requests = counter.requests.length;
    });

    it.each(TYPED)('$type $order at holding $address reads $value', (c) => {
      expect(samples[c.key]).toMatchObject({ value: c.value, quality: 'good' });
    });

    it('read all of them (104 registers) in a single request', () => {
      expect(requests).toBe(1);
    });
  });

  it('reads input registers with scale and bit fields, coils and discrete inputs', async () => {
    const points = [
      modbusPoint('crac', 'supply_temp', 1, { table: 'input', type: 'int16', scale: 0.1 }),
      modbusPoint('crac', 'voltage', 0, { table: 'input', scale: 0.1 }),
      modbusPoint('crac', 'fan_on', 2, { table: 'input', bit: 0 }),
      modbusPoint('crac', 'alarm', 2, { table: 'input', bit: 1 }),
      modbusPoint('crac', 'compressor', 2, { table: 'input', bit: 2 }),
      ...[0, 1, 2, 3, 8].map((a) => modbusPoint('crac', `coil${a}`, a, { table: 'coil', type: 'bool' })),
      modbusPoint('crac', 'door', 10, { table: 'discrete', type: 'bool' }),
      modbusPoint('crac', 'leak', 11, { table: 'discrete', type: 'bool' }),
    ];
    const { driver, counter } = setUp(tcpConnection(port), (c) => modbusDevice('crac', c, points));
    await driver.connect(signal());
    const s = byKey(await driver.read(signal()));
    const values = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.value]));
    expect(values).toEqual({
      supply_temp: -5.5,
      voltage: 230.1,
      fan_on: true,
      alarm: false,
      compressor: true,
      coil0: true,
      coil1: false,
      coil2: true,
      coil3: true,
      coil8: true,
      door: false,
      leak: true,
    });
    expect(Object.values(s).every((x) => x.quality === 'good')).toBe(true);
    // one request per table: coils 0–8, discrete 10–11, input 0–2
    expect(counter.requests.map((r) => `${r.table}:${r.address}+${r.count}`)).toEqual([
      'coil:0+9',
      'discrete:10+2',
      'input:0+3',
    ]);
  });

  it('an illegal address makes only that point bad, and the split is remembered', async () => {
    const points = [0, 1, 2, 3].map((a) => modbusPoint('pdu', `r${a}`, a));
    points.push(modbusPoint('pdu', 'c0', 0, { table: 'coil', type: 'bool' }));
    points.push(modbusPoint('pdu', 'c1', 1, { table: 'coil', type: 'bool' }));
    const { driver, counter } = setUp(tcpConnection(port, 3), (c) => modbusDevice('pdu', c, points));
    await driver.connect(signal());
    for (let poll = 0; poll < 2; poll++) {
      const s = byKey(await driver.read(signal()));
      expect(s.r0).toMatchObject({ value: 10, quality: 'good' });
      expect(s.r1).toMatchObject({ value: 11, quality: 'good' });
      expect(s.r2).toMatchObject({ value: null, quality: 'bad', reason: 'illegal-address' });
      expect(s.r3).toMatchObject({ value: 13, quality: 'good' });
      expect(s.c0).toMatchObject({ value: true, quality: 'good' });
      expect(s.c1).toMatchObject({ value: null, quality: 'bad', reason: 'illegal-address' });
    }
    const sent = counter.requests.map((r) => `${r.table}:${r.address}+${r.count}`);
    // first poll: the merged reads fail and are split; second poll: only the split reads
    expect(sent).toEqual([
      'coil:0+2',
      'coil:0+1',
      'coil:1+1',
      'holding:0+4',
      'holding:0+1',
      'holding:1+1',
      'holding:2+1',
      'holding:3+1',
      'coil:0+1',
      'coil:1+1',
      'holding:0+1',
      'holding:1+1',
      'holding:2+1',
      'holding:3+1',
    ]);
  });

  it('several unit ids share one connection, opened once even when they connect together', async () => {
    const counter = countingOpen();
    const links = createModbusLinkPool({ open: counter.open });
    pools.push(links);
    const a = createModbusDriver(modbusDevice('a', tcpConnection(port, 2), [modbusPoint('a', 'x', 1)]), { links });
    const b = createModbusDriver(modbusDevice('b', tcpConnection(port, 3), [modbusPoint('b', 'x', 1)]), { links });
    drivers.push(a, b);
    expect(a.linkId).toBe(`tcp://127.0.0.1:${port}`);
    expect(b.linkId).toBe(a.linkId);
    await Promise.all([a.connect(signal()), b.connect(signal())]);
    expect(counter.opens).toBe(1);
    expect(links.holders(a.linkId)).toBe(2);
    const [ra, rb] = await Promise.all([a.read(signal()), b.read(signal())]);
    expect(ra[0]).toMatchObject({ value: 43, quality: 'good' });
    expect(rb[0]).toMatchObject({ value: 11, quality: 'good' });
    // the link stays open while one device still holds it
    await a.close();
    expect(links.holders(a.linkId)).toBe(1);
    expect((await b.read(signal()))[0]).toMatchObject({ value: 11 });
    await b.close();
    expect(links.holders(a.linkId)).toBe(0);
  });

  it('a unit that never answers is a timeout DriverError, within the timeout', async () => {
    // pymodbus drops requests for units it does not serve, like a bus with a dead device.
    const { driver } = setUp(tcpConnection(port, 9, 300), (c) =>
      modbusDevice('ghost', c, [modbusPoint('ghost', 'x', 0)]),
    );
    await driver.connect(signal());
    const started = Date.now();
    const err = await driver.read(signal()).catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ reason: 'timeout', retryable: true, deviceId: 'ghost' });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(300 + 500);
  });

  it('a refused connection is a retryable comm DriverError', async () => {
    const spare = await startPymodbus({ transport: 'tcp' }, { 1: UNIT_2 });
    const deadPort = spare.port as number;
    await spare.stop();
    const { driver } = setUp(tcpConnection(deadPort), (c) => modbusDevice('gone', c, [modbusPoint('gone', 'x', 0)]));
    const err = await driver.connect(signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ reason: 'comm', retryable: true, deviceId: 'gone' });
    await expect(driver.read(signal())).rejects.toMatchObject({ reason: 'comm' });
  });
});

describe.skipIf(!rtuAvailable)('Modbus RTU over a virtual serial cable against pymodbus', () => {
  let pair: PtyPair;
  let peer: PymodbusPeer;
  const links = createModbusLinkPool();
  const drivers: Driver[] = [];

  const rtu = (unitId: number, baudRate = 19200): ModbusConnection => ({
    transport: 'rtu',
    serialPort: pair.b,
    baudRate,
    parity: 'none',
    dataBits: 8,
    stopBits: 1,
    unitId,
    timeoutMs: 1000,
  });

  beforeAll(async () => {
    pair = await startPtyPair();
    peer = await startPymodbus({ transport: 'rtu', serialPort: pair.a, baudRate: 19200 }, { 1: UNIT_1, 2: UNIT_2 });
  });

  afterAll(async () => {
    await Promise.all(drivers.map((d) => d.close()));
    await links.close();
    await peer?.stop();
    await pair?.stop();
  });

  it('reads typed values, bits and a second unit on the same bus', async () => {
    const pick = TYPED.filter((c) => ['float32_CDAB', 'int32_DCBA', 'uint64_BADC', 'string_ABCD'].includes(c.key));
    const points = pick.map((c) =>
      modbusPoint('ups', c.key, c.address, {
        type: c.type,
        wordOrder: c.order,
        ...(c.type === 'string' ? { length: STRING_LENGTH } : {}),
      }),
    );
    points.push(modbusPoint('ups', 'coil3', 3, { table: 'coil', type: 'bool' }));
    points.push(modbusPoint('ups', 'voltage', 0, { table: 'input', scale: 0.1 }));
    const ups = createModbusDriver(modbusDevice('ups', rtu(1), points, { maxGap: 0 }), { links });
    const meter = createModbusDriver(modbusDevice('meter', rtu(2), [modbusPoint('meter', 'x', 0)]), { links });
    drivers.push(ups, meter);
    expect(ups.linkId).toBe(`rtu:${pair.b}`);
    expect(meter.linkId).toBe(ups.linkId);
    await Promise.all([ups.connect(signal()), meter.connect(signal())]);

    for (let poll = 0; poll < 3; poll++) {
      const s = byKey(await ups.read(signal()));
      for (const c of pick) expect(s[c.key]).toMatchObject({ value: c.value, quality: 'good' });
      expect(s.coil3).toMatchObject({ value: true, quality: 'good' });
      expect(s.voltage).toMatchObject({ value: 230.1, quality: 'good' });
      expect((await meter.read(signal()))[0]).toMatchObject({ value: 42, quality: 'good' });
    }
  });

  it('a device whose serial settings contradict the bus is refused for good', async () => {
    const first = createModbusDriver(modbusDevice('first', rtu(1), [modbusPoint('first', 'x', 0)]), { links });
    const odd = createModbusDriver(modbusDevice('odd', rtu(2, 9600), [modbusPoint('odd', 'x', 0)]), { links });
    drivers.push(first, odd);
    await first.connect(signal());
    const err = await odd.connect(signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect(err).toMatchObject({ retryable: false, deviceId: 'odd' });
    expect((err as Error).message).toMatch(/baudRate 19200/);
  });
});
