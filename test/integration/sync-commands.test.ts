/**
 * Commands from the central EMS (issue 14, docs/sync-protocol.md §11) through the whole gateway
 * (startGateway): an EMS client on a real mosquitto publishes `{id, point, value, comment}` to
 * `<prefix>/<gatewayId>/commands`, the gateway writes an independent Modbus server (pymodbus, read
 * independently with mbpoll) and answers on `.../commands/result`. A repeated id is answered from
 * the log and not executed again, also after a restart; malformed payloads are answered
 * `bad-request` or dropped; without control.allowEms nothing is subscribed. Every attempt's
 * `control.write` event reaches an HTTP sync receiver (the normal event stream).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import type { SiteConfig } from '../../config/types.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { createSync } from '../../sync/create-sync.js';
import { mqttTopics } from '../../sync/topics.js';
import { type MosquittoPeer, startMosquitto } from '../helpers/mosquitto.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';
import { httpTarget, syncSection, until } from '../helpers/sync-fixtures.js';
import { type Receiver, startReceiver } from '../helpers/sync-receiver.js';
import { createTempStores } from '../helpers/temp-store.js';

const run = promisify(execFile);
const ON = mqttTopics('facility', 'gw-cmd');
const OFF = mqttTopics('facility', 'gw-off');

interface Answer {
  id: string;
  result: string;
  point?: string;
  reason?: string;
  message?: string;
  readBack?: unknown;
  oldValue?: unknown;
  eventSeq?: number;
}

interface ControlEvent {
  pointId: string;
  actor: { kind: string; name: string; role: string };
  requested: unknown;
  result: string;
  reason?: string;
  readBack?: unknown;
  comment?: string;
  commandId?: string;
}

/** The control.write events a receiver stored, by seq. */
function controlEvents(receiver: Receiver): { seq: number; data: ControlEvent }[] {
  return [...receiver.items.events.entries()]
    .filter(([, item]) => item.type === 'control.write')
    .map(([seq, item]) => ({ seq, data: item.data as ControlEvent }));
}

describe.skipIf(!peersAvailable('mosquitto', 'pymodbus', 'mbpoll'))('EMS commands over the MQTT sync target', () => {
  let broker: MosquittoPeer;
  let modbus: PymodbusPeer;
  let receiver: Receiver;
  let ems: MqttClient;
  let dir: string;
  let gateway: RunningGateway | undefined;
  let adminToken: string;
  /** every answer the EMS heard, per gateway topic */
  const answers: { topic: string; answer: Answer }[] = [];

  /** mbpoll's reading of holding register `address` (or a write of `value` to it). */
  async function mbpoll(address: number, value?: number): Promise<number> {
    const args = ['-1', '-0', '-m', 'tcp', '-p', String(modbus.port), '-a', '1', '-t', '4', '-r', String(address), '127.0.0.1'];
    const { stdout } = await run('mbpoll', value === undefined ? args : [...args, String(value)], { timeout: 10_000 });
    if (value !== undefined) return value;
    const m = new RegExp(`^\\[${address}\\]:\\s+(\\S+)`, 'm').exec(stdout);
    if (!m) throw new Error(`mbpoll gave no value:\n${stdout}`);
    return Number(m[1]);
  }

  function siteFile(name: string, gatewayId: string, allowEms: boolean, receiverUrl: string): string {
    const file = join(dir, name);
    writeFileSync(
      file,
      `gateway: { id: ${gatewayId}, dataDir: ./data-${gatewayId} }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
control: { allowEms: ${allowEms}, rateLimitPerPoint: { count: 100, perSeconds: 60 } }
sync:
  targets:
    - { id: ems-mqtt, kind: mqtt, url: "${broker.url}", topicPrefix: facility, retryInitialMs: 50, retryMaxMs: 500 }
    - { id: ems-http, kind: http, url: "${receiverUrl}", gzip: false, retryInitialMs: 50, retryMaxMs: 500 }
devices:
  - id: crac1
    name: CRAC 1
    kind: hvac
    driver: modbus
    connection: { host: 127.0.0.1, port: ${modbus.port}, unitId: 1, timeoutMs: 1000 }
    pollIntervalMs: 300
    points:
      - { key: setpoint, table: holding, address: 0, type: uint16, scale: 0.1, unit: "°C", write: { min: 15, max: 30, step: 0.1 } }
      - { key: spare, table: holding, address: 40, type: uint16, write: { readBack: false } }
`,
    );
    return file;
  }

  async function launch(file: string): Promise<{ gateway: RunningGateway; config: SiteConfig }> {
    const config = loadSiteConfig(file);
    const g = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    return { gateway: g, config };
  }

  /** Publishes a command and waits for the answer with its id (the `n`th one, for repeats). */
  async function command(body: unknown, n = 1, topics = ON): Promise<Answer> {
    const id = (body as { id?: string }).id;
    const before = answers.filter((a) => a.answer.id === id).length;
    await ems.publishAsync(topics.commands, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
    await until(() => answers.filter((a) => a.answer.id === id).length >= before + n, 15_000, `the answer to ${id}`);
    return answers.filter((a) => a.answer.id === id).at(-1)!.answer;
  }

  async function health(g: RunningGateway): Promise<{ commands?: Record<string, number> }[]> {
    const res = await fetch(`http://127.0.0.1:${g.port}/api/v1/health`, { headers: { authorization: `Bearer ${adminToken}` } });
    const body = (await res.json()) as { sync: { targets: { id: string; commands?: Record<string, number> }[] } };
    return body.sync.targets;
  }

  async function pointValue(g: RunningGateway, point: string): Promise<unknown> {
    const res = await fetch(`http://127.0.0.1:${g.port}/api/v1/points/${point}`, { headers: { authorization: `Bearer ${adminToken}` } });
    return ((await res.json()) as { value?: unknown }).value;
  }

  beforeAll(async () => {
    // subscribe/unsubscribe logged: the allowEms-off gateway must never subscribe to its commands topic
    broker = await startMosquitto({ persistent: true, extraConfig: ['log_type subscribe', 'log_type unsubscribe'] });
    modbus = await startPymodbus({ transport: 'tcp' }, { 1: { holding: [{ address: 0, type: 'uint16', value: 220 }, { address: 40, type: 'uint16', value: 0 }] } });
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'gw-sync-commands-'));
    ems = await mqtt.connectAsync(broker.url, { clientId: 'ems-central', clean: true, reconnectPeriod: 100, protocolVersion: 4 });
    ems.on('message', (topic, payload) => {
      if (topic.endsWith('/commands/result')) answers.push({ topic, answer: JSON.parse(payload.toString('utf8')) as Answer });
    });
    await ems.subscribeAsync([ON.commandResults, OFF.commandResults], { qos: 1 });

    const file = siteFile('site.yaml', 'gw-cmd', true, receiver.url);
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    adminToken = createTokenStore(authDb).create('test-admin', 'admin').token;
    authDb.close();
    gateway = (await launch(file)).gateway;
    const g = gateway;
    // the commands subscription is in place and the device polled (a write needs it up)
    await until(() => broker.log().includes(`gw-cmd-ems-mqtt 1 ${ON.commands}`), 10_000, 'the commands subscription');
    const deadline = Date.now() + 15_000;
    while ((await pointValue(g, 'crac1.setpoint')) !== 22) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the first poll');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await health(g)).find((t) => t.commands)?.commands).toMatchObject({ received: 0 });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await ems?.endAsync(true);
    await receiver?.close();
    await modbus?.stop();
    await broker?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('executes a command and answers with the same id; the write reaches the device and the event a receiver', { timeout: 30_000 }, async () => {
    const answer = await command({ id: 'cmd-1', point: 'crac1.setpoint', value: 25, comment: 'EMS peak shaving' });
    expect(answer).toMatchObject({ id: 'cmd-1', result: 'verified', point: 'crac1.setpoint', oldValue: 22, readBack: 25 });
    expect(await mbpoll(0)).toBe(250);

    await until(() => controlEvents(receiver).some((e) => e.data.commandId === 'cmd-1'), 10_000, 'the control.write event at the receiver');
    // The EMS ties the answer to its event by the command id (eventSeq only when the service knows the seq).
    const event = controlEvents(receiver).find((e) => e.data.commandId === 'cmd-1')!;
    if (answer.eventSeq !== undefined) expect(event.seq).toBe(answer.eventSeq);
    expect(event.data).toMatchObject({
      pointId: 'crac1.setpoint',
      actor: { kind: 'ems', name: 'ems-mqtt', role: 'ems' },
      requested: 25,
      result: 'verified',
      readBack: 25,
      comment: 'EMS peak shaving',
    });
  });

  it('answers a repeated id with the stored answer and does not write again', { timeout: 30_000 }, async () => {
    const first = answers.find((a) => a.answer.id === 'cmd-1')!.answer;
    // Someone else moves the setpoint: a re-execution would set it back to 25.0.
    await mbpoll(0, 230);
    const again = await command({ id: 'cmd-1', point: 'crac1.setpoint', value: 25, comment: 'EMS peak shaving' });
    expect(again).toEqual(first);
    // the same id with other fields is still the same command: answered, not executed
    const changed = await command({ id: 'cmd-1', point: 'crac1.setpoint', value: 28 });
    expect(changed).toEqual(first);
    expect(await mbpoll(0)).toBe(230);
    // a later command's event is at the receiver, so an earlier second one would be too
    await command({ id: 'cmd-2', point: 'crac1.spare', value: 7 });
    await until(() => controlEvents(receiver).some((e) => e.data.commandId === 'cmd-2'), 10_000, 'cmd-2 at the receiver');
    expect(controlEvents(receiver).filter((e) => e.data.commandId === 'cmd-1')).toHaveLength(1);
    expect(await mbpoll(40)).toBe(7);
    const stats = (await health(gateway!)).find((t) => t.commands)!.commands!;
    expect(stats).toMatchObject({ executed: 2, repeated: 2 });
  });

  it('answers refusals with their reason, and each refusal is an event at the receiver', { timeout: 30_000 }, async () => {
    expect(await command({ id: 'cmd-range', point: 'crac1.setpoint', value: 99 })).toMatchObject({ result: 'refused', reason: 'out-of-range' });
    expect(await command({ id: 'cmd-nope', point: 'crac1.nothing', value: 1 })).toMatchObject({ result: 'refused', reason: 'not-found' });
    expect(await mbpoll(0)).toBe(230);
    await until(() => controlEvents(receiver).some((e) => e.data.commandId === 'cmd-nope'), 10_000, 'the refusals at the receiver');
    expect(controlEvents(receiver).find((e) => e.data.commandId === 'cmd-range')!.data).toMatchObject({
      result: 'refused',
      reason: 'out-of-range',
      requested: 99,
      actor: { kind: 'ems' },
    });
    // a refused id is answered from the log too
    expect(await command({ id: 'cmd-range', point: 'crac1.setpoint', value: 20 })).toMatchObject({ result: 'refused', reason: 'out-of-range' });
    expect(controlEvents(receiver).filter((e) => e.data.commandId === 'cmd-range')).toHaveLength(1);
  });

  it('answers malformed commands with a readable id `bad-request`, drops the rest, and goes on', { timeout: 30_000 }, async () => {
    const before = (await health(gateway!)).find((t) => t.commands)!.commands!;
    const heard = answers.length;
    const dropped = [
      'not json {',
      '[1, 2]',
      JSON.stringify({ point: 'crac1.setpoint', value: 20 }),
      JSON.stringify({ id: 'x'.repeat(129), point: 'crac1.setpoint', value: 20 }),
      JSON.stringify({ id: 'big', point: 'crac1.setpoint', value: 20, pad: 'x'.repeat(5000) }),
    ];
    for (const payload of dropped) await ems.publishAsync(ON.commands, payload, { qos: 1 });
    const bad = [
      { id: 'bad-value-missing', point: 'crac1.setpoint' },
      { id: 'bad-point', point: 5, value: 20 },
      { id: 'bad-point-chars', point: 'crac1 setpoint', value: 20 },
      { id: 'bad-value-object', point: 'crac1.setpoint', value: { v: 20 } },
      { id: 'bad-comment', point: 'crac1.setpoint', value: 20, comment: 'c'.repeat(501) },
    ];
    for (const body of bad) {
      expect(await command(body)).toMatchObject({ id: body.id, result: 'refused', reason: 'bad-request' });
    }
    // Messages are handled in order: once this one is answered, the dropped ones got none.
    expect(await command({ id: 'after-junk', point: 'crac1.setpoint', value: 21.5 })).toMatchObject({ result: 'verified', readBack: 21.5 });
    expect(answers.slice(heard).map((a) => a.answer.id)).toEqual([...bad.map((b) => b.id), 'after-junk']);
    expect(await mbpoll(0)).toBe(215);
    const after = (await health(gateway!)).find((t) => t.commands)!.commands!;
    expect(after.dropped! - before.dropped!).toBe(dropped.length);
    expect(after.badRequests! - before.badRequests!).toBe(bad.length);
    const metrics = await (await fetch(`http://127.0.0.1:${gateway!.port}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
    expect(metrics).toMatch(new RegExp(`^gateway_sync_commands_total\\{target="ems-mqtt",kind="mqtt",outcome="dropped"\\} ${after.dropped}$`, 'm'));
    // nothing ran for a bad request: the id may be used again once the command is right
    expect(await command({ id: 'bad-value-missing', point: 'crac1.spare', value: 3 })).toMatchObject({ result: 'written' });
  });

  it('keeps the ids across a restart: a repeated id is answered, not executed', { timeout: 60_000 }, async () => {
    await gateway!.stop();
    gateway = undefined;
    await mbpoll(0, 240);
    gateway = (await launch(join(dir, 'site.yaml'))).gateway;
    const first = answers.find((a) => a.answer.id === 'cmd-1')!.answer;
    expect(await command({ id: 'cmd-1', point: 'crac1.setpoint', value: 25 }, 1)).toEqual(first);
    expect(await mbpoll(0)).toBe(240);
    await command({ id: 'cmd-3', point: 'crac1.spare', value: 9 });
    await until(() => controlEvents(receiver).some((e) => e.data.commandId === 'cmd-3'), 10_000, 'cmd-3 at the receiver');
    expect(controlEvents(receiver).filter((e) => e.data.commandId === 'cmd-1')).toHaveLength(1);
  });

  it('without control.allowEms, subscribes to nothing: a command gets no answer and writes nothing', { timeout: 60_000 }, async () => {
    // The same gateway restarted with allowEms off: its persistent session held the subscription.
    await gateway!.stop();
    gateway = undefined;
    const offFile = siteFile('site-off.yaml', 'gw-cmd', false, receiver.url);
    gateway = (await launch(offFile)).gateway;
    const heard = answers.length;
    const events = controlEvents(receiver).length;
    await until(() => broker.log().includes(`gw-cmd-ems-mqtt ${ON.commands}`), 10_000, 'the unsubscribe');
    await ems.publishAsync(ON.commands, JSON.stringify({ id: 'off-1', point: 'crac1.setpoint', value: 18 }), { qos: 1 });

    // A gateway that was never allowed: never subscribes.
    const neverReceiver = await startReceiver();
    const never = await launch(siteFile('site-never.yaml', 'gw-off', false, neverReceiver.url));
    try {
      // connected: it unsubscribes on connect (there is nothing to drop here, the broker logs it anyway)
      await until(() => broker.log().includes(`gw-off-ems-mqtt ${OFF.commands}`), 10_000, 'gw-off connected');
      await ems.publishAsync(OFF.commands, JSON.stringify({ id: 'off-2', point: 'crac1.setpoint', value: 18 }), { qos: 1 });
      await new Promise((r) => setTimeout(r, 2000));
      expect(answers.slice(heard)).toEqual([]);
      expect(await mbpoll(0)).toBe(240);
      expect(controlEvents(receiver).length).toBe(events);
      expect(controlEvents(neverReceiver)).toEqual([]);
      // mosquitto logs a subscribe as `<client> <qos> <topic>`, an unsubscribe as `<client> <topic>`
      const lines = broker.log().split('\n');
      expect(lines.filter((line) => line.includes(`gw-off-ems-mqtt 1 ${OFF.commands}`))).toEqual([]);
      expect(lines.filter((line) => line.endsWith(`gw-off-ems-mqtt ${OFF.commands}`))).toHaveLength(1);
      expect((await health(gateway)).find((t) => t.commands)).toBeUndefined();
    } finally {
      await never.gateway.stop();
      await neverReceiver.close();
    }
  });
});

describe('a control.write event on the normal event path', () => {
  const temp = createTempStores('sync-control-event-');
  afterAll(() => temp.cleanup());

  it('reaches an HTTP sync receiver unchanged', { timeout: 15_000 }, async () => {
    const receiver = await startReceiver();
    const store = temp.open(temp.file());
    const sync = await createSync({
      config: syncSection([httpTarget(receiver.url)]),
      gatewayId: 'gw-event',
      version: 'test',
      startedAt: Date.now(),
      store,
      logger: silentLogger,
    });
    try {
      const data = {
        pointId: 'crac1.setpoint',
        deviceId: 'crac1',
        actor: { kind: 'ems', name: 'ems-mqtt', role: 'ems' },
        oldValue: 22,
        requested: 24,
        readBack: 23.9,
        result: 'failed',
        reason: 'verify-failed',
        message: 'read back 23.9, not 24',
        comment: 'night setback',
        commandId: 'c-77',
        durationMs: 5004,
      };
      store.appendEvent('control.write', data, 1_767_225_600_000);
      store.flush();
      sync.start();
      await until(() => receiver.last.events >= 1, 10_000, 'the event at the receiver');
      expect(receiver.anomalies).toEqual([]);
      expect(receiver.items.events.get(1)).toMatchObject({ seq: 1, ts: 1_767_225_600_000, type: 'control.write', data });
    } finally {
      await sync.stop();
      await receiver.close();
    }
  });
});
