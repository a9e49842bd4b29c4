/**
 * Alarm notifications against real peers on 127.0.0.1: an HTTP server that fails, hangs or answers,
 * and an MQTT broker. Committed alarm events go out routed by severity and kind, failed sends are
 * retried with backoff and show in the counters, and a dead target never delays evaluation.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlarmNotifier, createAlarmNotifier } from '../../gateway/alarms/notifier.js';
import type { AlarmEventData, MqttTarget, NotifyKind, Severity, WebhookTarget } from '../../gateway/alarms/types.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/types.js';
import { alarmRig, discreteRule } from '../helpers/alarm-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const FAST = { initialMs: 20, maxMs: 80 };
const secret = (v: string) => ({ reveal: () => v });

function webhook(url: string, extra: Partial<WebhookTarget> = {}): WebhookTarget {
  return { type: 'webhook', url, headers: {}, severities: ['critical', 'major', 'minor', 'warning'], kinds: ['raised', 'returned'], timeoutMs: 500, retries: 3, ...extra };
}

/** What a target receives. */
interface Posted {
  gatewayId: string;
  seq: number;
  type: string;
  kind: NotifyKind;
  alarm: AlarmEventData;
}

/** An HTTP receiver whose answer per request the test decides. */
async function receiver(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const bodies: Array<{ body: Posted; headers: IncomingMessage['headers'] }> = [];
  let n = 0;
  const server: Server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    n++;
    bodies.push({ body: JSON.parse(text) as Posted, headers: req.headers });
    answer(n, req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, bodies, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

describe('alarm notifications', () => {
  const temp = createTempStores('gw-alarm-notify-');
  let store: Store;
  let notifier: AlarmNotifier | undefined;
  const closers: Array<() => Promise<void>> = [];
  beforeEach(() => {
    store = temp.open(temp.file());
  });
  afterEach(async () => {
    await notifier?.close();
    notifier = undefined;
    for (const c of closers.splice(0)) await c();
    temp.cleanup();
  });

  function rigWith(targets: Array<WebhookTarget | MqttTarget>, severity: Severity = 'major') {
    notifier = createAlarmNotifier({ targets, gatewayId: 'gw-t', logger: silentLogger, backoff: FAST });
    const n = notifier;
    store.onCommit((b) => n.notify(b.events));
    return alarmRig(store, [discreteRule('ups1.on-battery', 'ups1.on_battery', { op: 'equals', value: true }, { severity })]);
  }

  it('POSTs the committed raise and return as JSON with the event seq and the configured headers', async () => {
    const hook = await receiver((_, __, res) => res.end('ok'));
    closers.push(hook.close);
    const rig = rigWith([webhook(hook.url, { headers: { authorization: secret('Bearer t0ken') } })]);
    rig.feed({ 'ups1.on_battery': true });
    rig.feed({ 'ups1.on_battery': false });
    const events = rig.events();
    await notifier!.idle();
    expect(hook.bodies.map((b) => [b.body.type, b.body.kind, b.body.seq, b.body.alarm.alarmId, b.body.gatewayId])).toEqual([
      ['alarm.raised', 'raised', events[0]!.seq, 'ups1.on-battery', 'gw-t'],
      ['alarm.returned', 'returned', events[1]!.seq, 'ups1.on-battery', 'gw-t'],
    ]);
    expect(hook.bodies[0]!.headers.authorization).toBe('Bearer t0ken');
    expect(notifier!.health()[0]).toMatchObject({ type: 'webhook', sent: 2, failed: 0, queued: 0, lastError: null });
  });

  it('retries a failing webhook with backoff and counts the failures', async () => {
    const hook = await receiver((n, _, res) => {
      res.statusCode = n <= 2 ? 503 : 200;
      res.end();
    });
    closers.push(hook.close);
    const rig = rigWith([webhook(hook.url)]);
    rig.feed({ 'ups1.on_battery': true });
    rig.events();
    await notifier!.idle();
    expect(hook.bodies).toHaveLength(3);
    expect(notifier!.health()[0]).toMatchObject({ sent: 1, failed: 0, retried: 2, lastError: 'HTTP 503' });
  });

  it('gives up after its retries; the failure is visible', async () => {
    const hook = await receiver((_, __, res) => {
      res.statusCode = 500;
      res.end();
    });
    closers.push(hook.close);
    const rig = rigWith([webhook(hook.url, { retries: 2 })]);
    rig.feed({ 'ups1.on_battery': true });
    rig.events();
    await notifier!.idle();
    expect(hook.bodies).toHaveLength(3);
    const h = notifier!.health()[0]!;
    expect(h).toMatchObject({ sent: 0, failed: 1, retried: 2, lastError: 'HTTP 500' });
    expect(h.lastErrorAt).toBeGreaterThan(0);
  });

  it('a hanging webhook never blocks evaluation: alarms keep raising and committing', async () => {
    const hook = await receiver(() => {}); // never answers
    closers.push(hook.close);
    const rig = rigWith([webhook(hook.url, { timeoutMs: 100, retries: 0, kinds: ['raised'] })]);
    const started = performance.now();
    for (let i = 0; i < 20; i++) {
      rig.feed({ 'ups1.on_battery': i % 2 === 0 });
      rig.clock.now += 10_000;
    }
    const elapsed = performance.now() - started;
    expect(rig.events().filter((e) => e.type === 'alarm.raised')).toHaveLength(10);
    expect(elapsed).toBeLessThan(250);
    await notifier!.idle(3000);
    expect(notifier!.health()[0]!.failed).toBe(10);
    expect(notifier!.health()[0]!.lastError).toMatch(/abort|timeout/i);
  });

  it.each<[string, Partial<WebhookTarget>, Severity, number]>([
    ['critical-only target skips a major alarm', { severities: ['critical'] }, 'major', 0],
    ['critical-only target gets a critical alarm', { severities: ['critical'] }, 'critical', 2],
    ['raised-only target skips the return', { kinds: ['raised'] as NotifyKind[] }, 'major', 1],
  ])('routes by severity and kind: %s', async (_, extra, severity, expected) => {
    const hook = await receiver((_, __, res) => res.end());
    closers.push(hook.close);
    const rig = rigWith([webhook(hook.url, extra)], severity);
    rig.feed({ 'ups1.on_battery': true });
    rig.feed({ 'ups1.on_battery': false });
    rig.events();
    await notifier!.idle();
    expect(hook.bodies).toHaveLength(expected);
  });

  it('suppresses a chattering alarm’s notifications and counts them', async () => {
    const hook = await receiver((_, __, res) => res.end());
    closers.push(hook.close);
    const rig = rigWith([webhook(hook.url)]);
    for (let i = 0; i < 8; i++) {
      rig.clock.now += 1000;
      rig.feed({ 'ups1.on_battery': true });
      rig.clock.now += 1000;
      rig.feed({ 'ups1.on_battery': false });
    }
    rig.events();
    await notifier!.idle();
    // 5 raises and their returns go out; the 6th raise starts the chatter, and from then on nothing.
    expect(hook.bodies.map((b) => b.body.kind)).toEqual(Array.from({ length: 5 }, () => ['raised', 'returned']).flat());
    expect(notifier!.health()[0]!.suppressed).toBe(6);
  });

  it('publishes to an MQTT broker, topic per alarm; a dead broker shows as a failure', async () => {
    const broker = await Aedes.createBroker();
    const tcp = createNetServer(broker.handle);
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const port = (tcp.address() as AddressInfo).port;
    const stopBroker = async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    };
    let brokerUp = true;
    closers.push(async () => {
      if (brokerUp) await stopBroker();
    });
    const sub = await connectAsync(`mqtt://127.0.0.1:${port}`);
    closers.push(() => sub.endAsync(true));
    const received: Array<{ topic: string; body: Posted }> = [];
    sub.on('message', (topic, payload) => received.push({ topic, body: JSON.parse(payload.toString()) as Posted }));
    await sub.subscribeAsync('site/#', { qos: 1 });

    const target: MqttTarget = {
      type: 'mqtt',
      url: `mqtt://127.0.0.1:${port}`,
      topic: 'site/{gatewayId}/alarms/{alarmId}',
      qos: 1,
      retain: false,
      severities: ['critical', 'major', 'minor', 'warning'],
      kinds: ['raised', 'returned'],
      timeoutMs: 500,
      retries: 1,
    };
    const rig = rigWith([target]);
    rig.feed({ 'ups1.on_battery': true });
    rig.events();
    await notifier!.idle();
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toMatchObject({ topic: 'site/gw-t/alarms/ups1.on-battery', body: { kind: 'raised', alarm: { state: 'unack' } } });
    expect(notifier!.health()[0]).toMatchObject({ type: 'mqtt', sent: 1, failed: 0 });

    await sub.endAsync(true);
    await stopBroker();
    brokerUp = false;
    rig.feed({ 'ups1.on_battery': false });
    rig.events();
    await notifier!.idle();
    expect(notifier!.health()[0]).toMatchObject({ sent: 1, failed: 1 });
    expect(notifier!.health()[0]!.lastError).toBeTruthy();
  });
});
