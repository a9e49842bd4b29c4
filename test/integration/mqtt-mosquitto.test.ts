/**
 * The MQTT ingest on an independent broker (Debian's mosquitto) with the real sampler and store:
 * values are committed; after a broker restart (sessions lost) the gateway reconnects,
 * subscribes again and continues; QoS 1 messages published while the gateway was away (clean
 * session off, stable client id) arrive when it is back.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMqttDriver } from '../../drivers/mqtt/driver.js';
import { createMqttIngest, type MqttIngest } from '../../drivers/mqtt/ingest.js';
import type { MqttDeviceLike } from '../../drivers/mqtt/point.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler, type Sampler } from '../../gateway/sampler.js';
import type { Store } from '../../gateway/store/types.js';
import { type MosquittoPeer, startMosquitto } from '../helpers/mosquitto.js';
import { peersAvailable } from '../helpers/peers.js';
import { createTempStores } from '../helpers/temp-store.js';

const RUN = peersAvailable('mosquitto');

async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!RUN)('mqtt ingest from mosquitto', () => {
  const stores = createTempStores('gw-mqtt-mosq-', { commitIntervalMs: 50 });
  let broker: MosquittoPeer;
  let store: Store;
  let sensor: MqttClient;
  let ingest: MqttIngest;
  let sampler: Sampler;
  const device: MqttDeviceLike = {
    id: 'rack1',
    driver: 'mqtt',
    connection: { url: '', clientId: `gw-it-${process.pid}`, keepaliveS: 5, connectTimeoutMs: 1000 },
    maxPayloadBytes: 65536,
    retained: 'accept',
    points: [{ id: 'rack1.count', key: 'count', name: 'count', topic: 'it/rack1/env', filter: 'it/+/env', path: 'n', type: 'number', staleAfterMs: 0 }],
  };

  const startGateway = () => {
    ingest = createMqttIngest({ devices: [device], gatewayId: 'it', logger: silentLogger, reconnectMs: 100 });
    sampler = createSampler({
      devices: [{ driver: createMqttDriver(device, { ingest }), pollIntervalMs: 100, pointIds: ['rack1.count'] }],
      sink: (s) => store.append(s),
      logger: silentLogger,
      backoff: { initialMs: 100, maxMs: 300 },
    });
    sampler.start();
  };
  const stopGateway = async () => {
    await sampler.stop();
    await ingest.close();
  };
  const stored = () => store.history('rack1.count', 0, Date.now() + 60_000, 100_000);
  const goodValues = () => stored().filter((r) => r.quality === 'good').map((r) => r.value as number);
  const publish = (n: number) => sensor.publishAsync('it/rack1/env', JSON.stringify({ n }), { qos: 1 });

  beforeAll(async () => {
    broker = await startMosquitto();
    device.connection!.url = broker.url;
    store = stores.open(stores.file());
    sensor = await mqtt.connectAsync(broker.url, { clientId: `sensor-it-${process.pid}`, reconnectPeriod: 100 });
    startGateway();
    await until(() => sampler.statusOf('rack1')?.state === 'degraded' || sampler.statusOf('rack1')?.state === 'up', 5000, 'the device to connect');
  });

  afterAll(async () => {
    await stopGateway().catch(() => undefined);
    await sensor?.endAsync(true);
    await broker?.dispose();
    stores.cleanup();
  });

  it('commits published values as good readings', async () => {
    for (let n = 1; n <= 20; n++) await publish(n);
    await until(() => goodValues().length >= 20, 5000, '20 readings');
    expect(goodValues()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('reconnects and subscribes again after the broker restarts, then continues', async () => {
    await broker.stop(true);
    await until(() => sampler.statusOf('rack1')?.state === 'down', 5000, 'the device to go down');
    // the outage is in the history: one bad sample
    await until(() => stored().some((r) => r.quality === 'bad' && r.reason === 'comm'), 2000, 'the comm-loss sample');
    await broker.start();
    await until(() => sensor.connected && sampler.statusOf('rack1')?.state !== 'down', 10_000, 'both sides back');
    await until(() => ingest.health().links[0]!.connected, 5000, 'the link up');
    for (let n = 21; n <= 30; n++) await publish(n);
    await until(() => goodValues().includes(30), 5000, 'values after the restart');
    expect(goodValues().filter((v) => v > 20)).toEqual(Array.from({ length: 10 }, (_, i) => i + 21));
    const link = ingest.health().links[0]!;
    expect(link).toMatchObject({ link: broker.url, connected: true });
    expect(link.connects).toBeGreaterThanOrEqual(2);
    expect(link.disconnects).toBeGreaterThanOrEqual(1);
  });

  it('gets the QoS 1 messages published while the gateway was away (kept session)', async () => {
    await stopGateway();
    for (let n = 31; n <= 40; n++) await publish(n);
    startGateway();
    await until(() => goodValues().includes(40), 5000, 'the queued messages');
    expect(goodValues().filter((v) => v > 30)).toEqual(Array.from({ length: 10 }, (_, i) => i + 31));
  });
});
