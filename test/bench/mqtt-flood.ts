/**
 * One MQTT client flooding the real gateway process: Modbus devices polled every second from a
 * simulator process, the embedded broker, a well-behaved second sensor, and a publisher child
 * writing QoS 0 frames as fast as TCP takes them for `floodMs`. Measured from outside, as a site
 * would: health latency and the gateway's event-loop delay (baseline: the same gateway before the
 * flood), Modbus poll spacing from the stored readings (baseline: the configured interval), RSS
 * before / during / after, and what the ingest accepted and refused. Loopback only; stops by itself.
 * Run alone: `npx tsx test/bench/mqtt-flood.ts` (after `npm run build`).
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { type BenchRow, percentile, printTable } from './bench-row.js';
import { type BenchChild, type ChildGroup, createChildGroup } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, packageRoot, startGatewayProcess, startSimulator } from './gateway-processes.js';
import { startPublisher } from './mqtt-ingest.js';
import { memoryOf } from './proc-stats.js';
import { benchSite, mixedPoints, writeBenchSite } from './site-generator.js';
import { createTempDir } from './temp-dir.js';

export interface FloodBenchOptions {
  children: ChildGroup;
  cli: string;
  /** Modbus devices polled every `pollIntervalMs` (default 10 × 10 points, 1000 ms) */
  modbusDevices?: number;
  pollIntervalMs?: number;
  /** quiet measurement before the flood (default 8000) */
  baselineMs?: number;
  /** how long the publisher floods (default 20000) */
  floodMs?: number;
  /** after the flood, before RSS counts as "after" (default 10000) */
  recoveryMs?: number;
  /** mqttBroker.clientRateLimit; default: the product's default (0: only the per-point limit acts) */
  clientRateLimit?: number;
}

const HEALTH_TARGET_MS = 100;
/** health is asked this often; each answer's latency is one sample */
const PROBE_MS = 250;
/** the flooding client's topic: the publisher child's first topic */
const FLOOD_TOPIC = 'bench/rack/r000/env';
const VICTIM_TOPIC = 'bench/victim/env';
const VICTIM_EVERY_MS = 500;

interface HealthAnswer {
  devices: { up: number; total: number };
  eventLoop?: { delayP99Ms: number; delayMaxMs: number };
  mqtt?: {
    broker: { messagesIn: number; publishThrottled?: number } | null;
    ingest: { messages: number; values: number; rejected: Record<string, number> };
  };
}

interface Probe {
  at: number;
  latencyMs: number;
  answer?: HealthAnswer;
}


/** A viewer API token (health shows its counters to a logged-in caller only). */
function createToken(cli: string, configFile: string): string {
  const out = execFileSync(process.execPath, [cli, 'token', 'create', '--name', 'bench', '--role', 'viewer', '--config', configFile], {
    cwd: packageRoot(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.trim();
}

/** Asks health every PROBE_MS until stopped; a request never waits longer than 10 s. */
function startProbing(httpPort: number, token: string, gateway: BenchChild) {
  const probes: Probe[] = [];
  const rss: { at: number; mb: number }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const at = Date.now();
      let answer: HealthAnswer | undefined;
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(10_000),
        });
        if (res.ok) answer = (await res.json()) as HealthAnswer;
      } catch {
        // a timed-out probe counts with its full latency and no answer
      }
      probes.push({ at, latencyMs: performance.now() - started, ...(answer && { answer }) });
      if (gateway.process.exitCode === null) rss.push({ at, mb: memoryOf(gateway.pid).rssMB });
      await sleep(Math.max(0, PROBE_MS - (performance.now() - started)));
    }
  })();
  return {
    probes,
    rss,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function waitForModbusUp(gateway: BenchChild, httpPort: number, devices: number, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  let last = 'no answer yet';
  while (performance.now() < end) {
    if (gateway.process.exitCode !== null) throw new Error(`the gateway exited during warm-up:\n${gateway.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/api/v1/health`);
      const h = (await res.json()) as HealthAnswer;
      // MQTT devices are `degraded` until their first message; the Modbus ones must be up
      if (h.devices.up >= devices) return;
      last = JSON.stringify(h.devices);
    } catch (err) {
      last = String(err);
    }
    await sleep(250);
  }
  throw new Error(`the Modbus devices were not up within ${timeoutMs} ms (last: ${last}):\n${gateway.output()}`);
}

/** Gaps between consecutive stored readings of each point in [from, to), ms. */
function gapsOf(db: Database.Database, pointIds: readonly string[], from: number, to: number): number[] {
  const q = db.prepare('SELECT r.ts FROM readings r JOIN points p ON p.id = r.point WHERE p.name = ? AND r.ts >= ? AND r.ts < ? ORDER BY r.ts').pluck();
  const gaps: number[] = [];
  for (const id of pointIds) {
    const ts = q.all(id, from, to) as number[];
    for (let i = 1; i < ts.length; i++) gaps.push(ts[i]! - ts[i - 1]!);
  }
  return gaps;
}

function countOf(db: Database.Database, pointId: string, from: number, to: number): number {
  return db
    .prepare('SELECT count(*) FROM readings r JOIN points p ON p.id = r.point WHERE p.name = ? AND r.ts >= ? AND r.ts < ?')
    .pluck()
    .get(pointId, from, to) as number;
}

export async function benchMqttFlood(opts: FloodBenchOptions): Promise<BenchRow[]> {
  const modbusDevices = opts.modbusDevices ?? 10;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const baselineMs = opts.baselineMs ?? 8000;
  const floodMs = opts.floodMs ?? 20_000;
  const recoveryMs = opts.recoveryMs ?? 10_000;
  const { children, cli } = opts;
  const temp = createTempDir('bench-flood-');
  const victim = { client: undefined as mqtt.MqttClient | undefined, timer: undefined as NodeJS.Timeout | undefined };
  try {
    const [httpPort, controlPort, modbusPort, mqttPort] = (await freePorts(4)) as [number, number, number, number];
    const dataDir = join(temp.path, 'data');
    const siteOptions = { dataDir, httpPort, modbusPorts: [modbusPort], devices: modbusDevices, points: mixedPoints(10), pollIntervalMs };
    const site = benchSite(siteOptions);
    const mqttPoint = (key: string, topic: string) => ({ key, topic, path: key, staleAfterMs: 0 });
    // The defaults of the product: no rate settings here, so the row shows what a site gets.
    site.mqttBroker = {
      enabled: true,
      host: '127.0.0.1',
      port: mqttPort,
      allowAnonymous: true,
      ...(opts.clientRateLimit !== undefined && { clientRateLimit: opts.clientRateLimit }),
    };
    site.devices = [
      ...(site.devices as unknown[]),
      { id: 'flood', name: 'Flooding sensor', kind: 'sensor', driver: 'mqtt', points: [mqttPoint('temperature', FLOOD_TOPIC), mqttPoint('humidity', FLOOD_TOPIC)] },
      { id: 'victim', name: 'Well-behaved sensor', kind: 'sensor', driver: 'mqtt', points: [mqttPoint('temperature', VICTIM_TOPIC)] },
    ];
    const file = writeBenchSite(temp.path, siteOptions, site);
    const token = createToken(cli, file);
    const simulator = await startSimulator(children, cli, file, controlPort);
    const gateway = startGatewayProcess(children, cli, file);
    await waitForModbusUp(gateway, httpPort, modbusDevices, 60_000);

    victim.client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `bench-victim-${process.pid}`, reconnectPeriod: 500 });
    let n = 0;
    victim.timer = setInterval(() => victim.client?.publish(VICTIM_TOPIC, JSON.stringify({ temperature: 20 + (n++ % 10) / 10 })), VICTIM_EVERY_MS);
    await sleep(2000);

    const probing = startProbing(httpPort, token, gateway);
    const t0 = Date.now();
    await sleep(baselineMs);
    const floodStart = Date.now();
    const publisher = startPublisher(mqttPort, 1);
    try {
      await publisher.run(1e9);
      await sleep(floodMs);
    } finally {
      publisher.stop();
    }
    const floodEnd = Date.now();
    await sleep(recoveryMs);
    await probing.stop();
    clearInterval(victim.timer);
    await victim.client.endAsync(true);
    victim.client = undefined;

    const last = probing.probes.findLast((p) => p.answer)?.answer;
    const gatewayAlive = gateway.process.exitCode === null;
    await gateway.stop(10_000);
    await simulator.stop();

    const inWindow = <T extends { at: number }>(list: readonly T[], from: number, to: number) => list.filter((x) => x.at >= from && x.at < to);
    const before = inWindow(probing.probes, t0, floodStart);
    const during = inWindow(probing.probes, floodStart, floodEnd);
    const latency = (list: readonly Probe[], p: number) => percentile(list.map((x) => x.latencyMs), p);
    const answered = during.filter((x) => x.answer && x.latencyMs < 1000).length;
    // The monitor reports the last full window; a window that ended inside the flood covers it.
    const loopP99 = (list: readonly Probe[]) => Math.max(...list.flatMap((x) => (x.answer?.eventLoop ? [x.answer.eventLoop.delayP99Ms] : [Number.NaN])));
    const rssBefore = percentile(inWindow(probing.rss, t0, floodStart).map((x) => x.mb), 50);
    const rssDuring = Math.max(...inWindow(probing.rss, floodStart, floodEnd + 2000).map((x) => x.mb));
    const rssAfter = probing.rss.at(-1)?.mb ?? Number.NaN;

    const db = new Database(join(dataDir, 'gateway.db'), { readonly: true });
    let gapsBefore: number[];
    let gapsDuring: number[];
    let floodStored: number;
    let victimStored: number;
    try {
      const modbusPoints = Array.from({ length: modbusDevices }, (_, i) => `dev${String(i + 1).padStart(3, '0')}.p0`);
      gapsBefore = gapsOf(db, modbusPoints, t0, floodStart);
      gapsDuring = gapsOf(db, modbusPoints, floodStart, floodEnd);
      floodStored = countOf(db, 'flood.temperature', floodStart, floodEnd);
      victimStored = countOf(db, 'victim.temperature', floodStart, floodEnd);
    } finally {
      db.close();
    }
    const dbMB = ['gateway.db', 'gateway.db-wal'].reduce((sum, f) => sum + (statSync(join(dataDir, f), { throwIfNoEntry: false })?.size ?? 0), 0) / 1e6;
    const floodS = (floodEnd - floodStart) / 1000;
    const ingest = last?.mqtt?.ingest;
    const broker = last?.mqtt?.broker;
    const p50Before = latency(before, 50);
    const p99Before = latency(before, 99);
    const p50During = latency(during, 50);
    const p99During = latency(during, 99);
    const spacingP99 = percentile(gapsDuring, 99);
    const label = `${floodS.toFixed(0)} s flood, one client`;
    return [
      { name: `health latency p50, ${label}`, value: p50During, unit: 'ms', baseline: `${p50Before.toFixed(1)} ms before`, ratio: p50During / p50Before, target: `< ${HEALTH_TARGET_MS} ms`, pass: p50During < HEALTH_TARGET_MS },
      { name: `health latency p99, ${label}`, value: p99During, unit: 'ms', baseline: `${p99Before.toFixed(1)} ms before`, ratio: p99During / p99Before, target: `< ${HEALTH_TARGET_MS} ms`, pass: p99During < HEALTH_TARGET_MS },
      { name: `health checks answered within 1 s during the flood`, value: answered, unit: `of ${during.length}`, target: 'all', pass: answered === during.length },
      {
        name: `event-loop delay p99 (gateway's own monitor), ${label}`,
        value: loopP99(during),
        unit: 'ms',
        baseline: `${loopP99(before).toFixed(1)} ms before`,
        ratio: loopP99(during) / loopP99(before),
        target: `< ${HEALTH_TARGET_MS} ms`,
        pass: loopP99(during) < HEALTH_TARGET_MS,
      },
      {
        name: `Modbus poll spacing p99, ${modbusDevices} devices, ${label}`,
        value: spacingP99,
        unit: 'ms',
        baseline: `${pollIntervalMs} ms configured (p99 ${percentile(gapsBefore, 99).toFixed(0)} before)`,
        ratio: spacingP99 / pollIntervalMs,
        target: 'ratio <= 1.2',
        pass: spacingP99 / pollIntervalMs <= 1.2,
      },
      { name: 'Modbus poll spacing max during the flood', value: Math.max(...gapsDuring), unit: 'ms' },
      { name: 'gateway RSS before the flood', value: rssBefore, unit: 'MB' },
      { name: 'gateway RSS peak during the flood', value: rssDuring, unit: 'MB', baseline: 'before', ratio: rssDuring / rssBefore },
      {
        name: `gateway RSS ${(recoveryMs / 1000).toFixed(0)} s after the flood`,
        value: rssAfter,
        unit: 'MB',
        baseline: 'before',
        ratio: rssAfter / rssBefore,
        target: 'ratio <= 1.2',
        pass: rssAfter / rssBefore <= 1.2,
      },
      { name: 'messages the broker took from clients', value: broker?.messagesIn ?? Number.NaN, unit: 'messages' },
      { name: 'publishes held back (over its rate or past its turn: the broker stopped reading it)', value: broker?.publishThrottled ?? Number.NaN, unit: 'messages' },
      { name: 'ingest: messages reaching the ingest', value: ingest?.messages ?? Number.NaN, unit: 'messages' },
      { name: 'ingest: values taken', value: ingest?.values ?? Number.NaN, unit: 'values' },
      { name: 'ingest: refused as rate-limited', value: ingest?.rejected['rate-limited'] ?? Number.NaN, unit: 'messages' },
      { name: 'flooding point: readings stored during the flood', value: floodStored / floodS, unit: 'per s' },
      {
        name: 'well-behaved sensor: readings stored during the flood',
        value: victimStored / floodS,
        unit: 'per s',
        baseline: `${1000 / VICTIM_EVERY_MS}/s published`,
        ratio: victimStored / floodS / (1000 / VICTIM_EVERY_MS),
        target: 'ratio >= 0.9',
        pass: victimStored / floodS / (1000 / VICTIM_EVERY_MS) >= 0.9,
      },
      { name: 'database size at the end', value: dbMB, unit: 'MB' },
      { name: 'gateway still running after the flood', value: gatewayAlive ? 1 : 0, unit: '', target: '1', pass: gatewayAlive },
    ];
  } finally {
    clearInterval(victim.timer);
    await victim.client?.endAsync(true).catch(() => undefined);
    await children.stopAll();
    temp.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const children = createChildGroup();
  try {
    // BENCH_CLI: a build elsewhere than dist/ (a private build while others edit the tree)
    printTable(await benchMqttFlood({ children, cli: process.env.BENCH_CLI ?? builtCli() }));
  } finally {
    await children.dispose();
  }
}
