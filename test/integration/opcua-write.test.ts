/**
 * The OPC UA driver's Write (issue 14) against node-opcua's server: every supported DataType is
 * written and read back by a separate client session (not the driver's), scale and offset are
 * undone, an enumeration goes as Int32, and refusals carry the status name (the server's
 * BadNotWritable, or the gateway's own BadTypeMismatch / BadOutOfRange before sending).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeIds, type ClientSession, DataType, OPCUAClient, Variant, VariantArrayType } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverError } from '../../core/errors.js';
import type { Driver, Writable } from '../../core/driver.js';
import { silentLogger } from '../../core/logger.js';
import type { WriteValue } from '../../core/write-spec.js';
import { createOpcuaDriver } from '../../drivers/opcua/driver.js';
import type { OpcuaPoint } from '../../drivers/opcua/point.js';
import { type RunningOpcuaServer, startOpcuaServer } from '../../drivers/opcua/simulator/index.js';
import { freePort } from '../helpers/free-port.js';
import { createTestPki, opcuaDevice, silenceOpcuaLibrary, type TestPki } from '../helpers/opcua-fixtures.js';

/** name → DataType and starting value; every one writable */
const WRITABLE: Record<string, { dataType: DataType | string; value: unknown }> = {
  Bool: { dataType: DataType.Boolean, value: false },
  SByte: { dataType: DataType.SByte, value: 0 },
  Byte: { dataType: DataType.Byte, value: 0 },
  Int16: { dataType: DataType.Int16, value: 0 },
  UInt16: { dataType: DataType.UInt16, value: 0 },
  Int32: { dataType: DataType.Int32, value: 0 },
  UInt32: { dataType: DataType.UInt32, value: 0 },
  Int64: { dataType: DataType.Int64, value: [0, 0] },
  UInt64: { dataType: DataType.UInt64, value: [0, 0] },
  Float: { dataType: DataType.Float, value: 0 },
  Double: { dataType: DataType.Double, value: 0 },
  String: { dataType: DataType.String, value: '' },
  // an enumeration (ServerState, i=852): its Value is an Int32
  Enum: { dataType: 'ServerState', value: 0 },
  // a setpoint kept in tenths of a degree: the point has scale 0.1, offset -5
  Tenths: { dataType: DataType.Int16, value: 0 },
};

let server: RunningOpcuaServer;
let serverPki: string;
let pki: TestPki;
let checker: OPCUAClient;
let checkSession: ClientSession;
let driver: Driver & Writable;

const signal = () => AbortSignal.timeout(5000);
const point = (key: string, extra: Partial<OpcuaPoint> = {}): OpcuaPoint => ({ id: `plc.${key}`, key, name: key, nodeId: `ns=1;s=W.${key}`, ...extra });

beforeAll(async () => {
  silenceOpcuaLibrary();
  serverPki = mkdtempSync(join(tmpdir(), 'opcua-write-server-'));
  server = await startOpcuaServer({
    port: await freePort(),
    pkiDir: serverPki,
    securityModes: ['None'],
    build: ({ namespace, objects }) => {
      const folder = namespace.addFolder(objects, { browseName: 'Writable' });
      for (const [name, spec] of Object.entries(WRITABLE)) {
        const v = namespace.addVariable({
          componentOf: folder,
          browseName: name,
          nodeId: `s=W.${name}`,
          dataType: spec.dataType,
          accessLevel: 'CurrentRead | CurrentWrite',
          userAccessLevel: 'CurrentRead | CurrentWrite',
        });
        const builtIn = typeof spec.dataType === 'string' ? DataType.Int32 : spec.dataType;
        v.setValueFromSource(new Variant({ dataType: builtIn, arrayType: VariantArrayType.Scalar, value: spec.value }));
      }
      const ro = namespace.addVariable({
        componentOf: folder,
        browseName: 'ReadOnly',
        nodeId: 's=W.ReadOnly',
        dataType: 'Double',
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
      });
      ro.setValueFromSource(new Variant({ dataType: DataType.Double, value: 7 }));
    },
  });
  pki = createTestPki();
  const points = [
    ...Object.keys(WRITABLE).map((k) => point(k, k === 'Tenths' ? { scale: 0.1, offset: -5 } : {})),
    point('ReadOnly'),
    point('Missing', { nodeId: 'ns=1;s=W.NoSuchNode' }),
  ];
  driver = createOpcuaDriver(opcuaDevice('plc', server.endpoint, points, { mode: 'poll' }), { pki, logger: silentLogger });
  await driver.connect(signal());
  checker = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
  await checker.connect(server.endpoint);
  checkSession = await checker.createSession();
});

afterAll(async () => {
  await driver?.close();
  await checkSession?.close().catch(() => undefined);
  await checker?.disconnect();
  await server?.stop();
  await pki?.remove();
  rmSync(serverPki, { recursive: true, force: true });
});

/** The Value as the server holds it, read by an independent session. */
async function serverValue(name: string): Promise<{ dataType: DataType; value: unknown }> {
  const dv = await checkSession.read({ nodeId: `ns=1;s=W.${name}`, attributeId: AttributeIds.Value });
  expect(dv.statusCode.isGood()).toBe(true);
  return { dataType: dv.value.dataType, value: dv.value.value };
}

async function refusal(pointKey: string, value: WriteValue): Promise<DriverError> {
  const err = await driver.write(`plc.${pointKey}`, value, signal()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

describe('OPC UA write', () => {
  const cases: Array<[name: string, written: WriteValue, dataType: DataType, stored: unknown]> = [
    ['Bool', true, DataType.Boolean, true],
    ['SByte', -100, DataType.SByte, -100],
    ['Byte', 200, DataType.Byte, 200],
    ['Int16', -30000, DataType.Int16, -30000],
    ['UInt16', 65000, DataType.UInt16, 65000],
    ['Int32', -2_000_000_000, DataType.Int32, -2_000_000_000],
    ['UInt32', 4_000_000_000, DataType.UInt32, 4_000_000_000],
    // 64-bit values come back as [high, low] words
    ['Int64', -5_000_000_000, DataType.Int64, [0xfffffffe, 0xd5fa0e00]],
    ['UInt64', 1234567890123, DataType.UInt64, [287, 1912276171]],
    ['Float', 21.5, DataType.Float, 21.5],
    ['Double', 22.125, DataType.Double, 22.125],
    ['String', 'café 한글', DataType.String, 'café 한글'],
    ['Enum', 4, DataType.Int32, 4],
  ];
  it.each(cases)('writes %s and the server holds it', async (name, written, dataType, stored) => {
    await driver.write(`plc.${name}`, written, signal());
    expect(await serverValue(name)).toEqual({ dataType, value: stored });
  });

  it('writes false after true', async () => {
    await driver.write('plc.Bool', true, signal());
    await driver.write('plc.Bool', false, signal());
    expect((await serverValue('Bool')).value).toBe(false);
  });

  it('undoes scale and offset, rounding to the integer type', async () => {
    // raw = (value - offset) / scale = (18.04 + 5) / 0.1 = 230.4 → 230
    await driver.write('plc.Tenths', 18.04, signal());
    expect(await serverValue('Tenths')).toEqual({ dataType: DataType.Int16, value: 230 });
    // and the driver reads it back in engineering units
    const samples = await driver.read(signal());
    expect(samples.find((s) => s.pointId === 'plc.Tenths')?.value).toBeCloseTo(18, 6);
    // 23.45 / 0.1 is 234.49999999999997 in binary: it means 234.5, rounded half away from zero
    await driver.write('plc.Tenths', 23.45 - 5, signal());
    expect((await serverValue('Tenths')).value).toBe(235);
  });

  it('refuses a read-only node with the server status BadNotWritable', async () => {
    const err = await refusal('ReadOnly', 1);
    expect(err.reason).toBe('BadNotWritable');
    expect(err.retryable).toBe(false);
    expect((await serverValue('ReadOnly')).value).toBe(7);
  });

  it('refuses a value of the wrong type before sending (BadTypeMismatch)', async () => {
    await driver.write('plc.Double', 1.5, signal());
    expect((await refusal('Double', 'warm')).reason).toBe('BadTypeMismatch');
    expect((await refusal('Bool', 'yes')).reason).toBe('BadTypeMismatch');
    expect((await serverValue('Double')).value).toBe(1.5);
  });

  it('refuses a value beyond the integer type (BadOutOfRange)', async () => {
    await driver.write('plc.Byte', 5, signal());
    expect((await refusal('Byte', 256)).reason).toBe('BadOutOfRange');
    expect((await refusal('UInt16', -1)).reason).toBe('BadOutOfRange');
    expect((await serverValue('Byte')).value).toBe(5);
  });

  it('refuses a node that does not exist and an unknown point, and the session stays usable', async () => {
    // a nodeId is not checked at connect; the DataType read finds it missing
    expect((await refusal('Missing', 1)).reason).toBe('BadNodeIdUnknown');
    expect((await refusal('nope', 1)).reason).toBe('config');
    const samples = await driver.read(signal());
    expect(samples.find((s) => s.pointId === 'plc.Double')?.quality).toBe('good');
  });

  it('does not write when not connected', async () => {
    const idle = createOpcuaDriver(opcuaDevice('plc', server.endpoint, [point('Double')], { mode: 'poll' }), { pki, logger: silentLogger });
    const err = await idle.write('plc.Double', 3, signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).retryable).toBe(true);
    await idle.close();
  });
});
