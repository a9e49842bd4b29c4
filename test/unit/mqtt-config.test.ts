/** MQTT in the site config: the broker section, devices, topic templates, instances and profiles. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import type { SiteConfig } from '../../config/types.js';
import type { MqttDeviceConfig } from '../../drivers/mqtt/device.js';
import { verifyPassword } from '../../drivers/mqtt/password.js';

const DEMO_HASH = 'scrypt$16384$8$1$bLsvkd5wLWFEtNPkK1dTKQ==$ld59rZwQIJ9/HPYLt8pU28Wc9sO6Th5ag7GLAYiUAxU=';

function load(yaml: string, profilesDirs: string[] = []): SiteConfig {
  const { config, problems } = parseSiteConfig(yaml, 'site.yaml', { profilesDirs });
  expect(problems).toEqual([]);
  return config!;
}

function mqttDevice(config: SiteConfig, id: string): MqttDeviceConfig {
  const d = config.devices.find((x) => x.id === id);
  if (d?.driver !== 'mqtt') throw new Error(`no mqtt device ${id}`);
  return d;
}

describe('mqtt config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-cfg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the broker section with defaults, hashes and environment passwords', async () => {
    process.env.MQTT_CFG_TEST_PW = 'from-the-env';
    const config = load(`gateway: { id: t }
mqttBroker:
  users:
    - { username: rack-a01, password: "${DEMO_HASH}", publish: ["dc1/rack/a01/#"] }
    - { username: ems, password: "\${MQTT_CFG_TEST_PW}", subscribe: ["dc1/#"] }
devices: []
`);
    const broker = config.mqttBroker!;
    expect(broker).toMatchObject({ enabled: true, host: '0.0.0.0', port: 1883, allowAnonymous: false });
    expect(broker.tls).toBeUndefined();
    expect(broker.users[0]).toMatchObject({ username: 'rack-a01', password: { hash: DEMO_HASH }, publish: ['dc1/rack/a01/#'], subscribe: [] });
    expect(await verifyPassword('demo-sensors', (broker.users[0]!.password as { hash: string }).hash)).toBe(true);
    const envPw = broker.users[1]!.password as { secret: { reveal(): string } };
    expect(envPw.secret.reveal()).toBe('from-the-env');
    // a secret never prints
    expect(JSON.stringify(broker)).not.toContain('from-the-env');
  });

  it('fills topics, filters and defaults for plain devices', () => {
    const config = load(`gateway: { id: t }
mqttBroker: {}
devices:
  - id: door1
    driver: mqtt
    points:
      - { key: open, topic: dc1/door/1, type: boolean, staleAfterMs: 0 }
  - id: env1
    driver: mqtt
    connection: { url: "mqtts://broker.local:8883", username: gw, password: "pw", ca: ca.pem }
    timestampPath: ts
    expectedIntervalMs: 10000
    retained: ignore
    points:
      - { key: temperature, unit: "°C", topic: site/env/1, path: data.t, scale: 0.1 }
`);
    expect(mqttDevice(config, 'door1')).toMatchObject({
      driver: 'mqtt',
      kind: 'other',
      maxPayloadBytes: 65536,
      retained: 'accept',
      points: [{ id: 'door1.open', key: 'open', name: 'open', topic: 'dc1/door/1', filter: 'dc1/door/1', type: 'boolean', staleAfterMs: 0 }],
    });
    expect(mqttDevice(config, 'door1').connection).toBeUndefined();
    const env = mqttDevice(config, 'env1');
    expect(env).toMatchObject({
      timestampPath: 'ts',
      retained: 'ignore',
      connection: { url: 'mqtts://broker.local:8883', username: 'gw', ca: 'ca.pem', keepaliveS: 30, connectTimeoutMs: 5000 },
      points: [{ id: 'env1.temperature', unit: '°C', path: 'data.t', scale: 0.1, type: 'number', staleAfterMs: 30_000 }],
    });
    expect(env.connection!.password!.reveal()).toBe('pw');
  });

  it('repeats points per instance: one entry for a row of rack sensors, one subscription', () => {
    const config = load(`gateway: { id: t }
mqttBroker: {}
devices:
  - id: racks
    driver: mqtt
    kind: sensor
    topic: dc1/rack/{rack}/env
    instances: { rack: [a01, a02, a03] }
    points:
      - { key: temperature, name: "Rack {rack} inlet", path: temperature }
      - { key: humidity, path: humidity }
`);
    const racks = mqttDevice(config, 'racks');
    expect(racks.points.map((p) => [p.id, p.name, p.topic, p.filter])).toEqual([
      ['racks.a01-temperature', 'Rack a01 inlet', 'dc1/rack/a01/env', 'dc1/rack/+/env'],
      ['racks.a02-temperature', 'Rack a02 inlet', 'dc1/rack/a02/env', 'dc1/rack/+/env'],
      ['racks.a03-temperature', 'Rack a03 inlet', 'dc1/rack/a03/env', 'dc1/rack/+/env'],
      ['racks.a01-humidity', 'a01 humidity', 'dc1/rack/a01/env', 'dc1/rack/+/env'],
      ['racks.a02-humidity', 'a02 humidity', 'dc1/rack/a02/env', 'dc1/rack/+/env'],
      ['racks.a03-humidity', 'a03 humidity', 'dc1/rack/a03/env', 'dc1/rack/+/env'],
    ]);
  });

  it('takes a topic layout from a profile: one line per sensor, sensors/{device}/{point}', () => {
    const profiles = join(dir, 'profiles');
    rmSync(profiles, { recursive: true, force: true });
    mkdirSync(profiles);
    writeFileSync(
      join(profiles, 'env-sensor.yaml'),
      `name: env-sensor
driver: mqtt
kind: sensor
topic: sensors/{device}/{point}
expectedIntervalMs: 5000
points:
  - { key: temperature, unit: "°C" }
  - { key: humidity, unit: "%RH" }
`,
    );
    const config = load(
      `gateway: { id: t }
mqttBroker: {}
devices:
  - { id: rack-a01, driver: mqtt, profile: env-sensor }
  - { id: rack-a02, driver: mqtt, profile: env-sensor, points: [{ key: humidity, disabled: true }] }
`,
      [profiles],
    );
    expect(mqttDevice(config, 'rack-a01')).toMatchObject({
      kind: 'sensor',
      points: [
        { id: 'rack-a01.temperature', topic: 'sensors/rack-a01/temperature', filter: 'sensors/+/+', staleAfterMs: 15_000 },
        { id: 'rack-a01.humidity', topic: 'sensors/rack-a01/humidity', filter: 'sensors/+/+' },
      ],
    });
    expect(mqttDevice(config, 'rack-a02').points.map((p) => p.topic)).toEqual(['sensors/rack-a02/temperature']);
  });

  it.each([
    ['mqttBroker: { port: 70000 }', 'mqttBroker.port: 70000 exceeds 65535'],
    ['mqttBroker: { users: [{ username: a, password: "x" }] }', 'mqttBroker.users[0].password: a plain password is not accepted'],
    ['mqttBroker: { users: [{ username: a, password: "scrypt$1$2" }] }', 'mqttBroker.users[0].password: is not a scrypt hash'],
    [`mqttBroker: { users: [{ username: a, password: "${DEMO_HASH}" }, { username: a, password: "${DEMO_HASH}" }] }`, 'mqttBroker.users[1].username: duplicate username "a"'],
    ['mqttBroker: { tls: { cert: a.pem } }', 'mqttBroker.tls.key: required'],
    ['mqttBroker: { alowAnonymous: true }', 'unknown key "alowAnonymous" (did you mean "allowAnonymous"?)'],
  ])('refuses %s', (section, message) => {
    const { problems } = parseSiteConfig(`gateway: { id: t }\n${section}\ndevices: []\n`, 'site.yaml', { profilesDirs: [] });
    expect(problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toContain(message);
  });

  it.each([
    ['{ key: t, topic: "a/{x}" }', 'points[0].topic: {x} has no value'],
    ['{ key: t }', 'points[0].topic: required (or give the device a topic)'],
    ['{ key: t, topic: "a/#" }', '"#" is not allowed'],
    ['{ key: t, topic: a, type: integer }', 'points[0].type: expected one of number, boolean, string'],
    ['{ key: t, topic: a, path: "x[" }', 'points[0].path: "x[" is not a JSON path'],
    ['{ key: t, topic: a, staleAfterMs: -1 }', 'points[0].staleAfterMs: -1 is below 0'],
  ])('refuses the point %s', (point, message) => {
    const { problems } = parseSiteConfig(`gateway: { id: t }\nmqttBroker: {}\ndevices:\n  - { id: d, driver: mqtt, points: [${point}] }\n`, 'site.yaml', { profilesDirs: [] });
    expect(problems.map((p) => `${p.path}: ${p.message}`).join('\n')).toContain(message);
  });

  it('refuses a device on the embedded broker when the broker is off', () => {
    const { problems } = parseSiteConfig(
      `gateway: { id: t }\nmqttBroker: { enabled: false }\ndevices:\n  - { id: d, driver: mqtt, points: [{ key: t, topic: a }] }\n`,
      'site.yaml',
      { profilesDirs: [] },
    );
    expect(problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^4 devices\[0\]: uses the embedded MQTT broker \(it has no connection\), which is not enabled/),
    ]);
  });
});
