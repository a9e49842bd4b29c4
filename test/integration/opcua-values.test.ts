/**
 * What the OPC UA driver delivers, against node-opcua's server: pushed changes with the server's
 * timestamps, status codes as qualities, value types, browse paths, missing nodes, deadbands, and
 * the batched Read of poll mode. One server for the file.
 */
import { StatusCodes } from 'node-opcua';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOpcuaDriver } from '../../drivers/opcua/driver.js';
import type { OpcuaPoint } from '../../drivers/opcua/point.js';
import { type Driver, isPushSource } from '../../core/driver.js';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { createTestPki, opcuaDevice, silenceOpcuaLibrary, type TestPki } from '../helpers/opcua-fixtures.js';
import { startTestOpcuaServer, type TestOpcuaServer, testPoints } from '../helpers/opcua-server.js';

let server: TestOpcuaServer;
let pki: TestPki;
let driver: Driver | undefined;

beforeAll(async () => {
  silenceOpcuaLibrary();
  server = await startTestOpcuaServer();
  pki = createTestPki();
});

afterEach(async () => {
  await driver?.close();
  driver = undefined;
  server.set('Temperature', 21.5);
});

afterAll(async () => {
  await server?.dispose();
  await pki?.remove();
});

const signal = () => AbortSignal.timeout(5000);

function point(key: string, address: Partial<OpcuaPoint>): OpcuaPoint {
  return { id: `pump.${key}`, key, name: key, ...address };
}

async function connected(points: OpcuaPoint[], mode: 'subscribe' | 'poll' = 'subscribe') {
  const d = createOpcuaDriver(opcuaDevice('pump', server.endpoint, points, { mode }), { pki, logger: silentLogger });
  driver = d;
  await d.connect(signal());
  const pushed: Sample[] = [];
  // a poll-mode device is no push source: the sampler stores what read() returns
  expect(isPushSource(d)).toBe(mode === 'subscribe');
  if (isPushSource(d)) d.subscribe((samples) => pushed.push(...samples));
  return { driver: d, pushed };
}

async function until<T>(find: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const found = find();
    if (found !== undefined) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not seen within ${ms} ms`);
}

describe('opcua values', () => {
  it('pushes each change with the source timestamp the server gave it', async () => {
    const { pushed } = await connected(testPoints('pump'));
    const at = new Date(Date.now() - 5000);
    server.set('Temperature', 30.25, StatusCodes.Good, at);
    const sample = await until(() => pushed.find((s) => s.pointId === 'pump.temperature' && s.value === 30.25));
    expect(sample).toEqual({ pointId: 'pump.temperature', ts: at.getTime(), value: 30.25, quality: 'good' });
  });

  it.each([
    { status: StatusCodes.BadSensorFailure, quality: 'bad', value: null, reason: 'BadSensorFailure' },
    { status: StatusCodes.UncertainLastUsableValue, quality: 'uncertain', value: 19.5, reason: 'UncertainLastUsableValue' },
    { status: StatusCodes.GoodLocalOverride, quality: 'good', value: 19.5, reason: undefined },
  ])('maps status $status.name to quality $quality', async ({ status, quality, value, reason }) => {
    const { pushed } = await connected(testPoints('pump'));
    pushed.length = 0;
    server.set('Temperature', 19.5, status);
    const sample = await until(() => pushed.find((s) => s.pointId === 'pump.temperature' && s.quality === quality));
    expect({ value: sample.value, reason: sample.reason }).toEqual({ value, reason });
  });

  describe.each(['subscribe', 'poll'] as const)('%s mode', (mode) => {
    it('reads numbers, booleans, strings and Int64, by NodeId or browse path; a missing node is a bad point', async () => {
      const points = [
        ...testPoints('pump'),
        point('stale', { nodeId: 'ns=1;s=Test.Stale' }),
        point('gone', { nodeId: 'ns=1;s=Test.DoesNotExist' }),
        point('nowhere', { browsePath: 'Plant/Pump-9/Temperature' }),
        point('scaled', { nodeId: 'ns=1;s=Test.Temperature', scale: 10, offset: 1 }),
      ];
      const { driver: d } = await connected(points, mode);
      const samples = await d.read(signal());
      expect(samples.map(({ pointId, value, quality, reason }) => ({ pointId, value, quality, reason }))).toEqual([
        { pointId: 'pump.temperature', value: 21.5, quality: 'good', reason: undefined },
        { pointId: 'pump.running', value: true, quality: 'good', reason: undefined },
        { pointId: 'pump.label', value: 'pump one', quality: 'good', reason: undefined },
        { pointId: 'pump.counter', value: 1234567890123, quality: 'good', reason: undefined },
        { pointId: 'pump.stale', value: 3.25, quality: 'uncertain', reason: 'UncertainLastUsableValue' },
        { pointId: 'pump.gone', value: null, quality: 'bad', reason: 'BadNodeIdUnknown' },
        { pointId: 'pump.nowhere', value: null, quality: 'bad', reason: 'BadNoMatch' },
        { pointId: 'pump.scaled', value: 216, quality: 'good', reason: undefined },
      ]);
    });
  });

  it('hands a new subscriber the values already known, then only changes', async () => {
    const { pushed } = await connected(testPoints('pump'));
    expect(pushed.map((s) => s.pointId).sort()).toEqual(['pump.counter', 'pump.label', 'pump.running', 'pump.temperature']);
  });

  it('an absolute deadband holds back changes smaller than it', async () => {
    const points = [point('temperature', { nodeId: 'ns=1;s=Test.Temperature', deadband: { type: 'absolute', value: 1 } })];
    const { pushed } = await connected(points);
    pushed.length = 0;
    server.set('Temperature', 21.9);
    await new Promise((r) => setTimeout(r, 400));
    server.set('Temperature', 23);
    await until(() => pushed.find((s) => s.value === 23));
    expect(pushed.map((s) => s.value)).toEqual([23]);
  });

  it('a percent deadband works on a variable with an EURange', async () => {
    const points = [point('temperature', { nodeId: 'ns=1;s=Test.Temperature', deadband: { type: 'percent', value: 5 } })];
    const { driver: d, pushed } = await connected(points);
    expect((await d.read(signal()))[0]!.quality).toBe('good');
    pushed.length = 0;
    server.set('Temperature', 24); // 2.5 % of 0..100
    await new Promise((r) => setTimeout(r, 400));
    server.set('Temperature', 30);
    await until(() => pushed.find((s) => s.value === 30));
    expect(pushed.map((s) => s.value)).toEqual([30]);
  });

  it('poll mode reads every point of a device in one Read request per poll', async () => {
    const reads: number[] = [];
    const onRequest = (request: { constructor: { name: string }; nodesToRead?: unknown[] }) => {
      if (request.constructor.name === 'ReadRequest') reads.push(request.nodesToRead?.length ?? 0);
    };
    server.running!.server.on('request', onRequest);
    try {
      const { driver: d } = await connected(testPoints('pump'), 'poll');
      reads.length = 0;
      await d.read(signal());
      await d.read(signal());
      expect(reads).toEqual([4, 4]);
    } finally {
      server.running!.server.off('request', onRequest);
    }
  });
});
