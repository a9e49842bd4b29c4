/**
 * The health check after a live apply: for a guard time, a device that answered before the change
 * and is still configured must not go down, and a sync target that was reachable must not start
 * failing. If one does, the change is taken to be what broke it (a wrong address, a wrong unit id,
 * a wrong token) and the previous version is restored by itself, with the reason in its event. A
 * newer apply ends the watch of the one before (it has its own).
 */
import type { CommState } from '../core/device-status.js';
import type { Logger } from '../core/logger.js';

export interface GuardWatch {
  /** devices that were up (or degraded) just before the apply */
  upBefore: readonly string[];
  /** push targets that were reachable just before the apply */
  reachableBefore?: readonly string[];
  /** the version the apply made, and the one to go back to */
  applied: number;
  previous: number;
  guardMs: number;
}

export interface ConfigGuard {
  watch(w: GuardWatch): void;
  /** the watch in progress, if any */
  active(): { applied: number; previous: number; until: number } | undefined;
  stop(): void;
}

export interface ConfigGuardOptions {
  deviceState(id: string): CommState | undefined;
  /** whether the running config still has this device */
  configured(id: string): boolean;
  /**
   * whether a push target is failing now (its sends fail since its last ack); undefined when the
   * running config has no such target. Without it, targets are not watched.
   */
  targetFailing?(id: string): boolean | undefined;
  rollback(toVersion: number, reason: string): Promise<void>;
  logger: Logger;
  checkEveryMs?: number;
  now?: () => number;
}

export function createConfigGuard(options: ConfigGuardOptions): ConfigGuard {
  const now = options.now ?? Date.now;
  const every = options.checkEveryMs ?? 500;
  let current: (GuardWatch & { until: number; timer: NodeJS.Timeout }) | undefined;

  const end = () => {
    if (current) clearInterval(current.timer);
    current = undefined;
  };

  const check = () => {
    const w = current;
    if (!w) return;
    const broken = w.upBefore.filter((id) => options.configured(id) && options.deviceState(id) === 'down');
    const unreachable = (w.reachableBefore ?? []).filter((id) => options.targetFailing?.(id) === true);
    if (broken.length > 0 || unreachable.length > 0) {
      end();
      const plural = (n: number) => (n === 1 ? '' : 's');
      const what = [
        ...(broken.length > 0 ? [`device${plural(broken.length)} ${broken.join(', ')} went down`] : []),
        ...(unreachable.length > 0 ? [`sync target${plural(unreachable.length)} ${unreachable.join(', ')} could no longer be reached`] : []),
      ];
      const reason = `${what.join(' and ')} within the guard time after version ${w.applied}`;
      options.logger.warn('config change broke devices or sync: restoring the previous version', {
        applied: w.applied,
        previous: w.previous,
        devices: broken.join(','),
        targets: unreachable.join(','),
      });
      options.rollback(w.previous, reason).catch((err: unknown) => options.logger.error('automatic rollback failed', { error: err }));
      return;
    }
    if (now() >= w.until) end();
  };

  return {
    watch(w) {
      end();
      const timer = setInterval(check, every);
      timer.unref();
      current = { ...w, until: now() + w.guardMs, timer };
    },
    active: () => (current ? { applied: current.applied, previous: current.previous, until: current.until } : undefined),
    stop: end,
  };
}
