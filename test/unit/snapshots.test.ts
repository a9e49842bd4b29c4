/**
 * Event snapshots on a real store file and a real snapshots.db, with fake time: the window bounds,
 * the rows from before the raise, the rows appended after it, the close and its event, retention
 * apart from the store's, keepDays after the acknowledgement and the size budget.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { Sample } from '../../core/types.js';
import { createSnapshotService, type SnapshotEngine } from '../../gateway/snapshots/snapshot-service.js';
import type { SnapshotSettings } from '../../gateway/snapshots/types.js';
import type { Store } from '../../gateway/store/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const T = Date.UTC(2026, 0, 10, 12, 0, 0);
const S = 1000;
const MIN = 60 * S;
const DEVICES: Record<string, string[]> = {
  ups1: ['ups1.load', 'ups1.battery'],
  pdu1: ['pdu1.current'],
  far: ['far.temp'],
};
const SETTINGS: SnapshotSettings = { enabled: true, severities: ['critical', 'major'], beforeMin: 10, afterMin: 5, keepDays: 30, maxMB: 50 };

const stores = createTempStores('snapshots-');
let engines: SnapshotEngine[] = [];
afterEach(() => {
  for (const e of engines) e.stop();
  engines = [];
  stores.cleanup();
});

function setup(settings: Partial<SnapshotSettings> = {}, storeRetention?: { maxAgeDays: number; maxSizeMB: number }) {
  const dir = stores.dir();
  const store = stores.open(join(dir, 'gateway.db'), storeRetention ? { retention: storeRetention } : {});
  const clock = { now: T };
  const engine = createSnapshotService({
    file: join(dir, 'snapshots.db'),
    settings: { ...SETTINGS, ...settings },
    store,
    devicePoints: (id) => DEVICES[id] ?? [],
    topology: { linkedDevices: (id) => (id === 'ups1' ? ['pdu1', 'utility-a'] : []) },
    pointInfo: (p) => ({ name: `name of ${p}`, unit: p.endsWith('temp') ? '°C' : 'A' }),
    alarmOf: (id) => (id === 'ups1.on-battery' ? { point: 'ups1.battery', device: 'ups1' } : undefined),
    logger: silentLogger,
    now: () => clock.now,
    tickMs: 0,
  });
  engine.start();
  engines.push(engine);
  return { store, engine, clock };
}

/** one sample a second of every point, ts in [from, to] */
function fill(store: Store, from: number, to: number): void {
  const samples: Sample[] = [];
  for (let ts = from; ts <= to; ts += S) {
    for (const p of Object.values(DEVICES).flat()) samples.push({ pointId: p, ts, value: (ts - T) / S, quality: 'good' });
  }
  for (let i = 0; i < samples.length; i += 900) {
    store.append(samples.slice(i, i + 900));
    store.flush();
  }
}

function raise(store: Store, id: string, severity: string, at: number, extra: Record<string, unknown> = {}): void {
  store.appendEvent('alarm.raised', { id, alarmId: id, point: 'ups1.load', device: 'ups1', severity, raisedAt: at, state: 'unack', message: `${id} raised`, ...extra }, at);
  store.flush();
}

function ack(store: Store, id: string, at: number, kind = 'alarm'): void {
  store.appendEvent(`${kind}.acked`, { id, alarmId: id, severity: 'critical', state: 'acked' }, at);
  store.flush();
}

const seriesOf = (engine: SnapshotEngine, id: string) => new Map(engine.latest('alarm', id)!.series.map((s) => [s.pointId, s]));

describe('event snapshots', () => {
  it('copies the related points from beforeMin before the raise, and nothing outside the window', () => {
    const { store, engine } = setup();
    fill(store, T - 15 * MIN, T);
    raise(store, 'ups1.load.hi', 'critical', T);
    const snap = engine.latest('alarm', 'ups1.load.hi')!;
    expect(snap).toMatchObject({ from: T - 10 * MIN, to: T + 5 * MIN, raisedAt: T, closed: false });
    // its point, its device's points, the topology-linked device's points; not the unrelated device
    expect(snap.series.map((s) => s.pointId).sort()).toEqual(['pdu1.current', 'ups1.battery', 'ups1.load']);
    for (const s of snap.series) {
      expect(s.ts[0]).toBe(T - 10 * MIN);
      expect(s.ts.at(-1)).toBe(T);
      expect(s.ts).toHaveLength(601);
      expect(s.value[0]).toBe(-600);
    }
    expect(seriesOf(engine, 'ups1.load.hi').get('ups1.load')).toMatchObject({ name: 'name of ups1.load', unit: 'A' });
    expect(snap.alarms.map((a) => a.type)).toEqual(['alarm.raised']);
  });

  it('appends the readings committed after the raise until raisedAt + afterMin, then closes with snapshot.created', () => {
    const { store, engine, clock } = setup();
    fill(store, T - 2 * MIN, T);
    raise(store, 'ups1.load.hi', 'major', T);
    fill(store, T + S, T + 7 * MIN);
    store.appendEvent('alarm.returned', { id: 'ups1.load.hi', alarmId: 'ups1.load.hi', point: 'ups1.load', device: 'ups1', severity: 'major', state: 'rtn-unack' }, T + 3 * MIN);
    store.appendEvent('alarm.raised', { id: 'far.temp.hi', alarmId: 'far.temp.hi', point: 'far.temp', device: 'far', severity: 'minor' }, T + 3 * MIN);
    store.flush();
    const load = seriesOf(engine, 'ups1.load.hi').get('ups1.load')!;
    expect(load.ts[0]).toBe(T - 2 * MIN);
    expect(load.ts.at(-1)).toBe(T + 5 * MIN);
    expect(load.ts).toHaveLength(7 * 60 + 1);
    // the alarm's own transitions; an unrelated device's alarm is not in it
    expect(engine.latest('alarm', 'ups1.load.hi')!.alarms.map((a) => `${a.type} ${a.id}`)).toEqual(['alarm.raised ups1.load.hi', 'alarm.returned ups1.load.hi']);

    clock.now = T + 5 * MIN + 1 * S;
    engine.tick();
    expect(engine.latest('alarm', 'ups1.load.hi')!.closed).toBe(false);
    clock.now = T + 5 * MIN + 3 * S;
    engine.tick();
    store.flush();
    expect(engine.latest('alarm', 'ups1.load.hi')!.closed).toBe(true);
    const created = store.eventsAfter(0, 10_000).filter((e) => e.type === 'snapshot.created');
    expect(created).toHaveLength(1);
    expect(created[0]!.data).toMatchObject({
      alarmId: 'ups1.load.hi',
      kind: 'alarm',
      from: T - 10 * MIN,
      to: T + 5 * MIN,
      rows: 3 * (7 * 60 + 1),
      pull: '/api/v1/alarms/ups1.load.hi/snapshot',
    });
    expect((created[0]!.data.points as string[]).sort()).toEqual(['pdu1.current', 'ups1.battery', 'ups1.load']);
  });

  it('takes none for severities not configured, or when disabled', () => {
    const a = setup({ severities: ['critical'] });
    fill(a.store, T - MIN, T);
    raise(a.store, 'ups1.load.hi', 'major', T);
    expect(a.engine.latest('alarm', 'ups1.load.hi')).toBeUndefined();
    const b = setup({ enabled: false });
    raise(b.store, 'ups1.load.hi', 'critical', T);
    expect(b.engine.list()).toEqual([]);
  });

  it('an incident freezes its member alarms\' devices', () => {
    const { store, engine } = setup();
    fill(store, T - MIN, T);
    store.appendEvent('incident.raised', { id: 'site-power-failure', severity: 'critical', raisedAt: T, members: ['ups1.on-battery'], state: 'unack' }, T);
    store.flush();
    const snap = engine.latest('incident', 'site-power-failure')!;
    expect(snap.series.map((s) => s.pointId).sort()).toEqual(['pdu1.current', 'ups1.battery', 'ups1.load']);
    expect(snap.series[0]!.ts).toHaveLength(61);
    expect(snap.alarms.map((a) => a.type)).toEqual(['incident.raised']);
  });

  it('keeps its rows when the store\'s retention deletes the readings', () => {
    const { store, engine, clock } = setup({}, { maxAgeDays: 1, maxSizeMB: 0 });
    fill(store, T - 10 * MIN, T + 5 * MIN);
    raise(store, 'ups1.load.hi', 'critical', T);
    clock.now = T + 6 * MIN;
    engine.tick();
    store.enforceRetention(T + 3 * 86_400_000);
    expect(store.history('ups1.load', T - 10 * MIN, T + 5 * MIN)).toEqual([]);
    expect(seriesOf(engine, 'ups1.load.hi').get('ups1.load')!.ts).toHaveLength(901);
  });

  it('drops a snapshot keepDays after its acknowledgement, never before', () => {
    const { store, engine, clock } = setup({ keepDays: 2 });
    fill(store, T - MIN, T);
    raise(store, 'ups1.load.hi', 'critical', T);
    clock.now = T + 10 * MIN;
    engine.tick();
    // unacknowledged: kept however old
    clock.now = T + 400 * 86_400_000;
    engine.tick();
    expect(engine.latest('alarm', 'ups1.load.hi')).toBeDefined();
    const ackAt = T + 401 * 86_400_000;
    ack(store, 'ups1.load.hi', ackAt);
    clock.now = ackAt + 2 * 86_400_000 - S;
    engine.tick();
    expect(engine.latest('alarm', 'ups1.load.hi')!.ackedAt).toBe(ackAt);
    clock.now = ackAt + 2 * 86_400_000 + S;
    engine.tick();
    expect(engine.latest('alarm', 'ups1.load.hi')).toBeUndefined();
  });

  it('over its size budget drops the oldest acknowledged snapshot first, then the oldest closed one', () => {
    const three = (maxMB: number) => {
      const run = setup({ maxMB });
      fill(run.store, T - 10 * MIN, T + 25 * MIN);
      raise(run.store, 'b.first-unacked', 'critical', T);
      raise(run.store, 'a.second-acked', 'critical', T + 10 * MIN);
      raise(run.store, 'c.third-unacked', 'critical', T + 20 * MIN);
      ack(run.store, 'a.second-acked', T + 21 * MIN);
      run.clock.now = T + 26 * MIN;
      return run;
    };
    // the same three snapshots twice: once to measure them, once with a budget of about two
    const measured = three(50);
    measured.engine.tick();
    // 15 minutes of 1 s samples, both ends included, of 3 points
    expect(measured.engine.list().map((s) => s.rows)).toEqual([2703, 2703, 2703]);
    const { bytes } = measured.engine.health();
    const { store, engine } = three((bytes * 0.8) / (1024 * 1024));
    engine.tick();
    store.flush();
    const dropped = store.eventsAfter(0, 100_000).filter((e) => e.type === 'snapshot.dropped').map((e) => e.data.subject);
    // the acknowledged one goes although an older unacknowledged one exists
    expect(dropped).toEqual(['a.second-acked']);
    expect(engine.list().map((s) => s.subject)).toEqual(['c.third-unacked', 'b.first-unacked']);
    expect(engine.health()).toMatchObject({ snapshots: 2, droppedByBudget: 1 });
    expect(engine.health().bytes).toBeLessThanOrEqual(bytes * 0.8);
    // still over: then the oldest closed one, unacknowledged or not
    const small = three((bytes * 0.5) / (1024 * 1024));
    small.engine.tick();
    small.store.flush();
    expect(small.store.eventsAfter(0, 100_000).filter((e) => e.type === 'snapshot.dropped').map((e) => e.data.subject)).toEqual([
      'a.second-acked',
      'b.first-unacked',
    ]);
    expect(small.engine.list().map((s) => s.subject)).toEqual(['c.third-unacked']);
  });

  it('reopened on the same snapshots.db, an unfinished snapshot catches up without doubling a reading', () => {
    const dir = stores.dir();
    const store = stores.open(join(dir, 'gateway.db'));
    const clock = { now: T };
    const open = () => {
      const e = createSnapshotService({
        file: join(dir, 'snapshots.db'),
        settings: SETTINGS,
        store,
        devicePoints: (id) => DEVICES[id] ?? [],
        pointInfo: () => undefined,
        logger: silentLogger,
        now: () => clock.now,
        tickMs: 0,
      });
      e.start();
      return e;
    };
    const first = open();
    fill(store, T - MIN, T);
    raise(store, 'ups1.load.hi', 'critical', T);
    fill(store, T + S, T + 30 * S);
    first.stop();
    // committed while it was not running, and one late sample (an older time committed last)
    fill(store, T + 31 * S, T + 2 * MIN);
    store.append([{ pointId: 'ups1.load', ts: T + 15 * S + 500, value: 99, quality: 'good' }]);
    store.flush();
    const again = open();
    engines.push(again);
    const load = again.latest('alarm', 'ups1.load.hi')!.series.find((s) => s.pointId === 'ups1.load')!;
    expect(load.ts).toHaveLength(60 + 1 + 120 + 1);
    expect(new Set(load.ts).size).toBe(load.ts.length);
    expect([...load.ts].sort((a, b) => a - b)).toEqual(load.ts);
    expect(load.value[load.ts.indexOf(T + 15 * S + 500)]).toBe(99);
    clock.now = T + 6 * MIN;
    again.tick();
    expect(again.latest('alarm', 'ups1.load.hi')!.closed).toBe(true);
  });

  it('after a restart, an unfinished snapshot catches up from the store and closes', () => {
    const { store, engine, clock } = setup();
    fill(store, T - MIN, T);
    raise(store, 'ups1.load.hi', 'critical', T);
    engine.stop();
    engines = [];
    // readings committed while the snapshot service was not running
    fill(store, T + S, T + 2 * MIN);
    const again = createSnapshotService({
      file: join(stores.dir(), 'unused.db'),
      settings: SETTINGS,
      store,
      devicePoints: (id) => DEVICES[id] ?? [],
      pointInfo: () => undefined,
      logger: silentLogger,
      now: () => clock.now,
      tickMs: 0,
    });
    // a fresh snapshots.db: the missed raise (within afterMin) is taken from the store's events
    again.start();
    engines.push(again);
    const load = again.latest('alarm', 'ups1.load.hi')!.series.find((s) => s.pointId === 'ups1.load')!;
    expect(load.ts[0]).toBe(T - MIN);
    expect(load.ts.at(-1)).toBe(T + 2 * MIN);
  });
});
