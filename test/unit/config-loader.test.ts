/** A valid site config becomes the typed SiteConfig the rest of the gateway uses. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinProfilesDir, loadProfileFile, loadSiteConfig, parseSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import type { ModbusPoint } from '../../drivers/modbus/point.js';
import { formatProblem } from '../../core/errors.js';

const fixtures = fileURLToPath(new URL('../fixtures/config', import.meta.url));
const siteFile = join(relative(process.cwd(), fixtures), 'valid-site.yaml');
const config = loadSiteConfig(siteFile);

function device(id: string): ModbusDeviceConfig {
  const d = config.devices.find((x) => x.id === id);
  if (!d) throw new Error(`no device ${id}`);
  return d as ModbusDeviceConfig;
}

function point(deviceId: string, key: string): ModbusPoint | undefined {
  return device(deviceId).points.find((p) => p.key === key);
}

describe('valid site config', () => {
  it('keeps the file name as given and fills the section defaults', () => {
    expect(config.file).toBe(siteFile);
    expect(config.gateway).toEqual({ id: 'dc1-gw1', dataDir: join(fixtures, 'data'), logLevel: 'info' });
    expect(isAbsolute(config.gateway.dataDir)).toBe(true);
    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 8081, allowedHosts: [], maxBodyKB: 64, maxLiveStreams: 10 });
    expect(config.storage).toEqual({
      byException: false,
      commitIntervalMs: 200,
      maxBatch: 5000,
      synchronous: 'normal',
      retention: { maxAgeDays: 7, maxSizeMB: 2048, maxShareAfterStep: 0.1 },
    });
    expect(config.clock).toEqual({ requireSync: 'auto' });
    expect(config.devices.map((d) => d.id)).toEqual(['ups1', 'crac-2', 'meter_a']);
  });

  it.each([
    ['ups1', { transport: 'tcp', host: '127.0.0.1', port: 5020, unitId: 1, timeoutMs: 1000 }],
    [
      'crac-2',
      {
        transport: 'rtu',
        serialPort: '/dev/ttyUSB0',
        baudRate: 9600,
        parity: 'none',
        dataBits: 8,
        stopBits: 1,
        unitId: 3,
        timeoutMs: 1000,
      },
    ],
    ['meter_a', { transport: 'rtu-over-tcp', host: '10.0.0.40', port: 4001, unitId: 7, timeoutMs: 500 }],
  ])('%s connection with defaults', (id, connection) => {
    expect(device(id).connection).toEqual(connection);
  });

  it('takes device fields from the file, else the profile, else the defaults', () => {
    const pick = (d: ModbusDeviceConfig) => [d.name, d.kind, d.pollIntervalMs, d.wordOrder, d.maxRegisters, d.maxBits, d.maxGap];
    expect(pick(device('ups1'))).toEqual(['UPS-1 Hall A', 'ups', 1000, 'ABCD', 125, 2000, 8]);
    expect(pick(device('crac-2'))).toEqual(['CRAC 2', 'hvac', 2000, 'ABCD', 125, 2000, 8]);
    // device wordOrder DCBA beats the profile's CDAB; maxGap comes from the profile
    expect(pick(device('meter_a'))).toEqual(['Main meter', 'meter', 1000, 'DCBA', 60, 2000, 4]);
    expect(device('ups1').location).toBe('Hall A');
    expect(device('crac-2').location).toBeUndefined();
  });

  it('merges a device point over the profile point field by field', () => {
    expect(point('ups1', 'battery_temp')).toEqual({
      id: 'ups1.battery_temp',
      key: 'battery_temp',
      name: 'Battery temperature',
      unit: '°C',
      table: 'holding',
      address: 22,
      type: 'int16',
      wordOrder: 'ABCD',
      scale: 0.01,
      sentinel: [0x7fff],
    });
  });

  it('drops a disabled profile point and appends the device-only points', () => {
    const keys = device('ups1').points.map((p) => p.key);
    expect(keys).not.toContain('model');
    expect(keys.at(-1)).toBe('bypass_voltage');
    expect(keys).toHaveLength(21); // 21 in the profile, one disabled, one added
  });

  it('reads a 40001-style address as table + 0-based address', () => {
    expect(point('ups1', 'bypass_voltage')).toEqual({
      id: 'ups1.bypass_voltage',
      key: 'bypass_voltage',
      name: 'Bypass voltage',
      unit: 'V',
      table: 'holding',
      address: 50,
      type: 'uint16',
      wordOrder: 'ABCD',
      scale: 0.1,
    });
    expect(point('meter_a', 'energy')).toMatchObject({ table: 'input', address: 2, type: 'uint64' });
    expect(point('meter_a', 'breaker_open')).toMatchObject({ table: 'discrete', address: 0, type: 'bool' });
  });

  it('names every point <deviceId>.<key>, unique across the site', () => {
    const ids = config.devices.flatMap((d) => d.points.map((p) => p.id));
    for (const d of config.devices) for (const p of d.points) expect(p.id).toBe(`${d.id}.${p.key}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('resolves word order point > device > profile > ABCD', () => {
    expect(point('meter_a', 'energy')!.wordOrder).toBe('ABCD'); // the point's own
    expect(point('meter_a', 'active_power')!.wordOrder).toBe('DCBA'); // the device's, over the profile's
    expect(point('crac-2', 'cooling_capacity')!.wordOrder).toBe('ABCD');
  });

  it('defaults name to the key and type by table', () => {
    const text = `gateway: { id: gw }
devices:
  - id: d1
    driver: modbus
    connection: { host: 127.0.0.1 }
    points:
      - { key: relay, table: coil, address: 3 }
      - { key: level, address: "30005" }
`;
    const { config: c, problems } = parseSiteConfig(text, 'site.yaml', { profilesDirs: [] });
    expect(problems).toEqual([]);
    expect(c!.devices[0]!.points).toEqual([
      { id: 'd1.relay', key: 'relay', name: 'relay', table: 'coil', address: 3, type: 'bool', wordOrder: 'ABCD' },
      { id: 'd1.level', key: 'level', name: 'level', table: 'input', address: 4, type: 'uint16', wordOrder: 'ABCD' },
    ]);
    expect(c!.devices[0]).toMatchObject({ name: 'd1', kind: 'other', pollIntervalMs: 1000 });
  });
});

describe('profiles', () => {
  const builtin = readdirSync(builtinProfilesDir()).filter((f) => f.endsWith('.yaml'));

  it('ships the three generic profiles (the model library is checked in profile-vocabulary.test.ts)', () => {
    expect(builtin).toEqual(expect.arrayContaining(['crac-generic.yaml', 'pdu-generic.yaml', 'ups-generic.yaml']));
  });

  it.each(builtin.filter((f) => f.endsWith('-generic.yaml')))('built-in %s loads clean', (file) => {
    const profile = loadProfileFile(file.replace(/\.yaml$/, ''), join(builtinProfilesDir(), file));
    expect(profile.problems.map(formatProblem)).toEqual([]);
    expect(profile.header?.driver).toBe('modbus');
    expect(profile.points.length).toBeGreaterThan(10);
  });

  describe('a profiles/ folder beside the site file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'profiles'));
    writeFileSync(
      join(dir, 'profiles', 'ups-generic.yaml'),
      'name: Local UPS\nkind: ups\ndriver: modbus\npoints:\n  - { key: load, table: holding, address: 7 }\n',
    );
    writeFileSync(
      join(dir, 'site.yaml'),
      'gateway: { id: gw, dataDir: state }\ndevices:\n  - { id: u, driver: modbus, connection: { host: h }, profile: ups-generic }\n',
    );

    it('is searched before the built-in library', () => {
      const c = loadSiteConfig(join(dir, 'site.yaml'));
      expect(c.devices[0]!.points.map((p) => p.id)).toEqual(['u.load']);
      expect(c.gateway.dataDir).toBe(join(dir, 'state'));
    });
  });
});
