/**
 * The embedded broker as sensors see it: password logins (hashed and from the environment),
 * the per-user publish ACL, the TLS listener, and values going in-process to the ingest, the
 * sampler and the real store; counters as the health API shows them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import { hashPassword } from '../../drivers/mqtt/password.js';
import type { MqttBrokerSection, MqttDeviceLike, MqttPoint } from '../../drivers/mqtt/point.js';
import { type MqttRuntime, startMqttRuntime } from '../../drivers/mqtt/runtime.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler, type Sampler } from '../../gateway/sampler.js';
import type { Store } from '../../gateway/store/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const FAST = { N: 1024, r: 8, p: 1 };
/** makes the TLS test certificate; CI installs it (.ci/run), a laptop without it skips that test */
const HAS_OPENSSL = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('CI is missing openssl (apt-get install openssl)');
    return false;
  }
})();

function point(device: string, key: string, topic: string, extra: Partial<MqttPoint> = {}): MqttPoint {
  return { id: `${device}.${key}`, key, name: key, topic, filter: topic, type: 'number', staleAfterMs: 0, ...extra };
}

async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function refusal(url: string, opts: mqtt.IClientOptions): Promise<string> {
  return mqtt.connectAsync(url, { ...opts, reconnectPeriod: 0, connectTimeout: 3000 }).then(
    async (c) => {
      await c.endAsync(true);
      return 'connected';
    },
    (err: Error) => err.message,
  );
}

describe('embedded broker: auth, ACL, TLS, in-process ingest', () => {
  const stores = createTempStores('gw-mqtt-emb-', { commitIntervalMs: 50 });
  let dir: string;
  let runtime: MqttRuntime;
  let sampler: Sampler;
  let store: Store;
  let url: string;
  let tlsUrl: string;
  const clients: MqttClient[] = [];

  const devices: MqttDeviceLike[] = [
    {
      id: 'rack-a01',
      driver: 'mqtt',
      maxPayloadBytes: 65536,
      retained: 'accept',
      points: [point('rack-a01', 'temperature', 'dc1/rack/a01/env', { path: 'temperature' })],
    },
    {
      id: 'rack-a02',
      driver: 'mqtt',
      maxPayloadBytes: 65536,
      retained: 'accept',
      points: [point('rack-a02', 'temperature', 'dc1/rack/a02/env', { path: 'temperature' })],
    },
  ];
  const good = (id: string) =>
    store
      .history(id, 0, Date.now() + 60_000, 1000)
      .filter((r) => r.quality === 'good')
      .map((r) => r.value);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gw-mqtt-tls-'));
    if (HAS_OPENSSL) {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      ], { stdio: 'ignore' });
    }
    const section: MqttBrokerSection = {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      allowAnonymous: false,
      anonymousPublish: ['#'],
      ...(HAS_OPENSSL ? { tls: { port: 0, cert: 'cert.pem', key: 'key.pem' } } : {}),
      users: [
        { username: 'rack-a01', password: { hash: await hashPassword('pw-a01', FAST) }, publish: ['dc1/rack/a01/#'], subscribe: [] },
        { username: 'rack-a02', password: { secret: new Secret('pw-from-env') }, publish: ['dc1/rack/a02/#'], subscribe: [] },
      ],
    };
    runtime = await startMqttRuntime({ broker: section, devices, gatewayId: 'it', baseDir: dir, logger: silentLogger });
    url = `mqtt://127.0.0.1:${runtime.broker!.port}`;
    tlsUrl = `mqtts://127.0.0.1:${runtime.broker!.tlsPort ?? 0}`;
    store = stores.open(stores.file());
    sampler = createSampler({
      devices: devices.map((d) => ({ driver: runtime.driverFor(d), pollIntervalMs: 100, pointIds: d.points.map((p) => p.id) })),
      sink: (s) => store.append(s),
      logger: silentLogger,
    });
    sampler.start();
    await until(() => sampler.status().every((s) => s.state !== 'connecting'), 5000, 'devices connected');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await sampler?.stop();
    await runtime?.close();
    stores.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes values from a sensor with the right password, in-process into the store', async () => {
    const sensor = await mqtt.connectAsync(url, { username: 'rack-a01', password: 'pw-a01', clientId: 'rack-a01' });
    clients.push(sensor);
    await sensor.publishAsync('dc1/rack/a01/env', JSON.stringify({ temperature: 24.5 }), { qos: 1 });
    await until(() => good('rack-a01.temperature').length === 1, 3000, 'the reading');
    expect(good('rack-a01.temperature')).toEqual([24.5]);
  });

  it('accepts a password given through the environment', async () => {
    const sensor = await mqtt.connectAsync(url, { username: 'rack-a02', password: 'pw-from-env', clientId: 'rack-a02' });
    clients.push(sensor);
    await sensor.publishAsync('dc1/rack/a02/env', JSON.stringify({ temperature: 19 }), { qos: 1 });
    await until(() => good('rack-a02.temperature').length === 1, 3000, 'the reading');
  });

  it.each([
    ['a wrong password', { username: 'rack-a01', password: 'nope' }, /bad username or password/i],
    ['an unknown user', { username: 'intruder', password: 'pw-a01' }, /bad username or password/i],
    ['no credentials (anonymous is off)', {}, /not authorized/i],
  ])('refuses %s', async (_what, creds, message) => {
    const before = runtime.broker!.stats().authFailures;
    expect(await refusal(url, creds)).toMatch(message);
    expect(runtime.broker!.stats().authFailures).toBe(before + 1);
  });

  it('refuses a publish outside the sensor\'s prefix: disconnected, nothing delivered', async () => {
    const before = runtime.broker!.stats();
    const rogue = await mqtt.connectAsync(url, { username: 'rack-a01', password: 'pw-a01', clientId: 'rogue-a01', reconnectPeriod: 0 });
    clients.push(rogue);
    const closed = new Promise<void>((resolve) => rogue.once('close', () => resolve()));
    rogue.publish('dc1/rack/a02/env', JSON.stringify({ temperature: 99 }), { qos: 0 });
    await closed;
    // a legitimate message after it still goes through, so the refused one had its chance
    const a02 = await mqtt.connectAsync(url, { username: 'rack-a02', password: 'pw-from-env', clientId: 'rack-a02-b' });
    clients.push(a02);
    await a02.publishAsync('dc1/rack/a02/env', JSON.stringify({ temperature: 20 }), { qos: 1 });
    await until(() => good('rack-a02.temperature').includes(20), 3000, 'the legitimate reading');
    expect(good('rack-a02.temperature')).not.toContain(99);
    expect(runtime.broker!.stats().publishRefused).toBe(before.publishRefused + 1);
  });

  it.skipIf(!HAS_OPENSSL)('serves TLS with the same logins', async () => {
    const ca = readFileSync(join(dir, 'cert.pem'));
    const sensor = await mqtt.connectAsync(tlsUrl, { username: 'rack-a01', password: 'pw-a01', clientId: 'rack-a01-tls', ca });
    clients.push(sensor);
    await sensor.publishAsync('dc1/rack/a01/env', JSON.stringify({ temperature: 25.5 }), { qos: 1 });
    await until(() => good('rack-a01.temperature').includes(25.5), 3000, 'the TLS reading');
    expect(await refusal(tlsUrl, { username: 'rack-a01', password: 'x', ca })).toMatch(/bad username or password/i);
  });

  it('reports broker and ingest counters for the health API', () => {
    const health = runtime.health();
    expect(health.broker).toMatchObject({ port: runtime.broker!.port, tlsPort: runtime.broker!.tlsPort });
    expect(health.broker!.connects).toBeGreaterThanOrEqual(HAS_OPENSSL ? 4 : 3);
    expect(health.broker!.authFailures).toBeGreaterThanOrEqual(HAS_OPENSSL ? 4 : 3);
    expect(health.broker!.publishRefused).toBe(1);
    expect(health.broker!.messagesIn).toBeGreaterThanOrEqual(3);
    expect(health.links).toEqual([expect.objectContaining({ link: 'embedded', connected: true })]);
    expect(health.ingest.values).toBeGreaterThanOrEqual(3);
    // no secret anywhere in what the API would show
    expect(JSON.stringify(health)).not.toMatch(/pw-a01|pw-from-env|scrypt/);
  });
});
