/**
 * Live configuration of alarms and sync targets on a running gateway (real Modbus server, a real
 * HTTP receiver that de-duplicates by seq, the admin API): an alarm limit changed while the alarm
 * is active returns it on the next reading while the other alarm keeps its state; a sync target's
 * batch size changed in the middle of a backlog drains the backlog with the new size and no seq lost
 * or stored twice; a change that points the target at a dead address is undone by the guard by
 * itself, with the reason in the `config.rolled-back` event; a write block added live is what the
 * next write is checked against. The devices keep their poll slots through the alarm changes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../app/start-gateway.js';
import { loadSiteConfig } from '../../config/index.js';
import { silentLogger } from '../../core/logger.js';
import { openAuthDb } from '../../gateway/auth/index.js';
import { createTokenStore } from '../../gateway/auth/tokens.js';
import { waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { peersAvailable } from '../helpers/peers.js';
import { type PymodbusPeer, startPymodbus } from '../helpers/pymodbus.js';
import { type Receiver, startReceiver } from '../helpers/sync-receiver.js';

const RUN = peersAvailable('pymodbus');
const POLL_MS = 250;

// biome-ignore lint/suspicious/noExplicitAny: JSON replies of several shapes
type Json = any;

interface SiteParts {
  upsHi: number;
  syncUrl: string;
  batchItems: number;
  /** ups2.load's write block (none: not writable) */
  ups2Write?: string;
}

function site(modbusPort: number, p: SiteParts): string {
  const device = (id: string, unitId: number, write?: string) => `  - id: ${id}
    driver: modbus
    connection: { host: 127.0.0.1, port: ${modbusPort}, unitId: ${unitId}, timeoutMs: 1000 }
    pollIntervalMs: ${POLL_MS}
    points:
      - { key: load, table: holding, address: 0, type: uint16${write ? `, write: ${write}` : ''} }
`;
  return `gateway: { id: live-alarms, dataDir: ./data }
http: { host: 127.0.0.1, port: 0 }
storage: { commitIntervalMs: 50 }
devices:
${device('ups1', 1)}${device('ups2', 2, p.ups2Write)}alarms:
  - { id: ups1-load, point: ups1.load, hi: ${p.upsHi}, severity: major }
  - { id: ups2-load, point: ups2.load, hi: 15, severity: minor }
sync:
  targets:
    - { id: ems, kind: http, url: "${p.syncUrl}", batchItems: ${p.batchItems}, retryInitialMs: 200, retryMaxMs: 1000 }
`;
}

describe.skipIf(!RUN)('alarms and sync targets changed live', () => {
  let dir: string;
  let peer: PymodbusPeer;
  let receiver: Receiver;
  let gateway: RunningGateway;
  let token: string;
  let parts: SiteParts;

  const call = async (method: string, path: string, body?: string, type = 'application/yaml'): Promise<{ status: number; body: Json }> => {
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      ...(body !== undefined && { body }),
    });
    return { status: res.status, body: await res.json() };
  };
  const apply = (changes: Partial<SiteParts>, query = '') => {
    parts = { ...parts, ...changes };
    return call('POST', `/api/v1/config${query}`, site(peer.port!, parts));
  };
  const alarm = async (id: string) => (await call('GET', `/api/v1/alarms/${id}`)).body;
  const events = async (type: string) => (await call('GET', '/api/v1/events?limit=1000')).body.items.filter((e: Json) => e.type === type);
  const target = async () => (await call('GET', '/api/v1/health')).body.sync.targets[0];
  /** Stored readings of a point over [from, to] from the gateway's own database. */
  function readingTimes(point: string, from: number, to: number): number[] {
    const db = new Database(join(dir, 'data', 'gateway.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare('SELECT r.ts AS ts FROM readings r JOIN points p ON p.id = r.point WHERE p.name = ? AND r.ts BETWEEN ? AND ? ORDER BY r.ts')
        .all(point, from, to) as { ts: number }[];
      return rows.map((r) => r.ts);
    } finally {
      db.close();
    }
  }
  const lastReadingSeq = (): number => {
    const db = new Database(join(dir, 'data', 'gateway.db'), { readonly: true, fileMustExist: true });
    try {
      return Number(db.prepare('SELECT max(seq) FROM readings').pluck().get());
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    const unit = (value: number) => ({ holding: [{ address: 0, type: 'uint16' as const, value }] });
    peer = await startPymodbus({ transport: 'tcp' }, { 1: unit(10), 2: unit(20) });
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'gw-live-alarms-'));
    const file = join(dir, 'site.yaml');
    parts = { upsHi: 5, syncUrl: receiver.url, batchItems: 5 };
    writeFileSync(file, site(peer.port!, parts));
    const config = loadSiteConfig(file);
    mkdirSync(config.gateway.dataDir, { recursive: true });
    const authDb = openAuthDb(join(config.gateway.dataDir, 'auth.db'));
    token = createTokenStore(authDb).create('live-admin', 'admin').token;
    authDb.close();
    gateway = await startGateway(config, { logger: silentLogger, version: 'test', firstAdmin: false });
    await waitFor(async () => ((await alarm('ups2-load.hi')).state === 'unack' ? true : undefined), 15_000, 'the first raises');
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await receiver?.close();
    await peer?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an active alarm whose limit is raised above the value returns at once; the untouched alarm keeps its state', async () => {
    expect(await alarm('ups1-load.hi')).toMatchObject({ state: 'unack', active: true, value: 10 });
    await call('POST', '/api/v1/alarms/ups2-load.hi/ack', JSON.stringify({ comment: 'seen' }), 'application/json');
    const ups2 = await alarm('ups2-load.hi');
    expect(ups2).toMatchObject({ state: 'acked' });

    const before = Date.now();
    const { status, body } = await apply({ upsHi: 50 }, '?guardS=0');
    expect([status, body.applied]).toEqual([200, true]);
    expect(body.summary).toEqual(['alarms: ~ ups1-load (levels)']);
    const returned = await waitFor(async () => {
      const a = await alarm('ups1-load.hi');
      return a.state === 'rtn-unack' ? a : undefined;
    }, 5_000, 'ups1-load.hi to return');
    expect(returned.active).toBe(false);
    // ups2's alarm was not touched: same raise, same acknowledgement
    expect(await alarm('ups2-load.hi')).toMatchObject({ state: 'acked', raisedAt: ups2.raisedAt, ackedAt: ups2.ackedAt });
    const transitions = (await events('alarm.returned')).map((e: Json) => e.data.alarmId);
    expect(transitions).toEqual(['ups1-load.hi']);
    // lowered again below the value: raised again on the next reading
    await apply({ upsHi: 8 }, '?guardS=0');
    await waitFor(async () => ((await alarm('ups1-load.hi')).state === 'unack' ? true : undefined), 5_000, 'the raise at the new limit');

    // the devices kept every poll slot through both applies
    await new Promise((r) => setTimeout(r, 1_000));
    for (const point of ['ups1.load', 'ups2.load']) {
      const times = readingTimes(point, before - 1_000, Date.now());
      const worstGap = Math.max(...times.slice(1).map((t, i) => t - times[i]!));
      expect(worstGap, point).toBeLessThan(POLL_MS * 2 + 100);
    }
  });

  it("changes a sync target's batch size in the middle of a backlog: drained with the new size, nothing lost or stored twice", async () => {
    await waitFor(async () => ((await target()).lastSuccess !== null ? true : undefined), 10_000, 'the first acked batch');
    // the receiver is down for a while: a backlog builds (two devices at 4 readings a second each)
    await receiver.down();
    await new Promise((r) => setTimeout(r, 4_000));
    receiver.behaviour = { delayMs: 150 };
    await receiver.up();
    const countsBefore = receiver.batchCounts.length;
    await waitFor(() => (receiver.batchCounts.length >= countsBefore + 3 ? true : undefined), 10_000, 'a few batches of the backlog');
    const backlog = lastReadingSeq() - receiver.last.readings;
    expect(backlog).toBeGreaterThan(15);
    expect(Math.max(...receiver.batchCounts.slice(countsBefore))).toBeLessThanOrEqual(5);

    const { body } = await apply({ batchItems: 40 }, '?guardS=0');
    expect(body.applied).toBe(true);
    expect(body.summary).toEqual(['syncTargets: ~ ems (batchItems)']);
    const countsAfter = receiver.batchCounts.length;
    const end = lastReadingSeq();
    await waitFor(() => (receiver.last.readings >= end ? true : undefined), 20_000, 'the backlog drained');
    const after = receiver.batchCounts.slice(countsAfter);
    expect(Math.max(...after)).toBeGreaterThan(5);
    expect(Math.max(...after)).toBeLessThanOrEqual(40);
    expect((await target()).batchItems).toBe(40);
    // every readings seq from 1 on, each stored once, and no anomaly (hole, changed content)
    expect(receiver.anomalies).toEqual([]);
    const seqs = receiver.order.readings;
    expect(seqs.slice(0, end)).toEqual(Array.from({ length: end }, (_, i) => i + 1));
  });

  it('a change that makes the target unreachable is rolled back by the guard, with the reason', async () => {
    receiver.behaviour = {};
    const deadUrl = `http://127.0.0.1:${await freePort()}/ingest`;
    const { body } = await apply({ syncUrl: deadUrl }, '?guardS=30');
    expect(body.applied).toBe(true);
    const rolledBack = await waitFor(async () => (await events('config.rolled-back'))[0], 15_000, 'the automatic rollback');
    expect(rolledBack.data).toMatchObject({ who: 'guard', to: body.version - 1 });
    expect(rolledBack.data.reason).toBe(`sync target ems could no longer be reached within the guard time after version ${body.version}`);
    parts.syncUrl = receiver.url;
    // running the receiver's URL again: readings arrive there again
    await waitFor(async () => ((await target()).url === new URL(receiver.url).origin ? true : undefined), 5_000, 'the target back on its URL');
    const seen = receiver.last.readings;
    await waitFor(() => (receiver.last.readings > seen ? true : undefined), 10_000, 'readings flowing again');
    expect(receiver.anomalies).toEqual([]);
  });

  it('a write block added live: the next write is checked against it and verified', async () => {
    const write = (value: number) => call('POST', '/api/v1/points/ups2.load/write', JSON.stringify({ value, comment: 'live test' }), 'application/json');
    expect((await write(42)).body).toMatchObject({ result: 'refused', reason: 'not-writable' });
    const { body } = await apply({ ups2Write: '{ min: 0, max: 50 }' }, '?guardS=0');
    expect(body.summary).toEqual(['devices: ~ ups2 (points)']);
    await waitFor(async () => ((await call('GET', '/api/v1/devices/ups2')).body.status === 'up' ? true : undefined), 10_000, 'ups2 polling again');
    expect((await write(60)).body).toMatchObject({ result: 'refused', reason: 'out-of-range' });
    expect((await write(42)).body).toMatchObject({ result: 'verified', readBack: 42 });
  });
});
