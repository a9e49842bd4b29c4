/**
 * A Pi-sized box: the bench site (devices × 50 points polled every second) with the gateway pinned
 * to one core (`taskset -c 0`) and V8's old space capped (`--max-old-space-size=64`). It holds when
 * the gateway does not die (out of memory), misses no poll slot (the sampler's overrun count, summed
 * over the devices), commits what was polled, and the overview page answers in < 200 ms (p99,
 * asked every 2 s while it runs). First the 200-device site for `durationMs` (5 min in the full
 * bench), then larger sites step by step for `stepMs` each until one does not hold: the largest
 * that held is the headroom. Run alone: `npx tsx test/bench/pi-box.ts` (after `npm run build`).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { gatewayNodeFlags } from '../helpers/node-flags.js';
import { type BenchRow, percentile, printTable } from './bench-row.js';
import { type ChildGroup, createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, createHealthToken, fetchHealth, packageRoot, startSimulator, waitForDevicesUp } from './gateway-processes.js';
import { memoryOf } from './proc-stats.js';
import { mixedPoints, writeBenchSite } from './site-generator.js';
import { createTempDir } from './temp-dir.js';

export interface PiBoxOptions {
  children: ChildGroup;
  cli: string;
  /** the site that must hold (default 200 devices) */
  devices?: number;
  pointsPerDevice?: number;
  /** how long the first site runs (default 300 000: 5 minutes) */
  durationMs?: number;
  /** larger sites tried after it, in order, until one fails (default 300, 400, 500) */
  steps?: readonly number[];
  /** how long each step runs (default 60 000) */
  stepMs?: number;
  /** old-space cap, MB (default 64) */
  oldSpaceMB?: number;
  /** after all devices are up, before measuring: first commits, point registration, the first rollups (default 5000) */
  settleMs?: number;
}

const PAGE_P99_TARGET_MS = 200;
/** simulated devices per Modbus TCP port (unit ids on one port) */
const DEVICES_PER_PORT = 10;

interface BoxRun {
  devices: number;
  /** null when it held to the end; else why not */
  failure: string | null;
  overruns: number;
  committedRatio: number;
  pageP50: number;
  pageP99: number;
  rssMB: number;
  hwmMB: number;
  startupS: number;
}

/** Sum of every device's missed poll slots (GET /api/v1/devices, `overruns`). */
async function overrunsOf(httpPort: number, token: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/devices`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /api/v1/devices: HTTP ${res.status}`);
  const devices = (await res.json()) as Array<{ overruns: number }>;
  return devices.reduce((n, d) => n + d.overruns, 0);
}


async function runBox(opts: Required<Omit<PiBoxOptions, 'steps' | 'stepMs' | 'durationMs'>>, devices: number, runMs: number): Promise<BoxRun> {
  const { children, cli } = opts;
  const temp = createTempDir('bench-pi-');
  const result: BoxRun = { devices, failure: null, overruns: 0, committedRatio: 0, pageP50: Number.NaN, pageP99: Number.NaN, rssMB: 0, hwmMB: 0, startupS: 0 };
  try {
    const ports = await freePorts(Math.ceil(devices / DEVICES_PER_PORT) + 2);
    const [httpPort, controlPort] = ports.splice(0, 2) as [number, number];
    const file = writeBenchSite(temp.path, {
      dataDir: join(temp.path, 'data'),
      httpPort,
      modbusPorts: ports,
      devices,
      points: mixedPoints(opts.pointsPerDevice),
      pollIntervalMs: 1000,
    });
    const simulator = await startSimulator(children, cli, file, controlPort, 60_000);
    const token = createHealthToken(cli, file);
    const started = performance.now();
    // taskset execs node: the child's pid is the gateway's
    const gateway = children.start('gateway (one core, capped heap)', 'taskset', ['-c', '0', process.execPath, ...gatewayNodeFlags(), `--max-old-space-size=${opts.oldSpaceMB}`, cli, 'run', '--config', file], {
      cwd: packageRoot(),
    });
    try {
      await waitForDevicesUp(gateway, httpPort, devices, 120_000);
    } catch (err) {
      result.failure = `not all devices came up: ${(err as Error).message.split('\n')[0]}`;
      return result;
    }
    result.startupS = (performance.now() - started) / 1000;
    await sleep(opts.settleMs);
    const overruns0 = await overrunsOf(httpPort, token);
    const seq0 = (await fetchHealth(httpPort, token)).store.lastReadingSeq;
    const t0 = performance.now();
    const pageTimes: number[] = [];
    while (performance.now() - t0 < runMs) {
      if (gateway.process.exitCode !== null || gateway.process.signalCode !== null) {
        const tail = gateway.output().split('\n').filter((l) => /heap|memory/i.test(l)).slice(-2).join(' ');
        result.failure = `the gateway died after ${((performance.now() - t0) / 1000).toFixed(0)} s (${gateway.process.signalCode ?? `exit ${gateway.process.exitCode}`}${tail ? `: ${tail.slice(0, 160)}` : ''})`;
        return result;
      }
      const p0 = performance.now();
      const res = await fetch(`http://127.0.0.1:${httpPort}/`, { headers: { authorization: `Bearer ${token}` } });
      await res.text();
      pageTimes.push(performance.now() - p0);
      const mem = memoryOf(gateway.pid);
      result.rssMB = mem.rssMB;
      result.hwmMB = mem.hwmMB;
      await sleep(2000);
    }
    const seconds = (performance.now() - t0) / 1000;
    result.overruns = (await overrunsOf(httpPort, token)) - overruns0;
    const committed = (await fetchHealth(httpPort, token)).store.lastReadingSeq - seq0;
    result.committedRatio = committed / (devices * opts.pointsPerDevice * seconds);
    result.pageP50 = percentile(pageTimes, 50);
    result.pageP99 = percentile(pageTimes, 99);
    if (result.overruns > 0) result.failure = `${result.overruns} poll slots missed`;
    else if (!(result.pageP99 < PAGE_P99_TARGET_MS)) result.failure = `page p99 ${result.pageP99.toFixed(0)} ms`;
    else if (result.committedRatio < 0.95) result.failure = `committed ${(result.committedRatio * 100).toFixed(0)} % of the polled readings`;
    await gateway.stop();
    await simulator.stop();
    return result;
  } finally {
    await children.stopAll();
    temp.remove();
  }
}

export async function benchPiBox(opts: PiBoxOptions): Promise<BenchRow[]> {
  const base = {
    children: opts.children,
    cli: opts.cli,
    devices: opts.devices ?? 200,
    pointsPerDevice: opts.pointsPerDevice ?? 50,
    oldSpaceMB: opts.oldSpaceMB ?? 64,
    settleMs: opts.settleMs ?? 5000,
  };
  const box = `one core, old space ${base.oldSpaceMB} MB`;
  const first = await runBox(base, base.devices, opts.durationMs ?? 300_000);
  const label = `${base.devices} × ${base.pointsPerDevice} @ 1 s, ${box}, ${((opts.durationMs ?? 300_000) / 1000).toFixed(0)} s`;
  const rows: BenchRow[] = [
    { name: `Pi box: ${label}: held`, value: first.failure === null ? 1 : 0, unit: first.failure ?? 'yes', target: 'no OOM, no missed slot', pass: first.failure === null },
    { name: 'Pi box: start-up to all devices up', value: first.startupS, unit: 's' },
    { name: 'Pi box: missed poll slots', value: first.overruns, unit: 'slots', target: '0', pass: first.overruns === 0 },
    { name: 'Pi box: committed / polled readings', value: first.committedRatio, unit: 'ratio', target: '>= 0.95', pass: first.committedRatio >= 0.95 },
    { name: 'Pi box: overview page p50', value: first.pageP50, unit: 'ms' },
    { name: 'Pi box: overview page p99', value: first.pageP99, unit: 'ms', target: `< ${PAGE_P99_TARGET_MS} ms`, pass: first.pageP99 < PAGE_P99_TARGET_MS },
    { name: 'Pi box: RSS at the end / peak', value: first.rssMB, unit: `MB (peak ${first.hwmMB.toFixed(0)})` },
  ];
  let headroom = first.failure === null ? base.devices : 0;
  let stoppedBy = '';
  if (first.failure === null) {
    for (const devices of opts.steps ?? [300, 400, 500]) {
      const step = await runBox(base, devices, opts.stepMs ?? 60_000);
      if (step.failure !== null) {
        stoppedBy = `${devices} devices: ${step.failure}`;
        break;
      }
      headroom = devices;
    }
  }
  rows.push({
    name: `Pi box headroom: most devices (× ${base.pointsPerDevice} points) that held`,
    value: headroom,
    unit: stoppedBy ? `devices (next: ${stoppedBy})` : 'devices (every step held)',
  });
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const children = createChildGroup();
  const minutes = Number(process.env.PI_BOX_MINUTES ?? 5);
  try {
    printTable(await benchPiBox({ children, cli: builtCli(), durationMs: minutes * 60_000 }));
  } finally {
    await children.dispose();
  }
}
