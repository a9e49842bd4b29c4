/**
 * What issue 13 promised a facility manager: a UPS read over SNMP looks like any other UPS. Three
 * UPSs on one gateway: UPS-1 over Modbus (ups-generic, from the Modbus simulator), UPS-3 over
 * SNMP from the gateway's own simulator (ups-mib) and UPS-4 over SNMP from Debian's snmpsim
 * serving a UPS-MIB recording. The overview page must give all three the same tile keys and
 * count each in the UPS key figures (highest load, lowest runtime), with live values.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import type { RunningSimulation } from '../../core/driver-module.js';
import { silentLogger } from '../../core/logger.js';
import { initialScenarios } from '../../core/scenarios.js';
import { modbusModule } from '../../drivers/modbus/module.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import type { SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { snmpModule } from '../../drivers/snmp/module.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { type SnmpsimPeer, startSnmpsim } from '../helpers/snmpsim.js';

const COMMUNITY = 'page-e2e';
const UPS_MIB_RECORDS = readFileSync(new URL('../fixtures/snmprec/ups-mib.snmprec', import.meta.url), 'utf8').split('\n').filter(Boolean);
const UPS_IDS = ['ups1', 'ups3', 'ups4'];

describe.skipIf(!peersAvailable('snmpsim'))('an SNMP UPS on the page, beside a Modbus one', () => {
  let dir: string;
  let agent: SnmpsimPeer;
  let gateway: RunningGateway;
  let token: string;
  const simulations: RunningSimulation[] = [];
  let saved: string | undefined;

  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`${path}: HTTP ${res.status}`);
    return res;
  };

  beforeAll(async () => {
    saved = process.env.SNMP_PAGE_COMMUNITY;
    process.env.SNMP_PAGE_COMMUNITY = COMMUNITY;
    agent = await startSnmpsim({ [COMMUNITY]: UPS_MIB_RECORDS });
    dir = mkdtempSync(join(tmpdir(), 'gw-snmp-page-'));
    const file = join(dir, 'site.yaml');
    const [modbusPort, simPort] = [await freePort(), await freePort()];
    const ups = (id: string, connection: string, profile: string, driver: string) => `  - id: ${id}
    name: ${id.toUpperCase()} Hall B
    kind: ups
    location: Hall B
    driver: ${driver}
    connection: ${connection}
    pollIntervalMs: 500
    profile: ${profile}`;
    const snmp = (port: number) => `{ host: 127.0.0.1, port: ${port}, version: 2c, community: "\${SNMP_PAGE_COMMUNITY}", timeoutMs: 1000 }`;
    writeFileSync(
      file,
      [
        'gateway: { id: snmp-page, dataDir: ./data }',
        'http: { host: 127.0.0.1, port: 0 }',
        'storage: { commitIntervalMs: 50 }',
        'devices:',
        ups('ups1', `{ host: 127.0.0.1, port: ${modbusPort}, unitId: 1, timeoutMs: 1000 }`, 'ups-generic', 'modbus'),
        ups('ups3', snmp(simPort), 'ups-mib', 'snmp'),
        ups('ups4', snmp(agent.port), 'ups-mib', 'snmp'),
        '',
      ].join('\n'),
    );
    const config = loadSiteConfig(file);
    // The simulators serve ups1 and ups3; ups4 is snmpsim's.
    const context = { site: config, dataDir: config.gateway.dataDir, logger: silentLogger, env: process.env, scenarios: () => initialScenarios() };
    const modbusDevices = config.devices.filter((d): d is typeof d & ModbusDeviceConfig => d.id === 'ups1');
    const snmpDevices = config.devices.filter((d): d is typeof d & SnmpDeviceConfig => d.id === 'ups3');
    simulations.push(await modbusModule.simulate!(modbusDevices, context));
    simulations.push(await snmpModule.simulate!(snmpDevices, context));
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    token = createTokenStore(authDb).create('page-e2e', 'viewer').token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const devices = (await (await get('/api/v1/devices')).json()) as Array<{ id: string; status: string }>;
      const points = (await (await get('/api/v1/points')).json()) as Array<{ id: string; ts: number | null }>;
      if (devices.every((d) => d.status === 'up') && points.every((p) => p.ts !== null)) break;
      if (Date.now() > deadline) throw new Error(`not every UPS up with values: ${JSON.stringify(devices)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    for (const s of simulations) await s.stop();
    await agent?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.SNMP_PAGE_COMMUNITY;
    else process.env.SNMP_PAGE_COMMUNITY = saved;
  });

  it('gives every UPS the same tile keys, whatever its protocol', async () => {
    const page = await (await get('/')).text();
    const tileKeys = (id: string) => {
      const tile = new RegExp(`<a class="tile[^"]*"[^>]*data-device="${id}"[\\s\\S]*?</a>`).exec(page)?.[0] ?? '';
      return [...tile.matchAll(/data-point="[^".]+\.([a-z0-9_]+)"/g)].map((m) => m[1]);
    };
    expect(tileKeys('ups1')).toEqual(['output_load', 'runtime_remaining', 'battery_charge', 'mode']);
    for (const id of UPS_IDS) expect(tileKeys(id), id).toEqual(tileKeys('ups1'));
  });

  it('counts every UPS in the UPS key figures', async () => {
    const page = await (await get('/')).text();
    const figurePoints = (figure: string) => (new RegExp(`data-figure="${figure}"[^>]*data-points="([^"]*)"`).exec(page)?.[1] ?? '').split(' ');
    expect(figurePoints('ups-load').sort()).toEqual(UPS_IDS.map((id) => `${id}.output_load`));
    expect(figurePoints('ups-runtime').sort()).toEqual(UPS_IDS.map((id) => `${id}.runtime_remaining`));
  });

  it('shows the same quantities in the same units, with good live values', async () => {
    const points = (await (await get('/api/v1/points')).json()) as Array<{ id: string; unit?: string | null; value: unknown; quality: string }>;
    const of = (id: string) => points.find((p) => p.id === id)!;
    for (const key of ['output_load', 'runtime_remaining', 'battery_charge', 'input_voltage', 'on_battery']) {
      const units = UPS_IDS.map((id) => of(`${id}.${key}`).unit ?? null);
      expect(new Set(units).size, `${key}: ${units.join(', ')}`).toBe(1);
      for (const id of UPS_IDS) expect(of(`${id}.${key}`).quality, `${id}.${key}`).toBe('good');
    }
    // snmpsim's recording: 48 % load, 42 min left, mains normal
    expect(of('ups4.output_load').value).toBe(48);
    expect(of('ups4.runtime_remaining').value).toBe(42);
    expect(of('ups4.on_battery').value).toBe(false);
    for (const id of ['ups1', 'ups3']) {
      expect(of(`${id}.input_voltage`).value as number).toBeGreaterThan(200);
      expect(of(`${id}.on_battery`).value).toBe(false);
    }
  });
});
