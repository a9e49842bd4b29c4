/**
 * The gateway as shipped (`gateway run` in a child process) polls a simulated Modbus site and
 * pushes to a real receiver over loopback, and is killed with SIGKILL 20+ times at random moments:
 * during start-up, ingest, and batches in flight. Then a last run with no devices drains the rest.
 * The receiver's de-duplicated set must equal every seq the database committed: none missing,
 * none changed on a resend, in order.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../config/index.js';
import { startSimulatedSite, type SimulatedSite } from '../../drivers/modbus/simulator/index.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { until } from '../helpers/sync-fixtures.js';
import { type Receiver, startReceiver } from '../helpers/sync-receiver.js';
import { createTempStores } from '../helpers/temp-store.js';

const ROUNDS = 22;
const CLI = join(REPO_ROOT, 'app', 'cli.ts');
const TOKEN = 'kill9-receiver-token';

let dir: string;
let receiver: Receiver;
let site: SimulatedSite | undefined;

async function siteConfig(withDevices: boolean): Promise<string> {
  const devices: string[] = [];
  if (withDevices) {
    const kinds = [
      ['ups', 'ups-generic'],
      ['pdu', 'pdu-generic'],
      ['hvac', 'crac-generic'],
    ] as const;
    for (let i = 0; i < 6; i++) {
      const [kind, profile] = kinds[i % 3]!;
      devices.push(
        `  - { id: dev${i}, kind: ${kind}, driver: modbus, profile: ${profile}, pollIntervalMs: 100,` +
          ` connection: { host: 127.0.0.1, port: ${await freePort()}, unitId: 1, timeoutMs: 500 } }`,
      );
    }
  }
  return [
    `gateway: { id: kill9-gw, dataDir: ${join(dir, 'data')}, logLevel: info }`,
    `http: { host: 127.0.0.1, port: 0 }`,
    'storage: { commitIntervalMs: 50, maxBatch: 2000, synchronous: normal, retention: { maxAgeDays: 0, maxSizeMB: 0 } }',
    'sync:',
    '  targets:',
    `    - { id: ems, kind: http, url: "${receiver.url}", token: ${TOKEN}, batchItems: 300, timeoutMs: 2000, retryInitialMs: 20, retryMaxMs: 200 }`,
    withDevices ? 'devices:' : 'devices: []',
    ...devices,
    '',
  ].join('\n');
}

interface Run {
  child: ChildProcess;
  started: Promise<void>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  output: () => string;
}

function runGateway(configFile: string): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', '--config', configFile], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  const started = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('"gateway started"')) resolve();
    });
    void exited.then(([code]) => reject(new Error(`gateway exited (${code}) before it started:\n${output.slice(-2000)}`)));
  });
  started.catch(() => undefined);
  return { child, started, exited, output: () => output };
}

const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sync-kill9-'));
  receiver = await startReceiver();
  receiver.behaviour.token = TOKEN;
});

afterAll(async () => {
  await site?.stop();
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('sync under kill -9', () => {
  it(`loses nothing and repeats nothing over ${ROUNDS} kills during ingest and push`, { timeout: 90_000 }, async () => {
    const liveFile = join(dir, 'site.yaml');
    writeFileSync(liveFile, await siteConfig(true));
    site = await startSimulatedSite(loadSiteConfig(liveFile).devices.filter((d) => d.driver === 'modbus'));

    const moments = { startup: 0, running: 0, pushing: 0, batchInFlight: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      // Vary the receiver: quick, slow (batches stay in flight longer), losing its answers, refusing.
      receiver.behaviour.delayMs = round % 3 === 1 ? random(30, 300) : 0;
      receiver.behaviour.dropAck = round % 5 === 3;
      receiver.behaviour.status = round % 7 === 5 ? 503 : undefined;
      const requestsBefore = receiver.stats.requests;
      const run = runGateway(liveFile);
      if (round % 4 === 0) {
        // somewhere in start-up: config, database open, first polls
        await new Promise((r) => setTimeout(r, random(100, 1500)));
        moments.startup++;
      } else {
        await run.started;
        await new Promise((r) => setTimeout(r, random(50, 1200)));
        // With a slow receiver, aim at a batch it holds: stored or not yet, never acknowledged.
        if (receiver.behaviour.delayMs) await until(() => receiver.stats.inFlight > 0, 2000, 'a batch at the receiver').catch(() => undefined);
        moments.running++;
      }
      if (receiver.stats.requests > requestsBefore) moments.pushing++;
      if (receiver.stats.inFlight > 0) moments.batchInFlight++;
      run.child.kill('SIGKILL');
      const [code, signal] = await run.exited;
      expect(signal, `round ${round}: exited by itself (${code})\n${run.output().slice(-2000)}`).toBe('SIGKILL');
    }
    await site.stop();
    site = undefined;

    // The last run has no devices: nothing new is recorded, the backlog drains, then a clean stop.
    receiver.behaviour = { token: TOKEN };
    const drainFile = join(dir, 'drain.yaml');
    writeFileSync(drainFile, await siteConfig(false));
    const db = new Database(join(dir, 'data', 'gateway.db'), { readonly: true });
    const lastSeq = () => Number(db.prepare("SELECT value FROM meta WHERE key = 'readings_hwm'").pluck().get());
    const drain = runGateway(drainFile);
    await drain.started;
    await until(() => receiver.last.readings >= lastSeq() && lastSeq() > 0, 30_000, 'the backlog to drain').catch((err: Error) => {
      throw new Error(`${err.message}: receiver at ${receiver.last.readings}, database at ${lastSeq()}\n${drain.output().slice(-2000)}`);
    });
    // `gateway run` installs its SIGTERM handler only after it logged "gateway started"; a SIGTERM
    // in between ends it at once (harmless, but this run is meant to stop cleanly).
    await new Promise((r) => setTimeout(r, 300));
    drain.child.kill('SIGTERM');
    const [drainCode, drainSignal] = await drain.exited;
    expect(`${drainCode} ${drainSignal}`, drain.output().slice(-3000)).toBe('0 null');

    const committed = db.prepare('SELECT count(*), min(seq), max(seq) FROM readings').raw().get() as [number, number, number];
    db.close();
    console.info(
      `kill -9: ${ROUNDS} kills (${moments.startup} in start-up, ${moments.running} while running, ${moments.pushing} after pushes began, ` +
        `${moments.batchInFlight} with a batch at the receiver); ` +
        `${committed[0]} readings committed; receiver: ${receiver.stats.batches} batches, ${receiver.stats.duplicates} duplicates dropped`,
    );
    expect(moments.pushing).toBeGreaterThan(ROUNDS / 2);
    expect(moments.batchInFlight).toBeGreaterThan(2);
    expect(committed[0]).toBeGreaterThan(1000);
    expect(committed[0]).toBe(committed[2]);
    expect(receiver.anomalies).toEqual([]);
    expect(receiver.last.readings).toBe(committed[2]);
    expect(receiver.order.readings).toEqual(Array.from({ length: committed[2] }, (_, i) => i + 1));

    // And each received reading is the committed one, not merely one with the same seq.
    const temp = createTempStores('sync-kill9-check-');
    try {
      const store = temp.open(join(dir, 'data', 'gateway.db'));
      const rows = store.readingsAfter(0, committed[0]);
      const mismatched = rows.filter((r) => {
        const got = receiver.items.readings.get(r.seq);
        return !got || got.point !== r.pointId || got.ts !== r.ts || got.value !== r.value || got.quality !== r.quality;
      });
      expect(mismatched.slice(0, 5)).toEqual([]);
    } finally {
      temp.cleanup();
    }
  });
});
