/**
 * UPS battery runtime under the load trend. A UPS states its runtime at the present load; when
 * the load keeps rising (a hall heating up, more servers started) the battery empties sooner than
 * that. The battery's remaining energy is taken as runtime × load now (in load-minutes) and drained
 * by the trending load: L0·T + s·T²/2 = E. Linear in load, so it leaves out the Peukert effect
 * (at high load a battery yields less): for a rising load the result is, if anything, optimistic.
 */
import type { BatteryProjection, Detector, LimitLine, MinutePoint, PointLabel } from '../types.js';
import { formatLimit } from './format.js';
import { fitTrend } from './trend.js';

const MINUTE = 60_000;
/** one load sample per 5 s is kept (as the forecast's): a 10-minute trend in 120 numbers at any rate */
const LOAD_SPACING_MS = 5_000;
/** the projection is remade at most this often (sample time) */
const REMAKE_MS = 10_000;
/** a runtime or load figure older than this is not projected from: the UPS stopped answering */
const FRESH_MS = 5 * MINUTE;

/** The projection's numbers: minutes left at the trending load, and the trend. null: too few load samples. */
export function projectBatteryRuntime(opts: {
  runtimeMin: number;
  load: readonly MinutePoint[];
  now: number;
  windowMin?: number;
}): { projectedMin: number; loadNow: number; loadPerMin: number } | null {
  if (!Number.isFinite(opts.runtimeMin) || opts.runtimeMin < 0) return null;
  const trend = fitTrend(opts.load, opts.now, opts.windowMin ?? 10);
  if (!trend) return null;
  const loadNow = trend.intercept;
  const rising = loadNow > 0 && !trend.flat && trend.slope > 0;
  if (!rising) return { projectedMin: opts.runtimeMin, loadNow, loadPerMin: trend.flat ? 0 : trend.slope };
  const energy = opts.runtimeMin * loadNow;
  const projectedMin = (-loadNow + Math.sqrt(loadNow * loadNow + 2 * trend.slope * energy)) / trend.slope;
  return { projectedMin, loadNow, loadPerMin: trend.slope };
}

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
  return projectBatteryRuntime(opts)?.projectedMin ?? null;
}

export interface BatteryDetector extends Detector {
  /** a sample of the UPS's load point (observe() takes the runtime point's) */
  observeLoad(ts: number, value: number): void;
  latest(): BatteryProjection | null;
}

/**
 * battery.runtime: active while the runtime projected under the load trend is below the minimum
 * and the UPS's own figure is not (once that is below too, the runtime's LO alarm says so itself,
 * as forecast.limit leaves out limits already crossed).
 */
export function createBatteryDetector(opts: {
  /** the runtime point */
  label: PointLabel;
  /** the load point's id */
  load: string;
  windowMin: number;
  /** the pre-alarm's minimum now (configured, or the runtime's LO limit); null: no pre-alarm */
  minRuntimeMin: () => number | null;
}): BatteryDetector {
  const windowMs = opts.windowMin * MINUTE;
  let loads: MinutePoint[] = [];
  let runtime: MinutePoint | null = null;
  let latest: BatteryProjection | null = null;
  let madeAt: number | null = null;

  function remake(ts: number): void {
    if (madeAt !== null && ts - madeAt < REMAKE_MS && ts >= madeAt) return;
    madeAt = ts;
    const lastLoad = loads[loads.length - 1];
    if (!runtime || !lastLoad || ts - runtime.ts > FRESH_MS || ts - lastLoad.ts > FRESH_MS) {
      latest = null;
      return;
    }
    const p = projectBatteryRuntime({ runtimeMin: runtime.value, load: loads, now: ts, windowMin: opts.windowMin });
    latest = p && { at: ts, load: opts.load, runtimeMin: runtime.value, ...p, minRuntimeMin: opts.minRuntimeMin() };
  }

  return {
    observe(ts, value) {
      runtime = { ts, value };
      remake(ts);
    },
    observeLoad(ts, value) {
      const last = loads[loads.length - 1];
      if (last && ts - last.ts < LOAD_SPACING_MS) return;
      loads.push({ ts, value });
      // the window and one spare sample; a 10-minute window holds about 120
      if (loads.length > 1 && loads[0]!.ts <= ts - windowMs - LOAD_SPACING_MS) loads = loads.filter((s) => s.ts > ts - windowMs);
      remake(ts);
    },
    finding(now) {
      const p = latest;
      if (!p || p.minRuntimeMin === null || now - p.at > FRESH_MS) return { active: false, text: null };
      if (!(p.projectedMin < p.minRuntimeMin && p.runtimeMin >= p.minRuntimeMin)) return { active: false, text: null };
      const { name } = opts.label;
      // rounded down: "about 10 min, below the 10 min minimum" would contradict itself
      const text = `${name}: about ${Math.floor(p.projectedMin)} min at the rising load, below the ${formatLimit(p.minRuntimeMin, 'min')} minimum (the UPS says ${Math.round(p.runtimeMin)} min at the present load)`;
      return { active: true, text };
    },
    latest: () => latest,
  };
}

/** The pre-alarm's minimum when none is configured: the runtime point's LO limit, else its LOLO; null without either. */
export function runtimeLowLimit(limits: readonly LimitLine[]): number | null {
  return limits.find((l) => l.level === 'lo')?.limit ?? limits.find((l) => l.level === 'lolo')?.limit ?? null;
}
