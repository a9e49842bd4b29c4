/**
 * Draining a 1 M-reading backlog upstream: HTTP push to a receiver in another process, and the
 * pull API paged by a client in another process, against a raw baseline measured in the same run
 * (readingsAfter + JSON.stringify + gzip, no HTTP). Run alone: `npx tsx test/bench/sync-drain.ts`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { startHttpServer } from '../../dashboard/http-server.js';
import { openAuthDb } from '../../gateway/auth/auth-db.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createPullRoutes } from '../../sync/pull-routes.js';
import { createSync } from '../../sync/create-sync.js';
import { httpTarget, syncSection, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';
import { type BenchRow, printTable } from './bench-row.js';

export const TOTAL = 1_000_000;
const POINTS = 2000;
const PAGE = 10_000;
const T0 = Date.UTC(2026, 0, 1);
const RECEIVER_CHILD = fileURLToPath(new URL('../helpers/sync-receiver-child.ts', import.meta.url));
const PULL_CHILD = fileURLToPath(new URL('../helpers/sync-pull-child.ts', import.meta.url));

/** The point ids of the backlog: 2 000 points, 40 to a device. */
export const BACKLOG_POINT_IDS = Array.from({ length: POINTS }, (_, p) => `dev${String(Math.floor(p / 40)).padStart(3, '0')}.p${p % 40}`);

/**
 * A backlog like a real site's: 1 M readings over many points, one sample per point per second
 * from `t0`, 1 in 10 a boolean. The NATS and time-series drains use the same one.
 */
export function fillBacklog(store: Store, t0 = T0): void {
  for (let i = 0; i < TOTAL; i += 10_000) {
    const batch: Sample[] = [];
    for (let j = i; j < i + 10_000; j++) {
      const p = j % POINTS;
      const ts = t0 + Math.floor(j / POINTS) * 1000;
      batch.push({ pointId: BACKLOG_POINT_IDS[p]!, ts, value: p % 10 === 0 ? j % 3 === 0 : Math.round(Math.sin(j) * 5000) / 10 + 230, quality: 'good' });
    }
    store.append(batch);
  }
  store.flush();
}

/** The floor: what reading, encoding and compressing costs without any protocol around it. */
function rawBaseline(store: Store): { perSecond: number; gzBytesPerReading: number; jsonBytesPerReading: number } {
  let after = 0;
  let gz = 0;
  let json = 0;
  const started = performance.now();
  for (;;) {
    const rows = store.readingsAfter(after, PAGE);
    if (rows.length === 0) break;
    const text = JSON.stringify(rows.map((r) => ({ seq: r.seq, ts: r.ts, point: r.pointId, value: r.value, quality: r.quality })));
    json += text.length;
    gz += gzipSync(text, { level: 1 }).length;
    after = rows.at(-1)!.seq;
  }
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: TOTAL / seconds, gzBytesPerReading: gz / TOTAL, jsonBytesPerReading: json / TOTAL };
}

function spawnChild(script: string, args: string[]): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, firstLine };
}

async function httpPush(store: Store, target: string, batchItems: number, batchBytes: number) {
  const { child, firstLine } = spawnChild(RECEIVER_CHILD, []);
  try {
    const port = Number(await firstLine);
    const sync = await createSync({
      config: syncSection([httpTarget(`http://127.0.0.1:${port}/ingest`, { id: target, batchItems, batchBytes, timeoutMs: 30_000 })]),
      gatewayId: 'bench-gw',
      version: 'bench',
      startedAt: Date.now(),
      store,
      logger: silentLogger,
    });
    const started = performance.now();
    sync.start();
    await until(() => store.syncCursor(target, 'readings') === TOTAL, 120_000, `${target} to drain the backlog`);
    const seconds = (performance.now() - started) / 1000;
    const t = sync.health().targets[0]!;
    await sync.stop();
    return { perSecond: TOTAL / seconds, wireBytesPerReading: t.sent.wireBytes / TOTAL, batches: t.sent.batches };
  } finally {
    child.kill('SIGTERM');
  }
}

async function pull(store: Store, gzip: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'sync-bench-auth-'));
  const auth = openAuthDb(join(dir, 'auth.db'));
  const tokens = createTokenStore(auth);
  const { token } = tokens.create('ems', 'ems');
  const app = new Hono().route(
    '/api/v1/sync',
    createPullRoutes({ store, gatewayId: 'bench-gw', targets: [], maxLimit: PAGE, verifyToken: tokens.verifyToken, logger: silentLogger }),
  );
  const server = await startHttpServer(app, '127.0.0.1', 0);
  try {
    const { firstLine } = spawnChild(PULL_CHILD, [`http://127.0.0.1:${server.port}/api/v1/sync`, token, String(PAGE), gzip ? '1' : '0']);
    const result = JSON.parse(await firstLine) as { items: number; seconds: number; wireBytes: number };
    if (result.items !== TOTAL) throw new Error(`pull read ${result.items} items`);
    return { perSecond: TOTAL / result.seconds, wireBytesPerReading: result.wireBytes / TOTAL };
  } finally {
    await server.close();
    auth.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSync(): Promise<BenchRow[]> {
  const temp = createTempStores('sync-bench-', { maxBatch: 20_000, batchCommit: 'sync' });
  try {
    const store = temp.open(temp.file());
    fillBacklog(store);
    const raw = rawBaseline(store);
    const httpDefault = await httpPush(store, 'ems-default', 5000, 1_000_000);
    const httpLarge = await httpPush(store, 'ems-large', 20_000, 4_000_000);
    const pullPlain = await pull(store, false);
    const pullGzip = await pull(store, true);
    const baseline = 'raw readingsAfter + JSON + gzip';
    const vs = (v: number, target?: number): Partial<BenchRow> => ({
      baseline,
      ratio: v / raw.perSecond,
      ...(target === undefined ? {} : { target: `>= ${target.toLocaleString('en-US')}/s`, pass: v >= target }),
    });
    return [
      { name: 'sync raw baseline: readingsAfter + JSON.stringify + gzip, no HTTP', value: raw.perSecond, unit: 'readings/s' },
      { name: 'sync HTTP push, gzip, default batches (5000 items / 1 MB)', value: httpDefault.perSecond, unit: 'readings/s', ...vs(httpDefault.perSecond, 200_000) },
      { name: 'sync HTTP push, gzip, 20000-item batches', value: httpLarge.perSecond, unit: 'readings/s', ...vs(httpLarge.perSecond, 200_000) },
      { name: 'sync pull API, 10000-item pages', value: pullPlain.perSecond, unit: 'readings/s', ...vs(pullPlain.perSecond, 300_000) },
      { name: 'sync pull API, 10000-item pages, gzip', value: pullGzip.perSecond, unit: 'readings/s', ...vs(pullGzip.perSecond) },
      { name: 'sync HTTP push bytes on the wire per reading (gzip)', value: httpDefault.wireBytesPerReading, unit: 'bytes', baseline: 'raw gzip', ratio: httpDefault.wireBytesPerReading / raw.gzBytesPerReading },
      { name: 'sync pull bytes on the wire per reading (gzip)', value: pullGzip.wireBytesPerReading, unit: 'bytes', baseline: 'raw gzip', ratio: pullGzip.wireBytesPerReading / raw.gzBytesPerReading },
      { name: 'sync pull bytes on the wire per reading (no gzip)', value: pullPlain.wireBytesPerReading, unit: 'bytes', baseline: 'raw JSON', ratio: pullPlain.wireBytesPerReading / raw.jsonBytesPerReading },
    ];
  } finally {
    temp.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchSync());
}
