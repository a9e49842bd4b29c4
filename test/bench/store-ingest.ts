/**
 * Store ingest throughput against raw better-sqlite3 on the same schema and pragmas, measured in
 * the same run so the ratio holds whatever the machine. Run alone: `npx tsx test/bench/store-ingest.ts`.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { silentLogger } from '../../core/logger.js';
import { createStore, type StoreOptions } from '../../gateway/store/index.js';
import { openDatabase } from '../../gateway/store/schema.js';
import type { Sample } from '../../core/types.js';
import { createTempStores, testStoreOptions } from '../helpers/temp-store.js';
import { type BenchRow, printTable } from './bench-row.js';

const TOTAL = 1_000_000;
const POINTS = 10_000;
/** what one device read hands the store */
const APPEND_SIZE = 100;
const RAW_TXN_ROWS = 1000;
const T0 = 1_700_000_000_000;

const sampleValue = (i: number) => (i % 1000) / 10 + 0.05;

function rawIngest(dir: string, name: string, withIndex: boolean): number {
  const file = join(dir, `${name}.db`);
  const db = openDatabase(file, { synchronous: 'normal', busyTimeoutMs: 1000, cacheKiB: 8192, logger: silentLogger });
  if (!withIndex) db.exec('DROP INDEX readings_ts_point');
  const insertPoint = db.prepare('INSERT INTO points (id, name) VALUES (?, ?)');
  db.transaction(() => {
    for (let p = 1; p <= POINTS; p++) insertPoint.run(p, `dev${Math.floor(p / 100)}.p${p}`);
  })();
  const insert = db.prepare('INSERT INTO readings (seq, ts, point, value, quality, reason) VALUES (?, ?, ?, ?, ?, ?)');
  const txn = db.transaction((start: number) => {
    for (let i = start; i < start + RAW_TXN_ROWS; i++) {
      insert.run(i + 1, T0 + Math.floor(i / POINTS) * 1000, (i % POINTS) + 1, sampleValue(i), 0, null);
    }
  });
  const started = performance.now();
  for (let i = 0; i < TOTAL; i += RAW_TXN_ROWS) txn(i);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  return TOTAL / seconds;
}

function makeSamples(): Sample[] {
  const ids = Array.from({ length: POINTS }, (_, p) => `dev${Math.floor(p / 100)}.p${p}`);
  const out = new Array<Sample>(TOTAL);
  for (let i = 0; i < TOTAL; i++) {
    out[i] = { pointId: ids[i % POINTS]!, ts: T0 + Math.floor(i / POINTS) * 1000, value: sampleValue(i), quality: 'good' };
  }
  return out;
}

interface StoreRun {
  readingsPerSecond: number;
  bytesPerReading: number;
}

async function storeIngest(
  dir: string,
  name: string,
  samples: readonly Sample[],
  extra: Partial<StoreOptions> & { listener?: boolean },
): Promise<StoreRun> {
  const file = join(dir, `${name}.db`);
  const store = createStore(testStoreOptions(file, { commitIntervalMs: 1000, ...extra }));
  let delivered = 0;
  if (extra.listener) store.onCommit((b) => (delivered += b.readings.length));
  const started = performance.now();
  for (let i = 0; i < TOTAL; i += APPEND_SIZE) {
    store.append(samples.slice(i, i + APPEND_SIZE));
    // One poll cycle of every point, then the event loop turns, as it does under the sampler.
    if ((i + APPEND_SIZE) % POINTS === 0) await nextTurn();
  }
  store.flush();
  const seconds = (performance.now() - started) / 1000;
  if (store.stats().lastReadingSeq !== TOTAL) throw new Error(`${name}: committed ${store.stats().lastReadingSeq}`);
  if (extra.listener && delivered !== TOTAL) throw new Error(`${name}: listener saw ${delivered}`);
  store.close();
  return { readingsPerSecond: TOTAL / seconds, bytesPerReading: statSync(file).size / TOTAL };
}

export async function benchStoreIngest(): Promise<BenchRow[]> {
  const temp = createTempStores('store-bench-');
  const dir = temp.dir();
  try {
    const rawPlain = rawIngest(dir, 'raw-plain', false);
    const rawIndexed = rawIngest(dir, 'raw-indexed', true);
    const samples = makeSamples();
    const normal = await storeIngest(dir, 'store-normal', samples, {});
    const full = await storeIngest(dir, 'store-full', samples, { synchronous: 'full' });
    const syncBatch = await storeIngest(dir, 'store-sync-batch', samples, { batchCommit: 'sync' });
    const withListener = await storeIngest(dir, 'store-listener', samples, { listener: true });
    const noIndex = 'raw, no index';
    const vsRaw = (v: number, target?: number): BenchRow => ({
      name: '',
      value: v,
      unit: 'readings/s',
      baseline: noIndex,
      ratio: v / rawPlain,
      ...(target === undefined ? {} : { target: `ratio >= ${target}`, pass: v / rawPlain >= target }),
    });
    return [
      { name: 'raw better-sqlite3, 1000 rows/txn, no index', value: rawPlain, unit: 'rows/s' },
      { ...vsRaw(rawIndexed), name: 'raw better-sqlite3, 1000 rows/txn, (ts, point) index', unit: 'rows/s' },
      { ...vsRaw(normal.readingsPerSecond, 0.5), name: 'store, synchronous NORMAL' },
      { ...vsRaw(full.readingsPerSecond), name: 'store, synchronous FULL' },
      { ...vsRaw(syncBatch.readingsPerSecond), name: 'store, NORMAL, commit inside append at maxBatch' },
      { ...vsRaw(withListener.readingsPerSecond), name: 'store, NORMAL, one onCommit listener' },
      { name: 'store file size per reading', value: normal.bytesPerReading, unit: 'bytes' },
    ];
  } finally {
    temp.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchStoreIngest());
}
