/**
 * What `gateway check` prints for broken configs: each fixture holds one class of mistake (and
 * many-problems.yaml many at once); the expected lines are exactly what the user reads.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinProfilesDir, checkSiteConfig, loadSiteConfig, parseSiteConfig } from '../../config/index.js';
import { ConfigError, formatProblem } from '../../core/errors.js';

const fixtures = fileURLToPath(new URL('../fixtures/config', import.meta.url));
const rel = relative(process.cwd(), fixtures);

/** Problems as printed, with the fixture folder and the built-in folder shortened for the table. */
function check(name: string): string[] {
  const { config, problems } = checkSiteConfig(join(rel, name));
  if (problems.length > 0) expect(config).toBeUndefined();
  return problems.map((p) => formatProblem(p).replaceAll(`${join(rel)}/`, '').replaceAll(builtinProfilesDir(), 'BUILTIN'));
}

const AVAILABLE =
  'available: akcp-sensorprobe, apc-rpdu2, apc-smart-ups, broken-ups, carel-pco-crac, chiltrix-cx34, crac-generic, eaton-epdu, eaton-xups, liebert-gp, pdu-generic, raritan-px2, schneider-pm5000, servertech-sentry4, site-meter, ups-generic, ups-mib, vaisala-hmp';

const cases: { fixture: string; expected: string[] }[] = [
  { fixture: 'duplicate-yaml-key.yaml', expected: ['duplicate-yaml-key.yaml:5: Map keys must be unique'] },
  {
    fixture: 'wrong-types.yaml',
    expected: [
      'wrong-types.yaml:1 gateway.logLevel: expected one of debug, info, warn, error, got "verbose"',
      'wrong-types.yaml:2 http.port: expected a number, got "8080x"',
      'wrong-types.yaml:3 storage.synchronous: expected one of full, normal, got "yes"',
      'wrong-types.yaml:6 devices[0].kind: expected one of ups, hvac, pdu, sensor, meter, other, got "upss"',
      'wrong-types.yaml:8 devices[0].connection.unitId: expected a whole number, got 1.5',
      'wrong-types.yaml:9 devices[0].pollIntervalMs: 50 is below 100',
      'wrong-types.yaml:12 devices[0].points[0].scale: expected a number, got "0.1"',
    ],
  },
  {
    fixture: 'unknown-keys.yaml',
    expected: [
      'unknown-keys.yaml:3 devices[0].connection: required',
      'unknown-keys.yaml:5 devices[0].conection: unknown key "conection" (did you mean "connection"?)',
      'unknown-keys.yaml:10 devices[0].points[0].adress: unknown key "adress" (did you mean "address"?)',
      'unknown-keys.yaml:11 devices[0].points[0].colour: unknown key "colour"',
      'unknown-keys.yaml:14 devices[1].connection.baudrate: unknown key "baudrate" (did you mean "baudRate"?)',
      'unknown-keys.yaml:16 alarm: unknown key "alarm" (did you mean "alarms"?)',
    ],
  },
  {
    fixture: 'missing-required.yaml',
    expected: [
      'missing-required.yaml:1 gateway.id: required',
      'missing-required.yaml:4 devices[0].id: required',
      'missing-required.yaml:6 devices[0].connection.host: required',
      'missing-required.yaml:8 devices[0].points[0].address: required',
      'missing-required.yaml:9 devices[0].points[1].table: required',
      'missing-required.yaml:12 devices[1].connection.serialPort: required',
      'missing-required.yaml:14 devices[2].driver: required',
      'missing-required.yaml:16 devices[3]: has no points (give it a profile or points)',
    ],
  },
  {
    fixture: 'unknown-profile.yaml',
    expected: [
      `unknown-profile.yaml:6 devices[0].profile: unknown profile "ups-x" (looked in profiles, BUILTIN; ${AVAILABLE})`,
      'unknown-profile.yaml:10 devices[1].profile: "../../etc/passwd" is not a profile name (a-z, 0-9, _ . -)',
    ],
  },
  {
    fixture: 'duplicates.yaml',
    expected: [
      'duplicates.yaml:9 devices[0].points[1].key: duplicate key "bypass_voltage" (also points[0])',
      'duplicates.yaml:10 devices[1].id: duplicate id "ups1" (also devices[0])',
    ],
  },
  {
    fixture: 'addresses.yaml',
    expected: [
      'addresses.yaml:7 devices[0].points[0].address: 70000 exceeds 65535',
      'addresses.yaml:8 devices[0].points[1].address: uint32 at 65535 needs 2 registers and runs past 65535',
      'addresses.yaml:9 devices[0].points[2].address: string at 65530 needs 10 registers and runs past 65535',
      'addresses.yaml:10 devices[0].points[3].address: "40000" is not a reference address (1-based, like "40001" or "400001")',
      'addresses.yaml:11 devices[0].points[4].address: "30001" is in the input table, but table is holding',
      'addresses.yaml:12 devices[0].points[5].table: required (or quote the address, "40001", to use the 1-based reference style)',
      'addresses.yaml:13 devices[0].points[6].address: -1 is below 0',
      'addresses.yaml:14 devices[0].points[7].address: expected a whole number, got 1.5',
    ],
  },
  {
    fixture: 'overlaps.yaml',
    expected: [
      'overlaps.yaml:8 devices[0].points[1].address: "power" (holding 101) overlaps "energy" (holding 100-101)',
      'overlaps.yaml:11 devices[0].points[4].address: "alarm_c" (holding 110) overlaps "alarm_b" (holding 110)',
      'overlaps.yaml:13 devices[0].points[6].address: "volts_again" (input 5) overlaps "volts" (input 5)',
      'overlaps.yaml:15 devices[0].points[8].address: "amps" (input 12) overlaps "odd_float" (input 11-12)',
      'overlaps.yaml:18 devices[0].points[11].address: "relay_copy" (coil 3) overlaps "relay" (coil 3)',
      // a device point is blamed, not the profile point it collides with
      'overlaps.yaml:24 devices[1].points[0].address: "bypass_power" (holding 31-32) overlaps "energy_out" (holding 30-31)',
    ],
  },
  {
    fixture: 'point-types.yaml',
    expected: [
      'point-types.yaml:8 devices[0].points[0].bit: needs type int16 or uint16, got float32',
      'point-types.yaml:9 devices[0].points[1].length: required for type string',
      'point-types.yaml:10 devices[0].points[2].length: only for type string, not uint16',
      'point-types.yaml:14 devices[0].points[3].enum.on: enum key "on" is not an integer',
      'point-types.yaml:14 devices[0].points[3].enum["1.5"]: enum key "1.5" is not an integer',
      'point-types.yaml:15 devices[0].points[4].type: coil points are bool, got uint16',
      'point-types.yaml:16 devices[0].points[5].scale: not for type string',
      'point-types.yaml:17 devices[0].points[6].bit: not for discrete points (they are single bits already)',
      'point-types.yaml:18 devices[0].points[7].length: needs 150 registers, more than one request can read (125)',
    ],
  },
  {
    // two devices share the broken profile: its problems appear once, under its own file
    fixture: 'bad-profile.yaml',
    expected: [
      'bad-profile.yaml:6 devices[0].profile: profile "broken-ups" has 3 problems (in profiles/broken-ups.yaml)',
      'profiles/broken-ups.yaml:7 points[1].address: 70000 exceeds 65535',
      'profiles/broken-ups.yaml:8 points[2].key: duplicate key "status" (also points[0])',
      'profiles/broken-ups.yaml:9 points[3].bit: needs type int16 or uint16, got float32',
    ],
  },
  {
    fixture: 'many-problems.yaml',
    expected: [
      'many-problems.yaml:1 gateway.id: "GW 1" has characters other than a-z, 0-9, _ and -',
      'many-problems.yaml:1 gateway.logLevel: expected one of debug, info, warn, error, got "loud"',
      'many-problems.yaml:2 http.port: 70000 exceeds 65535',
      'many-problems.yaml:3 storage.retention.maxAgeDays: -1 is below 0',
      'many-problems.yaml:7 devices[0].kind: expected one of ups, hvac, pdu, sensor, meter, other, got "upss"',
      'many-problems.yaml:9 devices[0].connection.timeout: unknown key "timeout" (did you mean "timeoutMs"?)',
      'many-problems.yaml:12 devices[0].points[0].adress: unknown key "adress" (did you mean "address"?)',
      'many-problems.yaml:13 devices[0].points[1].wordOrder: expected one of ABCD, CDAB, BADC, DCBA, got "ABDC"',
      'many-problems.yaml:14 devices[0].points[2].address: 70000 exceeds 65535',
      'many-problems.yaml:15 devices[1].id: duplicate id "ups1" (also devices[0])',
      `many-problems.yaml:18 devices[1].profile: unknown profile "ups-x" (looked in profiles, BUILTIN; ${AVAILABLE})`,
      'many-problems.yaml:20 devices[2].driver: expected one of modbus, mqtt, opcua, snmp, got "bacnet"',
      'many-problems.yaml:24 devices[3].connection.parity: expected one of none, even, odd, got "space"',
      'many-problems.yaml:27 devices[3].points[0].address: "supply_temp" (input 0-1) overlaps "return_temp" (input 1)',
    ],
  },
];

describe('gateway check messages', () => {
  it.each(cases)('$fixture', ({ fixture, expected }) => {
    expect(check(fixture)).toEqual(expected);
  });

  it('has a fixture file for every case and a case for every broken fixture', async () => {
    const { readdirSync } = await import('node:fs');
    const broken = readdirSync(fixtures).filter((f) => f.endsWith('.yaml') && f !== 'valid-site.yaml');
    expect(cases.map((c) => c.fixture).sort()).toEqual(broken.sort());
  });
});

describe('whole-file problems', () => {
  const cases: { name: string; text: string; expected: string[] }[] = [
    // inline rather than a fixture file, so the repository's own YAML lint stays clean
    {
      name: 'YAML syntax error',
      text: 'gateway: { id: gw1 }\ndevices:\n  - id: ups1\n    connection: { host: 10.0.0.1\n    profile: ups-generic\n',
      expected: ['site.yaml:5: Flow map in block collection must be sufficiently indented and end with a }'],
    },
    { name: 'empty file', text: '', expected: ['site.yaml: the file is empty'] },
    { name: 'comments only', text: '# nothing yet\n', expected: ['site.yaml: the file is empty'] },
    { name: 'a list at the top', text: '- 1\n- 2\n', expected: ['site.yaml:1: expected a mapping, got a list'] },
    {
      name: 'required sections',
      text: 'http: { port: 8080 }\n',
      expected: ['site.yaml:1 gateway: required', 'site.yaml:1 devices: required'],
    },
    {
      name: 'devices not a list',
      text: 'gateway: { id: gw }\ndevices:\n  ups1: { driver: modbus }\n',
      expected: ['site.yaml:2 devices: expected a list, got a mapping'],
    },
    {
      name: 'a device that is not a mapping',
      text: 'gateway: { id: gw }\ndevices:\n  - ups1\n',
      expected: ['site.yaml:3 devices[0]: expected a mapping, got "ups1"'],
    },
    {
      name: 'connection not a mapping',
      text: 'gateway: { id: gw }\ndevices:\n  - { id: a, driver: modbus, connection: 10.0.0.1, profile: ups-generic }\n',
      expected: ['site.yaml:3 devices[0].connection: expected a mapping, got "10.0.0.1"'],
    },
    {
      name: 'unknown transport',
      text: 'gateway: { id: gw }\ndevices:\n  - id: a\n    driver: modbus\n    connection: { transport: udp, host: h }\n    profile: ups-generic\n',
      expected: ['site.yaml:5 devices[0].connection.transport: expected one of tcp, rtu-over-tcp, rtu, got "udp"'],
    },
    {
      name: 'address neither number nor string',
      text: 'gateway: { id: gw }\ndevices:\n  - id: a\n    driver: modbus\n    connection: { host: h }\n    points:\n      - { key: x, table: coil, address: true }\n',
      expected: ['site.yaml:7 devices[0].points[0].address: expected a number or a string, got true'],
    },
    {
      name: 'empty value',
      text: 'gateway: { id: gw }\ndevices:\n  - id: a\n    driver: modbus\n    connection: { host: h }\n    location:\n    profile: ups-generic\n',
      expected: ['site.yaml:6 devices[0].location: expected a string, got an empty value'],
    },
    {
      name: 'unresolved alias',
      text: 'gateway: { id: *gw }\ndevices: []\n',
      expected: ['site.yaml: Unresolved alias (the anchor must be set before the alias): gw'],
    },
  ];
  it.each(cases)('$name', ({ text, expected }) => {
    const { config, problems } = parseSiteConfig(text, 'site.yaml', { profilesDirs: [builtinProfilesDir()] });
    expect(problems.map(formatProblem)).toEqual(expected);
    expect(config).toBeUndefined();
  });

  it('reports a file it cannot read', () => {
    expect(checkSiteConfig('no-such-dir/site.yaml').problems.map(formatProblem)).toEqual([
      'no-such-dir/site.yaml: cannot read the file (ENOENT)',
    ]);
  });

  it('loadSiteConfig throws a ConfigError carrying every problem', () => {
    let error: unknown;
    try {
      loadSiteConfig(join(rel, 'duplicates.yaml'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect((error as ConfigError).message.split('\n')).toEqual(problems.map(formatProblem));
  });

  it('parseSiteConfig names problems after the file name it is given', () => {
    const text = readFileSync(join(fixtures, 'wrong-types.yaml'), 'utf8');
    const fromText = parseSiteConfig(text, 'elsewhere/wrong-types.yaml', { profilesDirs: [builtinProfilesDir()] });
    expect(fromText.problems.map(formatProblem)[0]).toBe(
      'elsewhere/wrong-types.yaml:1 gateway.logLevel: expected one of debug, info, warn, error, got "verbose"',
    );
  });
});
