/**
 * Modbus polling throughput: the real driver (alone, then feeding the real store) against a raw
 * modbus-serial loop, all reading the same simulated device in a separate process. Run alone:
 * `npx tsx test/bench/modbus-polling.ts` (after `npm run build`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ModbusRTU from 'modbus-serial';
import { loadSiteConfig } from '../../config/index.js';
import type { ModbusDeviceConfig, StorageSection } from '../../config/types.js';
import { createModbusDriver, createModbusLinkPool } from '../../drivers/modbus/index.js';
import { silentLogger } from '../../gateway/logger.js';
import { createStore, type Store } from '../../gateway/store/index.js';
import { type BenchRow, printTable } from './bench-row.js';
import { createChildGroup, type ChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, startSimulator } from './gateway-processes.js';
import { registerPoints, writeBenchSite } from './site-generator.js';

export interface PollingBenchOptions {
  children: ChildGroup;
  cli: string;
  /** measured time of each loop (default 5000) */
  durationMs?: number;
  /** not counted: JIT and connection warm-up (default 500) */
  warmupMs?: number;
  /** points (= registers) per read, at most 125 (default 125) */
  points?: number;
}

const TARGET = 0.8;

interface LoopResult {
  pointsPerSecond: number;
  /** samples that were not good quality (should be 0) */
  bad: number;
}

interface Window {
  /** called after the warm-up, just before timing starts */
  begin?(): void;
  /** called when time is up, inside the timed window; returns what to count instead of step's sum */
  end?(): number;
}

/** Runs `step` back to back for warmupMs, then for durationMs; returns what it counted per second. */
async function timedLoop(step: () => Promise<number>, warmupMs: number, durationMs: number, window: Window = {}): Promise<number> {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) await step();
  window.begin?.();
  let points = 0;
  const t0 = performance.now();
  const stop = t0 + durationMs;
  while (performance.now() < stop) points += await step();
  const counted = window.end ? window.end() : points;
  return counted / ((performance.now() - t0) / 1000);
}

async function rawLoop(port: number, count: number, warmupMs: number, durationMs: number): Promise<LoopResult> {
  // A CommonJS module whose typings declare an ES default export: the class is at .default.
  const client = new ModbusRTU.default();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(1000);
  try {
    const pointsPerSecond = await timedLoop(
      async () => (await client.readHoldingRegisters(0, count)).data.length,
      warmupMs,
      durationMs,
    );
    return { pointsPerSecond, bad: 0 };
  } finally {
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}

async function driverLoop(device: ModbusDeviceConfig, warmupMs: number, durationMs: number, store?: Store): Promise<LoopResult> {
  const links = createModbusLinkPool({ logger: silentLogger });
  const driver = createModbusDriver(device, { links, logger: silentLogger });
  const signal = new AbortController().signal;
  let bad = 0;
  try {
    await driver.connect(signal);
    let seq0 = 0;
    const pointsPerSecond = await timedLoop(
      async () => {
        const samples = await driver.read(signal);
        for (const s of samples) if (s.quality !== 'good') bad++;
        store?.append(samples);
        return samples.length;
      },
      warmupMs,
      durationMs,
      store && {
        begin() {
          store.flush();
          seq0 = store.stats().lastReadingSeq;
        },
        // Only committed readings count, and the final flush is charged to the run.
        end() {
          store.flush();
          return store.stats().lastReadingSeq - seq0;
        },
      },
    );
    return { pointsPerSecond, bad };
  } finally {
    await driver.close();
    await links.close();
  }
}

/**
 * The store as the gateway opens it (commit interval, batch size), but synchronous NORMAL so the
 * row measures the store's code, not the disk's fsync rate (the store-ingest rows compare FULL).
 */
function openStore(file: string, storage: StorageSection): Store {
  return createStore({
    file,
    synchronous: 'normal',
    commitIntervalMs: storage.commitIntervalMs,
    maxBatch: storage.maxBatch,
    retention: storage.retention,
    logger: silentLogger,
  });
}

export async function benchModbusPolling(opts: PollingBenchOptions): Promise<BenchRow[]> {
  const durationMs = opts.durationMs ?? 5000;
  const warmupMs = opts.warmupMs ?? 500;
  const count = opts.points ?? 125;
  const dir = mkdtempSync(join(tmpdir(), 'bench-polling-'));
  try {
    const [modbusPort, controlPort] = await freePorts(2);
    const file = writeBenchSite(dir, {
      dataDir: join(dir, 'data'),
      httpPort: 0,
      modbusPorts: [modbusPort!],
      devices: 1,
      points: () => registerPoints(count),
      pollIntervalMs: 1000,
    });
    const simulator = await startSimulator(opts.children, opts.cli, file, controlPort!);
    try {
      const config = loadSiteConfig(file);
      const device = config.devices[0]!;
      const raw = await rawLoop(modbusPort!, count, warmupMs, durationMs);
      const driverOnly = await driverLoop(device, warmupMs, durationMs);
      const store = openStore(join(dir, 'polling.db'), config.storage);
      const withStore = await driverLoop(device, warmupMs, durationMs, store).finally(() => store.close());
      const bad = driverOnly.bad + withStore.bad;
      if (bad > 0) throw new Error(`the driver returned ${bad} samples that were not good`);
      const baseline = `raw modbus-serial, ${count} regs/read`;
      const row = (name: string, r: LoopResult, target?: number): BenchRow => ({
        name,
        value: r.pointsPerSecond,
        unit: 'points/s',
        baseline,
        ratio: r.pointsPerSecond / raw.pointsPerSecond,
        ...(target === undefined ? {} : { target: `ratio >= ${target}`, pass: r.pointsPerSecond / raw.pointsPerSecond >= target }),
      });
      return [
        { name: `raw modbus-serial readHoldingRegisters(0, ${count}) loop`, value: raw.pointsPerSecond, unit: 'registers/s' },
        row('modbus driver read() loop, no store', driverOnly),
        row('modbus driver read() -> store (NORMAL, committed)', withStore, TARGET),
      ];
    } finally {
      await simulator.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const children = createChildGroup();
  try {
    printTable(await benchModbusPolling({ children, cli: builtCli() }));
  } finally {
    await children.dispose();
  }
}
