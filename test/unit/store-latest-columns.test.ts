/**
 * The latest-value view keeps its points in columns (a number value unboxed, any other value
 * apart, a reason only while the newest sample has one): a point whose value changes kind, or
 * whose reason comes and goes, must read back exactly as its newest sample, before and after a
 * checkpoint and reopen.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const temp = createTempStores('store-latest-columns-');
afterEach(() => temp.cleanup());

const T = Date.UTC(2025, 0, 15, 12);

describe('latest-value view, value kinds', () => {
  it('follows a point through text, number, boolean and null, and drops a reason the newer sample has not', () => {
    const file = temp.file();
    const store = temp.open(file);
    const steps: Sample[] = [
      { pointId: 'crac1.mode', ts: T, value: 'cooling', quality: 'good' },
      { pointId: 'crac1.mode', ts: T + 1000, value: 2.5, quality: 'uncertain', reason: 'clock' },
      { pointId: 'crac1.mode', ts: T + 2000, value: true, quality: 'good' },
      { pointId: 'crac1.mode', ts: T + 3000, value: null, quality: 'bad', reason: 'timeout' },
      { pointId: 'crac1.mode', ts: T + 4000, value: -0.125, quality: 'good' },
    ];
    let seq = 0;
    for (const sample of steps) {
      store.append([sample]);
      store.flush();
      seq++;
      const want = { pointId: sample.pointId, seq, ts: sample.ts, value: sample.value, quality: sample.quality, ...(sample.reason && { reason: sample.reason }) };
      expect(store.latestOf('crac1.mode')).toStrictEqual(want);
      expect(store.latest()).toStrictEqual([want]);
    }
    store.close();
    expect(temp.open(file).latestOf('crac1.mode')).toStrictEqual({ pointId: 'crac1.mode', seq: 5, ts: T + 4000, value: -0.125, quality: 'good' });
  });

  it('keeps thousands of points apart, in the order they were first stored', () => {
    const store = temp.open(temp.file());
    const samples: Sample[] = Array.from({ length: 3000 }, (_, i) => ({ pointId: `dev${i % 30}.p${i}`, ts: T, value: i % 7 === 0 ? `s${i}` : i / 4, quality: 'good' }));
    store.append(samples);
    store.flush();
    const all = store.latest();
    expect(all.map((v) => [v.pointId, v.value])).toEqual(samples.map((s) => [s.pointId, s.value]));
    expect(store.latestOf('dev7.p2017')?.value).toBe(2017 / 4);
  });
});
