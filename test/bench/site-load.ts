/**
 * A whole site under the real gateway process: 200 devices × 50 points polled every second from
 * a simulator process. Measures the gateway's CPU (% of one core) and memory, with a raw
 * modbus-serial + better-sqlite3 poller doing the same reads as the CPU baseline, and a bare node
 * process with the same libraries loaded as the memory baseline. Run alone:
 * `npx tsx test/bench/site-load.ts` (after `npm run build`).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type BenchRow, printTable } from './bench-row.js';
import { type BenchChild, type ChildGroup, createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, createHealthToken, fetchHealth, packageRoot, startGatewayProcess, startSimulator, waitForDevicesUp } from './gateway-processes.js';
import { type MemoryUse, memoryOf, startCpuMeter } from './proc-stats.js';
import type { RawPollerArgs } from './raw-poller.js';
import { type GeneratedPoint, mixedPoints, writeBenchSite } from './site-generator.js';
import { createTempDir } from './temp-dir.js';

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

interface GatewayRun {
  startupS: number;
  cpu: number;
  simulatorCpu: number;
  readingsPerS: number;
  memory: MemoryUse;
}

/** Starts the gateway on the site, waits until every device is up, then measures it. */
async function measureGateway(
  children: ChildGroup,
  cli: string,
  site: { file: string; httpPort: number; devices: number; simulator: BenchChild },
  timing: { settleMs: number; measureMs: number; warmupTimeoutMs: number },
): Promise<GatewayRun> {
  // the store counters in health are for a login or a token
  const token = createHealthToken(cli, site.file);
  const started = performance.now();
  const gateway = startGatewayProcess(children, cli, site.file);
  await waitForDevicesUp(gateway, site.httpPort, site.devices, timing.warmupTimeoutMs);
  const startupS = (performance.now() - started) / 1000;
  await sleep(timing.settleMs);

  const before = await fetchHealth(site.httpPort, token);
  const t0 = performance.now();
  const gatewayCpu = startCpuMeter(gateway.pid);
  const simulatorCpu = startCpuMeter(site.simulator.pid);
  await sleep(timing.measureMs);
  const cpu = gatewayCpu.percentOfCore();
  const simulatorPercent = simulatorCpu.percentOfCore();
  const memory = memoryOf(gateway.pid);
  const after = await fetchHealth(site.httpPort, token);
  const seconds = (performance.now() - t0) / 1000;
  if (after.devices.up !== site.devices) {
    throw new Error(`only ${after.devices.up} of ${site.devices} devices stayed up: ${JSON.stringify(after.devices)}`);
  }
  await gateway.stop();
  if (gateway.process.exitCode !== 0) {
    const how = gateway.process.exitCode ?? gateway.process.signalCode;
    throw new Error(`the gateway did not stop cleanly (${how}):\n${gateway.output()}`);
  }
  const readingsPerS = (after.store.lastReadingSeq - before.store.lastReadingSeq) / seconds;
  return { startupS, cpu, simulatorCpu: simulatorPercent, readingsPerS, memory };
}

/** The raw poller doing the same reads; returns its CPU and the rows it committed per second. */
async function measureRawPoller(
  children: ChildGroup,
  args: RawPollerArgs,
  timing: { settleMs: number; measureMs: number },
): Promise<{ cpu: number; rowsPerS: number }> {
  const script = join(packageRoot(), 'test', 'bench', 'raw-poller.ts');
  const poller = children.start('raw poller', process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], {
    cwd: packageRoot(),
  });
  try {
    await poller.waitFor((line) => (line === 'ready' ? true : undefined), 30_000);
    await sleep(timing.settleMs);
    const rows0 = await nextRowCount(poller);
    const meter = startCpuMeter(poller.pid);
    await sleep(timing.measureMs);
    const cpu = meter.percentOfCore();
    const rows1 = await nextRowCount(poller);
    return { cpu, rowsPerS: ((rows1.rows - rows0.rows) / (rows1.at - rows0.at)) * 1000 };
  } finally {
    await poller.stop();
  }
}

export async function benchSiteLoad(opts: SiteLoadOptions): Promise<BenchRow[]> {
  const devices = opts.devices ?? 200;
  const pointsPerDevice = opts.pointsPerDevice ?? 50;
  const portCount = opts.ports ?? 20;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const timing = {
    measureMs: opts.measureMs ?? 20_000,
    settleMs: opts.settleMs ?? 3000,
    warmupTimeoutMs: opts.warmupTimeoutMs ?? 60_000,
  };
  const totalPoints = devices * pointsPerDevice;
  const { children, cli } = opts;
  const temp = createTempDir('bench-site-');
  try {
    const ports = await freePorts(portCount + 2);
    const [httpPort, controlPort] = ports.splice(0, 2) as [number, number];
    const points = mixedPoints(pointsPerDevice);
    const file = writeBenchSite(temp.path, { dataDir: join(temp.path, 'data'), httpPort, modbusPorts: ports, devices, points, pollIntervalMs });
    const simulator = await startSimulator(children, cli, file, controlPort);

    // The product as deployed: its own process, its config file, its defaults (synchronous FULL).
    const gw = await measureGateway(children, cli, { file, httpPort, devices, simulator }, timing);
    // The baseline does the same reads against the same simulator, once the gateway has gone.
    const raw = await measureRawPoller(
      children,
      {
        ports,
        unitsPerPort: Math.ceil(devices / portCount),
        ...registersOf(points),
        pollIntervalMs,
        commitIntervalMs: COMMIT_INTERVAL_MS,
        synchronous: 'full',
        dbFile: join(temp.path, 'raw.db'),
      },
      timing,
    );
    await simulator.stop();
    const bareRss = await bareNodeMemory(children);

    const expected = totalPoints / (pollIntervalMs / 1000);
    const label = `${devices} devices x ${pointsPerDevice} points @ ${pollIntervalMs} ms`;
    const rawLabel = 'raw modbus-serial + better-sqlite3 poller';
    const memoryRow = (name: string, mb: number): BenchRow => ({
      name,
      value: mb,
      unit: 'MB',
      baseline: 'bare node + libraries',
      ratio: mb / bareRss,
      target: `< ${RSS_TARGET_MB} MB`,
      pass: mb < RSS_TARGET_MB,
    });
    return [
      { name: `gateway start-up to all ${devices} devices up`, value: gw.startupS, unit: 's' },
      {
        name: `gateway committed readings, ${label}`,
        value: gw.readingsPerS,
        unit: 'readings/s',
        baseline: `${expected.toLocaleString('en-US')}/s configured`,
        ratio: gw.readingsPerS / expected,
        target: 'ratio >= 0.95',
        pass: gw.readingsPerS / expected >= 0.95,
      },
      { name: `${rawLabel}, same reads`, value: raw.rowsPerS, unit: 'rows/s' },
      { name: `${rawLabel}, CPU`, value: raw.cpu, unit: '% of a core' },
      {
        name: `gateway CPU, ${label}`,
        value: gw.cpu,
        unit: '% of a core',
        baseline: rawLabel,
        ratio: gw.cpu / raw.cpu,
        target: `< ${CPU_TARGET} %`,
        pass: gw.cpu < CPU_TARGET,
      },
      { name: 'simulator CPU (context)', value: gw.simulatorCpu, unit: '% of a core' },
      { name: 'bare node + better-sqlite3, modbus-serial, hono RSS', value: bareRss, unit: 'MB' },
      memoryRow(`gateway RSS (VmRSS), ${totalPoints.toLocaleString('en-US')} points`, gw.memory.rssMB),
      memoryRow('gateway peak RSS (VmHWM)', gw.memory.hwmMB),
    ];
  } finally {
    await children.stopAll();
    temp.remove();
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
