/**
 * Bytes written to disk per hour with report-by-exception storage (issue 19, SD-card wear): a
 * 10 k-point site of the demo's simulated equipment (ups-generic, pdu-generic and crac-generic,
 * whose profiles bring `store:` policies; their simulator models give realistic signals: random
 * walks, counters, status bits), polled every second, ingested by three processes side by side:
 * the store with the policies, the store storing every reading, and raw better-sqlite3 inserts of
 * every reading. Each process reports its own /proc/self/io `write_bytes` over the measured
 * window (the closing WAL checkpoint included); per hour is that × 3600 / window. Run alone:
 * `npx tsx test/bench/rbe-disk-writes.ts` (Linux).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { gatewayNodeFlags } from '../helpers/node-flags.js';
import { FOLD_SPAN_MINUTES } from '../../gateway/store/rollups.js';
import { type BenchRow, printTable } from './bench-row.js';
import { createChildGroup } from './child-group.js';
import { packageRoot } from './gateway-processes.js';
import type { IngestArgs, IngestMode, IngestReport } from './rbe-ingest-child.js';
import { createTempDir } from './temp-dir.js';

/** The demo's simulated equipment, in turn (points per device: 21, 22, 16). */
const PROFILES = ['ups-generic', 'pdu-generic', 'crac-generic'] as const;
const POINTS_PER_CYCLE = 21 + 22 + 16;

export interface RbeBenchOptions {
  /** at least this many points (default 10 000) */
  points?: number;
  pollMs?: number;
  /** seconds before the window (first readings, point ids, file creation), default 20 */
  warmupS?: number;
  /**
   * the measured window, default 300 s: the store stages its per-minute rollups once a minute,
   * and its close at the end of the window writes what it holds
   */
  measureS?: number;
  /** minutes of rollup history in the stores' files before they start (default 360) */
  rollupHistoryMin?: number;
  /** bytes-per-hour target of storing every reading ÷ with the policies, default 5 */
  targetRatio?: number;
}

/** A site file of `devices` Modbus devices cycling through the demo profiles. */
export function rbeSite(devices: number, pollMs: number): Record<string, unknown> {
  return {
    gateway: { id: 'rbe-bench', dataDir: './data', logLevel: 'warn' },
    // the gateway's defaults (commit every 200 ms, synchronous full, retention on), with the
    // profiles' `store:` policies taken (the ingest child without them for the other two rows)
    storage: { byException: true },
    devices: Array.from({ length: devices }, (_, i) => ({
      id: `dev${String(i + 1).padStart(3, '0')}`,
      driver: 'modbus',
      // never connected: the child reads the simulator's register banks directly
      connection: { host: '127.0.0.1', port: 20_000 + Math.floor(i / 200), unitId: (i % 200) + 1 },
      pollIntervalMs: pollMs,
      profile: PROFILES[i % PROFILES.length],
    })),
  };
}

const MB = 1e6;

export async function benchRbeDiskWrites(opts: RbeBenchOptions = {}): Promise<BenchRow[]> {
  const pollMs = opts.pollMs ?? 1000;
  const devices = Math.ceil((opts.points ?? 10_000) / POINTS_PER_CYCLE) * PROFILES.length;
  const temp = createTempDir('rbe-bench-');
  const children = createChildGroup();
  try {
    const siteFile = join(temp.path, 'site.yaml');
    writeFileSync(siteFile, stringify(rbeSite(devices, pollMs)));
    const script = join(packageRoot(), 'test', 'bench', 'rbe-ingest-child.ts');
    const run = (mode: IngestMode) => {
      const dir = join(temp.path, mode);
      mkdirSync(dir);
      const args: IngestArgs = { mode, siteFile, dir, pollMs, warmupS: opts.warmupS ?? 20, measureS: opts.measureS ?? 300, rollupHistoryMin: opts.rollupHistoryMin ?? 360 };
      const child = children.start(`rbe ingest ${mode}`, process.execPath, [...gatewayNodeFlags(), '--import', 'tsx', script, JSON.stringify(args)], {
        cwd: packageRoot(),
      });
      const budgetMs = (args.warmupS + args.measureS) * 1000 + 120_000;
      return child.waitFor((line) => (line.startsWith('{') ? (JSON.parse(line) as IngestReport) : undefined), budgetMs);
    };
    // Side by side: each process counts only its own writes, and the three see the same wall time.
    const [raw, all, rbe] = await Promise.all([run('raw'), run('all'), run('rbe')]);
    return rbeRows(raw, all, rbe, opts.targetRatio ?? 5);
  } finally {
    await children.dispose();
    temp.remove();
  }
}

export function rbeRows(raw: IngestReport, all: IngestReport, rbe: IngestReport, targetRatio: number): BenchRow[] {
  const perHour = (r: IngestReport) => (r.writeBytes / r.seconds) * 3600;
  const window = `${Math.round(rbe.seconds)} s measured, x ${(3600 / rbe.seconds).toFixed(1)} per hour`;
  const site = `${rbe.points.toLocaleString('en-US')} points of ${rbe.devices} simulated UPS/PDU/CRAC @ 1 s`;
  const rawMB = perHour(raw) / MB;
  const allMB = perHour(all) / MB;
  const rbeMB = perHour(rbe) / MB;
  // The stores fold their staged minutes into rollups_1m once a span (FOLD_SPAN_MINUTES), which a
  // 300 s window does not hold: each child measured one fold after its window, added here per hour.
  const spanHours = FOLD_SPAN_MINUTES / 60;
  const allFoldMB = (all.foldBytes ?? 0) / MB / spanHours;
  const rbeFoldMB = (rbe.foldBytes ?? 0) / MB / spanHours;
  return [
    { name: `disk writes, raw better-sqlite3 inserts of every reading (${site}; ${window})`, value: rawMB, unit: 'MB/h' },
    { name: 'disk writes, store storing every reading', value: allMB, unit: 'MB/h', baseline: 'raw inserts', ratio: allMB / rawMB },
    {
      name: 'disk writes, store with report-by-exception (profiles\' store: policies); ratio = every reading / this',
      value: rbeMB,
      unit: 'MB/h',
      baseline: 'store, every reading',
      ratio: allMB / rbeMB,
      target: `ratio >= ${targetRatio}`,
      pass: allMB / rbeMB >= targetRatio,
    },
    {
      name: `one fold of the staged rollups (${spanHours} h of every point) into rollups_1m, per hour, store with report-by-exception`,
      value: rbeFoldMB,
      unit: 'MB/h',
      baseline: `${allFoldMB.toFixed(0)} MB/h (store, every reading)`,
    },
    {
      name: `disk writes with report-by-exception, the fold (1 per ${spanHours} h) added to both stores; ratio = every reading / this`,
      value: rbeMB + rbeFoldMB,
      unit: 'MB/h',
      baseline: `${(allMB + allFoldMB).toLocaleString('en-US', { maximumFractionDigits: 0 })} MB/h (store, every reading)`,
      ratio: (allMB + allFoldMB) / (rbeMB + rbeFoldMB),
      target: `ratio >= ${targetRatio}`,
      pass: (allMB + allFoldMB) / (rbeMB + rbeFoldMB) >= targetRatio,
    },
    { name: 'disk writes with report-by-exception against raw inserts; ratio = raw / this', value: rbeMB, unit: 'MB/h', baseline: 'raw inserts', ratio: rawMB / rbeMB },
    {
      name: 'readings stored with report-by-exception, share of polled samples',
      value: (rbe.rows / rbe.samples) * 100,
      unit: '%',
      baseline: `${Math.round(rbe.samples / rbe.seconds).toLocaleString('en-US')} samples/s polled`,
    },
    { name: 'bytes written per polled sample: raw / store / store with report-by-exception', value: raw.writeBytes / raw.samples, unit: 'B (raw)', baseline: `${(all.writeBytes / all.samples).toFixed(0)} / ${(rbe.writeBytes / rbe.samples).toFixed(1)} B` },
  ];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const measureS = Number(process.env.RBE_MEASURE_S ?? 300);
  const rollupHistoryMin = Number(process.env.RBE_ROLLUP_HISTORY_MIN ?? 360);
  benchRbeDiskWrites({ measureS, rollupHistoryMin }).then(
    (rows) => printTable(rows),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
