/**
 * A node-opcua server with a small, known address space for the OPC UA driver tests. It can be
 * stopped and started again on the same port with the same certificate (a server restart).
 *   ns=1;s=Test.Temperature  Double (°C, EURange 0..100)   Objects/Plant/Pump-1/Temperature
 *   ns=1;s=Test.Running      Boolean                       Objects/Plant/Pump-1/Running
 *   ns=1;s=Test.Label        String                        Objects/Plant/Pump-1/Label
 *   ns=1;i=50001             Int64 (1234567890123)         Objects/Plant/Pump-1/Counter
 *   ns=1;s=Test.Stale        Double, UncertainLastUsableValue
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, type StatusCode, StatusCodes, type UAVariable, Variant, VariantArrayType } from 'node-opcua';
import { type OpcuaServerOptions, type RunningOpcuaServer, startOpcuaServer } from '../../drivers/opcua/simulator/index.js';
import type { OpcuaPoint } from '../../drivers/opcua/point.js';
import { freePort } from './free-port.js';

export interface TestOpcuaServer {
  readonly endpoint: string;
  readonly port: number;
  readonly pkiDir: string;
  readonly running: RunningOpcuaServer | undefined;
  /** sets a value (with the source timestamp `at`, default now) */
  set(name: 'Temperature' | 'Running' | 'Label' | 'Stale', value: number | boolean | string, status?: StatusCode, at?: Date): void;
  sessionCount(): number;
  stop(): Promise<void>;
  /** starts again on the same port with the same certificate */
  start(): Promise<void>;
  /** stops and removes its files */
  dispose(): Promise<void>;
}

export type TestServerOptions = Omit<OpcuaServerOptions, 'port' | 'pkiDir' | 'build'>;

export async function startTestOpcuaServer(options: TestServerOptions = {}): Promise<TestOpcuaServer> {
  const port = await freePort();
  const pkiDir = mkdtempSync(join(tmpdir(), 'opcua-test-server-'));
  let running: RunningOpcuaServer | undefined;
  let vars = new Map<string, UAVariable>();
  const types = { Temperature: DataType.Double, Running: DataType.Boolean, Label: DataType.String, Stale: DataType.Double } as const;
  const current = new Map<string, { value: number | boolean | string; status: StatusCode; at?: Date }>([
    ['Temperature', { value: 21.5, status: StatusCodes.Good }],
    ['Running', { value: true, status: StatusCodes.Good }],
    ['Label', { value: 'pump one', status: StatusCodes.Good }],
    ['Stale', { value: 3.25, status: StatusCodes.UncertainLastUsableValue }],
  ]);
  const apply = (name: string) => {
    const v = current.get(name)!;
    const variant = new Variant({ dataType: types[name as keyof typeof types], value: v.value });
    vars.get(name)?.setValueFromSource(variant, v.status, v.at ?? new Date());
  };

  const start = async () => {
    vars = new Map();
    running = await startOpcuaServer({
      ...options,
      port,
      pkiDir,
      build: ({ namespace, objects }) => {
        const plant = namespace.addFolder(objects, { browseName: 'Plant' });
        const pump = namespace.addObject({ organizedBy: plant, browseName: 'Pump-1' });
        vars.set(
          'Temperature',
          namespace.addAnalogDataItem({
            componentOf: pump,
            browseName: 'Temperature',
            nodeId: 's=Test.Temperature',
            dataType: 'Double',
            engineeringUnitsRange: { low: 0, high: 100 },
            minimumSamplingInterval: 0,
          }),
        );
        vars.set('Running', namespace.addVariable({ componentOf: pump, browseName: 'Running', nodeId: 's=Test.Running', dataType: 'Boolean' }));
        vars.set('Label', namespace.addVariable({ componentOf: pump, browseName: 'Label', nodeId: 's=Test.Label', dataType: 'String' }));
        vars.set('Stale', namespace.addVariable({ organizedBy: objects, browseName: 'Stale', nodeId: 's=Test.Stale', dataType: 'Double' }));
        namespace.addVariable({
          componentOf: pump,
          browseName: 'Counter',
          nodeId: 'i=50001',
          dataType: 'Int64',
          value: { dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [287, 1912276171] },
        });
        for (const name of current.keys()) apply(name);
      },
    });
  };
  await start();

  return {
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    port,
    pkiDir,
    get running() {
      return running;
    },
    set(name, value, status = StatusCodes.Good, at) {
      current.set(name, { value, status, ...(at ? { at } : {}) });
      apply(name);
    },
    sessionCount: () => running?.sessionCount() ?? 0,
    async stop() {
      const r = running;
      running = undefined;
      await r?.stop();
    },
    start,
    async dispose() {
      await running?.stop();
      running = undefined;
      rmSync(pkiDir, { recursive: true, force: true });
    },
  };
}

/** Points of the test address space, for device `deviceId`. */
export function testPoints(deviceId: string): OpcuaPoint[] {
  const p = (key: string, address: { nodeId?: string; browsePath?: string }, extra: Partial<OpcuaPoint> = {}): OpcuaPoint => ({
    id: `${deviceId}.${key}`,
    key,
    name: key,
    ...address,
    ...extra,
  });
  return [
    p('temperature', { nodeId: 'ns=1;s=Test.Temperature' }, { unit: '°C' }),
    p('running', { browsePath: 'Plant/Pump-1/Running' }),
    p('label', { nodeId: 'ns=1;s=Test.Label' }),
    p('counter', { browsePath: '1:Plant/1:Pump-1/1:Counter' }),
  ];
}
