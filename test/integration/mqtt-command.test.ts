/**
 * MQTT writes (issue 14): a point's command is published on its command topic, QoS 1 and not
 * retained, with the payload template filled (scale undone, JSON-escaped in JSON templates), on
 * an external broker (Debian's mosquitto) and through the embedded broker. A separate MQTT client
 * plays the device: it receives the command and reports its new state on the point's topic,
 * which is the read-back the driver delivers.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver, PushSource, Writable } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { Secret } from '../../core/secret.js';
import type { Sample } from '../../core/types.js';
import type { MqttBrokerSection, MqttDeviceLike, MqttPoint } from '../../drivers/mqtt/point.js';
import { type MqttRuntime, startMqttRuntime } from '../../drivers/mqtt/runtime.js';
import { type MosquittoPeer, startMosquitto } from '../helpers/mosquitto.js';
import { peersAvailable } from '../helpers/peers.js';

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

function point(device: string, key: string, extra: Partial<MqttPoint>): MqttPoint {
  return { id: `${device}.${key}`, key, name: key, topic: `it/${device}/state`, filter: 'it/+/state', type: 'number', staleAfterMs: 0, ...extra };
}

function cracPoints(device: string): MqttPoint[] {
  return [
    // the device reports tenths of a degree and takes them in its command too
    point(device, 'setpoint', { path: 'sp', scale: 0.1, command: { topic: `it/${device}/cmd/setpoint`, payload: '{"sp": {value}}' } }),
    point(device, 'mode', { path: 'mode', type: 'string', command: { topic: `it/${device}/cmd/mode`, payload: '{"mode": {value}, "note": "{value}"}' } }),
    point(device, 'run', { path: 'run', type: 'boolean', command: { topic: `it/${device}/cmd/run`, payload: '{value}' } }),
    point(device, 'plain', { path: 'plain', type: 'string', command: { topic: `it/${device}/cmd/plain`, payload: 'SET {value}' } }),
    point(device, 'supply', { path: 'supply' }),
  ];
}

async function until<T>(find: () => T | undefined, ms = 5000, what = 'a message'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A fake field device: records commands, and answers a setpoint command with its new state. */
async function fieldDevice(url: string, device: string, options: mqtt.IClientOptions = {}): Promise<{ client: MqttClient; received: Received[] }> {
  const received: Received[] = [];
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
    if (topic.endsWith('/cmd/setpoint')) {
      const { sp } = JSON.parse(payload.toString()) as { sp: number };
      void client.publishAsync(`it/${device}/state`, JSON.stringify({ sp }), { qos: 1 });
    }
  });
  await client.subscribeAsync(`it/${device}/cmd/#`, { qos: 1 });
  return { client, received };
}

const signal = () => AbortSignal.timeout(5000);

/** The writes every broker must carry the same way. */
function commandCases(ctx: () => { driver: Driver & PushSource & Writable; received: Received[]; device: string; pushed: Sample[] }) {
  const next = async (topicEnd: string) => {
    const { received, device } = ctx();
    const at = received.length;
    return { take: () => until(() => received.slice(at).find((m) => m.topic === `it/${device}/cmd/${topicEnd}`), 5000, `a command on ${topicEnd}`) };
  };

  it('publishes a setpoint with the scale undone, QoS 1, not retained, and the device reports it back', async () => {
    const { driver, device, pushed } = ctx();
    const wait = await next('setpoint');
    await driver.write(`${device}.setpoint`, 22.5, signal());
    const m = await wait.take();
    expect(JSON.parse(m.payload)).toEqual({ sp: 225 });
    expect(m.payload).toBe('{"sp": 225}');
    expect(m.qos).toBe(1);
    expect(m.retain).toBe(false);
    // the read-back: the device's report on the point's own topic
    const back = await until(() => pushed.find((s) => s.pointId === `${device}.setpoint` && s.value === 22.5), 5000, 'the read-back');
    expect(back.quality).toBe('good');
  });

  it('JSON-escapes text in a JSON template, bare and in quotes', async () => {
    const { driver, device } = ctx();
    const wait = await next('mode');
    await driver.write(`${device}.mode`, 'co"ol\\ 냉방', signal());
    const m = await wait.take();
    expect(JSON.parse(m.payload)).toEqual({ mode: 'co"ol\\ 냉방', note: 'co"ol\\ 냉방' });
  });

  it('sends the raw value with the default template and plain text templates', async () => {
    const { driver, device } = ctx();
    const run = await next('run');
    await driver.write(`${device}.run`, true, signal());
    expect((await run.take()).payload).toBe('true');
    const plain = await next('plain');
    await driver.write(`${device}.plain`, 'cool $& {value}', signal());
    expect((await plain.take()).payload).toBe('SET cool $& {value}');
  });

  it('refuses a point without a command, and a value of the wrong type, publishing nothing', async () => {
    const { driver, device, received } = ctx();
    const at = received.length;
    const noRoute = await driver.write(`${device}.supply`, 1, signal()).catch((e: unknown) => e);
    expect(noRoute).toBeInstanceOf(DriverError);
    expect((noRoute as DriverError).reason).toBe('config');
    const wrongType = await driver.write(`${device}.setpoint`, 'warm', signal()).catch((e: unknown) => e);
    expect((wrongType as DriverError).reason).toBe('wrong-type');
    await new Promise((r) => setTimeout(r, 200));
    expect(received.slice(at)).toEqual([]);
  });
}

describe.skipIf(!peersAvailable('mosquitto'))('MQTT commands through mosquitto', () => {
  let broker: MosquittoPeer;
  let runtime: MqttRuntime;
  let driver: Driver & PushSource & Writable;
  let field: { client: MqttClient; received: Received[] };
  const pushed: Sample[] = [];
  const device: MqttDeviceLike = {
    id: 'crac1',
    driver: 'mqtt',
    connection: { url: '', clientId: `gw-cmd-${process.pid}`, keepaliveS: 5, connectTimeoutMs: 2000 },
    maxPayloadBytes: 65536,
    retained: 'accept',
    points: cracPoints('crac1'),
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    device.connection!.url = broker.url;
    runtime = await startMqttRuntime({ devices: [device], gatewayId: 'it', baseDir: '.', logger: silentLogger });
    driver = runtime.driverFor(device);
    await driver.connect(signal());
    driver.subscribe((s) => pushed.push(...s));
    field = await fieldDevice(broker.url, 'crac1');
  });

  afterAll(async () => {
    await driver?.close();
    await runtime?.close();
    await field?.client.endAsync(true);
    await broker?.dispose();
  });

  commandCases(() => ({ driver, received: field.received, device: 'crac1', pushed }));

  it('refuses to write while the broker is down (no late command after a reconnect)', async () => {
    await broker.stop(true);
    await until(() => (runtime.health().links.some((l) => l.connected) ? undefined : true), 5000, 'the link to go down');
    const err = await driver.write('crac1.setpoint', 20, signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).reason).toBe('comm');
    expect((err as DriverError).retryable).toBe(true);
  });
});

describe('MQTT commands through the embedded broker', () => {
  let runtime: MqttRuntime;
  let driver: Driver & PushSource & Writable;
  let field: { client: MqttClient; received: Received[] };
  const pushed: Sample[] = [];
  const device: MqttDeviceLike = { id: 'crac2', driver: 'mqtt', maxPayloadBytes: 65536, retained: 'accept', points: cracPoints('crac2') };

  beforeAll(async () => {
    const section: MqttBrokerSection = {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      allowAnonymous: false,
      anonymousPublish: [],
      users: [{ username: 'crac2', password: { secret: new Secret('pw-crac2') }, publish: ['it/crac2/state'], subscribe: ['it/crac2/cmd/#'] }],
    };
    runtime = await startMqttRuntime({ broker: section, devices: [device], gatewayId: 'it', baseDir: '.', logger: silentLogger });
    driver = runtime.driverFor(device);
    await driver.connect(signal());
    driver.subscribe((s) => pushed.push(...s));
    field = await fieldDevice(`mqtt://127.0.0.1:${runtime.broker!.port}`, 'crac2', { username: 'crac2', password: 'pw-crac2' });
  });

  afterAll(async () => {
    await driver?.close();
    await field?.client.endAsync(true);
    await runtime?.close();
  });

  commandCases(() => ({ driver, received: field.received, device: 'crac2', pushed }));
});
