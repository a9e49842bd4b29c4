/**
 * The sampler's grid runs on the monotonic clock: a wall-clock step (vi.setSystemTime moves Date
 * only, performance.now runs on) neither stalls polling nor counts phantom overruns.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Driver } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler } from '../../gateway/sampler.js';
import type { Sample } from '../../core/types.js';

const DAY = 86_400_000;

function countingDriver(fail = (_call: number) => false) {
  const reads: number[] = [];
  const driver: Driver = {
    deviceId: 'a',
    linkId: 'link-a',
    async connect() {},
    async read() {
      reads.push(performance.now());
      if (fail(reads.length)) throw new DriverError('no answer', 'a', 'timeout');
      return [{ pointId: 'a.p', ts: Date.now(), value: 1, quality: 'good' }];
    },
    async reset() {},
    async close() {},
  };
  return { driver, reads };
}

describe('sampler across wall-clock steps', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ['back 300 s', -300_000],
    ['back one day', -DAY],
    ['forward 40 days', 40 * DAY],
    ['forward 2020 → 2026', 6 * 365 * DAY],
  ])('keeps polling every second after a step %s, with no phantom overruns', async (_name, stepMs) => {
    const a = countingDriver();
    const written: Sample[] = [];
    const sampler = createSampler({ devices: [{ driver: a.driver, pollIntervalMs: 1000, pointIds: ['a.p'] }], sink: (s) => written.push(...s), logger: silentLogger });
    sampler.start();
    await vi.advanceTimersByTimeAsync(3000);
    const before = a.reads.length;
    vi.setSystemTime(Date.now() + stepMs);
    await vi.advanceTimersByTimeAsync(10_000);
    await sampler.stop();
    expect(a.reads.length - before).toBe(10);
    const status = sampler.statusOf('a')!;
    expect(status.overruns).toBe(0);
    expect(status.state).toBe('up');
    // readings keep wall-clock timestamps: the last one carries the stepped time
    expect(written.at(-1)!.ts).toBe(Date.now());
  });

  it('backs off on the monotonic clock after a step back, and shows the retry time on the wall clock', async () => {
    const a = countingDriver((call) => call >= 2);
    const sampler = createSampler({
      devices: [{ driver: a.driver, pollIntervalMs: 1000, pointIds: ['a.p'] }],
      sink: () => {},
      logger: silentLogger,
      backoff: { initialMs: 4000, maxMs: 4000 },
    });
    sampler.start();
    await vi.advanceTimersByTimeAsync(0);
    vi.setSystemTime(Date.now() - DAY);
    // read 2 fails at 1 s; full-jitter backoff of 4 s retries 2..4 s later, whatever the wall clock did
    await vi.advanceTimersByTimeAsync(1000);
    expect(a.reads).toHaveLength(2);
    const retryAt = sampler.statusOf('a')!.retryAt!;
    expect(retryAt - Date.now()).toBeGreaterThanOrEqual(2000);
    expect(retryAt - Date.now()).toBeLessThanOrEqual(4000);
    await vi.advanceTimersByTimeAsync(4000);
    await sampler.stop();
    expect(a.reads).toHaveLength(3);
    expect(a.reads[2]! - a.reads[1]!).toBeGreaterThanOrEqual(2000);
    expect(a.reads[2]! - a.reads[1]!).toBeLessThanOrEqual(4000);
  });
});
