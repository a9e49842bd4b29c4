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

/**
 * `periodMs`: a period other than the minute (the drift check judges quarter hours). A class, not
 * closures: three detectors of each of 1 000 points hold one, and four closures and their context
 * were ~600 bytes of each.
 */
export function createMinuteMeans(width: number, periodMs = MINUTE): MinuteMeans {
  return new PeriodMeans(width, periodMs);
}

class PeriodMeans implements MinuteMeans {
  private minute: number | null = null;
  private sums: number[];
  private count = 0;
  /** the open minute's means, until the next add (a detector's finding asks every second) */
  private openMeans: number[] | null = null;

  constructor(
    private readonly width: number,
    private readonly periodMs: number,
  ) {
    this.sums = new Array<number>(width).fill(0);
  }

  private means(): number[] {
    const out = new Array<number>(this.width);
    for (let i = 0; i < this.width; i++) out[i] = this.sums[i]! / this.count;
    return out;
  }

  add(ts: number, values: readonly number[]): ClosedMinute | null {
    const m = Math.floor(ts / this.periodMs) * this.periodMs;
    let closed: ClosedMinute | null = null;
    if (this.minute !== null && m !== this.minute && this.count > 0) {
      closed = { minute: this.minute, means: this.means() };
      this.sums.fill(0);
      this.count = 0;
    }
    this.minute = m;
    this.openMeans = null;
    for (let i = 0; i < this.width; i++) this.sums[i]! += values[i] ?? 0;
    this.count++;
    return closed;
  }

  open(now: number): { means: readonly number[]; fraction: number } | null {
    if (this.minute === null || this.count === 0) return null;
    this.openMeans ??= this.means();
    return { means: this.openMeans, fraction: Math.min(1, Math.max(0, (now - this.minute) / this.periodMs)) };
  }

  reset(): void {
    this.minute = null;
    this.openMeans = null;
    this.sums.fill(0);
    this.count = 0;
  }
}
