/**
 * The simulated cooling plant (CRAC-3 and Chiller-1 over OPC UA) as the gateway sees it: the
 * object model with engineering units, the cooling-failure scenario, `gateway browse` and its
 * YAML points block. One simulated server for the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createOpcuaDriver } from '../../drivers/opcua/driver.js';
import type { OpcuaPoint } from '../../drivers/opcua/point.js';
import { type OpcuaSimulatedSite, startOpcuaSimulatedSite } from '../../drivers/opcua/simulator/index.js';
import { browseCommand } from '../../app/commands/browse.js';
import { silentLogger } from '../../core/logger.js';
import { freePort } from '../helpers/free-port.js';
import { createTestPki, opcuaDevice, silenceOpcuaLibrary, type TestPki } from '../helpers/opcua-fixtures.js';

let dir: string;
let site: OpcuaSimulatedSite;
let endpoint: string;
let pki: TestPki;
const scenarios: Record<string, boolean> = { 'cooling-failure': false };

beforeAll(async () => {
  silenceOpcuaLibrary();
  dir = mkdtempSync(join(tmpdir(), 'opcua-sim-'));
  endpoint = `opc.tcp://127.0.0.1:${await freePort()}/UA/Site`;
  site = await startOpcuaSimulatedSite([opcuaDevice('crac3', endpoint, [])], {
    pkiDir: join(dir, 'sim-pki'),
    scenarios: () => scenarios,
    tickMs: 200,
  });
  pki = createTestPki();
});

afterAll(async () => {
  await site?.stop();
  await pki?.remove();
  rmSync(dir, { recursive: true, force: true });
});

function point(key: string, browsePath: string): OpcuaPoint {
  return { id: `crac3.${key}`, key, name: key, browsePath };
}

describe('opcua simulator', () => {
  it('serves CRAC-3 and Chiller-1 with plausible values, and cooling-failure trips both', async () => {
    const points = [
      point('supply', 'Cooling/CRAC-3/SupplyAirTemp'),
      point('return', 'Cooling/CRAC-3/ReturnAirTemp'),
      point('compressor', 'Cooling/CRAC-3/CompressorRunning'),
      point('status', 'Cooling/CRAC-3/UnitStatus'),
      point('chiller_supply', 'Cooling/Chiller-1/SupplyWaterTemp'),
      point('chiller_running', 'Cooling/Chiller-1/Running'),
      point('chiller_alarm', 'Cooling/Chiller-1/Alarm'),
    ];
    const driver = createOpcuaDriver(opcuaDevice('crac3', endpoint, points, { mode: 'poll' }), { pki, logger: silentLogger });
    try {
      await driver.connect(AbortSignal.timeout(5000));
      const values = async () => Object.fromEntries((await driver.read(AbortSignal.timeout(5000))).map((s) => [s.pointId.split('.')[1], s.value]));
      const normal = await values();
      expect(normal.supply).toBeGreaterThan(15);
      expect(normal.supply).toBeLessThan(22);
      expect(normal.return).toBeGreaterThan(27);
      expect(normal).toMatchObject({ compressor: true, status: 'cooling', chiller_running: true, chiller_alarm: false });
      expect(normal.chiller_supply).toBeCloseTo(7, 0);

      scenarios['cooling-failure'] = true;
      site.tick();
      const failed = await values();
      expect(failed).toMatchObject({ compressor: false, status: 'fault', chiller_running: false, chiller_alarm: true });
      await new Promise((r) => setTimeout(r, 1200));
      const later = await values();
      expect(later.supply as number).toBeGreaterThan(normal.supply as number);
      expect(later.chiller_supply as number).toBeGreaterThan(normal.chiller_supply as number);
    } finally {
      scenarios['cooling-failure'] = false;
      site.tick();
      await driver.close();
    }
    expect(site.endpoints[0]!.sessionCount()).toBe(0);
  });

  it('gateway browse lists the variables with data type, unit and value', async () => {
    let out = '';
    await browseCommand({ endpoint, dataDir: join(dir, 'gw'), root: 'Cooling', write: (t) => (out += t) });
    expect(out).toContain('CRAC-3/  (ns=1;s=CRAC-3)');
    expect(out).toMatch(/\n {2}SupplyAirTemp {2}Double {2}\[°C\] {2}ns=1;s=CRAC-3\.SupplyAirTemp {2}= \d+(\.\d+)?\n/);
    expect(out).toMatch(/\n {2}Running {2}Boolean {2}ns=1;s=Chiller-1\.Running {2}= (true|false)\n/);
    expect(out).toContain('15 variables');
  });

  it('gateway browse --yaml prints a points block with unique keys, names, units and addresses', async () => {
    let out = '';
    await browseCommand({ endpoint, dataDir: join(dir, 'gw'), root: 'Cooling', yaml: true, byPath: true, write: (t) => (out += t) });
    const { points } = parse(out) as { points: Array<Record<string, string>> };
    expect(points).toHaveLength(15);
    expect(points[0]).toEqual({ key: 'supply_air_temp', name: 'Supply air temperature', unit: '°C', browsePath: '1:CRAC-3/1:SupplyAirTemp' });
    const keys = points.map((p) => p.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('compressor_running');
    expect(points.find((p) => p.key === 'power')).toEqual({ key: 'power', name: 'Electrical power', unit: 'kW', browsePath: '1:Chiller-1/1:Power' });
  });
});
