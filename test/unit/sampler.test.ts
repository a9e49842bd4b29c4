import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Driver, PushSource } from '../../core/driver.js';
import { DriverError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { createSampler, type SampledDevice } from '../../gateway/sampler.js';
import type { Sample } from '../../core/types.js';

/** A driver whose reads take `readMs` of (fake) time and succeed or fail as the script says. */
function scriptedDriver(
  deviceId: string,
  linkId: string,
  opts: { readMs?: number; fail?: (call: number) => boolean; quality?: Sample['quality'] } = {},
) {
  const calls = { connect: 0, read: 0, reset: 0, close: 0, readTimes: [] as number[], inFlight: 0, maxInFlight: 0 };
  const driver: Driver = {
    deviceId,
    linkId,
    async connect() {
      calls.connect += 1;
    },
    async read(signal) {
      calls.read += 1;
      calls.readTimes.push(Date.now());
      calls.inFlight += 1;
      calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, opts.readMs ?? 0);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new DriverError('aborted', deviceId, 'comm'));
          });
        });
      } finally {
        calls.inFlight -= 1;
      }
      if (opts.fail?.(calls.read)) throw new DriverError('no answer', deviceId, 'timeout');
      return [{ pointId: `${deviceId}.p`, ts: Date.now(), value: 1, quality: opts.quality ?? 'good' }];
    },
    async reset() {
      calls.reset += 1;
    },
    async close() {
      calls.close += 1;
    },
  };
  return { driver, calls };
}

function device(driver: Driver, pollIntervalMs = 1000): SampledDevice {
  return { driver, pollIntervalMs, pointIds: [`${driver.deviceId}.p`] };
}

describe('sampler', () => {
  let written: Sample[];
  beforeEach(() => {
    // performance too: the sampler's grid and backoff run on the monotonic clock, and real time
    // leaking in made these counts flaky on a busy machine
    vi.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance'] });
    written = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('polls on a fixed grid without drift', async () => {
    const a = scriptedDriver('a', 'link-a', { readMs: 37 });
    const sampler = createSampler({ devices: [device(a.driver)], sink: (s) => written.push(...s), logger: silentLogger });
    sampler.start();
    await vi.advanceTimersByTimeAsync(10_000);
    await sampler.stop();
    expect(a.calls.readTimes.map((t) => t - 1_000_000)).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000]);
    expect(a.calls.connect).toBe(1);
    expect(a.calls.close).toBe(1);
  });

  it('never overlaps a slow device with itself and counts skipped slots', async () => {
    const a = scriptedDriver('a', 'link-a', { readMs: 2500 });
    const sampler = createSampler({ devices: [device(a.driver)], sink: () => {}, logger: silentLogger });
    sampler.start();
    await vi.advanceTimersByTimeAsync(9000);
    const status = sampler.statusOf('a')!;
    await sampler.stop();
    expect(a.calls.maxInFlight).toBe(1);
    expect(a.calls.readTimes.map((t) => t - 1_000_000)).toEqual([0, 3000, 6000, 9000]);
    expect(status.overruns).toBe(6);
  });

  it('keeps one request in flight per link, and links independent', async () => {
    const inFlight = new Map<string, number>();
    const maxInFlight = new Map<string, number>();
    const wrap = (d: Driver): Driver => ({
      ...d,
      async read(signal) {
        inFlight.set(d.linkId, (inFlight.get(d.linkId) ?? 0) + 1);
        maxInFlight.set(d.linkId, Math.max(maxInFlight.get(d.linkId) ?? 0, inFlight.get(d.linkId)!));
        try {
          return await d.read(signal);
        } finally {
          inFlight.set(d.linkId, inFlight.get(d.linkId)! - 1);
        }
      },
    });
    const bus = ['u1', 'u2', 'u3'].map((id) => scriptedDriver(id, 'rtu:/dev/ttyUSB0', { readMs: 200 }));
    const other = scriptedDriver('tcp1', 'tcp://10.0.0.5:502', { readMs: 200 });
    const sampler = createSampler({
      devices: [...bus, other].map((d) => device(wrap(d.driver))),
      sink: () => {},
      logger: silentLogger,
    });
    sampler.start();
    await vi.advanceTimersByTimeAsync(5700);
    await sampler.stop();
    expect(maxInFlight.get('rtu:/dev/ttyUSB0')).toBe(1);
    // Three devices × 200 ms fit in each 1 s slot: every one keeps its rate.
    for (const d of bus) expect(d.calls.read).toBe(6);
    expect(other.calls.read).toBe(6);
    // The other link ran in parallel with the bus, not after it.
    expect(other.calls.readTimes[0]).toBe(1_000_000);
  });

  it('backs off a dead slave so the others on its bus keep their rate', async () => {
    const dead = scriptedDriver('dead', 'bus', { readMs: 1000, fail: () => true });
    const alive = scriptedDriver('alive', 'bus', { readMs: 20 });
    const sampler = createSampler({
      devices: [device(dead.driver), device(alive.driver)],
      sink: (s) => written.push(...s),
      logger: silentLogger,
      backoff: { initialMs: 1000, maxMs: 30_000 },
    });
    sampler.start();
    await vi.advanceTimersByTimeAsync(120_000);
    const deadStatus = sampler.statusOf('dead')!;
    const aliveStatus = sampler.statusOf('alive')!;
    await sampler.stop();
    // 120 s at 1 s: without backoff the dead slave's 1 s timeouts would halve the bus rate.
    expect(alive.calls.read).toBeGreaterThanOrEqual(110);
    expect(dead.calls.read).toBeLessThan(20);
    expect(deadStatus.state).toBe('down');
    expect(deadStatus.errorCount).toBe(dead.calls.read);
    expect(aliveStatus.state).toBe('up');
    // The outage is written once (one bad sample per point), not once per failed poll.
    const deadSamples = written.filter((s) => s.pointId === 'dead.p');
    expect(deadSamples).toEqual([{ pointId: 'dead.p', ts: expect.any(Number), value: null, quality: 'bad', reason: 'timeout' }]);
  });

  it('resets the link after a failure and reports recovery', async () => {
    const flaky = scriptedDriver('f', 'l', { fail: (call) => call >= 2 && call <= 4 });
    const sampler = createSampler({
      devices: [device(flaky.driver)],
      sink: (s) => written.push(...s),
      logger: silentLogger,
      backoff: { initialMs: 100, maxMs: 400 },
    });
    sampler.start();
    await vi.advanceTimersByTimeAsync(1500);
    expect(sampler.statusOf('f')!.state).toBe('degraded');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sampler.statusOf('f')!.state).toBe('down');
    await vi.advanceTimersByTimeAsync(5000);
    const status = sampler.statusOf('f')!;
    await sampler.stop();
    expect(status.state).toBe('up');
    expect(status.consecutiveFailures).toBe(0);
    expect(flaky.calls.reset).toBe(3);
    // Each failure drops the link; each later attempt connects again.
    expect(flaky.calls.connect).toBe(4);
  });

  it('marks a device degraded when some of its points are bad', async () => {
    const partly = scriptedDriver('p', 'l', { quality: 'bad' });
    const sampler = createSampler({ devices: [device(partly.driver)], sink: () => {}, logger: silentLogger });
    sampler.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(sampler.statusOf('p')!.state).toBe('degraded');
    await sampler.stop();
  });

  it('subscribes a push device once per connection and uses its read only as a health check', async () => {
    let pushTo: ((s: Sample[]) => void) | undefined;
    let subscriptions = 0;
    let unsubscribed = 0;
    let failNext = false;
    const push: Driver & PushSource = {
      deviceId: 'm',
      linkId: 'mqtt://broker',
      async connect() {},
      async read() {
        if (failNext) {
          failNext = false;
          throw new DriverError('broker gone', 'm', 'comm');
        }
        return [{ pointId: 'm.t', ts: Date.now(), value: 21, quality: 'good' }];
      },
      async reset() {},
      async close() {},
      subscribe(sink) {
        subscriptions += 1;
        pushTo = sink;
        return () => {
          unsubscribed += 1;
        };
      },
    };
    const sampler = createSampler({
      devices: [device(push)],
      sink: (s) => written.push(...s),
      logger: silentLogger,
      backoff: { initialMs: 100, maxMs: 100 },
    });
    sampler.start();
    await vi.advanceTimersByTimeAsync(3000);
    pushTo!([{ pointId: 'm.t', ts: Date.now(), value: 22.5, quality: 'good' }]);
    expect(written.map((s) => s.value)).toEqual([22.5]);
    expect(subscriptions).toBe(1);
    failNext = true;
    await vi.advanceTimersByTimeAsync(3000);
    await sampler.stop();
    // The failed health check dropped the subscription; the reconnect made a new one.
    expect(subscriptions).toBe(2);
    expect(unsubscribed).toBe(2);
  });
});
