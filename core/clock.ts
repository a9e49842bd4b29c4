/**
 * Two clocks, kept apart on purpose. The wall clock (Date.now) stamps readings and events; it can
 * step (a Pi boots without a real-time clock, then NTP corrects it by years). The monotonic clock
 * (performance.now) only runs forward at a steady rate: every schedule, timeout, delay, window,
 * backoff and uptime is measured on it, so a step of the wall clock never moves them.
 */

/** The wall clock moving this much more or less than the monotonic one between two looks is a step. */
export const STEP_THRESHOLD_MS = 2000;

/** The monotonic clock, in ms from an arbitrary origin. */
export const monotonicNow = (): number => performance.now();

/**
 * The monotonic clock a service uses: the injected one; else, when only a wall clock was injected
 * (a test's single fake clock), that one, so the test's clock drives both; else performance.now.
 */
export function monotonicOf(options: { now?: () => number; monoNow?: () => number }): () => number {
  return options.monoNow ?? options.now ?? monotonicNow;
}
