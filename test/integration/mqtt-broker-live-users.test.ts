/**
 * The embedded broker's users changed live (issue 18), with real MQTT clients (mqtt.js) on
 * 127.0.0.1: an unchanged user's connection and session stay (the same connection publishes
 * after the change), a removed user's client is disconnected and can no longer log in, a changed
 * password disconnects and only the new one logs in, an added user logs in, a changed publish list
 * applies to the next publish of a client that stays, and turning anonymous access off
 * disconnects anonymous clients. No log line carries a password.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { Secret } from '../../core/secret.js';
import { hashPassword } from '../../drivers/mqtt/password.js';
import type { MqttBrokerSection, MqttBrokerUser } from '../../drivers/mqtt/point.js';
import { type MqttRuntime, startMqttRuntime } from '../../drivers/mqtt/runtime.js';

const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORDS = { alice: 'alice-pw-1', bob: 'bob-pw-from-env', carol: 'carol-pw-old', carolNew: 'carol-pw-new', dave: 'dave-pw', erin: 'erin-pw' };

async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A login that either connects (then ends) or says why not. */
function tryLogin(url: string, opts: mqtt.IClientOptions): Promise<string> {
  return mqtt.connectAsync(url, { ...opts, reconnectPeriod: 0, connectTimeout: 3000 }).then(
    async (c) => {
      await c.endAsync(true);
      return 'connected';
    },
    (err: Error) => err.message,
  );
}

describe('embedded broker: users replaced live', () => {
  const lines: string[] = [];
  let runtime: MqttRuntime;
  let url: string;
  let users: Record<'alice' | 'bob' | 'carol' | 'erin', MqttBrokerUser>;
  let section: MqttBrokerSection;
  const clients: Record<string, MqttClient> = {};
  const closed = new Set<string>();
  /** messages the gateway got, in-process (what the ingest would see) */
  const received: string[] = [];

  const connect = async (name: string, opts: mqtt.IClientOptions) => {
    const c = await mqtt.connectAsync(url, { ...opts, clientId: name, reconnectPeriod: 0 });
    c.on('close', () => closed.add(name));
    clients[name] = c;
    return c;
  };

  beforeAll(async () => {
    users = {
      alice: { username: 'alice', password: { hash: await hashPassword(PASSWORDS.alice, FAST) }, publish: ['site/alice/#'], subscribe: ['site/alice/cmd'] },
      bob: { username: 'bob', password: { secret: new Secret(PASSWORDS.bob) }, publish: ['site/bob/#'], subscribe: [] },
      carol: { username: 'carol', password: { hash: await hashPassword(PASSWORDS.carol, FAST) }, publish: ['site/carol/#'], subscribe: [] },
      erin: { username: 'erin', password: { hash: await hashPassword(PASSWORDS.erin, FAST) }, publish: ['site/erin/a'], subscribe: [] },
    };
    section = {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      allowAnonymous: true,
      anonymousPublish: ['site/anon/#'],
      users: Object.values(users),
    };
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line), repeat: false });
    runtime = await startMqttRuntime({ broker: section, devices: [], gatewayId: 'it', baseDir: '.', logger });
    url = `mqtt://127.0.0.1:${runtime.broker!.port}`;
    await runtime.broker!.subscribe('site/#', (m) => received.push(`${m.topic} ${m.payload.toString()}`));
    await connect('alice-1', { username: 'alice', password: PASSWORDS.alice });
    await connect('bob-1', { username: 'bob', password: PASSWORDS.bob });
    await connect('carol-1', { username: 'carol', password: PASSWORDS.carol });
    await connect('erin-1', { username: 'erin', password: PASSWORDS.erin });
    await connect('anon-1', {});
    await clients['alice-1']!.subscribeAsync('site/alice/cmd', { qos: 1 });
  });

  afterAll(async () => {
    await Promise.all(Object.values(clients).map((c) => c.endAsync(true)));
    await runtime?.close();
  });

  it('applies the change and disconnects exactly the removed, re-passworded and anonymous clients', async () => {
    const dave: MqttBrokerUser = { username: 'dave', password: { hash: await hashPassword(PASSWORDS.dave, FAST) }, publish: ['site/dave/#'], subscribe: [] };
    const carol: MqttBrokerUser = { ...users.carol, password: { hash: await hashPassword(PASSWORDS.carolNew, FAST) } };
    const erin: MqttBrokerUser = { ...users.erin, publish: ['site/erin/b'] };
    const connectsBefore = runtime.broker!.stats().connects;
    const change = await runtime.replaceBrokerUsers({ ...section, allowAnonymous: false, users: [users.alice, carol, dave, erin] });
    expect(change).toEqual({ added: ['dave'], removed: ['bob'], changed: ['carol', 'erin'], disconnected: 3 });
    await until(() => closed.has('bob-1') && closed.has('carol-1') && closed.has('anon-1'), 3000, 'the three disconnects');
    // nobody reconnected (no new connect) and the others stay
    expect(runtime.broker!.stats().connects).toBe(connectsBefore);
    expect(closed.has('alice-1')).toBe(false);
    expect(closed.has('erin-1')).toBe(false);
    expect(clients['alice-1']!.connected).toBe(true);
  });

  it('the unchanged user keeps its connection and session: it publishes and still gets its subscription', async () => {
    await clients['alice-1']!.publishAsync('site/alice/t', '21.5', { qos: 1 });
    await until(() => received.includes('site/alice/t 21.5'), 3000, 'alice\'s reading');
    const got: string[] = [];
    clients['alice-1']!.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await runtime.broker!.publish('site/alice/cmd', 'on', { qos: 1 });
    await until(() => got.includes('site/alice/cmd on'), 3000, 'the command on alice\'s subscription');
    expect(closed.has('alice-1')).toBe(false);
  });

  it('logins after the change follow the new users', async () => {
    expect(await tryLogin(url, { username: 'bob', password: PASSWORDS.bob })).toMatch(/bad username or password/i);
    expect(await tryLogin(url, { username: 'carol', password: PASSWORDS.carol })).toMatch(/bad username or password/i);
    expect(await tryLogin(url, { username: 'carol', password: PASSWORDS.carolNew })).toBe('connected');
    expect(await tryLogin(url, { username: 'dave', password: PASSWORDS.dave })).toBe('connected');
    expect(await tryLogin(url, {})).toMatch(/not authorized/i);
    expect(await tryLogin(url, { username: 'alice', password: PASSWORDS.alice })).toBe('connected');
  });

  it('a changed publish list applies to the next publish of a client that stayed', async () => {
    const erin = clients['erin-1']!;
    await erin.publishAsync('site/erin/b', 'allowed now', { qos: 1 });
    await until(() => received.includes('site/erin/b allowed now'), 3000, 'erin\'s publish to b');
    const refusedBefore = runtime.broker!.stats().publishRefused;
    // site/erin/a was allowed before the change: now it is refused and the connection dropped (MQTT 3.1.1)
    erin.publish('site/erin/a', 'not any more', { qos: 0 });
    await until(() => closed.has('erin-1'), 3000, 'erin disconnected for a refused publish');
    expect(runtime.broker!.stats().publishRefused).toBe(refusedBefore + 1);
    expect(received).not.toContain('site/erin/a not any more');
  });

  it('the same users again change nothing and disconnect no one; an unchanged password from the environment keeps its hash', async () => {
    const again = await runtime.replaceBrokerUsers({ ...section, allowAnonymous: false, users: [users.alice, users.bob] });
    expect(again).toEqual({ added: ['bob'], removed: ['carol', 'dave', 'erin'], changed: [], disconnected: 0 });
    const bob = await connect('bob-2', { username: 'bob', password: PASSWORDS.bob });
    const same = await runtime.replaceBrokerUsers({ ...section, allowAnonymous: false, users: [users.alice, { ...users.bob, password: { secret: new Secret(PASSWORDS.bob) } }] });
    expect(same).toEqual({ added: [], removed: [], changed: [], disconnected: 0 });
    await new Promise((r) => setTimeout(r, 100));
    expect(bob.connected).toBe(true);
    expect(closed.has('bob-2')).toBe(false);
  });

  it('never logs a password', () => {
    const text = lines.join('\n');
    expect(text).toContain('mqtt broker users replaced');
    for (const pw of Object.values(PASSWORDS)) expect(text).not.toContain(pw);
    expect(text).not.toContain('scrypt$');
  });
});
