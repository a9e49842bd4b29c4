/** OPC UA devices in a site config: defaults, browse roots, secrets from the environment, every problem located. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { OpcuaDeviceConfig } from '../../drivers/opcua/device.js';
import { formatProblem } from '../../core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'opcua-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'site.yaml');

function site(devices: string): string {
  return `gateway: { id: gw1 }\ndevices:\n${devices}`;
}

function load(devices: string) {
  return parseSiteConfig(site(devices), file, { profilesDirs: [join(dir, 'profiles')] });
}

function problems(devices: string): string[] {
  return load(devices).problems.map(formatProblem);
}

describe('opcua config', () => {
  it('fills every default and resolves points', () => {
    process.env.TEST_OPCUA_PW = 's3cret';
    const { config, problems: found } = load(`
  - id: crac3
    driver: opcua
    connection: { endpoint: "opc.tcp://10.0.0.5:4840/UA/Site", securityMode: SignAndEncrypt, username: gw, password: "\${TEST_OPCUA_PW}" }
    browseRoot: Cooling/CRAC-3
    points:
      - { key: supply, name: Supply air, unit: "°C", browsePath: SupplyAirTemp, deadband: { type: absolute, value: 0.2 } }
      - { key: fan, nodeId: "ns=1;s=CRAC-3.FanSpeed", scale: 0.1 }
      - { key: state, browsePath: /Plant/State }
`);
    expect(found).toEqual([]);
    const device = config!.devices[0] as OpcuaDeviceConfig;
    expect(device).toMatchObject({
      id: 'crac3',
      name: 'crac3',
      kind: 'other',
      driver: 'opcua',
      pollIntervalMs: 1000,
      mode: 'subscribe',
      subscription: { publishingIntervalMs: 1000, samplingIntervalMs: 500, queueSize: 10 },
      connection: {
        endpoint: 'opc.tcp://10.0.0.5:4840/UA/Site',
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        username: 'gw',
        timeoutMs: 5000,
        sessionTimeoutMs: 60000,
        trustOnFirstUse: false,
      },
    });
    expect(device.connection.password?.reveal()).toBe('s3cret');
    expect(JSON.stringify(device)).not.toContain('s3cret');
    expect(device.points).toEqual([
      { id: 'crac3.supply', key: 'supply', name: 'Supply air', unit: '°C', browsePath: 'Cooling/CRAC-3/SupplyAirTemp', deadband: { type: 'absolute', value: 0.2 } },
      { id: 'crac3.fan', key: 'fan', name: 'fan', nodeId: 'ns=1;s=CRAC-3.FanSpeed', scale: 0.1 },
      { id: 'crac3.state', key: 'state', name: 'state', browsePath: 'Plant/State' },
    ]);
  });

  it('takes mode, subscription and browse root from a profile; the device overrides', () => {
    mkdirSync(join(dir, 'profiles'), { recursive: true });
    writeFileSync(
      join(dir, 'profiles', 'crac-opcua.yaml'),
      `name: CRAC over OPC UA\ndriver: opcua\nkind: hvac\nmode: poll\nsubscription: { samplingIntervalMs: 250 }\npoints:\n  - { key: supply, unit: "°C", browsePath: SupplyAirTemp }\n`,
    );
    const { config, problems: found } = load(`
  - { id: crac4, driver: opcua, profile: crac-opcua, browseRoot: Cooling/CRAC-4, connection: { endpoint: "opc.tcp://h:4840" } }
  - { id: crac5, driver: opcua, profile: crac-opcua, mode: subscribe, browseRoot: Cooling/CRAC-5, connection: { endpoint: "opc.tcp://h:4840" } }
`);
    expect(found).toEqual([]);
    const [a, b] = config!.devices as OpcuaDeviceConfig[];
    expect(a).toMatchObject({ kind: 'hvac', mode: 'poll', subscription: { samplingIntervalMs: 250 } });
    expect(a!.points[0]!.browsePath).toBe('Cooling/CRAC-4/SupplyAirTemp');
    expect(b!.mode).toBe('subscribe');
    expect(b!.points[0]!.browsePath).toBe('Cooling/CRAC-5/SupplyAirTemp');
  });

  it.each([
    ['endpoint', '{ endpoint: "http://h:4840" }', '[{ key: a, nodeId: "i=1" }]', 'devices[0].connection.endpoint: "http://h:4840" is not an OPC UA endpoint (opc.tcp://host:port/path)'],
    ['security mode', '{ endpoint: "opc.tcp://h", securityMode: Encrypt }', '[{ key: a, nodeId: "i=1" }]', 'devices[0].connection.securityMode: expected one of None, Sign, SignAndEncrypt, got "Encrypt"'],
    ['policy without signing', '{ endpoint: "opc.tcp://h", securityPolicy: Basic256Sha256 }', '[{ key: a, nodeId: "i=1" }]', 'devices[0].connection: securityPolicy Basic256Sha256 needs securityMode Sign or SignAndEncrypt'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${NAME} syntax
    ['user without password', '{ endpoint: "opc.tcp://h", username: gw }', '[{ key: a, nodeId: "i=1" }]', 'devices[0].connection: username needs a password (e.g. password: "${OPCUA_PASSWORD}")'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${NAME} syntax
    ['missing env', '{ endpoint: "opc.tcp://h", username: gw, password: "${NOT_SET_ANYWHERE_42}" }', '[{ key: a, nodeId: "i=1" }]', 'devices[0].connection.password: environment variable NOT_SET_ANYWHERE_42 is not set'],
    ['no address', '{ endpoint: "opc.tcp://h" }', '[{ key: a }]', 'devices[0].points[0]: needs nodeId or browsePath'],
    ['both addresses', '{ endpoint: "opc.tcp://h" }', '[{ key: a, nodeId: "i=1", browsePath: X }]', 'devices[0].points[0].browsePath: give nodeId or browsePath, not both'],
    ['bad NodeId', '{ endpoint: "opc.tcp://h" }', '[{ key: a, nodeId: "ns=2;x=1" }]', 'devices[0].points[0].nodeId: "ns=2;x=1" is not a NodeId (like "ns=2;s=Name" or "ns=3;i=1001")'],
    ['bad path', '{ endpoint: "opc.tcp://h" }', '[{ key: a, browsePath: "A//B" }]', 'devices[0].points[0].browsePath: "A//B" has an empty segment ("//")'],
    ['percent over 100', '{ endpoint: "opc.tcp://h" }', '[{ key: a, nodeId: "i=1", deadband: { type: percent, value: 150 } }]', 'devices[0].points[0].deadband.value: a percent deadband is at most 100'],
    ['typo', '{ endpoint: "opc.tcp://h", securtyMode: None }', '[{ key: a, nodeId: "i=1" }]', 'devices[0].connection.securtyMode: unknown key "securtyMode" (did you mean "securityMode"?)'],
  ])('%s', (_label, connection, points, expected) => {
    const found = problems(`  - id: d\n    driver: opcua\n    connection: ${connection}\n    points: ${points}\n`);
    expect(found.map((p) => p.replace(/^\S+:\d+ /, ''))).toContain(expected);
  });

  it('never echoes a password in a problem', () => {
    const found = problems(`  - id: d\n    driver: opcua\n    connection: { endpoint: "opc.tcp://h", username: gw, password: 12345678 }\n    points: [{ key: a, nodeId: "i=1" }]\n`);
    expect(found.join('\n')).toContain('password: expected a string (value not shown)');
    expect(found.join('\n')).not.toContain('12345678');
  });
});
