/**
 * A point's `store:` (report-by-exception) through the config loader: on device points and
 * profile points of any driver, merged like any point field, and every mistake reported as
 * `file:line path: message`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { builtinProfilesDir, parseSiteConfig } from '../../config/index.js';
import { formatProblem } from '../../core/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function siteWith(devices: string, profile?: string, storage = 'storage: { byException: true }\n') {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-store-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'profiles'));
  if (profile) writeFileSync(join(dir, 'profiles', 'meter.yaml'), profile);
  const text = `gateway: { id: t }\n${storage}devices:\n${devices}`;
  return parseSiteConfig(text, 'site.yaml', { profilesDirs: [join(dir, 'profiles'), builtinProfilesDir()] });
}

const PROFILE = `name: Meter
driver: modbus
points:
  - { key: power, table: input, address: 0, type: uint16, store: { deadbandPct: 2 } }
  - { key: energy, table: input, address: 1, type: uint32, store: { deadband: 1, heartbeatS: 900 } }
  - { key: volts, table: input, address: 3, type: uint16 }
  - { key: amps, table: input, address: 4, type: uint16, store: { deadband: 0.5 } }
`;

describe('store: on points', () => {
  it('gives every point its policy by point id: the profile\'s, a device override over it, null to store all', () => {
    const { config, problems } = siteWith(
      `  - id: m1
    driver: modbus
    connection: { host: 127.0.0.1, port: 502, unitId: 1 }
    profile: meter
    points:
      - { key: volts, store: { deadband: 2 } }
      - { key: energy, store: { deadband: 5 } }
      - { key: amps, store: null }
      - { key: extra, table: input, address: 9, store: { deadbandPct: 0.5, heartbeatS: 60 } }
  - id: m2
    driver: modbus
    connection: { host: 127.0.0.1, port: 502, unitId: 2 }
    profile: meter
    points:
      - { key: power, disabled: true }
`,
      PROFILE,
    );
    expect(problems).toEqual([]);
    expect(config!.storePolicies).toEqual({
      'm1.power': { deadbandPct: 2, heartbeatS: 300 },
      'm1.energy': { deadband: 5, heartbeatS: 300 },
      'm1.volts': { deadband: 2, heartbeatS: 300 },
      'm1.extra': { deadbandPct: 0.5, heartbeatS: 60 },
      'm2.energy': { deadband: 1, heartbeatS: 900 },
      'm2.amps': { deadband: 0.5, heartbeatS: 300 },
    });
    // the driver never sees the field: the points are as without it
    expect(config!.devices[0]!.points.map((p) => p.key)).toEqual(['power', 'energy', 'volts', 'amps', 'extra']);
  });

  it('works for any driver, and a site without store: has no policies', () => {
    const mqtt = siteWith(`  - id: s1
    driver: mqtt
    connection: { url: "mqtt://127.0.0.1:1883" }
    points:
      - { key: temp, topic: "dc1/s1/temp", store: { deadband: 0.3 } }
`);
    expect(mqtt.problems).toEqual([]);
    expect(mqtt.config!.storePolicies).toEqual({ 's1.temp': { deadband: 0.3, heartbeatS: 300 } });

    const plain = siteWith(`  - id: s1
    driver: mqtt
    connection: { url: "mqtt://127.0.0.1:1883" }
    points:
      - { key: temp, topic: "dc1/s1/temp" }
`);
    expect(plain.problems).toEqual([]);
    expect(plain.config!.storePolicies).toBeUndefined();
  });

  it('takes a profile\'s policies only with storage.byException; a site point\'s own store: always', () => {
    const devices = `  - id: m1
    driver: modbus
    connection: { host: 127.0.0.1, port: 502, unitId: 1 }
    profile: meter
    points:
      - { key: volts, store: { deadband: 2 } }
`;
    const { config, problems } = siteWith(devices, PROFILE, '');
    expect(problems).toEqual([]);
    expect(config!.storePolicies).toEqual({ 'm1.volts': { deadband: 2, heartbeatS: 300 } });
  });

  it('the library\'s demo profiles bring a policy for every point', () => {
    const { config, problems } = siteWith(`  - id: ups1
    driver: modbus
    connection: { host: 127.0.0.1, port: 502, unitId: 1 }
    profile: ups-generic
  - id: pdu1
    driver: modbus
    connection: { host: 127.0.0.1, port: 502, unitId: 2 }
    profile: pdu-generic
  - id: crac1
    driver: modbus
    connection: { host: 127.0.0.1, port: 502, unitId: 3 }
    profile: crac-generic
`);
    expect(problems).toEqual([]);
    const ids = config!.devices.flatMap((d) => d.points.map((p) => p.id));
    expect(ids.filter((id) => !config!.storePolicies?.[id])).toEqual([]);
    expect(config!.storePolicies!['crac1.supply_temp']).toEqual({ deadband: 0.2, heartbeatS: 300 });
  });

  it('reports every mistake at its file, line and path', () => {
    const { config, problems } = siteWith(
      `  - id: m1
    driver: modbus
    connection: { host: 127.0.0.1, port: 502, unitId: 1 }
    points:
      - { key: a, table: input, address: 0, store: { deadband: 1, deadbandPct: 1 } }
      - { key: b, table: input, address: 1, store: { heartbeatS: 60 } }
      - { key: c, table: input, address: 2, store: { deadband: -1 } }
      - { key: d, table: input, address: 3, store: { deadbandPct: 150 } }
      - { key: e, table: input, address: 4, store: { deadband: 1, heartbeatS: 0 } }
      - { key: f, table: input, address: 5, store: { deadband: 1, heartbeatS: 100000 } }
      - { key: g, table: input, address: 6, store: { deadbnd: 1 } }
      - { key: h, table: input, address: 7, store: 5 }
`,
      undefined,
      '',
    );
    expect(config).toBeUndefined();
    const one = 'give exactly one of deadband (absolute) and deadbandPct (percent of the last stored value)';
    expect(problems.map(formatProblem)).toEqual([
      `site.yaml:7 devices[0].points[0].store: ${one}`,
      `site.yaml:8 devices[0].points[1].store: ${one}`,
      'site.yaml:9 devices[0].points[2].store.deadband: -1 is below 0',
      'site.yaml:10 devices[0].points[3].store.deadbandPct: 150 exceeds 100',
      'site.yaml:11 devices[0].points[4].store.heartbeatS: 0 is below 1',
      'site.yaml:12 devices[0].points[5].store.heartbeatS: 100000 exceeds 86400',
      'site.yaml:13 devices[0].points[6].store.deadbnd: unknown key "deadbnd" (did you mean "deadband"?)',
      `site.yaml:13 devices[0].points[6].store: ${one}`,
      'site.yaml:14 devices[0].points[7].store: expected a mapping, got 5',
    ]);
  });
});
