/**
 * Robust statistics the model is built on: median and MAD instead of mean and standard deviation,
 * so a few bad samples (a spike, a dropout read as 0) neither move the expected value nor widen
 * the band. simple-statistics does the selection; this file adds the floors that keep a scale from
 * ever being 0 (a flat or quantised signal would otherwise make every change an infinite z-score).
 * The scale sorts once itself (median, MAD and step from one sorted copy): it runs on every sample.
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
export function robustScale(xs: readonly number[]): number {
  return robustStats(xs).scale;
}

/** The median and robustScale together from one sort (the spike detector needs both on every sample). */
export function robustStats(xs: readonly number[]): { center: number; scale: number } {
  if (xs.length === 0) return { center: Number.NaN, scale: 1e-9 };
  // a typed array sorts numerically without a comparator call per pair: several times faster
  const sorted = Float64Array.from(xs).sort();
  const center = middle(sorted);
  const deviations = sorted.map((x) => Math.abs(x - center)).sort();
  const mad = MAD_TO_SIGMA * middle(deviations);
  return { center, scale: Math.max(mad, 1e-6 * Math.abs(center), smallestStep(sorted) / 2, 1e-9) };
}

/** The median of a sorted, non-empty array. */
function middle(sorted: Float64Array): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** How many scales x lies from center (signed). */
export function robustZ(x: number, center: number, scale: number): number {
  return (x - center) / scale;
}

/** The smallest non-zero difference between two sorted values: the resolution the data was read with. */
function smallestStep(sorted: Float64Array): number {
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 0 && d < step) step = d;
  }
  return Number.isFinite(step) ? step : 0;
}
