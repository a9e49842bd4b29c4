/**
 * The MQTT rate limits: the token bucket, the broker's per-client hold-back (order kept, other
 * clients untouched) and the ingest's per-point refusal (counted, before the payload is decoded),
 * with their config defaults.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseSiteConfig } from '../../config/index.js';
import { createClientThrottle } from '../../drivers/mqtt/client-throttle.js';
import type { BrokerMessage } from '../../drivers/mqtt/embedded-broker.js';
import { createMqttIngest } from '../../drivers/mqtt/ingest.js';
import type { MqttDeviceLike, MqttPoint } from '../../drivers/mqtt/point.js';
import { createTokenBucket, DEFAULT_CLIENT_RATE_LIMIT, DEFAULT_POINT_RATE_LIMIT } from '../../drivers/mqtt/rate-limits.js';
import { startEventLoopMonitor } from '../../gateway/event-loop-monitor.js';
import type { Sample } from '../../core/types.js';

describe('token bucket', () => {
  it('gives the burst at once, then the rate, and says how long until the next token', () => {
    const bucket = createTokenBucket(10, 5, 1000);
    const taken = Array.from({ length: 8 }, () => bucket.take(1000)).filter(Boolean).length;
    expect(taken).toBe(5);
    expect(bucket.waitMs(1000)).toBe(100);
    expect(bucket.take(1050)).toBe(false);
    expect(bucket.take(1100)).toBe(true);
    // a quiet spell saves up no more than the burst
    expect(Array.from({ length: 20 }, () => bucket.take(60_000)).filter(Boolean).length).toBe(5);
    // a clock that went back adds nothing
    expect(bucket.take(500)).toBe(false);
  });
});

describe('per-client publish throttle', () => {
  // the fake timers move Date.now as they run each timer
  const clock = () => Date.now();
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => vi.useRealTimers());
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

  it('holds a client over its rate back in order, and leaves the other clients alone', async () => {
    const throttle = createClientThrottle({ ratePerS: 10, now: clock });
    const flooder = {};
    const other = {};
    const done: string[] = [];
    for (let i = 0; i < 30; i++) throttle.admit(flooder, () => done.push(`f${i}`));
    // one second's worth at once, the rest waits
    expect(done).toEqual(Array.from({ length: 10 }, (_, i) => `f${i}`));
    expect(throttle.held()).toBe(20);
    expect(throttle.holding()).toBe(1);
    throttle.admit(other, () => done.push('o0'));
    expect(done.at(-1)).toBe('o0');

    await advance(500);
    expect(done.filter((d) => d.startsWith('f'))).toHaveLength(15);
    // a new publish of the held-back client queues behind its earlier ones
    throttle.admit(flooder, () => done.push('f30'));
    await advance(1600);
    const flooded = done.filter((d) => d.startsWith('f'));
    expect(flooded).toEqual(Array.from({ length: 31 }, (_, i) => `f${i}`));
    expect(throttle.holding()).toBe(0);
    throttle.close();
  });

  it('drops what is still held when the broker closes, and runs no timer after', async () => {
    const throttle = createClientThrottle({ ratePerS: 1, burst: 1, now: clock });
    const client = {};
    let ran = 0;
    for (let i = 0; i < 5; i++) throttle.admit(client, () => ran++);
    expect(ran).toBe(1);
    throttle.close();
    await advance(10_000);
    expect(ran).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('per-turn share of the broker', () => {
  const nextTurn = () => new Promise((r) => setImmediate(r));

  it('lets a burst through a share per event-loop turn, in order, without any rate limit', async () => {
    const throttle = createClientThrottle({ maxPerTurn: 10 });
    const flooder = {};
    const done: number[] = [];
    for (let i = 0; i < 25; i++) throttle.admit(flooder, () => done.push(i));
    expect(done).toHaveLength(10);
    // another client has its own share: the flooder's turn does not hold it back
    let other = 0;
    throttle.admit({}, () => other++);
    expect(other).toBe(1);
    // the rest comes a share per turn, so timers and I/O run in between
    await nextTurn();
    expect(done).toHaveLength(20);
    await nextTurn();
    expect(done).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(throttle.held()).toBe(15);
    throttle.close();
  });
});

function point(device: string, key: string, topic: string, path?: string): MqttPoint {
  return { id: `${device}.${key}`, key, name: key, topic, filter: topic, type: 'number', staleAfterMs: 0, ...(path && { path }) };
}

/** An ingest on a fake in-process broker; `publish` hands it a message as the broker would. */
function ingestRig(devices: MqttDeviceLike[], mono: () => number) {
  const handlers: { filter: string; deliver: (m: BrokerMessage) => void }[] = [];
  const broker = {
    subscribe: async (filter: string, deliver: (m: BrokerMessage) => void) => {
      handlers.push({ filter, deliver });
      return async () => {};
    },
    isRunning: () => true,
  };
  const ingest = createMqttIngest({ devices, broker, gatewayId: 't', monoNow: mono });
  const samples: Sample[] = [];
  const publish = (topic: string, text: string) => {
    // the test's topics have no wildcards
    for (const h of handlers) if (h.filter === topic) h.deliver({ topic, payload: Buffer.from(text), retain: false });
  };
  const open = async () => {
    for (const d of devices) {
      ingest.channel(d.id).listen((s) => samples.push(...s));
      await ingest.linkOf(d.id).acquire(d.id, new AbortController().signal);
    }
  };
  return { ingest, samples, publish, open };
}

describe('per-point rate limit in the ingest', () => {
  it('refuses a point faster than its limit, counted, before decoding; other points are untouched', async () => {
    let t = 0;
    const flood: MqttDeviceLike = {
      id: 'flood',
      driver: 'mqtt',
      maxPayloadBytes: 1024,
      retained: 'accept',
      pointRateLimit: 10,
      points: [point('flood', 'temperature', 'f/env', 'temperature'), point('flood', 'humidity', 'f/env', 'humidity')],
    };
    const quiet: MqttDeviceLike = { id: 'quiet', driver: 'mqtt', maxPayloadBytes: 1024, retained: 'accept', pointRateLimit: 10, points: [point('quiet', 'v', 'q/v')] };
    const rig = ingestRig([flood, quiet], () => t);
    await rig.open();
    // 5 s of burst: 50 messages; then 10 per second
    for (let i = 0; i < 200; i++) rig.publish('f/env', JSON.stringify({ temperature: i, humidity: i }));
    rig.publish('q/v', '7');
    t += 1000;
    for (let i = 0; i < 100; i++) rig.publish('f/env', 'not json');
    rig.publish('q/v', '8');

    const stats = rig.ingest.health().ingest;
    expect(rig.samples.filter((s) => s.pointId === 'flood.temperature')).toHaveLength(50);
    expect(rig.samples.filter((s) => s.pointId === 'quiet.v').map((s) => s.value)).toEqual([7, 8]);
    // the refused ones were never parsed: only the 10 let through count as not-json (once per point)
    expect(stats.rejected['not-json']).toBe(10 * 2);
    expect(stats.rejected['rate-limited']).toBe(150 + 90);
    expect(stats.messages).toBe(302);
    await rig.ingest.close();
  });

  it('has no limit for a device without one (0 or absent), even beside a limited device on the same topic', async () => {
    const t = 0;
    const limited: MqttDeviceLike = { id: 'a', driver: 'mqtt', maxPayloadBytes: 1024, retained: 'accept', pointRateLimit: 1, points: [point('a', 'v', 's/v')] };
    const open: MqttDeviceLike = { id: 'b', driver: 'mqtt', maxPayloadBytes: 1024, retained: 'accept', pointRateLimit: 0, points: [point('b', 'v', 's/v')] };
    const rig = ingestRig([limited, open], () => t);
    await rig.open();
    for (let i = 0; i < 100; i++) rig.publish('s/v', String(i));
    expect(rig.samples.filter((s) => s.pointId === 'b.v')).toHaveLength(100);
    expect(rig.ingest.health().ingest.rejected['rate-limited']).toBe(0);
    await rig.ingest.close();
  });
});

describe('rate limit config', () => {
  it('defaults: 500 publishes/s per broker client, 10 messages/s per point; both may be set or turned off', () => {
    const parse = (yaml: string) => {
      const { config, problems } = parseSiteConfig(yaml, 'site.yaml', { profilesDirs: [] });
      expect(problems).toEqual([]);
      return config!;
    };
    const defaults = parse(`gateway: { id: t }
mqttBroker: {}
devices:
  - { id: s1, driver: mqtt, points: [{ key: v, topic: a/b }] }
`);
    expect(defaults.mqttBroker?.clientRateLimit).toBe(DEFAULT_CLIENT_RATE_LIMIT);
    expect(DEFAULT_CLIENT_RATE_LIMIT).toBe(500);
    expect(defaults.devices[0]).toMatchObject({ pointRateLimit: DEFAULT_POINT_RATE_LIMIT });
    expect(DEFAULT_POINT_RATE_LIMIT).toBe(10);
    const set = parse(`gateway: { id: t }
mqttBroker: { clientRateLimit: 0 }
devices:
  - { id: s1, driver: mqtt, pointRateLimit: 0.5, points: [{ key: v, topic: a/b }] }
`);
    expect(set.mqttBroker?.clientRateLimit).toBe(0);
    expect(set.devices[0]).toMatchObject({ pointRateLimit: 0.5 });
    const { problems } = parseSiteConfig(
      `gateway: { id: t }
mqttBroker: {}
devices:
  - { id: s1, driver: mqtt, pointRateLimit: -1, points: [{ key: v, topic: a/b }] }
`,
      'site.yaml',
      { profilesDirs: [] },
    );
    expect(problems).toMatchObject([{ path: 'devices[0].pointRateLimit', message: '-1 is below 0' }]);
  });
});

describe('event-loop monitor', () => {
  it('reports a loop blocked for 150 ms', async () => {
    const monitor = startEventLoopMonitor({ windowMs: 60_000, resolutionMs: 10 });
    try {
      await new Promise((r) => setTimeout(r, 50));
      const end = performance.now() + 150;
      while (performance.now() < end) {
        // busy: nothing else runs
      }
      await new Promise((r) => setTimeout(r, 50));
      const s = monitor.snapshot();
      expect(s.delayMaxMs).toBeGreaterThanOrEqual(100);
      expect(s.windowS).toBe(60);
    } finally {
      monitor.stop();
    }
  });
});
