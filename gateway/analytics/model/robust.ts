/**
 * Robust statistics the model is built on: median and MAD instead of mean and standard deviation,
 * so a few bad samples (a spike, a dropout read as 0) neither move the expected value nor widen
 * the band. simple-statistics does the selection; this file adds the floors that keep a scale from
 * ever being 0 (a flat or quantised signal would otherwise make every change an infinite z-score).
 * Median, MAD and step all come from one sorted copy (statsOfSorted): the MAD's deviations are
 * read off the sorted values outward from the median, so no second sort is needed; the spike
 * detector's rolling window (rolling-window.ts) keeps its values sorted and uses the same function.
 */
import { median as ssMedian } from 'simple-statistics';

/** 1.4826 × MAD estimates the standard deviation of normally distributed data. */
const MAD_TO_SIGMA = 1.4826;

/** The median of xs; NaN for an empty list (callers check lengths; a throw here would stop ingest). */
export function median(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : ssMedian(xs);
}

/**
 * A spread that is never 0: 1.4826 × MAD, but at least a millionth of the level, half the
 * smallest step between distinct values (the sensor's resolution) and 1e-9.
 */
export function robustScale(xs: ArrayLike<number>): number {
  return robustStats(xs).scale;
}

/** The median and robustScale together from one sort. */
export function robustStats(xs: ArrayLike<number>): RobustStats {
  // a typed array sorts numerically without a comparator call per pair: several times faster
  return statsOfSorted(Float64Array.from(xs).sort(), xs.length);
}

export interface RobustStats {
  center: number;
  scale: number;
}

/**
 * robustStats of the first n values of an ascending array, without copying or sorting: the
 * absolute deviations from the median are two ascending runs (below it, read downward; above it,
 * read upward), merged only as far as their middle.
 */
export function statsOfSorted(sorted: ArrayLike<number>, n: number): RobustStats {
  if (n === 0) return { center: Number.NaN, scale: 1e-9 };
  const center = middleOf(sorted, n);
  const mad = MAD_TO_SIGMA * medianDeviation(sorted, n, center);
  return { center, scale: Math.max(mad, 1e-6 * Math.abs(center), smallestStep(sorted, n) / 2, 1e-9) };
}

/** The median of the first n (> 0) values of an ascending array. */
function middleOf(sorted: ArrayLike<number>, n: number): number {
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of |x − center| over the first n values of an ascending array. */
function medianDeviation(sorted: ArrayLike<number>, n: number, center: number): number {
  let above = 0;
  while (above < n && sorted[above]! < center) above++;
  let below = above - 1;
  const mid = n >> 1;
  let previous = 0;
  let current = 0;
  for (let taken = 0; taken <= mid; taken++) {
    previous = current;
    // |x − c| of a value below c is exactly c − x (IEEE subtraction is symmetric), as a sort of |x − c| would see it
    const down = below >= 0 ? center - sorted[below]! : Number.POSITIVE_INFINITY;
    const up = above < n ? sorted[above]! - center : Number.POSITIVE_INFINITY;
    if (down <= up) {
      current = down;
      below--;
    } else {
      current = up;
      above++;
    }
  }
  return n % 2 === 1 ? current : (previous + current) / 2;
}

/** How many scales x lies from center (signed). */
export function robustZ(x: number, center: number, scale: number): number {
  return (x - center) / scale;
}

/** The smallest non-zero difference between two sorted values: the resolution the data was read with. */
function smallestStep(sorted: ArrayLike<number>, n: number): number {
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < n; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 0 && d < step) step = d;
  }
  return Number.isFinite(step) ? step : 0;
}
