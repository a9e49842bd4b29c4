/**
 * The sampler owns timing: a drift-free schedule per device, one request in flight per physical
 * link, backoff after failures, and comm-loss detection. Drivers only know protocols.
 */
import { setMaxListeners } from 'node:events';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from '../core/backoff.js';
import { type DeviceStatus, initialStatus } from '../core/device-status.js';
import { type Driver, isPushSource } from '../core/driver.js';
import { monotonicOf } from '../core/clock.js';
import { DriverError, errorMessage } from '../core/errors.js';
import { createLinkLock, type LinkLock } from '../core/link-lock.js';
import type { Logger } from '../core/logger.js';
import { badSample, type Sample } from '../core/types.js';

export interface SampledDevice {
  driver: Driver;
  pollIntervalMs: number;
  /** the device's point ids, for the bad samples written when it goes down */
  pointIds: readonly string[];
}

export interface SamplerOptions {
  devices: readonly SampledDevice[];
  /** receives every poll's samples (the store's append) */
  sink: (samples: Sample[]) => void;
  logger: Logger;
  backoff?: BackoffPolicy;
  /** consecutive failed polls before a device counts as down (default 2) */
  downAfterFailures?: number;
  /** a poll that has not finished after this long is aborted (default 10 × interval, ≥ 5 s) */
  pollDeadlineMs?: (device: SampledDevice) => number;
  linkLock?: LinkLock;
  /** wall clock (ms epoch): the status times and the bad samples' timestamps */
  now?: () => number;
  /** monotonic clock: the poll grid, backoff and poll durations (default performance.now; see clock.ts) */
  monoNow?: () => number;
}

export interface Sampler {
  start(): void;
  /** Stops scheduling, aborts polls in flight and closes the drivers. */
  stop(): Promise<void>;
  status(): DeviceStatus[];
  statusOf(deviceId: string): DeviceStatus | undefined;
}

export function createSampler(options: SamplerOptions): Sampler {
  const now = options.now ?? Date.now;
  // The grid runs on the monotonic clock: a wall-clock step must neither stall polling (a step
  // back put every slot minutes or days ahead) nor count years of skipped slots (a step forward).
  const mono = monotonicOf(options);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const downAfter = options.downAfterFailures ?? 2;
  const deadlineOf = options.pollDeadlineMs ?? ((d: SampledDevice) => Math.max(5000, d.pollIntervalMs * 10));
  const linkLock = options.linkLock ?? createLinkLock();
  const stopController = new AbortController();
  // every poll in flight listens for the stop (removed when it ends): one per device, not a leak
  setMaxListeners(0, stopController.signal);
  const runners = options.devices.map((device) => createDeviceRunner(device));

  function createDeviceRunner(device: SampledDevice) {
    const { driver, pollIntervalMs } = device;
    const log = options.logger.child({ device: driver.deviceId });
    const status = initialStatus(driver.deviceId);
    let timer: NodeJS.Timeout | undefined;
    let epoch = 0;
    let slot = 0;
    let connected = false;
    let unsubscribe: (() => void) | undefined;
    let running: Promise<void> = Promise.resolve();
    const pushes = isPushSource(driver);

    const schedule = (at: number) => {
      if (stopController.signal.aborted) return;
      timer = setTimeout(() => {
        running = poll();
      }, Math.max(0, at - mono()));
    };

    /** Next slot on the fixed grid epoch + k × interval, skipping (and counting) missed ones. */
    const nextSlotAfter = (t: number) => {
      const due = epoch + (slot + 1) * pollIntervalMs;
      if (due > t) {
        slot += 1;
        return due;
      }
      const k = Math.floor((t - epoch) / pollIntervalMs) + 1;
      status.overruns += k - slot - 1;
      slot = k;
      return epoch + k * pollIntervalMs;
    };

    const poll = async () => {
      const started = mono();
      status.lastAttempt = now();
      // A plain controller and timer, cleared when the poll ends: AbortSignal.any/timeout per poll
      // keep timers and listeners alive for the whole deadline, thousands of them on a large site.
      const controller = new AbortController();
      const signal = controller.signal;
      const deadline = setTimeout(
        () => controller.abort(new DriverError(`no result within ${deadlineOf(device)} ms`, driver.deviceId, 'timeout')),
        deadlineOf(device),
      );
      const onStop = () => controller.abort(stopController.signal.reason);
      stopController.signal.addEventListener('abort', onStop, { once: true });
      try {
        const samples = await linkLock.run(driver.linkId, async () => {
          // The wait for a shared link may outlast the poll deadline or a stop.
          signal.throwIfAborted();
          if (!connected) {
            await driver.connect(signal);
            connected = true;
            if (isPushSource(driver)) unsubscribe = driver.subscribe(options.sink);
          }
          return driver.read(signal);
        });
        if (stopController.signal.aborted) return;
        // A push device's read is its health check: its values reached the sink when they arrived.
        if (!pushes) options.sink(samples);
        onSuccess(samples, started);
        schedule(nextSlotAfter(mono()));
      } catch (err) {
        if (stopController.signal.aborted) return;
        await onFailure(err);
        const delay = backoffDelay(backoff, status.consecutiveFailures);
        status.retryAt = now() + delay;
        // Back off, but stay on the device's grid so recovery resumes the normal rhythm.
        schedule(Math.max(mono() + delay, nextSlotAfter(mono())));
      } finally {
        clearTimeout(deadline);
        stopController.signal.removeEventListener('abort', onStop);
      }
    };

    const onSuccess = (samples: Sample[], started: number) => {
      const wasDown = status.state === 'down';
      status.polls += 1;
      status.lastSuccess = now();
      status.lastPollMs = Math.round(mono() - started);
      status.consecutiveFailures = 0;
      status.retryAt = null;
      status.state = samples.every((s) => s.quality === 'good') ? 'up' : 'degraded';
      if (wasDown) log.info('device back up');
    };

    const onFailure = async (err: unknown) => {
      status.errorCount += 1;
      status.consecutiveFailures += 1;
      status.lastError = errorMessage(err);
      connected = false;
      unsubscribe?.();
      unsubscribe = undefined;
      try {
        await driver.reset();
      } catch (resetErr) {
        log.debug('reset failed', { error: errorMessage(resetErr) });
      }
      if (status.consecutiveFailures >= downAfter && status.state !== 'down') {
        status.state = 'down';
        const reason = err instanceof DriverError ? err.reason : 'comm';
        // One bad sample per point marks the outage in history and the latest view; nothing
        // more is written until the device answers again.
        const t = now();
        options.sink(device.pointIds.map((id) => badSample(id, t, reason)));
        log.warn('device down', { error: status.lastError, failures: status.consecutiveFailures });
      } else if (status.state === 'up') {
        status.state = 'degraded';
      }
      if (err instanceof DriverError && !err.retryable && status.consecutiveFailures === 1) {
        log.error('device cannot work until its config changes', { error: status.lastError });
      }
    };

    return {
      status,
      start() {
        epoch = mono();
        slot = 0;
        running = poll();
      },
      async stop() {
        clearTimeout(timer);
        await running.catch(() => undefined);
        unsubscribe?.();
        await driver.close().catch((err) => log.debug('close failed', { error: errorMessage(err) }));
      },
    };
  }

  return {
    start() {
      for (const runner of runners) runner.start();
    },
    async stop() {
      stopController.abort();
      await Promise.all(runners.map((r) => r.stop()));
    },
    status: () => runners.map((r) => ({ ...r.status })),
    statusOf(deviceId) {
      const r = runners.find((x) => x.status.deviceId === deviceId);
      return r ? { ...r.status } : undefined;
    },
  };
}
