/**
 * Draining a 1 M-reading backlog into VictoriaMetrics (a separate process on loopback) through the
 * gateway's time-series targets: Prometheus remote_write and Influx line protocol (gzip). Beside
 * each, the raw client libraries in the same run: the same readings read from the store, encoded
 * with protobufjs + snappyjs (or as line protocol + gzip) and POSTed with plain fetch, one request
 * at a time, no gateway. Best of two alternating runs each. Run alone: `npx tsx test/bench/sync-drain-tsdb.ts`.
 */
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import snappy from 'snappyjs';
import { silentLogger } from '../../core/logger.js';
import type { Reading } from '../../core/types.js';
import type { Store } from '../../gateway/store/index.js';
import type { SyncTargetConfig } from '../../sync/config-schema.js';
import { createSync } from '../../sync/create-sync.js';
import { WriteRequest } from '../../sync/tsdb/remote-write.js';
import { syncSection, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { influxTarget, prometheusTarget } from '../helpers/tsdb-fixtures.js';
import { startVictoriaMetrics } from '../helpers/victoria-metrics.js';
import { BACKLOG_POINT_IDS, fillBacklog, TOTAL } from './sync-drain.js';
import { type BenchRow, printTable } from './bench-row.js';

const gzip = promisify(gzipCb);
const BATCH = 5000;
/** a day ago: inside every engine's accepted window */
const T0 = Date.now() - 86_400_000;

const seriesInfo = (id: string) => {
  const [device, key] = id.split('.') as [string, string];
  return { device, key, kind: 'pdu', unit: 'W' };
};

function labelsOf(gateway: string, id: string): [string, string][] {
  const info = seriesInfo(id);
  return [
    ['__name__', `facility_${info.key}`],
    ['device', info.device],
    ['gateway', gateway],
    ['key', info.key],
    ['kind', info.kind],
    ['point', id],
    ['unit', info.unit],
  ];
}

const num = (r: Reading) => (typeof r.value === 'boolean' ? (r.value ? 1 : 0) : (r.value as number));

/** Reads the store page by page and POSTs each page as `encode` makes it; readings/s. */
async function rawDrain(store: Store, url: string, headers: Record<string, string>, encode: (rows: Reading[]) => Promise<Buffer>): Promise<number> {
  const started = performance.now();
  let after = 0;
  for (;;) {
    const rows = store.readingsAfter(after, BATCH);
    if (rows.length === 0) break;
    const res = await fetch(url, { method: 'POST', headers, body: await encode(rows) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`raw POST answered ${res.status}`);
    after = rows.at(-1)!.seq;
  }
  return TOTAL / ((performance.now() - started) / 1000);
}

function rawRemoteWrite(vmUrl: string, store: Store, gateway: string): Promise<number> {
  const labels = new Map(BACKLOG_POINT_IDS.map((id) => [id, labelsOf(gateway, id).map(([name, value]) => ({ name, value }))]));
  return rawDrain(
    store,
    `${vmUrl}/api/v1/write`,
    { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0' },
    async (rows) => {
      const bySeries = new Map<string, { value: number; timestamp: number }[]>();
      for (const r of rows) {
        let list = bySeries.get(r.pointId);
        if (!list) {
          list = [];
          bySeries.set(r.pointId, list);
        }
        list.push({ value: num(r), timestamp: r.ts });
      }
      const timeseries = [...bySeries].map(([id, samples]) => ({ labels: labels.get(id)!, samples }));
      const packed = snappy.compress(WriteRequest.encode({ timeseries }).finish());
      return Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
    },
  );
}

function rawLineProtocol(vmUrl: string, store: Store, gateway: string): Promise<number> {
  const prefixes = new Map(
    BACKLOG_POINT_IDS.map((id) => {
      const tags = labelsOf(gateway, id).slice(1).map(([k, v]) => `,${k}=${v}`);
      return [id, `facility${tags.join('')} ${seriesInfo(id).key}=`];
    }),
  );
  return rawDrain(store, `${vmUrl}/write?db=bench&precision=ms`, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, async (rows) => {
    const text = rows.map((r) => `${prefixes.get(r.pointId)}${num(r)} ${r.ts}`).join('\n');
    return gzip(Buffer.from(text), { level: 1 });
  });
}

async function gatewayDrain(store: Store, target: SyncTargetConfig, gatewayId: string) {
  const sync = await createSync({
    config: syncSection([target]),
    gatewayId,
    version: 'bench',
    startedAt: Date.now(),
    store,
    logger: silentLogger,
    seriesInfo,
  });
  const started = performance.now();
  sync.start();
  await until(() => store.syncCursor(target.id, 'readings') === TOTAL, 300_000, `${target.id} to drain the backlog`);
  const seconds = (performance.now() - started) / 1000;
  const t = sync.health().targets[0]!;
  await sync.stop();
  if (t.failedBatches > 0) throw new Error(`${target.id}: ${t.failedBatches} failed batches (${t.lastFailure?.message})`);
  return { perSecond: TOTAL / seconds, wireBytesPerReading: t.sent.wireBytes / TOTAL };
}

export async function benchSyncTsdb(): Promise<BenchRow[]> {
  const temp = createTempStores('sync-tsdb-bench-', { maxBatch: 20_000, batchCommit: 'sync' });
  const vm = await startVictoriaMetrics();
  try {
    const store = temp.open(temp.file());
    fillBacklog(store, T0);
    const common = { batchItems: BATCH, batchBytes: 4_000_000, timeoutMs: 60_000 };
    // Raw and gateway alternate, twice per kind, best of each: on a shared 2-core machine one slow moment
    // (VictoriaMetrics merging parts, another process) would otherwise decide the ratio. Each run is a new
    // gateway id (new cursors, new series), so every run drains the full million.
    let rawRw = 0;
    let gwRw = { perSecond: 0, wireBytesPerReading: 0 };
    let rawLp = 0;
    let gwLp = { perSecond: 0, wireBytesPerReading: 0 };
    for (const round of [1, 2]) {
      rawRw = Math.max(rawRw, await rawRemoteWrite(vm.url, store, `raw-rw${round}`));
      const rw = await gatewayDrain(store, prometheusTarget(`${vm.url}/api/v1/write`, { id: `bench-rw${round}`, ...common }), `gw-rw${round}`);
      if (rw.perSecond > gwRw.perSecond) gwRw = rw;
      rawLp = Math.max(rawLp, await rawLineProtocol(vm.url, store, `raw-lp${round}`));
      const lp = await gatewayDrain(store, influxTarget(vm.url, { id: `bench-lp${round}`, api: 'v1', database: 'bench', gzip: true, ...common }), `gw-lp${round}`);
      if (lp.perSecond > gwLp.perSecond) gwLp = lp;
    }
    const row = (name: string, value: number, raw: number, baseline: string): BenchRow => ({
      name,
      value,
      unit: 'readings/s',
      baseline,
      ratio: value / raw,
      target: 'ratio >= 0.7',
      pass: value / raw >= 0.7,
    });
    return [
      { name: 'sync tsdb raw: protobufjs + snappyjs + fetch to VictoriaMetrics /api/v1/write, 5000/request', value: rawRw, unit: 'readings/s' },
      row('sync prometheus remote_write to VictoriaMetrics, 5000-item batches', gwRw.perSecond, rawRw, 'raw remote_write'),
      { name: 'sync prometheus remote_write bytes on the wire per reading (snappy)', value: gwRw.wireBytesPerReading, unit: 'bytes' },
      { name: 'sync tsdb raw: line protocol + gzip + fetch to VictoriaMetrics /write, 5000/request', value: rawLp, unit: 'readings/s' },
      row('sync influx line protocol (gzip) to VictoriaMetrics /write, 5000-item batches', gwLp.perSecond, rawLp, 'raw line protocol'),
      { name: 'sync influx line protocol bytes on the wire per reading (gzip)', value: gwLp.wireBytesPerReading, unit: 'bytes' },
    ];
  } finally {
    await vm.dispose();
    temp.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchSyncTsdb());
}
