/**
 * The simulated SNMP equipment of `gateway simulate`: a UPS-MIB UPS and an APC rPDU2 PDU from
 * the real profiles, read by Net-SNMP's snmpget/snmpwalk (an independent peer) and by the
 * gateway's own SNMP driver: plausible values, the same for both. The power-failure scenario
 * moves upsOutputSource to battery(5) and sends upsTrapOnBattery to the site's trap port.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinProfilesDir, loadSiteConfig } from '../../config/index.js';
import { loadCatalog } from '../../config/profile-catalog.js';
import type { SiteConfig } from '../../config/types.js';
import { silentLogger } from '../../core/logger.js';
import { initialScenarios } from '../../core/scenarios.js';
import type { PointValue } from '../../core/types.js';
import type { SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { createSnmpDriver } from '../../drivers/snmp/driver.js';
import { snmpModule } from '../../drivers/snmp/module.js';
import type { SnmpPoint } from '../../drivers/snmp/point.js';
import { type SnmpSimulator, startSnmpSimulator } from '../../drivers/snmp/simulator/index.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';

const COMMUNITY = 'sim-test-community';
const TRAP_COMMUNITY = 'sim-test-traps';
const UPS_OUTPUT_SOURCE = '1.3.6.1.2.1.33.1.4.1.0';
const UPS_TRAP_ON_BATTERY = '1.3.6.1.2.1.33.2.1';

/** Net-SNMP's tools with no MIB files and no user config, output: value only. */
function netSnmpTool(tool: 'snmpget' | 'snmpwalk', port: number, oids: string[]): Promise<string[]> {
  const env = { ...process.env, MIBS: '', MIBDIRS: '/nonexistent', SNMPCONFPATH: '/nonexistent' };
  const args = ['-v2c', '-c', COMMUNITY, '-t', '2', '-r', '1', '-On', '-Oq', '-Oe', '-Ot', `127.0.0.1:${port}`, ...oids];
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${tool} failed: ${stderr || err.message}`));
      else resolve(stdout.trim().split('\n'));
    });
  });
}

/** `.1.3.6… value` lines → OID → raw text (quotes dropped). */
function byOid(lines: string[]): Map<string, string> {
  return new Map(
    lines.map((line) => {
      const space = line.indexOf(' ');
      return [line.slice(1, space), line.slice(space + 1).replace(/^"|"$/g, '')];
    }),
  );
}

/** What the gateway should make of a raw value (the profile's map, applied by hand). */
function expected(point: SnmpPoint, raw: string): PointValue {
  if (point.type === 'string') return raw;
  const n = Number(raw);
  if (point.trueValues) return point.trueValues.includes(n);
  if (point.enum) return point.enum[raw] ?? null;
  return n * (point.scale ?? 1) + (point.offset ?? 0);
}

function writeSite(dir: string, ports: { ups: number; pdu: number; traps: number }): string {
  const file = join(dir, 'site.yaml');
  writeFileSync(
    file,
    [
      'gateway: { id: sim-test, dataDir: ./data }',
      `snmpTraps: { host: 0.0.0.0, port: ${ports.traps}, communities: ["\${SIM_TEST_TRAP_COMMUNITY}"] }`,
      'devices:',
      `  - { id: ups3, name: UPS-3 Hall B, driver: snmp, profile: ups-mib, connection: { host: 127.0.0.1, port: ${ports.ups}, community: "\${SIM_TEST_COMMUNITY}" } }`,
      `  - { id: pdu-b1, name: PDU Rack B1, driver: snmp, profile: apc-rpdu2, connection: { host: 127.0.0.1, port: ${ports.pdu}, community: "\${SIM_TEST_COMMUNITY}" }, tables: { outlet: { rows: 8, labels: { "1": web-01 } } } }`,
      '',
    ].join('\n'),
  );
  return file;
}

describe.runIf(peersAvailable('snmptrap'))('SNMP simulator', () => {
  let dir: string;
  let config: SiteConfig;
  let devices: SnmpDeviceConfig[];
  let ports: { ups: number; pdu: number; traps: number };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-snmp-sim-'));
    process.env.SIM_TEST_COMMUNITY = COMMUNITY;
    process.env.SIM_TEST_TRAP_COMMUNITY = TRAP_COMMUNITY;
    ports = { ups: await freePort(), pdu: await freePort(), traps: await freePort() };
    config = loadSiteConfig(writeSite(dir, ports));
    devices = config.devices.filter((d): d is SnmpDeviceConfig => d.driver === 'snmp');
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('values', () => {
    let sim: SnmpSimulator;
    const scenarios = initialScenarios();
    let clock = Date.now();

    beforeAll(async () => {
      // a still clock: values move only on tick(), so two readers see the same ones
      sim = await startSnmpSimulator(devices, { scenarios: () => scenarios, now: () => clock, tickMs: 3_600_000, logger: silentLogger });
    });

    afterAll(async () => {
      await sim?.stop();
    });

    it('answers at every device address with the system group', async () => {
      expect(sim.endpoints.map((e) => e.port).sort()).toEqual([ports.ups, ports.pdu].sort());
      const sys = byOid(await netSnmpTool('snmpget', ports.pdu, ['1.3.6.1.2.1.1.2.0', '1.3.6.1.2.1.1.5.0']));
      expect(sys.get('1.3.6.1.2.1.1.2.0')).toBe('.1.3.6.1.4.1.318.1.3.4');
      expect(sys.get('1.3.6.1.2.1.1.5.0')).toBe('pdu-b1');
      const ident = byOid(await netSnmpTool('snmpget', ports.ups, ['1.3.6.1.2.1.33.1.1.1.0']));
      expect(ident.get('1.3.6.1.2.1.33.1.1.1.0')?.length).toBeGreaterThan(0);
    });

    it('serves the outlet table, names included, to a walk', async () => {
      const names = byOid(await netSnmpTool('snmpwalk', ports.pdu, ['1.3.6.1.4.1.318.1.1.26.9.4.3.1.3']));
      expect(names.size).toBe(8);
      expect(names.get('1.3.6.1.4.1.318.1.1.26.9.4.3.1.3.1')).toBe('web-01');
      const currents = byOid(await netSnmpTool('snmpwalk', ports.pdu, ['1.3.6.1.4.1.318.1.1.26.9.4.3.1.6']));
      expect([...currents.keys()]).toEqual(Array.from({ length: 8 }, (_, i) => `1.3.6.1.4.1.318.1.1.26.9.4.3.1.6.${i + 1}`));
    });

    for (const id of ['ups3', 'pdu-b1']) {
      it(`${id}: the driver reads what snmpget reads, every point good`, async () => {
        const device = devices.find((d) => d.id === id)!;
        const driver = createSnmpDriver(device, { logger: silentLogger });
        await driver.connect(AbortSignal.timeout(5000));
        const samples = await driver.read(AbortSignal.timeout(5000));
        await driver.close();
        const raw = byOid(await netSnmpTool('snmpget', device.connection.port, device.points.map((p) => p.oid)));
        expect(samples.map((s) => [s.pointId, s.quality])).toEqual(device.points.map((p) => [p.id, 'good']));
        device.points.forEach((point, i) => {
          const want = expected(point, raw.get(point.oid)!);
          if (typeof want === 'number') expect(samples[i]!.value as number, point.key).toBeCloseTo(want, 6);
          else expect(samples[i]!.value, point.key).toBe(want);
        });
      });
    }

    it('values are plausible for a UPS on mains and a loaded PDU', async () => {
      const read = async (id: string) => {
        const device = devices.find((d) => d.id === id)!;
        const driver = createSnmpDriver(device, { logger: silentLogger });
        await driver.connect(AbortSignal.timeout(5000));
        const samples = await driver.read(AbortSignal.timeout(5000));
        await driver.close();
        return new Map(samples.map((s) => [s.pointId.slice(id.length + 1), s.value]));
      };
      const ups = await read('ups3');
      expect(ups.get('on_line')).toBe(true);
      expect(ups.get('on_battery')).toBe(false);
      expect(ups.get('mode')).toBe('normal');
      expect(ups.get('battery_low')).toBe(false);
      expect(ups.get('battery_charge')).toBe(100);
      expect(ups.get('input_voltage')).toBeGreaterThanOrEqual(220);
      expect(ups.get('input_voltage')).toBeLessThanOrEqual(240);
      expect(ups.get('output_load')).toBeGreaterThanOrEqual(30);
      expect(ups.get('output_load')).toBeLessThanOrEqual(60);
      expect(ups.get('runtime_remaining')).toBeGreaterThan(10);
      const pdu = await read('pdu-b1');
      let sum = 0;
      for (let n = 1; n <= 8; n++) {
        const amps = pdu.get(`outlet_${n}_current`) as number;
        expect(amps).toBeGreaterThan(0.1);
        expect(amps).toBeLessThanOrEqual(4);
        expect(pdu.get(`outlet_${n}_on`)).toBe(true);
        sum += amps;
      }
      expect(pdu.get('phase_1_current')).toBeCloseTo(sum, 1);
      // at rest below the profile's phase current HI (12.8 A): a demo starts without alarms
      expect(sum).toBeLessThan(12.8);
      expect(pdu.get('total_power')).toBeGreaterThan(0);
      expect(pdu.get('input_voltage')).toBeGreaterThanOrEqual(220);
    });

    it('power failure: upsOutputSource battery(5), no input, charge and runtime falling', async () => {
      const before = byOid(await netSnmpTool('snmpget', ports.ups, ['1.3.6.1.2.1.33.1.2.4.0', '1.3.6.1.2.1.33.1.2.3.0']));
      scenarios['power-failure'] = true;
      clock += 60_000;
      await sim.tick();
      const after = byOid(
        await netSnmpTool('snmpget', ports.ups, [UPS_OUTPUT_SOURCE, '1.3.6.1.2.1.33.1.3.3.1.3.1', '1.3.6.1.2.1.33.1.2.4.0', '1.3.6.1.2.1.33.1.2.3.0']),
      );
      expect(after.get(UPS_OUTPUT_SOURCE)).toBe('5');
      expect(after.get('1.3.6.1.2.1.33.1.3.3.1.3.1')).toBe('0');
      expect(Number(after.get('1.3.6.1.2.1.33.1.2.4.0'))).toBeLessThan(Number(before.get('1.3.6.1.2.1.33.1.2.4.0')));
      expect(Number(after.get('1.3.6.1.2.1.33.1.2.3.0'))).toBeLessThan(Number(before.get('1.3.6.1.2.1.33.1.2.3.0')));
      scenarios['power-failure'] = false;
      clock += 1_000;
      await sim.tick();
      expect(byOid(await netSnmpTool('snmpget', ports.ups, [UPS_OUTPUT_SOURCE])).get(UPS_OUTPUT_SOURCE)).toBe('3');
    });

    it('refuses a wrong community', async () => {
      const env = { ...process.env, MIBS: '' };
      const result = await new Promise<number>((resolve) => {
        execFile('snmpget', ['-v2c', '-c', 'wrong', '-t', '0.5', '-r', '0', `127.0.0.1:${ports.ups}`, '1.3.6.1.2.1.1.5.0'], { env }, (err) =>
          resolve(err ? 1 : 0),
        );
      });
      expect(result).toBe(1);
    });
  });

  it('every SNMP profile of the library: the driver reads every point good from the simulator', async () => {
    const names = loadCatalog(builtinProfilesDir())
      .filter((e) => e.profile.header?.driver === 'snmp')
      .map((e) => e.name);
    expect(names).toContain('ups-mib');
    const file = join(dir, 'library.yaml');
    const lines = ['gateway: { id: sim-library, dataDir: ./data }', 'devices:'];
    for (const [i, name] of names.entries()) {
      const port = await freePort();
      lines.push(`  - { id: d${i}, name: ${name}, driver: snmp, profile: ${name}, connection: { host: 127.0.0.1, port: ${port}, community: "\${SIM_TEST_COMMUNITY}" } }`);
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const library = loadSiteConfig(file).devices as SnmpDeviceConfig[];
    const sim = await startSnmpSimulator(library, { logger: silentLogger });
    try {
      for (const device of library) {
        const driver = createSnmpDriver(device, { logger: silentLogger });
        await driver.connect(AbortSignal.timeout(5000));
        const samples = await driver.read(AbortSignal.timeout(5000));
        await driver.close();
        expect(samples.filter((s) => s.quality !== 'good').map((s) => `${device.name} ${s.pointId}: ${s.reason}`)).toEqual([]);
      }
    } finally {
      await sim.stop();
    }
  });

  it('`simulate()` sends upsTrapOnBattery to the snmpTraps port when the power fails', async () => {
    const traps: Array<{ oid: string }> = [];
    // accepts the site's trap community only: a trap with another one never reaches the callback
    const receiver = snmp.createReceiver({ port: ports.traps, address: '127.0.0.1' }, (err, notification) => {
      if (err || !notification) return;
      const varbinds = notification.pdu.varbinds as Array<{ oid: string; value: unknown }>;
      traps.push({ oid: String(varbinds.find((v) => v.oid === '1.3.6.1.6.3.1.1.4.1.0')?.value) });
    });
    receiver.getAuthorizer().addCommunity(TRAP_COMMUNITY);
    const scenarios = initialScenarios();
    const sim = await snmpModule.simulate!(devices, {
      site: config,
      dataDir: dir,
      logger: silentLogger,
      env: process.env,
      scenarios: () => scenarios,
    });
    try {
      scenarios['power-failure'] = true;
      sim.scenariosChanged?.();
      const end = Date.now() + 5000;
      while (traps.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(traps.map((t) => t.oid)).toEqual([UPS_TRAP_ON_BATTERY]);
      expect(byOid(await netSnmpTool('snmpget', ports.ups, [UPS_OUTPUT_SOURCE])).get(UPS_OUTPUT_SOURCE)).toBe('5');
      // back on mains: UPS-MIB has no trap for it, the PDU sends none
      scenarios['power-failure'] = false;
      sim.scenariosChanged?.();
      await new Promise((r) => setTimeout(r, 300));
      expect(traps).toHaveLength(1);
    } finally {
      await sim.stop();
      receiver.close();
    }
  });
});
