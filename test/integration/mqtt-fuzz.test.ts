/**
 * Fuzz: 12 000 random and malformed payloads (and garbage MQTT frames) through the embedded
 * broker into the ingest and the real SQLite store. Nothing crashes, and the only good readings
 * in the database are the valid messages that were sent — each exactly once.
 */
import { connect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../drivers/mqtt/password.js';
import type { MqttDeviceLike, MqttPoint } from '../../drivers/mqtt/point.js';
import { type MqttRuntime, startMqttRuntime } from '../../drivers/mqtt/runtime.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler, type Sampler } from '../../gateway/sampler.js';
import type { Store } from '../../gateway/store/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const MESSAGES = 12_000;
const ENV = 'fz/env/1';
const DOOR = 'fz/door/1';

/** mulberry32: the same corpus on every run, so a failure can be replayed */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function point(device: string, key: string, topic: string, filter: string, extra: Partial<MqttPoint>): MqttPoint {
  return { id: `${device}.${key}`, key, name: key, topic, filter, type: 'number', staleAfterMs: 0, ...extra };
}

const devices: MqttDeviceLike[] = [
  {
    id: 'fz-env',
    driver: 'mqtt',
    maxPayloadBytes: 65536,
    retained: 'accept',
    timestampPath: 'ts',
    points: [
      // the filter of a `fz/{kind}/1` template: other kinds arrive and count as unknown topics
      point('fz-env', 'temperature', ENV, 'fz/+/1', { path: 'temperature' }),
      point('fz-env', 'humidity', ENV, 'fz/+/1', { path: 'data.rh' }),
      point('fz-env', 'label', ENV, 'fz/+/1', { path: 'label', type: 'string' }),
    ],
  },
  { id: 'fz-door', driver: 'mqtt', maxPayloadBytes: 1024, retained: 'accept', points: [point('fz-door', 'open', DOOR, 'fz/+/1', { type: 'boolean' })] },
];

interface Corpus {
  messages: { topic: string; payload: Buffer }[];
  /** pointId → values that must be stored as good, in order */
  valid: Map<string, unknown[]>;
}

function makeCorpus(seed: number): Corpus {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
  const ascii = (n: number) => Array.from({ length: n }, () => String.fromCharCode(32 + Math.floor(r() * 95))).join('');
  const valid = new Map<string, unknown[]>([
    ['fz-env.temperature', []],
    ['fz-env.humidity', []],
    ['fz-env.label', []],
    ['fz-door.open', []],
  ]);
  const messages: Corpus['messages'] = [];
  const junkValues: unknown[] = ['hot', '', ' ', null, {}, [], [1], true, false, '0x1A', '1,5', '--1', 'NaN', 'Infinity', '1e999', { v: 1 }];
  const junk: Array<() => { topic: string; payload: Buffer }> = [
    () => ({ topic: ENV, payload: bytes(1 + Math.floor(r() * 200)) }),
    () => ({ topic: ENV, payload: Buffer.from(ascii(1 + Math.floor(r() * 100))) }),
    () => ({ topic: ENV, payload: Buffer.from(JSON.stringify({ temperature: 21, data: { rh: 40 }, label: 'x' }).slice(0, Math.floor(r() * 40))) }),
    () => ({ topic: ENV, payload: Buffer.from(`{"temperature":${pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e999', 'undefined', '0x10', '.', '1.2.3'])}}`) }),
    () => ({ topic: ENV, payload: Buffer.from(JSON.stringify({ temperature: pick(junkValues), data: { rh: pick(junkValues) }, label: pick([null, {}, [], 'y'.repeat(2000)]) })) }),
    () => ({ topic: ENV, payload: Buffer.from(JSON.stringify({ data: pick(junkValues), __proto__: { temperature: 1 }, constructor: { temperature: 2 } })) }),
    () => ({ topic: ENV, payload: Buffer.from(`${'['.repeat(5000)}1${']'.repeat(5000)}`) }),
    () => ({ topic: ENV, payload: Buffer.concat([Buffer.from('{"temperature":21,"x":"'), Buffer.alloc(66 * 1024, 0x61), Buffer.from('"}')]) }),
    () => ({ topic: ENV, payload: Buffer.from([0x7b, 0x22, 0x74, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) }),
    () => ({ topic: ENV, payload: Buffer.alloc(0) }),
    () => ({ topic: DOOR, payload: Buffer.from(pick(['maybe', '2', '-1', 'truee', '{"open":true}', 'null', '', ascii(8)])) }),
    () => ({ topic: DOOR, payload: Buffer.concat([Buffer.from('true'), Buffer.alloc(2000, 0x20)]) }),
    () => ({ topic: `fz/${ascii(6).replace(/[/+#]/g, '_')}/1`, payload: Buffer.from('{"temperature":21}') }),
  ];
  for (let i = 0; i < MESSAGES; i++) {
    if (r() < 0.2) {
      if (r() < 0.75) {
        const msg: Record<string, unknown> = {};
        // each valid field present by chance; values unique, so any good reading traces to one message
        if (r() < 0.8) {
          msg.temperature = 10 + i / 1000;
          valid.get('fz-env.temperature')!.push(msg.temperature);
        }
        if (r() < 0.5) {
          msg.data = { rh: String(40 + i / 1000) };
          valid.get('fz-env.humidity')!.push(40 + i / 1000);
        }
        if (r() < 0.3) {
          msg.label = `state-${i}`;
          valid.get('fz-env.label')!.push(msg.label);
        }
        msg.ts = pick([Date.now(), Date.now() / 1000, new Date().toISOString(), undefined]);
        messages.push({ topic: ENV, payload: Buffer.from(JSON.stringify(msg)) });
      } else {
        const open = r() < 0.5;
        valid.get('fz-door.open')!.push(open);
        messages.push({ topic: DOOR, payload: Buffer.from(pick(open ? ['true', 'ON', '1', ' yes '] : ['false', 'off', '0', 'No'])) });
      }
    } else {
      messages.push(pick(junk)());
    }
  }
  return { messages, valid };
}

describe('mqtt ingest fuzz', () => {
  const stores = createTempStores('gw-mqtt-fuzz-', { commitIntervalMs: 50, maxBatch: 5000 });
  let runtime: MqttRuntime;
  let sampler: Sampler;
  let store: Store;
  let url: string;
  let client: MqttClient;
  const creds = { username: 'fuzzer', password: 'fuzz-pw' };

  beforeAll(async () => {
    runtime = await startMqttRuntime({
      broker: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        allowAnonymous: false,
        anonymousPublish: [],
        users: [{ username: 'fuzzer', password: { hash: await hashPassword('fuzz-pw', { N: 1024, r: 8, p: 1 }) }, publish: ['fz/#'], subscribe: [] }],
      },
      devices,
      gatewayId: 'fuzz',
      baseDir: '.',
      logger: silentLogger,
    });
    url = `mqtt://127.0.0.1:${runtime.broker!.port}`;
    client = await mqtt.connectAsync(url, { ...creds, clientId: 'fuzzer' });
    // retained junk waiting for the ingest when it subscribes
    await client.publishAsync(ENV, '{"temperature":"retained junk"', { retain: true, qos: 1 });
    await client.publishAsync(DOOR, 'ajar', { retain: true, qos: 1 });
    store = stores.open(stores.file());
    sampler = createSampler({
      devices: devices.map((d) => ({ driver: runtime.driverFor(d), pollIntervalMs: 200, pointIds: d.points.map((p) => p.id) })),
      sink: (s) => store.append(s),
      logger: silentLogger,
    });
    sampler.start();
    const end = Date.now() + 5000;
    while (runtime.health().ingest.messages < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    await client?.endAsync(true);
    await sampler?.stop();
    await runtime?.close();
    stores.cleanup();
  });

  it('stores only the valid messages as good, each once, and counts the rest by reason', async () => {
    const corpus = makeCorpus(20261124);
    for (const [i, m] of corpus.messages.entries()) {
      // every 500th waits for its PUBACK, so the client never runs far ahead of the broker
      if (i % 500 === 499) await client.publishAsync(m.topic, m.payload, { qos: 1 });
      else client.publish(m.topic, m.payload, { qos: 0 });
    }
    // a last valid message: once it is committed, everything before it was processed
    await client.publishAsync(ENV, JSON.stringify({ temperature: -273 }), { qos: 1 });
    const end = Date.now() + 15_000;
    while (store.latestOf('fz-env.temperature')?.value !== -273 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    store.flush();

    const expected = new Map(corpus.valid);
    expected.get('fz-env.temperature')!.push(-273);
    for (const [pointId, values] of expected) {
      const readings = store.history(pointId, 0, Date.now() + 60_000, 100_000);
      // in arrival (seq) order: a payload timestamp may place a reading before an earlier message's
      const goodValues = readings
        .filter((r) => r.quality === 'good')
        .sort((a, b) => a.seq - b.seq)
        .map((r): unknown => r.value);
      const extra = goodValues.filter((v) => !values.includes(v));
      const missing = values.filter((v) => !goodValues.includes(v));
      expect.soft({ extra, missing }, pointId).toEqual({ extra: [], missing: [] });
      expect.soft(goodValues, pointId).toEqual(values);
      // nothing invalid slipped in as uncertain either, except retained/timestamp notes on valid values
      for (const r of readings.filter((x) => x.quality !== 'good')) expect.soft(['stale', 'retained', 'bad-timestamp', 'comm']).toContain(r.reason);
    }
    const { ingest, broker } = runtime.health();
    const rejected = Object.values(ingest.rejected).reduce((a, b) => a + b, 0);
    expect(rejected).toBeGreaterThan(MESSAGES * 0.5);
    for (const reason of ['too-large', 'not-utf8', 'not-json', 'missing-field', 'wrong-type', 'not-finite', 'unknown-topic'] as const) {
      expect.soft(ingest.rejected[reason], reason).toBeGreaterThan(0);
    }
    expect(ingest.messages).toBeGreaterThanOrEqual(MESSAGES + 1);
    expect(broker!.messagesIn).toBeGreaterThanOrEqual(MESSAGES + 1);
  });

  it('survives garbage MQTT frames, and keeps serving sensors', async () => {
    const r = rng(7);
    for (let i = 0; i < 200; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect(runtime.broker!.port!, '127.0.0.1', () => {
          const junk = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
          // sometimes a real CONNECT header first, so the garbage reaches the packet parser
          socket.end(i % 2 === 0 ? Buffer.concat([Buffer.from([0x10, 0x7f]), junk]) : junk);
        });
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
        socket.setTimeout(500, () => socket.destroy());
      });
    }
    const after = await mqtt.connectAsync(url, { ...creds, clientId: 'after-fuzz' });
    await after.publishAsync(DOOR, 'true', { qos: 1 });
    await after.publishAsync(ENV, JSON.stringify({ temperature: 42 }), { qos: 1 });
    const end = Date.now() + 5000;
    while (store.latestOf('fz-env.temperature')?.value !== 42 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    expect(store.latestOf('fz-env.temperature')).toMatchObject({ value: 42, quality: 'good' });
    await after.endAsync(true);
  });
});
