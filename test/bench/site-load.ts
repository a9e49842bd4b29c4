/**
 * A whole site under the real gateway process: 200 devices × 50 points polled every second from
 * a simulator process. Measures the gateway's CPU (% of one core) and memory, with a raw
 * modbus-serial + better-sqlite3 poller doing the same reads as the CPU baseline, and a bare node
 * process with the same libraries loaded as the memory baseline. Run alone:
 * `npx tsx test/bench/site-load.ts` (after `npm run build`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type BenchRow, printTable } from './bench-row.js';
import { type BenchChild, type ChildGroup, createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, fetchHealth, packageRoot, startGatewayProcess, startSimulator, waitForDevicesUp } from './gateway-processes.js';
import { memoryOf, startCpuMeter } from './proc-stats.js';
import type { RawPollerArgs } from './raw-poller.js';
import { type GeneratedPoint, mixedPoints, writeBenchSite } from './site-generator.js';

export interface SiteLoadOptions {
  children: ChildGroup;
  cli: string;
  devices?: number;
  pointsPerDevice?: number;
  /** simulated TCP ports the devices are spread over (unit ids 1..devices/ports on each) */
  ports?: number;
  pollIntervalMs?: number;
  /** CPU sampling window, default 20000 */
  measureMs?: number;
  /** after all devices are up, before measuring: first commits, point registration */
  settleMs?: number;
  warmupTimeoutMs?: number;
}

const CPU_TARGET = 20;
const RSS_TARGET_MB = 100;
/** What the gateway commits per second by default (storage.commitIntervalMs), for the baseline. */
const COMMIT_INTERVAL_MS = 200;

/** A bare node with the libraries the gateway is built on, loaded and touched once. */
const BARE_NODE = `
import Database from 'better-sqlite3';
import ModbusRTU from 'modbus-serial';
import { Hono } from 'hono';
const db = new Database(':memory:');
db.exec('CREATE TABLE t (x)');
new ModbusRTU();
new Hono().get('/', (c) => c.text('ok'));
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

function registersOf(points: readonly GeneratedPoint[]): { registers: number; layout: [number, number][] } {
  const layout = points.map((p): [number, number] => [p.address, p.type === 'uint32' || p.type === 'int32' || p.type === 'float32' ? 2 : 1]);
  const registers = Math.max(...layout.map(([at, width]) => at + width));
  return { registers, layout };
}

async function bareNodeMemory(children: ChildGroup): Promise<number> {
  const child = children.start('bare node', process.execPath, ['--input-type=module', '-e', BARE_NODE], { cwd: packageRoot() });
  try {
    await child.waitFor((line) => (line === 'ready' ? true : undefined), 10_000);
    // let start-up garbage be collected the way it would in a long-running process
    await sleep(1000);
    return memoryOf(child.pid).rssMB;
  } finally {
    await child.stop();
  }
}

/** The next `rows <n> <ms>` line of the raw poller. */
function nextRowCount(poller: BenchChild): Promise<{ rows: number; at: number }> {
  return poller.waitFor((line) => {
    const m = /^rows (\d+) (\d+)$/.exec(line);
    return m ? { rows: Number(m[1]), at: Number(m[2]) } : undefined;
  }, 5000);
}

export async function benchSiteLoad(opts: SiteLoadOptions): Promise<BenchRow[]> {
  const devices = opts.devices ?? 200;
  const pointsPerDevice = opts.pointsPerDevice ?? 50;
  const portCount = opts.ports ?? 20;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const measureMs = opts.measureMs ?? 20_000;
  const settleMs = opts.settleMs ?? 3000;
  const totalPoints = devices * pointsPerDevice;
  const dir = mkdtempSync(join(tmpdir(), 'bench-site-'));
  const { children } = opts;
  try {
    const ports = await freePorts(portCount + 2);
    const [httpPort, controlPort] = ports.splice(0, 2) as [number, number];
    const points = mixedPoints(pointsPerDevice);
    const file = writeBenchSite(dir, {
      dataDir: join(dir, 'data'),
      httpPort,
      modbusPorts: ports,
      devices,
      points: () => points,
      pollIntervalMs,
    });
    const simulator = await startSimulator(children, opts.cli, file, controlPort);

    // The product, as deployed: its own process, its config file, its defaults (synchronous FULL).
    const started = performance.now();
    const gateway = startGatewayProcess(children, opts.cli, file);
    await waitForDevicesUp(gateway, httpPort, devices, opts.warmupTimeoutMs ?? 60_000);
    const startupS = (performance.now() - started) / 1000;
    await sleep(settleMs);

    const before = await fetchHealth(httpPort);
    const gatewayCpu = startCpuMeter(gateway.pid);
    const simulatorCpu = startCpuMeter(simulator.pid);
    await sleep(measureMs);
    const cpu = gatewayCpu.percentOfCore();
    const simCpu = simulatorCpu.percentOfCore();
    const seconds = gatewayCpu.elapsedMs() / 1000;
    const after = await fetchHealth(httpPort);
    const memory = memoryOf(gateway.pid);
    const readingsPerS = (after.store.lastReadingSeq - before.store.lastReadingSeq) / seconds;
    if (after.devices.up !== devices) throw new Error(`only ${after.devices.up} of ${devices} devices stayed up: ${JSON.stringify(after.devices)}`);
    await gateway.stop();
    if (gateway.process.exitCode !== 0) throw new Error(`the gateway did not stop cleanly (${gateway.process.exitCode ?? gateway.process.signalCode}):\n${gateway.output()}`);

    // The baseline does the same reads against the same simulator, after the gateway has gone.
    const { registers, layout } = registersOf(points);
    const args: RawPollerArgs = {
      ports,
      unitsPerPort: Math.ceil(devices / portCount),
      registers,
      layout,
      pollIntervalMs,
      commitIntervalMs: COMMIT_INTERVAL_MS,
      synchronous: 'full',
      dbFile: join(dir, 'raw.db'),
    };
    const poller = children.start('raw poller', process.execPath, ['--import', 'tsx', join(packageRoot(), 'test', 'bench', 'raw-poller.ts'), JSON.stringify(args)], {
      cwd: packageRoot(),
    });
    await poller.waitFor((line) => (line === 'ready' ? true : undefined), 30_000);
    await sleep(settleMs);
    const rows0 = await nextRowCount(poller);
    const rawMeter = startCpuMeter(poller.pid);
    await sleep(measureMs);
    const rawCpu = rawMeter.percentOfCore();
    const rows1 = await nextRowCount(poller);
    const rawRowsPerS = ((rows1.rows - rows0.rows) / (rows1.at - rows0.at)) * 1000;
    await poller.stop();
    await simulator.stop();

    const bareRss = await bareNodeMemory(children);
    const expected = totalPoints / (pollIntervalMs / 1000);
    const label = `${devices} devices x ${pointsPerDevice} points @ ${pollIntervalMs} ms`;
    const rawLabel = 'raw modbus-serial + better-sqlite3 poller';
    return [
      { name: `gateway start-up to all ${devices} devices up`, value: startupS, unit: 's' },
      {
        name: `gateway committed readings, ${label}`,
        value: readingsPerS,
        unit: 'readings/s',
        baseline: `${expected.toLocaleString('en-US')}/s configured`,
        ratio: readingsPerS / expected,
        target: 'ratio >= 0.95',
        pass: readingsPerS / expected >= 0.95,
      },
      { name: `${rawLabel}, same reads`, value: rawRowsPerS, unit: 'rows/s' },
      { name: `${rawLabel}, CPU`, value: rawCpu, unit: '% of a core' },
      {
        name: `gateway CPU, ${label}`,
        value: cpu,
        unit: '% of a core',
        baseline: rawLabel,
        ratio: cpu / rawCpu,
        target: `< ${CPU_TARGET} %`,
        pass: cpu < CPU_TARGET,
      },
      { name: 'simulator CPU (context)', value: simCpu, unit: '% of a core' },
      { name: 'bare node + better-sqlite3, modbus-serial, hono RSS', value: bareRss, unit: 'MB' },
      {
        name: `gateway RSS (VmRSS), ${totalPoints.toLocaleString('en-US')} points`,
        value: memory.rssMB,
        unit: 'MB',
        baseline: 'bare node + libraries',
        ratio: memory.rssMB / bareRss,
        target: `< ${RSS_TARGET_MB} MB`,
        pass: memory.rssMB < RSS_TARGET_MB,
      },
      {
        name: 'gateway peak RSS (VmHWM)',
        value: memory.hwmMB,
        unit: 'MB',
        baseline: 'bare node + libraries',
        ratio: memory.hwmMB / bareRss,
        target: `< ${RSS_TARGET_MB} MB`,
        pass: memory.hwmMB < RSS_TARGET_MB,
      },
    ];
  } finally {
    await children.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const children = createChildGroup();
  try {
    printTable(await benchSiteLoad({ children, cli: builtCli() }));
  } finally {
    await children.dispose();
  }
}
