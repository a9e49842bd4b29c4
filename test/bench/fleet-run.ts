/**
 * A fleet on one machine, as docs/fleet.md describes it: N gateway processes (small sites, distinct
 * ids) poll a shared simulator and push into a 3-node NATS JetStream cluster (one R3 stream for the
 * fleet) and into VictoriaMetrics (remote_write). Halfway through, one NATS node is killed and
 * started again. At the end the simulator stops, every gateway drains, and each gateway's store is
 * compared with what the engines hold: every committed seq exactly once in the stream, every
 * numeric reading once in VictoriaMetrics (after its dedup), readings/s and per-gateway lag.
 *
 * Run: `npm run fleet` (options: --gateways 20 --seconds 120). Needs nats-server and victoria-metrics.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { jetstreamManager } from '@nats-io/jetstream';
import { startNats } from '../helpers/nats-server.js';
import { readStream } from '../helpers/nats-stream-reader.js';
import { startVictoriaMetrics } from '../helpers/victoria-metrics.js';
import { sampleValue } from '../../sync/tsdb/numeric-samples.js';
import type { Reading } from '../../core/types.js';
import { decodeQuality, decodeValue } from '../../gateway/store/value-codec.js';
import { createChildGroup, type BenchChild } from './child-group.js';
import { freePorts } from './free-ports.js';
import { builtCli, createHealthToken, startGatewayProcess, startSimulator, waitForDevicesUp } from './gateway-processes.js';
import { benchSite, mixedPoints, writeBenchSite } from './site-generator.js';

const STREAM = 'FLEET';
const PREFIX = 'fleet';
const DEVICES = 4;
const POINTS = mixedPoints(25);

interface Member {
  id: string;
  dir: string;
  httpPort: number;
  token: string;
  child: BenchChild;
  /** the largest oldest-unsent age seen per target, seconds */
  maxLagS: Record<string, number>;
}

interface TargetView {
  id: string;
  streams: Record<string, { depth: number; lastSeq: number; oldestUnsentAgeS: number | null } | undefined>;
  lastError: { message: string } | null;
}

async function syncTargets(m: Member): Promise<TargetView[]> {
  const res = await fetch(`http://127.0.0.1:${m.httpPort}/api/v1/health`, { headers: { authorization: `Bearer ${m.token}` } });
  if (!res.ok) throw new Error(`${m.id}: health answered ${res.status}`);
  const body = (await res.json()) as { sync?: { targets: TargetView[] } };
  return body.sync?.targets ?? [];
}

function backlog(t: TargetView): number {
  return Object.values(t.streams).reduce((n, s) => n + (s?.depth ?? 0), 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { gateways: { type: 'string', default: '20' }, seconds: { type: 'string', default: '120' } } });
  const gateways = Number(values.gateways);
  const seconds = Number(values.seconds);
  const cli = builtCli();
  const children = createChildGroup();
  const temp = mkdtempSync(join(tmpdir(), 'fleet-'));
  const nats = await startNats({ nodes: 3 });
  const vm = await startVictoriaMetrics();
  try {
    // The operator's stream for the whole fleet: replicated on all three nodes, a 2-minute duplicate
    // window (longer than any gateway's retry wait), every gateway's subjects.
    const admin = await nats.client();
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: STREAM, subjects: [`${PREFIX}.>`], num_replicas: 3, duplicate_window: 120e9 });

    const [simPort, controlPort, simHttp, ...httpPorts] = await freePorts(3 + gateways);
    const simDir = join(temp, 'simulator');
    mkdirSync(simDir);
    const simFile = writeBenchSite(simDir, { dataDir: join(simDir, 'data'), httpPort: simHttp!, modbusPorts: [simPort!], devices: DEVICES, points: POINTS, pollIntervalMs: 1000 });
    await startSimulator(children, cli, simFile, controlPort!);

    const members: Member[] = [];
    for (let g = 0; g < gateways; g++) {
      const id = `site-${String(g + 1).padStart(3, '0')}`;
      const dir = join(temp, id);
      mkdirSync(dir);
      const opts = { gatewayId: id, dataDir: join(dir, 'data'), httpPort: httpPorts[g]!, modbusPorts: [simPort!], devices: DEVICES, points: POINTS, pollIntervalMs: 1000 };
      const site = {
        ...benchSite(opts),
        sync: {
          targets: [
            { id: 'bus', kind: 'nats', servers: nats.urls, subjectPrefix: PREFIX, stream: STREAM, retryMaxMs: 5000 },
            { id: 'tsdb', kind: 'prometheus', url: `${vm.url}/api/v1/write`, retryMaxMs: 5000 },
          ],
        },
      };
      const file = writeBenchSite(dir, opts, site);
      const token = createHealthToken(cli, file);
      members.push({ id, dir, httpPort: opts.httpPort, token, child: startGatewayProcess(children, cli, file), maxLagS: {} });
    }
    await Promise.all(members.map((m) => waitForDevicesUp(m.child, m.httpPort, DEVICES, 60_000)));
    console.log(`${gateways} gateways up, ${DEVICES * POINTS.length} points each at 1 s; running ${seconds} s`);

    const readingSeqs = async () => (await Promise.all(members.map((m) => syncTargets(m)))).reduce((n, v) => n + (v[0]?.streams.readings?.lastSeq ?? 0), 0);
    const seqAtStart = await readingSeqs();
    const started = Date.now();
    const restartAt = started + (seconds * 1000) / 2;
    let restarted = false;
    while (Date.now() - started < seconds * 1000) {
      if (!restarted && Date.now() >= restartAt) {
        restarted = true;
        const node = nats.nodes[1]!;
        console.log(`killing NATS node ${node.name} (SIGKILL), starting it again in 10 s`);
        await node.stop(true);
        setTimeout(() => void node.start().then(() => console.log(`NATS node ${node.name} back`)), 10_000);
      }
      await Promise.all(
        members.map(async (m) => {
          for (const t of await syncTargets(m).catch(() => [])) {
            const age = Math.max(0, ...Object.values(t.streams).map((s) => s?.oldestUnsentAgeS ?? 0));
            m.maxLagS[t.id] = Math.max(m.maxLagS[t.id] ?? 0, age);
          }
        }),
      );
      await sleep(2000);
    }
    const runS = (Date.now() - started) / 1000;
    const readingsInRun = (await readingSeqs()) - seqAtStart;

    // Quiesce: the devices go quiet (each gateway records them down), then every gateway drains
    // both targets and its last seq stays put for a few seconds.
    await children.running().find((c) => c.name === 'simulator')?.stop();
    const drainStart = Date.now();
    let lastSeqs = '';
    let stableSince = Date.now();
    for (;;) {
      const views = await Promise.all(members.map((m) => syncTargets(m)));
      const left = views.flat().reduce((n, t) => n + backlog(t), 0);
      const seqs = views.map((v) => v.map((t) => Object.values(t.streams).map((x) => x?.lastSeq).join('/')).join(',')).join(';');
      if (seqs !== lastSeqs) {
        lastSeqs = seqs;
        stableSince = Date.now();
      }
      if (left === 0 && Date.now() - stableSince >= 5000) break;
      if (Date.now() - drainStart > 120_000) throw new Error(`backlog not drained after 120 s: ${left} items left`);
      await sleep(1000);
    }
    console.log(`quiet and drained ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the simulator stopped`);
    await Promise.all(members.map((m) => m.child.stop(10_000)));

    // What each gateway committed, from its own database.
    const committed = new Map<string, { readings: number; events: number; numeric: number }>();
    for (const m of members) {
      const db = new Database(join(m.dir, 'data', 'gateway.db'), { readonly: true });
      const readings = (db.prepare('SELECT max(seq) AS n FROM readings').get() as { n: number | null }).n ?? 0;
      const events = (db.prepare('SELECT max(seq) AS n FROM events').get() as { n: number | null }).n ?? 0;
      // A series keeps one sample per timestamp: count distinct (point, ts) of the readings with a number.
      const numericKeys = new Set<string>();
      const rows = db.prepare('SELECT ts, point, value, quality FROM readings').iterate() as Iterable<{ ts: number; point: number; value: unknown; quality: number }>;
      for (const row of rows) {
        const reading = { seq: 0, pointId: '', ts: row.ts, value: decodeValue(row.value, row.quality), quality: decodeQuality(row.quality) } as Reading;
        if (typeof sampleValue(reading) === 'number') numericKeys.add(`${row.point}:${row.ts}`);
      }
      const numeric = numericKeys.size;
      db.close();
      committed.set(m.id, { readings, events, numeric });
    }

    // NATS: every seq of every gateway stream exactly once.
    const contents = await readStream(admin, STREAM);
    const held = new Map<string, Map<number, number>>();
    for (const msg of contents.messages) {
      if (msg.gap) continue;
      const counts = held.get(msg.subject) ?? new Map<number, number>();
      const seq = msg.json.seq as number;
      counts.set(seq, (counts.get(seq) ?? 0) + 1);
      held.set(msg.subject, counts);
    }
    let lost = 0;
    let duplicated = 0;
    let totalReadings = 0;
    for (const m of members) {
      const c = committed.get(m.id)!;
      totalReadings += c.readings;
      for (const [stream, last] of [['readings', c.readings], ['events', c.events]] as const) {
        const counts = held.get(`${PREFIX}.${m.id}.${stream}`) ?? new Map<number, number>();
        for (let seq = 1; seq <= last; seq++) {
          const n = counts.get(seq) ?? 0;
          if (n === 0) lost++;
          if (n > 1) duplicated += n - 1;
        }
      }
    }

    // VictoriaMetrics: each gateway's numeric readings, one sample each.
    let vmMissing = 0;
    let vmExtra = 0;
    for (const m of members) {
      const series = await vm.exportSeries(`{gateway="${m.id}"}`);
      const samples = series.reduce((n, s) => n + s.values.length, 0);
      const want = committed.get(m.id)!.numeric;
      if (samples < want) vmMissing += want - samples;
      else vmExtra += samples - want;
    }

    // Per gateway: its largest oldest-unsent age over the run; then the median and worst gateway.
    const perGateway = (k: string) => members.map((m) => m.maxLagS[k] ?? 0).sort((a, b) => a - b);
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)] ?? 0;
    console.table([
      { row: 'gateways', value: gateways },
      { row: 'run (s)', value: runS.toFixed(0) },
      { row: 'readings committed (all gateways)', value: totalReadings },
      { row: 'readings/s (all gateways, during the run)', value: Math.round(readingsInRun / runS) },
      { row: 'NATS stream messages', value: contents.messages.length },
      { row: 'NATS seqs lost', value: lost },
      { row: 'NATS seqs duplicated (after the duplicate window)', value: duplicated },
      { row: 'VictoriaMetrics samples missing', value: vmMissing },
      { row: 'VictoriaMetrics samples extra (after dedup)', value: vmExtra },
      { row: 'lag to NATS, median gateway / worst gateway (s, largest oldest-unsent age)', value: `${median(perGateway('bus'))} / ${perGateway('bus').at(-1)}` },
      { row: 'lag to VictoriaMetrics, median / worst gateway (s)', value: `${median(perGateway('tsdb'))} / ${perGateway('tsdb').at(-1)}` },
    ]);
    await admin.close();
    if (lost > 0 || duplicated > 0 || vmMissing > 0 || vmExtra > 0) process.exitCode = 1;
  } finally {
    await children.dispose();
    await nats.dispose();
    await vm.dispose();
    rmSync(temp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
