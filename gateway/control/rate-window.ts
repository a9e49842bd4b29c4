/**
 * Per-point sliding window of write attempts on the monotonic clock, so a wall-clock step never
 * opens or closes the window. An attempt counts once it passed every other check.
 */
export interface RateWindow {
  /** true (and the attempt counted) when the point has room in its window */
  take(pointId: string): boolean;
}

export function createRateWindow(limit: { count: number; perSeconds: number }, mono: () => number): RateWindow {
  const windowMs = limit.perSeconds * 1000;
  const attempts = new Map<string, number[]>();
  return {
    take(pointId) {
      const t = mono();
      const recent = (attempts.get(pointId) ?? []).filter((at) => t - at < windowMs);
      if (recent.length >= limit.count) {
        attempts.set(pointId, recent);
        return false;
      }
      recent.push(t);
      attempts.set(pointId, recent);
      return true;
    },
  };
}
