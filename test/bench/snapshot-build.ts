/**
 * Event snapshot build: 50 points × 15 minutes of 1 s samples (45,050 rows, both ends of the window
 * included) from a real store file that also holds 200 other points over the same time, copied
 * into snapshots.db when an alarm raise commits (target < 200 ms). Baseline: a raw better-sqlite3
 * SELECT of the same rows from the same file in the same run. Also: reading the snapshot back as
 * the API serves it.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { createSnapshotService } from '../../gateway/snapshots/snapshot-service.js';
import { createStore } from '../../gateway/store/index.js';
import { testStoreOptions } from '../helpers/temp-store.js';
import { type BenchRow, printTable } from './bench-row.js';
import { createTempDir } from './temp-dir.js';

const POINTS = 50;
const OTHER_POINTS = 200;
const BEFORE_MIN = 10;
const AFTER_MIN = 5;
const RUNS = 5;
const TARGET_MS = 200;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchSnapshotBuild(): Promise<BenchRow[]> {
  const temp = createTempDir('gw-bench-snapshot-');
  try {
    const file = join(temp.path, 'gateway.db');
    const raisedAt = Date.now() - 6 * 60_000;
    const from = raisedAt - BEFORE_MIN * 60_000;
    const to = raisedAt + AFTER_MIN * 60_000;
    const related = Array.from({ length: POINTS }, (_, i) => `ups1.p${i}`);
    const others = Array.from({ length: OTHER_POINTS }, (_, i) => `other${Math.floor(i / 50)}.p${i % 50}`);
    // A store as the gateway leaves it: two minutes more on each side of the window, all points.
    const writer = createStore(testStoreOptions(file, { maxBatch: 50_000 }));
    for (let ts = from - 120_000; ts <= to + 120_000; ts += 1000) {
      const samples: Sample[] = [];
      for (const p of related) samples.push({ pointId: p, ts, value: Math.sin(ts / 60_000) * 10 + 20, quality: 'good' });
      for (const p of others) samples.push({ pointId: p, ts, value: ts % 997, quality: 'good' });
      writer.append(samples);
      if (ts % 60_000 < 1000) writer.flush();
    }
    writer.close();

    // Baseline: the same rows, raw.
    const raw = new Database(file, { readonly: true });
    const ids = related.map((p) => (raw.prepare('SELECT id FROM points WHERE name = ?').pluck().get(p) as number));
    const select = raw.prepare(`SELECT seq, ts, point, value FROM readings WHERE ts >= ? AND ts <= ? AND point IN (${ids.join(',')}) ORDER BY ts`).raw();
    const rawMs: number[] = [];
    let rawRows = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      rawRows = select.all(from, to).length;
      rawMs.push(performance.now() - t0);
    }
    raw.close();

    const store = createStore(testStoreOptions(file));
    const snapshots = createSnapshotService({
      file: join(temp.path, 'snapshots.db'),
      settings: { enabled: true, severities: ['critical'], beforeMin: BEFORE_MIN, afterMin: AFTER_MIN, keepDays: 30, maxMB: 500 },
      store,
      devicePoints: (id) => (id === 'ups1' ? related : []),
      pointInfo: (p) => ({ name: p, unit: 'V' }),
      logger: silentLogger,
      tickMs: 0,
    });
    snapshots.start();
    const buildMs: number[] = [];
    /** CPU time of the build (user + system): what it costs when the machine is busy with others */
    const buildCpuMs: number[] = [];
    const readMs: number[] = [];
    let rows = 0;
    for (let i = 0; i < RUNS; i++) {
      const id = `ups1.alarm-${i}`;
      store.appendEvent('alarm.raised', { id, alarmId: id, point: 'ups1.p0', device: 'ups1', severity: 'critical', raisedAt }, raisedAt);
      // the commit publishes the raise; the snapshot is built inside that listener
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      store.flush();
      buildMs.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      buildCpuMs.push((cpu.user + cpu.system) / 1000);
      const t1 = performance.now();
      const snap = snapshots.latest('alarm', id)!;
      readMs.push(performance.now() - t1);
      rows = snap.series.reduce((n, s) => n + s.ts.length, 0);
    }
    snapshots.stop();
    store.close();
    if (rows !== rawRows) throw new Error(`snapshot has ${rows} rows, the raw SELECT ${rawRows}`);
    const build = median(buildMs);
    const rawMedian = median(rawMs);
    return [
      {
        name: `snapshot build, ${POINTS} points x 15 min (${rows.toLocaleString('en-US')} rows, ${OTHER_POINTS} other points in the file)`,
        value: build,
        unit: 'ms',
        baseline: `raw SELECT of the same rows ${rawMedian.toFixed(1)} ms`,
        ratio: build / rawMedian,
        target: `< ${TARGET_MS} ms`,
        pass: build < TARGET_MS,
      },
      { name: 'snapshot build, CPU time (user + system) of the same builds', value: median(buildCpuMs), unit: 'ms' },
      { name: 'snapshot read back (the API\'s JSON before serialising)', value: median(readMs), unit: 'ms' },
    ];
  } finally {
    temp.remove();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchSnapshotBuild().then(printTable, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
