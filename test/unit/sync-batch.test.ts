/** Batches as the receiver parses them: header, items in seq order, limits, and declared gaps. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createBatchReader } from '../../sync/batch.js';
import { syncSamples } from '../helpers/sync-fixtures.js';
import type { WireBatch } from '../helpers/sync-receiver.js';
import { createTempStores } from '../helpers/temp-store.js';

const NOW = Date.UTC(2026, 5, 1);
const DAY = 86_400_000;
const temp = createTempStores('sync-batch-', { now: () => NOW, retention: { maxAgeDays: 1, maxSizeMB: 0 } });
afterEach(() => temp.cleanup());

function storeWith(...groups: Sample[][]): Store {
  const store = temp.open(temp.file());
  for (const g of groups) {
    store.append(g);
    store.flush();
  }
  return store;
}

const parse = (body: string) => JSON.parse(body) as WireBatch;
const seqs = (b: WireBatch) => b.items.map((i) => i.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('batch reader', () => {
  it.each([
    { name: 'everything', after: 0, items: 100, bytes: 1e6, want: range(1, 20) },
    { name: 'from the middle', after: 12, items: 100, bytes: 1e6, want: range(13, 20) },
    { name: 'capped by items', after: 0, items: 7, bytes: 1e6, want: range(1, 7) },
    { name: 'one item even when it alone is over the byte cap', after: 3, items: 100, bytes: 10, want: [4] },
  ])('reads $name', ({ after, items, bytes, want }) => {
    const store = storeWith(syncSamples(20, NOW));
    const batch = createBatchReader(store, 'gw1').read('readings', after, { items, bytes })!;
    const wire = parse(batch.body);
    expect(seqs(wire)).toEqual(want);
    expect(wire).toMatchObject({ gatewayId: 'gw1', stream: 'readings', fromSeq: after + 1, toSeq: want.at(-1), count: want.length, gaps: [] });
    expect(batch).toMatchObject({ fromSeq: after + 1, toSeq: want.at(-1), count: want.length, lastSeq: 20, oldestTs: NOW + after * 10 });
    if (bytes >= 1000) expect(batch.body.length).toBeLessThanOrEqual(bytes);
  });

  it('keeps a batch within its byte cap, whole items only', () => {
    const store = storeWith(syncSamples(200, NOW));
    const reader = createBatchReader(store, 'gw1');
    for (const bytes of [1000, 2500, 9000]) {
      const batch = reader.read('readings', 0, { items: 1000, bytes })!;
      const wire = parse(batch.body);
      expect(batch.body.length).toBeLessThanOrEqual(bytes);
      expect(seqs(wire)).toEqual(range(1, wire.count));
      // the next item would not have fitted
      const next = reader.read('readings', 0, { items: wire.count + 1, bytes: 1e9 })!;
      expect(next.body.length).toBeGreaterThan(bytes - 256);
    }
  });

  it('a rows-only reader (time-series targets) gives the same rows, seqs and gaps without JSON, near the same byte cap', () => {
    const store = storeWith(syncSamples(200, NOW));
    const json = createBatchReader(store, 'gw1');
    const rows = createBatchReader(store, 'gw1', { json: false });
    const all = rows.read('readings', 0, { items: 1000, bytes: 1e9 })!;
    expect(all).toMatchObject({ itemsJson: '', body: '', count: 200, fromSeq: 1, toSeq: 200 });
    expect(all.rows).toEqual(json.read('readings', 0, { items: 1000, bytes: 1e9 })!.rows);
    for (const bytes of [2500, 9000]) {
      const capped = rows.read('readings', 0, { items: 1000, bytes })!;
      const real = json.read('readings', 0, { items: capped.count, bytes: 1e9 })!;
      // the estimate keeps the real JSON within a quarter of the cap
      expect(real.body.length).toBeLessThanOrEqual(bytes * 1.25);
      expect(real.body.length).toBeGreaterThan(bytes * 0.6);
    }
  });

  it('returns nothing when the stream holds nothing after the cursor', () => {
    const store = storeWith(syncSamples(5, NOW));
    const reader = createBatchReader(store, 'gw1');
    expect(reader.read('readings', 5, { items: 10, bytes: 1e6 })).toBeUndefined();
    expect(reader.read('events', 0, { items: 10, bytes: 1e6 })).toBeUndefined();
  });

  it('encodes every value kind, quality and reason as the protocol says', () => {
    const store = storeWith([
      { pointId: 'ups1.load', ts: NOW, value: 41.5, quality: 'good' },
      { pointId: 'ups1.on_battery', ts: NOW + 1, value: true, quality: 'good' },
      { pointId: 'ups1.mode', ts: NOW + 2, value: 'online "normal"', quality: 'uncertain', reason: 'unknown-enum' },
      { pointId: 'crac1.temp', ts: NOW + 3, value: null, quality: 'bad', reason: 'timeout' },
      { pointId: 'pdu-a1.kwh', ts: NOW + 4, value: -0.001, quality: 'good' },
    ]);
    const wire = parse(createBatchReader(store, 'gw1').read('readings', 0, { items: 10, bytes: 1e6 })!.body);
    expect(wire.items).toEqual([
      { seq: 1, ts: NOW, point: 'ups1.load', value: 41.5, quality: 'good' },
      { seq: 2, ts: NOW + 1, point: 'ups1.on_battery', value: true, quality: 'good' },
      { seq: 3, ts: NOW + 2, point: 'ups1.mode', value: 'online "normal"', quality: 'uncertain', reason: 'unknown-enum' },
      { seq: 4, ts: NOW + 3, point: 'crac1.temp', value: null, quality: 'bad', reason: 'timeout' },
      { seq: 5, ts: NOW + 4, point: 'pdu-a1.kwh', value: -0.001, quality: 'good' },
    ]);
  });

  it('encodes events with their type and data', () => {
    const store = storeWith();
    store.appendEvent('alarm.raised', { alarm: 'ups1.on_battery', state: 'UNACK', text: '배터리 운전' }, NOW);
    store.appendEvent('alarm.acked', { alarm: 'ups1.on_battery', by: 'kim' }, NOW + 5);
    store.flush();
    const wire = parse(createBatchReader(store, 'gw1').read('events', 0, { items: 10, bytes: 1e6 })!.body);
    expect(wire).toMatchObject({ stream: 'events', fromSeq: 1, toSeq: 2, count: 2, gaps: [] });
    expect(wire.items).toEqual([
      { seq: 1, ts: NOW, type: 'alarm.raised', data: { alarm: 'ups1.on_battery', state: 'UNACK', text: '배터리 운전' } },
      { seq: 2, ts: NOW + 5, type: 'alarm.acked', data: { alarm: 'ups1.on_battery', by: 'kim' } },
    ]);
  });

  it('declares the seqs retention deleted inside the range as gaps', () => {
    // 1..10 old, 11..15 new, 16..25 old, 26..30 new: age retention leaves 11..15 and 26..30.
    const store = storeWith(syncSamples(10, NOW - 3 * DAY), syncSamples(5, NOW), syncSamples(10, NOW - 3 * DAY), syncSamples(5, NOW));
    store.enforceRetention();
    const batch = createBatchReader(store, 'gw1').read('readings', 0, { items: 100, bytes: 1e6 })!;
    const wire = parse(batch.body);
    expect(wire).toMatchObject({ fromSeq: 1, toSeq: 30, count: 10 });
    expect(wire.gaps).toEqual([
      { fromSeq: 1, toSeq: 10 },
      { fromSeq: 16, toSeq: 25 },
    ]);
    expect(seqs(wire)).toEqual([...range(11, 15), ...range(26, 30)]);
  });

  it('declares a trailing gap when everything after the cursor was deleted', () => {
    const store = storeWith(syncSamples(5, NOW), syncSamples(8, NOW - 3 * DAY));
    store.enforceRetention();
    const wire = parse(createBatchReader(store, 'gw1').read('readings', 5, { items: 100, bytes: 1e6 })!.body);
    expect(wire).toMatchObject({ fromSeq: 6, toSeq: 13, count: 0, gaps: [{ fromSeq: 6, toSeq: 13 }], items: [] });
  });

  it('does not declare seqs beyond a cut batch as gaps', () => {
    const store = storeWith(syncSamples(10, NOW - 3 * DAY), syncSamples(10, NOW));
    store.enforceRetention();
    const wire = parse(createBatchReader(store, 'gw1').read('readings', 0, { items: 3, bytes: 1e6 })!.body);
    expect(wire).toMatchObject({ fromSeq: 1, toSeq: 13, gaps: [{ fromSeq: 1, toSeq: 10 }] });
    expect(seqs(wire)).toEqual([11, 12, 13]);
  });
});
