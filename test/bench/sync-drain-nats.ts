/**
 * Draining a 1 M-reading backlog through the NATS target into a single-node JetStream (file store,
 * nats-server on loopback), beside the raw client library publishing the same messages with their
 * PubAcks in the same run:
 * - `js.publish()` of @nats-io/jetstream, 5000 in flight at a time (on the first 200 k messages: it
 *   is slow enough that the whole million would take minutes);
 * - core publishes with a reply subject on one inbox subscription, 5000 in flight at a time: the
 *   JetStream publish protocol with nothing around it, the floor the target is held to.
 * Run alone: `npx tsx test/bench/sync-drain-nats.ts`.
 */
import { pathToFileURL } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createInbox, headers, type NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/index.js';
import { createBatchReader } from '../../sync/batch.js';
import { createSync } from '../../sync/create-sync.js';
import { itemLines } from '../../sync/nats/item-lines.js';
import { natsTarget } from '../helpers/nats-fixtures.js';
import { startNats } from '../helpers/nats-server.js';
import { syncSection, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { fillBacklog, TOTAL } from './sync-drain.js';
import { type BenchRow, printTable } from './bench-row.js';

const WINDOW = 5000;
const JS_PUBLISH_SAMPLE = 200_000;

/** Every reading's message as the gateway sends it (the item's JSON), encoded before any clock starts. */
function messagesOf(store: Store): Uint8Array[] {
  const reader = createBatchReader(store, 'bench-gw');
  const out: Uint8Array[] = [];
  let after = 0;
  for (;;) {
    const batch = reader.read('readings', after, { items: 10_000, bytes: 64 * 1024 * 1024 });
    if (!batch) break;
    for (const line of itemLines(batch.itemsJson).split('\n')) out.push(Buffer.from(line));
    after = batch.toSeq;
  }
  return out;
}

async function rawJsPublish(nc: NatsConnection, messages: Uint8Array[]): Promise<number> {
  const js = jetstream(nc, { timeout: 30_000 });
  const started = performance.now();
  for (let i = 0; i < JS_PUBLISH_SAMPLE; i += WINDOW) {
    const acks = [];
    for (let j = i; j < Math.min(i + WINDOW, JS_PUBLISH_SAMPLE); j++) acks.push(js.publish('facility.raw-js.readings', messages[j], { msgID: `raw-js:readings:${j + 1}` }));
    await Promise.all(acks);
  }
  return JS_PUBLISH_SAMPLE / ((performance.now() - started) / 1000);
}

async function rawCorePublish(nc: NatsConnection, messages: Uint8Array[], source: string): Promise<number> {
  const inbox = createInbox();
  let acked = 0;
  let windowDone: (() => void) | undefined;
  let windowEnd = 0;
  const sub = nc.subscribe(`${inbox}.*`, {
    callback: (_err, msg) => {
      const ack = JSON.parse(new TextDecoder().decode(msg.data)) as { stream?: string; error?: unknown };
      if (!ack.stream) throw new Error(`no PubAck: ${JSON.stringify(ack)}`);
      if (++acked === windowEnd) windowDone?.();
    },
  });
  const started = performance.now();
  for (let i = 0; i < TOTAL; i += WINDOW) {
    windowEnd = Math.min(i + WINDOW, TOTAL);
    const done = new Promise<void>((resolve) => {
      windowDone = resolve;
    });
    for (let j = i; j < windowEnd; j++) {
      const h = headers();
      h.set('Nats-Msg-Id', `${source}:readings:${j + 1}`);
      nc.publish(`facility.${source}.readings`, messages[j], { reply: `${inbox}.${j}`, headers: h });
    }
    await done;
  }
  const perSecond = TOTAL / ((performance.now() - started) / 1000);
  sub.unsubscribe();
  return perSecond;
}

async function natsTargetDrain(store: Store, urls: string[], target: string, batchItems: number): Promise<number> {
  const sync = await createSync({
    config: syncSection([natsTarget(urls, { id: target, batchItems, batchBytes: 64 * 1024 * 1024, timeoutMs: 30_000 })]),
    gatewayId: `bench-${target}`,
    version: 'bench',
    startedAt: Date.now(),
    store,
    logger: silentLogger,
  });
  const started = performance.now();
  sync.start();
  await until(() => store.syncCursor(target, 'readings') === TOTAL, 300_000, `${target} to drain the backlog`);
  const perSecond = TOTAL / ((performance.now() - started) / 1000);
  await sync.stop();
  return perSecond;
}

export async function benchSyncNats(): Promise<BenchRow[]> {
  const temp = createTempStores('sync-nats-bench-', { maxBatch: 20_000, batchCommit: 'sync' });
  const nats = await startNats();
  try {
    const store = temp.open(temp.file());
    fillBacklog(store);
    const messages = messagesOf(store);
    if (messages.length !== TOTAL) throw new Error(`encoded ${messages.length} messages`);
    const nc = await nats.client({ noAsyncTraces: true });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: 'FACILITY', subjects: ['facility.>'] });
      // The machine is shared (nats-server runs beside us on the same cores): raw and target take
      // turns, three times, and each keeps its best run, so a busy moment does not decide the ratio.
      let raw = 0;
      let drain = 0;
      for (const round of ['a', 'b', 'c']) {
        raw = Math.max(raw, await rawCorePublish(nc, messages, `raw-${round}`));
        drain = Math.max(drain, await natsTargetDrain(store, nats.urls, `nats-${round}`, 5000));
      }
      const js = await rawJsPublish(nc, messages);
      const drainLarge = await natsTargetDrain(store, nats.urls, 'nats-large', 20_000);
      const baseline = 'raw core publish + PubAck inbox';
      return [
        { name: 'sync NATS raw: core publish with reply inbox + PubAcks, 5000 in flight (best of 3)', value: raw, unit: 'readings/s' },
        { name: `sync NATS raw: js.publish() + PubAcks, 5000 in flight (first ${JS_PUBLISH_SAMPLE / 1000} k)`, value: js, unit: 'readings/s', baseline, ratio: js / raw },
        { name: 'sync NATS JetStream target, default batches (5000 items, best of 3)', value: drain, unit: 'readings/s', baseline, ratio: drain / raw, target: 'ratio >= 0.7', pass: drain / raw >= 0.7 },
        { name: 'sync NATS JetStream target, 20000-item batches', value: drainLarge, unit: 'readings/s', baseline, ratio: drainLarge / raw },
        { name: 'sync NATS JetStream target (5000) vs js.publish()', value: drain / js, unit: 'x', baseline: 'raw js.publish()' },
      ];
    } finally {
      await nc.close();
    }
  } finally {
    await nats.dispose();
    temp.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchSyncNats());
}
