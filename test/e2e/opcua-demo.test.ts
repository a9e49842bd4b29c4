/**
 * OPC UA next to Modbus as `gateway demo` runs them: a Modbus CRAC and the OPC UA cooling plant
 * simulated in one process, live values from both in the API, and one cooling-failure switch
 * (`gateway scenario`) reaching both simulators.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

interface PointRow {
  id: string;
  value: unknown;
  quality: string | null;
  ts: number | null;
}

describe('opcua in the demo', () => {
  let dir: string;
  let httpPort: number;
  let controlPort: number;
  let child: ReturnType<typeof spawnCli>;
  let token = '';
  let last: PointRow[] = [];
  const points = async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/points`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as PointRow[];
  };
  const value = async (id: string) => (await points()).find((p) => p.id === id)?.value;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-opcua-demo-'));
    httpPort = await freePort();
    controlPort = await freePort();
    const [modbusPort, opcuaPort] = [await freePort(), await freePort()];
    writeFileSync(
      join(dir, 'site.yaml'),
      `gateway: { id: opcua-demo, dataDir: ./data }
http: { host: 127.0.0.1, port: ${httpPort} }
devices:
  - { id: crac1, driver: modbus, kind: hvac, connection: { host: 127.0.0.1, port: ${modbusPort}, unitId: 1 }, profile: crac-generic }
  - id: crac3
    kind: hvac
    driver: opcua
    connection: { endpoint: "opc.tcp://127.0.0.1:${opcuaPort}/UA/Site" }
    subscription: { publishingIntervalMs: 200, samplingIntervalMs: 100 }
    browseRoot: Cooling/CRAC-3
    points:
      - { key: supply_temp, unit: °C, browsePath: SupplyAirTemp }
      - { key: compressor_running, browsePath: CompressorRunning }
  - id: chiller1
    driver: opcua
    mode: poll
    connection: { endpoint: "opc.tcp://127.0.0.1:${opcuaPort}/UA/Site" }
    points:
      - { key: running, nodeId: "ns=1;s=Chiller-1.Running" }
      - { key: power, unit: kW, nodeId: "ns=1;s=Chiller-1.Power" }
`,
    );
    const created = runCli(['token', 'create', '--name', 'e2e', '--role', 'viewer', '--config', join(dir, 'site.yaml')]);
    expect(created.code).toBe(0);
    token = created.stdout.trim();
    child = spawnCli(['demo', '--config', join(dir, 'site.yaml'), '--control-port', String(controlPort)]);
    await waitFor(
      async () => {
        const rows = await points();
        last = rows.filter((p) => p.quality !== 'good');
        return rows.length === 0 ? undefined : rows.every((p) => p.quality === 'good') ? rows : undefined;
      },
      30_000,
      'every point good',
    ).catch((err) => {
      throw new Error(`${err.message}\n--- points ---\n${JSON.stringify(last)}\n--- demo output ---\n${child.output()}`);
    });
  }, 45_000);

  afterAll(async () => {
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows live OPC UA values next to the Modbus ones', async () => {
    expect(await value('crac1.supply_temp')).toBeGreaterThan(15);
    expect(await value('crac3.supply_temp')).toBeGreaterThan(15);
    expect(await value('crac3.supply_temp')).toBeLessThan(25);
    expect(await value('crac3.compressor_running')).toBe(true);
    expect(await value('chiller1.power')).toBeGreaterThan(50);
  });

  it('one cooling-failure switch trips the Modbus and the OPC UA equipment', async () => {
    const control = ['--control', `http://127.0.0.1:${controlPort}`];
    expect(runCli(['scenario', 'cooling-failure', 'on', ...control]).code).toBe(0);
    try {
      await waitFor(
        async () =>
          (await value('crac1.compressor_running')) === false &&
          (await value('crac3.compressor_running')) === false &&
          (await value('chiller1.running')) === false
            ? true
            : undefined,
        8000,
        'both compressors and the chiller stopped',
      );
    } finally {
      runCli(['scenario', 'cooling-failure', 'off', ...control]);
    }
    await waitFor(async () => ((await value('crac3.compressor_running')) === true ? true : undefined), 8000, 'CRAC-3 running again');
  });
});
