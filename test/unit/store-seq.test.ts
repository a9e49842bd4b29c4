import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import type { CommittedBatch, Store } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('store-seq-');
afterEach(() => temp.cleanup());

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 15);

function samples(n: number, ts = NOW, prefix = 'ups1.p'): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ pointId: `${prefix}${i % 7}`, ts: ts + i, value: i, quality: 'good' }));
}

const seqsOf = (store: Store) => store.readingsAfter(0, 1_000_000).map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('store sequence numbers', () => {
  it('are 1..n within a session and continue after a restart', () => {
    const file = temp.file();
    const a = temp.open(file);
    a.append(samples(5));
    a.flush();
    a.append(samples(3));
    a.appendEvent('test.event', { n: 1 });
    a.flush();
    expect(seqsOf(a)).toEqual(range(1, 8));
    a.close();

    const b = temp.open(file);
    expect(b.stats()).toMatchObject({ lastReadingSeq: 8, lastEventSeq: 1, readingCount: 8 });
    b.append(samples(4));
    b.appendEvent('test.event', { n: 2 });
    b.flush();
    expect(seqsOf(b)).toEqual(range(1, 12));
    expect(b.eventsAfter(0, 10).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('are never reused after retention deleted every reading, in the same session or after a restart', () => {
    const file = temp.file();
    const a = temp.open(file, { retention: { maxAgeDays: 1, maxSizeMB: 0 }, now: () => NOW });
    a.append(samples(10, NOW - 3 * DAY));
    a.flush();
    a.enforceRetention(NOW);
    expect(a.stats()).toMatchObject({ readingCount: 0, lastReadingSeq: 10, droppedByRetention: 10 });
    a.append(samples(2));
    a.flush();
    expect(seqsOf(a)).toEqual([11, 12]);
    a.append(samples(3, NOW - 3 * DAY));
    a.flush();
    a.enforceRetention(NOW + 2 * DAY);
    expect(seqsOf(a)).toEqual([]);
    const lastEvent = a.stats().lastEventSeq;
    a.close();

    const b = temp.open(file);
    expect(b.stats()).toMatchObject({ lastReadingSeq: 15, readingCount: 0, droppedByRetention: 15 });
    b.append(samples(1));
    b.appendEvent('after.restart', {});
    b.flush();
    expect(seqsOf(b)).toEqual([16]);
    expect(b.eventsAfter(lastEvent, 10).map((e) => e.seq)).toEqual([lastEvent + 1]);
  });
});

describe('onCommit', () => {
  it('hears each batch after COMMIT, with the seqs another connection can already read', () => {
    const file = temp.file();
    const store = temp.open(file);
    const reader = new Database(file, { readonly: true });
    const visible = reader.prepare('SELECT count(*) FROM readings WHERE seq BETWEEN ? AND ?').pluck();
    const heard: { seqs: number[]; visible: number; events: number[] }[] = [];
    store.onCommit((b: CommittedBatch) => {
      const seqs = b.readings.map((r) => r.seq);
      const lo = seqs[0] ?? 0;
      const hi = seqs.at(-1) ?? -1;
      heard.push({ seqs, visible: visible.get(lo, hi) as number, events: b.events.map((e) => e.seq) });
    });
    store.append(samples(3));
    store.appendEvent('alarm.raised', { point: 'ups1.p0' });
    store.flush();
    store.append(samples(2));
    store.flush();
    reader.close();
    expect(heard).toEqual([
      { seqs: [1, 2, 3], visible: 3, events: [1] },
      { seqs: [4, 5], visible: 2, events: [] },
    ]);
  });

  it('gives each reading its sample fields and seq', () => {
    const store = temp.open(temp.file());
    const batches: CommittedBatch[] = [];
    store.onCommit((b) => batches.push(b));
    store.append([{ pointId: 'crac1.alarm', ts: NOW, value: null, quality: 'bad', reason: 'timeout' }]);
    store.flush();
    expect(batches[0]!.readings).toEqual([
      { seq: 1, pointId: 'crac1.alarm', ts: NOW, value: null, quality: 'bad', reason: 'timeout' },
    ]);
  });

  it('survives a throwing listener, logs it once, and still calls the others', () => {
    const lines: string[] = [];
    const store = temp.open(temp.file(), { logger: createLogger({ write: (l) => lines.push(l) }) });
    const heard: number[] = [];
    store.onCommit(() => {
      throw new Error('listener bug');
    });
    store.onCommit((b) => heard.push(b.readings.length));
    for (let i = 0; i < 3; i++) {
      store.append(samples(2));
      store.flush();
    }
    expect(heard).toEqual([2, 2, 2]);
    expect(store.stats().lastReadingSeq).toBe(6);
    expect(lines.filter((l) => l.includes('listener bug'))).toHaveLength(1);
  });

  it('stops calling a listener after unsubscribe', () => {
    const store = temp.open(temp.file());
    let calls = 0;
    const off = store.onCommit(() => calls++);
    store.append(samples(1));
    store.flush();
    off();
    store.append(samples(1));
    store.flush();
    expect(calls).toBe(1);
  });
});

describe('commit scheduling', () => {
  it('commits on its own after commitIntervalMs', async () => {
    const store = temp.open(temp.file(), { commitIntervalMs: 20 });
    const committed = new Promise<CommittedBatch>((resolve) => store.onCommit(resolve));
    store.append(samples(3));
    expect(store.stats().pending).toBe(3);
    const batch = await committed;
    expect(batch.readings.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(store.stats().pending).toBe(0);
  });

  it.each(['immediate', 'sync'] as const)('commits early when maxBatch samples are queued (%s)', async (mode) => {
    const store = temp.open(temp.file(), { commitIntervalMs: 60_000, maxBatch: 10, batchCommit: mode });
    const sizes: number[] = [];
    store.onCommit((b) => sizes.push(b.readings.length));
    store.append(samples(4));
    store.append(samples(6));
    await new Promise((r) => setImmediate(r));
    expect(sizes).toEqual([10]);
    expect(store.stats().commits).toBe(1);
  });

  it('commits what is queued at close', () => {
    const file = temp.file();
    const a = temp.open(file);
    a.append(samples(4));
    a.close();
    expect(() => a.append(samples(1))).toThrow(/closed/);
    expect(seqsOf(temp.open(file))).toEqual(range(1, 4));
  });
});
