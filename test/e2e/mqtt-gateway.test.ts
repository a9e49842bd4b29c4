/**
 * `gateway run` with MQTT as an integrator deploys it: the embedded broker starts from the
 * config, a sensor logs in and publishes, and GET /api/v1/health shows the broker and ingest
 * counters (nothing secret in them).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../drivers/mqtt/password.js';
import { runCli, spawnCli, stopCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';

interface MqttHealthBody {
  mqtt: {
    broker: { port: number; clients: number; connects: number; authFailures: number; publishRefused: number; messagesIn: number };
    links: { link: string; connected: boolean }[];
    ingest: { messages: number; values: number; rejected: Record<string, number> };
  };
}

describe('gateway run with the embedded MQTT broker', () => {
  let dir: string;
  let httpPort: number;
  let mqttPort: number;
  let child: ReturnType<typeof spawnCli>;
  // Beyond status and counts, health is for a login or an API token.
  let headers: Record<string, string> = {};
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`, { headers });
    return (await res.json()) as MqttHealthBody;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-run-'));
    httpPort = await freePort();
    mqttPort = await freePort();
    const hash = await hashPassword('rack-row-a-pw', { N: 1024, r: 8, p: 1 });
    writeFileSync(
      join(dir, 'site.yaml'),
      `gateway: { id: e2e-mqtt, dataDir: ./data }
http: { host: 127.0.0.1, port: ${httpPort} }
mqttBroker:
  host: 127.0.0.1
  port: ${mqttPort}
  users:
    - { username: row-a, password: "${hash}", publish: ["dc1/rack/+/env"] }
devices:
  - id: racks
    kind: sensor
    driver: mqtt
    topic: dc1/rack/{rack}/env
    instances: { rack: [a01, a02] }
    points:
      - { key: temperature, unit: "°C", path: temperature }
`,
    );
    const made = runCli(['token', 'create', '--name', 'e2e-health', '--role', 'viewer', '--config', join(dir, 'site.yaml')]);
    expect(made.code, made.stderr).toBe(0);
    headers = { authorization: `Bearer ${made.stdout.trim()}` };
    child = spawnCli(['run', '--config', join(dir, 'site.yaml')]);
    await waitFor(async () => ((await health()).mqtt?.links[0]?.connected ? true : undefined), 20_000, 'the gateway with its MQTT link').catch(
      (err: Error) => {
        throw new Error(`${err.message}\n--- gateway output ---\n${child.output()}`);
      },
    );
  }, 40_000);

  afterAll(async () => {
    await stopCli(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a sensor\'s values and shows the counters in the health API', async () => {
    const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: 'row-a', password: 'rack-row-a-pw' });
    await sensor.publishAsync('dc1/rack/a01/env', JSON.stringify({ temperature: 23.5 }), { qos: 1 });
    await sensor.publishAsync('dc1/rack/a02/env', 'not json', { qos: 1 });
    await sensor.publishAsync('dc1/rack/a09/env', JSON.stringify({ temperature: 20 }), { qos: 1 });
    await sensor.endAsync();
    const body = await waitFor(async () => {
      const h = await health();
      return h.mqtt.ingest.messages >= 3 ? h : undefined;
    }, 5000, 'the messages in the health counters');
    expect(body.mqtt.broker).toMatchObject({ port: mqttPort, connects: 1, authFailures: 0, publishRefused: 0, messagesIn: 3 });
    expect(body.mqtt.links).toEqual([expect.objectContaining({ link: 'embedded', connected: true })]);
    expect(body.mqtt.ingest).toMatchObject({ messages: 3, values: 1 });
    expect(body.mqtt.ingest.rejected).toMatchObject({ 'not-json': 1, 'unknown-topic': 1 });
    expect(JSON.stringify(body)).not.toMatch(/scrypt|rack-row-a-pw/);
  });
});
