/**
 * UPS battery runtime under the load trend. A UPS states its runtime at the present load; when
 * the load keeps rising (a hall heating up, more servers started) the battery empties sooner than
 * that. The battery's remaining energy is taken as runtime × load now (in load-minutes) and drained
 * by the trending load: L0·T + s·T²/2 = E. Linear in load, so it leaves out the Peukert effect
 * (at high load a battery yields less): for a rising load the result is, if anything, optimistic.
 */
import type { MinutePoint } from '../types.js';
import { fitTrend } from './trend.js';

/**
 * Minutes until the battery is empty if the load goes on as its recent trend says; the UPS's own
 * runtime when the load is flat or falling (a falling trend is not extrapolated into more runtime:
 * a load does not keep falling for an hour). null: too few load samples for a trend (as makeForecast).
 */
export function batteryRuntimeMin(opts: {
  /** the UPS's runtime estimate at the present load */
  runtimeMin: number;
  /** recent load samples (kW, W or % — only ratios matter) */
  load: readonly MinutePoint[];
  now: number;
  /** minutes of load the trend is fitted to; default 10 */
  windowMin?: number;
}): number | null {
  if (!Number.isFinite(opts.runtimeMin) || opts.runtimeMin < 0) return null;
  const trend = fitTrend(opts.load, opts.now, opts.windowMin ?? 10);
  if (!trend) return null;
  const loadNow = trend.intercept;
  if (loadNow <= 0 || trend.flat || trend.slope <= 0) return opts.runtimeMin;
  const energy = opts.runtimeMin * loadNow;
  return (-loadNow + Math.sqrt(loadNow * loadNow + 2 * trend.slope * energy)) / trend.slope;
}
