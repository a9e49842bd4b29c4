/**
 * node-opcua takes 0.6–1 s of CPU to load (issue 19 §6): the gateway's page must answer before it
 * is loaded, with the OPC UA device counted as not up (`connecting`) until its driver has loaded
 * and connected. A real OPC UA simulator on 127.0.0.1; the gateway in a fresh process, so the
 * module cache tells what was loaded when.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpcuaSimulatedSite, startOpcuaSimulatedSite } from '../../drivers/opcua/simulator/index.js';
import { freePort } from '../helpers/free-port.js';
import { opcuaDevice, silenceOpcuaLibrary } from '../helpers/opcua-fixtures.js';

const run = promisify(execFile);
let dir: string;
let site: OpcuaSimulatedSite;
let endpoint: string;

beforeAll(async () => {
  silenceOpcuaLibrary();
  dir = mkdtempSync(join(tmpdir(), 'opcua-deferred-'));
  endpoint = `opc.tcp://127.0.0.1:${await freePort()}/UA/Site`;
  site = await startOpcuaSimulatedSite([opcuaDevice('crac3', endpoint, [])], { pkiDir: join(dir, 'sim-pki'), scenarios: () => ({}), tickMs: 200 });
});

afterAll(async () => {
  await site?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface ProbeLine {
  stage: 'started' | 'settled';
  nodeOpcuaModules: number;
  health: { devices: { total: number; up: number; connecting: number; down: number } };
}

describe('opcua deferred load', () => {
  it('the page answers before node-opcua is loaded, the device counts as connecting, then comes up', async () => {
    const file = join(dir, 'site.yaml');
    writeFileSync(
      file,
      `gateway: { id: probe, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
devices:
  - id: crac3
    driver: opcua
    connection: { endpoint: "${endpoint}" }
    browseRoot: Cooling/CRAC-3
    points: [{ key: supply, browsePath: SupplyAirTemp }, { key: fan, browsePath: FanSpeed }]
`,
    );
    const probe = join(import.meta.dirname, '..', 'helpers', 'opcua-deferred-probe.ts');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, file, '20000'], { timeout: 40_000 });
    const [started, settled] = stdout.trim().split('\n').map((l) => JSON.parse(l) as ProbeLine);
    expect(started?.stage).toBe('started');
    // listening, and node-opcua not loaded yet: the page did not wait for it
    expect(started?.nodeOpcuaModules).toBe(0);
    expect(started?.health.devices).toMatchObject({ total: 1, up: 0, connecting: 1 });
    // then the first connect loaded it, and the device came up
    expect(settled?.nodeOpcuaModules).toBeGreaterThan(10);
    expect(settled?.health.devices).toMatchObject({ total: 1, up: 1 });
  }, 60_000);
});
