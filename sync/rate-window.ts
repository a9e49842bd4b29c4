/** Items per second over the last minute, in one-second buckets (constant memory). */
export interface RateWindow {
  add(count: number, at?: number): void;
  /** items/s over the window (or since the first add, when that is shorter) */
  rate(at?: number): number;
}

export function createRateWindow(windowS = 60, now: () => number = Date.now): RateWindow {
  const buckets = new Float64Array(windowS);
  const stamps = new Float64Array(windowS).fill(-1);
  let firstAt: number | null = null;
  const second = (t: number) => Math.floor(t / 1000);
  return {
    add(count, at = now()) {
      const s = second(at);
      const i = s % windowS;
      if (stamps[i] !== s) {
        stamps[i] = s;
        buckets[i] = 0;
      }
      buckets[i]! += count;
      firstAt ??= at;
    },
    rate(at = now()) {
      if (firstAt === null) return 0;
      const s = second(at);
      let sum = 0;
      for (let i = 0; i < windowS; i++) if (stamps[i]! > s - windowS && stamps[i]! <= s) sum += buckets[i]!;
      const span = Math.min(windowS, Math.max(1, (at - firstAt) / 1000));
      return sum / span;
    },
  };
}
