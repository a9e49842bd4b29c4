/**
 * OPC UA subscription ingest: 10 k monitored items on node-opcua's server (a child process that
 * changes every item every `periodMs`), received by (a) a raw node-opcua client subscription that
 * only counts, (b) the gateway's driver pushing samples, (c) the driver feeding the real store.
 * Rounds alternate so drift hits every variant alike; the best round of each counts. Also the
 * gateway's RSS with and without an OPC UA device (node-opcua loads only when one is configured).
 * Run alone: `npx tsx test/bench/opcua-subscription.ts`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientMonitoredItemGroup, OPCUAClient, TimestampsToReturn } from 'node-opcua';
import { createOpcuaDriver } from '../../drivers/opcua/driver.js';
import { routeLibraryLogs } from '../../drivers/opcua/library-logs.js';
import { createOpcuaPki, type OpcuaPki } from '../../drivers/opcua/pki.js';
import type { OpcuaDeviceSettings, OpcuaPoint } from '../../drivers/opcua/point.js';
import { silentLogger } from '../../core/logger.js';
import { createStore } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { type BenchRow, printTable } from './bench-row.js';
import { freePorts } from './free-ports.js';
import { createTempDir } from './temp-dir.js';

export interface OpcuaBenchOptions {
  /** monitored items (default 10 000) */
  items?: number;
  /** the server changes every item this often (default 500 ms: 20 k changes/s, what node-opcua's server sustains here) */
  periodMs?: number;
  /** per round and variant, not counted (default 2000) */
  warmupMs?: number;
  /** per round and variant, rounded to whole server periods (default 5000) */
  measureMs?: number;
  /** default 2 */
  rounds?: number;
}

const TARGET = 0.8;
const SAMPLING_MS = 50;
const PUBLISHING_MS = 100;

interface LoadServer {
  endpoint: string;
  stats(): Promise<{ changes: number; sessions: number }>;
  stop(): void;
}

async function startLoadServer(items: number, periodMs: number, pkiDir: string): Promise<LoadServer> {
  const [port] = await freePorts(1);
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const child: ChildProcess = fork(join(here, '..', `opcua-load-server.${ts ? 'ts' : 'js'}`), [String(port), String(items), String(periodMs), pkiDir], {
    execArgv: ts ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`the OPC UA load server exited (${code})`)));
  });
  return {
    endpoint: `opc.tcp://127.0.0.1:${port}`,
    stats: () =>
      new Promise((resolve) => {
        child.once('message', (m) => resolve(m as { changes: number; sessions: number }));
        child.send({ stats: true });
      }),
    stop: () => child.kill('SIGKILL'),
  };
}

interface Measured {
  valuesPerSecond: number;
  /** client CPU per 1000 values received */
  cpuMsPer1k: number;
}

/**
 * Counts for warmupMs, then measures growth over a whole number of server rounds: the window
 * starts and ends half a period after a burst of changes began, so it holds exactly
 * measureMs / periodMs bursts (no ±1 burst quantization), along with this process's CPU.
 */
async function measure(count: () => number, periodMs: number, warmupMs: number, measureMs: number): Promise<Measured> {
  await sleep(warmupMs);
  const before = count();
  const deadline = performance.now() + 5 * periodMs;
  while (count() === before && performance.now() < deadline) await sleep(2);
  await sleep(periodMs / 2);
  const c0 = count();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(Math.max(1, Math.round(measureMs / periodMs)) * periodMs);
  const received = count() - c0;
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { valuesPerSecond: received / seconds, cpuMsPer1k: received > 0 ? cpuMs / (received / 1000) : Number.NaN };
}

async function rawRun(endpoint: string, items: number, pki: OpcuaPki, periodMs: number, warmupMs: number, measureMs: number): Promise<Measured> {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 }, clientCertificateManager: pki.certificateManager, keepPendingSessionsOnDisconnect: true });
  await client.connect(endpoint);
  const session = await client.createSession();
  try {
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: PUBLISHING_MS,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 30,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    const nodes = Array.from({ length: items }, (_, i) => ({ nodeId: `ns=1;s=Load.${i}`, attributeId: 13 }));
    const group = ClientMonitoredItemGroup.create(subscription, nodes, { samplingInterval: SAMPLING_MS, queueSize: 1, discardOldest: true }, TimestampsToReturn.Both);
    let received = 0;
    group.on('changed', () => {
      received += 1;
    });
    await new Promise<void>((resolve, reject) => {
      group.once('initialized', () => resolve());
      group.once('terminated', (err?: Error) => reject(err ?? new Error('monitored items refused')));
    });
    return await measure(() => received, periodMs, warmupMs, measureMs);
  } finally {
    await session.close(true);
    await client.disconnect();
  }
}

function device(endpoint: string, items: number): OpcuaDeviceSettings & { mode: 'subscribe' } {
  const points: OpcuaPoint[] = Array.from({ length: items }, (_, i) => ({ id: `load.v${i}`, key: `v${i}`, name: `V${i}`, nodeId: `ns=1;s=Load.${i}` }));
  return {
    id: 'load',
    connection: { endpoint, securityMode: 'None', securityPolicy: 'None', timeoutMs: 30_000, sessionTimeoutMs: 60_000, trustOnFirstUse: false },
    mode: 'subscribe',
    subscription: { publishingIntervalMs: PUBLISHING_MS, samplingIntervalMs: SAMPLING_MS, queueSize: 1 },
    points,
  };
}

async function driverRun(
  endpoint: string,
  items: number,
  pki: OpcuaPki,
  periodMs: number,
  warmupMs: number,
  measureMs: number,
  dbFile?: string,
): Promise<Measured> {
  const driver = createOpcuaDriver(device(endpoint, items), { pki, logger: silentLogger });
  // synchronous NORMAL: the row measures the store's code, not the disk's fsync rate
  const store = dbFile
    ? createStore({ file: dbFile, synchronous: 'normal', commitIntervalMs: 200, maxBatch: 5000, retention: { maxAgeDays: 0, maxSizeMB: 0 }, logger: silentLogger })
    : undefined;
  let received = 0;
  try {
    await driver.connect(AbortSignal.timeout(60_000));
    driver.subscribe((samples: Sample[]) => {
      if (store) store.append(samples);
      else received += samples.length;
    });
    const count = store
      ? () => {
          store.flush();
          return store.stats().lastReadingSeq;
        }
      : () => received;
    return await measure(count, periodMs, warmupMs, measureMs);
  } finally {
    await driver.close();
    store?.close();
  }
}

export async function benchOpcuaSubscription(opts: OpcuaBenchOptions = {}): Promise<BenchRow[]> {
  const items = opts.items ?? 10_000;
  const periodMs = opts.periodMs ?? 500;
  const warmupMs = opts.warmupMs ?? 2000;
  const measureMs = opts.measureMs ?? 5000;
  const rounds = opts.rounds ?? 2;
  routeLibraryLogs(silentLogger);
  const dir = createTempDir('bench-opcua-');
  const server = await startLoadServer(items, periodMs, join(dir.path, 'server-pki'));
  const pki = createOpcuaPki(join(dir.path, 'pki'));
  try {
    const best = { raw: [] as Measured[], driver: [] as Measured[], store: [] as Measured[] };
    for (let r = 0; r < rounds; r++) {
      best.raw.push(await rawRun(server.endpoint, items, pki, periodMs, warmupMs, measureMs));
      best.driver.push(await driverRun(server.endpoint, items, pki, periodMs, warmupMs, measureMs));
      best.store.push(await driverRun(server.endpoint, items, pki, periodMs, warmupMs, measureMs, join(dir.path, `ingest-${r}.db`)));
    }
    const top = (list: Measured[]) => list.reduce((a, b) => (b.valuesPerSecond > a.valuesPerSecond ? b : a));
    const raw = top(best.raw);
    const offered = (items * 1000) / periodMs;
    const baseline = `raw node-opcua subscription, ${items} items`;
    const row = (name: string, m: Measured, target?: number): BenchRow => ({
      name,
      value: m.valuesPerSecond,
      unit: 'values/s',
      baseline,
      ratio: m.valuesPerSecond / raw.valuesPerSecond,
      ...(target === undefined ? {} : { target: `ratio >= ${target}`, pass: m.valuesPerSecond / raw.valuesPerSecond >= target }),
    });
    const driver = top(best.driver);
    const store = top(best.store);
    return [
      { name: `opcua server offers (${items} items every ${periodMs} ms)`, value: offered, unit: 'changes/s' },
      { name: `raw node-opcua subscription (${items} items, count only)`, value: raw.valuesPerSecond, unit: 'values/s' },
      row('opcua driver subscription -> samples', driver),
      row('opcua driver subscription -> store (NORMAL, committed)', store, TARGET),
      // The server is the limit on two cores; the client's CPU per value is the driver's real cost.
      { name: 'raw subscription client capacity', value: 1e6 / raw.cpuMsPer1k, unit: 'values/CPU-s' },
      {
        name: 'opcua driver client capacity (-> samples)',
        value: 1e6 / driver.cpuMsPer1k,
        unit: 'values/CPU-s',
        baseline: 'raw subscription client capacity',
        ratio: raw.cpuMsPer1k / driver.cpuMsPer1k,
      },
    ];
  } finally {
    await pki.dispose().catch(() => undefined);
    server.stop();
    dir.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchOpcuaSubscription());
}
