/**
 * The last `capacity` values of a point kept sorted as they arrive, so their median and robust
 * scale cost one pass over the window instead of two sorts per sample (the spike detector judges
 * every sample of 1 000 points against its window: two sorts each were most of the analytics
 * commit listener's time). The numbers are exactly robustStats() of the same values.
 * Two typed arrays of `capacity` doubles; nothing is allocated per sample.
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
  /** in arrival order, oldest at `oldest` once full */
  const ring = new Float64Array(capacity);
  const sorted = new Float64Array(capacity);
  let size = 0;
  let oldest = 0;

  /** the first index whose value is >= value (binary search over the held values) */
  const lowerBound = (value: number) => {
    let lo = 0;
    let hi = size;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  return {
    get size() {
      return size;
    },
    push(value) {
      if (!Number.isFinite(value)) return;
      if (size === capacity) {
        // out goes the oldest: any held copy of its value will do, they are equal
        const at = lowerBound(ring[oldest]!);
        sorted.copyWithin(at, at + 1, size);
        size--;
        ring[oldest] = value;
        oldest = (oldest + 1) % capacity;
      } else {
        ring[size] = value;
      }
      const at = lowerBound(value);
      sorted.copyWithin(at + 1, at, size);
      sorted[at] = value;
      size++;
    },
    stats: () => statsOfSorted(sorted, size),
    median() {
      if (size === 0) return Number.NaN;
      const mid = size >> 1;
      return size % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    },
  };
}
