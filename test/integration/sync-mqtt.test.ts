/**
 * MQTT push to a real mosquitto: QoS 1 with a persistent session, a broker restart in the middle
 * of a backlog, and the retained status with its Last Will. An EMS-side subscriber (clean session
 * off) de-duplicates by seq like the HTTP receiver.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/index.js';
import { createSync, type SyncService } from '../../sync/create-sync.js';
import { mqttTopics } from '../../sync/topics.js';
import { mqttTarget, syncSamples, syncSection, until } from '../helpers/sync-fixtures.js';
import { type MosquittoPeer, startMosquitto } from '../helpers/mosquitto.js';
import { createLedger, type Ledger, type WireBatch } from '../helpers/sync-receiver.js';
import { peersAvailable } from '../helpers/peers.js';
import { createTempStores } from '../helpers/temp-store.js';

const GATEWAY = 'gw-mqtt';
const CHILD = fileURLToPath(new URL('../helpers/sync-mqtt-child.ts', import.meta.url));
const topics = mqttTopics('facility', GATEWAY);
const temp = createTempStores('sync-mqtt-');

interface Subscriber {
  ledger: Ledger;
  client: MqttClient;
}

/** The EMS side: a persistent session on `<prefix>/<gateway>/#`, feeding a de-duplicating ledger. */
async function subscribe(url: string): Promise<Subscriber> {
  const ledger = createLedger();
  const client = await mqtt.connectAsync(url, { clientId: 'ems-subscriber', clean: false, reconnectPeriod: 100, protocolVersion: 4 });
  client.on('message', (topic, payload) => {
    if (topic === topics.readings || topic === topics.events) ledger.store(JSON.parse(payload.toString('utf8')) as WireBatch);
  });
  await client.subscribeAsync(`facility/${GATEWAY}/#`, { qos: 1 });
  return { ledger, client };
}

async function retainedStatus(url: string): Promise<Record<string, unknown> | undefined> {
  const client = await mqtt.connectAsync(url, { clean: true, reconnectPeriod: 0 });
  try {
    const got = new Promise<Record<string, unknown>>((resolve) =>
      client.on('message', (_t, payload, packet) => {
        if (packet.retain) resolve(JSON.parse(payload.toString('utf8')) as Record<string, unknown>);
      }),
    );
    await client.subscribeAsync(topics.status, { qos: 1 });
    return await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
  } finally {
    await client.endAsync();
  }
}

function ingest(store: Store, readings: number, events: number): void {
  const samples = syncSamples(readings);
  for (let i = 0; i < samples.length; i += 100) store.append(samples.slice(i, i + 100));
  for (let e = 0; e < events; e++) store.appendEvent('alarm.raised', { e });
  store.flush();
}

function expectAll(ledger: Ledger, store: Store): void {
  const { lastReadingSeq, lastEventSeq } = store.stats();
  expect(ledger.anomalies).toEqual([]);
  expect(ledger.last).toEqual({ readings: lastReadingSeq, events: lastEventSeq });
  expect(ledger.order.readings).toEqual(Array.from({ length: lastReadingSeq }, (_, i) => i + 1));
  expect(ledger.order.events).toEqual(Array.from({ length: lastEventSeq }, (_, i) => i + 1));
}

describe.runIf(peersAvailable('mosquitto'))('MQTT push to mosquitto', () => {
  let broker: MosquittoPeer;
  let sub: Subscriber;
  const started: SyncService[] = [];

  beforeAll(async () => {
    broker = await startMosquitto({ persistent: true });
    sub = await subscribe(broker.url);
  });
  // Each test's gateway uses the same client id: one must be gone before the next connects.
  afterEach(async () => {
    for (const s of started.splice(0)) await s.stop();
  });
  afterAll(async () => {
    await sub?.client.endAsync(true);
    await broker?.dispose();
    temp.cleanup();
  });

  async function startSync(store: Store, startedAt: number): Promise<SyncService> {
    const sync = await createSync({
      config: syncSection([mqttTarget(broker.url)]),
      gatewayId: GATEWAY,
      version: '9.9.9',
      startedAt,
      store,
      logger: silentLogger,
    });
    started.push(sync);
    sync.start();
    return sync;
  }

  it('delivers every batch once after de-duplication, across a broker restart', { timeout: 30_000 }, async () => {
    const store = temp.open(temp.file());
    ingest(store, 20_000, 30);
    const sync = await startSync(store, 1_700_000_000_000);
    await until(() => sub.ledger.last.readings > 0, 10_000, 'the first readings');

    await broker.stop();
    ingest(store, 5000, 5);
    await until(() => sync.health().targets[0]!.connected === false, 5000, 'the gateway to see the broker gone');
    const down = sync.health().targets[0]!;
    expect(down.state).toBe('retrying');
    expect(down.lastError?.message).toMatch(/broker/);
    expect(down.streams.readings?.depth).toBeGreaterThan(0);

    await broker.start();
    ingest(store, 5000, 5);
    const t = () => sync.health().targets[0]!;
    await until(() => t().streams.readings?.depth === 0 && t().streams.events?.depth === 0, 20_000, 'the backlog to drain');
    await until(() => sub.ledger.last.readings === store.stats().lastReadingSeq, 10_000, 'the subscriber to catch up');
    expectAll(sub.ledger, store);
    expect(t()).toMatchObject({ connected: true, state: 'idle', consecutiveFailures: 0 });
  });

  it('keeps a retained online status with version and start time, offline after a stop', async () => {
    const store = temp.open(temp.file());
    const sync = await startSync(store, 1_700_000_123_000);
    await until(() => sync.health().targets[0]!.connected === true, 5000, 'the connection');
    await new Promise((r) => setTimeout(r, 200));
    expect(await retainedStatus(broker.url)).toEqual({ state: 'online', gatewayId: GATEWAY, version: '9.9.9', startedAt: 1_700_000_123_000 });
    await sync.stop();
    expect(await retainedStatus(broker.url)).toMatchObject({ state: 'offline', reason: 'stopped', startedAt: 1_700_000_123_000 });
  });

  it('has the broker publish the Last Will (offline) when the gateway is killed', { timeout: 15_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, broker.url, temp.file(), GATEWAY], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('connected') && resolve());
        child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(await retainedStatus(broker.url)).toMatchObject({ state: 'online', version: '9.9.9' });
      child.kill('SIGKILL');
      await exited;
      let status: Record<string, unknown> | undefined;
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && status?.state !== 'offline') status = await retainedStatus(broker.url);
      expect(status).toMatchObject({ state: 'offline', reason: 'connection lost', gatewayId: GATEWAY, version: '9.9.9' });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
