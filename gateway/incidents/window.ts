/**
 * The recent samples of one point, on the monotonic clock, for rate conditions: the change per
 * minute between the oldest and the newest sample of the window. A rate needs the samples to span
 * at least half the window (at most 30 s), so two samples a second apart never make a trend.
 */
export interface PointWindow {
  add(at: number, value: number): void;
  /** the latest value, or undefined when none is left in the window */
  latest(now: number): number | undefined;
  /** units per minute over the last `windowMs`, or undefined while there is too little data */
  ratePerMin(now: number, windowMs: number): number | undefined;
}

const MIN_SPAN_MS = 30_000;
/** stale samples kept at most before a compaction (beside at most as many live ones) */
const COMPACT_AT = 32;

/** `keepMs`: a function when the rules may change while the window lives (live config). */
export function createPointWindow(keep: number | (() => number)): PointWindow {
  const keepOf = typeof keep === 'number' ? () => keep : keep;
  const ts: number[] = [];
  const values: number[] = [];
  /**
   * Samples before `head` are out of the window. They are cut off in one splice once they are
   * half the arrays, not one by one: a splice per sample moved the whole window (~120 samples at
   * a 2-minute window) on every reading of every watched point.
   */
  let head = 0;
  const trim = (now: number) => {
    const keepMs = keepOf();
    while (head < ts.length - 1 && ts[head]! < now - keepMs) head++;
    if (head >= COMPACT_AT && head * 2 >= ts.length) {
      ts.splice(0, head);
      values.splice(0, head);
      head = 0;
    }
  };
  return {
    add(at, value) {
      ts.push(at);
      values.push(value);
      trim(at);
    },
    // no trim: the tick asks this of every watched point, and only the newest sample matters
    latest(now) {
      const last = ts.length - 1;
      return last >= 0 && ts[last]! >= now - keepOf() ? values[last] : undefined;
    },
    ratePerMin(now, windowMs) {
      trim(now);
      const first = firstAtOrAfter(ts, head, now - windowMs);
      if (first < 0) return undefined;
      const last = ts.length - 1;
      const span = ts[last]! - ts[first]!;
      if (span < Math.min(MIN_SPAN_MS, windowMs / 2) || span <= 0) return undefined;
      return ((values[last]! - values[first]!) * 60_000) / span;
    },
  };
}

/** Index of the first time at or after `from` in ascending `ts` from `lo` on (binary search: the tick asks this of every watched point), or -1. */
function firstAtOrAfter(ts: readonly number[], start: number, from: number): number {
  let lo = start;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < ts.length ? lo : -1;
}
