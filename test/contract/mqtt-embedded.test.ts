/**
 * The driver contract for the MQTT ingest on the gateway's embedded broker (aedes, in-process).
 * A sensor logs in over loopback and publishes every 20 ms. The link from broker to ingest is
 * in-process, so the link-break cases do not apply; the external-broker file covers them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import type { Driver } from '../../core/driver.js';
import { silentLogger } from '../../core/logger.js';
import { hashPassword } from '../../drivers/mqtt/password.js';
import type { MqttBrokerSection, MqttDeviceLike, MqttPoint } from '../../drivers/mqtt/point.js';
import { startMqttRuntime } from '../../drivers/mqtt/runtime.js';
import { describeDriverContract } from './driver-contract.js';

function point(key: string, topic: string, extra: Partial<MqttPoint> = {}): MqttPoint {
  return { id: `env2.${key}`, key, name: key, topic, filter: topic, type: 'number', staleAfterMs: 60_000, ...extra };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeDriverContract(
  'mqtt ingest (embedded broker)',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-contract-mqtt-'));
    const section: MqttBrokerSection = {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      allowAnonymous: false,
      anonymousPublish: ['#'],
      users: [{ username: 'sensor', password: { hash: await hashPassword('pw', { N: 1024, r: 8, p: 1 }) }, publish: ['contract/#'], subscribe: [] }],
    };
    const device: MqttDeviceLike = {
      id: 'env2',
      driver: 'mqtt',
      maxPayloadBytes: 65536,
      retained: 'accept',
      points: [point('temperature', 'contract/env2', { path: 'temperature' }), point('humidity', 'contract/env2', { path: 'rh' })],
    };
    const runtime = await startMqttRuntime({ broker: section, devices: [device], gatewayId: 'contract', baseDir: dir, logger: silentLogger });
    const inner = runtime.driverFor(device);
    const sensor = await mqtt.connectAsync(`mqtt://127.0.0.1:${runtime.broker!.port}`, { username: 'sensor', password: 'pw', clientId: 'contract-sensor' });
    const timer = setInterval(() => sensor.publish('contract/env2', JSON.stringify({ temperature: 21.5, rh: 40 })), 20);
    const allGood = async (signal: AbortSignal) => (await inner.read(signal).catch(() => [])).every((s) => s.quality === 'good');
    const driver: Driver = {
      ...inner,
      deviceId: inner.deviceId,
      linkId: inner.linkId,
      async connect(signal) {
        await inner.connect(signal);
        await until(() => allGood(signal));
      },
    };
    let change = 0;
    return {
      driver,
      expectedPointIds: ['env2.temperature', 'env2.humidity'],
      async changeValue() {
        change += 1;
        const value = 50 + change;
        await sensor.publishAsync('contract/env2', JSON.stringify({ temperature: value, rh: 40 }));
        return value;
      },
      breakLink: async () => {},
      restoreLink: async () => {},
      async teardown() {
        clearInterval(timer);
        await sensor.endAsync(true);
        await runtime.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { push: true, linkCanBreak: false },
);
