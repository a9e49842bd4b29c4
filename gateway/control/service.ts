/**
 * The control service (issue 14): the one path from a person, an API client or the central EMS to
 * a device. It checks (in this order: not-found, not-writable, bad-value, out-of-range, role,
 * device-down, point-bad, rate-limited), writes under the device's link lock so a write never
 * interleaves with a poll, reads the point back until it matches or the spec's timeout passes, and
 * appends one `control.write` event per attempt, whatever the outcome.
 */
import { monotonicOf } from '../../core/clock.js';
import type { CommState } from '../../core/device-status.js';
import type { LoadedDevice } from '../../core/device.js';
import { type Driver, isPushSource, isWritable } from '../../core/driver.js';
import { DriverError, errorMessage } from '../../core/errors.js';
import type { LinkLock } from '../../core/link-lock.js';
import type { Logger } from '../../core/logger.js';
import type { PointValue, Sample } from '../../core/types.js';
import type { WriteSpec } from '../../core/write-spec.js';
import type { Store } from '../store/types.js';
import { checkValue, sameValue, valueKindOf } from './check-value.js';
import { createRateWindow } from './rate-window.js';
import type { ControlActor, ControlSection, ControlService, WriteRefusal, WriteRequest, WriteResult } from './types.js';

export const CONTROL_WRITE_EVENT = 'control.write';
/** pause between two read-backs */
export const READ_BACK_INTERVAL_MS = 200;

export interface ControlServiceOptions {
  /** the configured devices and their points (a point is writable only with a `write` spec) */
  devices: readonly LoadedDevice[];
  /** the sampler's driver instances, by device id: the service never opens a second link */
  driverOf: (deviceId: string) => Driver | undefined;
  /** the sampler's view of the device (`down`/`connecting`: refused) */
  deviceState: (deviceId: string) => CommState | undefined;
  store: Pick<Store, 'latestOf' | 'appendEvent'>;
  /** where read-back samples go (the sampler's sink), so the history shows the new value at once */
  ingest?: (samples: Sample[]) => void;
  /** the sampler's lock: the same instance, or a write could interleave with a poll on a serial bus */
  linkLock: LinkLock;
  config: ControlSection;
  logger: Logger;
  /** wall clock (events) */
  now?: () => number;
  /** monotonic clock (rate window, durations, read-back deadline) */
  monoNow?: () => number;
  readBackIntervalMs?: number;
}

/** ranks for the spec's role; `ems` is ranked by the caller (operator-level when allowed) */
const RANK = { viewer: 0, operator: 1, admin: 2 } as const;

export function createControlService(options: ControlServiceOptions): ControlService {
  const { store, linkLock, config, logger } = options;
  const now = options.now ?? Date.now;
  const mono = monotonicOf(options);
  const interval = options.readBackIntervalMs ?? READ_BACK_INTERVAL_MS;
  const rate = createRateWindow(config.rateLimitPerPoint, mono);
  const stats: Record<WriteResult['result'], number> = { verified: 0, written: 0, refused: 0, failed: 0 };
  // every configured point, writable or not: a point without a spec is not-writable, not not-found
  let targets = writeTargets(options.devices);

  function writeTargets(devices: readonly LoadedDevice[]): Map<string, { deviceId: string; spec?: WriteSpec }> {
    const map = new Map<string, { deviceId: string; spec?: WriteSpec }>();
    for (const d of devices) for (const p of d.points) map.set(p.id, { deviceId: d.id, spec: p.write });
    return map;
  }

  async function write(request: WriteRequest): Promise<WriteResult> {
    const started = mono();
    const { pointId } = request;
    const target = targets.get(pointId);
    const latest = store.latestOf(pointId);
    const oldValue: PointValue | undefined = latest?.value;
    const finish = (result: WriteResult['result'], extra: { reason?: WriteRefusal; message?: string; readBack?: PointValue } = {}): WriteResult => {
      const out: WriteResult = { result, pointId, requested: request.value, oldValue, durationMs: Math.round(mono() - started), ...extra };
      record(request, target?.deviceId ?? null, out);
      return out;
    };
    const refuse = (reason: WriteRefusal, message: string) => finish('refused', { reason, message });

    if (!target) return refuse('not-found', `no point "${pointId}"`);
    const { deviceId, spec } = target;
    if (!spec) return refuse('not-writable', `${pointId} has no write block in its config`);
    const driver = options.driverOf(deviceId);
    if (!driver || !isWritable(driver)) return refuse('not-writable', `the ${deviceId} driver cannot write`);
    const checked = checkValue(spec, valueKindOf(spec, oldValue ?? undefined), request.value);
    if (!checked.ok) return refuse(checked.reason, checked.message);
    const roleProblem = checkRole(request.actor, spec);
    if (roleProblem) return refuse('role', roleProblem);
    const state = options.deviceState(deviceId);
    if (state === undefined || state === 'down' || state === 'connecting') {
      return refuse('device-down', `${deviceId} is ${state === 'connecting' ? 'not connected yet' : 'down'}`);
    }
    if (latest?.quality === 'bad') return refuse('point-bad', `${pointId} is bad (${latest.reason ?? 'no reason given'})`);
    if (!rate.take(pointId)) {
      const { count, perSeconds } = config.rateLimitPerPoint;
      return refuse('rate-limited', `more than ${count} writes to ${pointId} in ${perSeconds} s`);
    }

    const value = checked.value;
    // The write's own deadline: a device that never answers must not hold the link for ever.
    const controller = new AbortController();
    const deadline = setTimeout(
      () => controller.abort(new DriverError(`no answer within ${spec.timeoutMs} ms`, deviceId, 'timeout')),
      spec.timeoutMs,
    );
    try {
      await linkLock.run(driver.linkId, async () => {
        controller.signal.throwIfAborted();
        await driver.write(pointId, value, controller.signal);
      });
    } catch (err) {
      const reason = err instanceof DriverError ? err.reason : undefined;
      // The driver found the value unrepresentable before sending (e.g. beyond the register type).
      if (reason === 'out-of-range' || reason === 'bad-value') return refuse(reason, errorMessage(err));
      logger.warn('write failed', { point: pointId, error: errorMessage(err) });
      return finish('failed', { reason: 'write-failed', message: errorMessage(err) });
    } finally {
      clearTimeout(deadline);
    }
    if (!spec.readBack) return finish('written');
    const back = await readBack(driver, pointId, value, spec.timeoutMs);
    if (back.matched) return finish('verified', { readBack: back.value });
    const shown = back.value === undefined ? 'nothing' : JSON.stringify(back.value);
    return finish('failed', {
      reason: 'verify-failed',
      message: `read back ${shown} instead of ${JSON.stringify(value)} within ${spec.timeoutMs} ms`,
      ...(back.value !== undefined && { readBack: back.value }),
    });
  }

  function checkRole(actor: ControlActor, spec: WriteSpec): string | undefined {
    if (actor.role === 'ems' && !config.allowEms) return 'central control is off (control.allowEms: false)';
    // An allowed EMS writes like an operator: admin-only points stay local.
    const rank = actor.role === 'ems' ? RANK.operator : RANK[actor.role];
    if (rank < RANK[spec.role]) return `this point needs the ${spec.role} role; ${actor.name} is ${actor.role}`;
    return undefined;
  }

  /** Reads the device (under the lock each time) until the point shows the value or the timeout passes. */
  async function readBack(driver: Driver, pointId: string, value: number | boolean | string, timeoutMs: number) {
    const until = mono() + timeoutMs;
    let last: PointValue | undefined;
    for (;;) {
      const controller = new AbortController();
      const deadline = setTimeout(() => controller.abort(new Error('read-back timeout')), Math.max(100, until - mono()));
      try {
        const samples = await linkLock.run(driver.linkId, () => driver.read(controller.signal));
        // A push driver's read is its cache; its values reach the store through its subscription.
        if (!isPushSource(driver)) options.ingest?.(samples);
        const sample = samples.find((s) => s.pointId === pointId);
        if (sample && sample.quality !== 'bad') {
          last = sample.value;
          if (sameValue(value, sample.value)) return { matched: true, value: sample.value };
        }
      } catch (err) {
        logger.debug('read-back failed', { point: pointId, error: errorMessage(err) });
      } finally {
        clearTimeout(deadline);
      }
      const left = until - mono();
      if (left <= 0) return { matched: false, value: last };
      await new Promise((r) => setTimeout(r, Math.min(interval, left)));
    }
  }

  function record(request: WriteRequest, deviceId: string | null, out: WriteResult): void {
    stats[out.result] += 1;
    const data: Record<string, unknown> = {
      pointId: out.pointId,
      deviceId,
      actor: { kind: request.actor.kind, name: request.actor.name, role: request.actor.role },
      oldValue: out.oldValue ?? null,
      requested: request.value ?? null,
      result: out.result,
      durationMs: out.durationMs,
    };
    if (out.readBack !== undefined) data.readBack = out.readBack;
    if (out.reason !== undefined) data.reason = out.reason;
    if (out.message !== undefined) data.message = out.message;
    if (request.comment !== undefined && request.comment !== '') data.comment = request.comment;
    if (request.commandId !== undefined) data.commandId = request.commandId;
    try {
      store.appendEvent(CONTROL_WRITE_EVENT, data, now());
    } catch (err) {
      // The attempt happened whatever the store says; the log keeps it when the store cannot.
      logger.error('cannot record a control.write event', { point: out.pointId, result: out.result, error: errorMessage(err) });
    }
    const log = out.result === 'verified' || out.result === 'written' ? logger.info : logger.warn;
    log.call(logger, 'control write', { point: out.pointId, actor: request.actor.name, result: out.result, reason: out.reason });
  }

  return {
    write,
    stats: () => ({ ...stats }),
    replaceDevices(devices) {
      // A write already under way finishes with the spec it was checked against; the next one sees these.
      targets = writeTargets(devices);
    },
  };
}
