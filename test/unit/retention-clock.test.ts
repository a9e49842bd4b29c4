/**
 * Age retention after wall-clock steps (gateway/store/age-guard.ts): readings written since the
 * store opened are aged on the monotonic clock, and after a step one pass deletes at most
 * retention.maxShareAfterStep of the readings. Fake wall and monotonic clocks, a real store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { STEP_CAP_MS } from '../../gateway/store/age-guard.js';
import type { Store, StoreOptions } from '../../gateway/store/index.js';
import type { Sample } from '../../core/types.js';
import { createTempStores } from '../helpers/temp-store.js';

const DAY = 86_400_000;
const Y2020 = Date.UTC(2020, 0, 1);
const Y2026 = Date.UTC(2026, 0, 1);

const temp = createTempStores('retention-clock-', { maxBatch: 100_000 });
afterEach(() => temp.cleanup());

function samples(n: number, start: number): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ pointId: `m${i % 10}.kw`, ts: start + i * 1000, value: i, quality: 'good' as const }));
}

function clocks(wallStart: number) {
  const c = { wall: wallStart, mono: 1_000 };
  const opts: Partial<StoreOptions> = { clockSafeRetention: true, now: () => c.wall, monoNow: () => c.mono };
  const run = (ms: number) => {
    c.wall += ms;
    c.mono += ms;
  };
  return { c, opts, run };
}

const dropped = (store: Store) => store.eventsAfter(0, 10_000).filter((e) => e.type === 'retention.dropped');

describe('age retention across wall-clock steps', () => {
  it('never deletes readings of this run after a forward step, though their timestamps are years old', () => {
    const { c, opts, run } = clocks(Y2020);
    const store = temp.open(temp.file(), { ...opts, retention: { maxAgeDays: 7, maxSizeMB: 0 } });
    store.append(samples(200, c.wall - 120_000));
    store.flush();
    run(120_000);
    c.wall = Y2026; // NTP corrects the Pi
    store.enforceRetention();
    expect(dropped(store)).toEqual([]);
    expect(store.stats().readingCount).toBe(200);
  });

  it('ages this run by the monotonic clock: its readings go once the run is maxAgeDays old', () => {
    const { c, opts, run } = clocks(Y2020);
    const store = temp.open(temp.file(), { ...opts, retention: { maxAgeDays: 2, maxSizeMB: 0 } });
    store.append(samples(100, c.wall)); // seq 1..100
    store.flush();
    c.wall = Y2026;
    store.enforceRetention();
    expect(store.stats().readingCount).toBe(100);
    for (let day = 0; day < 3; day++) {
      run(DAY);
      store.append(samples(10, c.wall)); // fresh readings each day
      store.flush();
      store.enforceRetention();
    }
    // the 2020-stamped readings were written 3 monotonic days ago: older than maxAgeDays now
    expect(dropped(store).map((e) => e.data)).toEqual([{ reason: 'age', stream: 'readings', fromSeq: 1, toSeq: 100, count: 100 }]);
    expect(store.stats().readingCount).toBe(30);
  });

  it('after a step, one pass deletes at most maxShareAfterStep of the readings; the cap ends an hour later', () => {
    const { c, opts, run } = clocks(Y2026);
    const file = temp.file();
    // an earlier run's readings, stamped in 2020 by a clock that was wrong then
    const first = temp.open(file, { ...opts, retention: { maxAgeDays: 7, maxSizeMB: 0 } });
    first.append(samples(1000, Y2020));
    first.flush();
    first.close();
    c.wall = Y2020 + 2 * DAY; // this run booted with the old time
    const store = temp.open(file, { ...opts, retention: { maxAgeDays: 7, maxSizeMB: 0, maxShareAfterStep: 0.25 } });
    run(60_000);
    c.wall = Y2026; // ... and synchronised
    store.enforceRetention();
    expect(store.stats().readingCount).toBe(750);
    run(60_000);
    store.enforceRetention();
    expect(store.stats().readingCount).toBeGreaterThanOrEqual(750 - Math.floor(0.25 * 750));
    run(STEP_CAP_MS);
    store.enforceRetention();
    expect(store.stats().readingCount).toBe(0);
  });

  it('deletes normally when the clock did not step', () => {
    const { c, opts, run } = clocks(Y2026);
    const file = temp.open(temp.file(), { ...opts, retention: { maxAgeDays: 1, maxSizeMB: 0 } });
    file.append(samples(50, c.wall));
    file.flush();
    // passes run on their timer (every minute in the gateway; hourly here)
    for (let h = 0; h < 48; h++) {
      run(3_600_000);
      file.enforceRetention();
    }
    expect(file.stats().readingCount).toBe(0);
  });
});
