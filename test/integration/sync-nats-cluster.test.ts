/**
 * NATS JetStream push into a real 3-node cluster (routes on loopback, JetStream on each node) with a
 * replicated (R3) stream the gateway creates itself. While gateway processes push a growing backlog,
 * the stream's leader node is killed (SIGKILL) and started again, and the gateway process is killed
 * with kill -9 several times. Then a last run drains the rest. Read back with a consumer, the stream
 * must hold every committed seq exactly once, each message equal to the committed item.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import Database from 'better-sqlite3';
import { millis } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { createSync } from '../../sync/create-sync.js';
import { natsTarget } from '../helpers/nats-fixtures.js';
import { type NatsCluster, startNats } from '../helpers/nats-server.js';
import { oneTo, readStream } from '../helpers/nats-stream-reader.js';
import { peersAvailable } from '../helpers/peers.js';
import { syncSamples, syncSection, until } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const GATEWAY = 'gw-cluster';
const KILLS = 6;
const CHILD = fileURLToPath(new URL('../helpers/nats-gateway-child.ts', import.meta.url));
const temp = createTempStores('sync-nats-cluster-');
const random = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

interface Run {
  child: ChildProcess;
  started: Promise<void>;
  exited: Promise<NodeJS.Signals | null>;
}

function runGateway(file: string, urls: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, GATEWAY, ...urls], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
    void exited.then((s) => reject(new Error(`gateway child exited (${s}) before it started`)));
  });
  started.catch(() => undefined);
  return { child, started, exited };
}

describe.runIf(peersAvailable('nats-server'))('NATS JetStream push into a 3-node cluster', () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNats({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.dispose();
    temp.cleanup();
  });

  it(`keeps every committed seq exactly once across a node restart and ${KILLS} gateway kills`, { timeout: 90_000 }, async () => {
    const file = temp.file();
    // A backlog before the first run, so pushes are under way whenever a kill comes.
    const seed = temp.open(file, { commitIntervalMs: 50 });
    const samples = syncSamples(30_000);
    for (let i = 0; i < samples.length; i += 1000) seed.append(samples.slice(i, i + 1000));
    seed.appendEvent('alarm.raised', { seeded: true });
    seed.close();

    const nc = await cluster.client();
    const jsm = await jetstreamManager(nc);
    let killedNode: string | undefined;
    // Kills after which the stream held messages the gateway had not seen acknowledged: the next
    // run sends them again, and only the duplicate window keeps them single.
    let unackedAtKill = 0;
    const acked = () => {
      const db = new Database(file, { readonly: true });
      try {
        return Number(db.prepare('SELECT coalesce(sum(acked_seq), 0) FROM sync_cursors').pluck().get());
      } finally {
        db.close();
      }
    };
    // The test's own look at the stream, retried: right after a node is killed the stream may be electing a leader.
    const streamInfo = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await jsm.streams.info('FACILITY');
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    try {
      for (let round = 0; round < KILLS; round++) {
        const run = runGateway(file, cluster.urls);
        await run.started;
        await new Promise((r) => setTimeout(r, random(400, 1500)));
        if (round === 1) {
          // The stream's leader goes down hard while the gateway publishes to it.
          const info = await streamInfo();
          expect(info.config.num_replicas).toBe(3);
          expect(millis(info.config.max_age)).toBe(3_600_000);
          expect(millis(info.config.duplicate_window)).toBe(20_000);
          killedNode = info.cluster?.leader;
          await cluster.nodes.find((n) => n.name === killedNode)!.stop(true);
          await new Promise((r) => setTimeout(r, random(300, 800)));
        }
        if (round === 3) await cluster.nodes.find((n) => n.name === killedNode)!.start();
        run.child.kill('SIGKILL');
        expect(await run.exited).toBe('SIGKILL');
        if ((await streamInfo()).state.messages > acked()) unackedAtKill++;
      }
      expect(killedNode).toBeDefined();

      // The last run records nothing new: the backlog drains, then a clean stop.
      const store = temp.open(file);
      const sync = await createSync({
        config: syncSection([natsTarget(cluster.urls, { batchItems: 1000, timeoutMs: 1500 })]),
        gatewayId: GATEWAY,
        version: '9.9.9',
        startedAt: Date.now(),
        store,
        logger: silentLogger,
      });
      sync.start();
      const t = () => sync.health().targets[0]!;
      await until(() => t().streams.readings?.depth === 0 && t().streams.events?.depth === 0, 45_000, 'the backlog to drain');
      await sync.stop();
      const { lastReadingSeq, lastEventSeq } = store.stats();

      const got = await readStream(nc, 'FACILITY');
      const info = await streamInfo();
      console.info(
        `NATS cluster: ${KILLS} gateway kills, leader ${killedNode} killed and restarted; ${lastReadingSeq} readings and ${lastEventSeq} events committed; ` +
          `${unackedAtKill} kills with published but unacknowledged messages; stream: ${info.state.messages} messages, replicas ${info.cluster?.replicas?.map((r) => `${r.name}${r.current ? '' : ' (behind)'}`).join(', ')}`,
      );
      const missing = (have: number[] | undefined, last: number) => {
        const set = new Set(have);
        return oneTo(last).filter((seq) => !set.has(seq));
      };
      const lost = { readings: missing(got.seqs.readings, lastReadingSeq), events: missing(got.seqs.events, lastEventSeq) };
      if (lost.readings.length + lost.events.length > 0) {
        // What the servers said about it: a lost message is the engine's (see docs/sync-protocol.md §12).
        const said = cluster.nodes.flatMap((n) => n.log().split('\n').filter((l) => /\[(WRN|ERR)\]/.test(l)).map((l) => `${n.name}: ${l}`));
        console.error(`missing ${JSON.stringify(lost)}; stream state ${JSON.stringify(info.state)}\n${said.slice(-40).join('\n')}`);
      }
      expect(lost).toEqual({ readings: [], events: [] });
      // The backlog grew while the gateways ran (30 000 were there before the first).
      expect(lastReadingSeq).toBeGreaterThan(35_000);
      expect(unackedAtKill).toBeGreaterThan(0);
      expect(got.duplicates).toEqual({});
      expect(got.mismatchedIds).toEqual([]);
      expect(got.seqs.readings?.slice().sort((a, b) => a - b)).toEqual(oneTo(lastReadingSeq));
      expect(got.seqs.events?.slice().sort((a, b) => a - b)).toEqual(oneTo(lastEventSeq));
      expect(info.state.messages).toBe(lastReadingSeq + lastEventSeq);

      const rows = store.readingsAfter(0, lastReadingSeq);
      const bySeq = new Map(got.messages.filter((m) => m.subject.endsWith('.readings')).map((m) => [m.json.seq as number, m.json]));
      const differing = rows.filter((r) => {
        const m = bySeq.get(r.seq);
        return !m || m.point !== r.pointId || m.ts !== r.ts || m.value !== r.value || m.quality !== r.quality;
      });
      expect(differing.slice(0, 3)).toEqual([]);
    } finally {
      await nc.close();
    }
  });
});
