/**
 * MQTT ingest throughput, end to end: a publisher process → the embedded broker (aedes) → the
 * ingest driver (in-process subscription, JSON decode) → the sampler's push path → committed in
 * SQLite. Baseline in the same run: raw aedes QoS 0 delivery from the same publisher to a plain
 * mqtt.js subscriber. Run alone: `npx tsx test/bench/mqtt-ingest.ts`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt from 'mqtt';
import { Secret } from '../../core/secret.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../drivers/mqtt/embedded-broker.js';
import { createMqttDriver } from '../../drivers/mqtt/driver.js';
import { createMqttIngest } from '../../drivers/mqtt/ingest.js';
import type { MqttDeviceLike } from '../../drivers/mqtt/point.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler } from '../../gateway/sampler.js';
import { createStore } from '../../gateway/store/index.js';
import { type BenchRow, printTable } from './bench-row.js';
import { createTempDir } from './temp-dir.js';

export interface MqttBenchOptions {
  /** messages per run (default 200 000) */
  messages?: number;
  /** each variant runs this many times, interleaved; the best run counts (default 2) */
  rounds?: number;
}

const TARGET = 0.7;
const RACKS = 100;

export interface Publisher {
  /** publishes `count` messages; resolves with the time the first one left (ms since the epoch) */
  run(count: number): Promise<number>;
  stop(): void;
}

/** The publisher child on `topics` topics (`bench/rack/r000/env`, ...). */
export function startPublisher(port: number, topics = RACKS): Publisher {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  const child: ChildProcess = fork(join(here, '..', `mqtt-publisher-child.${ts ? 'ts' : 'js'}`), [String(port), String(topics)], {
    execArgv: ts ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    run(count) {
      return new Promise((resolve, reject) => {
        const onMessage = (m: { started?: number; error?: string }) => {
          if (m.error) reject(new Error(`publisher: ${m.error}`));
          if (m.started !== undefined) {
            child.off('message', onMessage);
            resolve(m.started);
          }
        };
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`publisher exited (${code})`)));
        child.send({ count });
      });
    },
    stop: () => {
      child.kill('SIGKILL');
    },
  };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`mqtt bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function rackDevices(): MqttDeviceLike[] {
  return Array.from({ length: RACKS }, (_, i) => {
    const rack = `r${String(i).padStart(3, '0')}`;
    const point = (key: string) => ({
      id: `rack-${rack}.${key}`,
      key,
      name: key,
      topic: `bench/rack/${rack}/env`,
      filter: 'bench/rack/+/env',
      path: key,
      type: 'number' as const,
      staleAfterMs: 0,
    });
    return { id: `rack-${rack}`, driver: 'mqtt', maxPayloadBytes: 65536, retained: 'accept', points: [point('temperature'), point('humidity')] };
  });
}

/** Publisher → aedes → an mqtt.js subscriber over TCP, counting messages. */
async function rawRun(broker: EmbeddedBroker, count: number): Promise<number> {
  const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    clientId: `bench-sub-${process.pid}`,
    username: 'bench-sub',
    password: 'bench',
  });
  try {
    await sub.subscribeAsync('bench/#', { qos: 0 });
    let received = 0;
    let last = 0;
    sub.on('message', () => {
      received += 1;
      if (received === count) last = Date.now();
    });
    const publisher = startPublisher(broker.port!);
    try {
      const started = await publisher.run(count);
      await until(() => received >= count, 120_000, 'raw delivery');
      return count / ((last - started) / 1000);
    } finally {
      publisher.stop();
    }
  } finally {
    await sub.endAsync(true);
  }
}

/** Publisher → aedes → an in-process subscription that only counts: the ingest's path without its work. */
async function inProcessRun(broker: EmbeddedBroker, count: number): Promise<number> {
  let received = 0;
  let last = 0;
  const unsubscribe = await broker.subscribe('bench/#', () => {
    received += 1;
    if (received === count) last = Date.now();
  });
  const publisher = startPublisher(broker.port!);
  try {
    const started = await publisher.run(count);
    await until(() => received >= count, 120_000, 'in-process delivery');
    return count / ((last - started) / 1000);
  } finally {
    publisher.stop();
    await unsubscribe();
  }
}

/** Publisher → aedes → ingest driver → sampler push → store, until the last sample is committed. */
async function endToEndRun(broker: EmbeddedBroker, count: number, dir: string, round: number): Promise<number> {
  const devices = rackDevices();
  const store = createStore({
    file: join(dir, `e2e-${round}.db`),
    // the gateway's defaults: a commit is on disk before it counts
    synchronous: 'full',
    commitIntervalMs: 200,
    maxBatch: 5000,
    retention: { maxAgeDays: 0, maxSizeMB: 0 },
    logger: silentLogger,
  });
  const ingest = createMqttIngest({ devices, broker, gatewayId: 'bench', logger: silentLogger });
  const sampler = createSampler({
    devices: devices.map((d) => ({ driver: createMqttDriver(d, { ingest }), pollIntervalMs: 1000, pointIds: d.points.map((p) => p.id) })),
    sink: (s) => store.append(s),
    logger: silentLogger,
  });
  let committed = 0;
  let last = 0;
  const expected = count * 2;
  const off = store.onCommit((batch) => {
    committed += batch.readings.length;
    if (committed >= expected && last === 0) last = Date.now();
  });
  try {
    sampler.start();
    await until(() => sampler.status().every((s) => s.state !== 'connecting'), 10_000, 'the devices to subscribe');
    const publisher = startPublisher(broker.port!);
    try {
      const started = await publisher.run(count);
      await until(() => last > 0, 120_000, 'the commits');
      const bad = ingest.health().ingest.rejected;
      if (Object.values(bad).some((n) => n > 0)) throw new Error(`mqtt bench: input refused: ${JSON.stringify(bad)}`);
      return count / ((last - started) / 1000);
    } finally {
      publisher.stop();
    }
  } finally {
    off();
    await sampler.stop();
    await ingest.close();
    store.close();
  }
}

export async function benchMqtt(options: MqttBenchOptions = {}): Promise<BenchRow[]> {
  const count = options.messages ?? 200_000;
  const rounds = options.rounds ?? 2;
  const temp = createTempDir('gw-bench-mqtt-');
  const broker = await startEmbeddedBroker({
    config: {
      enabled: true,
      host: '127.0.0.1',
      port: 0,
      allowAnonymous: true,
      anonymousPublish: ['#'],
      users: [{ username: 'bench-sub', password: { secret: new Secret('bench') }, publish: [], subscribe: ['bench/#'] }],
    },
  });
  try {
    let raw = 0;
    let inProcess = 0;
    let e2e = 0;
    for (let round = 0; round < rounds; round++) {
      raw = Math.max(raw, await rawRun(broker, count));
      inProcess = Math.max(inProcess, await inProcessRun(broker, count));
      e2e = Math.max(e2e, await endToEndRun(broker, count, temp.path, round));
    }
    return [
      { name: 'raw aedes QoS0 publisher -> broker -> mqtt.js subscriber', value: raw, unit: 'msg/s' },
      // the stricter reference: the same in-process path as the ingest, doing nothing with the messages
      { name: 'raw aedes QoS0 publisher -> broker -> in-process counter', value: inProcess, unit: 'msg/s' },
      {
        name: 'mqtt ingest: publisher -> embedded broker -> driver -> SQLite (FULL, committed)',
        value: e2e,
        unit: 'msg/s',
        baseline: 'raw aedes QoS0',
        ratio: e2e / raw,
        target: `ratio >= ${TARGET}`,
        pass: e2e / raw >= TARGET,
      },
      {
        name: 'mqtt ingest (same run) vs the in-process counter',
        value: e2e,
        unit: 'msg/s',
        baseline: 'aedes in-process',
        ratio: e2e / inProcess,
      },
      { name: 'mqtt ingest: readings committed (2 points per message)', value: e2e * 2, unit: 'readings/s' },
    ];
  } finally {
    await broker.close();
    temp.remove();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printTable(await benchMqtt());
}
