/**
 * Start-up (issue 19 §6): from spawning `gateway run` on the 10 k-point bench site to the page
 * answering (GET /api/v1/health 200) and to every device up, without and with an OPC UA device
 * (node-opcua is imported only when one is configured, at the OPC UA device's first connect, after
 * the page is up). Beside the first answer, the slowest answer in the seconds after it: a library
 * loading in one piece holds the event loop, and the page with it. The floor: `gateway --version`,
 * node plus the CLI's own imports and nothing else. Each figure is the median of `runs` starts,
 * each a new process on a new data folder. Run alone: `npx tsx test/bench/startup-time.ts`
 * (after `npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type BenchRow, printTable } from './bench-row.js';
import { type ChildGroup, createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, packageRoot, startGatewayProcess, startSimulator, waitForDevicesUp } from './gateway-processes.js';
import { clockTicksPerSecond, cpuTicks } from './proc-stats.js';
import { benchSite, mixedPoints, writeBenchSite } from './site-generator.js';
import { createTempDir } from './temp-dir.js';
import { gatewayNodeFlags } from '../helpers/node-flags.js';

export interface StartupOptions {
  children: ChildGroup;
  cli: string;
  devices?: number;
  pointsPerDevice?: number;
  ports?: number;
  /** starts per variant; the median is reported */
  runs?: number;
  warmupTimeoutMs?: number;
}

const PAGE_TARGET_S = 1.5;
/** how often the page is asked while the gateway starts */
const PROBE_MS = 10;
/** how long after its first answer the page is still asked, for its slowest answer */
const AFTER_FIRST_MS = 3000;
const CRAC_POINTS = ['SupplyAirTemp', 'ReturnAirTemp', 'Humidity', 'FanSpeed', 'CompressorRunning', 'HighTempAlarm', 'UnitStatus'];

/** The simulated CRAC-3 of the OPC UA simulator (the demo's), subscribed to. */
function opcuaDevice(port: number): Record<string, unknown> {
  return {
    id: 'crac3',
    name: 'CRAC-3 over OPC UA',
    kind: 'hvac',
    driver: 'opcua',
    connection: { endpoint: `opc.tcp://127.0.0.1:${port}/UA/Site` },
    browseRoot: 'Cooling/CRAC-3',
    points: CRAC_POINTS.map((name) => ({ key: name.toLowerCase(), browsePath: name })),
  };
}

/** Resolves with the ms from `t0` to the first 200 of GET /api/v1/health. */
async function untilPageAnswers(httpPort: number, t0: number, timeoutMs: number, exited: () => boolean): Promise<number> {
  const deadline = t0 + timeoutMs;
  while (performance.now() < deadline) {
    if (exited()) throw new Error('the gateway exited before its page answered');
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`);
      await res.arrayBuffer();
      if (res.ok) return performance.now() - t0;
    } catch {
      // not listening yet
    }
    await sleep(PROBE_MS);
  }
  throw new Error(`the page did not answer within ${timeoutMs} ms`);
}

/** The slowest answer of GET /api/v1/health, asked every PROBE_MS for `windowMs`. */
async function slowestAnswerMs(httpPort: number, windowMs: number, exited: () => boolean): Promise<number> {
  const end = performance.now() + windowMs;
  let slowest = 0;
  while (performance.now() < end) {
    if (exited()) throw new Error('the gateway exited while its page was asked');
    const t = performance.now();
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`);
      await res.arrayBuffer();
    } catch {
      // a kept-alive connection the server closed as it was reused: the wait counts, the next ask goes on a new one
    }
    slowest = Math.max(slowest, performance.now() - t);
    await sleep(PROBE_MS);
  }
  return slowest;
}

interface OneStart {
  pageMs: number;
  /** the slowest page answer in the AFTER_FIRST_MS after the first */
  slowestMs: number;
  /** CPU the gateway used until its page answered: on a shared machine, what wall time would be alone */
  pageCpuMs: number;
  upMs: number;
}

async function oneStart(children: ChildGroup, cli: string, file: string, httpPort: number, devices: number, timeoutMs: number): Promise<OneStart> {
  const t0 = performance.now();
  const gateway = startGatewayProcess(children, cli, file);
  try {
    const exited = () => gateway.process.exitCode !== null || gateway.process.signalCode !== null;
    const pageMs = await untilPageAnswers(httpPort, t0, timeoutMs, exited);
    const pageCpuMs = (cpuTicks(gateway.pid) / clockTicksPerSecond()) * 1000;
    const slowestMs = await slowestAnswerMs(httpPort, AFTER_FIRST_MS, exited);
    await waitForDevicesUp(gateway, httpPort, devices, timeoutMs);
    return { pageMs, pageCpuMs, slowestMs, upMs: performance.now() - t0 };
  } finally {
    await gateway.stop();
  }
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** `gateway --version`: node, the flags, the CLI's static imports; the floor of any start. */
function cliFloorMs(cli: string, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, [...gatewayNodeFlags(), cli, '--version'], { cwd: packageRoot(), encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`gateway --version failed: ${res.stderr}`);
    times.push(performance.now() - t0);
  }
  return median(times);
}

export async function benchStartup(opts: StartupOptions): Promise<BenchRow[]> {
  const devices = opts.devices ?? 200;
  const pointsPerDevice = opts.pointsPerDevice ?? 50;
  const portCount = opts.ports ?? 20;
  const runs = opts.runs ?? 3;
  const timeoutMs = opts.warmupTimeoutMs ?? 60_000;
  const { children, cli } = opts;
  const temp = createTempDir('bench-startup-');
  try {
    const ports = await freePorts(portCount + 3);
    const [httpPort, controlPort, opcuaPort] = ports.splice(0, 3) as [number, number, number];
    const points = mixedPoints(pointsPerDevice);
    const siteOptions = (name: string) => ({ dataDir: join(temp.path, name, 'data'), httpPort, modbusPorts: ports, devices, points, pollIntervalMs: 1000 });
    const modbusOnly = (run: number) => writeBenchSite(join(temp.path, `modbus-${run}`), siteOptions(`modbus-${run}`));
    const withOpcuaNamed = (name: string) => {
      const o = siteOptions(name);
      const site = benchSite(o);
      return writeBenchSite(join(temp.path, name), o, { ...site, devices: [...(site.devices as unknown[]), opcuaDevice(opcuaPort)] });
    };
    const withOpcua = (run: number) => withOpcuaNamed(`opcua-${run}`);
    // One simulator serves both variants: the Modbus devices and the OPC UA CRAC-3.
    await startSimulator(children, cli, withOpcuaNamed('simulated'), controlPort, 60_000);

    const floorMs = cliFloorMs(cli, runs);
    const variants = [
      { label: `${devices} Modbus devices x ${pointsPerDevice} points`, site: modbusOnly, devices },
      { label: `${devices} Modbus + 1 OPC UA device (node-opcua loaded)`, site: withOpcua, devices: devices + 1 },
    ];
    const rows: BenchRow[] = [{ name: 'gateway --version (node + the CLI imports)', value: floorMs / 1000, unit: 's' }];
    for (const v of variants) {
      const starts: OneStart[] = [];
      for (let run = 0; run < runs; run++) starts.push(await oneStart(children, cli, v.site(run), httpPort, v.devices, timeoutMs));
      const pageS = median(starts.map((s) => s.pageMs)) / 1000;
      rows.push(
        {
          name: `gateway run -> page answering, ${v.label}`,
          value: pageS,
          unit: 's',
          baseline: 'gateway --version',
          ratio: pageS / (floorMs / 1000),
          target: `< ${PAGE_TARGET_S} s`,
          pass: pageS < PAGE_TARGET_S,
        },
        { name: `  gateway CPU time until the page answered (user + system)`, value: median(starts.map((s) => s.pageCpuMs)) / 1000, unit: 's' },
        { name: `  slowest page answer in the ${AFTER_FIRST_MS / 1000} s after the first`, value: median(starts.map((s) => s.slowestMs)) / 1000, unit: 's' },
        { name: `gateway run -> all ${v.devices} devices up, ${v.label}`, value: median(starts.map((s) => s.upMs)) / 1000, unit: 's' },
      );
    }
    return rows;
  } finally {
    await children.stopAll();
    temp.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const children = createChildGroup();
  try {
    printTable(await benchStartup({ children, cli: builtCli() }));
  } finally {
    await children.dispose();
  }
}
