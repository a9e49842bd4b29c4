/**
 * Commit failures with a real SQLite file. Faults come from SQLite itself: another connection
 * holding the write lock (SQLITE_BUSY) or a trigger that aborts mid-transaction.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import type { CommittedBatch, Store, StoreOptions } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('store-faults-', { commitIntervalMs: 20, busyTimeoutMs: 20 });
const others: Database.Database[] = [];
afterEach(() => {
  // The other connection lets go of its lock first, so the stores can commit as they close.
  for (const other of others.splice(0)) {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
  }
  temp.cleanup();
});

function setup(extra: Partial<StoreOptions> = {}) {
  const file = temp.file();
  const logs: { level: string; msg: string }[] = [];
  const store = temp.open(file, { logger: createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l)) }), ...extra });
  const other = new Database(file);
  others.push(other);
  return { store, other, logs };
}

const T = Date.UTC(2025, 0, 15);
function samples(n: number, from = 0, prefix = 'ups1.v'): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ pointId: `${prefix}${(from + i) % 3}`, ts: T + from + i, value: from + i, quality: 'good' }));
}

const allSeqs = (store: Store) => store.readingsAfter(0, 100_000).map((r) => r.seq);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

describe('a failing commit', () => {
  it('keeps the samples queued while the database is locked, logs once, and commits them later', async () => {
    const { store, other, logs } = setup();
    store.append(samples(2));
    store.flush();
    other.exec('BEGIN IMMEDIATE');

    store.append(samples(5, 2));
    expect(() => store.flush()).toThrow(/5 samples stay queued/);
    store.append(samples(3, 7));
    await new Promise((r) => setTimeout(r, 80)); // several timer retries fail meanwhile
    expect(store.stats()).toMatchObject({ pending: 8, lastReadingSeq: 2 });
    expect(store.stats().lastError).toMatch(/locked|busy/i);
    expect(store.stats().commitErrors).toBeGreaterThan(1);
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);

    const heard: number[] = [];
    store.onCommit((b: CommittedBatch) => heard.push(...b.readings.map((r) => r.seq)));
    other.exec('COMMIT');
    await until(() => store.stats().pending === 0);
    expect(heard).toEqual(range(3, 10));
    expect(allSeqs(store)).toEqual(range(1, 10));
    expect(store.readingsAfter(2, 100).map((r) => r.value)).toEqual(range(2, 9));
    expect(store.stats().lastError).toBeNull();
    expect(logs.some((l) => l.msg === 'commits succeed again')).toBe(true);
  });

  it('rolls back a transaction that failed half-way without burning seqs or point ids', () => {
    const { store, other } = setup();
    store.append(samples(3));
    store.flush();
    other.exec(`CREATE TRIGGER fault BEFORE INSERT ON readings WHEN NEW.value = 666
                BEGIN SELECT RAISE(ABORT, 'injected fault'); END`);
    const batch: Sample[] = [
      { pointId: 'new.point', ts: T, value: 1, quality: 'good' },
      { pointId: 'ups1.v0', ts: T, value: 666, quality: 'good' },
    ];
    store.append(batch);
    store.appendEvent('alarm.raised', { x: 1 });
    expect(() => store.flush()).toThrow(/injected fault/);
    expect(store.stats()).toMatchObject({ pending: 2, lastReadingSeq: 3, lastEventSeq: 0 });
    expect(store.latestOf('new.point')).toBeUndefined();

    other.exec('DROP TRIGGER fault');
    store.flush();
    expect(allSeqs(store)).toEqual(range(1, 5));
    expect(store.readingsAfter(3, 10).map((r) => [r.seq, r.pointId, r.value])).toEqual([
      [4, 'new.point', 1],
      [5, 'ups1.v0', 666],
    ]);
    expect(store.eventsAfter(0, 10).map((e) => [e.seq, e.type])).toEqual([[1, 'alarm.raised']]);
    expect(other.prepare("SELECT count(*) FROM points WHERE name = 'new.point'").pluck().get()).toBe(1);
    expect(store.latestOf('new.point')).toMatchObject({ seq: 4, value: 1 });
  });

  it('drops the oldest queued samples beyond the hard cap, counts them and records an event', () => {
    const { store, other } = setup({ maxBatch: 10, maxQueue: 50, commitIntervalMs: 60_000 });
    other.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 8; i++) store.append(samples(10, i * 10));
    expect(store.stats()).toMatchObject({ pending: 50, droppedByOverflow: 30 });
    other.exec('COMMIT');
    store.flush();
    const values = store.readingsAfter(0, 100).map((r) => r.value);
    expect(values).toEqual(range(30, 79));
    expect(store.eventsAfter(0, 10)).toMatchObject([{ type: 'store.overflow', data: { dropped: 30 } }]);
  });

  it('reports that close could not commit', () => {
    const { store, other } = setup();
    other.exec('BEGIN IMMEDIATE');
    store.append(samples(4));
    expect(() => store.close()).toThrow(/4 samples not committed/);
  });
});
