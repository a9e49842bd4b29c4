/**
 * The driver contract for the MQTT ingest on an external broker (Debian's mosquitto). A sensor
 * (mqtt.js) publishes every 20 ms; for a push driver "every value arrives" means the first
 * messages reached the cache, so the setup's connect also waits for them.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { createMqttDriver } from '../../drivers/mqtt/driver.js';
import { createMqttIngest } from '../../drivers/mqtt/ingest.js';
import type { MqttDeviceLike, MqttPoint } from '../../drivers/mqtt/point.js';
import type { Driver } from '../../core/driver.js';
import { type MosquittoPeer, startMosquitto } from '../helpers/mosquitto.js';
import { peersAvailable } from '../helpers/peers.js';
import { describeDriverContract } from './driver-contract.js';

function point(key: string, topic: string, extra: Partial<MqttPoint> = {}): MqttPoint {
  return { id: `env1.${key}`, key, name: key, topic, filter: topic, type: 'number', staleAfterMs: 60_000, ...extra };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeDriverContract(
  'mqtt ingest (mosquitto)',
  async () => {
    const broker: MosquittoPeer = await startMosquitto();
    const device: MqttDeviceLike = {
      id: 'env1',
      driver: 'mqtt',
      connection: { url: broker.url, clientId: `contract-${process.pid}`, keepaliveS: 5, connectTimeoutMs: 2000 },
      maxPayloadBytes: 65536,
      retained: 'accept',
      points: [
        point('temperature', 'contract/env1', { path: 'temperature' }),
        point('humidity', 'contract/env1', { path: 'rh' }),
        point('door', 'contract/env1/door', { type: 'boolean' }),
      ],
    };
    const ingest = createMqttIngest({ devices: [device], gatewayId: 'contract', reconnectMs: 100 });
    const inner = createMqttDriver(device, { ingest });
    const sensor: MqttClient = mqtt.connect(broker.url, { reconnectPeriod: 100, clientId: `sensor-${process.pid}` });
    const timer = setInterval(() => {
      if (!sensor.connected) return;
      sensor.publish('contract/env1', JSON.stringify({ temperature: 21.5, rh: 40 }));
      sensor.publish('contract/env1/door', 'false');
    }, 20);
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
      expectedPointIds: ['env1.temperature', 'env1.humidity', 'env1.door'],
      async changeValue() {
        change += 1;
        const value = 30 + change;
        await sensor.publishAsync('contract/env1', JSON.stringify({ temperature: value, rh: 40 }));
        return value;
      },
      async breakLink() {
        await broker.stop();
        await until(() => !ingest.linkOf('env1').isUp());
      },
      async restoreLink() {
        await broker.start();
      },
      async teardown() {
        clearInterval(timer);
        await sensor.endAsync(true);
        await ingest.close();
        await broker.dispose();
      },
    };
  },
  { skip: !peersAvailable('mosquitto'), push: true },
);
