/**
 * Sync cursors in the store, and retention cooperating with them: age waits for every target's
 * ack, the size budget does not (oldest readings first, never events first, with an exact record).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/index.js';
import { syncSamples } from '../helpers/sync-fixtures.js';
import { createTempStores } from '../helpers/temp-store.js';

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;
let clock = NOW;
const temp = createTempStores('sync-cursor-', { now: () => clock });
afterEach(() => {
  clock = NOW;
  temp.cleanup();
});

const drops = (store: Store) =>
  store
    .eventsAfter(0, 100_000)
    .filter((e) => e.type === 'retention.dropped')
    .map((e) => e.data);

describe('sync cursors', () => {
  it('start at 0, move forward only, and survive a reopen', () => {
    const file = temp.file();
    const store = temp.open(file);
    store.append(syncSamples(100, NOW));
    store.appendEvent('alarm.raised', { a: 1 });
    store.flush();
    expect(store.syncCursor('ems', 'readings')).toBe(0);

    expect(store.advanceSyncCursor('ems', 'readings', 60)).toBe(60);
    clock = NOW + 1000;
    // a late, lower ack (a resend's answer) does not move it back, nor its time
    expect(store.advanceSyncCursor('ems', 'readings', 40)).toBe(60);
    expect(store.advanceSyncCursor('ems', 'events', 1)).toBe(1);
    expect(store.advanceSyncCursor('other', 'readings', 100)).toBe(100);
    expect(() => store.advanceSyncCursor('ems', 'readings', 101)).toThrow(/beyond the last committed seq 100/);
    expect(() => store.advanceSyncCursor('ems', 'events', 2)).toThrow(/beyond/);
    expect(() => store.advanceSyncCursor('ems', 'readings', 1.5)).toThrow(/not a seq/);
    store.close();

    const again = temp.open(file);
    expect(again.syncCursor('ems', 'readings')).toBe(60);
    expect(again.syncCursors()).toEqual([
      { target: 'ems', stream: 'events', ackedSeq: 1, updatedAt: NOW + 1000 },
      { target: 'ems', stream: 'readings', ackedSeq: 60, updatedAt: NOW },
      { target: 'other', stream: 'readings', ackedSeq: 100, updatedAt: NOW + 1000 },
    ]);
  });

  it('commits a cursor move on its own, without committing queued samples early', () => {
    const store = temp.open(temp.file());
    store.append(syncSamples(10, NOW));
    store.flush();
    store.append(syncSamples(5, NOW));
    store.advanceSyncCursor('ems', 'readings', 10);
    expect(store.stats()).toMatchObject({ lastReadingSeq: 10, pending: 5 });
  });
});

describe('retention with sync targets', () => {
  it('keeps old readings by age until every holding target acknowledged them', () => {
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 7, maxSizeMB: 0 }, retentionHolds: ['ems', 'pull1'] });
    store.append(syncSamples(100, NOW - 30 * DAY)); // 1..100: too old
    store.append(syncSamples(10, NOW)); // 101..110
    store.flush();

    store.enforceRetention();
    expect(drops(store)).toEqual([]);
    expect(store.stats().readingCount).toBe(110);

    store.advanceSyncCursor('ems', 'readings', 110);
    store.advanceSyncCursor('pull1', 'readings', 40);
    store.enforceRetention();
    expect(drops(store)).toEqual([{ reason: 'age', stream: 'readings', fromSeq: 1, toSeq: 40, count: 40 }]);

    store.advanceSyncCursor('pull1', 'readings', 105);
    store.enforceRetention();
    expect(drops(store).at(-1)).toEqual({ reason: 'age', stream: 'readings', fromSeq: 41, toSeq: 100, count: 60 });
    // acknowledged but young: kept
    expect(store.readingsAfter(0, 1000).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i));
  });

  it('ignores cursors of targets that do not hold retention', () => {
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 7, maxSizeMB: 0 }, retentionHolds: [] });
    store.append(syncSamples(50, NOW - 30 * DAY));
    store.flush();
    store.advanceSyncCursor('gone', 'readings', 0);
    store.enforceRetention();
    expect(store.stats().readingCount).toBe(0);
  });

  it('lets the size budget drop unacknowledged readings, oldest first, before any event', () => {
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 7, maxSizeMB: 1 }, retentionHolds: ['ems'] });
    for (let i = 0; i < 6; i++) {
      store.append(syncSamples(20_000, NOW - DAY + i * 1000, 500));
      store.appendEvent('alarm.raised', { i });
      store.flush();
    }
    store.advanceSyncCursor('ems', 'readings', 1000);
    store.enforceRetention();
    const dropped = drops(store) as { reason: string; stream: string; fromSeq: number; toSeq: number }[];
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((d) => d.reason === 'size' && d.stream === 'readings')).toBe(true);
    expect(dropped[0]!.fromSeq).toBe(1);
    // ranges are contiguous and reach past what the target acknowledged
    for (let i = 1; i < dropped.length; i++) expect(dropped[i]!.fromSeq).toBe(dropped[i - 1]!.toSeq + 1);
    expect(dropped.at(-1)!.toSeq).toBeGreaterThan(1000);
    expect(store.readingsAfter(0, 1)[0]!.seq).toBe(dropped.at(-1)!.toSeq + 1);
    // every alarm event is still there
    expect(store.eventsAfter(0, 1000).filter((e) => e.type === 'alarm.raised')).toHaveLength(6);
  });
});
