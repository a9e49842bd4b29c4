/**
 * Edge analytics (issue 16): per analysed point, a baseline learned from the point's own history
 * (the store's 1-minute rollups), detectors that judge each new sample against it, and a forecast
 * of the next minutes with the time until it crosses one of the point's alarm limits.
 *
 * Layers, each testable alone:
 * - model/ is pure: numbers in, numbers and findings out, times passed in (never read from a clock).
 * - the service (service.ts) feeds the model from the store's commits, refits baselines off the
 *   hot path, keeps fitted models across restarts, and answers the alarm engine's `analytics` rules
 *   (gateway/alarms: type `analytics`), so anomalies have the full alarm lifecycle.
 */
import type { Severity } from '../alarms/types.js';

export const ANOMALY_KINDS = ['band', 'spike', 'drift', 'peer'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];
/** the check behind an analytics alarm; the alarm id is `<pointId>.<check with - for .>`, e.g. `crac1.supply_temp.anomaly-band` */
export type AnalyticsCheck = `anomaly.${AnomalyKind}` | 'forecast.limit' | 'battery.runtime';
export type Sensitivity = 'low' | 'medium' | 'high';
export type Season = 'day' | 'week';

/** One analysed point after config load: patterns resolved, defaults applied. */
export interface AnalyticsSpec {
  point: string;
  baseline: {
    /** seasons to learn when there is history enough for them (see BaselineModel.kind) */
    season: Season[];
    /** how far back a refit reads (days of 1-minute rollups) */
    trainingDays: number;
    /** no judgement before the point has this many minutes of history: its state is `training` */
    minTrainingMinutes: number;
  };
  /** absent: no anomaly alarms for this point */
  anomaly?: {
    sensitivity: Sensitivity;
    severity: Severity;
    /** band: outside the band this long before the alarm raises */
    onDelayS: number;
    kinds: AnomalyKind[];
  };
  /** absent: no forecast and no time-to-limit pre-alarm */
  forecast?: {
    horizonMin: number;
    /** minutes of recent samples the trend is fitted over */
    windowMin: number;
    severity: Severity;
  };
  /** the identical units this point is compared with (resolved ids, itself excluded); empty: no peer check */
  peers: string[];
  /** a UPS's runtime point: its runtime projected under the load's trend, and the battery.runtime pre-alarm */
  battery?: {
    /** the UPS's load point (resolved id, same device) */
    load: string;
    /** the pre-alarm's minimum; absent: the runtime point's LO limit (none either: no pre-alarm) */
    minRuntimeMin?: number;
    windowMin: number;
    severity: Severity;
  };
}

/** One minute of a point: a 1-minute rollup's average (what a baseline learns from). */
export interface MinutePoint {
  ts: number;
  value: number;
}

export interface Band {
  expected: number;
  lo: number;
  hi: number;
  /**
   * how far the expected value itself may be off (point units): a profile hour learned from few
   * days is less certain than one from many; absent or 0 where none is known (`recent`)
   */
  uncertainty?: number;
}

/** What a fitted baseline keeps: enough to rebuild it after a restart without reading history again. */
export interface SerializedBaseline {
  kind: BaselineKind;
  fittedAt: number;
  trainedMinutes: number;
  /** model-specific numbers (bucket medians and spreads, window statistics); opaque outside model/ */
  params: Record<string, unknown>;
}

/**
 * `week`: hour-of-week medians (needs ≥ 2 weeks of history); `daytype`: hour-of-day medians of
 * weekdays (Mon–Fri) and of weekends (Sat–Sun), with `week` in the seasons and about a week of
 * history (a weekend day and three weekdays); `day`: hour-of-day medians (≥ 2 days); `recent`:
 * median/MAD of the recent window (from minTrainingMinutes until a season has enough).
 * Models stored before `daytype` existed (week/day/recent) keep their shape and stay readable.
 */
export type BaselineKind = 'week' | 'daytype' | 'day' | 'recent';

export interface BaselineModel {
  readonly kind: BaselineKind;
  readonly fittedAt: number;
  readonly trainedMinutes: number;
  /** robust spread of the point around its expected value (1.4826 × MAD of the residuals), never 0 */
  readonly scale: number;
  /** the expected value and the normal band at wall time ts (UTC ms; seasons in the gateway's time zone) */
  bandAt(ts: number): Band;
  toJSON(): SerializedBaseline;
}

export interface FitOptions {
  season: readonly Season[];
  minTrainingMinutes: number;
  sensitivity: Sensitivity;
  /** the end of the history: the fit's time */
  now: number;
  /** minutes east of UTC for seasons (hour of day/week in local time); default 0 */
  tzOffsetMin?: number;
}

/** How a detector words its finding: the point as people know it. */
export interface PointLabel {
  name: string;
  unit: string | null;
  /** minutes east of UTC, for "Tuesday 14:00" in messages */
  tzOffsetMin?: number;
}

/** A detector's judgement now: the alarm raises (after its delays) while active. */
export interface Finding {
  active: boolean;
  /** while active: what was expected and what was seen, e.g. "Supply air 23.9 °C, expected 18.2–20.1 °C for Tuesday 14:00" */
  text: string | null;
}

/** One per point and check. Fed every good numeric sample in time order. */
export interface Detector {
  observe(ts: number, value: number, baseline: BaselineModel | null): void;
  finding(now: number): Finding;
}

/** A limit a forecast is checked against: the point's alarm limits (HI/HIHI above, LO/LOLO below). */
export interface LimitLine {
  level: 'hihi' | 'hi' | 'lo' | 'lolo';
  limit: number;
}

export interface Forecast {
  /** when it was made */
  at: number;
  ts: number[];
  mean: number[];
  lo: number[];
  hi: number[];
  /** the first time the mean path crosses each limit within the horizon (limits already crossed now are left out) */
  crossings: Array<{ level: LimitLine['level']; limit: number; at: number }>;
}

/** A UPS's battery runtime under the trend of its load (model/battery.ts), as the API and the page show it. */
export interface BatteryProjection {
  /** when it was made (the latest sample's time) */
  at: number;
  /** the load point the trend is of */
  load: string;
  /** the UPS's own runtime figure (at the present load), minutes */
  runtimeMin: number;
  /** minutes until empty if the load goes on as its trend says (= runtimeMin when flat or falling) */
  projectedMin: number;
  /** the load's trend: fitted value now and change per minute (in the load point's unit) */
  loadNow: number;
  loadPerMin: number;
  /** the pre-alarm's minimum (configured, or the runtime's LO limit); null: no pre-alarm */
  minRuntimeMin: number | null;
}

/** The state of one analysed point, as the page's analytics list and the API show it. */
export interface AnalyticsPointStatus {
  point: string;
  name: string;
  unit: string | null;
  /** training: not enough history yet (minutes so far / needed); ready: judging */
  state: 'training' | 'ready';
  trainedMinutes: number;
  minTrainingMinutes: number;
  baselineKind: BaselineKind | null;
  lastFitAt: number | null;
  nextFitAt: number | null;
  checks: AnalyticsCheck[];
  /** active findings now, by check */
  active: AnalyticsCheck[];
  /** the nearest limit crossing of the latest forecast, if any */
  nextCrossing: { level: LimitLine['level']; limit: number; at: number } | null;
  /** a UPS runtime point only: the runtime under the load trend (null: too few load samples yet) */
  battery?: BatteryProjection | null;
}

export interface AnalyticsService {
  /** every analysed point with its state */
  status(): AnalyticsPointStatus[];
  /** expected value and band over [from, to], one entry a minute (`GET /api/v1/points/{id}/baseline`); undefined: not analysed */
  baseline(pointId: string, from: number, to: number): { ts: number[]; expected: number[]; lo: number[]; hi: number[] } | undefined;
  /** the latest forecast (`GET /api/v1/points/{id}/forecast`); undefined: not analysed or no forecast configured; null: not enough data yet */
  forecast(pointId: string): Forecast | null | undefined;
  /** a UPS runtime point's projection (in the forecast answer); undefined: no battery configured; null: not enough data yet */
  battery?(pointId: string): BatteryProjection | null | undefined;
}
