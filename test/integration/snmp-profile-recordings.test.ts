/**
 * Every SNMP profile of the library against an independent agent: Debian's snmpsim serves a
 * recording written from the profile's MIB (test/fixtures/snmprec/<profile>.snmprec, community =
 * profile name), a device using the built-in profile is loaded through the real config loader,
 * and every point it polls must decode to the value a user would read off the equipment
 * (<profile>.expected.json). A few raw values are cross-checked with Net-SNMP's `snmpget`.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { Sample } from '../../core/types.js';
import type { SnmpDeviceConfig } from '../../drivers/snmp/device.js';
import { createSnmpDriver } from '../../drivers/snmp/driver.js';
import { peersAvailable } from '../helpers/peers.js';
import { type SnmpsimPeer, startSnmpsim } from '../helpers/snmpsim.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/snmprec/', import.meta.url));
const PROFILES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.snmprec'))
  .map((f) => f.slice(0, -'.snmprec'.length))
  .sort();

const recording = (name: string) => readFileSync(join(FIXTURES, `${name}.snmprec`), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
const expected = (name: string) => JSON.parse(readFileSync(join(FIXTURES, `${name}.expected.json`), 'utf8')) as Record<string, number | boolean | string>;

let peer: SnmpsimPeer;
let devices: SnmpDeviceConfig[];

beforeAll(async () => {
  if (!peersAvailable('snmpsim')) return;
  peer = await startSnmpsim(Object.fromEntries(PROFILES.map((p) => [p, recording(p)])));
  // One device per profile, the community (= the recording) from the environment, as on a site.
  const env = Object.fromEntries(PROFILES.map((p) => [`REC_${p.replace(/-/g, '_').toUpperCase()}`, p]));
  Object.assign(process.env, env);
  const yaml = [
    'gateway: { id: rec-gw, dataDir: ./data }',
    'devices:',
    ...PROFILES.map((p) =>
      [
        `  - id: ${p}`,
        `    name: ${p}`,
        `    kind: other`,
        '    driver: snmp',
        `    connection: { host: 127.0.0.1, port: ${peer.port}, version: 2c, community: "\${REC_${p.replace(/-/g, '_').toUpperCase()}}", timeoutMs: 2000, retries: 1 }`,
        '    pollIntervalMs: 10000',
        `    profile: ${p}`,
      ].join('\n'),
    ),
  ].join('\n');
  const { config, problems } = parseSiteConfig(yaml, join(FIXTURES, 'site.yaml'));
  if (!config) throw new Error(problems.map((p) => `${p.file}:${p.line} ${p.path}: ${p.message}`).join('\n'));
  devices = config.devices as SnmpDeviceConfig[];
}, 60_000);

afterAll(async () => {
  await peer?.dispose();
});

describe.skipIf(!peersAvailable('snmpsim'))('SNMP profiles read from snmpsim recordings', () => {
  it('has a recording for every SNMP profile in the library', () => {
    const dir = fileURLToPath(new URL('../../config/profiles/', import.meta.url));
    const snmpProfiles = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && /^driver:\s*snmp\s*$/m.test(readFileSync(join(dir, f), 'utf8')))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
    expect(snmpProfiles.length).toBeGreaterThanOrEqual(8);
    expect(PROFILES).toEqual(snmpProfiles);
  });

  it.each(PROFILES)('%s: every point decodes to the expected value, good quality', async (name) => {
    const device = devices.find((d) => d.id === name)!;
    const want = expected(name);
    const driver = createSnmpDriver(device);
    let samples: Sample[];
    try {
      await driver.connect(AbortSignal.timeout(10_000));
      samples = await driver.read(AbortSignal.timeout(10_000));
    } finally {
      await driver.close();
    }
    // every polled point has an expected value and every expected value a point
    expect(samples.map((s) => s.pointId.slice(name.length + 1)).sort()).toEqual(Object.keys(want).sort());
    for (const s of samples) {
      const key = s.pointId.slice(name.length + 1);
      const value = want[key]!;
      expect({ key, quality: s.quality, reason: s.reason }).toEqual({ key, quality: 'good', reason: undefined });
      if (typeof value === 'number') {
        expect(typeof s.value, key).toBe('number');
        expect(s.value as number, key).toBeCloseTo(value, 6);
      } else expect(s.value, key).toBe(value);
    }
  });

  it('agrees with Net-SNMP snmpget on raw values (UPS-MIB charge, APC PDU power)', () => {
    const get = (community: string, oid: string) =>
      execFileSync('snmpget', ['-v2c', '-c', community, '-Oqv', `127.0.0.1:${peer.port}`, oid], { encoding: 'utf8' }).trim();
    const ups = devices.find((d) => d.id === 'ups-mib')!;
    const charge = ups.points.find((p) => p.key === 'battery_charge')!;
    expect(Number(get('ups-mib', charge.oid))).toBe(expected('ups-mib').battery_charge);
    const pdu = devices.find((d) => d.id === 'apc-rpdu2')!;
    const power = pdu.points.find((p) => p.key === 'total_power')!;
    expect(Number(get('apc-rpdu2', power.oid)) * (power.scale ?? 1)).toBeCloseTo(expected('apc-rpdu2').total_power as number, 6);
  });
});
