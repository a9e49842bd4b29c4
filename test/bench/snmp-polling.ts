/**
 * SNMP polling under the real gateway process: 200 agents × 30 OIDs polled every 10 s, the
 * agents in another process (snmp-agents-child.ts). Measures the gateway's CPU (% of one core)
 * and committed readings/s, against a raw net-snmp session loop + better-sqlite3 doing the same
 * GETs at the same rate, in the same run (snmp-raw-poller.ts). Run alone:
 * `npx tsx test/bench/snmp-polling.ts` (after `npm run build`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { type BenchRow, printTable } from './bench-row.js';
import { type BenchChild, type ChildGroup, createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, createHealthToken, fetchHealth, packageRoot, startGatewayProcess, waitForDevicesUp } from './gateway-processes.js';
import { memoryOf, startCpuMeter } from './proc-stats.js';
import { BENCH_SUBTREE, type SnmpAgentsArgs } from './snmp-agents-child.js';
import type { SnmpRawPollerArgs } from './snmp-raw-poller.js';
import { createTempDir } from './temp-dir.js';

export interface SnmpPollingOptions {
  children: ChildGroup;
  cli: string;
  devices?: number;
  oidsPerDevice?: number;
  pollIntervalMs?: number;
  /** CPU and readings window; a whole number of poll intervals keeps the counts exact */
  measureMs?: number;
  settleMs?: number;
}

const CPU_TARGET = 10;
const RATIO_TARGET = 0.8;
const COMMIT_INTERVAL_MS = 200;
/** A benchmark-only community, handed to the gateway through the environment as a real site would. */
const COMMUNITY = 'bench-community';

function writeSite(dir: string, o: { httpPort: number; ports: number[]; oids: number; pollIntervalMs: number }): string {
  mkdirSync(join(dir, 'profiles'), { recursive: true });
  const points = Array.from({ length: o.oids }, (_, i) => ({ key: `p${i + 1}`, oid: `${BENCH_SUBTREE}.${i + 1}.0`, type: 'gauge', scale: 0.1 }));
  writeFileSync(join(dir, 'profiles', 'bench-snmp.yaml'), stringify({ name: 'Generated SNMP benchmark agent', kind: 'sensor', driver: 'snmp', points }));
  const devices = o.ports.map((port, i) => ({
    id: `snmp${String(i + 1).padStart(3, '0')}`,
    name: `SNMP bench agent ${i + 1}`,
    kind: 'sensor',
    driver: 'snmp',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${NAME} syntax
    connection: { host: '127.0.0.1', port, version: '2c', community: '${BENCH_SNMP_COMMUNITY}', timeoutMs: 2000, retries: 1 },
    pollIntervalMs: o.pollIntervalMs,
    profile: 'bench-snmp',
  }));
  const site = {
    gateway: { id: 'bench-snmp-gw', dataDir: join(dir, 'data'), logLevel: 'warn' },
    http: { host: '127.0.0.1', port: o.httpPort },
    storage: { retention: { maxAgeDays: 0, maxSizeMB: 0 } },
    devices,
  };
  const file = join(dir, 'site.yaml');
  writeFileSync(file, stringify(site));
  return file;
}

/** The raw poller's next `round <readings> <ms>` line (printed when a round of GETs completes). */
function nextRound(poller: BenchChild, timeoutMs: number): Promise<{ readings: number; at: number }> {
  return poller.waitFor((line) => {
    const m = /^round (\d+) (\d+)$/.exec(line);
    return m ? { readings: Number(m[1]), at: Number(m[2]) } : undefined;
  }, timeoutMs);
}

/** Resolves once the gateway has committed a new round (its last reading seq moved, then settled). */
async function afterGatewayRound(httpPort: number, token: string, pollIntervalMs: number): Promise<void> {
  const start = (await fetchHealth(httpPort, token)).store.lastReadingSeq;
  const deadline = Date.now() + 2 * pollIntervalMs + 5000;
  while ((await fetchHealth(httpPort, token)).store.lastReadingSeq === start) {
    if (Date.now() > deadline) throw new Error('the gateway committed no round of SNMP readings');
    await sleep(50);
  }
  // the round's commits land within a few commit intervals
  await sleep(Math.min(2000, pollIntervalMs / 4));
}

function tsxChild(children: ChildGroup, name: string, script: string, arg: unknown): BenchChild {
  return children.start(name, process.execPath, ['--import', 'tsx', join(packageRoot(), 'test', 'bench', script), JSON.stringify(arg)], { cwd: packageRoot() });
}

export async function benchSnmpPolling(opts: SnmpPollingOptions): Promise<BenchRow[]> {
  const devices = opts.devices ?? 200;
  const oids = opts.oidsPerDevice ?? 30;
  const pollIntervalMs = opts.pollIntervalMs ?? 10_000;
  const measureMs = opts.measureMs ?? 4 * pollIntervalMs;
  const settleMs = opts.settleMs ?? pollIntervalMs;
  const { children, cli } = opts;
  const temp = createTempDir('bench-snmp-');
  try {
    const [httpPort, ...ports] = await freePorts(devices + 1);
    const agents = tsxChild(children, 'snmp agents', 'snmp-agents-child.ts', { ports, oids, community: COMMUNITY } satisfies SnmpAgentsArgs);
    await agents.waitFor((line) => (line === 'ready' ? true : undefined), 60_000);
    const file = writeSite(temp.path, { httpPort: httpPort!, ports, oids, pollIntervalMs });

    // The config names the community as ${BENCH_SNMP_COMMUNITY}; the CLI children inherit it.
    process.env.BENCH_SNMP_COMMUNITY = COMMUNITY;
    const token = createHealthToken(cli, file);
    const gateway = startGatewayProcess(children, cli, file);
    await waitForDevicesUp(gateway, httpPort!, devices, 60_000);
    await sleep(settleMs);
    // Polls come in rounds every pollIntervalMs: both measurements span whole rounds, from just
    // after one round to just after another, so neither counts a partial round.
    await afterGatewayRound(httpPort!, token, pollIntervalMs);
    const before = await fetchHealth(httpPort!, token);
    const t0 = performance.now();
    const gatewayCpu = startCpuMeter(gateway.pid);
    const agentsCpu = startCpuMeter(agents.pid);
    await sleep(measureMs);
    const cpu = gatewayCpu.percentOfCore();
    const agentCpu = agentsCpu.percentOfCore();
    const memory = memoryOf(gateway.pid);
    const after = await fetchHealth(httpPort!, token);
    // the window started just after a round and spans whole poll intervals
    const gatewayRate = ((after.store.lastReadingSeq - before.store.lastReadingSeq) / (Math.round((performance.now() - t0) / pollIntervalMs) * pollIntervalMs)) * 1000;
    if (after.devices.up !== devices) throw new Error(`only ${after.devices.up} of ${devices} SNMP devices stayed up`);
    await gateway.stop();

    const raw = tsxChild(children, 'snmp raw poller', 'snmp-raw-poller.ts', {
      ports,
      oids: Array.from({ length: oids }, (_, i) => `${BENCH_SUBTREE}.${i + 1}.0`),
      community: COMMUNITY,
      pollIntervalMs,
      commitIntervalMs: COMMIT_INTERVAL_MS,
      synchronous: 'full',
      dbFile: join(temp.path, 'raw.db'),
    } satisfies SnmpRawPollerArgs);
    await raw.waitFor((line) => (line === 'ready' ? true : undefined), 60_000);
    await sleep(settleMs);
    const rounds = Math.max(1, Math.round(measureMs / pollIntervalMs));
    const round0 = await nextRound(raw, 2 * pollIntervalMs + 5000);
    const rawMeter = startCpuMeter(raw.pid);
    let roundN = round0;
    for (let i = 0; i < rounds; i++) roundN = await nextRound(raw, 2 * pollIntervalMs + 5000);
    const rawCpu = rawMeter.percentOfCore();
    // readings of `rounds` whole rounds over the time those rounds took
    const rawRate = ((roundN.readings - round0.readings) / (rounds * pollIntervalMs)) * 1000;
    await raw.stop();
    await agents.stop();

    const label = `${devices} agents x ${oids} OIDs @ ${pollIntervalMs / 1000} s`;
    const rawLabel = 'raw net-snmp session loop + better-sqlite3';
    return [
      { name: `${rawLabel}, ${label}`, value: rawRate, unit: 'readings/s', baseline: `${((devices * oids * 1000) / pollIntervalMs).toLocaleString('en-US')}/s configured` },
      { name: `${rawLabel}, CPU`, value: rawCpu, unit: '% of a core' },
      {
        name: `gateway SNMP committed readings, ${label}`,
        value: gatewayRate,
        unit: 'readings/s',
        baseline: rawLabel,
        ratio: gatewayRate / rawRate,
        target: `ratio >= ${RATIO_TARGET}`,
        pass: gatewayRate / rawRate >= RATIO_TARGET,
      },
      { name: `gateway CPU, ${label}`, value: cpu, unit: '% of a core', baseline: rawLabel, ratio: cpu / rawCpu, target: `< ${CPU_TARGET} %`, pass: cpu < CPU_TARGET },
      { name: 'gateway RSS (VmRSS), SNMP site', value: memory.rssMB, unit: 'MB' },
      { name: 'simulated agents CPU (context)', value: agentCpu, unit: '% of a core' },
    ];
  } finally {
    await children.stopAll();
    temp.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const children = createChildGroup();
  try {
    printTable(await benchSnmpPolling({ children, cli: builtCli() }));
  } finally {
    await children.dispose();
  }
}
