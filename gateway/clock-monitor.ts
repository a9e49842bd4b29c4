/**
 * Watches the wall clock against the monotonic one. Every `checkMs` it compares how far each has
 * moved; when they disagree by more than `thresholdMs` the wall clock stepped (NTP corrected a Pi
 * that booted at an old time, an operator set the date). The step is written as a `clock.stepped`
 * store event { from, to, stepMs } (the audit trail the EMS sees), logged, and shown in health:
 * the `clock` section keeps the last step, and the `clock` self-health condition (status
 * `degraded`) stays raised for `showForMs` after it, long enough for a person or a monitoring
 * poll to notice. It also refreshes the clock-synchronised state (clock-sync.ts).
 */
import { monotonicNow, STEP_THRESHOLD_MS } from '../core/clock.js';
import type { ClockSyncProbe, ClockSyncState } from './clock-sync.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SelfHealth } from '../core/self-health.js';

export interface ClockStep {
  /** the wall time the clock would have shown without the step (ms epoch) */
  from: number;
  /** the wall time it showed after the step (ms epoch) */
  to: number;
  /** to − from: positive forward, negative backward */
  stepMs: number;
}

export interface ClockHealth {
  /** `unknown` when the system cannot tell (or clock.requireSync is off) */
  synchronised: ClockSyncState;
  /** wall-clock steps seen since start */
  steps: number;
  lastStep: ClockStep | null;
}

export interface ClockMonitorOptions {
  /** where `clock.stepped` events go (the store) */
  appendEvent(type: string, data: Record<string, unknown>, ts?: number): void;
  selfHealth?: SelfHealth;
  logger: Logger;
  sync?: ClockSyncProbe;
  now?: () => number;
  monoNow?: () => number;
  /** default 1000 */
  checkMs?: number;
  /** default 2000 */
  thresholdMs?: number;
  /** how long health shows the `clock` condition after a step, default 10 min */
  showForMs?: number;
  /** how often the synchronised state is asked again, default 30 s */
  syncRefreshMs?: number;
}

export interface ClockMonitor {
  start(): void;
  stop(): void;
  /** compares the clocks now (the timer calls it every checkMs); returns the step it found */
  check(): ClockStep | undefined;
  health(): ClockHealth;
}

export const CLOCK_CONDITION = 'clock';

export function createClockMonitor(options: ClockMonitorOptions): ClockMonitor {
  const wall = options.now ?? Date.now;
  const mono = options.monoNow ?? monotonicNow;
  const threshold = options.thresholdMs ?? STEP_THRESHOLD_MS;
  const showFor = options.showForMs ?? 600_000;
  const { logger } = options;
  let lastWall = wall();
  let lastMono = mono();
  let steps = 0;
  let lastStep: ClockStep | null = null;
  let clearAt: number | null = null;
  let timer: NodeJS.Timeout | undefined;
  let syncTimer: NodeJS.Timeout | undefined;

  function check(): ClockStep | undefined {
    const w = wall();
    const m = mono();
    const expected = lastWall + (m - lastMono);
    const stepMs = Math.round(w - expected);
    lastWall = w;
    lastMono = m;
    if (clearAt !== null && m >= clearAt) {
      options.selfHealth?.clear(CLOCK_CONDITION);
      clearAt = null;
    }
    if (Math.abs(stepMs) <= threshold) return undefined;
    const step: ClockStep = { from: Math.round(expected), to: w, stepMs };
    steps++;
    lastStep = step;
    clearAt = m + showFor;
    try {
      options.appendEvent('clock.stepped', { ...step }, w);
    } catch (err) {
      logger.error('could not record the clock step', { err: errorMessage(err) });
    }
    const how = `${stepMs > 0 ? 'forward' : 'back'} ${formatSpan(Math.abs(stepMs))}`;
    logger.warn('the wall clock stepped', { step: how, from: new Date(step.from).toISOString(), to: new Date(w).toISOString() });
    options.selfHealth?.raise(
      CLOCK_CONDITION,
      `the wall clock stepped ${how} at ${new Date(w).toISOString()}; timestamps just before it may be off (schedules and alarms run on the monotonic clock and were not affected)`,
    );
    return step;
  }

  async function refreshSync(): Promise<void> {
    const before = options.sync?.state();
    const now = await options.sync?.refresh();
    if (now && now !== before && now !== 'unknown') logger.info(now === 'synced' ? 'the wall clock is synchronised' : 'the wall clock is not synchronised: samples are marked uncertain (clock)');
  }

  return {
    start() {
      lastWall = wall();
      lastMono = mono();
      timer = setInterval(check, options.checkMs ?? 1000);
      timer.unref();
      if (options.sync) {
        void refreshSync();
        syncTimer = setInterval(() => void refreshSync(), options.syncRefreshMs ?? 30_000);
        syncTimer.unref();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      if (syncTimer) clearInterval(syncTimer);
      timer = syncTimer = undefined;
    },
    check,
    health: () => ({ synchronised: options.sync?.state() ?? 'unknown', steps, lastStep: lastStep && { ...lastStep } }),
  };
}

/** 300000 → "5 min", 3456000000 → "40 d": the log and health reason, not a parser's format. */
export function formatSpan(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}
