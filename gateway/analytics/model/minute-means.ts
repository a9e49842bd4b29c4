/**
 * Means per wall-clock minute of a few numbers fed sample by sample. Drift and peer detectors
 * judge minute means, not raw samples: a minute's mean is steady whatever the sampling rate, and
 * it is what the baseline learned from (the store's 1-minute rollups).
 */
const MINUTE = 60_000;

export interface ClosedMinute {
  /** start of the minute (UTC ms) */
  minute: number;
  means: number[];
}

export interface MinuteMeans {
  /** adds one sample's numbers; returns the previous minute's means when ts opens a new minute */
  add(ts: number, values: readonly number[]): ClosedMinute | null;
  /**
   * the open minute so far: its means and how much of it (0..1) has passed at now. The means are
   * worked out once per sample and shared by the calls until the next add(): read, never modify.
   */
  open(now: number): { means: readonly number[]; fraction: number } | null;
  reset(): void;
}

/** `periodMs`: a period other than the minute (the drift check judges quarter hours) */
export function createMinuteMeans(width: number, periodMs = MINUTE): MinuteMeans {
  let minute: number | null = null;
  let sums = new Array<number>(width).fill(0);
  let count = 0;
  const means = () => {
    const out = new Array<number>(width);
    for (let i = 0; i < width; i++) out[i] = sums[i]! / count;
    return out;
  };
  /** the open minute's means, until the next add (a detector's finding asks every second) */
  let openMeans: number[] | null = null;
  return {
    add(ts, values) {
      const m = Math.floor(ts / periodMs) * periodMs;
      let closed: ClosedMinute | null = null;
      if (minute !== null && m !== minute && count > 0) {
        closed = { minute, means: means() };
        sums = new Array<number>(width).fill(0);
        count = 0;
      }
      minute = m;
      openMeans = null;
      for (let i = 0; i < width; i++) sums[i]! += values[i] ?? 0;
      count++;
      return closed;
    },
    open(now) {
      if (minute === null || count === 0) return null;
      openMeans ??= means();
      return { means: openMeans, fraction: Math.min(1, Math.max(0, (now - minute) / periodMs)) };
    },
    reset() {
      minute = null;
      openMeans = null;
      sums = new Array<number>(width).fill(0);
      count = 0;
    },
  };
}
