import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommittedBatch, Store, StoredEvent } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 5, 1);

const temp = createTempStores('store-retention-', { maxBatch: 100_000, now: () => NOW });
afterEach(() => temp.cleanup());

/** n readings spread over `points` points, one per second from `start`. */
function samples(n: number, start: number, points = 10): Sample[] {
  return Array.from({ length: n }, (_, i) => ({
    pointId: `pdu${i % points}.kw`,
    ts: start + i * 1000,
    value: 1000 + i * 0.37,
    quality: 'good' as const,
  }));
}

const dropEvents = (store: Store) => store.eventsAfter(0, 10_000).filter((e) => e.type === 'retention.dropped');
const diskBytes = (file: string) => [file, `${file}-wal`].reduce((n, f) => n + (statSync(f, { throwIfNoEntry: false })?.size ?? 0), 0);

describe('retention by age', () => {
  it('deletes readings older than maxAgeDays and records the exact seq range', () => {
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 7, maxSizeMB: 0 } });
    store.append(samples(300, NOW - 10 * DAY)); // seq 1..300: too old
    store.append(samples(200, NOW - 2 * DAY)); // seq 301..500: kept
    store.flush();
    const heard: StoredEvent[] = [];
    store.onCommit((b: CommittedBatch) => heard.push(...b.events));

    store.enforceRetention(NOW);

    const events = dropEvents(store);
    expect(events.map((e) => e.data)).toEqual([{ reason: 'age', stream: 'readings', fromSeq: 1, toSeq: 300, count: 300 }]);
    expect(events[0]!.ts).toBe(NOW);
    expect(heard).toEqual(events);
    const left = store.readingsAfter(0, 1000);
    expect(left[0]!.seq).toBe(301);
    expect(left).toHaveLength(200);
    expect(store.stats()).toMatchObject({ readingCount: 200, droppedByRetention: 300 });
  });

  it('works in chunks whose events cover the range without gaps', () => {
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 1, maxSizeMB: 0 }, retentionChunk: 40 });
    store.append(samples(100, NOW - 5 * DAY));
    store.append(samples(5, NOW));
    store.flush();
    store.enforceRetention(NOW);
    const ranges = dropEvents(store).map((e) => e.data as { fromSeq: number; toSeq: number; count: number });
    expect(ranges.length).toBeGreaterThan(1);
    expect(ranges[0]!.fromSeq).toBe(1);
    expect(ranges.at(-1)!.toSeq).toBe(100);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.fromSeq).toBe(ranges[i - 1]!.toSeq + 1);
    expect(ranges.reduce((n, r) => n + r.count, 0)).toBe(100);
    expect(store.stats().readingCount).toBe(5);
  });

  it('does nothing (and records nothing) when no reading is old enough, or when maxAgeDays is 0', () => {
    for (const maxAgeDays of [30, 0]) {
      const store = temp.open(temp.file(), { retention: { maxAgeDays, maxSizeMB: 0 } });
      store.append(samples(50, NOW - 20 * DAY));
      store.flush();
      store.enforceRetention(NOW);
      expect(dropEvents(store)).toEqual([]);
      expect(store.stats().readingCount).toBe(50);
    }
  });

  it('runs on its own timer', async () => {
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 1, maxSizeMB: 0 }, retentionIntervalMs: 20 });
    store.append(samples(10, NOW - 3 * DAY));
    store.flush();
    for (let i = 0; i < 100 && store.stats().readingCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(store.stats().readingCount).toBe(0);
    expect(dropEvents(store)).toHaveLength(1);
  });
});

describe('retention by size', () => {
  it('drops the oldest readings until the file is under budget, and the file really shrinks', () => {
    const file = temp.file();
    const store = temp.open(file, { retention: { maxAgeDays: 0, maxSizeMB: 1 } });
    for (let i = 0; i < 6; i++) {
      store.append(samples(20_000, NOW - DAY + i * 20_000_000, 500));
      store.flush();
    }
    const before = diskBytes(file);
    expect(before).toBeGreaterThan(3 * 1024 * 1024);

    store.enforceRetention(NOW);

    const after = diskBytes(file);
    expect(after).toBeLessThanOrEqual(1024 * 1024);
    expect(store.stats().databaseBytes).toBe(after);
    const ranges = dropEvents(store).map((e) => e.data as { reason: string; stream: string; fromSeq: number; toSeq: number; count: number });
    expect(ranges.every((r) => r.reason === 'size' && r.stream === 'readings')).toBe(true);
    expect(ranges[0]!.fromSeq).toBe(1);
    const dropped = ranges.reduce((n, r) => n + r.count, 0);
    const left = store.readingsAfter(0, 200_000);
    // What is left is exactly the newest readings, right after the last dropped one.
    expect(left[0]!.seq).toBe(ranges.at(-1)!.toSeq + 1);
    expect(left.at(-1)!.seq).toBe(120_000);
    expect(dropped + left.length).toBe(120_000);
    expect(store.stats()).toMatchObject({ droppedByRetention: dropped, readingCount: left.length });
    expect(store.eventsAfter(0, 10).length).toBeGreaterThan(0);
  });

  it('leaves a database under budget alone', () => {
    const store = temp.open(temp.file(), { retention: { maxAgeDays: 0, maxSizeMB: 50 } });
    store.append(samples(1000, NOW));
    store.flush();
    store.enforceRetention(NOW);
    expect(dropEvents(store)).toEqual([]);
    expect(store.stats().readingCount).toBe(1000);
  });

  it('deletes events only once no reading is left', () => {
    const file = temp.file();
    const store = temp.open(file, { retention: { maxAgeDays: 0, maxSizeMB: 1 }, retentionChunk: 300 });
    const blob = 'x'.repeat(2000);
    for (let i = 0; i < 1000; i++) store.appendEvent('audit.note', { i, blob });
    store.append(samples(1000, NOW));
    store.flush();
    // Listen rather than read the events table back: dropping events may drop earlier drop records.
    const heard: StoredEvent[] = [];
    store.onCommit((b) => heard.push(...b.events));
    store.enforceRetention(NOW);
    const drops = heard.filter((e) => e.type === 'retention.dropped').map((e) => e.data as { stream: string; toSeq: number });
    const firstEventDrop = drops.findIndex((d) => d.stream === 'events');
    expect(firstEventDrop).toBeGreaterThan(0);
    expect(drops.slice(0, firstEventDrop).every((d) => d.stream === 'readings')).toBe(true);
    expect(store.stats().readingCount).toBe(0);
    expect(store.stats().eventsDroppedByRetention).toBeGreaterThan(0);
    expect(diskBytes(file)).toBeLessThanOrEqual(1024 * 1024);
    // The newest event is the record of the last drop: the audit trail never ends in silence.
    expect(store.eventsAfter(0, 10_000).at(-1)).toMatchObject({ type: 'retention.dropped', data: { stream: 'events' } });
  });
});
