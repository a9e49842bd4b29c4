/**
 * The last `capacity` values of a point kept sorted as they arrive, so their median and robust
 * scale cost one pass over the window instead of two sorts per sample (the spike detector judges
 * every sample of 1 000 points against its window: two sorts each were most of the analytics
 * commit listener's time). The numbers are exactly robustStats() of the same values.
 * One typed array of 2 × `capacity` doubles (the arrival ring, then the sorted copy: a typed
 * array costs ~200 bytes of its own beside its numbers, so one instead of two for each of 1 000
 * points); nothing is allocated per sample.
 */
import { type RobustStats, statsOfSorted } from './robust.js';

export interface RollingWindow {
  /** values held (at most capacity) */
  readonly size: number;
  /** adds a value, dropping the oldest once full; a value that is not finite is ignored */
  push(value: number): void;
  /** median and robust scale of the values held (robustStats of them) */
  stats(): RobustStats;
  /** the median alone, without the scale's pass (NaN while empty) */
  median(): number;
}

export function createRollingWindow(capacity: number): RollingWindow {
  if (!(Number.isInteger(capacity) && capacity > 0)) throw new Error(`createRollingWindow: capacity must be a positive integer, not ${capacity}`);
  return new SortedRing(capacity);
}

/** A class, not closures: the methods are shared, where five closures and their context were ~1 KB a point. */
class SortedRing implements RollingWindow {
  /** [0, capacity): the values in arrival order, oldest at `oldest` once full; [capacity, 2 × capacity): the same sorted */
  private readonly buffer: Float64Array;
  private held = 0;
  private oldest = 0;

  constructor(private readonly capacity: number) {
    this.buffer = new Float64Array(2 * capacity);
  }

  get size(): number {
    return this.held;
  }

  /** the first index (in the sorted half) whose value is >= value (binary search over the held values) */
  private lowerBound(value: number): number {
    const { buffer, capacity } = this;
    let lo = 0;
    let hi = this.held;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (buffer[capacity + mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  push(value: number): void {
    if (!Number.isFinite(value)) return;
    const { buffer, capacity: S } = this;
    if (this.held === S) {
      // out goes the oldest: any held copy of its value will do, they are equal
      const at = this.lowerBound(buffer[this.oldest]!);
      buffer.copyWithin(S + at, S + at + 1, S + this.held);
      this.held--;
      buffer[this.oldest] = value;
      this.oldest = (this.oldest + 1) % S;
    } else {
      buffer[this.held] = value;
    }
    const at = this.lowerBound(value);
    buffer.copyWithin(S + at + 1, S + at, S + this.held);
    buffer[S + at] = value;
    this.held++;
  }

  stats(): RobustStats {
    return statsOfSorted(this.buffer.subarray(this.capacity, this.capacity + this.held), this.held);
  }

  median(): number {
    const { buffer, capacity: S, held } = this;
    if (held === 0) return Number.NaN;
    const mid = held >> 1;
    return held % 2 === 1 ? buffer[S + mid]! : (buffer[S + mid - 1]! + buffer[S + mid]!) / 2;
  }
}
