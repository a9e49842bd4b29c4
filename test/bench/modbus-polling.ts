/**
 * Modbus polling throughput: the real driver (alone, then feeding the real store) against a raw
 * modbus-serial loop, all reading the same simulated device in a separate process. Run alone:
 * `npx tsx test/bench/modbus-polling.ts` (after `npm run build`).
 *
 * The driver and the store are the built JS in dist/, as the gateway runs them: through tsx, their
 * TypeScript gets esbuild's keepNames transform, a __name() call on every closure made, which cost
 * the driver about a tenth of its reads here and is not in the shipped code.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ModbusRTU from 'modbus-serial';
import { loadSiteConfig } from '../../config/index.js';
import type { StorageSection } from '../../config/types.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { silentLogger } from '../../core/logger.js';
import type { Store } from '../../gateway/store/index.js';
import { type BenchRow, printTable } from './bench-row.js';
import { createChildGroup, type ChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, packageRoot, startSimulator } from './gateway-processes.js';
import { openRawReadingsDb, type RawReadingsDb } from './raw-readings-db.js';
import { registerPoints, writeBenchSite } from './site-generator.js';
import { createTempDir } from './temp-dir.js';

export interface PollingBenchOptions {
  children: ChildGroup;
  cli: string;
  /** each variant runs this many slices, interleaved; the best slice counts (default 8) */
  rounds?: number;
  /** measured time of one slice of the read-only variants (default 400) */
  sliceMs?: number;
  /**
   * one slice of the variants that write SQLite (default 1000): several of the store's commit
   * intervals, so the flush that ends a slice weighs as little as in a steady run
   */
  dbSliceMs?: number;
  /** not counted: JIT and connection warm-up, once per variant (default 1000) */
  warmupMs?: number;
  /** points (= registers) per read, at most 125 (default 125) */
  points?: number;
}

/** issue 19: the driver at the raw library's speed, alone and feeding the store */
const TARGET = 0.9;

type ModbusModule = typeof import('../../drivers/modbus/index.js');
type StoreModule = typeof import('../../gateway/store/index.js');

/** The built driver and store (see the file comment); `npm run build` makes them. */
async function builtModules(): Promise<{ modbus: ModbusModule; store: StoreModule }> {
  const load = (path: string) => import(pathToFileURL(join(packageRoot(), 'dist', path)).href);
  return {
    modbus: (await load('drivers/modbus/index.js')) as ModbusModule,
    store: (await load('gateway/store/index.js')) as StoreModule,
  };
}

interface Window {
  /** called just before timing starts */
  begin?(): void;
  /** called when time is up, inside the timed window; returns what to count instead of step's sum */
  end?(): number;
}

/** One way of reading the device, on a connection it keeps for the whole bench. */
interface Variant {
  step(): Promise<number>;
  window?: Window;
  close(): Promise<void>;
}

/** Runs `step` back to back for durationMs; returns what it counted per second. */
async function timedLoop(variant: Variant, durationMs: number): Promise<number> {
  const { step, window = {} } = variant;
  window.begin?.();
  let points = 0;
  const t0 = performance.now();
  const stop = t0 + durationMs;
  while (performance.now() < stop) points += await step();
  const counted = window.end ? window.end() : points;
  return counted / ((performance.now() - t0) / 1000);
}

/** modbus-serial alone; with `db`, every register also becomes a row, committed maxBatch at a time. */
async function openRawVariant(port: number, count: number, db?: { raw: RawReadingsDb; maxBatch: number }): Promise<Variant> {
  // A CommonJS module whose typings declare an ES default export: the class is at .default.
  const client = new ModbusRTU.default();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(1);
  client.setTimeout(1000);
  let c0 = 0;
  return {
    async step() {
      const { data } = await client.readHoldingRegisters(0, count);
      if (db) {
        const ts = Date.now();
        for (let i = 0; i < data.length; i++) db.raw.add(ts, i, data[i]!);
        if (db.raw.pending >= db.maxBatch) db.raw.commit();
      }
      return data.length;
    },
    ...(db && {
      window: {
        begin() {
          db.raw.commit();
          c0 = db.raw.committed;
        },
        end() {
          db.raw.commit();
          return db.raw.committed - c0;
        },
      },
    }),
    close: () => new Promise<void>((resolve) => client.close(() => resolve())),
  };
}

/** The driver's read() loop; `counter.bad` counts samples that were not good (should stay 0). */
async function openDriverVariant(
  modbus: ModbusModule,
  device: ModbusDeviceConfig,
  counter: { bad: number },
  store?: Store,
): Promise<Variant> {
  const links = modbus.createModbusLinkPool({ logger: silentLogger });
  const driver = modbus.createModbusDriver(device, { links, logger: silentLogger });
  const signal = new AbortController().signal;
  await driver.connect(signal);
  let seq0 = 0;
  return {
    async step() {
      const samples = await driver.read(signal);
      for (const s of samples) if (s.quality !== 'good') counter.bad++;
      store?.append(samples);
      return samples.length;
    },
    ...(store && {
      window: {
        begin() {
          store.flush();
          seq0 = store.stats().lastReadingSeq;
        },
        // Only committed readings count, and the final flush is charged to the slice.
        end() {
          store.flush();
          return store.stats().lastReadingSeq - seq0;
        },
      },
    }),
    async close() {
      await driver.close();
      await links.close();
    },
  };
}

/**
 * The store as the gateway opens it (commit interval, batch size), but synchronous NORMAL so the
 * row measures the store's code, not the disk's fsync rate (the store-ingest rows compare FULL).
 */
function openStore(built: StoreModule, file: string, storage: StorageSection): Store {
  return built.createStore({
    file,
    synchronous: 'normal',
    commitIntervalMs: storage.commitIntervalMs,
    maxBatch: storage.maxBatch,
    retention: storage.retention,
    logger: silentLogger,
  });
}

export async function benchModbusPolling(opts: PollingBenchOptions): Promise<BenchRow[]> {
  const rounds = opts.rounds ?? 8;
  const slice = opts.sliceMs ?? 400;
  const dbSlice = opts.dbSliceMs ?? 1000;
  const warmupMs = opts.warmupMs ?? 1000;
  const count = opts.points ?? 125;
  const built = await builtModules();
  const temp = createTempDir('bench-polling-');
  const dir = temp.path;
  try {
    const [modbusPort, controlPort] = await freePorts(2);
    const file = writeBenchSite(dir, {
      dataDir: join(dir, 'data'),
      httpPort: 0,
      modbusPorts: [modbusPort!],
      devices: 1,
      points: registerPoints(count),
      pollIntervalMs: 1000,
    });
    const simulator = await startSimulator(opts.children, opts.cli, file, controlPort!);
    try {
      const config = loadSiteConfig(file);
      const device = config.devices[0] as ModbusDeviceConfig;
      const rawDb = openRawReadingsDb(join(dir, 'raw.db'), 'normal');
      const store = openStore(built.store, join(dir, 'polling.db'), config.storage);
      const counter = { bad: 0 };
      const opened: Variant[] = [];
      const open = async (variant: Promise<Variant>) => {
        const v = await variant;
        opened.push(v);
        return v;
      };
      /** the best slice of each variant, points (or registers) per second */
      const best = { raw: 0, driverOnly: 0, rawWithDb: 0, withStore: 0 };
      try {
        const variants = {
          raw: await open(openRawVariant(modbusPort!, count)),
          driverOnly: await open(openDriverVariant(built.modbus, device, counter)),
          rawWithDb: await open(openRawVariant(modbusPort!, count, { raw: rawDb, maxBatch: config.storage.maxBatch })),
          withStore: await open(openDriverVariant(built.modbus, device, counter, store)),
        };
        const keys = Object.keys(variants) as (keyof typeof variants)[];
        // JIT and connections warm, not counted.
        for (const key of keys) await timedLoop(variants[key], warmupMs);
        // Many short interleaved slices, best of each: a burst of other work on a shared 2-core
        // machine then hits one slice of one variant, not a whole variant, and every variant
        // gets its quiet slices. Connections stay open, so a slice measures reads only.
        for (let round = 0; round < rounds; round++) {
          for (const key of keys) {
            const ms = key === 'rawWithDb' || key === 'withStore' ? dbSlice : slice;
            best[key] = Math.max(best[key], await timedLoop(variants[key], ms));
          }
        }
      } finally {
        for (const v of opened) await v.close();
        rawDb.close();
        store.close();
      }
      const { raw, driverOnly, rawWithDb, withStore } = best;
      if (counter.bad > 0) throw new Error(`the driver returned ${counter.bad} samples that were not good`);
      const versus = (name: string, value: number, base: number, baseline: string, target?: number): BenchRow => ({
        name,
        value,
        unit: 'points/s',
        baseline,
        ratio: value / base,
        ...(target === undefined ? {} : { target: `ratio >= ${target}`, pass: value / base >= target }),
      });
      const rawName = `raw modbus-serial readHoldingRegisters(0, ${count})`;
      return [
        { name: `${rawName} loop`, value: raw, unit: 'registers/s' },
        versus('modbus driver read() loop, no store', driverOnly, raw, 'raw modbus-serial', TARGET),
        // What raw SQLite alone costs on top of the reads: the ceiling for any store row.
        versus(`${rawName} + raw better-sqlite3 rows (NORMAL)`, rawWithDb, raw, 'raw modbus-serial'),
        versus('modbus driver read() -> store (NORMAL, committed)', withStore, rawWithDb, 'raw modbus-serial + sqlite', TARGET),
      ];
    } finally {
      await simulator.stop();
    }
  } finally {
    temp.remove();
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
