/**
 * Security guarantees of the embedded MQTT broker, as an attacker on the plant-room LAN would
 * probe them: over loopback, with raw MQTT frames (to send what no well-behaved client would) and
 * mqtt.js. Each describe block is one guarantee; each test name says what holds.
 *
 * Limits and defaults: drivers/mqtt/broker-limits.ts and login-throttle.ts; config keys under
 * `mqttBroker:` (README, docs/security.md).
 */
import { connect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '../../core/secret.js';
import { DEFAULT_BROKER_LIMITS, defaultMaxPacketBytes } from '../../drivers/mqtt/broker-limits.js';
import { mqttBrokerSchema } from '../../drivers/mqtt/config-schema.js';
import { type EmbeddedBroker, startEmbeddedBroker } from '../../drivers/mqtt/embedded-broker.js';
import { DEFAULT_SCRYPT, hashPassword } from '../../drivers/mqtt/password.js';
import type { MqttBrokerSection } from '../../drivers/mqtt/point.js';
import { startMqttRuntime } from '../../drivers/mqtt/runtime.js';

const FAST = { N: 1024, r: 8, p: 1 };
const SENSOR_PW = 'sensor-secret';
const WATCHER_PW = 'watcher-secret';
const ENV_PW = 'env-secret';
/** CONNACK return codes (MQTT 3.1.1 §3.2.2.3) */
const ACCEPTED = 0;
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_PASSWORD = 4;

// ---- raw MQTT 3.1.1 frames -------------------------------------------------------------------

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function str(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

interface Login {
  clientId?: string;
  username?: string;
  password?: string | Buffer;
}

function connectFrame({ clientId = '', username, password }: Login): Buffer {
  const flags = 0x02 | (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
  const parts = [str('MQTT'), Buffer.from([4, flags, 0, 60]), str(clientId)];
  if (username !== undefined) parts.push(str(username));
  if (password !== undefined) parts.push(str(password));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

interface RawClient {
  socket: Socket;
  /** the CONNACK return code, or 'closed' when the broker closed without one */
  connack: Promise<number | 'closed'>;
  closed: Promise<void>;
}

/** Like events.once, without rejecting on 'error' (a reset is what these tests expect). */
function event(socket: Socket, name: string): Promise<void> {
  return new Promise((resolve) => socket.once(name, () => resolve()));
}

/** Opens a TCP connection from `localAddress` (any 127.x.y.z is a distinct client address). */
async function openRaw(port: number, localAddress = '127.0.0.1'): Promise<RawClient> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  const closed = event(socket, 'close');
  const connack = new Promise<number | 'closed'>((resolve) => {
    let got = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 4 && got[0] === 0x20) resolve(got[3]!);
    });
    void closed.then(() => resolve('closed'));
  });
  await Promise.race([event(socket, 'connect'), closed]);
  return { socket, connack, closed };
}

/** One login over a fresh connection: the CONNACK code and how long it took. */
async function login(port: number, creds: Login, localAddress?: string): Promise<{ code: number | 'closed'; ms: number }> {
  const raw = await openRaw(port, localAddress);
  const started = performance.now();
  raw.socket.write(connectFrame(creds));
  const code = await raw.connack;
  const ms = performance.now() - started;
  raw.socket.destroy();
  return { code, ms };
}

/** Resolves true when the socket closes within `ms`, false if it is still open. */
function closesWithin(raw: RawClient, ms: number): Promise<boolean> {
  return Promise.race([raw.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- the broker under test ---------------------------------------------------------------------

const sensorHash = hashPassword(SENSOR_PW, FAST);
const watcherHash = hashPassword(WATCHER_PW, FAST);
const brokers: EmbeddedBroker[] = [];

async function baseConfig(): Promise<MqttBrokerSection> {
  return {
    enabled: true,
    host: '127.0.0.1',
    port: 0,
    allowAnonymous: false,
    anonymousPublish: [],
    users: [
      { username: 'demo-sensors', password: { hash: await sensorHash }, publish: ['site/#'], subscribe: [] },
      { username: 'watcher', password: { hash: await watcherHash }, publish: [], subscribe: ['#'] },
    ],
  };
}

async function startBroker(overrides: Partial<MqttBrokerSection> = {}): Promise<EmbeddedBroker> {
  const broker = await startEmbeddedBroker({ config: { ...(await baseConfig()), ...overrides } });
  brokers.push(broker);
  return broker;
}

afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.close()));
});

describe('before login, a CONNECT larger than maxConnectBytes closes the connection at once', () => {
  it('a CONNECT declaring ~256 MB is cut off when its header arrives: nothing is buffered, RSS does not grow', async () => {
    const broker = await startBroker();
    const port = broker.port!;
    const PER_CONNECTION = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const flood = async () => {
      const raw = await openRaw(port);
      let isClosed = false;
      void raw.closed.then(() => {
        isClosed = true;
      });
      // fixed header: CONNECT, remaining length 268 435 455 (the MQTT maximum)
      raw.socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
      let sent = 0;
      while (!isClosed && sent < PER_CONNECTION) {
        sent += chunk.length;
        if (!raw.socket.write(chunk)) await Promise.race([event(raw.socket, 'drain'), raw.closed]);
      }
      const closedByBroker = await closesWithin(raw, 1000);
      raw.socket.destroy();
      return { closedByBroker, sent };
    };
    const results = await Promise.all([flood(), flood(), flood()]);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    for (const r of results) {
      expect(r.closedByBroker).toBe(true);
      // the broker closed long before the 64 MB were written (loopback buffers hold a few MB)
      expect(r.sent).toBeLessThan(PER_CONNECTION);
    }
    expect(broker.stats().oversizedPackets).toBe(3);
    // before the fix the broker held every byte: +190 MB for these three connections
    expect(peak - before).toBeLessThan(48 * 1024 * 1024);
  });

  it('a header trickled in one byte at a time is caught as soon as it declares too much', async () => {
    const broker = await startBroker();
    const raw = await openRaw(broker.port!);
    // 0x10, then remaining length 0x80 0x80 0x01 = 16 384 (over 8 KB); nothing after it
    for (const byte of [0x10, 0x80, 0x80, 0x01]) {
      raw.socket.write(Buffer.from([byte]));
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(await closesWithin(raw, 1000)).toBe(true);
    expect(broker.stats().oversizedPackets).toBe(1);
  });

  it('a CONNECT carrying a 16 KB password is refused without a CONNACK; a normal one logs in', async () => {
    const broker = await startBroker();
    const big = await login(broker.port!, { clientId: 'big', username: 'demo-sensors', password: Buffer.alloc(16 * 1024, 0x61) });
    expect(big.code).toBe('closed');
    const normal = await login(broker.port!, { clientId: 'normal', username: 'demo-sensors', password: SENSOR_PW });
    expect(normal.code).toBe(ACCEPTED);
    expect(broker.stats().oversizedPackets).toBe(1);
  });
});

describe('after login, a packet larger than maxPacketBytes closes the connection without buffering it', () => {
  it('a 50 MB PUBLISH gets no PUBACK: the connection is closed and nothing is delivered', async () => {
    const broker = await startBroker();
    const delivered: number[] = [];
    await broker.subscribe('site/#', (m) => delivered.push(m.payload.length));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      username: 'demo-sensors',
      password: SENSOR_PW,
      clientId: 'big-publisher',
      reconnectPeriod: 0,
    });
    client.on('error', () => undefined);
    const outcome = await Promise.race([
      client.publishAsync('site/big', Buffer.alloc(50 * 1024 * 1024, 0x42), { qos: 1 }).then(
        () => 'puback',
        () => 'closed',
      ),
      new Promise<string>((resolve) => client.once('close', () => resolve('closed'))),
    ]);
    client.end(true);
    expect(outcome).toBe('closed');
    expect(delivered).toEqual([]);
    expect(broker.stats().oversizedPackets).toBe(1);
  });

  it('by default a payload of the ingest maxPayloadBytes (64 KB) still goes through', async () => {
    const broker = await startBroker();
    const delivered: number[] = [];
    await broker.subscribe('site/#', (m) => delivered.push(m.payload.length));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: 'demo-sensors', password: SENSOR_PW, clientId: 'max-ok' });
    await client.publishAsync('site/rack/a01/env', Buffer.alloc(64 * 1024, 0x43), { qos: 1 });
    await client.endAsync();
    expect(delivered).toEqual([64 * 1024]);
    // the default follows the largest device limit, plus room for the topic
    expect(defaultMaxPacketBytes()).toBe(64 * 1024 + 4096);
    expect(defaultMaxPacketBytes([1024, 1024 * 1024])).toBe(1024 * 1024 + 4096);
  });

  it('the default follows the devices: with a device accepting 256 KB, a 200 KB publish goes through', async () => {
    const runtime = await startMqttRuntime({
      broker: { ...(await baseConfig()), maxPacketBytes: undefined },
      devices: [{ id: 'big', driver: 'mqtt', maxPayloadBytes: 256 * 1024, retained: 'accept', points: [] }],
      gatewayId: 'sec-test',
      baseDir: '.',
    });
    try {
      const delivered: number[] = [];
      await runtime.broker!.subscribe('site/#', (m) => delivered.push(m.payload.length));
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${runtime.broker!.port}`, { username: 'demo-sensors', password: SENSOR_PW, clientId: 'big-ok' });
      await client.publishAsync('site/big', Buffer.alloc(200 * 1024, 0x45), { qos: 1 });
      await client.endAsync();
      expect(delivered).toEqual([200 * 1024]);
    } finally {
      await runtime.close();
    }
  });

  it('maxPacketBytes is configurable: with 2048, a 4 KB publish closes the connection', async () => {
    const broker = await startBroker({ maxPacketBytes: 2048 });
    const raw = await openRaw(broker.port!);
    raw.socket.write(connectFrame({ clientId: 'small-limit', username: 'demo-sensors', password: SENSOR_PW }));
    expect(await raw.connack).toBe(ACCEPTED);
    const body = Buffer.concat([str('site/x'), Buffer.alloc(4096, 0x44)]);
    raw.socket.write(Buffer.concat([Buffer.from([0x30]), remainingLength(body.length), body]));
    expect(await closesWithin(raw, 2000)).toBe(true);
    expect(broker.stats().oversizedPackets).toBe(1);
  });
});

describe('connections are limited in total and per client address', () => {
  it('beyond maxConnectionsPerAddress an address is closed at once; other addresses still get in up to maxConnections', async () => {
    const broker = await startBroker({ maxConnections: 5, maxConnectionsPerAddress: 3 });
    const port = broker.port!;
    const held: RawClient[] = [];
    for (let i = 0; i < 3; i++) held.push(await openRaw(port, '127.0.0.1'));
    const fourth = await openRaw(port, '127.0.0.1');
    expect(await closesWithin(fourth, 1000)).toBe(true);
    for (let i = 0; i < 2; i++) held.push(await openRaw(port, '127.0.0.2'));
    const overTotal = await openRaw(port, '127.0.0.3');
    expect(await closesWithin(overTotal, 1000)).toBe(true);
    // the held ones are real connections: they can log in
    held[0]!.socket.write(connectFrame({ clientId: 'held-0', username: 'demo-sensors', password: SENSOR_PW }));
    expect(await held[0]!.connack).toBe(ACCEPTED);
    expect(broker.stats().connectionsRefused).toBe(2);
    // a closed connection frees its slot
    held[1]!.socket.destroy();
    await held[1]!.closed;
    await new Promise((r) => setTimeout(r, 50));
    const again = await openRaw(port, '127.0.0.1');
    again.socket.write(connectFrame({ clientId: 'again', username: 'demo-sensors', password: SENSOR_PW }));
    expect(await again.connack).toBe(ACCEPTED);
    for (const c of [...held, again]) c.socket.destroy();
  });

  it('every limit is on by default in the config (200 connections, 20 per address) and cannot be switched off', () => {
    const section = mqttBrokerSchema.parse({});
    expect(section).toMatchObject({
      maxConnections: 200,
      maxConnectionsPerAddress: 20,
      maxClientIdLength: 128,
      maxConnectBytes: 8192,
      loginBackoff: { afterFailures: 5, initialDelayMs: 1000, maxDelayMs: 60_000 },
    });
    for (const bad of [{ maxConnections: 0 }, { maxConnectionsPerAddress: 0 }, { maxConnectBytes: 0 }, { maxPacketBytes: 0 }, { loginBackoff: { afterFailures: 0 } }]) {
      expect(mqttBrokerSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('a clientId is bounded in length and owned by one user at a time', () => {
  it('a clientId longer than maxClientIdLength is refused with "identifier rejected"', async () => {
    const broker = await startBroker();
    const long = await login(broker.port!, { clientId: 'x'.repeat(DEFAULT_BROKER_LIMITS.maxClientIdLength + 1), username: 'demo-sensors', password: SENSOR_PW });
    expect(long.code).toBe(IDENTIFIER_REJECTED);
    const ok = await login(broker.port!, { clientId: 'x'.repeat(DEFAULT_BROKER_LIMITS.maxClientIdLength), username: 'demo-sensors', password: SENSOR_PW });
    expect(ok.code).toBe(ACCEPTED);
  });

  it('another user reusing a connected clientId is refused, and the holder stays connected', async () => {
    const broker = await startBroker();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const sensor = await mqtt.connectAsync(url, { username: 'demo-sensors', password: SENSOR_PW, clientId: 'sensor-1', reconnectPeriod: 0 });
    let sensorClosed = false;
    sensor.on('close', () => {
      sensorClosed = true;
    });
    const takeover = await login(broker.port!, { clientId: 'sensor-1', username: 'watcher', password: WATCHER_PW });
    expect(takeover.code).toBe(IDENTIFIER_REJECTED);
    await new Promise((r) => setTimeout(r, 200));
    expect(sensorClosed).toBe(false);
    await sensor.publishAsync('site/still-here', '1', { qos: 1 });
    expect(broker.stats().clientIdRefused).toBe(1);
    await sensor.endAsync();
  });

  it('the same user may take over its own clientId (normal MQTT): the older connection is closed', async () => {
    const broker = await startBroker();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const first = await mqtt.connectAsync(url, { username: 'demo-sensors', password: SENSOR_PW, clientId: 'sensor-2', reconnectPeriod: 0 });
    first.on('error', () => undefined);
    const firstClosed = new Promise<void>((resolve) => first.once('close', () => resolve()));
    const second = await login(broker.port!, { clientId: 'sensor-2', username: 'demo-sensors', password: SENSOR_PW });
    expect(second.code).toBe(ACCEPTED);
    await firstClosed;
    await first.endAsync(true);
  });
});

describe('password guessing backs off per address and per username', () => {
  const backoff = { afterFailures: 3, initialDelayMs: 400, maxDelayMs: 2000 };

  it('after afterFailures wrong passwords an address is refused before any check, even with the right password, until the backoff ends', async () => {
    const broker = await startBroker({ loginBackoff: backoff });
    const port = broker.port!;
    for (let i = 0; i < 3; i++) expect((await login(port, { clientId: `g${i}`, username: 'demo-sensors', password: `guess-${i}` }, '127.0.0.4')).code).toBe(BAD_PASSWORD);
    const right = await login(port, { clientId: 'g-right', username: 'demo-sensors', password: SENSOR_PW }, '127.0.0.4');
    expect(right.code).toBe(SERVER_UNAVAILABLE);
    // visible in the mqtt health section
    expect(broker.stats()).toMatchObject({ authFailures: 3, loginThrottled: 1, throttledAddresses: 1 });
    // another address is not affected by this one's backoff
    expect((await login(port, { clientId: 'other', username: 'watcher', password: WATCHER_PW }, '127.0.0.5')).code).toBe(ACCEPTED);
    await new Promise((r) => setTimeout(r, backoff.initialDelayMs + 100));
    expect((await login(port, { clientId: 'g-later', username: 'demo-sensors', password: SENSOR_PW }, '127.0.0.4')).code).toBe(ACCEPTED);
  });

  it('20 guesses sent at once get no more password checks than afterFailures', async () => {
    const broker = await startBroker({ loginBackoff: backoff });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(broker.port!, { clientId: `c${i}`, username: 'demo-sensors', password: `guess-${i}` }, '127.0.0.6')),
    );
    const checked = results.filter((r) => r.code === BAD_PASSWORD).length;
    expect(checked).toBeLessThanOrEqual(backoff.afterFailures);
    expect(results.filter((r) => r.code === SERVER_UNAVAILABLE).length).toBe(20 - checked);
    expect(broker.stats().authFailures).toBeLessThanOrEqual(backoff.afterFailures);
  });

  it('guesses on one username from many addresses put that username in backoff; an address it logged in from before still gets in', async () => {
    const broker = await startBroker({ loginBackoff: backoff });
    const port = broker.port!;
    expect((await login(port, { clientId: 'home', username: 'demo-sensors', password: SENSOR_PW }, '127.0.0.10')).code).toBe(ACCEPTED);
    for (let i = 0; i < 3; i++) {
      expect((await login(port, { clientId: `s${i}`, username: 'demo-sensors', password: 'nope' }, `127.0.0.${11 + i}`)).code).toBe(BAD_PASSWORD);
    }
    expect((await login(port, { clientId: 'stranger', username: 'demo-sensors', password: SENSOR_PW }, '127.0.0.20')).code).toBe(SERVER_UNAVAILABLE);
    expect(broker.stats().throttledUsernames).toBe(1);
    expect((await login(port, { clientId: 'home', username: 'demo-sensors', password: SENSOR_PW }, '127.0.0.10')).code).toBe(ACCEPTED);
    // other users are not affected
    expect((await login(port, { clientId: 'w', username: 'watcher', password: WATCHER_PW }, '127.0.0.21')).code).toBe(ACCEPTED);
  });
});

describe('usernames cannot be found by timing', () => {
  it('a wrong password costs the same for an environment-password user, a hashed user and an unknown user', async () => {
    const broker = await startBroker({
      // no backoff here: this test makes many failed logins on purpose
      loginBackoff: { afterFailures: 1000, initialDelayMs: 0, maxDelayMs: 0 },
      users: [
        { username: 'hashed', password: { hash: await hashPassword('hashed-secret', DEFAULT_SCRYPT) }, publish: [], subscribe: [] },
        { username: 'from-env', password: { secret: new Secret(ENV_PW) }, publish: [], subscribe: [] },
      ],
    });
    const port = broker.port!;
    const times: Record<'hashed' | 'from-env' | 'nobody', number[]> = { hashed: [], 'from-env': [], nobody: [] };
    for (let round = 0; round < 7; round++) {
      for (const username of ['hashed', 'from-env', 'nobody'] as const) {
        const r = await login(port, { clientId: `t-${round}`, username, password: 'wrong-guess' });
        expect(r.code).toBe(BAD_PASSWORD);
        times[username].push(r.ms);
      }
    }
    const medians = Object.values(times).map(median);
    // before the fix: ~1 ms for the environment-password user against ~40 ms for the others (ratio ~0.03)
    expect(Math.min(...medians) / Math.max(...medians)).toBeGreaterThan(0.5);
    // and the environment-password user still logs in with its password
    expect((await login(port, { clientId: 'env-ok', username: 'from-env', password: ENV_PW })).code).toBe(ACCEPTED);
  });
});
