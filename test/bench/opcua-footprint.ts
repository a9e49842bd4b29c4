/**
 * What an OPC UA device costs the gateway process: RSS of `gateway run` on a one-device Modbus site,
 * then on the same site plus the simulated CRAC-3 over OPC UA (subscriptions). node-opcua loads
 * only in the second case. Both against one `gateway simulate` process.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchRow } from './bench-row.js';
import type { ChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { startGatewayProcess, startSimulator, waitForDevicesUp } from './gateway-processes.js';
import { memoryOf } from './proc-stats.js';
import { createTempDir } from './temp-dir.js';

export interface FootprintOptions {
  children: ChildGroup;
  cli: string;
  /** after every device is up, before reading RSS (default 3000) */
  settleMs?: number;
}

const CRAC_POINTS = ['SupplyAirTemp', 'ReturnAirTemp', 'Humidity', 'FanSpeed', 'CompressorRunning', 'HighTempAlarm', 'UnitStatus'];

function writeSite(file: string, dataDir: string, httpPort: number, modbusPort: number, opcuaPort?: number): void {
  const lines = [
    `gateway: { id: bench-footprint, dataDir: ${JSON.stringify(dataDir)} }`,
    `http: { host: 127.0.0.1, port: ${httpPort} }`,
    'storage: { synchronous: normal }',
    'devices:',
    '  - id: ups1',
    '    driver: modbus',
    `    connection: { host: 127.0.0.1, port: ${modbusPort}, unitId: 1 }`,
    '    points:',
    ...['input_voltage', 'output_voltage', 'output_load', 'battery_charge'].map((key, i) => `      - { key: ${key}, table: holding, address: ${i} }`),
  ];
  if (opcuaPort !== undefined) {
    lines.push(
      '  - id: crac3',
      '    driver: opcua',
      `    connection: { endpoint: "opc.tcp://127.0.0.1:${opcuaPort}/UA/Site" }`,
      '    browseRoot: Cooling/CRAC-3',
      '    points:',
      ...CRAC_POINTS.map((name) => `      - { key: ${name.toLowerCase()}, browsePath: ${name} }`),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

async function gatewayRss(opts: FootprintOptions, file: string, httpPort: number, devices: number): Promise<number> {
  const gateway = startGatewayProcess(opts.children, opts.cli, file);
  try {
    await waitForDevicesUp(gateway, httpPort, devices, 30_000);
    await sleep(opts.settleMs ?? 3000);
    return memoryOf(gateway.pid).rssMB;
  } finally {
    await gateway.stop();
  }
}

export async function benchOpcuaFootprint(opts: FootprintOptions): Promise<BenchRow[]> {
  const dir = createTempDir('bench-opcua-rss-');
  try {
    const [modbusPort, opcuaPort, httpA, httpB, controlPort] = await freePorts(5);
    const withOpcua = join(dir.path, 'with-opcua.yaml');
    const modbusOnly = join(dir.path, 'modbus-only.yaml');
    writeSite(withOpcua, join(dir.path, 'data-b'), httpB!, modbusPort!, opcuaPort!);
    writeSite(modbusOnly, join(dir.path, 'data-a'), httpA!, modbusPort!);
    const simulator = await startSimulator(opts.children, opts.cli, withOpcua, controlPort!);
    try {
      const base = await gatewayRss(opts, modbusOnly, httpA!, 1);
      const opcua = await gatewayRss(opts, withOpcua, httpB!, 2);
      return [
        { name: 'gateway RSS, 1 Modbus device (node-opcua not loaded)', value: base, unit: 'MB' },
        {
          name: 'gateway RSS, + 1 OPC UA device (7 monitored items)',
          value: opcua,
          unit: 'MB',
          baseline: 'gateway RSS, Modbus only',
          ratio: opcua / base,
        },
        { name: 'RSS an OPC UA device adds (node-opcua loaded)', value: opcua - base, unit: 'MB' },
      ];
    } finally {
      await simulator.stop();
    }
  } finally {
    dir.remove();
  }
}
