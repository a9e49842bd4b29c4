/**
 * One ingest process of the report-by-exception disk-write benchmark (rbe-disk-writes.ts). It
 * loads the bench site through the real config loader, moves every device with the Modbus
 * simulator's own models (values decoded from the register bank, as the gateway reads them),
 * polls each device once per `pollMs` on a staggered grid, and writes the samples with:
 *
 * - `rbe`: the gateway's store with the site's `store:` policies,
 * - `all`: the same store storing every reading,
 * - `raw`: plain better-sqlite3 inserts of every reading (same pragmas and commit cadence).
 *
 * After `warmupS` it checkpoints the WAL (so the window starts from an empty one) and reads its
 * own /proc/self/io; after `measureS` more it closes the database (the close checkpoints the WAL
 * into the file, so what the window wrote to the WAL is also counted where it lands) and prints one
 * JSON line with the bytes written in the window.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { initialScenarios } from '../../core/scenarios.js';
import { createRng, deriveSeed } from '../../core/sim-random.js';
import type { Sample } from '../../core/types.js';
import type { ModbusDeviceConfig } from '../../drivers/modbus/device.js';
import { createDeviceRunner, type DeviceRunner } from '../../drivers/modbus/simulator/device-runner.js';
import { createModel } from '../../drivers/modbus/simulator/models/registry.js';
import { createRegisterBank } from '../../drivers/modbus/simulator/register-bank.js';
import { createStore, type Store } from '../../gateway/store/index.js';
import { FOLD_SPAN_MINUTES } from '../../gateway/store/rollups.js';
import { bindValue, qualityCode } from '../../gateway/store/value-codec.js';

export type IngestMode = 'rbe' | 'all' | 'raw';

export interface IngestArgs {
  mode: IngestMode;
  siteFile: string;
  dir: string;
  pollMs: number;
  warmupS: number;
  measureS: number;
  /**
   * minutes of per-minute rollup history put in the store's table first (store modes): the table
   * is clustered by point, so a rollup write costs about a page per point once each point's
   * minutes fill pages of their own, which a fresh file never shows
   */
  rollupHistoryMin: number;
}

export interface IngestReport {
  mode: IngestMode;
  points: number;
  devices: number;
  /** wall seconds of the measured window */
  seconds: number;
  /** /proc/self/io write_bytes over the window, the closing checkpoint included */
  writeBytes: number;
  /** samples polled in the window */
  samples: number;
  /** rows written to the readings table in the window */
  rows: number;
  /** database file size after close */
  fileBytes: number;
  /**
   * store modes: /proc/self/io write_bytes of one fold, measured after the window (a span of
   * FOLD_SPAN_MINUTES staged minutes of every point moved into rollups_1m; a 300 s window holds none)
   */
  foldBytes?: number;
}

function ioWriteBytes(): number {
  const m = /^write_bytes:\s+(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!m) throw new Error('no write_bytes in /proc/self/io');
  return Number(m[1]);
}

interface Sink {
  append(samples: Sample[]): void;
  /** rows written so far */
  rows(): number;
  close(): void;
}

function storeSink(store: Store): Sink {
  return {
    append: (samples) => store.append(samples),
    rows: () => store.stats().lastReadingSeq,
    close: () => store.close(),
  };
}

/** What someone would write without the gateway: every reading, one transaction per commit interval. */
function rawSink(file: string, synchronous: 'full' | 'normal', commitIntervalMs: number): Sink {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec(`
    CREATE TABLE points (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE readings (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, point INTEGER NOT NULL, value, quality INTEGER NOT NULL, reason TEXT);
    CREATE INDEX readings_ts_point ON readings (ts, point);
  `);
  const ids = new Map<string, number>();
  const insertPoint = db.prepare('INSERT INTO points (id, name) VALUES (?, ?)');
  const insert = db.prepare('INSERT INTO readings (seq, ts, point, value, quality, reason) VALUES (?, ?, ?, ?, ?, ?)');
  let queue: Sample[] = [];
  let seq = 0;
  const write = db.transaction((batch: Sample[]) => {
    for (const s of batch) {
      let id = ids.get(s.pointId);
      if (id === undefined) {
        id = ids.size + 1;
        ids.set(s.pointId, id);
        insertPoint.run(id, s.pointId);
      }
      insert.run(++seq, s.ts, id, bindValue(s.value), qualityCode(s.quality, s.value), s.reason ?? null);
    }
  });
  const commit = () => {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    write(batch);
  };
  const timer = setInterval(commit, commitIntervalMs);
  return {
    append(samples) {
      for (const s of samples) queue.push(s);
    },
    rows: () => seq,
    close() {
      clearInterval(timer);
      commit();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

/** `minutes` of rollups for point ids 1..points, ending a minute ago, as hours of running leave them. */
function prefillRollups(file: string, points: number, minutes: number): void {
  const db = new Database(file);
  try {
    const insert = db.prepare('INSERT OR IGNORE INTO rollups_1m (point, minute, n, vmin, vmax, vsum) VALUES (?, ?, 60, 1, 2, 90)');
    const last = Math.floor(Date.now() / 60_000) - 1;
    db.transaction(() => {
      for (let point = 1; point <= points; point++) for (let m = last - minutes + 1; m <= last; m++) insert.run(point, m);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

function checkpointWal(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

export async function runIngest(args: IngestArgs): Promise<IngestReport> {
  const config = loadSiteConfig(args.siteFile);
  const devices = config.devices as ModbusDeviceConfig[];
  const runners: DeviceRunner[] = devices.map((device) =>
    createDeviceRunner({ device, model: createModel(device, createRng(deriveSeed(1, device.id))), bank: createRegisterBank(device.points), logger: silentLogger }),
  );
  const points = devices.reduce((n, d) => n + d.points.length, 0);
  const file = join(args.dir, `${args.mode}.db`);
  const { storage } = config;
  // as app/start-gateway.ts makes it, with the site's store policies for `rbe`
  const openStore = (now?: () => number) =>
    createStore({
      file,
      synchronous: storage.synchronous,
      commitIntervalMs: storage.commitIntervalMs,
      maxBatch: storage.maxBatch,
      retention: storage.retention,
      logger: silentLogger,
      ...(args.mode === 'rbe' && { storePolicies: new Map(Object.entries(config.storePolicies ?? {})) }),
      ...(now && { now }),
    });
  const sink = args.mode === 'raw' ? rawSink(file, storage.synchronous, storage.commitIntervalMs) : storeSink(openStore());

  if (args.mode !== 'raw') prefillRollups(file, points, args.rollupHistoryMin);

  // Devices are spread over the poll period in slots of 100 ms, as a site's polls spread out.
  const scenarios = initialScenarios();
  const slots = Math.max(1, Math.round(args.pollMs / 100));
  let slot = 0;
  let samples = 0;
  const poll = () => {
    const now = Date.now();
    for (let i = slot; i < runners.length; i += slots) {
      const runner = runners[i]!;
      runner.update(now, scenarios);
      const values = runner.values();
      const out: Sample[] = [];
      for (const key in values) out.push({ pointId: `${runner.device.id}.${key}`, ts: now, value: values[key]!, quality: 'good' });
      samples += out.length;
      sink.append(out);
    }
    slot = (slot + 1) % slots;
  };
  const timer = setInterval(poll, args.pollMs / slots);

  await new Promise((r) => setTimeout(r, args.warmupS * 1000));
  checkpointWal(file);
  const w0 = ioWriteBytes();
  const rows0 = sink.rows();
  const samples0 = samples;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, args.measureS * 1000));
  clearInterval(timer);
  const samplesInWindow = samples - samples0;
  sink.close();
  const seconds = (performance.now() - t0) / 1000;
  const writeBytes = ioWriteBytes() - w0;
  const rows = (args.mode === 'raw' ? sink.rows() : lastSeq(file)) - rows0;
  const fileBytes = statSync(file).size;
  const foldBytes = args.mode === 'raw' ? undefined : measureFold(file, points, openStore);
  return { mode: args.mode, points, devices: devices.length, seconds, writeBytes, samples: samplesInWindow, rows, fileBytes, ...(foldBytes !== undefined && { foldBytes }) };
}

/**
 * One fold on the file as the window left it: a span (FOLD_SPAN_MINUTES) of staged minutes of
 * every point after everything it holds, then a store whose clock is in the span after, folding
 * and closing.
 */
function measureFold(file: string, points: number, openStore: (now: () => number) => Store): number {
  const span = (Math.floor(Date.now() / 60_000 / FOLD_SPAN_MINUTES) + 1) * FOLD_SPAN_MINUTES;
  const db = new Database(file);
  try {
    const insert = db.prepare('INSERT INTO rollups_recent (minute, point, n, vmin, vmax, vsum) VALUES (?, ?, 60, 1, 2, 90) ON CONFLICT DO NOTHING');
    db.transaction(() => {
      for (let m = span; m < span + FOLD_SPAN_MINUTES; m++) for (let point = 1; point <= points; point++) insert.run(m, point);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const w0 = ioWriteBytes();
  const store = openStore(() => (span + FOLD_SPAN_MINUTES + 1) * 60_000);
  store.rollUp();
  store.close();
  return ioWriteBytes() - w0;
}

/** The highest reading seq in a closed store file (the store's own stats are gone with it). */
function lastSeq(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return Number(db.prepare('SELECT max(seq) FROM readings').pluck().get() ?? 0);
  } finally {
    db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runIngest(JSON.parse(process.argv[2] ?? '{}') as IngestArgs).then(
    (report) => {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`rbe ingest child failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
