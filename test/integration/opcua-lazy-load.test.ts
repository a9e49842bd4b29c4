/**
 * node-opcua costs ~55 MB and ~0.5 s to load: the gateway loads it only when a device uses the
 * OPC UA driver. Checked in a fresh process per config, from the module cache.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'opcua-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODBUS = `
  - id: ups1
    driver: modbus
    connection: { host: 127.0.0.1, port: 1, unitId: 1 }
    points: [{ key: load, table: holding, address: 0 }]`;
const OPCUA = `
  - id: crac3
    driver: opcua
    connection: { endpoint: "opc.tcp://127.0.0.1:1/UA/Site" }
    points: [{ key: supply, nodeId: "ns=1;s=CRAC-3.SupplyAirTemp" }]`;

function site(name: string, devices: string): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `gateway: { id: probe, dataDir: ./${name}-data }\nhttp: { host: 127.0.0.1, port: 0 }\ndevices:${devices}\n`);
  return file;
}

async function probe(file: string): Promise<{ nodeOpcuaModules: number; rssMB: number }> {
  const probeScript = join(import.meta.dirname, '..', 'helpers', 'opcua-module-probe.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', probeScript, file, '300'], { timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { nodeOpcuaModules: number; rssMB: number };
}

describe('opcua lazy loading', () => {
  it('a site without OPC UA devices never loads node-opcua', async () => {
    const result = await probe(site('modbus-only', MODBUS));
    expect(result.nodeOpcuaModules).toBe(0);
  });

  it('a site with an OPC UA device loads it (and pays for it in memory)', async () => {
    const [without, withOpcua] = await Promise.all([probe(site('modbus-again', MODBUS)), probe(site('with-opcua', MODBUS + OPCUA))]);
    expect(withOpcua.nodeOpcuaModules).toBeGreaterThan(10);
    expect(withOpcua.rssMB - without.rssMB).toBeGreaterThan(15);
  });
});
