/**
 * Per-minute rollups behind the trend page: min/max/avg per bucket equal what the raw readings
 * give, late readings fold into their own minute, bad and text readings stay out, and they survive
 * a reopen without double counting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('store rollups', () => {
  const temp = createTempStores('gw-rollup-', { rollupIntervalMs: 0 });
  afterEach(() => temp.cleanup());

  it('gives min/max/avg per bucket equal to the raw readings', () => {
    const store = temp.open(temp.file());
    const samples: Sample[] = [];
    // 3 hours, one reading every 10 s, value = minute index + second/100
    for (let t = T0; t < T0 + 3 * 60 * MIN; t += 10_000) {
      samples.push({ pointId: 'a.temp', ts: t, value: (t - T0) / MIN + ((t / 1000) % 60) / 100, quality: 'good' });
    }
    store.append(samples);
    store.flush();
    store.rollUp();
    const cases: Array<[bucketMs: number, from: number, to: number]> = [
      [MIN, T0, T0 + 10 * MIN],
      [15 * MIN, T0, T0 + 3 * 60 * MIN],
      [60 * MIN, T0 - 60 * MIN, T0 + 5 * 60 * MIN],
    ];
    for (const [bucketMs, from, to] of cases) {
      const buckets = store.rollups('a.temp', from, to, bucketMs);
      const expected = new Map<number, number[]>();
      for (const s of samples) {
        const b = Math.floor(s.ts / bucketMs) * bucketMs;
        if (b < Math.floor(from / bucketMs) * bucketMs || b > to) continue;
        expected.set(b, [...(expected.get(b) ?? []), s.value as number]);
      }
      expect(buckets.map((b) => b.ts)).toEqual([...expected.keys()]);
      for (const b of buckets) {
        const values = expected.get(b.ts)!;
        expect(b.count).toBe(values.length);
        expect(b.min).toBeCloseTo(Math.min(...values), 9);
        expect(b.max).toBeCloseTo(Math.max(...values), 9);
        expect(b.avg).toBeCloseTo(values.reduce((x, y) => x + y, 0) / values.length, 9);
      }
    }
  });

  it('folds a late reading into its own minute and skips bad and text readings', () => {
    const store = temp.open(temp.file());
    store.append([
      { pointId: 'a.temp', ts: T0 + 5 * MIN, value: 20, quality: 'good' },
      { pointId: 'a.temp', ts: T0 + 5 * MIN + 1000, value: null, quality: 'bad', reason: 'timeout' },
      { pointId: 'a.mode', ts: T0 + 5 * MIN, value: 'online', quality: 'good' },
      { pointId: 'a.flag', ts: T0 + 5 * MIN, value: true, quality: 'good' },
    ]);
    store.flush();
    store.rollUp();
    // committed later, timestamped earlier (a device clock, a push source catching up)
    store.append([{ pointId: 'a.temp', ts: T0 + 5 * MIN + 30_000, value: 30, quality: 'uncertain' }]);
    store.append([{ pointId: 'a.temp', ts: T0 + MIN, value: 10, quality: 'good' }]);
    store.flush();
    store.rollUp();
    expect(store.rollups('a.temp', T0, T0 + 10 * MIN, MIN)).toEqual([
      { ts: T0 + MIN, count: 1, min: 10, max: 10, avg: 10 },
      { ts: T0 + 5 * MIN, count: 2, min: 20, max: 30, avg: 25 },
    ]);
    expect(store.rollups('a.mode', T0, T0 + 10 * MIN, MIN)).toEqual([]);
    expect(store.rollups('a.flag', T0, T0 + 10 * MIN, MIN)).toEqual([{ ts: T0 + 5 * MIN, count: 1, min: 1, max: 1, avg: 1 }]);
    expect(store.rollups('nope', T0, T0 + 10 * MIN, MIN)).toEqual([]);
  });

  it('continues after a reopen without counting a reading twice', () => {
    const file = temp.file();
    const first = temp.open(file);
    first.append([{ pointId: 'a.temp', ts: T0, value: 1, quality: 'good' }]);
    first.flush();
    first.rollUp();
    first.append([{ pointId: 'a.temp', ts: T0 + 1000, value: 3, quality: 'good' }]);
    first.close();
    const second = temp.open(file);
    second.rollUp();
    second.rollUp();
    expect(second.rollups('a.temp', T0, T0, MIN)).toEqual([{ ts: T0, count: 2, min: 1, max: 3, avg: 2 }]);
  });

  it('rolls up on its timer, a large backlog in chunks', async () => {
    const store = temp.open(temp.file(), { rollupIntervalMs: 20 });
    const samples: Sample[] = [];
    for (let i = 0; i < 120_000; i++) samples.push({ pointId: `p.${i % 100}`, ts: T0 + Math.floor(i / 100) * 1000, value: i % 7, quality: 'good' });
    store.append(samples);
    store.flush();
    const deadline = Date.now() + 5000;
    let total = 0;
    while (Date.now() < deadline) {
      total = store.rollups('p.5', T0, T0 + 3600_000, 3600_000)[0]?.count ?? 0;
      if (total === 1200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(total).toBe(1200);
  });
});
