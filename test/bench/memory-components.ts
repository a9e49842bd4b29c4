/**
 * Memory by component (issue 19 §1): the 10 k-point bench site under the real gateway process, in
 * stages that each add one part of the product (memory-site.ts), each stage its own process on the
 * same simulators. Per stage: steady RSS (the median of samples after settling), the V8 heap in use
 * (heap-probe.ts), and the RSS the stage adds over the one before; on the full stage the targets
 * (< 100 MB steady, < 120 MB peak, peak = VmHWM over the process's life). The first row is a bare
 * node with the libraries loaded, the floor nothing in the gateway can go below. The heap
 * saw-tooths (garbage promoted to the old space until a major GC), so a stage's RSS moves by tens
 * of MB within seconds: compare the lowest-in-window rows too before blaming a stage.
 * Run alone: `npx tsx test/bench/memory-components.ts` (after `npm run build`).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { type BenchRow, printTable } from './bench-row.js';
import { type BenchChild, type ChildGroup, createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, createHealthToken, fetchHealth, packageRoot, startSimulator, waitForDevicesUp } from './gateway-processes.js';
import { heapOf, heapProbeFlag } from './heap-probe.js';
import { type MemorySiteOptions, SNMP_COMMUNITY_ENV, type Stage, STAGES, type StageCounts, writeStageSite } from './memory-site.js';
import { memoryOf } from './proc-stats.js';
import { mixedPoints } from './site-generator.js';
import type { SnmpAgentsArgs } from './snmp-agents-child.js';
import { createTempDir } from './temp-dir.js';
import { gatewayNodeFlags } from '../helpers/node-flags.js';

export interface MemoryComponentsOptions {
  children: ChildGroup;
  cli: string;
  devices?: number;
  pointsPerDevice?: number;
  /** simulated Modbus TCP ports the devices are spread over */
  ports?: number;
  pollIntervalMs?: number;
  /** SNMP agents of the full stage (30 OIDs each, polled every 10 s by default) */
  snmpAgents?: number;
  snmpOids?: number;
  snmpPollMs?: number;
  /**
   * after all devices are up, before sampling: start-up garbage, first commits, analytics' first
   * pass, and V8's first major GC (until then the old space grows unchecked: about 30 s here)
   */
  settleMs?: number;
  /**
   * the sampling window; steady RSS is the median of its samples. The heap saw-tooths (garbage
   * promoted to the old space until a major GC), so the window should hold a few GC cycles.
   */
  measureMs?: number;
  sampleMs?: number;
  warmupTimeoutMs?: number;
}

const STEADY_TARGET_MB = 100;
const PEAK_TARGET_MB = 120;
/** A benchmark-only community for the loopback agents. */
const COMMUNITY = 'bench-community';

/** A bare node with the libraries the gateway is built on, loaded and touched once (site-load.ts's baseline). */
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

interface StageMemory {
  rssMB: number;
  /** the lowest sample: just after a major GC, when the old space holds little garbage */
  rssLowMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
  /** heap in use after a full GC at the end of the window: what the stage's components hold */
  liveHeapMB: number;
  peakMB: number;
  readingsPerS: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** RSS and heap every `sampleMs` for `measureMs`; medians, so one GC cycle's swing does not decide. */
async function sampleMemory(child: BenchChild, measureMs: number, sampleMs: number): Promise<Omit<StageMemory, 'peakMB' | 'readingsPerS' | 'liveHeapMB'>> {
  const rss: number[] = [];
  const heap: number[] = [];
  const heapTotal: number[] = [];
  const external: number[] = [];
  const end = performance.now() + measureMs;
  do {
    rss.push(memoryOf(child.pid).rssMB);
    const h = await heapOf(child);
    heap.push(h.heapUsedMB);
    heapTotal.push(h.heapTotalMB);
    external.push(h.externalMB);
    await sleep(sampleMs);
  } while (performance.now() < end);
  return { rssMB: median(rss), rssLowMB: Math.min(...rss), heapUsedMB: median(heap), heapTotalMB: median(heapTotal), externalMB: median(external) };
}

async function bareNode(children: ChildGroup, timing: { settleMs: number; measureMs: number; sampleMs: number }): Promise<StageMemory> {
  const child = children.start('bare node', process.execPath, [...gatewayNodeFlags(), heapProbeFlag(), '--input-type=module', '-e', BARE_NODE], { cwd: packageRoot() });
  try {
    await child.waitFor((line) => (line === 'ready' ? true : undefined), 10_000);
    // start-up garbage collected the way it would be in a long-running process
    await sleep(Math.min(timing.settleMs, 1000));
    const m = await sampleMemory(child, Math.min(timing.measureMs, 2000), timing.sampleMs);
    const peakMB = memoryOf(child.pid).hwmMB;
    return { ...m, peakMB, liveHeapMB: (await heapOf(child, 5000, true)).heapUsedMB, readingsPerS: 0 };
  } finally {
    await child.stop();
  }
}

async function gatewayStage(
  children: ChildGroup,
  cli: string,
  site: { file: string; httpPort: number; counts: StageCounts },
  timing: { settleMs: number; measureMs: number; sampleMs: number; warmupTimeoutMs: number },
): Promise<StageMemory> {
  const token = createHealthToken(cli, site.file);
  const gateway = children.start('gateway', process.execPath, [...gatewayNodeFlags(), heapProbeFlag(), cli, 'run', '--config', site.file], { cwd: packageRoot() });
  try {
    await waitForDevicesUp(gateway, site.httpPort, site.counts.devices, timing.warmupTimeoutMs);
    await sleep(timing.settleMs);
    const before = await fetchHealth(site.httpPort, token);
    const t0 = performance.now();
    const m = await sampleMemory(gateway, timing.measureMs, timing.sampleMs);
    const peakMB = memoryOf(gateway.pid).hwmMB;
    const after = await fetchHealth(site.httpPort, token);
    // degraded (a slow answer on a busy machine) still polls: the memory figure holds; down does not
    if (after.devices.up + after.devices.degraded !== site.counts.devices) {
      throw new Error(`only ${after.devices.up} of ${site.counts.devices} devices stayed up: ${JSON.stringify(after.devices)}`);
    }
    const readingsPerS = (after.store.lastReadingSeq - before.store.lastReadingSeq) / ((performance.now() - t0) / 1000);
    // last: the full GC changes what RSS would show
    const liveHeapMB = (await heapOf(gateway, 10_000, true)).heapUsedMB;
    return { ...m, peakMB, liveHeapMB, readingsPerS };
  } finally {
    await gateway.stop();
  }
}

function tsxChild(children: ChildGroup, name: string, script: string, args: string[]): BenchChild {
  return children.start(name, process.execPath, ['--import', 'tsx', join(packageRoot(), 'test', script), ...args], { cwd: packageRoot() });
}

/** What each stage adds, for the row names. */
function stageLabel(stage: Stage, c: StageCounts, o: { devices: number; pointsPerDevice: number }): string {
  const n = (x: number) => x.toLocaleString('en-US');
  switch (stage) {
    case 'devices':
      return `devices only: ${o.devices} Modbus x ${o.pointsPerDevice} points (${n(c.modbusPoints)}), no alarms`;
    case 'alarms':
      return `+ alarms: ${n(c.alarms)} (HI/HIHI/LO on ${n((c.alarms - o.devices) / 3)} points, comm loss per device)`;
    case 'analytics':
      return `+ analytics on ${n(c.analysed)} points (band, spike, drift, forecast)`;
    case 'full':
      return `+ SNMP (${n(c.devices - o.devices)} agents, ${n(c.snmpPoints)} points), topology, incidents, snapshots, HTTP sync, MQTT broker`;
  }
}

export async function benchMemoryComponents(opts: MemoryComponentsOptions): Promise<BenchRow[]> {
  const devices = opts.devices ?? 200;
  const pointsPerDevice = opts.pointsPerDevice ?? 50;
  const portCount = opts.ports ?? 20;
  const snmpAgents = opts.snmpAgents ?? 20;
  const timing = {
    settleMs: opts.settleMs ?? 30_000,
    measureMs: opts.measureMs ?? 30_000,
    sampleMs: opts.sampleMs ?? 1000,
    warmupTimeoutMs: opts.warmupTimeoutMs ?? 60_000,
  };
  const { children, cli } = opts;
  const temp = createTempDir('bench-memory-');
  const previousCommunity = process.env[SNMP_COMMUNITY_ENV];
  try {
    const ports = await freePorts(portCount + snmpAgents + 3);
    const [httpPort, controlPort, mqttPort] = ports.splice(0, 3) as [number, number, number];
    const snmpPorts = ports.splice(0, snmpAgents);
    const modbusPorts = ports;
    const receiver = tsxChild(children, 'sync receiver', 'helpers/sync-receiver-child.ts', []);
    const syncPort = await receiver.waitFor((line) => (/^\d+$/.test(line) ? Number(line) : undefined), 30_000);
    if (snmpAgents > 0) {
      const agents = tsxChild(children, 'snmp agents', 'bench/snmp-agents-child.ts', [JSON.stringify({ ports: snmpPorts, oids: opts.snmpOids ?? 30, community: COMMUNITY } satisfies SnmpAgentsArgs)]);
      await agents.waitFor((line) => (line === 'ready' ? true : undefined), 60_000);
    }
    // The config names the community as ${BENCH_SNMP_COMMUNITY}; the CLI children inherit it.
    process.env[SNMP_COMMUNITY_ENV] = COMMUNITY;

    const siteOptions = (stage: Stage): MemorySiteOptions => ({
      gatewayId: 'bench-memory',
      dataDir: join(temp.path, stage, 'data'),
      httpPort,
      modbusPorts,
      devices,
      points: mixedPoints(pointsPerDevice),
      pollIntervalMs: opts.pollIntervalMs ?? 1000,
      mqttPort,
      syncPort,
      ...(snmpAgents > 0 && { snmp: { ports: snmpPorts, oids: opts.snmpOids ?? 30, pollIntervalMs: opts.snmpPollMs ?? 10_000 } }),
    });
    const sites = STAGES.map((stage) => ({ stage, ...writeStageSite(join(temp.path, stage), stage, siteOptions(stage)) }));
    // Every stage's Modbus devices are the same: one simulator serves them all.
    await startSimulator(children, cli, sites[0]!.file, controlPort);

    const bare = await bareNode(children, timing);
    const measured: { stage: Stage; counts: StageCounts; memory: StageMemory }[] = [];
    for (const site of sites) {
      measured.push({ stage: site.stage, counts: site.counts, memory: await gatewayStage(children, cli, { ...site, httpPort }, timing) });
    }

    const rows: BenchRow[] = [
      { name: 'bare node + better-sqlite3, modbus-serial, hono: RSS', value: bare.rssMB, unit: 'MB' },
      { name: 'bare node + libraries: V8 heap used', value: bare.heapUsedMB, unit: 'MB' },
      { name: 'bare node + libraries: live heap (after a full GC)', value: bare.liveHeapMB, unit: 'MB' },
    ];
    let previous = bare;
    for (const { stage, counts, memory } of measured) {
      const label = stageLabel(stage, counts, { devices, pointsPerDevice });
      const isFull = stage === 'full';
      rows.push(
        {
          name: `gateway RSS, ${label}`,
          value: memory.rssMB,
          unit: 'MB',
          baseline: 'bare node + libraries',
          ratio: memory.rssMB / bare.rssMB,
          ...(isFull && { target: `< ${STEADY_TARGET_MB} MB`, pass: memory.rssMB < STEADY_TARGET_MB }),
        },
        { name: `  RSS it adds (${stage === 'devices' ? 'over bare node' : 'over the stage before'})`, value: memory.rssMB - previous.rssMB, unit: 'MB' },
        { name: '  RSS lowest in the window (after a major GC)', value: memory.rssLowMB, unit: 'MB' },
        { name: `  V8 heap used (of ${memory.heapTotalMB.toFixed(1)} MB reserved; external ${memory.externalMB.toFixed(1)} MB)`, value: memory.heapUsedMB, unit: 'MB' },
        { name: '  live heap (after a full GC)', value: memory.liveHeapMB, unit: 'MB' },
        { name: '  live heap it adds', value: memory.liveHeapMB - previous.liveHeapMB, unit: 'MB' },
        {
          name: '  peak RSS (VmHWM)',
          value: memory.peakMB,
          unit: 'MB',
          ...(isFull && { target: `< ${PEAK_TARGET_MB} MB`, pass: memory.peakMB < PEAK_TARGET_MB }),
        },
        { name: '  committed readings', value: memory.readingsPerS, unit: 'readings/s' },
      );
      previous = memory;
    }
    return rows;
  } finally {
    if (previousCommunity === undefined) delete process.env[SNMP_COMMUNITY_ENV];
    else process.env[SNMP_COMMUNITY_ENV] = previousCommunity;
    await children.stopAll();
    temp.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const children = createChildGroup();
  try {
    printTable(await benchMemoryComponents({ children, cli: builtCli() }));
  } finally {
    await children.dispose();
  }
}
