/** SNMP devices, profiles and the trap section through the real loader: defaults, tables, traps, secrets, located problems. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { SnmpDeviceConfig } from '../../drivers/snmp/device.js';

const dir = mkdtempSync(join(tmpdir(), 'gw-snmp-cfg-'));
const profiles = join(dir, 'profiles');
mkdirSync(profiles);

const PDU_PROFILE = `# Source: test map
name: Test PDU
kind: pdu
driver: snmp
vendor: Acme
model: P-1
verified: false
sysObjectID: [1.3.6.1.4.1.99.1]
points:
  - { key: input_voltage, name: Input voltage, unit: V, oid: 1.3.6.1.4.1.99.2.1.0 }
  - { key: on_battery, oid: 1.3.6.1.4.1.99.2.2.0, trueValues: [2] }
tables:
  outlet:
    rows: 4
    label: "Outlet {row}"
    labelOid: 1.3.6.1.4.1.99.3.1.2
    points:
      - { key: "outlet_{row}_current", name: "{label} current", unit: A, column: 1.3.6.1.4.1.99.3.1.6, scale: 0.1 }
traps:
  - { name: onBattery, oid: 1.3.6.1.4.1.99.0.1, set: { on_battery: true }, severity: major }
  - { name: outletTrip, oid: 1.3.6.1.4.1.99.0.2, set: { outlet_2_current: 0 } }
  - { name: selfTest, oid: 1.3.6.1.4.1.99.0.3 }
`;

beforeAll(() => {
  process.env.SNMP_CFG_COMMUNITY = 'c0mmunity-from-env';
  process.env.SNMP_CFG_AUTH = 'auth-from-env';
  process.env.SNMP_CFG_PRIV = 'priv-from-env';
  writeFileSync(join(profiles, 'test-pdu.yaml'), PDU_PROFILE);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(text: string) {
  return parseSiteConfig(text, join(dir, 'site.yaml'), { profilesDirs: [profiles] });
}

function load(text: string) {
  const { config, problems } = parse(text);
  if (!config) throw new Error(problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('\n'));
  return config;
}

const snmp = (config: ReturnType<typeof load>, id: string) => config.devices.find((d) => d.id === id) as SnmpDeviceConfig;

describe('snmp config', () => {
  it('fills connection defaults and reads the community from the environment', () => {
    const config = load(`gateway: { id: t }
devices:
  - id: ups1
    driver: snmp
    connection: { host: 10.0.0.23, community: "\${SNMP_CFG_COMMUNITY}" }
    points:
      - { key: charge, oid: 1.3.6.1.2.1.33.1.2.4.0, unit: "%" }
`);
    const d = snmp(config, 'ups1');
    expect(d.connection).toMatchObject({ host: '10.0.0.23', port: 161, version: '2c', timeoutMs: 2000, retries: 1, maxVarbinds: 32 });
    expect(d.connection.community?.reveal()).toBe('c0mmunity-from-env');
    expect(JSON.stringify(d)).not.toContain('c0mmunity-from-env');
    expect(d.points).toEqual([{ id: 'ups1.charge', key: 'charge', name: 'charge', unit: '%', oid: '1.3.6.1.2.1.33.1.2.4.0' }]);
  });

  it('accepts version 1 and 3 as YAML numbers and derives the v3 level', () => {
    const config = load(`gateway: { id: t }
devices:
  - id: a
    driver: snmp
    connection: { host: h, version: 1, community: "\${SNMP_CFG_COMMUNITY}" }
    points: [{ key: x, oid: 1.3.6.1.2.1.1.3.0 }]
  - id: b
    driver: snmp
    connection: { host: h, version: 3, user: gw, authProtocol: sha256, authKey: "\${SNMP_CFG_AUTH}", privProtocol: aes, privKey: "\${SNMP_CFG_PRIV}" }
    points: [{ key: x, oid: .1.3.6.1.2.1.1.3.0 }]
`);
    expect(snmp(config, 'a').connection.version).toBe('1');
    const b = snmp(config, 'b');
    expect(b.connection.version).toBe('3');
    expect(b.connection.v3).toMatchObject({ user: 'gw', level: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' });
    expect(b.connection.v3?.privKey?.reveal()).toBe('priv-from-env');
    expect(b.points[0]!.oid).toBe('1.3.6.1.2.1.1.3.0');
  });

  it('expands profile tables per row, merges device tables and overrides, and keeps trap rules', () => {
    const config = load(`gateway: { id: t }
devices:
  - id: pdu1
    driver: snmp
    profile: test-pdu
    connection: { host: 10.0.0.5, community: "\${SNMP_CFG_COMMUNITY}" }
    tables:
      outlet: { rows: "2-3", labels: { "2": "web-01" } }
    points:
      - { key: outlet_3_current, disabled: true }
      - { key: outlet_2_current, unit: mA, scale: 100 }
`);
    const d = snmp(config, 'pdu1');
    expect(d.points.map((p) => p.key)).toEqual(['input_voltage', 'on_battery', 'outlet_2_current']);
    expect(d.points[2]).toEqual({
      id: 'pdu1.outlet_2_current',
      key: 'outlet_2_current',
      name: 'web-01 current',
      unit: 'mA',
      oid: '1.3.6.1.4.1.99.3.1.6.2',
      scale: 100,
      table: { id: 'outlet', row: '2' },
    });
    expect(d.tables.outlet).toEqual({ rows: ['2', '3'], labels: { '2': 'web-01' }, labelOid: '1.3.6.1.4.1.99.3.1.2' });
    expect(d).toMatchObject({ vendor: 'Acme', model: 'P-1', sysObjectID: ['1.3.6.1.4.1.99.1'] });
    expect(d.traps).toEqual([
      { name: 'onBattery', oid: '1.3.6.1.4.1.99.0.1', set: { on_battery: true }, severity: 'major' },
      { name: 'outletTrip', oid: '1.3.6.1.4.1.99.0.2', set: { outlet_2_current: 0 } },
      { name: 'selfTest', oid: '1.3.6.1.4.1.99.0.3', set: {} },
    ]);
  });

  it('multi-part row indexes become _ in keys and stay dotted in oids', () => {
    const config = load(`gateway: { id: t }
devices:
  - id: s1
    driver: snmp
    connection: { host: h, community: "\${SNMP_CFG_COMMUNITY}" }
    tables:
      probe:
        rows: ["1.1", "1.2"]
        points: [{ key: "probe_{row}_temp", name: "Probe {row}", column: 1.3.6.1.4.1.99.4.1.3 }]
`);
    expect(snmp(config, 's1').points.map((p) => [p.key, p.name, p.oid])).toEqual([
      ['probe_1_1_temp', 'Probe 1.1', '1.3.6.1.4.1.99.4.1.3.1.1'],
      ['probe_1_2_temp', 'Probe 1.2', '1.3.6.1.4.1.99.4.1.3.1.2'],
    ]);
  });

  it('an index template puts the row inside the cell index (Raritan: outlet, then sensor type)', () => {
    const config = load(`gateway: { id: t }
devices:
  - id: s1
    driver: snmp
    connection: { host: h, community: "\${SNMP_CFG_COMMUNITY}" }
    tables:
      outlet:
        rows: [3, 4]
        points: [{ key: "outlet_{row}_current", column: 1.3.6.1.4.1.13742.6.5.4.3.1.4.1, index: "{row}.1" }]
`);
    expect(snmp(config, 's1').points.map((p) => p.oid)).toEqual(['1.3.6.1.4.1.13742.6.5.4.3.1.4.1.3.1', '1.3.6.1.4.1.13742.6.5.4.3.1.4.1.4.1']);
    const bad = parse(`gateway: { id: t }
devices:
  - id: s1
    driver: snmp
    connection: { host: h, community: "\${SNMP_CFG_COMMUNITY}" }
    tables:
      outlet:
        rows: 2
        points: [{ key: "outlet_{row}_current", column: 1.3.6.1.4.1.1, index: "1.2" }]
`);
    expect(bad.problems.map((p) => p.message).join('\n')).toContain('must contain {row}');
  });

  it('reads the snmpTraps section with defaults', () => {
    const config = load(`gateway: { id: t }
snmpTraps:
  communities: ["\${SNMP_CFG_COMMUNITY}"]
  users: [{ user: gw, authProtocol: sha256, authKey: "\${SNMP_CFG_AUTH}", privProtocol: aes, privKey: "\${SNMP_CFG_PRIV}" }]
devices: []
`);
    expect(config.snmpTraps).toMatchObject({ enabled: true, host: '0.0.0.0', port: 162, maxPerSecond: 200 });
    expect(config.snmpTraps!.communities[0]!.reveal()).toBe('c0mmunity-from-env');
    expect(config.snmpTraps!.users[0]).toMatchObject({ user: 'gw', level: 'authPriv' });
  });

  it('refuses a literal community, key or trap community without showing it', () => {
    const { config, problems } = parse(`gateway: { id: t }
snmpTraps:
  communities: [trap-s3cret]
devices:
  - id: ups1
    driver: snmp
    connection: { host: h, community: pl41n-s3cret }
    points: [{ key: x, oid: 1.3.6.1.2.1.1.3.0 }]
  - id: ups2
    driver: snmp
    connection: { host: h, version: 3, user: gw, authProtocol: sha, authKey: k3y-s3cret }
    points: [{ key: x, oid: 1.3.6.1.2.1.1.3.0 }]
`);
    expect(config).toBeUndefined();
    const text = JSON.stringify(problems);
    for (const secret of ['pl41n-s3cret', 'k3y-s3cret', 'trap-s3cret']) expect(text).not.toContain(secret);
    expect(problems.map((p) => [p.line, p.path])).toEqual([
      [3, 'snmpTraps.communities[0]'],
      [7, 'devices[0].connection.community'],
      [11, 'devices[1].connection.authKey'],
    ]);
    expect(problems[1]!.message).toMatch(/environment reference like \$\{ENV_NAME\}/);
  });

  it.each([
    ['neither oid nor column', '{ key: x }', 'devices[0].points[0].oid', /required/],
    ['oid and column', '{ key: x, oid: 1.3.6.1.1.0, column: 1.3.6.1.1, index: 1 }', 'devices[0].points[0].column', /not both/],
    ['column without index', '{ key: x, column: 1.3.6.1.1 }', 'devices[0].points[0].index', /required with column/],
    ['bad oid', '{ key: x, oid: "1.3.x.4" }', 'devices[0].points[0].oid', /dotted numeric OID/],
    ['rate on a gauge', '{ key: x, oid: 1.3.6.1.1.0, type: gauge, rate: true }', 'devices[0].points[0].rate', /counter or counter64/],
    ['rate without a type', '{ key: x, oid: 1.3.6.1.1.0, rate: true }', 'devices[0].points[0].rate', /give the type/],
    ['enum on a string', '{ key: x, oid: 1.3.6.1.1.0, type: string, enum: { 1: a } }', 'devices[0].points[0].enum', /integer or gauge/],
    ['scale on an ipaddress', '{ key: x, oid: 1.3.6.1.1.0, type: ipaddress, scale: 2 }', 'devices[0].points[0].scale', /numeric types/],
    ['bit and trueValues', '{ key: x, oid: 1.3.6.1.1.0, bit: 1, trueValues: [1] }', 'devices[0].points[0].bit', /one of enum, trueValues, bit/],
    ['bit on a counter', '{ key: x, oid: 1.3.6.1.1.0, type: counter, bit: 1 }', 'devices[0].points[0].bit', /integer, gauge or string/],
  ])('point problem: %s', (_name, pointYaml, path, message) => {
    const { problems } = parse(`gateway: { id: t }
devices:
  - id: d
    driver: snmp
    connection: { host: h, community: "\${SNMP_CFG_COMMUNITY}" }
    points:
      - ${pointYaml}
`);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 7, path });
    expect(problems[0]!.message).toMatch(message);
  });

  it.each([
    ['community missing for v2c', '{ host: h }', 'devices[0].connection.community', /required for version 2c/],
    ['community on v3', `{ host: h, version: 3, user: u, community: "\${SNMP_CFG_COMMUNITY}" }`, 'devices[0].connection.community', /not for version 3/],
    ['privKey without authKey', `{ host: h, version: 3, user: u, privProtocol: aes, privKey: "\${SNMP_CFG_PRIV}" }`, 'devices[0].connection.privKey', /needs authKey/],
    ['unset environment variable', `{ host: h, community: "\${SNMP_CFG_NOT_SET}" }`, 'devices[0].connection.community', /SNMP_CFG_NOT_SET is not set/],
    ['maxVarbinds too large', `{ host: h, community: "\${SNMP_CFG_COMMUNITY}", maxVarbinds: 500 }`, 'devices[0].connection.maxVarbinds', /exceeds 128/],
  ])('connection problem: %s', (_name, connYaml, path, message) => {
    const { problems } = parse(`gateway: { id: t }
devices:
  - id: d
    driver: snmp
    connection: ${connYaml}
    points: [{ key: x, oid: 1.3.6.1.2.1.1.3.0 }]
`);
    expect(problems.map((p) => p.path)).toContain(path);
    expect(problems.find((p) => p.path === path)!.message).toMatch(message);
  });

  it('reports profile table and trap problems in the profile file, with its lines', () => {
    writeFileSync(
      join(profiles, 'broken.yaml'),
      `name: Broken
driver: snmp
points:
  - { key: a, oid: 1.3.6.1.4.1.99.1.0 }
tables:
  t:
    rows: "5-2"
    points:
      - { key: "t_{row}", column: 1.3.6.1.4.1.99.5, rate: true }
traps:
  - { name: x, oid: 1.3.6.1.4.1.99.0.1, set: { nope: 1 } }
  - { name: y, oid: 1.3.6.1.4.1.99.0.1 }
`,
    );
    const { problems } = parse(`gateway: { id: t }
devices:
  - { id: d, driver: snmp, profile: broken, connection: { host: h, community: "\${SNMP_CFG_COMMUNITY}" } }
`);
    const inProfile = problems.filter((p) => p.file.endsWith('broken.yaml'));
    expect(inProfile.map((p) => [p.line, p.message])).toEqual(
      expect.arrayContaining([
        [5, 't: rows: "5-2" runs backwards'],
        [10, 'traps[0] (x): set: "nope" is not a point of this profile'],
        [10, 'traps[1] (y): oid 1.3.6.1.4.1.99.0.1 is also trap "x"'],
      ]),
    );
    expect(problems.some((p) => p.file.endsWith('site.yaml') && /profile "broken" has/.test(p.message))).toBe(true);
  });

  it('a device with only tables has points; one with nothing still says so', () => {
    const ok = parse(`gateway: { id: t }
devices:
  - id: d
    driver: snmp
    connection: { host: h, community: "\${SNMP_CFG_COMMUNITY}" }
    tables: { t: { rows: 2, points: [{ key: "t_{row}", column: 1.3.6.1.4.1.99.5 }] } }
`);
    expect(ok.problems).toEqual([]);
    const empty = parse(`gateway: { id: t }
devices:
  - { id: d, driver: snmp, connection: { host: h, community: "\${SNMP_CFG_COMMUNITY}" } }
`);
    expect(empty.problems.map((p) => p.message)).toEqual(['has no points (give it a profile or points)']);
  });
});
