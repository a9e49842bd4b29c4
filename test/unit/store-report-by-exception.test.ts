/**
 * Report-by-exception storage: the filter's rules one by one (deadband absolute and percent,
 * heartbeat, quality and reason changes, non-numeric values, the first reading), then the store
 * with real SQLite files: rows and seqs only for stored readings, every sample to subscribers and
 * the latest view, a failed commit judged the same way when retried, and a restart.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/types.js';
import type { CommittedBatch, StorePolicy } from '../../gateway/store/index.js';
import {
  createExceptionFilter,
  mustStore,
  PACED_CHECKPOINT_INTERVALS,
  PACED_CHECKPOINT_ROWS,
  pacedCheckpoint,
  pointReference,
} from '../../gateway/store/report-by-exception.js';
import { createTempStores } from '../helpers/temp-store.js';

const T = Date.UTC(2025, 0, 15);
const s = (value: Sample['value'], sec: number, quality: Sample['quality'] = 'good', reason?: string): Sample => ({
  pointId: 'ups1.load',
  ts: T + sec * 1000,
  value,
  quality,
  ...(reason !== undefined && { reason }),
});

/** Which of the values one point reports in order get stored (the filter alone, every chunk settled). */
function storedOf(policy: StorePolicy, samples: Sample[]): Sample['value'][] {
  const filter = createExceptionFilter(new Map([['ups1.load', policy]]))!;
  const out: Sample['value'][] = [];
  for (const x of samples) {
    const keep = filter.select([x]);
    filter.settle();
    if (keep![0] === 1) out.push(x.value);
  }
  return out;
}

describe('the report-by-exception rules', () => {
  it('stores the first reading, then only a move beyond the absolute deadband from the last stored value', () => {
    // 10.3 is 0.3 from 10.0 (stored); 10.4 is 0.1 and 10.15 is 0.15 from 10.3: inside.
    const values = [10, 10.1, 10.15, 10.3, 10.4, 10.15, 9.9, 9.95, 10.2];
    const stored = storedOf({ deadband: 0.2, heartbeatS: 300 }, values.map((v, i) => s(v, i)));
    expect(stored).toEqual([10, 10.3, 9.9, 10.2]);
  });

  it('judges drift against the last stored value, so a slow creep is stored once it adds up', () => {
    const creep = Array.from({ length: 30 }, (_, i) => s(20 + i * 0.05, i));
    // each step is 0.05, far inside the band; every 0.5 the sum passes it
    const stored = storedOf({ deadband: 0.42, heartbeatS: 300 }, creep) as number[];
    expect(stored.length).toBe(4);
    for (let i = 1; i < stored.length; i++) expect(stored[i]! - stored[i - 1]!).toBeGreaterThan(0.42);
  });

  it('takes deadbandPct as a share of the last stored value', () => {
    const stored = storedOf({ deadbandPct: 1, heartbeatS: 300 }, [s(200, 0), s(201.9, 1), s(202.1, 2), s(204, 3), s(204.2, 4)]);
    // 1 % of 200 is 2: 201.9 stays, 202.1 goes; then 1 % of 202.1 is 2.021: 204 stays, 204.2 goes
    expect(stored).toEqual([200, 202.1, 204.2]);
    // a last stored 0 has a zero band: any move is stored
    expect(storedOf({ deadbandPct: 5, heartbeatS: 300 }, [s(0, 0), s(0, 1), s(0.001, 2)])).toEqual([0, 0.001]);
  });

  it('stores a steady point once per heartbeat, by sample timestamps', () => {
    const steady = Array.from({ length: 12 }, (_, i) => s(50, i * 30)); // 0 .. 330 s
    expect(storedOf({ deadband: 1, heartbeatS: 60 }, steady).length).toBe(6); // 0, 60, 120, 180, 240, 300
    const ref = pointReference({ deadband: 1, heartbeatS: 60 });
    Object.assign(ref, { seen: true, value: 50, ts: T, quality: 'good', reason: null });
    expect(mustStore(ref, s(50, 59.999))).toBe(false);
    expect(mustStore(ref, s(50, 60))).toBe(true);
  });

  it('stores every quality or reason change, whatever the value did', () => {
    const stored = storedOf({ deadband: 100, heartbeatS: 300 }, [
      s(5, 0),
      s(5, 1, 'uncertain', 'clock'),
      s(5, 2, 'uncertain', 'clock'),
      s(null, 3, 'bad', 'timeout'),
      s(null, 4, 'bad', 'timeout'),
      s(null, 5, 'bad', 'comm'),
      s(5, 6),
      s(6, 7),
    ]);
    expect(stored).toEqual([5, 5, null, null, 5]);
  });

  it('stores a change of a boolean, a text, or a change of type; NaN coming or going counts', () => {
    const policy = { deadband: 10, heartbeatS: 300 };
    expect(storedOf(policy, [s(false, 0), s(false, 1), s(true, 2), s(true, 3), s(false, 4)])).toEqual([false, true, false]);
    expect(storedOf(policy, [s('online', 0), s('online', 1), s('battery', 2)])).toEqual(['online', 'battery']);
    expect(storedOf(policy, [s(1, 0), s('1', 1), s(1, 2)])).toEqual([1, '1', 1]);
    expect(storedOf(policy, [s(1, 0), s(Number.NaN, 1), s(Number.NaN, 2), s(2, 3)])).toEqual([1, Number.NaN, 2]);
  });

  it('judges a later sample of the same point in one chunk against an earlier one, and leaves other points alone', () => {
    const filter = createExceptionFilter(new Map([['ups1.load', { deadband: 1, heartbeatS: 300 }]]))!;
    const other: Sample = { pointId: 'ups1.mode', ts: T, value: 'online', quality: 'good' };
    expect(filter.select([other, other])).toBeUndefined();
    const keep = filter.select([other, s(10, 0), s(10.5, 1), other, s(11.6, 2)]);
    expect([...keep!]).toEqual([1, 1, 0, 1, 1]);
  });

  it('puts the references back when a chunk is undone, so the retry decides the same', () => {
    const filter = createExceptionFilter(new Map([['ups1.load', { deadband: 1, heartbeatS: 300 }]]))!;
    filter.select([s(10, 0)]);
    filter.settle();
    const chunk = [s(12, 1), s(12.5, 2), s(14, 3)];
    const first = [...filter.select(chunk)!];
    filter.undo();
    expect([...filter.select(chunk)!]).toEqual(first);
    expect(first).toEqual([1, 0, 1]);
  });

  it('paces the latest-value checkpoint by stored readings, at most a dozen intervals apart', () => {
    let seq = 0;
    let checkpoints = 0;
    const tick = pacedCheckpoint(() => seq, () => checkpoints++);
    for (let i = 1; i < PACED_CHECKPOINT_INTERVALS; i++) tick();
    expect(checkpoints).toBe(0);
    tick();
    expect(checkpoints).toBe(1);
    seq += PACED_CHECKPOINT_ROWS;
    tick();
    expect(checkpoints).toBe(2);
    seq += PACED_CHECKPOINT_ROWS - 1;
    tick();
    expect(checkpoints).toBe(2);
  });

  it('has nothing to do without policies', () => {
    expect(createExceptionFilter(new Map())).toBeUndefined();
  });
});

describe('a store with report-by-exception points', () => {
  const temp = createTempStores('store-rbe-');
  afterEach(() => temp.cleanup());
  const policies = new Map<string, StorePolicy>([['ups1.load', { deadband: 0.5, heartbeatS: 60 }]]);
  const plain = (value: number, sec: number): Sample => ({ pointId: 'ups1.volts', ts: T + sec * 1000, value, quality: 'good' });

  it('writes rows and seqs only for stored readings, while subscribers and the latest view get every sample', () => {
    const file = temp.file();
    const store = temp.open(file, { storePolicies: policies });
    const heard: CommittedBatch['readings'] = [];
    store.onCommit((b) => heard.push(...b.readings));
    store.append([s(40, 0), plain(230, 0), s(40.2, 1), plain(230, 1), s(40.9, 2), s(41, 3)]);
    store.flush();

    expect(heard.map((r) => [r.pointId, r.value, r.seq])).toEqual([
      ['ups1.load', 40, 1],
      ['ups1.volts', 230, 2],
      ['ups1.load', 40.2, 0],
      ['ups1.volts', 230, 3],
      ['ups1.load', 40.9, 4],
      ['ups1.load', 41, 0],
    ]);
    expect(store.readingsAfter(0, 100).map((r) => [r.seq, r.pointId, r.value])).toEqual([
      [1, 'ups1.load', 40],
      [2, 'ups1.volts', 230],
      [3, 'ups1.volts', 230],
      [4, 'ups1.load', 40.9],
    ]);
    expect(store.stats()).toMatchObject({ lastReadingSeq: 4, readingCount: 4 });
    // the live value is the newest sample, stored or not
    expect(store.latestOf('ups1.load')).toMatchObject({ value: 41, ts: T + 3000, seq: 0 });
    expect(store.history('ups1.load', T, T + 10_000).map((r) => r.value)).toEqual([40, 40.9]);
  });

  it('stores the heartbeat and a quality change, and keeps seqs gap-free across commits', () => {
    const store = temp.open(temp.file(), { storePolicies: policies });
    for (let sec = 0; sec <= 130; sec += 10) {
      store.append([s(40, sec)]);
      store.flush();
    }
    store.append([s(null, 131, 'bad', 'timeout'), s(null, 132, 'bad', 'timeout'), s(40, 133)]);
    store.flush();
    const rows = store.readingsAfter(0, 100);
    expect(rows.map((r) => (r.ts - T) / 1000)).toEqual([0, 60, 120, 131, 133]);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('judges a chunk whose commit failed the same way when it is retried', () => {
    const file = temp.file();
    const store = temp.open(file, { storePolicies: policies, busyTimeoutMs: 20 });
    store.append([s(40, 0)]);
    store.flush();
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      store.append([s(41, 1), s(41.2, 2), s(42, 3)]);
      expect(() => store.flush()).toThrow(/stay queued/);
      other.exec('COMMIT');
    } finally {
      other.close();
    }
    store.flush();
    expect(store.readingsAfter(0, 100).map((r) => r.value)).toEqual([40, 41, 42]);
  });

  it('takes new policies live: the next reading of a listed point is stored, then the new band applies', () => {
    const store = temp.open(temp.file());
    store.append([s(40, 0), s(40.1, 1)]);
    store.flush();
    expect(store.stats().readingCount).toBe(2);
    store.setStorePolicies(policies);
    store.append([s(40.2, 2), s(40.3, 3), s(41, 4)]);
    store.flush();
    expect(store.readingsAfter(0, 10).map((r) => r.value)).toEqual([40, 40.1, 40.2, 41]);
    store.setStorePolicies(new Map());
    store.append([s(41.1, 5)]);
    store.flush();
    expect(store.readingsAfter(4, 10).map((r) => r.value)).toEqual([41.1]);
  });

  it('stores the first reading of every point after a restart, and the live value survives a kill without a row', () => {
    const file = temp.file();
    const first = temp.open(file, { storePolicies: policies, latestCheckpointMs: 0 });
    first.append([s(40, 0), s(40.1, 1), s(40.2, 2)]);
    first.flush();
    expect(first.readingsAfter(0, 10).map((r) => r.value)).toEqual([40]);
    first.close();

    // Reopened (a clean close and a kill -9 alike: the filter keeps no state on disk), the first
    // reading is stored even though it is inside the band of the last stored one.
    const again = temp.open(file, { storePolicies: policies });
    expect(again.latestOf('ups1.load')).toMatchObject({ value: 40.2 });
    again.append([s(40.3, 3), s(40.4, 4)]);
    again.flush();
    expect(again.readingsAfter(0, 10).map((r) => [r.seq, r.value])).toEqual([
      [1, 40],
      [2, 40.3],
    ]);
  });
});
